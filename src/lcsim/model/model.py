"""The learning-community model: state, schedule and bookkeeping.

:class:`LearningCommunityModel` owns every random draw (``self.rng``, seeded
from the config), the per-agent state in numpy column tables, and the Mesa
agents that expose it. One step is one month; the mechanisms in
:data:`SCHEDULE` act on the whole population in a fixed order.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections import defaultdict
from collections.abc import Callable

import mesa
import numba
import numpy as np

from lcsim.config.schema import LcsimConfig
from lcsim.mechanisms import (
    digital_maturity,
    engagement,
    facilitation,
    institutions,
    interventions,
    joint_projects,
    knowledge_exchange,
    membership,
    organisational_learning,
    platform,
    trust,
)
from lcsim.model import population
from lcsim.model.agents import (
    Company,
    Employee,
    KnowledgeInstitution,
    LearningCommunity,
)
from lcsim.model.outcomes import OutcomeRecorder
from lcsim.model.state import ColumnTable, group_order

logging.getLogger("MESA").setLevel(logging.WARNING)

#: The mechanisms in the order they act within one month.
SCHEDULE: tuple[tuple[str, Callable], ...] = (
    ("interventions", interventions.step),
    ("engagement", engagement.step),
    ("facilitation", facilitation.step),
    ("knowledge_exchange", knowledge_exchange.step),
    ("trust", trust.step),
    ("institutions", institutions.step),
    ("platform", platform.step),
    ("joint_projects", joint_projects.step),
    ("organisational_learning", organisational_learning.step),
    ("digital_maturity", digital_maturity.step),
    ("commitment", engagement.settle),
    ("membership", membership.step),
)

#: Months of net benefit kept per member (the largest allowed patience).
NET_HISTORY = 24

#: Bits of a tie key (see :func:`tie_keys`) that hold the higher member row.
TIE_KEY_BITS = 32
TIE_KEY_MASK = (1 << TIE_KEY_BITS) - 1

LEDGER_COUNTS = ("projects_started", "projects_succeeded", "innovations")
LEDGER_FLOWS = ("flow_company_company", "flow_institution_company", "flow_platform")


class LearningCommunityModel(mesa.Model):
    """Companies, employees and knowledge institutions learning in communities.

    Args:
        config: A validated :class:`LcsimConfig` (see
            :func:`lcsim.config.validate.validate`).
        rng: Seed or generator for every random draw of the run.
    """

    def __init__(
        self,
        config: LcsimConfig,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
    ) -> None:
        if isinstance(rng, np.random.SeedSequence):
            rng = np.random.default_rng(rng)
        super().__init__(rng=rng)
        self.params = copy.deepcopy(config)
        s = self.params.scenario
        m = s.knowledge_dimensions
        self.n_communities = s.n_communities
        self.reality = self.rng.choice(np.array([-1.0, 1.0]), size=m)

        self.organisations = ColumnTable({
            "kind": (np.int8, (), 0),            # 0 company, 1 institution
            "size_class": (np.int8, (), -1),     # 0 micro, 1 small, 2 medium
            "code": (float, (m,), 0.0),
            "maturity": (float, (), np.nan),
            "present": (bool, (), True),
        })
        self.employees = ColumnTable({
            "org": (np.int64, (), -1),
            "beliefs": (float, (m,), 0.0),
            "present": (bool, (), True),
        }, capacity=8192)
        self.members = ColumnTable({
            "org": (np.int64, (), -1),
            "community": (np.int64, (), -1),
            "active": (bool, (), True),
            "founder": (bool, (), False),
            "joined": (np.int64, (), 0),
            "left": (np.int64, (), -1),
            "member_type": (np.int8, (), 0),
            "threshold": (float, (), 0.0),
            "own_level": (float, (), 0.0),
            "commitment": (float, (), 0.0),
            "contribution": (float, (), 0.0),
            "engaged": (bool, (), True),
            "incumbent": (bool, (), False),
            "newcomer": (bool, (), False),
            "welcomed": (bool, (), False),
            "months": (np.int64, (), 0),
            "value": (float, (), 0.0),
            "net_history": (float, (NET_HISTORY,), 0.0),
        })
        self.ties = ColumnTable({
            "a": (np.int64, (), -1),
            "b": (np.int64, (), -1),
            "trust_ab": (float, (), 0.5),
            "trust_ba": (float, (), 0.5),
            "active": (bool, (), True),
        }, capacity=4096)
        # Sorted keys (see tie_keys) of the active ties, for membership tests.
        self._tie_keys = np.zeros(0, dtype=np.int64)
        self._tie_index: tuple[np.ndarray, np.ndarray] | None = None
        self._staff_index: tuple[np.ndarray, np.ndarray] | None = None

        self.organisation_agents: dict[int, Company | KnowledgeInstitution] = {}
        self.employee_agents: dict[int, Employee] = {}
        self.served_communities: dict[int, np.ndarray] = {}
        self.communities: list[LearningCommunity] = []
        self.collaborators: dict[int, set[int]] = defaultdict(set)
        self.projects: list[joint_projects.Project] = []
        self.platform_open = False
        self.platform_content = np.zeros(m)
        self.reputation = np.zeros(self.n_communities)
        self.boundary_reduction = np.zeros(self.n_communities)
        self.successes_this_month = np.zeros(0)
        self.interactions = _no_interactions()
        self.ledger = self._new_ledger()

        population.build(self)
        self.successes_this_month = np.zeros(len(self.organisations))
        self.recorder = OutcomeRecorder(self)
        self.recorder.collect()

    # ------------------------------------------------------------------ run

    def step(self) -> None:
        """Advance one month: every mechanism in :data:`SCHEDULE`, then outcomes."""
        self.ledger = self._new_ledger()
        self.interactions = _no_interactions()
        self.members["value"][:] = 0.0
        if len(self.successes_this_month) < len(self.organisations):
            self.successes_this_month = np.resize(self.successes_this_month,
                                                  len(self.organisations))
        for _, mechanism in SCHEDULE:
            mechanism(self)
        self.recorder.collect()

    def run(self) -> None:
        """Run all months of the scenario."""
        for _ in range(self.params.scenario.steps - self.steps):
            self.step()

    def _new_ledger(self) -> dict[str, np.ndarray]:
        return {name: np.zeros(self.n_communities) for name in LEDGER_COUNTS + LEDGER_FLOWS}

    # ---------------------------------------------------------- membership

    def join_companies(self, communities: np.ndarray) -> np.ndarray:
        """Let one new company join each given community; return their member rows."""
        return population.add_companies(self, communities, founders=False)

    def leave(self, rows: np.ndarray) -> None:
        """Members leave their community; companies leave the model with their staff."""
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[self.members["active"][rows]]
        if rows.size == 0:
            return
        members = self.members
        members["active"][rows] = False
        members["engaged"][rows] = False
        members["contribution"][rows] = 0.0
        members["left"][rows] = self.steps
        self._drop_ties(rows)
        orgs = self.organisations
        present = self.employees["present"]
        for org in members["org"][rows].tolist():
            if orgs["kind"][org] == 1 and (members["active"] & (members["org"] == org)).any():
                continue
            orgs["present"][org] = False
            agent = self.organisation_agents[org]
            present[[employee.row for employee in agent.employees]] = False
            for employee in agent.employees:
                employee.remove()
            agent.remove()

    def remember_net_benefit(self, net: np.ndarray) -> None:
        """Append this month's net benefit of every active member to its history."""
        members = self.members
        active = members["active"]
        history = members["net_history"]
        shifted = np.concatenate([history[:, 1:], net[:, None]], axis=1)
        np.copyto(history, shifted, where=active[:, None])
        months = members["months"]
        months += active

    # ---------------------------------------------------------------- ties

    def add_ties(self, a: np.ndarray, b: np.ndarray) -> None:
        """Tie member pairs (a[i], b[i]) that are not tied yet."""
        keys = _new_tie_keys(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64),
                             self._tie_keys)
        if keys.size == 0:
            return
        initial = self.params.trust.initial
        self.ties.append(keys.size, a=keys >> TIE_KEY_BITS, b=keys & TIE_KEY_MASK,
                         trust_ab=initial, trust_ba=initial)
        self._tie_keys = _merge_sorted(self._tie_keys, keys)
        self._tie_index = None

    def _known_ties(self, keys: np.ndarray) -> np.ndarray:
        known = self._tie_keys
        if known.size == 0:
            return np.zeros(keys.shape, dtype=bool)
        at = np.minimum(np.searchsorted(known, keys), known.size - 1)
        return known[at] == keys

    def _drop_ties(self, rows: np.ndarray) -> None:
        ties = self.ties
        leaving = np.zeros(len(self.members), dtype=bool)
        leaving[rows] = True
        gone = np.flatnonzero(ties["active"] & (leaving[ties["a"]] | leaving[ties["b"]]))
        if gone.size == 0:
            return
        ties["active"][gone] = False
        keys = tie_keys(ties["a"][gone], ties["b"][gone])
        self._tie_keys = np.delete(self._tie_keys, np.searchsorted(self._tie_keys, keys))
        self._tie_index = None

    def are_tied(self, member: int | np.ndarray, others: np.ndarray) -> np.ndarray:
        """Whether ``member`` (one row, or one per entry) is tied to each of ``others``."""
        others = np.asarray(others, dtype=np.int64)
        member = np.broadcast_to(np.asarray(member, dtype=np.int64), others.shape)
        return self._known_ties(tie_keys(member, others))

    def degree(self) -> np.ndarray:
        """Active ties of every member."""
        ties = self.ties
        live = ties["active"]
        n = len(self.members)
        return (np.bincount(ties["a"][live], minlength=n)
                + np.bincount(ties["b"][live], minlength=n))

    def add_collaborations(self, teams: list[np.ndarray]) -> None:
        """Record that each team worked together: its members become collaborators and tied."""
        if not teams:
            return
        for team in teams:
            together = np.asarray(team).tolist()
            for member in together:
                partners = self.collaborators[member]
                partners.update(together)
                partners.discard(member)

        # Every pair on each team, from the teams laid out as padded rows.
        sizes = np.array([len(team) for team in teams])
        on_team = np.arange(sizes.max()) < sizes[:, None]
        places = np.zeros(on_team.shape, dtype=np.int64)
        places[on_team] = np.concatenate(teams)
        i, j = _pairs(on_team.shape[1])
        pair = on_team[:, i] & on_team[:, j]
        self.add_ties(places[:, i][pair], places[:, j][pair])

    def draw_partners(self, seekers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draw one random active tie of each seeker; return (tie, partner) rows.

        Seekers without ties are skipped.
        """
        if self._tie_index is None:
            ties = self.ties
            self._tie_index = _incident_ties(ties["a"], ties["b"], ties["active"],
                                             len(self.members))
        start, incident = self._tie_index
        if len(start) - 1 < len(self.members):
            self._tie_index = None
            return self.draw_partners(seekers)
        degree = start[seekers + 1] - start[seekers]
        seekers = seekers[degree > 0]
        degree = degree[degree > 0]
        pick = start[seekers] + (self.rng.random(seekers.size) * degree).astype(np.int64)
        tie = incident[pick]
        a, b = self.ties["a"][tie], self.ties["b"][tie]
        return tie, np.where(a == seekers, b, a)

    def trust_of(self, truster: np.ndarray, ties: np.ndarray) -> np.ndarray:
        """Trust of each member in the other end of the given tie."""
        forward = self.ties["a"][ties] == truster
        return np.where(forward, self.ties["trust_ab"][ties], self.ties["trust_ba"][ties])

    # ------------------------------------------------------------ knowledge

    def staff_by_organisation(self) -> tuple[np.ndarray, np.ndarray]:
        """Employee posts grouped by organisation: ``(start, staff)``.

        ``staff`` holds the employee rows ordered by organisation (and by row
        within one); organisation ``o`` has ``staff[start[o]:start[o + 1]]``.
        Staff leave only with their organisation, so an organisation's posts
        are all present or all absent. Cached until posts are added.
        """
        if self._staff_index is None or len(self._staff_index[0]) <= len(self.organisations):
            owner = self.employees["org"]
            if (owner[1:] >= owner[:-1]).all():
                order = np.arange(owner.size)  # posts are added organisation by organisation
            else:
                order = group_order(owner, len(self.organisations))
            counts = np.bincount(owner, minlength=len(self.organisations))
            start = np.concatenate([[0], np.cumsum(counts)])
            self._staff_index = (start, order)
        return self._staff_index

    def random_employees(self, orgs: np.ndarray) -> np.ndarray:
        """One employee drawn at random from each given (present) organisation."""
        start, staff = self.staff_by_organisation()
        size = start[orgs + 1] - start[orgs]
        return staff[start[orgs] + (self.rng.random(len(orgs)) * size).astype(np.int64)]

    def record_interactions(
        self, learner: np.ndarray, teacher: np.ndarray, ties: np.ndarray, gains: np.ndarray
    ) -> None:
        """Keep this month's meetings for trust, and credit what was learned."""
        self.interactions = (learner, teacher, ties, gains)
        kind = self.organisations["kind"][self.members["org"][teacher]]
        self.credit_gains(learner, gains * (kind == 0), "flow_company_company", value=False)
        self.credit_gains(learner, gains * (kind == 1), "flow_institution_company",
                          value=False)
        self._add_value(learner, gains)

    def credit_gains(self, learner: np.ndarray, gains: np.ndarray, flow: str,
                     value: bool = True) -> None:
        """Credit knowledge gained by members to their value, and companies' to a flow."""
        if value:
            self._add_value(learner, gains)
        is_company = self.organisations["kind"][self.members["org"][learner]] == 0
        self.ledger[flow] += np.bincount(
            self.members["community"][learner], weights=gains * is_company,
            minlength=self.n_communities,
        )

    def _add_value(self, learner: np.ndarray, gains: np.ndarray) -> None:
        value = self.members["value"]
        value += self.params.engagement.knowledge_value * np.bincount(
            learner, weights=gains, minlength=value.size
        )

    def on_project_successes(
        self, projects: list[joint_projects.Project], best: np.ndarray
    ) -> None:
        """Book successes for maturity and, if open, codify them in order.

        ``best`` holds each project's result, one row per project.
        """
        orgs = self.members["org"][np.concatenate([project.team for project in projects])]
        self.successes_this_month += np.bincount(orgs, minlength=len(self.successes_this_month))
        p = self.params.platform
        if self.platform_open and p.enabled:
            self.platform_content = platform.codify_all(
                self.platform_content, best, self.reality, p.codification
            )

    # ------------------------------------------------------------- outcomes

    def outcomes(self):
        """The tidy outcome table of the run so far (see docs/outputs.md)."""
        return self.recorder.frame()


def tie_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One integer per unordered member pair: lower row high, higher row low bits."""
    return (np.minimum(a, b) << TIE_KEY_BITS) | np.maximum(a, b)


@numba.njit(cache=True, nogil=True)
def _incident_ties(a, b, active, n_members):  # pragma: no cover - compiled
    """Active ties grouped by member: ``(start, incident)``.

    Member ``i``'s ties are ``incident[start[i]:start[i + 1]]``: first those
    where it is end ``a``, then those where it is end ``b``, each ascending.
    """
    start = np.zeros(n_members + 1, dtype=np.int64)
    for t in range(a.size):
        if active[t]:
            start[a[t] + 1] += 1
            start[b[t] + 1] += 1
    for i in range(n_members):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    incident = np.empty(start[n_members], dtype=np.int64)
    for ends in (a, b):
        for t in range(ends.size):
            if active[t]:
                incident[fill[ends[t]]] = t
                fill[ends[t]] += 1
    return start, incident


@numba.njit(cache=True, nogil=True)
def _new_tie_keys(a, b, known):  # pragma: no cover - compiled
    """Sorted keys of the distinct pairs (a[i], b[i]), a[i] != b[i], not in
    the sorted ``known``."""
    keys = np.empty(a.size, dtype=np.int64)
    n = 0
    for i in range(a.size):
        if a[i] != b[i]:
            keys[n] = (min(a[i], b[i]) << TIE_KEY_BITS) | max(a[i], b[i])
            n += 1
    keys = np.sort(keys[:n])
    new = np.empty(n, dtype=np.int64)
    n_new = 0
    for i in range(n):
        if i > 0 and keys[i] == keys[i - 1]:
            continue
        at = np.searchsorted(known, keys[i])
        if at < known.size and known[at] == keys[i]:
            continue
        new[n_new] = keys[i]
        n_new += 1
    return new[:n_new]


@numba.njit(cache=True, nogil=True)
def _merge_sorted(old, new):  # pragma: no cover - compiled
    """The sorted union of two sorted arrays with no value in common."""
    merged = np.empty(old.size + new.size, dtype=old.dtype)
    i = j = 0
    for k in range(merged.size):
        if j == new.size or (i < old.size and old[i] < new[j]):
            merged[k] = old[i]
            i += 1
        else:
            merged[k] = new[j]
            j += 1
    return merged


@functools.cache
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Both ends of every pair among ``n`` places (upper triangle, row by row)."""
    return np.triu_indices(n, k=1)


def _no_interactions() -> tuple[np.ndarray, ...]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty, np.zeros(0)
