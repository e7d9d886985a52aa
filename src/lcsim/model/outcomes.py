"""Outcomes collected every month, per community and overall.

The columns and their meaning are listed in ``docs/outputs.md``. A community
is *productive* in a month when (thresholds in ``productive.*``):

1. at least ``min_retention`` of its founding members are still active;
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


def _group_mean(values: np.ndarray, groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    count = np.bincount(groups, minlength=n).astype(float)
    total = np.bincount(groups, weights=values, minlength=n)
    mean = np.divide(total, count, out=np.full(n, np.nan), where=count > 0)
    return mean, count


class OutcomeRecorder:
    """Collects the outcome rows of one model run, month by month."""

    def __init__(self, model: LearningCommunityModel) -> None:
        self.model = model
        n = model.n_communities
        self.names = [c.name for c in model.communities] + [ALL]
        self.founders = np.bincount(
            model.members["community"][model.members["founder"]], minlength=n
        ).astype(float)
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
        active = members["active"]
        community = members["community"]
        is_company = orgs["kind"][members["org"]] == 0
        ledger = m.ledger

        act = np.flatnonzero(active)
        active_members = np.bincount(community[act], minlength=n).astype(float)
        founders_left = np.bincount(community[act[members["founder"][act]]], minlength=n)
        commitment, _ = _group_mean(members["commitment"][act], community[act], n)

        firms = act[is_company[act]]
        firm_comm = community[firms]
        codes = orgs["code"][members["org"][firms]]
        level = knowledge_level(codes, m.reality)
        knowledge, n_firms = _group_mean(level, firm_comm, n)
        square, _ = _group_mean(level**2, firm_comm, n)
        spread = np.sqrt(np.maximum(square - knowledge**2, 0.0))
        gap, _ = _group_mean((codes * m.reality <= 0).mean(axis=1), firm_comm, n)
        maturity, _ = _group_mean(orgs["maturity"][members["org"][firms]], firm_comm, n)

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
        firm_level_all = level.mean() if level.size else np.nan
        overall = np.array([
            active_members.sum(),
            founders_left.sum() / max(self.founders.sum(), 1),
            members["commitment"][act].mean() if act.size else np.nan,
            firm_level_all,
            level.std() if level.size else np.nan,
            (codes * m.reality <= 0).mean() if codes.size else np.nan,
            np.nanmean(orgs["maturity"][members["org"][firms]]) if firms.size else np.nan,
            ledger["projects_started"].sum(), ledger["projects_succeeded"].sum(),
            self.innovations.sum(), ledger["flow_company_company"].sum(),
            ledger["flow_institution_company"].sum(), ledger["flow_platform"].sum(),
            tie_count.sum() / possible.sum() if possible.sum() > 0 else 0.0,
            np.nan, productive.mean(),
        ])
        del n_firms
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
