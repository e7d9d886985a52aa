"""Figures of one run: key outcomes over time, retention, knowledge, the network.

Each function takes the run's tables (or, for the network, the model at its
final month) and writes one PNG atomically (:func:`save_figure`, with a vector
copy when ``figures_format`` asks for one); bands are 95 % t-intervals of the
mean across replications. :data:`CAPTIONS` holds each figure's caption by file
name, for the report and the docs to say the same thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from scipy import stats

from lcsim.model.knowledge import knowledge_level
from lcsim.plotting import plt
from lcsim.plotting.style import (
    PALETTE,
    SEQUENTIAL,
    current_options,
    save_figure,
    styled,
)

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

__all__ = ["CAPTIONS", "KEY_OUTCOMES", "mean_band", "network_snapshot",
           "plot_collaboration_network", "plot_knowledge_distribution",
           "plot_outcomes_over_time", "plot_retention_by_community", "save_figure",
           "write_figures"]

#: Panel titles and units of the key outcomes.
KEY_OUTCOMES = {
    "productive_share": ("Share of communities productive", "share, 0-1"),
    "retention": ("Retention of founding members", "share, 0-1"),
    "commitment_mean": ("Mean commitment", "commitment, 0-1"),
    "knowledge_mean": ("Mean knowledge of companies", "knowledge level, 0-1"),
    "digital_maturity": ("Mean digital maturity", "maturity, 0-1"),
    "innovations": ("Innovations (cumulative)", "count"),
}

OUTCOMES_FIGURE = "outcomes_over_time.png"
RETENTION_FIGURE = "retention_by_community.png"
KNOWLEDGE_FIGURE = "knowledge_distribution.png"
NETWORK_FIGURE = "collaboration_network.png"

#: Caption of each figure of a run, by file name.
CAPTIONS = {
    OUTCOMES_FIGURE: (
        "Key outcomes of all communities together, month by month: the mean over "
        "replications (line) and its 95 % t-interval (band, clipped to the outcome's "
        "range)."),
    RETENTION_FIGURE: (
        "Share of each community's founding companies still active, month by month, "
        "mean over replications; communities ordered by their size at the start."),
    KNOWLEDGE_FIGURE: (
        "Cumulative distribution of the knowledge level of the companies active at the "
        "final month, per size class, all replications pooled."),
    NETWORK_FIGURE: (
        "The collaboration network of the largest community at the final month of "
        "replication 0: active members as nodes (squares: knowledge institutions), "
        "coloured by commitment and sized by knowledge level (from the least to the most "
        "in the network); lines are active ties."),
}


def mean_band(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and 95 % CI of a column per step across replicates."""
    grouped = table.groupby("step")[column]
    frame = grouped.agg(mean="mean", sd="std", n="count")
    half = stats.t.ppf(0.975, np.maximum(frame["n"] - 1, 1)) * frame["sd"] / np.sqrt(frame["n"])
    frame["low"] = frame["mean"] - half.fillna(0.0)
    frame["high"] = frame["mean"] + half.fillna(0.0)
    return frame


@styled
def plot_outcomes_over_time(timeseries: pd.DataFrame, path: Path) -> Path:
    """Key outcomes of all communities together, with 95 % CI bands."""
    overall = timeseries[timeseries["community"] == "all"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, layout="constrained")
    n = overall["replicate"].nunique()
    for ax, (column, (title, unit)) in zip(axes.flat, KEY_OUTCOMES.items(), strict=True):
        band = mean_band(overall, column)
        # Shares cannot leave [0, 1] and counts cannot fall below 0: clip the band.
        upper = None if column == "innovations" else 1.0
        band[["low", "high"]] = band[["low", "high"]].clip(lower=0.0, upper=upper)
        ax.plot(band.index, band["mean"], color=PALETTE[0])
        ax.fill_between(band.index, band["low"], band["high"], color=PALETTE[0], alpha=0.25,
                        linewidth=0)
        ax.set_title(title)
        ax.set_ylabel(unit)
    for ax in axes[-1]:
        ax.set_xlabel("Month")
    fig.suptitle(f"All communities: mean and 95 % CI over {n} replication(s)")
    return save_figure(fig, path)


@styled
def plot_retention_by_community(timeseries: pd.DataFrame, path: Path) -> Path:
    """Retention of founding members per community, mean over replicates."""
    per = timeseries[timeseries["community"] != "all"]
    mean = per.groupby(["step", "community"])["retention"].mean().unstack()
    start = per[per["step"] == 0].groupby("community")["active_members"].mean()
    order = start.sort_values(ascending=False).index
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    colours = plt.get_cmap(SEQUENTIAL)(np.linspace(0, 0.9, len(order)))
    for colour, name in zip(colours, order, strict=True):
        ax.plot(mean.index, mean[name], color=colour,
                label=f"{name} ({start[name]:.0f} members)")
    ax.set_xlabel("Month")
    ax.set_ylabel("Share of founding companies still active (0-1)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, ncols=2, loc="lower left", title="community (size at start)",
              title_fontsize=7)
    ax.set_title("Retention per community")
    return save_figure(fig, path)


@styled
def plot_knowledge_distribution(
    companies: pd.DataFrame, path: Path, dimensions: int = 30
) -> Path:
    """Knowledge of active companies at the final month, by size class.

    Levels of a code of discrete entries lie on a grid of step 1 / (2 x
    ``dimensions``), which makes histograms spiky; the cumulative share per
    size class shows the distribution without any binning.
    """
    active = companies[companies["active"]]
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for size in ("micro", "small", "medium"):
        values = active.loc[active["size_class"] == size, "knowledge"]
        if len(values):
            ax.ecdf(values, linewidth=1.8, label=f"{size} (n = {len(values)})")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"Knowledge level of the company's code (0-1, {dimensions} dimensions)")
    ax.set_ylabel("Share of companies at or below this level (0-1)")
    ax.set_title("Knowledge of active companies at the final month, all replications")
    ax.legend()
    return save_figure(fig, path)


def network_snapshot(model: LearningCommunityModel, community: int | None = None
                     ) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The active members of one community and the active ties between them.

    Args:
        model: A model, usually at its final month.
        community: Index of the community; None picks the one with the most
            active members (the first of equals).

    Returns:
        The community's name; nodes (``member``, ``institution``,
        ``commitment``, ``knowledge``), one per active member; edges (``a``,
        ``b``: member rows), one per active tie with both ends among the nodes.
    """
    members, orgs, ties = model.members, model.organisations, model.ties
    active = np.flatnonzero(members["active"])
    if community is None:
        counts = np.bincount(members["community"][active], minlength=model.n_communities)
        community = int(np.argmax(counts))
    rows = active[members["community"][active] == community]
    org = members["org"][rows]
    nodes = pd.DataFrame({
        "member": rows,
        "institution": orgs["kind"][org] == 1,
        "commitment": members["commitment"][rows],
        "knowledge": knowledge_level(orgs["code"][org], model.reality),
    })
    a, b = ties["a"], ties["b"]
    inside = ties["active"] & np.isin(a, rows) & np.isin(b, rows)
    edges = pd.DataFrame({"a": a[inside], "b": b[inside]})
    return model.communities[community].name, nodes, edges


@styled
def plot_collaboration_network(name: str, nodes: pd.DataFrame, edges: pd.DataFrame,
                               path: Path, *, seed: int = 0) -> Path:
    """Draw a community's network: colour by commitment, size by knowledge.

    The layout (networkx's spring layout, seeded by ``seed``) is the same for
    the same network.
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes["member"].tolist())
    graph.add_edges_from(zip(edges["a"].tolist(), edges["b"].tolist(), strict=True))
    place = nx.spring_layout(graph, seed=seed)
    fig, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
    segments = [(place[a], place[b]) for a, b in zip(edges["a"], edges["b"], strict=True)]
    ax.add_collection(LineCollection(segments, colors="0.7", linewidths=0.5, zorder=1))
    xy = np.array([place[m] for m in nodes["member"]]).reshape(-1, 2)
    # Marker area grows from the least to the most knowledge in this network;
    # large networks get smaller markers so that they do not cover each other.
    knowledge = nodes["knowledge"].to_numpy(float)
    low, high = (knowledge.min(), knowledge.max()) if len(knowledge) else (0.0, 1.0)
    scale = min(1.0, (60 / max(len(nodes), 1)) ** 0.5)
    sizes = scale * (30 + 270 * (knowledge - low) / ((high - low) or 1.0))
    points = None
    for institution, marker in ((False, "o"), (True, "s")):
        keep = (nodes["institution"] == institution).to_numpy()
        if keep.any():
            points = ax.scatter(xy[keep, 0], xy[keep, 1], s=sizes[keep],
                                c=nodes["commitment"].to_numpy()[keep], cmap=SEQUENTIAL,
                                vmin=0, vmax=1, marker=marker, edgecolors="black",
                                linewidths=0.4, zorder=2)
    if points is not None:
        fig.colorbar(points, ax=ax, label="commitment (0-1)", shrink=0.8)
        grey = {"c": "0.75", "edgecolors": "black", "linewidths": 0.4}
        keys = [ax.scatter([], [], marker="o", s=scale * 150, label="company", **grey),
                ax.scatter([], [], marker="s", s=scale * 150, label="institution", **grey),
                ax.scatter([], [], s=scale * 30, label=f"knowledge {low:.2f}", **grey),
                ax.scatter([], [], s=scale * 300, label=f"knowledge {high:.2f}", **grey)]
        fig.legend(handles=keys, loc="outside lower center", ncols=4,
                   title="marker: kind of member; size: knowledge level (0-1)")
    ax.set_title(f"{name}: {len(nodes)} active members, {len(edges)} ties at the final month")
    ax.set_axis_off()
    return save_figure(fig, path)


def write_figures(
    out: Path, timeseries: pd.DataFrame, companies: pd.DataFrame, dimensions: int = 30,
    model: LearningCommunityModel | None = None,
) -> list[Path]:
    """Write all figures of a run into ``out/figures``; return their paths.

    PNGs first, then their vector copies when ``figures_format`` asks for them.

    Args:
        model: The model of replicate 0 at its final month, for the network
            snapshot; no network figure without it.
    """
    folder = Path(out) / "figures"
    paths = [
        plot_outcomes_over_time(timeseries, folder / OUTCOMES_FIGURE),
        plot_retention_by_community(timeseries, folder / RETENTION_FIGURE),
        plot_knowledge_distribution(companies, folder / KNOWLEDGE_FIGURE, dimensions),
    ]
    if model is not None:
        paths.append(plot_collaboration_network(*network_snapshot(model),
                                                folder / NETWORK_FIGURE))
    vector = current_options().format
    if vector != "png":
        paths += [path.with_suffix(f".{vector}") for path in paths]
    return paths
