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

import numpy as np
import pandas as pd

from lcsim.model.knowledge import knowledge_level

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

OUTCOMES = (
    "active_members", "retention", "commitment_mean", "knowledge_mean",
    "knowledge_sd", "frontier_gap", "digital_maturity", "projects_started",
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


def _mean_without_nan(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isnan(values).any() else float(values.mean())


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
        self.success_history: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.steps: list[int] = []

    def collect(self) -> None:
        """Compute this month's outcomes and keep them."""
        m = self.model
        n = m.n_communities
        members, orgs = m.members, m.organisations
        community = members["community"]
        ledger = m.ledger

        act = np.flatnonzero(members["active"])
        act_comm = community[act]
        active_members = np.bincount(act_comm, minlength=n).astype(float)
        still = np.zeros(len(members), dtype=bool)
        still[: self.founding.size] = self.founding
        founders_left = np.bincount(act_comm, weights=still[act], minlength=n)
        commitment = _divide(np.bincount(act_comm, weights=members["commitment"][act],
                                         minlength=n), active_members)

        # Member companies: knowledge level, its spread, the share of
        # dimensions not known, and digital maturity.
        firms = act[orgs["kind"][members["org"][act]] == 0]
        firm_comm = community[firms]
        firm_orgs = members["org"][firms]
        codes = orgs["code"][firm_orgs]
        level = knowledge_level(codes, m.reality)
        behind = (codes * m.reality <= 0) @ np.full(m.reality.size, 1.0 / m.reality.size)
        firm_maturity = orgs["maturity"][firm_orgs]
        n_firms = np.bincount(firm_comm, minlength=n).astype(float)
        knowledge = _divide(np.bincount(firm_comm, weights=level, minlength=n), n_firms)
        square = _divide(np.bincount(firm_comm, weights=level**2, minlength=n), n_firms)
        spread = np.sqrt(np.maximum(square - knowledge**2, 0.0))
        gap = _divide(np.bincount(firm_comm, weights=behind, minlength=n), n_firms)
        maturity = _divide(np.bincount(firm_comm, weights=firm_maturity, minlength=n), n_firms)

        ties = m.ties
        live = ties["active"]
        tie_count = np.bincount(community[ties["a"][live]], minlength=n).astype(float)
        possible = active_members * (active_members - 1) / 2
        density = np.divide(tie_count, possible, out=np.zeros(n), where=possible > 0)

        self.innovations += ledger["innovations"]
        self.knowledge_history.append(knowledge)
        self.success_history.append(ledger["projects_succeeded"].copy())
        productive = self._productive(active_members, founders_left)

        per_community = np.column_stack([
            active_members, founders_left / np.maximum(self.founders, 1), commitment,
            knowledge, spread, gap, maturity, ledger["projects_started"],
            ledger["projects_succeeded"], self.innovations, ledger["flow_company_company"],
            ledger["flow_institution_company"], ledger["flow_platform"], density,
            productive, productive,
        ])
        totals = per_community[:, _SUMMED].sum(axis=0)
        if level.size:
            level_mean = level.sum() / level.size
            level_sd = np.sqrt(max(level @ level / level.size - level_mean**2, 0.0))
            firm_summary = [level_mean, level_sd, behind.sum() / behind.size,
                            _mean_without_nan(firm_maturity)]
        else:
            firm_summary = [np.nan] * 4
        all_possible = possible.sum()
        overall = np.array([
            totals[0],
            founders_left.sum() / max(self.founders.sum(), 1),
            members["commitment"][act].sum() / act.size if act.size else np.nan,
            *firm_summary,
            *totals[1:],
            tie_count.sum() / all_possible if all_possible > 0 else 0.0,
            np.nan, productive.mean(),
        ])
        self.rows.append(np.vstack([per_community, overall]))
        self.steps.append(m.steps)

    def _productive(self, active_members: np.ndarray, founders_left: np.ndarray) -> np.ndarray:
        p = self.model.params.productive
        retained = founders_left >= p.min_retention * self.founders
        history = self.knowledge_history
        before = history[max(len(history) - 1 - p.knowledge_window, 0)]
        grew = history[-1] > before
        recent = np.sum(self.success_history[-p.success_window:], axis=0)
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
