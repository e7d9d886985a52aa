"""Figures of one run: key outcomes over time, retention, knowledge at the end.

Each function takes the run's tables and writes one PNG atomically; bands are
95 % t-intervals of the mean across replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from lcsim.files import atomic_write
from lcsim.plotting import plt

KEY_OUTCOMES = {
    "productive_share": "Share of communities productive",
    "retention": "Retention of founding members",
    "commitment_mean": "Mean commitment",
    "knowledge_mean": "Mean knowledge of companies",
    "digital_maturity": "Mean digital maturity",
    "innovations": "Innovations (cumulative)",
}


def mean_band(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and 95 % CI of a column per step across replicates."""
    grouped = table.groupby("step")[column]
    frame = grouped.agg(mean="mean", sd="std", n="count")
    half = stats.t.ppf(0.975, np.maximum(frame["n"] - 1, 1)) * frame["sd"] / np.sqrt(frame["n"])
    frame["low"] = frame["mean"] - half.fillna(0.0)
    frame["high"] = frame["mean"] + half.fillna(0.0)
    return frame


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write a figure as PNG atomically and close it."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)
    return path


def plot_outcomes_over_time(timeseries: pd.DataFrame, path: Path) -> Path:
    """Key outcomes of all communities together, with 95 % CI bands."""
    overall = timeseries[timeseries["community"] == "all"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, layout="constrained")
    n = overall["replicate"].nunique()
    for ax, (column, title) in zip(axes.flat, KEY_OUTCOMES.items(), strict=True):
        band = mean_band(overall, column)
        # Shares cannot leave [0, 1] and counts cannot fall below 0: clip the band.
        upper = None if column == "innovations" else 1.0
        band[["low", "high"]] = band[["low", "high"]].clip(lower=0.0, upper=upper)
        ax.plot(band.index, band["mean"], color="tab:blue")
        ax.fill_between(band.index, band["low"], band["high"], color="tab:blue", alpha=0.25,
                        linewidth=0)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("Month")
    fig.suptitle(f"All communities: mean and 95 % CI over {n} replication(s)")
    return save_figure(fig, path)


def plot_retention_by_community(timeseries: pd.DataFrame, path: Path) -> Path:
    """Retention of founding members per community, mean over replicates."""
    per = timeseries[timeseries["community"] != "all"]
    mean = per.groupby(["step", "community"])["retention"].mean().unstack()
    start = per[per["step"] == 0].groupby("community")["active_members"].mean()
    order = start.sort_values(ascending=False).index
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(order)))
    for colour, name in zip(colours, order, strict=True):
        ax.plot(mean.index, mean[name], color=colour,
                label=f"{name} ({start[name]:.0f} members)")
    ax.set_xlabel("Month")
    ax.set_ylabel("Share of founding companies still active")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2, loc="lower left", title="community (size at start)",
              title_fontsize=7)
    ax.set_title("Retention per community")
    return save_figure(fig, path)


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
    ax.set_ylabel("Share of companies at or below this level")
    ax.set_title("Knowledge of active companies at the final month, all replications")
    ax.legend()
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def write_figures(
    out: Path, timeseries: pd.DataFrame, companies: pd.DataFrame, dimensions: int = 30
) -> list[Path]:
    """Write all figures of a run into ``out/figures``."""
    folder = Path(out) / "figures"
    return [
        plot_outcomes_over_time(timeseries, folder / "outcomes_over_time.png"),
        plot_retention_by_community(timeseries, folder / "retention_by_community.png"),
        plot_knowledge_distribution(companies, folder / "knowledge_distribution.png",
                                    dimensions),
    ]
