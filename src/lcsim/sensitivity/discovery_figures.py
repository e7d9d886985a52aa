"""The figures of scenario discovery: PRIM's trade-off and the chosen region.

* :func:`plot_tradeoff` — density against coverage of every box on PRIM's
  peeling trajectory, coloured by the number of restricted parameters, with
  the chosen box, the base rate and the least coverage allowed marked;
* :func:`plot_region` — the runs on the region's two most important numeric
  parameters, productive or not, with the region's box drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from lcsim.plotting import plt
from lcsim.plotting.figures import save_figure
from lcsim.plotting.style import PALETTE, SEQUENTIAL
from lcsim.sensitivity.discovery import (
    METHOD_NAMES,
    Discovery,
    Limit,
    Region,
    Words,
    percent,
)

#: Okabe–Ito blue for productive runs, grey for the others, vermillion for the
#: chosen box and the region (:data:`~lcsim.plotting.style.PALETTE`).
PRODUCTIVE = PALETTE[0]
NOT_PRODUCTIVE = "0.65"
HIGHLIGHT = PALETTE[3]


def plot_tradeoff(discovery: Discovery, path: Path, *, min_coverage: float | None = None
                  ) -> Path:
    """Coverage against density along PRIM's peeling trajectory, chosen box marked."""
    trajectory = discovery.trajectory
    most = int(trajectory["restricted"].max())
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    ax.plot(trajectory["coverage"], trajectory["density"], color="0.8", linewidth=0.8,
            zorder=1)
    points = ax.scatter(trajectory["coverage"], trajectory["density"],
                        c=trajectory["restricted"], cmap=plt.get_cmap(SEQUENTIAL, most + 1),
                        vmin=-0.5, vmax=most + 0.5, s=18, zorder=2)
    fig.colorbar(points, ax=ax, label="restricted parameters", ticks=range(most + 1))
    chosen = trajectory[trajectory["chosen"]].iloc[0]
    reported = any(r.method == "prim" for r in discovery.regions)
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=140, facecolors="none",
               edgecolors=HIGHLIGHT, linewidths=1.8, zorder=3,
               label=f"chosen box: coverage {percent(chosen['coverage'])}, density "
                     f"{percent(chosen['density'])}" + ("" if reported else " (not reported)"))
    ax.axhline(discovery.base_rate, color="black", linestyle="--", linewidth=0.8,
               label=f"base rate {percent(discovery.base_rate)}")
    if min_coverage is not None:
        ax.axvline(min_coverage, color="black", linestyle=":", linewidth=0.8,
                   label=f"least coverage {percent(min_coverage)}")
    ax.set_xlabel("coverage (share of the productive runs in the box)")
    ax.set_ylabel("density (share of the box's runs productive)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"PRIM peeling trajectory over {discovery.runs} runs")
    ax.legend(fontsize=8, loc="lower left")
    return save_figure(fig, path)


def plot_region(parameters: pd.DataFrame, productive: np.ndarray, region: Region,
                words: Mapping[str, Words], path: Path, *, seed: int = 0) -> Path:
    """The runs on the region's two most important numeric parameters, its box drawn.

    With one numeric restriction, the other axis is the first other numeric
    parameter (unrestricted: the box spans it). Whole-number axes are jittered
    by up to ±0.2 (a generator seeded with ``seed``) so that runs do not hide
    each other; replicates of a sample row share their values.
    """
    restricted = [limit for limit in region.limits if limit.values is None]
    numeric = [c for c in parameters.columns
               if pd.api.types.is_numeric_dtype(parameters[c])
               and not pd.api.types.is_bool_dtype(parameters[c])]
    names = [limit.parameter for limit in restricted[:2]]
    names += [c for c in numeric if c not in names][:2 - len(names)]
    limits = {limit.parameter: limit for limit in restricted}
    rng = np.random.default_rng(seed)

    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    coordinates = []
    for name in names:
        values = parameters[name].to_numpy(float)
        if pd.api.types.is_integer_dtype(parameters[name]):
            values = values + rng.uniform(-0.2, 0.2, len(values))
        coordinates.append(values)
    if len(coordinates) == 1:  # a single numeric parameter: spread the runs out
        coordinates.append(rng.uniform(0, 1, len(productive)))
    x, y = coordinates
    ax.scatter(x[~productive], y[~productive], s=12, color=NOT_PRODUCTIVE, alpha=0.7,
               label="not productive", linewidths=0)
    ax.scatter(x[productive], y[productive], s=12, color=PRODUCTIVE, alpha=0.7,
               label="productive", linewidths=0)
    spans = [_span(limits.get(name), parameters[name]) for name in names]
    if len(spans) == 1:
        spans.append((0.0, 1.0))
    (x0, x1), (y0, y1) = spans
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=HIGHLIGHT,
                           linewidth=1.8, label="region"))
    labels = [_label(words[name]) + ("" if name in limits else ", unrestricted")
              for name in names]
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1] if len(labels) > 1 else "(spread out)")
    ax.set_title(f"{METHOD_NAMES[region.method]} region: coverage "
                 f"{percent(region.coverage)}, density {percent(region.density)}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return save_figure(fig, path)


def _span(limit: Limit | None, column: pd.Series) -> tuple[float, float]:
    """The box along one axis: its bounds, or the data's range where unrestricted;
    around the jitter of whole numbers."""
    low, high = float(column.min()), float(column.max())
    if limit is not None:
        low = low if limit.lower is None else float(limit.lower)
        high = high if limit.upper is None else float(limit.upper)
    pad = 0.3 if pd.api.types.is_integer_dtype(column) else 0.0
    return low - pad, high + pad


def _label(words: Words) -> str:
    return f"{words.name} ({words.unit})" if words.unit else words.name
