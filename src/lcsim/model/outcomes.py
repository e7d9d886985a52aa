"""Outcomes collected every month, per community and overall.

The columns and their meaning are listed in ``docs/outputs.md``. A community
is *productive* in a month when (thresholds in ``productive.*``):

1. at least ``min_retention`` of its founding member companies are still
   active (``retention``; institutions never leave, so they do not count);
2. its member companies' mean knowledge is higher than ``knowledge_window``
   months before (or than at the start, earlier in the run);
3. at least one of its joint projects succeeded in the last
   ``success_window`` months.

The row ``community = "all"`` aggregates all communities; its
``productive_share`` is the run's headline outcome at the final month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd

from lcsim.model.knowledge import knowledge_level

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

OUTCOMES = (
    "active_members", "retention", "commitment_mean", "knowledge_mean",
    "knowledge_growth", "knowledge_sd", "frontier_gap", "digital_maturity", "projects_started",
    "projects_succeeded", "innovations", "flow_company_company",
    "flow_institution_company", "flow_platform", "tie_density", "productive",
    "productive_share",
)
ALL = "all"


#: Outcome columns whose overall value is the sum over communities.
_SUMMED = [OUTCOMES.index(name) for name in (
    "active_members", "projects_started", "projects_succeeded", "innovations",
    "flow_company_company", "flow_institution_company", "flow_platform",
)]


def _divide(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Group means from totals and counts; NaN for empty groups."""
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0)


@numba.njit(cache=True, nogil=True)
def _sums_by_group(group, values, n_groups):  # pragma: no cover - compiled
    """Per group: its rows, then the sum of each column of ``values``.

    Rows are added in order, as ``np.bincount(group, weights=column)`` adds
    them, so each sum is that bincount's to the last bit.
    """
    sums = np.zeros((n_groups, values.shape[1] + 1))
    for i in range(group.size):
        g = group[i]
        sums[g, 0] += 1.0
        for j in range(values.shape[1]):
            sums[g, j + 1] += values[i, j]
    return sums


@numba.njit(cache=True, nogil=True)
def _ties_by_community(community, a, active, n_communities):  # pragma: no cover
    """Active ties per community (of their end ``a``; both ends share it)."""
    counts = np.zeros(n_communities)
    for t in range(a.size):
        if active[t]:
            counts[community[a[t]]] += 1.0
    return counts


def _mean_without_nan(values: np.ndarray) -> float:
    total = values.sum()  # NaN exactly when a value is NaN (values are finite)
    return float(np.nanmean(values)) if np.isnan(total) else float(total / values.size)


class OutcomeRecorder:
    """Collects the outcome rows of one model run, month by month."""

    def __init__(self, model: LearningCommunityModel) -> None:
        self.model = model
        n = model.n_communities
        self.names = [c.name for c in model.communities] + [ALL]
        # Retention counts founding member companies: institutions never leave.
        members = model.members
        founding = members["founder"] & (model.organisations["kind"][members["org"]] == 0)
        self.founding = founding
        self.founders = np.bincount(members["community"][founding], minlength=n).astype(float)
        self.innovations = np.zeros(n)
        self.knowledge_history: list[np.ndarray] = []
        # Mean knowledge per community, then overall, at the first collection.
        self.knowledge_start: np.ndarray | None = None
        # Joint projects succeeded per community up to each month (whole numbers).
        self.successes_to_date: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.steps: list[int] = []

    def collect(self) -> None:
        """Compute this month's outcomes and keep them."""
        m = self.model
        n = m.n_communities
        members, orgs = m.members, m.organisations
        community = members["community"]
        ledger = m.ledger

        # Active members: count, founding companies still there, commitment.
        act = np.flatnonzero(members["active"])
        act_comm = community[act]
        still = np.zeros(len(members))
        still[: self.founding.size] = self.founding
        commitment_act = members["commitment"][act]
        per_member = _sums_by_group(act_comm, np.column_stack([still[act], commitment_act]), n)
        active_members = per_member[:, 0]
        founders_left = per_member[:, 1]
        commitment = _divide(per_member[:, 2], active_members)

        # Member companies: knowledge level, its spread, the share of
        # dimensions not known, and digital maturity.
        firms = act[orgs["kind"][members["org"][act]] == 0]
        firm_comm = community[firms]
        firm_orgs = members["org"][firms]
        codes = orgs["code"][firm_orgs]
        level = knowledge_level(codes, m.reality)
        behind = (codes * m.reality <= 0) @ np.full(m.reality.size, 1.0 / m.reality.size)
        firm_maturity = orgs["maturity"][firm_orgs]
        per_firm = _sums_by_group(firm_comm, np.column_stack([level, level**2, behind,
                                                              firm_maturity]), n)
        n_firms = per_firm[:, 0]
        means = np.divide(per_firm[:, 1:], n_firms[:, None], out=np.full((n, 4), np.nan),
                          where=n_firms[:, None] > 0)
        knowledge, square, gap, maturity = means.T
        spread = np.sqrt(np.maximum(square - knowledge**2, 0.0))

        ties = m.ties
        tie_count = _ties_by_community(community, ties["a"], ties["active"], n)
        possible = active_members * (active_members - 1) / 2
        density = np.divide(tie_count, possible, out=np.zeros(n), where=possible > 0)

        self.innovations += ledger["innovations"]
        self.knowledge_history.append(knowledge)
        before = self.successes_to_date[-1] if self.successes_to_date else 0.0
        self.successes_to_date.append(before + ledger["projects_succeeded"])
        productive = self._productive(active_members, founders_left)

        rows = np.empty((n + 1, len(OUTCOMES)))
        per_community = rows[:n]
        for column, values in enumerate((
            active_members, founders_left / np.maximum(self.founders, 1), commitment,
            knowledge, np.zeros(n), spread, gap, maturity, ledger["projects_started"],
            ledger["projects_succeeded"], self.innovations, ledger["flow_company_company"],
            ledger["flow_institution_company"], ledger["flow_platform"], density,
            productive, productive,
        )):
            per_community[:, column] = values
        totals = per_community[:, _SUMMED].sum(axis=0)
        if level.size:
            level_mean = level.sum() / level.size
            level_sd = np.sqrt(max(level @ level / level.size - level_mean**2, 0.0))
            firm_summary = [level_mean, level_sd, behind.sum() / behind.size,
                            _mean_without_nan(firm_maturity)]
        else:
            firm_summary = [np.nan] * 4
        all_possible = possible.sum()
        rows[n] = (
            totals[0],
            founders_left.sum() / max(self.founders.sum(), 1),
            commitment_act.sum() / act.size if act.size else np.nan,
            firm_summary[0], 0.0, *firm_summary[1:],
            *totals[1:],
            tie_count.sum() / all_possible if all_possible > 0 else 0.0,
            np.nan, productive.mean(),
        )
        # Growth since month 0: this month's mean knowledge less the first one's.
        mean = rows[:, OUTCOMES.index("knowledge_mean")]
        if self.knowledge_start is None:
            self.knowledge_start = mean.copy()
        rows[:, OUTCOMES.index("knowledge_growth")] = mean - self.knowledge_start
        self.rows.append(rows)
        self.steps.append(m.steps)

    def _productive(self, active_members: np.ndarray, founders_left: np.ndarray) -> np.ndarray:
        p = self.model.params.productive
        retained = founders_left >= p.min_retention * self.founders
        history = self.knowledge_history
        before = history[max(len(history) - 1 - p.knowledge_window, 0)]
        grew = history[-1] > before
        to_date = self.successes_to_date
        window = p.success_window
        recent = to_date[-1] - (to_date[-1 - window] if len(to_date) > window else 0.0)
        alive = active_members > 0
        return (retained & grew & (recent > 0) & alive).astype(float)

    def frame(self) -> pd.DataFrame:
        """The outcome rows collected so far as a tidy table."""
        values = np.concatenate(self.rows)
        n_rows = len(self.names)
        table = pd.DataFrame(values, columns=list(OUTCOMES))
        table.insert(0, "community", np.tile(self.names, len(self.rows)))
        table.insert(0, "step", np.repeat(self.steps, n_rows))
        for column in ("active_members", "projects_started", "projects_succeeded",
                       "innovations"):
            table[column] = table[column].astype(np.int64)
        return table
