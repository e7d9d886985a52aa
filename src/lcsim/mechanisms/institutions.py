"""Knowledge institutions bring frontier knowledge, with limited capacity.

A knowledge institution (university of applied sciences, college,
university) keeps close to the knowledge frontier: each month, on every
dimension where its code differs from the frontier, it catches up with
probability ``frontier_tracking`` (research). Its staff, students and
interns socialise to that code and turn over like any employees
(:mod:`.organisational_learning`), and on top of that students graduate:
each month a post is refilled with probability ``student_turnover`` by a new
student whose belief on each dimension matches the frontier with
probability ``student_accuracy`` (otherwise it is 0 or wrong, equally
likely).

In every community it serves, an institution is a member that takes part as
a mandated partner: it contributes ``contribution`` in every month it takes
part (it is never a free rider or conditional cooperator) and does not leave
(see :mod:`.membership`). Whether it takes part follows the same threshold
rule as for companies (:mod:`.engagement`).

Its ``capacity`` of visits a month (staff consultations, student projects,
internships) is split over the communities it serves in proportion to their
engaged member companies. In each visit one of its people teaches one
employee of an engaged company, through the same exchange rule as between
members (:func:`lcsim.mechanisms.knowledge_exchange.exchange`), with full
contribution and the trust of a new tie.

References:
    Cohen, W. M., & Levinthal, D. A. (1990). doi:10.2307/2393553
    Akkerman, S. F., & Bakker, A. (2011). doi:10.3102/0034654311404435
    Clic-it programme (NWO): 8 knowledge institutions serving 15 learning
    communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.mechanisms.knowledge_exchange import exchange
from lcsim.model.knowledge import knowledge_level, random_beliefs
from lcsim.model.state import group_order

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for institutions' visits and frontier research.")
    capacity: float = param(
        12.0, "Visits an institution makes a month, over all communities it serves.",
        unit="visits/month", low=0.0, high=1000.0, source="assumption",
    )
    contribution: float = param(
        0.8, "What an institution puts into a community it serves in a month it takes part.",
        low=0.0, high=1.0, source="assumption (mandated partner)",
    )
    frontier_tracking: float = param(
        0.1, "Monthly chance that an institution catches up on an outdated dimension.",
        unit="1/month", low=0.0, high=1.0, source="assumption",
    )
    student_turnover: float = param(
        0.04, "Monthly chance that a student post is filled by a new student.",
        unit="1/month", low=0.0, high=1.0, source="assumption (2-4 year studies)",
    )
    student_accuracy: float = param(
        0.6, "Chance that a new student's belief on a dimension matches the frontier.",
        low=0.0, high=1.0, source="assumption",
    )


def track_frontier(
    codes: np.ndarray, reality: np.ndarray, probability: float, rng: np.random.Generator
) -> None:
    """Move institution codes to the frontier on outdated dimensions, in place."""
    outdated = codes != reality
    catch_up = outdated & (rng.random(codes.shape) < probability)
    np.copyto(codes, reality, where=catch_up)


def allocate_visits(
    capacity: float, demand: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Split an institution's whole visits over communities by demand.

    The expected number of visits to each community is ``capacity x demand /
    sum(demand)``; whole visits are drawn multinomially. ``demand`` may hold
    one row per institution (shape (k, n)); each row is split on its own.
    """
    demand = np.asarray(demand, dtype=float)
    total = demand.sum(axis=-1, keepdims=True)
    if capacity <= 0:
        return np.zeros(demand.shape, dtype=int)
    wanted = total[..., 0] > 0
    whole = np.floor(capacity) + (rng.random(wanted.shape) < capacity % 1)
    visits = np.where(wanted, whole, 0).astype(np.int64)
    share = np.divide(demand, total, out=np.full(demand.shape, 1.0 / demand.shape[-1]),
                      where=total > 0)
    return rng.multinomial(visits, share)


def step(model: LearningCommunityModel) -> None:
    """Institutions research, renew students and visit engaged companies."""
    p: Params = model.params.institutions
    if not p.enabled:
        return
    rng = model.rng
    orgs = model.organisations
    institutions = np.flatnonzero((orgs["kind"] == 1) & orgs["present"])
    if institutions.size == 0:
        return
    codes = orgs["code"]
    block = codes[institutions]
    track_frontier(block, model.reality, p.frontier_tracking, rng)
    codes[institutions] = block
    renew_students(model, institutions, p)

    # Engaged member companies of every community, grouped by community.
    members = model.members
    n_comm = model.n_communities
    community = members["community"]
    pool = np.flatnonzero(members["engaged"] & (orgs["kind"][members["org"]] == 0))
    pool = pool[group_order(community[pool], n_comm)]
    demand = np.bincount(community[pool], minlength=n_comm)
    first = np.concatenate([[0], np.cumsum(demand)])[:-1]

    # Visits of each institution to each community it serves.
    served = [model.served_communities[inst] for inst in institutions.tolist()]
    serves = np.zeros((institutions.size, n_comm), dtype=bool)
    serves[np.repeat(np.arange(institutions.size), [len(s) for s in served]),
           np.concatenate(served)] = True
    visits = allocate_visits(p.capacity, demand * serves, rng).ravel()
    teacher_org = np.repeat(np.repeat(institutions, n_comm), visits)
    visited = np.repeat(np.arange(visits.size) % n_comm, visits)
    teacher_org, visited = teacher_org[demand[visited] > 0], visited[demand[visited] > 0]
    if visited.size == 0:
        return
    learner = pool[first[visited] + (rng.random(visited.size) * demand[visited]).astype(np.int64)]
    learner_org = members["org"][learner]
    level = knowledge_level(codes, model.reality)[learner_org]
    gains = exchange(
        model.employees["beliefs"],
        model.random_employees(learner_org),
        model.employees["beliefs"][model.random_employees(teacher_org)],
        model.reality,
        np.full(learner.size, model.params.trust.initial),
        level,
        model.params.exchange,
        model.boundary_reduction[members["community"][learner]],
    )
    model.credit_gains(learner, gains, "flow_institution_company")


def renew_students(model: LearningCommunityModel, institutions: np.ndarray, p: Params) -> None:
    start, staff = model.staff_by_organisation()
    size = start[institutions + 1] - start[institutions]
    offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    staff = staff[np.repeat(start[institutions], size) + offset]
    renewed = staff[model.rng.random(staff.size) < p.student_turnover]
    if renewed.size:
        model.employees["beliefs"][renewed] = random_beliefs(
            model.rng, (renewed.size, model.reality.size), model.reality, p.student_accuracy
        )
