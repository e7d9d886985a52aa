"""Figures of a sweep: two-parameter heatmaps of means and CI widths, regime maps.

Cells are the combinations of two swept parameters' values. A parameter with
more than ``max_levels`` distinct values (a Latin hypercube, say) is cut into
``max_levels`` equal-width bins, so that a figure's size, not the design's,
bounds its pixels; the runs of the other swept parameters are pooled into the
cells. Each cell's statistics come from its runs in ``sweep.parquet``: mean,
95 % t-interval width and the share of productive runs. For a grid over just
the two parameters, a cell is a design point and its mean and width are those
of ``summary.csv``.
"""

from __future__ import annotations

import fnmatch
import functools
from pathlib import Path

import numpy as np
import pandas as pd

from lcsim.config.schema import DiscoveryConfig
from lcsim.experiment.store import interval_table
from lcsim.plotting import plt
from lcsim.plotting.style import MAGNITUDE, SEQUENTIAL, save_figure, styled

#: Most distinct values an axis shows before its values are binned.
MAX_LEVELS = 12
REGIME_FIGURE = "regime_map.png"

#: Caption of each figure of a sweep, by file name (``*`` stands for the outcome).
CAPTIONS = {
    "heatmap_*.png": (
        "Final-month mean (left) and 95 % CI width (right, ci95_high - ci95_low) of an "
        "outcome over two swept parameters, from the runs of each cell; parameters with "
        f"more than {MAX_LEVELS} values are binned, other swept parameters pooled."),
    REGIME_FIGURE: (
        "Regime map: the share of runs that stayed productive (as analysis.discovery "
        "defines it; by default productive_share of at least 0.5 at the final month) "
        "over two swept parameters, with the runs per cell."),
}


def caption(name: str) -> str | None:
    """The caption of a sweep figure file, or None if it is not one."""
    return next((text for pattern, text in CAPTIONS.items()
                 if fnmatch.fnmatchcase(name, pattern)), None)


def axis_levels(column: pd.Series, max_levels: int = MAX_LEVELS) -> tuple[pd.Series, list]:
    """Each run's level on one axis, and the levels in order.

    Up to ``max_levels`` distinct values are levels themselves (sorted; text
    in order of appearance); more numbers are cut into ``max_levels``
    equal-width bins labelled by their ranges.
    """
    values = column.drop_duplicates()
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if len(values) <= max_levels or not numeric:
        order = sorted(values.tolist()) if numeric else values.tolist()
        return column, order
    edges = np.linspace(column.min(), column.max(), max_levels + 1)
    labels = [f"{lo:.3g}-{hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    binned = pd.cut(column, edges, labels=labels, include_lowest=True)
    return binned.astype(str), labels


def cell_statistics(table: pd.DataFrame, x: str, y: str, outcome: str,
                    max_levels: int = MAX_LEVELS) -> pd.DataFrame:
    """Per cell of ``x`` × ``y``: mean, SD, n and 95 % t-interval of ``outcome``.

    Returns one row per cell that holds runs: ``x``, ``y`` (levels),
    ``mean``, ``sd``, ``n``, ``ci95_low``, ``ci95_high`` and ``width``.
    """
    xs, _ = axis_levels(table[x], max_levels)
    ys, _ = axis_levels(table[y], max_levels)
    long = pd.DataFrame({"x": xs.to_numpy(), "y": ys.to_numpy(),
                         "value": table[outcome].to_numpy(float)})
    cells = interval_table(long, ["x", "y"])
    cells["width"] = cells["ci95_high"] - cells["ci95_low"]
    return cells


def productive_runs(table: pd.DataFrame, settings: DiscoveryConfig | None = None
                    ) -> pd.Series:
    """Which runs are productive, as scenario discovery classifies them."""
    from lcsim.sensitivity.discovery import classify

    settings = settings if settings is not None else DiscoveryConfig()
    return classify(table[settings.outcome], settings.threshold, settings.direction)


def regime_cells(table: pd.DataFrame, x: str, y: str, productive: pd.Series,
                 max_levels: int = MAX_LEVELS) -> pd.DataFrame:
    """Per cell: ``runs``, ``productive_runs`` and ``share`` (productive / runs)."""
    xs, _ = axis_levels(table[x], max_levels)
    ys, _ = axis_levels(table[y], max_levels)
    frame = pd.DataFrame({"x": xs.to_numpy(), "y": ys.to_numpy(),
                          "productive": np.asarray(productive, dtype=bool)})
    cells = frame.groupby(["x", "y"], sort=False)["productive"].agg(
        runs="count", productive_runs="sum").reset_index()
    cells["share"] = cells["productive_runs"] / cells["runs"]
    return cells


def _grid(cells: pd.DataFrame, column: str, xs: list, ys: list) -> np.ndarray:
    grid = cells.pivot(index="y", columns="x", values=column)
    return grid.reindex(index=ys, columns=xs).to_numpy(float)


@functools.cache
def _units() -> dict[str, str]:
    from lcsim.config.params import describe
    from lcsim.config.schema import LcsimConfig

    return {row["name"]: row["unit"] for row in describe(LcsimConfig)}


def axis_label(key: str) -> str:
    """A swept key with its unit from the schema: ``facilitation.capacity (actions/month)``."""
    unit = _units().get(key)
    return f"{key} ({unit})" if unit else key


def _draw(ax: plt.Axes, grid: np.ndarray, xs: list, ys: list, x: str, y: str, cmap: str,
          label: str, *, fmt: str = "{:.3g}", vmin: float | None = None,
          vmax: float | None = None, counts: np.ndarray | None = None) -> None:
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.9)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs], rotation=30, ha="right")
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.grid(False)
    if len(xs) * len(ys) <= 64:
        for (row, col), value in np.ndenumerate(grid):
            if np.isfinite(value):
                text = fmt.format(value)
                if counts is not None:
                    text += f"\n({counts[row, col]:.0f} runs)"
                # Light text on the dark end of the map, dark text on the light end.
                dark = image.norm(value) < 0.5 if np.ptp(image.get_clim()) else True
                ax.text(col, row, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")


@styled
def plot_sweep_heatmap(table: pd.DataFrame, x: str, y: str, outcome: str, path: Path, *,
                       unit: str = "", max_levels: int = MAX_LEVELS) -> Path:
    """Heatmaps of ``outcome``'s cell means and 95 % CI widths over ``x`` and ``y``."""
    cells = cell_statistics(table, x, y, outcome, max_levels)
    _, xs = axis_levels(table[x], max_levels)
    _, ys = axis_levels(table[y], max_levels)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    units = f" ({unit})" if unit else ""
    _draw(left, _grid(cells, "mean", xs, ys), xs, ys, x, y, SEQUENTIAL,
          f"mean {outcome}{units}")
    _draw(right, _grid(cells, "width", xs, ys), xs, ys, x, y, MAGNITUDE,
          f"95 % CI width{units}")
    left.set_title(f"{outcome}: mean at the final month")
    right.set_title(f"{outcome}: 95 % CI width (runs per cell: {cells['n'].min()}"
                    f"-{cells['n'].max()})")
    return save_figure(fig, path)


@styled
def plot_regime_map(table: pd.DataFrame, x: str, y: str, productive: pd.Series, path: Path,
                    *, definition: str = "", max_levels: int = MAX_LEVELS) -> Path:
    """Share of productive runs per cell of ``x`` × ``y``."""
    cells = regime_cells(table, x, y, productive, max_levels)
    _, xs = axis_levels(table[x], max_levels)
    _, ys = axis_levels(table[y], max_levels)
    fig, ax = plt.subplots(figsize=(6.8, 5), layout="constrained")
    _draw(ax, _grid(cells, "share", xs, ys), xs, ys, x, y, SEQUENTIAL,
          "share of runs productive (0-1)", fmt="{:.0%}", vmin=0, vmax=1,
          counts=_grid(cells, "runs", xs, ys))
    ax.set_title("Regime map" + (f": {definition}" if definition else ""))
    return save_figure(fig, path)


def figure_axes(folder: Path) -> list[str]:
    """The two swept parameters a sweep's figures show, or fewer if it has fewer.

    The first two columns of ``design.csv`` with more than one value.
    """
    design = pd.read_csv(Path(folder) / "design.csv")
    return [c for c in design.columns if c != "point" and design[c].nunique() > 1][:2]


def write_sweep_figures(folder: Path, outcomes: list[str],
                        settings: DiscoveryConfig | None = None) -> list[Path]:
    """Write a finished sweep's heatmaps and regime map into ``folder/figures``.

    Nothing with fewer than two swept parameters, or without runs.

    Args:
        folder: The sweep directory (``sweep.parquet``, ``design.csv``).
        outcomes: Outcomes of the heatmaps (``sweep.key_outcomes``).
        settings: The definition of a productive run (``analysis.discovery``).
    """
    from lcsim.plotting.figures import KEY_OUTCOMES

    folder = Path(folder)
    axes = figure_axes(folder)
    table = pd.read_parquet(folder / "sweep.parquet")
    if len(axes) < 2 or table.empty:
        return []
    x, y = axes
    units = {name: unit for name, (_, unit) in KEY_OUTCOMES.items()}
    paths = [plot_sweep_heatmap(table, x, y, outcome, folder / "figures"
                                / f"heatmap_{outcome}.png", unit=units.get(outcome, ""))
             for outcome in outcomes if outcome in table.columns]
    settings = settings if settings is not None else DiscoveryConfig()
    if settings.outcome in table.columns:
        sign = ">=" if settings.direction == "at_least" else "<="
        paths.append(plot_regime_map(
            table, x, y, productive_runs(table, settings), folder / "figures" / REGIME_FIGURE,
            definition=f"{settings.outcome} {sign} {settings.threshold:g}"))
    return paths

