"""Adaptive replications: more runs at each point until its key outcomes are precise.

With ``sweep.adaptive.target`` above 0 a sweep runs in rounds. The first round
runs ``replications`` per point. After each round, a point is done when every
key outcome (``sweep.key_outcomes``) has a 95 % t-interval whose half-width
is at most the target — in the outcome's own units, or as a share of its
|mean| with ``sweep.adaptive.relative=true``. Every other point gets as many
replications as its standard deviation so far says the target needs,
n* = ceil((t · s / h)²) (Law 2015), but at least one more, at most twice as
many as it has, and never more than ``sweep.adaptive.max_replications``. When
a round would take the sweep past ``sweep.adaptive.max_runs`` runs, the runs
left are handed out one at a time, point by point, while they last.

Rounds go through the same batches as any sweep, and replicate r of a point
keeps its seed, so an adaptive sweep's rows are the rows of a fixed sweep of
the same points with as many replications. Each decision reads only the rows
of runs planned before it, so a resumed sweep replays the same rounds and
ends with the same tables whatever the workers.

References:
    Law, A. M. (2015). Simulation modeling and analysis (5th ed.).
    McGraw-Hill, section 9.4.1: obtaining a specified precision.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from lcsim.config.schema import AdaptiveConfig
from lcsim.files import atomic_write
from lcsim.sweep.plan import Plan, plan_runs
from lcsim.sweep.store import collect, point_summary

log = logging.getLogger(__name__)

PRECISION = "precision.csv"


def precision_table(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Per point and key outcome: the precision reached against the target.

    Args:
        plan: The sweep's plan; its runs say how many replications each point has.
        table: The rows of the planned runs (:func:`lcsim.sweep.store.collect`).

    Returns:
        One row per point and key outcome: ``point``, the swept values,
        ``outcome``, ``replications``, ``mean``, ``sd``, ``half_width`` (of the
        95 % t-interval), ``allowed`` (the target in the outcome's units),
        ``met``; ``stopped_by`` is added by :func:`stopped_by`.
    """
    adaptive = plan.sweep.adaptive
    outcomes = list(plan.sweep.key_outcomes)
    summary = point_summary(plan, table)
    rows = summary[summary["outcome"].isin(outcomes)].copy()
    # Every point and key outcome gets a row, even one with no values (all NaN).
    grid = pd.MultiIndex.from_product([range(len(plan.design)), outcomes],
                                      names=["point", "outcome"]).to_frame(index=False)
    rows = grid.merge(rows.drop(columns=plan.parameters), on=["point", "outcome"],
                      how="left")
    values = plan.design.table.reset_index()
    rows = values.merge(rows, on="point", how="right")
    counts = plan.replications()
    rows.insert(len(values.columns) + 1, "replications", [counts[p] for p in rows["point"]])
    rows["half_width"] = (rows["ci95_high"] - rows["ci95_low"]) / 2
    scale = rows["mean"].abs() if adaptive.relative else 1.0
    rows["allowed"] = adaptive.target * scale
    rows["met"] = (rows["half_width"] <= rows["allowed"]).fillna(False).astype(bool)
    return rows.drop(columns=["n", "ci95_low", "ci95_high"])


def needed_replications(row: pd.Series) -> float:
    """Replications the SD so far says the target needs: ceil((t s / h)^2)."""
    n, sd, allowed = row["replications"], row["sd"], row["allowed"]
    if not (n >= 2 and np.isfinite(sd) and allowed > 0):
        return math.inf
    t = stats.t.ppf(0.975, n - 1)
    return math.ceil((t * sd / allowed) ** 2)


def next_replications(precision: pd.DataFrame, adaptive: AdaptiveConfig) -> list[int]:
    """Replications of each point for the next round (equal to now: it is done).

    Args:
        precision: The table of :func:`precision_table` for this round.
        adaptive: The settings: ``max_replications`` per point, ``max_runs`` in all.
    """
    now = precision.groupby("point", sort=True)["replications"].first()
    wanted = now.copy()
    for point, rows in precision[~precision["met"]].groupby("point", sort=True):
        n = int(now[point])
        needed = max(needed_replications(row) for _, row in rows.iterrows())
        wanted[point] = int(min(adaptive.max_replications, max(n + 1, min(needed, 2 * n))))
    more = (wanted - now).to_dict()
    left = adaptive.max_runs - int(now.sum()) if adaptive.max_runs else math.inf
    if sum(more.values()) > left:
        # The budget runs out: one run at a time, point by point.
        given = dict.fromkeys(more, 0)
        while left > 0:
            for point in more:
                if given[point] < more[point] and left > 0:
                    given[point] += 1
                    left -= 1
        more = given
    return [int(now[p]) + int(more[p]) for p in now.index]


def stopped_by(precision: pd.DataFrame, adaptive: AdaptiveConfig) -> pd.DataFrame:
    """Add ``stopped_by``: the target met, or which budget ended the point."""
    met = precision.groupby("point")["met"].transform("all")
    full = precision["replications"] >= adaptive.max_replications
    reason = np.where(met, "target", np.where(full, "max_replications", "max_runs"))
    return precision.assign(stopped_by=reason)


def replicate_until_precise(plan: Plan, run_round: Callable[[], list[str]]
                            ) -> pd.DataFrame | None:
    """Add rounds of replications to ``plan`` until the target is met or the budget spent.

    Args:
        plan: A plan whose first round has run; its runs grow round by round.
        run_round: Runs the planned runs that are not done yet; returns the
            ids of those that failed.

    Returns:
        The final precision table with ``stopped_by``, or None when runs failed
        (the sweep is not finished; running it again resumes it).
    """
    adaptive = plan.sweep.adaptive
    round_number = 1
    while True:
        precision = precision_table(plan, collect(plan))
        now = plan.replications()
        wanted = next_replications(precision, adaptive)
        if wanted == now:
            return stopped_by(precision, adaptive)
        short = sum(w > n for w, n in zip(wanted, now, strict=True))
        plan.runs = plan_runs(plan.design, plan.configs, plan.sweep.common_random_numbers,
                              wanted)
        log.info("adaptive round %d: %d of %d point(s) short of the target, %d more "
                 "run(s), %d in all", round_number, short, len(now), sum(wanted) - sum(now),
                 len(plan.runs))
        round_number += 1
        if run_round():
            return None


def report(plan: Plan, precision: pd.DataFrame) -> None:
    """Log the precision reached, and warn about points stopped by the budget."""
    adaptive = plan.sweep.adaptive
    target = target_text(adaptive)
    points = precision.groupby("point").first()
    met = points["stopped_by"] == "target"
    low, high = points["replications"].min(), points["replications"].max()
    log.info("adaptive replications: %d of %d point(s) met the target (%s) with %s "
             "replications; %d runs in all; precision per point in %s", met.sum(),
             len(points), target, low if low == high else f"{low}-{high}", len(plan.runs),
             PRECISION)
    short = precision[(precision["stopped_by"] != "target") & ~precision["met"]]
    if short.empty:
        return
    first = short.iloc[0]
    budget = (f"sweep.adaptive.max_replications={adaptive.max_replications}"
              if first["stopped_by"] == "max_replications"
              else f"sweep.adaptive.max_runs={adaptive.max_runs}")
    log.warning("%d point(s) stopped at the budget before meeting the target (e.g. point "
                "%d %s: %.3g +/- %.3g after %d replications, %s); see %s",
                (~met).sum(), first["point"], first["outcome"], first["mean"],
                first["half_width"], first["replications"], budget, PRECISION)


def target_text(adaptive: AdaptiveConfig) -> str:
    """The target in words: ``+/-0.02`` or ``+/-0.05 of the mean``."""
    return f"+/-{adaptive.target:g}" + (" of the mean" if adaptive.relative else "")


def write_precision(folder: Path, precision: pd.DataFrame) -> None:
    """Write ``precision.csv`` atomically."""
    atomic_write(Path(folder) / PRECISION, lambda tmp: precision.to_csv(tmp, index=False))
