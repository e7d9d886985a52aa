"""Building the initial population of a scenario, and companies that join later.

* Community sizes follow a Zipf law with exponent
  ``scenario.community_size_skew`` over the ``n_companies`` founding
  companies (Clic-it: one community of about 200 companies, mean about 35),
  rounded by largest remainder, at least one company each.
* Each company's size class is drawn from the CBS mix (micro / small /
  medium), and its staff count log-uniformly within the class (1-9, 10-49,
  50-249 employees).
* Each community is served by a number of institutions drawn uniformly
  between the scenario's minimum and maximum, chosen with preference for the
  least loaded; institutions left without a community are then given one
  with room, or take the place of an institution that serves several. Their
  memberships are unconditional contributors at ``institutions.contribution``.
* Employees start with uniform March beliefs; company codes start at 0
  (March 1991). Institution staff and codes start nearer the frontier
  (``scenario.institution_accuracy``).
* The members of each community (its companies and institutions) are tied in
  a Watts–Strogatz small world of degree ``ties_per_member`` and rewiring
  ``rewiring``, in a random ring order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from lcsim.mechanisms import digital_maturity, engagement
from lcsim.model.agents import (
    Company,
    Employee,
    KnowledgeInstitution,
    LearningCommunity,
)
from lcsim.model.knowledge import random_beliefs
from lcsim.model.state import group_order

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

#: Staff bounds of the CBS size classes micro, small and medium.
STAFF_BOUNDS = ((1, 9), (10, 49), (50, 249))
_STAFF_LOW, _STAFF_HIGH = np.array(STAFF_BOUNDS).T


def community_sizes(n_companies: int, n_communities: int, skew: float) -> np.ndarray:
    """Founding companies per community: Zipf weights, largest remainder."""
    weights = np.arange(1, n_communities + 1, dtype=float) ** -skew
    spare = n_companies - n_communities
    exact = spare * weights / weights.sum()
    sizes = np.floor(exact).astype(int)
    remainder = spare - sizes.sum()
    sizes[np.argsort(-(exact - sizes), kind="stable")[:remainder]] += 1
    return sizes + 1


def draw_staff(size_class: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Staff count per company, log-uniform within its size class."""
    low, high = _STAFF_LOW[size_class], _STAFF_HIGH[size_class]
    draw = np.exp(rng.uniform(np.log(low), np.log(high + 1)))
    return np.minimum(np.maximum(np.floor(draw).astype(int), low), high)


def build(model: LearningCommunityModel) -> None:
    """Create the scenario's communities, organisations, employees, members, ties."""
    s = model.params.scenario
    rng = model.rng
    for c in range(s.n_communities):
        model.communities.append(LearningCommunity(model, c, f"LC{c + 1:02d}"))

    sizes = community_sizes(s.n_companies, s.n_communities, s.community_size_skew)
    add_companies(model, np.repeat(np.arange(s.n_communities), sizes), founders=True,
                  wire=False)

    served = assign_institutions(
        s.n_communities, s.n_institutions, s.institutions_per_community_min,
        s.institutions_per_community_max, rng,
    )
    for communities in served:
        add_institution(model, communities)

    members = model.members
    for c in range(s.n_communities):
        rows = np.flatnonzero(members["community"] == c)
        wire_small_world(model, rng.permutation(rows))


def assign_institutions(
    n_communities: int, n_institutions: int, least: int, most: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Which communities each institution serves."""
    if n_institutions == 0:
        return []
    load = np.zeros(n_institutions)
    serves: list[set[int]] = [set() for _ in range(n_institutions)]
    for c in range(n_communities):
        k = min(int(rng.integers(least, most + 1)), n_institutions)
        weights = 1.0 / (1.0 + load)
        chosen = rng.choice(n_institutions, size=k, replace=False, p=weights / weights.sum())
        for i in chosen:
            serves[i].add(c)
            load[i] += 1
    served_by = np.bincount([c for s in serves for c in s], minlength=n_communities)
    for i in np.flatnonzero(load == 0):
        # An institution left without a community joins one that still has room,
        # or else takes the place of an institution that serves several.
        room = np.flatnonzero(served_by < most)
        if room.size:
            c = int(rng.choice(room))
        else:
            places = [(j, c) for j, s in enumerate(serves) if len(s) > 1 for c in sorted(s)]
            if places:
                j, c = places[int(rng.integers(len(places)))]
                serves[j].discard(c)
                served_by[c] -= 1
            else:
                c = int(rng.integers(n_communities))
        serves[i].add(c)
        served_by[c] += 1
    return [np.array(sorted(s), dtype=np.int64) for s in serves]


def add_companies(
    model: LearningCommunityModel, communities: np.ndarray, *, founders: bool,
    wire: bool = True,
) -> np.ndarray:
    """Create companies with staff, one member of each given community.

    Args:
        model: The model.
        communities: The community of each new company.
        founders: Whether they found their communities (else they join).
        wire: Tie each to members of its community (see ``_attach_newcomers``).

    Returns:
        Their member rows.
    """
    s = model.params.scenario
    rng = model.rng
    communities = np.asarray(communities, dtype=np.int64)
    count = communities.size
    mix = np.cumsum([s.size_mix.micro, s.size_mix.small, s.size_mix.medium])
    size_class = np.searchsorted(mix / mix[-1], rng.random(count), side="right")
    staff = draw_staff(size_class, rng)
    maturity = digital_maturity.initial_maturity(size_class, model.params.maturity, rng)
    orgs = model.organisations.append(
        count, kind=0, size_class=size_class, maturity=maturity, code=0.0
    )
    _add_staff(model, Company, orgs, staff, accuracy=None)
    rows = _add_members(model, orgs, communities, founders=founders)
    if wire:
        _attach_newcomers(model, rows, communities)
    return rows


def add_institution(model: LearningCommunityModel, communities: np.ndarray) -> None:
    """Create one knowledge institution serving the given communities."""
    s = model.params.scenario
    code = random_beliefs(model.rng, (s.knowledge_dimensions,), model.reality,
                          s.institution_accuracy)
    orgs = model.organisations.append(1, kind=1, code=code)
    model.served_communities[int(orgs[0])] = communities
    _add_staff(model, KnowledgeInstitution, orgs, np.array([s.institution_staff]),
               accuracy=s.institution_accuracy)
    rows = _add_members(model, np.repeat(orgs, len(communities)), communities,
                        founders=True)
    # Institutions take part as mandated partners at a level of their own, never
    # as free riders or conditional cooperators.
    level = model.params.institutions.contribution
    members = model.members
    members["member_type"][rows] = engagement.UNCONDITIONAL
    members["own_level"][rows] = level
    members["contribution"][rows] = level


def _add_staff(model, kind, orgs: np.ndarray, n_staff: np.ndarray,
               accuracy: float | None) -> None:
    """Create the organisations' agents and their staff, organisation by organisation."""
    m = model.params.scenario.knowledge_dimensions
    beliefs = random_beliefs(model.rng, (int(n_staff.sum()), m), model.reality, accuracy)
    rows = model.employees.append(len(beliefs), org=np.repeat(orgs, n_staff),
                                  beliefs=beliefs).tolist()
    first = 0
    for org, n in zip(orgs.tolist(), n_staff.tolist(), strict=True):
        agent = kind(model, org)
        model.organisation_agents[org] = agent
        for row in rows[first:first + n]:
            employee = Employee(model, row)
            model.employee_agents[row] = employee
            agent.employees.append(employee)
        first += n
    model._staff_index = None


def _add_members(model, orgs: np.ndarray, community: int | np.ndarray, *,
                 founders: bool) -> np.ndarray:
    p = model.params.engagement
    n = len(orgs)
    member_type, threshold, own_level = engagement.draw_member_types(n, p, model.rng)
    start = np.where(member_type == engagement.UNCONDITIONAL, own_level,
                     p.initial_contribution)
    start[member_type == engagement.FREE_RIDER] = 0.0
    return model.members.append(
        n, org=orgs, community=community, founder=founders, joined=model.steps,
        member_type=member_type, threshold=threshold, own_level=own_level,
        commitment=p.initial_commitment, contribution=start, engaged=True,
        newcomer=not founders,
    )


def wire_small_world(model: LearningCommunityModel, ring: np.ndarray) -> None:
    """Tie members (in ring order) as a Watts–Strogatz small world."""
    s = model.params.scenario
    n = len(ring)
    if n < 2:
        return
    k = min(s.ties_per_member, (n - 1) // 2 * 2)
    if k < 2:
        model.add_ties(ring[:-1], ring[1:])
        return
    seed = int(model.rng.integers(2**31 - 1))
    graph = nx.watts_strogatz_graph(n, k, s.rewiring, seed=seed)
    edges = np.array(sorted(graph.edges()), dtype=np.int64).reshape(-1, 2)
    model.add_ties(ring[edges[:, 0]], ring[edges[:, 1]])


def _attach_newcomers(model, rows: np.ndarray, communities: np.ndarray) -> None:
    """Tie each newcomer to half its degree of active members of its community.

    Each newcomer's partners are a uniform sample, without replacement, of
    the other active members (newcomers of the same batch included).
    """
    if rows.size == 0:
        return
    members = model.members
    half = max(model.params.scenario.ties_per_member // 2, 1)
    active = np.flatnonzero(members["active"])
    active = active[group_order(members["community"][active], model.n_communities)]
    size = np.bincount(members["community"][active], minlength=model.n_communities)
    first = np.concatenate([[0], np.cumsum(size)])[:-1]

    # Each newcomer's pool as a padded row; the k smallest of uniform keys
    # over it are a uniform k-sample, with its own row and the padding
    # excluded by infinite keys.
    width = int(size[communities].max())
    place = np.arange(width)
    inside = place < size[communities][:, None]
    pool = active[np.minimum(first[communities][:, None] + place, active.size - 1)]
    keys = model.rng.random((rows.size, width))
    keys[~inside | (pool == rows[:, None])] = np.inf
    k = min(half, width)
    picked = np.argpartition(keys, k - 1, axis=1)[:, :k]
    chosen = np.isfinite(np.take_along_axis(keys, picked, axis=1))
    seekers = np.broadcast_to(rows[:, None], picked.shape)[chosen]
    model.add_ties(seekers, np.take_along_axis(pool, picked, axis=1)[chosen])
