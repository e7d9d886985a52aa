"""The figures of a sensitivity analysis, each drawn from a tidy table of indices.

* :func:`plot_indices` — bars of every per-parameter index (Sobol' S1 and ST,
  Morris mu_star and sigma, ...) of each outcome at its last month, with
  interval whiskers where the method gives an interval;
* :func:`plot_morris` — Morris's mu_star against sigma, one panel per outcome
  at its last month, points named, with the sigma/mu_star = 0.1, 0.5 and 1
  guide lines of Garcia Sanchez et al. (2014);
* :func:`plot_second_order` — Sobol' S2 as a parameters x parameters heatmap,
  one panel per outcome at its last month, cells whose interval includes zero
  hatched;
* :func:`plot_indices_over_time` — each index against the month, one line per
  parameter, interval bands where they exist;
* :func:`plot_convergence` — each index against the base size n (log2 axis)
  from ``convergence.csv``, one line per parameter, interval bands;
* :func:`write_figures` — the figures that apply, into an analysis directory.

Every ``plot_*`` function takes the table and a path, writes a PNG
atomically, closes its figure and returns the path; the ``*_figure``
functions draw the same figure and return it open (for tests, or to restyle).

Parameters are named by config path, shortened to their last parts when
longer than :data:`LABEL_WIDTH` (:func:`parameter_labels`); a parameter has
the same colour of the Okabe–Ito palette in every figure (and, past its
eight colours, its own marker and line style); S2 is drawn in the diverging
map :data:`~lcsim.plotting.style.DIVERGING`. A figure is never larger than
:data:`MAX_SIZE` inches: with many outcomes or parameters its panels shrink.

Units: Sobol', FAST, delta and PAWN indices are dimensionless. Morris's
mu_star and sigma are statistics of elementary effects taken over SALib's unit
hypercube, so they are in the outcome's units per whole range of the
parameter (its log range for ``dist: loguniform``).

References:
    Garcia Sanchez, D., Lacarrière, B., Musy, M. & Bourges, B. (2014).
    Application of sensitivity analysis in building energy simulations:
    combining first- and second-order elementary effects methods. Energy and
    Buildings 68, 741-750. https://doi.org/10.1016/j.enbuild.2012.08.048
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from lcsim.plotting import plt
from lcsim.plotting.figures import save_figure
from lcsim.plotting.style import DIVERGING, PALETTE

INDICES_FIGURE = "indices.png"
MORRIS_FIGURE = "morris.png"
SECOND_ORDER_FIGURE = "second_order.png"
OVER_TIME_FIGURE = "indices_over_time.png"
CONVERGENCE_FIGURE = "convergence.png"

#: Largest figure, in inches (at 120 dpi: 1920 x 1440 pixels).
MAX_SIZE = (16.0, 12.0)
#: Longest parameter label before it is shortened to its last parts.
LABEL_WIDTH = 32
#: Panels side by side at most.
MAX_COLUMNS = 4
#: The sigma / mu_star ratios of the guide lines (Garcia Sanchez et al. 2014):
#: below 0.1 the effect is almost linear, up to 0.5 monotonic, up to 1 almost
#: monotonic, above 1 non-linear or non-monotonic, or in interactions.
MORRIS_RATIOS = (0.1, 0.5, 1.0)

#: Indices in the outcome's units (elementary effects); all others are dimensionless.
MORRIS_INDICES = frozenset({"mu", "mu_star", "sigma"})
INDEX_NAMES = {"mu": "μ", "mu_star": "μ*", "sigma": "σ", "delta_raw": "δ",
               "median": "PAWN median", "maximum": "PAWN maximum", "CV": "PAWN CV"}
#: Units of the outcomes (docs/outputs.md, timeseries.parquet) for axis labels;
#: empty for the outcomes on a 0-1 scale without a unit, and for unknown ones.
OUTCOME_UNITS = {
    "active_members": "members", "retention": "share", "commitment_mean": "",
    "knowledge_mean": "knowledge level",
    "knowledge_growth": "knowledge level", "knowledge_sd": "knowledge level",
    "frontier_gap": "share of dimensions", "digital_maturity": "",
    "projects_started": "projects per month", "projects_succeeded": "projects per month",
    "innovations": "projects", "flow_company_company": "knowledge level per month",
    "flow_institution_company": "knowledge level per month",
    "flow_platform": "knowledge level per month", "tie_density": "", "productive": "",
    "productive_share": "share",
}


def parameter_labels(names: Sequence[str], width: int = LABEL_WIDTH) -> dict[str, str]:
    """Readable, distinct labels of parameters named by config path.

    A name of at most ``width`` characters stays whole; a longer one loses
    its leading parts, marked by "…", until it fits or only its last part
    is left (``…institutions_per_community_min``). Names that would then
    read alike keep their whole path.
    """
    labels = {}
    for name in names:
        parts, label = name.split("."), name
        for k in range(1, len(parts)):
            if len(label) <= width:
                break
            label = "…" + ".".join(parts[k:])
        labels[name] = label
    counts = Counter(labels.values())
    return {name: name if counts[label] > 1 else label for name, label in labels.items()}


def parameter_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour of :data:`~lcsim.plotting.style.PALETTE` per parameter, in order.

    The ninth parameter takes the first colour again: :func:`parameter_markers`
    tells the rounds apart.
    """
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


#: Marker and line style of each round through the palette's colours.
ROUNDS = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."))


def parameter_markers(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Marker and line style per parameter: one per round through :data:`PALETTE`."""
    return {name: ROUNDS[(i // len(PALETTE)) % len(ROUNDS)] for i, name in enumerate(names)}


def index_label(index: str | Sequence[str], outcome: str) -> str:
    """The axis label of one or more indices of an outcome, with their unit.

    ``S1, ST (dimensionless)``; ``μ* (share per parameter range)``; ``index
    value`` for indices of both kinds.
    """
    kinds = [index] if isinstance(index, str) else list(index)
    names = ", ".join(INDEX_NAMES.get(kind, kind) for kind in kinds)
    morris = sum(kind in MORRIS_INDICES for kind in kinds)
    if morris == 0:
        return f"{names} (dimensionless)"
    if morris < len(kinds):
        return "index value"
    unit = OUTCOME_UNITS.get(outcome, "")
    return f"{names} ({unit + ' ' if unit else ''}per parameter range)"


def _single(table: pd.DataFrame) -> pd.DataFrame:
    """The per-parameter rows: no second parameter."""
    if "parameter_2" not in table:
        return table
    second = table["parameter_2"]
    return table[second.isna() | (second.astype(str) == "")]


def _steps(table: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(table["step"], errors="coerce").astype(float)


def _at_last_month(table: pd.DataFrame) -> pd.DataFrame:
    """Each outcome's rows at its last month (all of them without months)."""
    steps = _steps(table)
    last = steps.groupby(table["outcome"]).transform("max")
    return table[(steps == last) | last.isna()]


def _title(outcome: str, step: float) -> str:
    return outcome if pd.isna(step) else f"{outcome}, month {int(step)}"


def _order(values: pd.Series) -> list:
    return list(dict.fromkeys(values))


def _interval(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with an interval, and their lower and upper distances from the value."""
    has = (rows["ci_low"].notna() & rows["ci_high"].notna()).to_numpy()
    value = rows["value"].to_numpy(float)
    below = np.clip(value - rows["ci_low"].to_numpy(float), 0, None)
    above = np.clip(rows["ci_high"].to_numpy(float) - value, 0, None)
    return has, below, above


def _panels(count: int, columns: int, panel: tuple[float, float],
            extra: tuple[float, float] = (0.0, 0.0)) -> tuple[plt.Figure, list[Axes]]:
    """A figure of ``count`` panels in rows of ``columns``, never above MAX_SIZE."""
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    size = (min(MAX_SIZE[0], columns * panel[0] + extra[0]),
            min(MAX_SIZE[1], rows * panel[1] + extra[1]))
    fig, axes = plt.subplots(rows, columns, figsize=size, squeeze=False,
                             layout="constrained")
    for ax in axes.flat[count:]:
        fig.delaxes(ax)
    return fig, list(axes.flat[:count])


def _closed_on_error(draw: Callable[..., plt.Figure]) -> Callable[..., plt.Figure]:
    """Close the figures ``draw`` opened if it fails: a batch job keeps none open."""

    @functools.wraps(draw)
    def drawing(*args, **kwargs) -> plt.Figure:
        before = set(plt.get_fignums())
        try:
            return draw(*args, **kwargs)
        except BaseException:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
            raise

    return drawing


def _write(fig: plt.Figure, path: Path) -> Path:
    """Save and close ``fig``; closed even if saving fails."""
    try:
        return save_figure(fig, Path(path))
    finally:
        plt.close(fig)


@_closed_on_error
def indices_figure(indices: pd.DataFrame) -> plt.Figure:
    """The figure of :func:`plot_indices`, open."""
    rows = _at_last_month(_single(indices))
    outcomes = _order(rows["outcome"])
    names = _order(rows["parameter"])
    kinds = _order(rows["index"])
    labels = parameter_labels(names)
    colours = {kind: PALETTE[k % len(PALETTE)] for k, kind in enumerate(kinds)}
    height = 0.8 / len(kinds)
    fig, axes = _panels(len(outcomes), MAX_COLUMNS,
                        (3.2, 1.3 + 0.13 * len(names) * len(kinds)), (1.6, 0.4))
    for i, (ax, outcome) in enumerate(zip(axes, outcomes, strict=True)):
        part = rows[rows["outcome"] == outcome]
        for k, kind in enumerate(kinds):
            bars = part[part["index"] == kind].set_index("parameter").reindex(names)
            y = np.arange(len(names)) + (k - (len(kinds) - 1) / 2) * height
            ax.barh(y, bars["value"], height, color=colours[kind],
                    label=INDEX_NAMES.get(kind, kind))
            has, below, above = _interval(bars)
            if has.any():
                ax.errorbar(bars["value"].to_numpy(float)[has], y[has],
                            xerr=[below[has], above[has]], fmt="none", ecolor="black",
                            elinewidth=0.8, capsize=2)
        ax.set_yticks(np.arange(len(names)), [labels[n] for n in names], fontsize=8)
        ax.tick_params(axis="y", labelleft=i % MAX_COLUMNS == 0)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel(index_label(kinds, outcome), fontsize=9)
        ax.set_title(_title(outcome, _steps(part).max()), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles, names_ = axes[0].get_legend_handles_labels()
    fig.legend(handles, names_, loc="outside upper center", ncols=len(kinds), fontsize=8)
    return fig


def plot_indices(indices: pd.DataFrame, path: Path) -> Path:
    """Bars of every per-parameter index of each outcome at its last month.

    One panel per outcome, a group of bars per parameter (one bar per index),
    whiskers only on the bars that have an interval.
    """
    return _write(indices_figure(indices), path)


@_closed_on_error
def morris_figure(indices: pd.DataFrame) -> plt.Figure:
    """The figure of :func:`plot_morris`, open."""
    rows = _at_last_month(_single(indices))
    rows = rows[rows["index"].isin(["mu_star", "sigma"])]
    outcomes = _order(rows["outcome"])
    names = _order(rows["parameter"])
    labels, colours = parameter_labels(names), parameter_colours(names)
    fig, axes = _panels(len(outcomes), 2, (5.6, 4.6))
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = rows[rows["outcome"] == outcome]
        mu = part[part["index"] == "mu_star"].set_index("parameter").reindex(names)
        sigma = part[part["index"] == "sigma"].set_index("parameter")["value"].reindex(names)
        x, y = mu["value"].to_numpy(float), sigma.to_numpy(float)
        ax.scatter(x, y, s=30, c=[colours[n] for n in names], zorder=3)
        has, below, above = _interval(mu)
        if has.any():
            ax.errorbar(x[has], y[has], xerr=[below[has], above[has]], fmt="none",
                        ecolor="0.55", elinewidth=0.8, capsize=2, zorder=2)

        # Axes from 0, room for the whiskers and the labels.
        right = np.nanmax(np.concatenate([x, np.where(has, x + above, np.nan), [0.0]]))
        top = np.nanmax(np.concatenate([y, [0.0]]))
        right = 1.25 * right if right > 0 else 1.0
        top = 1.15 * top if top > 0 else 1.0
        ax.set_xlim(0, right)
        ax.set_ylim(0, top)
        for ratio in MORRIS_RATIOS:
            ax.plot([0, right], [0, ratio * right], color="0.6", linestyle="--",
                    linewidth=0.8, zorder=1)
            end = (right, ratio * right) if ratio * right <= top else (top / ratio, top)
            ax.annotate(f"σ/μ* = {ratio:g}", end, xytext=(-2, -2), textcoords="offset points",
                        ha="right", va="top", fontsize=7, color="0.45")
        ax.set_xlabel(index_label("mu_star", outcome), fontsize=9)
        ax.set_ylabel(index_label("sigma", outcome), fontsize=9)
        ax.set_title(_title(outcome, _steps(part).max()), fontsize=10)
        ax.grid(alpha=0.3)
    fig.canvas.draw()  # lay the figure out: the labels' sizes in pixels
    renderer = fig.canvas.get_renderer()
    for ax, outcome in zip(axes, outcomes, strict=True):
        x, y = (rows[(rows["outcome"] == outcome) & (rows["index"] == kind)]
                .set_index("parameter")["value"].reindex(names).to_numpy(float)
                for kind in ("mu_star", "sigma"))
        _label_points(ax, renderer, x, y, [labels[n] for n in names],
                      [colours[n] for n in names])
    return fig


#: Where a point's label may go, in points from the point, tried in turn: beside
#: it, then further up or down with a leader line.
LABEL_SIZE = 7
LABEL_OFFSETS = [(4, 3), (4, -3), (-4, 3), (-4, -3)] + [
    (side * 6, sign * step) for step in (10, 20, 30) for side in (1, -1) for sign in (1, -1)]


def _label_points(ax: Axes, renderer: RendererBase, x: np.ndarray, y: np.ndarray,
                  texts: Sequence[str], colours: Sequence[tuple[float, ...]]) -> None:
    """Name each point, the largest x first, where its label overlaps no other label
    or point and stays inside the axes; in the first place tried if there is none."""
    scale = ax.figure.dpi / 72  # pixels per point
    frame = ax.get_window_extent(renderer)
    finite = np.isfinite(x) & np.isfinite(y)
    at = dict(zip(np.flatnonzero(finite),
                  ax.transData.transform(np.column_stack([x, y])[finite]), strict=True))
    radius = 3.0 * scale
    points = {i: Bbox.from_bounds(px - radius, py - radius, 2 * radius, 2 * radius)
              for i, (px, py) in at.items()}
    font = FontProperties(size=LABEL_SIZE)
    taken: list[Bbox] = []
    for i in sorted(at, key=lambda i: -x[i]):
        width, height, _ = renderer.get_text_width_height_descent(texts[i], font, False)
        others = taken + [box for k, box in points.items() if k != i]
        places = [(offset, _box_at(at[i], offset, width, height, scale))
                  for offset in LABEL_OFFSETS]
        offset, box = next(((offset, box) for offset, box in places
                            if _within(box, frame)
                            and not any(box.overlaps(other) for other in others)), places[0])
        _annotate(ax, texts[i], (x[i], y[i]), offset, colours[i])
        taken.append(box)


def _box_at(point: np.ndarray, offset: tuple[int, int], width: float, height: float,
            scale: float) -> Bbox:
    """The box of a label at ``offset`` points from ``point`` (pixels), aligned as
    :func:`_annotate` aligns it."""
    dx, dy = offset
    return Bbox.from_bounds(point[0] + dx * scale - (0 if dx > 0 else width),
                            point[1] + dy * scale - (0 if dy > 0 else height), width, height)


def _within(box: Bbox, frame: Bbox) -> bool:
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 \
        and box.y1 <= frame.y1


def _annotate(ax: Axes, text: str, xy: tuple[float, float], offset: tuple[int, int],
              colour: tuple[float, ...]) -> plt.Annotation:
    """A point's label at ``offset`` points from it, left out of the layout."""
    dx, dy = offset
    label = ax.annotate(text, xy, xytext=offset, textcoords="offset points",
                        ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top",
                        fontsize=LABEL_SIZE, color=colour, annotation_clip=False,
                        arrowprops=None if abs(dy) < 10 else {
                            "arrowstyle": "-", "color": "0.6", "linewidth": 0.5})
    label.set_in_layout(False)
    return label


def plot_morris(indices: pd.DataFrame, path: Path) -> Path:
    """Morris's mu_star against sigma of each outcome at its last month.

    One panel per outcome, one named point per parameter with the interval of
    mu_star as a whisker where it exists, and the guide lines sigma/mu_star =
    0.1, 0.5 and 1 (:data:`MORRIS_RATIOS`): far right means important,
    above the line of 1 means non-linear or interacting.
    """
    return _write(morris_figure(indices), path)


def second_order_matrix(rows: pd.DataFrame, names: Sequence[str]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """S2 of one outcome as a symmetric D x D matrix (NaN on the diagonal and
    where no pair is given), and where its interval includes zero."""
    where = {name: i for i, name in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    zero = np.zeros(matrix.shape, dtype=bool)
    for row in rows.itertuples():
        i, j = where[row.parameter], where[row.parameter_2]
        matrix[i, j] = matrix[j, i] = row.value
        zero[i, j] = zero[j, i] = bool(row.ci_low <= 0 <= row.ci_high)
    return matrix, zero


@_closed_on_error
def second_order_figure(indices: pd.DataFrame) -> plt.Figure:
    """The figure of :func:`plot_second_order`, open."""
    rows = _at_last_month(indices[indices["index"] == "S2"])
    outcomes = _order(rows["outcome"])
    names = _order(np.ravel(rows[["parameter", "parameter_2"]].to_numpy()))
    labels = parameter_labels(names)
    side = min(0.45 * len(names), 7.0) + 2.2
    fig, axes = _panels(len(outcomes), 2, (side + 0.8, side), (0.0, 0.4))
    cmap = plt.get_cmap(DIVERGING).with_extremes(bad="0.92")
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = rows[rows["outcome"] == outcome]
        matrix, zero = second_order_matrix(part, names)
        largest = np.nanmax(np.abs(matrix)) if np.isfinite(matrix).any() else 0.0
        largest = largest if largest > 0 else 1.0
        image = ax.imshow(matrix, cmap=cmap, vmin=-largest, vmax=largest)
        for i, j in zip(*np.nonzero(zero), strict=True):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                   edgecolor="0.55", linewidth=0))
        if len(names) <= 10:
            for i, j in zip(*np.nonzero(np.isfinite(matrix)), strict=True):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if abs(matrix[i, j]) > 0.6 * largest else "black")
        ticks = np.arange(len(names))
        ax.set_xticks(ticks, [labels[n] for n in names], rotation=40, ha="right",
                      rotation_mode="anchor", fontsize=8)
        ax.set_yticks(ticks, [labels[n] for n in names], fontsize=8)
        ax.set_title(_title(outcome, _steps(part).max()), fontsize=10)
        fig.colorbar(image, ax=ax, label=index_label("S2", outcome), shrink=0.8)
    fig.legend(handles=[Patch(facecolor="white", edgecolor="0.55", hatch="///",
                              label="interval includes 0")],
               loc="outside lower center", fontsize=8)
    return fig


def plot_second_order(indices: pd.DataFrame, path: Path) -> Path:
    """Sobol' S2 of each outcome at its last month as a parameters x parameters heatmap.

    The matrix is symmetric, its diagonal empty; values are written in the
    cells up to 10 parameters; cells whose interval includes zero are hatched.
    """
    return _write(second_order_figure(indices), path)


@_closed_on_error
def _lines_figure(table: pd.DataFrame, x: str, xlabel: str, *,
                  log2: bool = False) -> plt.Figure:
    """Each index of each outcome against ``x``, a line per parameter with bands."""
    outcomes = _order(table["outcome"])
    kinds = _order(table["index"])
    names = _order(table["parameter"])
    labels, colours = parameter_labels(names), parameter_colours(names)
    styles = parameter_markers(names)
    pairs = [(outcome, kind) for outcome in outcomes for kind in kinds
             if ((table["outcome"] == outcome) & (table["index"] == kind)).any()]
    columns = len(kinds) if len(kinds) <= MAX_COLUMNS else 3
    fig, axes = _panels(len(pairs), columns, (4.4, 2.7), (0.0, 0.3 + 0.2 * len(names) / 4))
    positions = np.sort(pd.unique(table[x].astype(float)))
    for ax, (outcome, kind) in zip(axes, pairs, strict=True):
        part = table[(table["outcome"] == outcome) & (table["index"] == kind)]
        for name in names:
            line = part[part["parameter"] == name].sort_values(x)
            at = line[x].to_numpy(float)
            ax.plot(at, line["value"], color=colours[name], marker=styles[name][0],
                    linestyle=styles[name][1], markersize=3, linewidth=1.2,
                    label=labels[name])
            has, _, _ = _interval(line)
            if has.any():
                ax.fill_between(at, line["ci_low"].where(has), line["ci_high"].where(has),
                                color=colours[name], alpha=0.12, linewidth=0)
        if kind not in MORRIS_INDICES:
            ax.axhline(0, color="black", linewidth=0.6)
        if log2:
            ax.set_xscale("log", base=2)
            ax.minorticks_off()
        if log2 or len(positions) <= 12:  # a tick at each n or month analysed
            ax.set_xticks(positions, [f"{p:g}" for p in positions])
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(index_label(kind, outcome), fontsize=9)
        step = _steps(part).max() if x != "step" else float("nan")
        ax.set_title(f"{_title(outcome, step)}: {INDEX_NAMES.get(kind, kind)}", fontsize=10)
        ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colours[n], marker=styles[n][0],
                          linestyle=styles[n][1], markersize=3, label=labels[n])
               for n in names]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8,
               ncols=min(len(names), 4))
    return fig


def over_time_figure(indices: pd.DataFrame) -> plt.Figure:
    """The figure of :func:`plot_indices_over_time`, open."""
    rows = _single(indices)
    rows = rows[_steps(rows).notna()]
    return _lines_figure(rows.assign(step=_steps(rows)), "step", "month")


def plot_indices_over_time(indices: pd.DataFrame, path: Path) -> Path:
    """Every per-parameter index against the month, one panel per outcome and index.

    One line per parameter; bands show the intervals where they exist.
    """
    return _write(over_time_figure(indices), path)


def convergence_figure(convergence: pd.DataFrame) -> plt.Figure:
    """The figure of :func:`plot_convergence`, open."""
    rows = _at_last_month(_single(convergence))
    return _lines_figure(rows, "n", "base sample size n (log2 scale)", log2=True)


def plot_convergence(convergence: pd.DataFrame, path: Path) -> Path:
    """Every per-parameter index against the base sample size n, on a log2 axis.

    ``convergence`` has the columns of ``convergence.csv``: ``outcome, step,
    n, parameter, parameter_2, index, value, ci_low, ci_high, interval``. One
    panel per outcome (at its last month) and index, one line per parameter,
    bands where intervals exist; second-order rows are left out.
    """
    return _write(convergence_figure(convergence), path)


def months(indices: pd.DataFrame) -> int:
    """The number of distinct months of the per-parameter indices."""
    return int(_steps(_single(indices)).nunique())


def write_figures(indices: pd.DataFrame, folder: Path, *,
                  convergence: pd.DataFrame | None = None) -> list[str]:
    """Write the figures that apply to an analysis into ``folder``; their file names.

    ``indices.png`` always; ``morris.png`` with Morris's mu_star and sigma;
    ``second_order.png`` with S2 rows; ``indices_over_time.png`` with two or
    more months; ``convergence.png`` with a convergence table of two or more sizes.
    """
    folder = Path(folder)
    kinds = set(indices["index"])
    written = [plot_indices(indices, folder / INDICES_FIGURE)]
    if {"mu_star", "sigma"} <= kinds:
        written.append(plot_morris(indices, folder / MORRIS_FIGURE))
    if "S2" in kinds:
        written.append(plot_second_order(indices, folder / SECOND_ORDER_FIGURE))
    if months(indices) >= 2:
        written.append(plot_indices_over_time(indices, folder / OVER_TIME_FIGURE))
    if convergence is not None and _single(convergence)["n"].nunique() >= 2:
        written.append(plot_convergence(convergence, folder / CONVERGENCE_FIGURE))
    return [path.name for path in written]
