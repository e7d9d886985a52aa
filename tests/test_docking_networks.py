"""Docking of the community tie network and of learning across cognitive distance.

Clustering of the rings lcsim wires against Barrat & Weigt (2000) and Watts &
Strogatz (1998); the inverted U of learning against the configured optimum
(Nooteboom et al. 2007). Run small, tolerances justified beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import make_config
from lcsim.docking import clustering, cognitive_distance
from lcsim.docking.small_world import small_world_ties
from test_docking import run_study

# ------------------------------------------------------------------ clustering


def ring_path_length(members: int, degree: int) -> float:
    """Exact mean path length of a ring lattice: ring distance j takes ⌈j / (k/2)⌉ hops."""
    ring = np.arange(1, members)
    return float(np.ceil(np.minimum(ring, members - ring) / (degree // 2)).mean())


@pytest.mark.parametrize(("members", "degree"), [(35, 6), (190, 10)])
def test_unrewired_ring_is_the_exact_lattice(members, degree):
    ties = small_world_ties(members, degree, 0.0, np.random.default_rng(0))
    assert len(ties) == members * degree // 2
    local, transitivity, path_length = clustering.measure(ties, members)
    assert local == pytest.approx(clustering.lattice_clustering(degree), abs=1e-12)
    assert transitivity == pytest.approx(clustering.lattice_clustering(degree), abs=1e-12)
    assert path_length == pytest.approx(ring_path_length(members, degree), abs=1e-12)


def test_clustering_follows_barrat_weigt_within_finite_size_terms():
    settings = clustering.Settings(members=[35, 190], degrees=[6, 10],
                                   rewirings=[0.0, 0.01, 0.1, 0.3, 1.0], runs=10)
    table = clustering.tables(settings, seed=3, n_jobs=1)["clustering"]
    excess = table["clustering"] - table["formula"]
    # The formula is a large-n mean-field result, and it leaves out
    # (a) the triangles that rewired ties close by chance, at most about the
    #     clustering of a random graph of the same density, k / (n − 1): 0.29
    #     at n = 35, k = 10, where we measure 0.27-0.28 at p = 1;
    # (b) the spread of degrees that rewiring creates (more connected
    #     triples) and the averaging of local coefficients: at n = 500, where
    #     (a) is at most 0.02, we measure the clustering within (a) above the
    #     formula and the transitivity at most 0.013 below it (20 rings);
    # so we allow 0.02 for (b) on either side, k / (n − 1) more above, and
    # the 95 % interval of the mean of 10 rings (up to 0.04 at n = 35).
    allowed_above = table["k"] / (table["n"] - 1) + 0.02 + table["ci95"]
    allowed_below = 0.02 + table["ci95"]
    assert (excess <= allowed_above).all(), table[excess > allowed_above]
    assert (excess >= -allowed_below).all(), table[excess < -allowed_below]


def test_path_length_falls_by_p_001_while_clustering_stays():
    # Watts & Strogatz (1998, fig. 2), at n = 1000, k = 10: by p = 0.01 the
    # path length is down to about a fifth and the clustering above 0.95 of
    # the lattice's. A 500-member ring has half the lattice path length to
    # lose: we measure 0.30 and 0.97 (20 rings); over 5 rings, 0.5 and 0.9
    # leave several standard deviations of room.
    settings = clustering.Settings(members=[500], degrees=[10], rewirings=[0.0, 0.01],
                                   runs=5)
    table = clustering.tables(settings, seed=4, n_jobs=1)["clustering"]
    lattice, small_world = table.iloc[0], table.iloc[1]
    assert small_world["path_length"] < 0.5 * lattice["path_length"]
    assert small_world["clustering"] > 0.9 * lattice["clustering"]


def test_clustering_study_writes_its_table_and_figure(tmp_path):
    out = run_study(tmp_path, "clustering", "docking.clustering.members=[35]",
                    "docking.clustering.degrees=[6]", "docking.clustering.rewirings=[0.0,1.0]",
                    "docking.clustering.runs=3")
    table = pd.read_csv(out / "clustering.csv")
    assert list(table.columns) == ["n", "k", "p", "runs", "clustering", "ci95", "formula",
                                   "transitivity", "path_length"]
    assert all(pd.api.types.is_numeric_dtype(table[c]) for c in table.columns)
    assert table["formula"].tolist() == [0.6, 0.0]
    assert (out / "clustering.png").stat().st_size > 10_000


# ---------------------------------------------------------- cognitive distance

# A grid of 40 steps: spacing 0.025, on which 0.3, 0.4 and 0.5 lie.
GRID = cognitive_distance.Settings(distance_steps=40, pairs=200)
SPACING = 1 / GRID.distance_steps


def distance_table(*overrides: str) -> pd.DataFrame:
    config = make_config(*overrides)
    return cognitive_distance.tables(GRID, seed=5, config=config)["cognitive_distance"]


def peak(table: pd.DataFrame, column: str) -> float:
    return float(table.loc[table[column].idxmax(), "distance"])


@pytest.mark.parametrize(("overrides", "optimum"), [((), 0.5),
                                                   (("exchange.optimal_distance=0.3",), 0.3)])
def test_gain_peaks_at_the_configured_optimum(overrides, optimum):
    # Every distance sees the same pairs (common random numbers), so the curve
    # is d (1 - d / 2d*) times one random constant: its peak is exact on the
    # grid, and the absorbed share falls linearly to 0 at 2 d*.
    table = distance_table(*overrides)
    assert (table["optimum"] == optimum).all()
    assert abs(peak(table, "gain") - optimum) <= SPACING / 2
    share = table["absorbed_share"].to_numpy()
    assert (np.diff(share) <= 1e-12).all()
    beyond = table["distance"] >= 2 * optimum - 1e-9
    assert (table.loc[beyond, "gain"] == 0.0).all()


def test_cognitive_distance_study_reads_the_exchange_parameters(tmp_path):
    out = run_study(tmp_path, "cognitive_distance", "exchange.optimal_distance=0.3",
                    "docking.cognitive_distance.pairs=100")
    table = pd.read_csv(out / "cognitive_distance.csv")
    assert list(table.columns) == ["distance", "runs", "gain", "ci95", "absorbed_share",
                                   "optimum"]
    assert all(pd.api.types.is_numeric_dtype(table[c]) for c in table.columns)
    assert (table["optimum"] == 0.3).all() and peak(table, "gain") == 0.3
    assert (out / "cognitive_distance.png").stat().st_size > 10_000
