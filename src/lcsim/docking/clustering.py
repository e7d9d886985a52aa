"""Clustering and path length of a community's ties against Barrat & Weigt (2000).

The model ties the members of each community as a Watts–Strogatz small world
(:func:`lcsim.model.population.wire_small_world`). This study wires rings with
that very function (:func:`lcsim.docking.small_world.small_world_ties`) at the
model's degrees, for community sizes of the clic_it scenario and a larger
one, over a grid of rewiring probabilities p, and measures

* the mean local clustering coefficient (Watts & Strogatz's C, with
  :func:`networkx.average_clustering`) and the transitivity (three times the
  triangles over the connected triples, the C' for which Barrat & Weigt
  derived the formula, with :func:`networkx.transitivity`);
* the mean shortest path length over the pairs of members that are
  connected (:func:`scipy.sparse.csgraph.shortest_path`).

Barrat & Weigt's formula is C(p) ≈ C(0) (1 − p)³ with C(0) = 3(k − 2) / (4(k − 1))
for a ring of degree k: a triangle of the lattice survives when none of its
three ties is rewired. It is a large-n, mean-field result. It leaves out the
triangles that rewired ties close by chance, about k / (n − 1) (the clustering
of a random graph of that density), which matters in a community of a few
dozen; and the spread of degrees that rewiring creates, which adds connected
triples. Watts & Strogatz's finding: the path length falls steeply by
p = 0.01 while the clustering stays close to C(0).

Run r of a size and degree has the same networkx seed at every p (common
random numbers).

References:
    Watts, D. J., & Strogatz, S. H. (1998). Collective dynamics of
    'small-world' networks. Nature 393, 440–442. doi:10.1038/30918
    Barrat, A., & Weigt, M. (2000). On the properties of small-world network
    models. European Physical Journal B 13, 547–560.
    doi:10.1007/s100510050067
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from matplotlib.figure import Figure
from scipy.sparse import coo_array
from scipy.sparse.csgraph import shortest_path

from lcsim.config.params import param
from lcsim.docking import ci95
from lcsim.docking.small_world import small_world_ties
from lcsim.plotting import plt


@dataclass
class Settings:
    members: list[int] = param(
        [35, 190, 500],
        "Members of the rings: a mean and the largest clic_it community, and a larger one.",
        source="clic_it scenario (community sizes 8-190, mean 35)",
    )
    degrees: list[int] = param(
        [6, 10], "Ties of each member before rewiring (scenario.ties_per_member).",
        source="lcsim default 6; Cowan & Jonard 2004 ring 10",
    )
    rewirings: list[float] = param(
        [0.0, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
        "Rewiring probabilities p of the ring.", source="Watts & Strogatz 1998, fig. 2",
    )
    runs: int = param(20, "Rings wired per size, degree and rewiring probability.",
                      low=1, high=1_000_000)


def lattice_clustering(degree: int) -> float:
    """C(0) = 3(k − 2) / (4(k − 1)): clustering of a ring lattice of degree k."""
    return 3.0 * (degree - 2) / (4.0 * (degree - 1))


def barrat_weigt(degree: int, rewiring: float) -> float:
    """Barrat & Weigt's C(p) ≈ C(0) (1 − p)³ for a small world of degree k."""
    return lattice_clustering(degree) * (1.0 - rewiring) ** 3


def measure(ties: np.ndarray, members: int) -> tuple[float, float, float]:
    """Mean local clustering, transitivity and mean path length of a tie network."""
    graph = nx.Graph()
    graph.add_nodes_from(range(members))
    graph.add_edges_from(ties.tolist())
    adjacency = coo_array((np.ones(len(ties)), (ties[:, 0], ties[:, 1])),
                          shape=(members, members)).tocsr()
    hops = shortest_path(adjacency, directed=False, unweighted=True)
    connected = np.isfinite(hops)
    np.fill_diagonal(connected, False)
    return (nx.average_clustering(graph), nx.transitivity(graph),
            float(hops[connected].mean()))


def _rings(settings: Settings, seed: int, members: int, degree: int, r: int) -> np.ndarray:
    """Run r of one size and degree: (clustering, transitivity, path length) per p."""
    child = np.random.SeedSequence(seed, spawn_key=(members, degree, r))
    return np.array([
        measure(small_world_ties(members, degree, p, np.random.default_rng(child)), members)
        for p in settings.rewirings
    ])


def tables(settings: Settings, seed: int, n_jobs: int = 1) -> dict[str, pd.DataFrame]:
    """Clustering, transitivity and path length per size, degree and rewiring."""
    cells = [(n, k) for n in settings.members for k in settings.degrees]
    jobs = [(n, k, r) for n, k in cells for r in range(settings.runs)]
    if n_jobs == 1:
        done = [_rings(settings, seed, *job) for job in jobs]
    else:
        done = Parallel(n_jobs=n_jobs)(delayed(_rings)(settings, seed, *job) for job in jobs)
    # measured[cell, run, p, (clustering, transitivity, path length)]
    measured = np.array(done).reshape(len(cells), settings.runs, len(settings.rewirings), 3)
    frames = []
    for (n, k), cell in zip(cells, measured, strict=True):
        frames.append(pd.DataFrame({
            "n": n,
            "k": k,
            "p": settings.rewirings,
            "runs": settings.runs,
            "clustering": cell[:, :, 0].mean(axis=0),
            "ci95": ci95(cell[:, :, 0], axis=0),
            "formula": [barrat_weigt(k, p) for p in settings.rewirings],
            "transitivity": cell[:, :, 1].mean(axis=0),
            "path_length": cell[:, :, 2].mean(axis=0),
        }))
    return {"clustering": pd.concat(frames, ignore_index=True)}


def figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Clustering against the formula, and path length, per size and degree (as C(0), L(0))."""
    table = tables["clustering"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    cells = table.groupby(["n", "k"], sort=True)
    for i, ((n, k), cell) in enumerate(cells):
        colour, label = f"C{i}", f"n = {n}, k = {k}"
        left.errorbar(cell["p"], cell["clustering"], yerr=cell["ci95"], marker="o",
                      ms=3, color=colour, capsize=2, label=label)
        left.plot(cell["p"], cell["formula"], ls="--", color=colour, lw=1)
        right.plot(cell["p"], cell["path_length"] / cell["path_length"].iloc[0],
                   marker="o", ms=3, color=colour, label=label)
    for ax in (left, right):
        ax.set_xscale("symlog", linthresh=1e-3)
        ax.set_xlim(left=-2.5e-4)
        ax.set_xlabel("rewiring probability p")
    left.set_ylabel("mean clustering coefficient")
    left.set_title("Clustering; dashed: C(0)(1 − p)³", loc="left")
    right.set_ylabel("mean path length L(p) / L(0)")
    right.set_title("Path length", loc="left")
    right.legend(fontsize="small")
    return fig
