"""The figure of a sensitivity analysis: each outcome's indices at its last month.

One panel per outcome, bars per parameter for each first- or total-order
index (Sobol' S1 and ST, Morris mu_star, ...) with interval whiskers where the
method gives intervals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lcsim.plotting import plt
from lcsim.plotting.figures import save_figure


def plot_indices(indices: pd.DataFrame, path: Path) -> Path:
    """Bars of every per-parameter index of each outcome at its last month."""
    single = indices[indices["parameter_2"].fillna("") == ""]
    outcomes = list(dict.fromkeys(single["outcome"]))
    fig, axes = plt.subplots(len(outcomes), 1, figsize=(8, 2.6 * len(outcomes)),
                             squeeze=False, layout="constrained")
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        rows = single[single["outcome"] == outcome]
        last = rows["step"].max()
        if not pd.isna(last):
            rows = rows[rows["step"] == last]
        names = list(dict.fromkeys(rows["parameter"]))
        kinds = list(dict.fromkeys(rows["index"]))
        width = 0.8 / len(kinds)
        for k, kind in enumerate(kinds):
            part = rows[rows["index"] == kind].set_index("parameter").reindex(names)
            x = np.arange(len(names)) + (k - (len(kinds) - 1) / 2) * width
            error = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]])
            ax.bar(x, part["value"], width, label=kind,
                   yerr=None if part["ci_low"].isna().all() else np.nan_to_num(error),
                   capsize=3)
        ax.set_xticks(np.arange(len(names)), names, rotation=15, fontsize=8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(outcome if pd.isna(last) else f"{outcome}, month {last}")
        ax.legend(fontsize=8)
    return save_figure(fig, path)
