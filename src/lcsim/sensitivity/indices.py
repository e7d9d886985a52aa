"""Sensitivity indices per repeat and base size, combined into indices and convergence.

One function, :func:`index_tables`, computes both ``indices.csv`` and
``convergence.csv``: every repeat of the sample (``analysis.repeats``) is
analysed on its own at base sizes n = n_min, 2 n_min, ..., N (prefixes of
whole units of the sample, :attr:`lcsim.sensitivity.methods.Method.unit_rows`;
no extra runs), and the repeats are combined per size. The rows at the full
size N are the indices, so the last size of the convergence equals
``indices.csv`` by construction.

Intervals:

* one repeat: SALib's bootstrap at ``analysis.conf_level`` (``bootstrap``), or
  ``none`` where the method gives no interval;
* R > 1 repeats: the value is the mean of the R estimates and the interval is
  mean ± t_{R-1} · SD / √R, with t_{R-1} the two-sided quantile of Student's t
  at ``analysis.conf_level`` and SD the standard deviation (ddof 1) of the R
  estimates (``repeated``). It is a confidence interval of the mean estimate
  of base size n over independently drawn samples, so it covers sampling
  scatter but not the bias of the estimator at that size.

Repeat r's sampler seed is the first 32-bit word of
``SeedSequence(seed, spawn_key=(REPEAT_KEY, r))`` (child r of
``SeedSequence(seed, spawn_key=(REPEAT_KEY,))``), a key that no model run
uses; with one repeat the sampler seed is the analysis seed itself. The
bootstrap of repeat r is seeded from its sampler seed (:func:`bootstrap_seed`).

References:
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. &
    Tarantola, S. (2010). Variance based sensitivity analysis of model output.
    Computer Physics Communications 181, 259-270.
    https://doi.org/10.1016/j.cpc.2009.09.018
"""

from __future__ import annotations

import io
import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from contextlib import redirect_stdout
from typing import Any

import numpy as np
import pandas as pd

from lcsim.config.schema import AnalysisConfig
from lcsim.sensitivity.methods import Method
from lcsim.sensitivity.problem import Problem

log = logging.getLogger(__name__)

#: First element of the spawn key of the repeats' sampler seeds: model runs use
#: (r,) and (point, r), so this key is never one of theirs.
REPEAT_KEY = 2**32 - 1
#: The smallest base size of the convergence unless N is small (a power of 2).
CONVERGENCE_START = 16
#: The smallest base size of a convergence table.
CONVERGENCE_FLOOR = 8
#: Columns of ``convergence.csv``.
CONVERGENCE_COLUMNS = ["outcome", "step", "n", "parameter", "parameter_2", "index",
                       "value", "ci_low", "ci_high", "interval"]
_KEYS = ["n", "parameter", "parameter_2", "index"]


def repeat_seeds(seed: int, repeats: int) -> list[int]:
    """Sampler (and bootstrap) seed of every repeat; ``[seed]`` for one repeat."""
    if repeats == 1:
        return [seed]
    root = np.random.SeedSequence(seed, spawn_key=(REPEAT_KEY,))
    return [int(child.generate_state(1)[0]) for child in root.spawn(repeats)]


def convergence_sizes(method: Method, n: int) -> list[int]:
    """Base sizes of the convergence: powers of 2 from n_min below n, then n.

    n_min is :data:`CONVERGENCE_START`, or the largest power of 2 at most n / 4
    when that is smaller, but never below :data:`CONVERGENCE_FLOOR` (smaller
    samples give meaningless estimates: Ishigami's S1 came out above 2 at
    N = 2) nor the method's smallest size. A method whose sample cannot be cut
    (FAST) has the full size only.
    """
    if method.unit_rows is None:
        return [n]
    floor = 1 << (max(method.min_n, CONVERGENCE_FLOOR) - 1).bit_length()
    quarter = n // 4
    start = max(floor, min(CONVERGENCE_START, 1 << (quarter.bit_length() - 1)
                           if quarter else 0))
    sizes = []
    while start < n:
        sizes.append(start)
        start *= 2
    return [*sizes, n]


def index_tables(problem: Problem, method: Method, settings: AnalysisConfig,
                 unit: np.ndarray, seeds: Sequence[int], outputs: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indices and their convergence, every outcome at every month.

    Args:
        problem: What varies and what is analysed.
        method: The SALib adapter of ``analysis.method``.
        settings: ``analysis``: resamples, conf_level and the method's options.
        unit: The whole sample in the unit hypercube, the repeats one after the
            other, each ``len(unit) / len(seeds)`` rows.
        seeds: Sampler and bootstrap seed of each repeat (:func:`repeat_seeds`).
        outputs: ``point, step, outcome, mean`` per sample row (``outputs.csv``).

    Returns:
        ``indices`` (``outcome, step, parameter, parameter_2, index, value,
        ci_low, ci_high, interval``) and ``convergence`` (the same with ``n``
        after ``step``; the rows of n = N are the indices). An outcome that
        does not vary over the sample at a month has no indices (a logged
        warning); SALib's warnings at the full size are logged with the outcome
        and month, those of smaller sizes at debug level.
    """
    repeats = len(seeds)
    rows = len(unit) // repeats
    sizes = convergence_sizes(method, problem.n)
    if method.unit_rows is None:
        log.info("convergence.csv leaves out %s: its sample cannot be cut into smaller "
                 "samples", method.name)
    elif len(sizes) > 1:
        log.info("convergence over base sizes %s (%s)", ", ".join(map(str, sizes)),
                 method.prefix)
    block = method.unit_rows(len(problem.parameters), settings) if method.unit_rows else 0
    salib = problem.salib()

    frames = []
    for (outcome, step), group in outputs.groupby(["outcome", "step"], dropna=False,
                                                  sort=False):
        where = outcome if pd.isna(step) else f"{outcome} at month {step}"
        y = group.set_index("point")["mean"].reindex(range(len(unit))).to_numpy(float)
        if np.ptp(y) == 0:
            log.warning("%s is %g at every sample row: no indices", where, y[0])
            continue
        estimates, caught = [], Counter()
        for repeat, seed in enumerate(seeds):
            x_r, y_r = unit[repeat * rows:(repeat + 1) * rows], y[repeat * rows:(repeat + 1)
                                                                  * rows]
            for n in sizes:
                cut = rows if n == problem.n else n * block
                if np.ptp(y_r[:cut]) == 0:
                    if n == problem.n:
                        log.warning("%s does not vary within repeat %d: no indices", where,
                                    repeat)
                    continue
                result, messages = _analyse(method, salib, x_r[:cut], y_r[:cut], settings,
                                            seed)
                for message in messages:
                    if n == problem.n:
                        caught[message] += 1
                    else:
                        log.debug("%s, n=%d, repeat %d: SALib: %s", where, n, repeat,
                                  message)
                part = pd.DataFrame(method.rows(problem.names, result))
                part.insert(0, "n", n)
                part.insert(0, "repeat", repeat)
                estimates.append(part)
        for message, count in caught.items():
            suffix = f" (in {count} of {repeats} repeats)" if repeats > 1 else ""
            log.warning("%s: SALib: %s%s", where, message, suffix)
        if not estimates:
            continue
        combined = combine(pd.concat(estimates, ignore_index=True), repeats,
                           settings.conf_level)
        combined.insert(0, "step", step)
        combined.insert(0, "outcome", outcome)
        frames.append(combined)

    convergence = (pd.concat(frames, ignore_index=True) if frames
                   else pd.DataFrame(columns=CONVERGENCE_COLUMNS))
    convergence["step"] = convergence["step"].astype("Int64")
    order = {name: i for i, name in enumerate(problem.outcomes)}
    convergence = convergence.sort_values(
        ["outcome", "step", "n"], key=lambda c: c.map(order) if c.name == "outcome" else c,
        kind="stable", ignore_index=True)[CONVERGENCE_COLUMNS]
    indices = convergence[convergence["n"] == problem.n].drop(columns="n")
    if method.unit_rows is None:
        convergence = convergence.iloc[:0]
    return indices.reset_index(drop=True), convergence


def _analyse(method: Method, salib: dict[str, Any], x: np.ndarray, y: np.ndarray,
             settings: AnalysisConfig, seed: int) -> tuple[dict[str, Any], list[str]]:
    """SALib's result on one (prefix of a) repeat, and the first lines of its warnings.

    SALib seeds its bootstrap only when ``if seed:`` holds, and some of its
    analyses (delta, FAST, PAWN) seed numpy's global generator: the seed is
    passed as :func:`bootstrap_seed`, never 0, and the global generator's state
    is put back afterwards. What SALib prints (delta's bin-merge notices) goes
    to the debug log, not the console.
    """
    state = np.random.get_state()
    printed = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stdout(printed):
            warnings.simplefilter("always")
            result = method.analyse(salib, x, y, settings, bootstrap_seed(seed))
    finally:
        np.random.set_state(state)
    for line in printed.getvalue().splitlines():
        if line.strip():
            log.debug("SALib printed: %s", line.strip())
    return result, list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))


def bootstrap_seed(seed: int) -> int:
    """The seed SALib's analysis gets for a sampler seed: never 0, which SALib ignores.

    It is the first 32-bit word of ``SeedSequence(seed)`` (1 in the unlikely
    case that word is 0), so every seed, 0 included, seeds the bootstrap.
    """
    word = int(np.random.SeedSequence(seed).generate_state(1)[0])
    return word or 1


def combine(estimates: pd.DataFrame, repeats: int, conf_level: float) -> pd.DataFrame:
    """One value and interval per size and index from the estimates of every repeat.

    Args:
        estimates: ``repeat, n, parameter, parameter_2, index, value, conf``,
            ``conf`` SALib's bootstrap half-width (NaN where none).
        repeats: R, the number of repeats drawn.
        conf_level: Confidence level of the repeated intervals.

    Returns:
        ``n, parameter, parameter_2, index, value, ci_low, ci_high, interval``.
        With R = 1 the value and SALib's interval as they are; with R > 1 the
        mean over the repeats ± t_{R-1} · SD / √R, sizes at which a repeat has
        no estimate (its outcome did not vary there) left out.
    """
    if repeats == 1:
        table = estimates.drop(columns="repeat").reset_index(drop=True)
        table["ci_low"] = table["value"] - table["conf"]
        table["ci_high"] = table["value"] + table["conf"]
        table["interval"] = np.where(table["conf"].notna(), "bootstrap", "none")
        return table.drop(columns="conf")

    from scipy import stats

    grouped = estimates.groupby(_KEYS, sort=False)["value"]
    table = grouped.agg(value="mean", sd="std", count="size").reset_index()
    # A NaN estimate in any repeat (SALib gave none) makes the combined one NaN.
    missing = grouped.apply(lambda v: v.isna().any()).to_numpy()
    table.loc[missing, ["value", "sd"]] = np.nan
    table = table[table["count"] == repeats]
    half = stats.t.ppf(0.5 + conf_level / 2, repeats - 1) * table["sd"] / np.sqrt(repeats)
    table = table.assign(ci_low=table["value"] - half, ci_high=table["value"] + half,
                         interval=np.where(table["value"].notna(), "repeated", "none"))
    return table.drop(columns=["sd", "count"]).reset_index(drop=True)
