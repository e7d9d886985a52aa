"""Scenario discovery: the regions of parameter space where communities stay productive.

A run (one sample row and replicate) is *productive* when its outcome at the
final month is at least ``analysis.discovery.threshold`` (``direction:
at_most``: at most). The default outcome is ``productive_share``, the share
of communities productive at the final month under the month-level
thresholds of ``productive.*`` — the model's headline outcome. Two methods
then look for boxes of parameter values that hold mostly productive runs:

* **PRIM** (patient rule induction) peels thin slices (``peel_alpha`` of the
  runs in the box) off the box of all runs, each time the slice whose removal
  raises the share of productive runs most per run removed, until the box
  holds ``mass_min`` of the runs, then pastes back what raises that share.
  The boxes along the way trade coverage for density (the peeling
  trajectory); the chosen box is the densest one that still holds at least
  ``min_coverage`` of the productive runs (ties: the larger coverage).
* **CART**: a classification tree of depth ``depth`` with balanced class
  weights and leaves of at least ``mass_min`` of the runs; every leaf whose
  density is above the base rate (the leaves the balanced tree classifies
  productive) is a box.

For a box: *coverage* is the share of all productive runs that lie in it,
*density* the share of its runs that are productive; both are computed from
the box as stated (bounds inclusive) on all runs. Only restricted parameters
appear in a box. A method searching long enough finds a box denser than the
base rate even when the outcome has nothing to do with the parameters, so a
region is reported only if it beats chance: the runs' outcomes are shuffled
``shuffles`` times (a generator seeded from the analysis seed), the method is
run on each shuffle, and the share of shuffles — the data counted as one —
whose best region is at least as dense must be at most ``significance``.

:func:`discover` is the core, a pure function of a table of parameter values
and a boolean outcome per run; :func:`discover_analysis` runs it on the stored
runs of a sensitivity analysis, :func:`discover_sweep` on a sweep directory.

References:
    Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional
    data. Statistics and Computing 9, 123-143.
    https://doi.org/10.1023/A:1008894516817

    Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a
    participatory, computer-assisted approach to scenario discovery.
    Technological Forecasting and Social Change 77, 34-49.
    https://doi.org/10.1016/j.techfore.2009.08.002

    Breiman, L., Friedman, J. H., Olshen, R. A. & Stone, C. J. (1984).
    Classification and Regression Trees. Wadsworth.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lcsim.config.params import describe
from lcsim.config.schema import DISCOVERY_METHODS, DiscoveryConfig, LcsimConfig
from lcsim.errors import ConfigError, LcsimError
from lcsim.files import atomic_write, write_text

if TYPE_CHECKING:
    from lcsim.sensitivity.study import Analysis
    from lcsim.sweep.plan import Plan

log = logging.getLogger(__name__)

REGIONS = "discovery.csv"
STATEMENTS = "discovery.txt"
TRAJECTORY = "discovery_trajectory.csv"
RUN_TABLE = "discovery_runs.csv"
TRADEOFF_FIGURE = "discovery_tradeoff.png"
REGION_FIGURE = "discovery_region.png"
#: Columns of ``discovery.csv``: one row per restricted parameter of a region.
REGION_COLUMNS = ["method", "region", "parameter", "lower", "upper", "values", "coverage",
                  "density", "runs", "productive_runs", "p_value", "quasi_p"]
#: Columns of ``discovery_trajectory.csv``: one row per box of PRIM's trajectory.
TRAJECTORY_COLUMNS = ["step", "coverage", "density", "mass", "runs", "restricted",
                      "chosen"]
#: The outcome of the model's own definition of a productive run.
HEADLINE = "productive_share"
METHOD_NAMES = {"prim": "PRIM", "cart": "CART"}


@dataclass(frozen=True)
class Limit:
    """One restricted parameter of a region.

    Attributes:
        parameter: The parameter (column name, a config path).
        lower: Least value in the region (inclusive), or None if unrestricted.
        upper: Largest value in the region (inclusive), or None if unrestricted.
        values: For a categorical parameter, the values in the region.
        quasi_p: One-sided binomial probability of the region's productive
            runs if this restriction were dropped (Bryant & Lempert 2010):
            small means the restriction matters.
    """

    parameter: str
    lower: Any = None
    upper: Any = None
    values: tuple[Any, ...] | None = None
    quasi_p: float = math.nan

    def holds(self, column: pd.Series) -> np.ndarray:
        """Which values of the column lie within this limit."""
        if self.values is not None:
            return column.isin(list(self.values)).to_numpy()
        inside = np.ones(len(column), dtype=bool)
        values = column.to_numpy()
        if self.lower is not None:
            inside &= values >= self.lower
        if self.upper is not None:
            inside &= values <= self.upper
        return inside


@dataclass(frozen=True)
class Region:
    """A box of parameter values and how well it holds the productive runs.

    Attributes:
        method: ``prim`` or ``cart``.
        number: 1, 2, ... within the method (CART: densest first).
        limits: The restricted parameters, the most important first (the one
            whose removal lowers the density most).
        runs: Runs in the region.
        productive_runs: Productive runs in the region.
        coverage: productive_runs / all productive runs.
        density: productive_runs / runs.
        p_value: Share of shuffles (the data counted as one) whose best region
            is at least as dense; NaN without shuffles.
    """

    method: str
    number: int
    limits: tuple[Limit, ...]
    runs: int
    productive_runs: int
    coverage: float
    density: float
    p_value: float = math.nan

    def inside(self, parameters: pd.DataFrame) -> np.ndarray:
        """Which rows of the parameter table lie in the region."""
        inside = np.ones(len(parameters), dtype=bool)
        for limit in self.limits:
            inside &= limit.holds(parameters[limit.parameter])
        return inside


@dataclass
class MethodResult:
    """What one method found.

    Attributes:
        method: ``prim`` or ``cart``.
        regions: The regions that beat the base rate and chance, reported.
        candidates: Every region it proposed with a restriction and a density
            above the base rate, reported or not.
    """

    method: str
    regions: list[Region] = field(default_factory=list)
    candidates: list[Region] = field(default_factory=list)


@dataclass
class Discovery:
    """The result of scenario discovery over a set of runs.

    Attributes:
        runs: Runs classified.
        productive_runs: Runs classified productive.
        methods: What each method found, in the order asked for.
        trajectory: PRIM's peeling trajectory (``TRAJECTORY_COLUMNS``), or
            None when PRIM did not run.
        shuffles: Shuffles of the outcomes behind the p-values.
    """

    runs: int
    productive_runs: int
    methods: list[MethodResult]
    trajectory: pd.DataFrame | None = None
    shuffles: int = 0

    @property
    def base_rate(self) -> float:
        """Share of all runs that are productive."""
        return self.productive_runs / self.runs if self.runs else math.nan

    @property
    def regions(self) -> list[Region]:
        """Every reported region, method by method."""
        return [region for result in self.methods for region in result.regions]


# ---------------------------------------------------------------------------
# The core: classify and discover


def classify(outcome: pd.Series, threshold: float, direction: str = "at_least") -> pd.Series:
    """Productive runs: outcome at least (``at_least``) or at most the threshold."""
    return outcome >= threshold if direction == "at_least" else outcome <= threshold


def discover(parameters: pd.DataFrame, productive: pd.Series | np.ndarray,
             settings: DiscoveryConfig | None = None, *, seed: int = 0) -> Discovery:
    """Find the regions of parameter space that hold mostly productive runs.

    Args:
        parameters: One row per run, one column per parameter: integer
            columns stay integers, text and boolean columns are categorical.
        productive: One boolean per run, in the order of ``parameters``.
        settings: Methods and their settings (``analysis.discovery``);
            defaults if None.
        seed: Seeds the shuffles of the chance check and CART's tie-breaking.

    Raises:
        ConfigError: An unknown method, or a significance no number of
            shuffles can reach.
        LcsimError: Tables of different lengths, or missing values.
    """
    settings = settings if settings is not None else DiscoveryConfig()
    check_methods(settings)
    x = _prepared(parameters)
    y = np.asarray(productive)
    if y.dtype != bool:
        if pd.isna(y).any():
            raise LcsimError("scenario discovery: the productive flags hold missing values")
        y = y.astype(bool)
    if len(y) != len(x):
        raise LcsimError(f"scenario discovery: {len(x)} rows of parameters but {len(y)} "
                         "productive flags")
    if x.isna().any().any():
        raise LcsimError("scenario discovery: the parameter table holds missing values")

    discovery = Discovery(len(y), int(y.sum()), [], shuffles=settings.shuffles)
    if discovery.productive_runs in (0, discovery.runs) or x.shape[1] == 0:
        discovery.methods = [MethodResult(m) for m in settings.methods]
        return discovery
    for method in settings.methods:
        rng = np.random.default_rng([seed, DISCOVERY_METHODS.index(method)])
        started = time.perf_counter()
        if method == "prim":
            trajectory, candidates = _prim(x, y, settings)
            discovery.trajectory = trajectory
        else:
            candidates = _cart(x, y, settings, seed)
        result = MethodResult(method, candidates=candidates)
        if candidates and settings.shuffles:
            nulls = np.array([_best(method, x, rng.permutation(y), settings, seed)
                              for _ in range(settings.shuffles)])
            candidates = [_with_p_value(region, nulls) for region in candidates]
            result.candidates = candidates
            result.regions = [r for r in candidates if r.p_value <= settings.significance]
        else:
            result.regions = list(candidates)
        log.debug("%s: %d candidate region(s), %d reported, in %.1f s", method,
                  len(result.candidates), len(result.regions), time.perf_counter() - started)
        discovery.methods.append(result)
    return discovery


def check_methods(settings: DiscoveryConfig) -> None:
    """Refuse unknown or repeated methods and a significance that cannot be reached."""
    key = "analysis.discovery"
    for method in settings.methods:
        if method not in DISCOVERY_METHODS:
            raise ConfigError(f"{key}.methods", method,
                              "prim, cart, or [] for no scenario discovery")
    if len(set(settings.methods)) < len(settings.methods):
        raise ConfigError(f"{key}.methods", list(settings.methods), "each method once")
    if settings.shuffles and settings.significance < 1 / (settings.shuffles + 1):
        raise ConfigError(f"{key}.significance", settings.significance,
                          f"at least 1/(shuffles + 1) = {1 / (settings.shuffles + 1):.3g}, the "
                          f"least share {settings.shuffles} shuffles can show; or more shuffles")


def check_settings(config: LcsimConfig) -> None:
    """Check ``analysis.discovery`` against the model before anything runs.

    Raises:
        ConfigError: Naming the key, the value and what is allowed.
    """
    from lcsim.experiment.runner import outcome_names

    settings = config.analysis.discovery
    check_methods(settings)
    if not settings.methods:
        return
    # The flag `productive` has no value for all communities together.
    known = [name for name in outcome_names(config) if name != "productive"]
    if settings.outcome not in known:
        raise ConfigError("analysis.discovery.outcome", settings.outcome,
                          f"a final-month outcome of model={config.model}: "
                          f"{', '.join(known)}; or analysis.discovery.methods=[] for no "
                          "scenario discovery")
    if settings.outcome == HEADLINE and settings.threshold > 1.0:
        raise ConfigError("analysis.discovery.threshold", settings.threshold,
                          f"a share from 0 to 1 for {HEADLINE}")


def _prepared(parameters: pd.DataFrame) -> pd.DataFrame:
    """Numbers stay numbers (integers as int64); text and booleans become categories."""
    columns = {}
    for name in parameters.columns:
        column = parameters[name]
        if _categorical(column):
            columns[str(name)] = pd.Series(column.to_numpy(object), dtype=object)
        elif pd.api.types.is_integer_dtype(column):
            columns[str(name)] = pd.Series(column.to_numpy(np.int64))
        else:
            columns[str(name)] = pd.Series(column.to_numpy(np.float64))
    return pd.DataFrame(columns)


def _categorical(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column)


def _region(method: str, number: int, limits: list[Limit], x: pd.DataFrame,
            y: np.ndarray) -> Region:
    """The region of these limits, its statistics on all runs, limits by importance."""
    from scipy.stats import binom

    masks = [limit.holds(x[limit.parameter]) for limit in limits]
    inside = np.logical_and.reduce(masks) if masks else np.ones(len(y), dtype=bool)
    runs, hits = int(inside.sum()), int(y[inside].sum())
    density = hits / runs if runs else 0.0
    ranked = []
    for j, limit in enumerate(limits):
        # The region without this restriction: how dense, and how likely the
        # region's productive runs would be at that density.
        others = [m for i, m in enumerate(masks) if i != j]
        wider = np.logical_and.reduce(others) if others else np.ones(len(y), dtype=bool)
        wider_density = y[wider].mean()
        quasi_p = float(binom.sf(hits - 1, runs, wider_density)) if runs else math.nan
        ranked.append((density - wider_density, j, Limit(limit.parameter, limit.lower,
                                                         limit.upper, limit.values,
                                                         quasi_p)))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return Region(method, number, tuple(item[2] for item in ranked), runs, hits,
                  hits / int(y.sum()), density)


def _with_p_value(region: Region, nulls: np.ndarray) -> Region:
    """The region with the share of shuffles (and the data) whose best region is as
    good: as dense, or as dense and covering as much (the order regions are chosen in).
    """
    tolerance = 1e-12
    density, coverage = nulls[:, 0], nulls[:, 1]
    as_good = (density > region.density + tolerance) | (
        (np.abs(density - region.density) <= tolerance)
        & (coverage >= region.coverage - tolerance))
    p_value = (1 + int(as_good.sum())) / (1 + len(nulls))
    return Region(region.method, region.number, region.limits, region.runs,
                  region.productive_runs, region.coverage, region.density, p_value)


def _best(method: str, x: pd.DataFrame, y: np.ndarray, settings: DiscoveryConfig,
          seed: int) -> tuple[float, float]:
    """Density and coverage of the best region the method proposes; of all runs if none."""
    candidates = _prim(x, y, settings)[1] if method == "prim" else _cart(x, y, settings, seed)
    return max(((r.density, r.coverage) for r in candidates), default=(float(y.mean()), 1.0))


# ---------------------------------------------------------------------------
# PRIM


def _prim(x: pd.DataFrame, y: np.ndarray, settings: DiscoveryConfig
          ) -> tuple[pd.DataFrame, list[Region]]:
    """PRIM's peeling trajectory and its chosen box, if it restricts anything and
    is denser than the base rate."""
    from prim import Prim

    import lcsim.plotting  # noqa: F401 - the Agg backend, whatever PRIM's pyplot chose

    prim = Prim(x, y, peel_alpha=settings.peel_alpha, paste_alpha=settings.peel_alpha,
                mass_min=settings.mass_min)
    box = prim.find_box()
    steps = box.peeling_trajectory
    trajectory = pd.DataFrame({
        "step": np.arange(len(steps)),
        "coverage": steps["coverage"].to_numpy(float),
        "density": steps["density"].to_numpy(float),
        "mass": steps["mass"].to_numpy(float),
        "runs": np.rint(steps["mass"].to_numpy(float) * len(y)).astype(np.int64),
        "restricted": steps["res dim"].to_numpy(np.int64),
    })
    eligible = trajectory[trajectory["coverage"] >= settings.min_coverage - 1e-12]
    chosen = int(eligible.sort_values(["density", "coverage", "step"],
                                      ascending=[False, False, True]).iloc[0]["step"])
    trajectory["chosen"] = trajectory["step"] == chosen

    # PRIM 1.0.0 keeps the limits of the trajectory's boxes in _box_lims only.
    limits = _prim_limits(box._box_lims[chosen], x)
    region = _region("prim", 1, limits, x, y)
    keep = bool(limits) and region.density > y.mean()
    return trajectory, [region] if keep else []


def _prim_limits(box: np.ndarray, x: pd.DataFrame) -> list[Limit]:
    """The restricted sides of a PRIM box, against the range of the data."""
    limits = []
    for name in x.columns:
        column = x[name]
        if _categorical(column):
            kept = box[name][0]
            if len(kept) < column.nunique():
                limits.append(Limit(name, values=tuple(_sorted(kept))))
            continue
        low, high = box[name][0], box[name][1]
        lower = _plain(low, column) if low > column.min() else None
        upper = _plain(high, column) if high < column.max() else None
        if lower is not None or upper is not None:
            limits.append(Limit(name, lower, upper))
    return limits


def _plain(value: Any, column: pd.Series) -> int | float:
    return int(value) if pd.api.types.is_integer_dtype(column) else float(value)


def _sorted(values: Any) -> list[Any]:
    return sorted(values, key=lambda v: (str(type(v)), v))


# ---------------------------------------------------------------------------
# CART


def _cart(x: pd.DataFrame, y: np.ndarray, settings: DiscoveryConfig, seed: int
          ) -> list[Region]:
    """The leaves of a shallow balanced classification tree denser than the base rate."""
    from sklearn.tree import DecisionTreeClassifier

    features, sources = _encoded(x)
    tree = DecisionTreeClassifier(max_depth=settings.depth, min_samples_leaf=settings.mass_min,
                                  class_weight="balanced", random_state=seed)
    tree.fit(features, y)
    nodes = tree.tree_
    regions = []
    # Depth-first from the root: each path's splits bound its leaf.
    stack: list[tuple[int, dict[str, Any]]] = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        left, right = nodes.children_left[node], nodes.children_right[node]
        if left == right:
            limits = _cart_limits(bounds, x)
            region = _region("cart", 0, limits, x, y)
            if limits and region.runs and region.density > y.mean():
                regions.append(region)
            continue
        name, category = sources[nodes.feature[node]]
        threshold = float(nodes.threshold[node])
        stack.append((right, _split(bounds, name, category, threshold, above=True)))
        stack.append((left, _split(bounds, name, category, threshold, above=False)))
    regions.sort(key=lambda r: (-r.density, -r.coverage))
    return [Region(r.method, i + 1, r.limits, r.runs, r.productive_runs, r.coverage,
                   r.density) for i, r in enumerate(regions)]


def _encoded(x: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """Numbers as they are, each category of a categorical parameter as a 0/1 column."""
    columns, sources = [], []
    for name in x.columns:
        column = x[name]
        if _categorical(column):
            for value in _sorted(column.unique()):
                columns.append((column == value).to_numpy(float))
                sources.append((name, value))
        else:
            columns.append(column.to_numpy(float))
            sources.append((name, None))
    return np.column_stack(columns), sources


def _split(bounds: dict[str, Any], name: str, category: Any, threshold: float, *,
           above: bool) -> dict[str, Any]:
    """The bounds of one side of a split: value > threshold (above) or <= threshold."""
    bounds = dict(bounds)
    if category is not None:
        # A 0/1 column: above is "is this category", below "is another one".
        excluded, only = bounds.get(name, (frozenset(), None))
        bounds[name] = (excluded, category) if above else (excluded | {category}, only)
        return bounds
    lower, upper = bounds.get(name, (-math.inf, math.inf))
    bounds[name] = (max(lower, threshold), upper) if above else (lower, min(upper, threshold))
    return bounds


def _cart_limits(bounds: dict[str, Any], x: pd.DataFrame) -> list[Limit]:
    """The limits of a leaf, in column order; integer bounds as whole numbers."""
    limits = []
    for name in x.columns:
        if name not in bounds:
            continue
        column = x[name]
        if _categorical(column):
            excluded, only = bounds[name]
            if only is not None:
                kept = [] if only in excluded else [only]
            else:
                kept = [v for v in _sorted(column.unique()) if v not in excluded]
            limits.append(Limit(name, values=tuple(kept)))
            continue
        lower, upper = bounds[name]
        integer = pd.api.types.is_integer_dtype(column)
        # The split is value > lower or value <= upper; for whole numbers that
        # is value >= floor(lower) + 1 and value <= floor(upper).
        if math.isfinite(lower):
            lower = math.floor(lower) + 1 if integer else lower
        if math.isfinite(upper):
            upper = math.floor(upper) if integer else upper
        limits.append(Limit(name, lower if math.isfinite(lower) else None,
                            upper if math.isfinite(upper) else None))
    return limits


# ---------------------------------------------------------------------------
# Plain words


@dataclass(frozen=True)
class Words:
    """How a parameter or outcome reads in a sentence: its name and unit."""

    name: str
    unit: str = ""


def parameter_words(keys: Sequence[str]) -> dict[str, Words]:
    """Readable names and schema units of config paths.

    The name is the key's last part with spaces (``participation cost``),
    with the part before it when the last part is one word (``facilitation
    capacity``, ``trust loss``), and ``n_`` read as "number of"; two keys that
    would read alike keep their whole path.
    """
    from lcsim.config.schema import LcsimConfig

    units = {row["name"]: row.get("unit") or "" for row in describe(LcsimConfig)}
    names = {key: _key_words(key) for key in keys}
    alike = {n for n in names.values() if list(names.values()).count(n) > 1}
    return {key: Words(key.replace(".", " ").replace("_", " ") if names[key] in alike
                       else names[key], units.get(key, "")) for key in keys}


def _key_words(key: str) -> str:
    parts = key.split(".")
    leaf = parts[-1]
    words = ("number of " + leaf[2:] if leaf.startswith("n_") else leaf).replace("_", " ")
    if "_" not in leaf and len(parts) > 1:
        words = parts[-2].replace("_", " ") + " " + words
    return words


def number_text(value: Any) -> str:
    """A bound in words: whole numbers as they are, others to 2 significant digits."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return np.format_float_positional(float(value), precision=2, unique=True,
                                      fractional=False, trim="-")


def percent(share: float) -> str:
    """A share as a whole percentage, ``84 %``."""
    return f"{round(100 * share):d} %"


#: Units read as a count of themselves, plural unless the number is 1.
COUNTED_UNITS = ("month", "period", "run")


def condition(limit: Limit, words: Words) -> str:
    """One restriction in words: ``facilitation capacity ≥ 4 actions/month``.

    A counted unit takes its plural after a number other than 1: ``patience
    ≥ 10 months``.
    """
    if limit.values is not None:
        return f"{words.name} is " + " or ".join(number_text(v) for v in limit.values)
    if limit.lower is not None and limit.upper is not None:
        return (f"{words.name} from {number_text(limit.lower)} to "
                f"{number_text(limit.upper)}{unit_text(limit.upper, words.unit)}")
    if limit.lower is not None:
        return f"{words.name} ≥ {number_text(limit.lower)}{unit_text(limit.lower, words.unit)}"
    return f"{words.name} ≤ {number_text(limit.upper)}{unit_text(limit.upper, words.unit)}"


def unit_text(value: Any, unit: str) -> str:
    """The unit after a number, with its leading space; empty without a unit."""
    if not unit:
        return ""
    if unit in COUNTED_UNITS and number_text(value) != "1":
        return f" {unit}s"
    return f" {unit}"


def subject(settings: DiscoveryConfig) -> str:
    """What a productive run is, as the subject of a sentence."""
    if settings.outcome == HEADLINE and settings.direction == "at_least":
        return "communities stayed productive"
    side = "at least" if settings.direction == "at_least" else "at most"
    return f"{_key_words(settings.outcome)} was {side} {number_text(settings.threshold)}"


def statement(region: Region, words: Mapping[str, Words],
              settings: DiscoveryConfig | None = None) -> str:
    """A region in plain words.

    ``communities stayed productive in 84 % of runs when facilitation
    capacity ≥ 4 and participation cost ≤ 0.3 (coverage 71 %, density 84 %)``
    """
    settings = settings if settings is not None else DiscoveryConfig()
    conditions = [condition(limit, words[limit.parameter]) for limit in region.limits]
    joined = (", ".join(conditions[:-1]) + " and " + conditions[-1]
              if len(conditions) > 1 else conditions[0])
    return (f"{subject(settings)} in {percent(region.density)} of runs when {joined} "
            f"(coverage {percent(region.coverage)}, density {percent(region.density)})")


def statements(discovery: Discovery, words: Mapping[str, Words],
               settings: DiscoveryConfig) -> list[str]:
    """Every finding in plain words, one sentence each: the definition, the base
    rate, then each method's regions or why it reports none."""
    said = subject(settings)
    side = "at least" if settings.direction == "at_least" else "at most"
    threshold = number_text(settings.threshold)
    if settings.outcome == HEADLINE:
        sign = "≥" if settings.direction == "at_least" else "≤"
        definition = (f"{side} {percent(settings.threshold)} of its communities are "
                      f"productive at the final month ({HEADLINE} {sign} {threshold})")
    else:
        definition = f"its {settings.outcome} at the final month is {side} {threshold}"
    lines = [f"A run counts as productive when {definition}."]
    n, k = discovery.runs, discovery.productive_runs
    if k == 0:
        return [*lines, f"{_capital(said)} in none of the {n} runs: there is no region "
                        "to find."]
    if k == n:
        return [*lines, f"{_capital(said)} in all {n} runs: there is no region to find."]
    lines.append(f"{_capital(said)} in {percent(discovery.base_rate)} of the {n} runs "
                 f"({k} run{'' if k == 1 else 's'}).")
    for result in discovery.methods:
        name = METHOD_NAMES[result.method]
        if result.regions:
            several = len(result.regions) > 1 or result.method == "cart"
            lines += [f"{name}{f' region {r.number}' if several else ''}: "
                      f"{statement(r, words, settings)}." for r in result.regions]
            continue
        text = f"{name}: no region beats the base rate of {percent(discovery.base_rate)}"
        if result.candidates:
            best = max(result.candidates, key=lambda r: r.density)
            matched = round(best.p_value * (discovery.shuffles + 1)) - 1
            text += (f" beyond chance: its densest region (density {percent(best.density)}, "
                     f"coverage {percent(best.coverage)}) was matched by chance in "
                     f"{matched} of {discovery.shuffles} shuffles of the runs' outcomes")
        lines.append(text + ".")
    return lines


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------
# Tables, files and the analysis hook


def region_table(discovery: Discovery) -> pd.DataFrame:
    """``discovery.csv``: one row per restricted parameter of each reported region."""
    rows = []
    for region in discovery.regions:
        for limit in region.limits:
            rows.append({
                "method": region.method, "region": region.number,
                "parameter": limit.parameter, "lower": limit.lower, "upper": limit.upper,
                "values": None if limit.values is None else "|".join(
                    number_text(v) for v in limit.values),
                "coverage": region.coverage, "density": region.density,
                "runs": region.runs, "productive_runs": region.productive_runs,
                "p_value": region.p_value, "quasi_p": limit.quasi_p,
            })
    table = pd.DataFrame(rows, columns=REGION_COLUMNS)
    # Bounds keep their kind: whole numbers for integer parameters.
    for column in ("lower", "upper"):
        table[column] = pd.Series([row[column] for row in rows], dtype=object)
    return table


def write_discovery(folder: Path, runs: pd.DataFrame, parameters: list[str],
                    discovery: Discovery, settings: DiscoveryConfig, *, figures: bool,
                    seed: int = 0) -> list[str]:
    """Write the statements, the regions, the trajectory, the runs and the figures.

    Args:
        folder: Where the files go.
        runs: One row per run: its ids, parameter values, outcome and
            ``productive``.
        parameters: The parameter columns of ``runs``.
        discovery: What :func:`discover` found.
        settings: ``analysis.discovery``.
        figures: Draw the figures too.
        seed: Seeds the jitter of whole-number axes in the region figure.

    Returns:
        The names of the files written, in ``folder``.
    """
    words = parameter_words(parameters)
    lines = statements(discovery, words, settings)
    for line in lines:
        log.info("scenario discovery: %s", line)
    write_text(folder / STATEMENTS, "\n".join(lines) + "\n")
    table = region_table(discovery)
    atomic_write(folder / REGIONS, lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(folder / RUN_TABLE, lambda tmp: runs.to_csv(tmp, index=False))
    files = [STATEMENTS, REGIONS, RUN_TABLE]
    if discovery.trajectory is not None:
        trajectory = discovery.trajectory
        atomic_write(folder / TRAJECTORY, lambda tmp: trajectory.to_csv(tmp, index=False))
        files.append(TRAJECTORY)
    if figures:
        from lcsim.sensitivity.discovery_figures import plot_region, plot_tradeoff

        if discovery.trajectory is not None:
            files.append(plot_tradeoff(discovery, folder / TRADEOFF_FIGURE,
                                       min_coverage=settings.min_coverage).name)
        shown = _shown_region(discovery)
        if shown is not None:
            files.append(plot_region(runs[parameters], runs["productive"].to_numpy(bool),
                                     shown, words, folder / REGION_FIGURE, seed=seed).name)
    return files


def _shown_region(discovery: Discovery) -> Region | None:
    """PRIM's region, else CART's first, if it restricts a numeric parameter."""
    for region in discovery.regions:
        if any(limit.values is None for limit in region.limits):
            return region
    return None


def run_table(plan: Plan, settings: DiscoveryConfig) -> pd.DataFrame:
    """Every planned run with its parameter values, outcome and class, by run id.

    Raises:
        MissingOutputsError: Runs without the outcome, or with NaN, listed with
            their parameter values.
    """
    from lcsim.sensitivity.study import MissingOutputsError
    from lcsim.sweep.store import collect

    planned = pd.DataFrame([(r.run_id, r.point, r.replicate) for r in plan.runs],
                           columns=["run_id", "point", "replicate"])
    # Coinciding sample rows share run ids (lcsim.sensitivity.study.run_outputs).
    found = collect(plan)[["run_id", *plan.parameters, settings.outcome]].drop_duplicates(
        "run_id")
    table = planned.merge(found, on="run_id", how="left")
    bad = table[table[settings.outcome].isna()]
    if len(bad):
        raise MissingOutputsError.of_runs(bad, plan)
    for key, dtype in plan.design.table.dtypes.items():
        table[key] = table[key].astype(dtype)
    table["productive"] = classify(table[settings.outcome], settings.threshold,
                                   settings.direction)
    return table


def discover_analysis(analysis: Analysis) -> list[str]:
    """Scenario discovery on the stored runs of a sensitivity analysis.

    Reads the runs' final-month outcomes from ``runs/`` (no simulation),
    classifies them, finds the regions, logs the statements and writes the
    files into the analysis directory; returns their names.
    """
    settings = analysis.config.analysis.discovery
    started = time.perf_counter()
    runs = run_table(analysis.plan, settings)
    parameters = analysis.plan.parameters
    discovery = discover(runs[parameters], runs["productive"], settings, seed=analysis.seed)
    files = write_discovery(analysis.folder, runs, parameters, discovery, settings,
                            figures=analysis.config.figures, seed=analysis.seed)
    log.info("scenario discovery over %d runs in %.1f s: %s", discovery.runs,
             time.perf_counter() - started, analysis.folder / STATEMENTS)
    return files


def discover_sweep(path: str | Path, settings: DiscoveryConfig | None = None, *,
                   seed: int = 0, write: bool = False, figures: bool = True
                   ) -> Discovery:
    """Scenario discovery on a finished sweep directory (``lcsim run -m``).

    The parameters are the swept keys of ``design.csv``, the outcome a column
    of ``sweep.parquet`` (its final month, community ``all``).

    Args:
        path: The sweep directory.
        settings: Outcome, threshold and methods; ``analysis.discovery``'s
            defaults if None.
        seed: Seeds the shuffles and CART's tie-breaking.
        write: Also write the files of :func:`write_discovery` into ``path``.
        figures: With ``write``, draw the figures too.

    Raises:
        ResultsError: The sweep has not finished.
        ConfigError: The outcome is no column of the sweep.
    """
    from lcsim.sweep.store import load_sweep

    settings = settings if settings is not None else DiscoveryConfig()
    path = Path(path)
    table, _ = load_sweep(path)
    parameters = [c for c in pd.read_csv(path / "design.csv", nrows=0).columns if c != "point"]
    outcomes = [c for c in table.columns if c not in {"run_id", "point", "replicate",
                                                       "replicate_seed", *parameters}]
    if settings.outcome not in outcomes or settings.outcome == "productive":
        raise ConfigError("analysis.discovery.outcome", settings.outcome,
                          "an outcome column of sweep.parquet: " + ", ".join(
                              o for o in outcomes if o != "productive"))
    runs = table[["run_id", "point", "replicate", *parameters, settings.outcome]].copy()
    runs["productive"] = classify(runs[settings.outcome], settings.threshold,
                                  settings.direction)
    discovery = discover(runs[parameters], runs["productive"], settings, seed=seed)
    if write:
        write_discovery(path, runs, parameters, discovery, settings, figures=figures,
                        seed=seed)
    return discovery
