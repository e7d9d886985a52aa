"""Designs of a sweep: a table of points, one typed column per swept parameter.

A design comes from two sources, combined as a product (command-line axes
outermost):

* Hydra's sweep syntax on the command line of ``lcsim run -m``: lists
  (``key=a,b``), ``range(start, stop[, step])`` and ``choice(a, b)``; every
  swept key is one axis of a full grid, config groups
  (``scenario=tiny,single_lc``) included;
* a design declared in the config group ``sweep`` (``configs/sweep/``):
  ``grid`` and ``zip`` over lists of values, ``lhs``, ``sobol`` and
  ``morris`` over ranges, or ``table``, the rows of a CSV file.

Parameters are declared once, under ``sweep.parameters`` by config path:
``{low, high}`` (uniform, or ``dist: loguniform``; ``integer: true`` for whole
numbers, each equally likely) or ``{values: [...]}`` (a list; categorical in
the sampling designs). The samplers of SALib draw points in the unit
hypercube, and each parameter maps its coordinate to a value through its
inverse distribution function. Under ``morris`` the coordinates lie on a grid
of ``levels`` levels, and k integer or categorical values are equally likely
only when k divides the number of levels; otherwise a logged warning names the
parameter, the values drawn and the levels that would make them equally
likely (:func:`grid_notice`).

References:
    McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of
    three methods for selecting values of input variables in the analysis of
    output from a computer code. Technometrics 21, 239-245.
    https://doi.org/10.2307/1268522

    Saltelli, A. (2002). Making best use of model evaluations to compute
    sensitivity indices. Computer Physics Communications 145, 280-297.
    https://doi.org/10.1016/S0010-4655(02)00280-1

    Morris, M. D. (1991). Factorial sampling plans for preliminary
    computational experiments. Technometrics 33, 161-174.
    https://doi.org/10.1080/00401706.1991.10484804
"""

from __future__ import annotations

import difflib
import itertools
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcsim.config.params import describe
from lcsim.config.schema import LcsimConfig, SweepConfig
from lcsim.errors import ConfigError, LcsimError

log = logging.getLogger(__name__)

#: Keys a parameter declaration may hold.
SPEC_KEYS = ("low", "high", "values", "integer", "dist")
DISTRIBUTIONS = ("uniform", "loguniform")
#: Designs that sample the unit hypercube.
SAMPLED = ("lhs", "sobol", "morris")


@dataclass(frozen=True)
class Axis:
    """One swept key of a grid: its values and the overrides that set them."""

    key: str
    values: tuple[Any, ...]
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """A parameter declared under ``sweep.parameters``.

    Attributes:
        key: Config path (``engagement.participation_cost``) or group
            (``scenario``).
        low, high: Bounds of a range (inclusive for integers).
        values: The listed values, for grids, zips and categorical parameters.
        integer: Whole numbers from low to high, each equally likely.
        dist: ``uniform`` or ``loguniform`` over the range.
    """

    key: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False
    dist: str = "uniform"

    @property
    def count(self) -> int | None:
        """How many values a categorical or integer parameter has; None if continuous."""
        if self.values is not None:
            return len(self.values)
        if self.integer:
            return int(self.high) - int(self.low) + 1
        return None

    def value_of(self, index: int) -> Any:
        """The value of a categorical or integer parameter at ``index`` (0 to count - 1)."""
        return self.values[index] if self.values is not None else int(self.low) + int(index)

    def at(self, unit: np.ndarray, levels: int | None = None) -> list[Any]:
        """Values at coordinates in [0, 1] of the unit hypercube.

        A categorical or integer parameter of k values takes value
        ``floor(u * k)`` (k - 1 at u = 1): each value a k-th of [0, 1], so equally
        likely under a continuous sampler (Sobol', Latin hypercube). On Morris's
        grid of ``levels`` = p levels, u = j / (p - 1), the same rule is applied
        to the level j in whole numbers (SALib's coordinates can be one ulp off
        the grid): every value is then on p / k levels when k divides p, the only
        case in which equal likelihood is possible (:func:`grid_notice`).

        Args:
            unit: Coordinates in [0, 1].
            levels: Morris's grid levels p, for coordinates on that grid; None
                for a continuous sampler.
        """
        k = self.count
        if k is not None:
            if levels is None:
                index = np.minimum((unit * k).astype(np.int64), k - 1)
            else:
                index = grid_indices(unit, k, levels)
            return [self.value_of(i) for i in index]
        if self.dist == "loguniform":
            logs = math.log(self.low) + unit * (math.log(self.high) - math.log(self.low))
            values = np.exp(logs)
        else:
            values = self.low + unit * (self.high - self.low)
        # Rounding can put an end value one ulp off (0.3 + 1.0 * 0.6 is
        # 0.9000000000000001), outside the bounds, where a probability of 1 would
        # turn invalid: the ends are the bounds themselves.
        values = np.where(unit <= 0.0, self.low, np.where(unit >= 1.0, self.high, values))
        return [float(v) for v in np.clip(values, self.low, self.high)]


def grid_indices(unit: np.ndarray, count: int, levels: int) -> np.ndarray:
    """Value index ``floor(j * k / (p - 1))`` (at most k - 1) of level j = u (p - 1).

    The rule of :meth:`Parameter.at` for k = ``count`` values on Morris's grid
    of p = ``levels`` levels, in whole numbers.
    """
    level = np.rint(np.asarray(unit, dtype=float) * (levels - 1)).astype(np.int64)
    return np.minimum(level * count // (levels - 1), count - 1)


def grid_notice(parameter: Parameter, levels: int, section: str) -> str | None:
    """Why a parameter's values cannot be equally likely on Morris's grid, or None.

    With p = ``levels`` levels, each equally likely, k values can be equally
    likely only when k divides p; otherwise some values sit on more levels than
    others, and with k > p some are never drawn. The notice names the
    parameter, its k values, p, the values drawn (with how many levels each)
    and the fix: a number of levels that is an even multiple of k.

    Args:
        parameter: A varied parameter.
        levels: Morris's grid levels p.
        section: ``analysis`` or ``sweep``, where the parameter and the levels
            are set.
    """
    k = parameter.count
    if k is None or levels % k == 0:
        return None
    on = np.bincount(grid_indices(np.arange(levels) / (levels - 1), k, levels), minlength=k)
    drawn = ", ".join(f"{parameter.value_of(i)} ({n})" for i, n in enumerate(on) if n)
    never = int((on == 0).sum())
    step = math.lcm(k, 2)
    fix = step * -(-levels // step)
    return (f"{section}.parameters.{parameter.key}: its {k} values cannot be equally "
            f"likely on Morris's grid of {section}.levels={levels} levels ({levels} is "
            f"not a multiple of {k}); values drawn (levels of each): {drawn}"
            + (f"; {never} of the {k} values are never drawn" if never else "")
            + f"; set {section}.levels={fix} (or another even multiple of {k}), or "
            f"declare a number of values that divides {levels}")


@dataclass
class Design:
    """The points of a sweep.

    Attributes:
        table: One row per point (index 0..P-1), one typed column per swept
            key, in the order the keys were given.
        overrides: Per point, the Hydra overrides that set its values.
    """

    table: pd.DataFrame
    overrides: list[list[str]]

    def __len__(self) -> int:
        return len(self.overrides)


def command_line_axes(overrides: Sequence[str]) -> tuple[list[str], list[Axis]]:
    """Split ``lcsim run -m`` overrides into fixed overrides and grid axes.

    Raises:
        LcsimError: For an interval sweep or a swept ``hydra.*``, ``sweep.*``
            or ``launcher`` key.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    fixed: list[str] = []
    axes: list[Axis] = []
    for override in parser.parse_overrides(list(overrides)):
        if not override.is_sweep_override():
            fixed.append(override.input_line)
            continue
        key = override.get_key_element()
        if not override.is_discrete_sweep():
            raise LcsimError(f"{override.input_line} is not allowed: lists, range() or "
                             "choice() sweeps (for a continuous range, declare it in "
                             "sweep.parameters with sweep=lhs)")
        if key.startswith(("hydra.", "hydra/", "sweep", "launcher")):
            raise LcsimError(f"{override.input_line} is not allowed: one value (hydra.*, "
                             "sweep.* and launcher keys are not swept)")
        texts = list(override.sweep_string_iterator())
        if not texts:
            raise LcsimError(f"{override.input_line} is not allowed: a sweep with at least "
                             "one value (this one is empty)")
        values = [parser.parse_override(f"{key}={text}").value() for text in texts]
        axes.append(Axis(key, tuple(values), tuple(f"{key}={t}" for t in texts)))
    return fixed, axes


def declared_parameters(declared: Mapping[str, Any] | None, groups: Sequence[str], *,
                        section: str = "sweep.parameters",
                        fixed_allowed: bool = False) -> list[Parameter]:
    """The parameters declared under ``section``, checked one by one.

    Args:
        declared: The declarations by config path (``sweep.parameters``).
        groups: The config groups (``scenario``, ...), which may be swept too.
        section: Where they are declared, for error messages.
        fixed_allowed: Accept equal bounds (``low == high``): a parameter held
            fixed, which the sensitivity analysis leaves out of its problem.
    """
    known = {row["name"] for row in describe(LcsimConfig)}
    known |= set(groups)
    found: list[Parameter] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping) and set(node) & {"low", "high", "values"}:
            found.append(_parameter(path, node, known, section, fixed_allowed))
            return
        if not isinstance(node, Mapping) or not node:
            raise ConfigError(f"{section}.{path}", node,
                              "a declaration {low: L, high: H} or {values: [...]}")
        for name, child in node.items():
            walk(child, f"{path}.{name}" if path else str(name))

    for name, child in (declared or {}).items():
        walk(child, str(name))
    return found


def _parameter(key: str, spec: Mapping[str, Any], known: set[str], section: str,
               fixed_allowed: bool) -> Parameter:
    where = f"{section}.{key}"
    if key not in known:
        close = difflib.get_close_matches(key, sorted(known), n=2, cutoff=0.75)
        hint = f"did you mean {' or '.join(close)}?" if close else "docs/ODD.md lists the keys"
        raise ConfigError(where, dict(spec), f"a config key or group; {hint}")
    if key.startswith("sweep") or key in ("n_jobs",):
        raise ConfigError(where, dict(spec), "a model or scenario key (sweep.* and n_jobs "
                          "do not change results)")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}", spec[unknown[0]],
                          "one of the declaration keys " + ", ".join(SPEC_KEYS))
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise ConfigError(f"{where}.values", values, "a non-empty list of values")
        if set(spec) - {"values"}:
            extra = sorted(set(spec) - {"values"})[0]
            raise ConfigError(f"{where}.{extra}", spec[extra],
                              "nothing beside values: a list or a range, not both")
        return Parameter(key, values=tuple(_plain(v) for v in values))
    low, high = spec.get("low"), spec.get("high")
    for name, bound in (("low", low), ("high", high)):
        if not isinstance(bound, int | float) or isinstance(bound, bool) or not math.isfinite(
                bound):
            raise ConfigError(f"{where}.{name}", bound, "a finite number")
    if low > high or (low == high and not fixed_allowed):
        below = "at most" if fixed_allowed else "below"
        raise ConfigError(f"{where}.low", low, f"a number {below} {where}.high ({high})")
    integer = spec.get("integer", False)
    if not isinstance(integer, bool):
        raise ConfigError(f"{where}.integer", integer, "true or false")
    if integer:
        for name, bound in (("low", low), ("high", high)):
            if not float(bound).is_integer():
                raise ConfigError(f"{where}.{name}", bound,
                                  "a whole number (the parameter is an integer)")
    dist = spec.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        raise ConfigError(f"{where}.dist", dist, "one of " + ", ".join(DISTRIBUTIONS))
    if dist == "loguniform" and (integer or low <= 0):
        raise ConfigError(f"{where}.low", low,
                          "a number above 0 for a loguniform (and not integer) parameter")
    _check_within_declared_range(key, where, low, high)
    return Parameter(key, low=low, high=high, integer=integer, dist=dist)


def _check_within_declared_range(key: str, where: str, low: float, high: float) -> None:
    """Refuse bounds outside what the config key itself allows, whatever is drawn."""
    row = next((r for r in describe(LcsimConfig) if r["name"] == key), None)
    if row is None:
        return
    allowed = f"within {key}'s own range ({row['low']} to {row['high']})"
    if row["low"] is not None and low < row["low"]:
        raise ConfigError(f"{where}.low", low, allowed.replace("None", "no bound"))
    if row["high"] is not None and high > row["high"]:
        raise ConfigError(f"{where}.high", high, allowed.replace("None", "no bound"))


def declared_design(sweep: SweepConfig, groups: Sequence[str], seed: int) -> Design:
    """The design that ``sweep.design`` declares (one empty point if none).

    Args:
        sweep: The sweep section of the config.
        groups: The config groups, which may be swept too.
        seed: Seed of the samplers when ``sweep.sampler_seed`` is null.
    """
    if sweep.design == "table":
        return table_design(sweep.table, groups)
    parameters = declared_parameters(sweep.parameters, groups)
    method = sweep.design
    if method in ("grid", "zip"):
        for p in parameters:
            if p.values is None:
                raise ConfigError(f"sweep.parameters.{p.key}", {"low": p.low, "high": p.high},
                                  f"a list {{values: [...]}} in a {method} design")
        lists = [p.values for p in parameters]
        if method == "zip":
            for p in parameters[1:]:
                if len(p.values) != len(parameters[0].values):
                    raise ConfigError(f"sweep.parameters.{p.key}.values",
                                      f"{len(p.values)} values",
                                      f"as many as sweep.parameters.{parameters[0].key} "
                                      f"({len(parameters[0].values)}) in a zip design")
            rows = list(zip(*lists, strict=True)) if lists else [()]
        else:
            rows = list(itertools.product(*lists))
        return design_of_rows([p.key for p in parameters], rows)
    if not parameters:
        raise ConfigError("sweep.parameters", {}, f"at least one parameter for a {method} "
                          "design")
    unit = _unit_sample(method, sweep, len(parameters),
                        seed if sweep.sampler_seed is None else sweep.sampler_seed)
    levels = sweep.levels if method == "morris" else None
    for parameter in parameters if levels else ():
        notice = grid_notice(parameter, levels, "sweep")
        if notice:
            log.warning("%s", notice)
    columns = [p.at(unit[:, j], levels) for j, p in enumerate(parameters)]
    return design_of_rows([p.key for p in parameters], list(zip(*columns, strict=True)))


def _unit_sample(method: str, sweep: SweepConfig, dimensions: int, seed: int) -> np.ndarray:
    """Points of the unit hypercube from SALib's sampler for ``method``."""
    from SALib.sample import latin, morris, sobol

    n = sweep.n
    problem = {"num_vars": dimensions, "names": [f"x{j}" for j in range(dimensions)],
               "bounds": [[0.0, 1.0]] * dimensions}
    if method == "lhs":
        if n < 2:
            raise ConfigError("sweep.n", n, "at least 2 points for an lhs design")
        return latin.sample(problem, n, seed=seed)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise ConfigError("sweep.n", n, "a power of 2 of at least 2 (2, 4, 8, ...) "
                              "for a sobol design")
        return sobol.sample(problem, n, calc_second_order=sweep.second_order, seed=seed)
    if n < 2:
        raise ConfigError("sweep.n", n, "at least 2 trajectories for a morris design")
    if sweep.levels % 2:
        raise ConfigError("sweep.levels", sweep.levels, "an even number of levels for morris")
    return morris.sample(problem, n, num_levels=sweep.levels, seed=seed)


def table_design(path: str, groups: Sequence[str]) -> Design:
    """Points read from a CSV file: one column per config key, one row per point."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise ConfigError("sweep.table", path, f"a readable CSV file ({reason})") from None
    if frame.empty:
        raise ConfigError("sweep.table", path, "a CSV file with a header and at least one row")
    known = {row["name"] for row in describe(LcsimConfig)} | set(groups)
    for column in frame.columns:
        if column not in known:
            close = difflib.get_close_matches(column, sorted(known), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError("sweep.table", f"{path} column {column}",
                              f"columns named by config keys or groups{hint}")
    if frame.isna().any().any():
        column = frame.columns[frame.isna().any()][0]
        raise ConfigError("sweep.table", f"{path} column {column}", "no empty cells")
    rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]
    return design_of_rows(list(frame.columns), rows)


def combine(axes: Sequence[Axis], declared: Design) -> Design:
    """The product of the command-line axes (outermost) and a declared design."""
    clash = [a.key for a in axes if a.key in declared.table.columns]
    if clash:
        raise ConfigError(clash[0], "swept twice",
                          "a key swept either on the command line or in the sweep "
                          "config, not both")
    keys = [a.key for a in axes] + list(declared.table.columns)
    values: list[tuple[Any, ...]] = []
    overrides: list[list[str]] = []
    declared_rows = list(declared.table.itertuples(index=False, name=None))
    choices = itertools.product(*[list(zip(a.values, a.overrides, strict=True)) for a in axes])
    for choice in choices:
        for row, row_overrides in zip(declared_rows, declared.overrides, strict=True):
            values.append(tuple(v for v, _ in choice) + tuple(_plain(v) for v in row))
            overrides.append([o for _, o in choice] + row_overrides)
    texts = [[o.split("=", 1)[1] for o in point] for point in overrides]
    return Design(_table(keys, values, texts), overrides)


def design_of_rows(keys: list[str], rows: list[tuple[Any, ...]]) -> Design:
    """The design of the given rows of values, one per point, keys in column order."""
    overrides = [[f"{k}={override_text(v)}" for k, v in zip(keys, row, strict=True)]
                 for row in rows]
    texts = [[o.split("=", 1)[1] for o in point] for point in overrides]
    return Design(_table(keys, rows, texts), overrides)


def _table(keys: list[str], rows: list[tuple[Any, ...]], texts: list[list[str]]
           ) -> pd.DataFrame:
    """A typed column per key: bool, int64, float64, or the override text."""
    columns = {}
    for j, key in enumerate(keys):
        values = [row[j] for row in rows]
        if all(isinstance(v, bool) for v in values):
            columns[key] = pd.Series(values, dtype=bool)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            columns[key] = pd.Series(values, dtype=np.int64)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            columns[key] = pd.Series(values, dtype=np.float64)
        else:
            columns[key] = pd.Series([v if isinstance(v, str) else point[j]
                                      for v, point in zip(values, texts, strict=True)],
                                     dtype=str)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows), name="point"))


_WORD = re.compile(r"[A-Za-z_][\w\-./]*")


def override_text(value: Any) -> str:
    """A value as Hydra's override grammar reads it back unchanged."""
    value = _plain(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if _WORD.fullmatch(value) and value.lower() not in ("true", "false", "null"):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise ConfigError("sweep", value, "numbers, words or true/false as swept values")


def _plain(value: Any) -> Any:
    """A numpy or OmegaConf scalar as the plain Python value."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
