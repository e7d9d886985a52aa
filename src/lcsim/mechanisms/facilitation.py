"""Facilitation: a facilitator's monthly capacity, spent where it helps most.

Every community has a facilitator with ``capacity`` units of effort a month,
scaled by how well its governance mode suits the community's size (Provan &
Kenis 2008): shared governance works for small, dense communities (full
efficiency up to ``shared_size`` members, falling as shared_size / size
beyond), a lead organisation for moderate ones (up to ``lead_size``), and a
network administrative organisation (NAO) at a fixed ``nao_efficiency``
whatever the size. The effort is spent in this order:

1. *welcoming newcomers*, ``welcome_cost`` each, the active newcomers not
   yet welcomed, longest waiting first: a welcomed newcomer comes back after
   its first month with probability ``return_welcomed`` instead of
   ``return_unwelcomed`` (Joyce & Kraut 2006: 0.56 against 0.44), see
   :mod:`.membership`;
2. a *boundary object* for the month, ``boundary_cost``: it lowers the
   distance that understanding must bridge by ``boundary_reduction``
   (Akkerman & Bakker 2011), see :mod:`.knowledge_exchange`;
3. *brokering ties*, ``broker_cost`` each, never more in a month than the
   community has untied pairs of engaged members: a new tie between two engaged
   members who are not yet tied, the second drawn among those furthest
   away in knowledge (Dhanaraj & Parkhe 2006): an engaged member is drawn
   at random, and its new partner at random among the engaged members not
   yet tied to it whose cognitive distance to it is at least the upper
   quartile of those members' distances: the distance of rank
   ceil(0.75 (n - 1)) in ascending order (counting from 0), n the number of
   such members. A distance reaches this value exactly when it reaches
   numpy's linearly interpolated upper quartile (up to rounding). All of a
   month's ties are drawn together from the network as it stood before any
   of them, so a draw that repeats a pair brokered earlier that month is
   spent without effect, as is one for a member with no one left to tie to.

With facilitation off, nobody is welcomed, there are no boundary objects
and no brokered ties.

References:
    Provan, K. G., & Kenis, P. (2008). Modes of network governance. JPART
    18(2), 229–252. doi:10.1093/jopart/mum015
    Joyce, E., & Kraut, R. E. (2006). Predicting continued participation in
    newsgroups. JCMC 11(3). doi:10.1111/j.1083-6101.2006.00034.x
    Akkerman, S. F., & Bakker, A. (2011). Boundary crossing and boundary
    objects. Review of Educational Research 81(2), 132–169.
    doi:10.3102/0034654311404435
    Dhanaraj, C., & Parkhe, A. (2006). Orchestrating innovation networks.
    Academy of Management Review 31(3), 659–669.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.model.knowledge import cognitive_distance
from lcsim.model.state import group_order

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

GOVERNANCE_MODES = ("shared", "lead_organisation", "network_administrative_organisation")


@dataclass
class Params:
    enabled: bool = param(True, "Switch for facilitation.")
    capacity: float = param(
        5.0, "Facilitator effort per community and month.", unit="actions/month",
        low=0.0, high=1000.0, source="SCIENCE.md (assumption)",
    )
    governance: str = param(
        "lead_organisation", "Governance mode of every community.",
        choices=GOVERNANCE_MODES, source="Provan & Kenis 2008",
    )
    shared_size: int = param(
        12, "Members up to which shared governance runs at full efficiency.",
        low=1, high=1000, source="Provan & Kenis 2008 (assumption: value)",
    )
    lead_size: int = param(
        40, "Members up to which a lead organisation runs at full efficiency.",
        low=1, high=1000, source="Provan & Kenis 2008 (assumption: value)",
    )
    nao_efficiency: float = param(
        0.8, "Efficiency of a network administrative organisation at any size.",
        low=0.0, high=1.0, source="Provan & Kenis 2008 (assumption: value)",
    )
    welcome_cost: float = param(1.0, "Effort to welcome one newcomer.", unit="actions",
                                low=0.0, high=100.0, source="assumption")
    return_welcomed: float = param(
        0.56, "Chance that a welcomed newcomer returns after its first month.",
        low=0.0, high=1.0, source="Joyce & Kraut 2006",
    )
    return_unwelcomed: float = param(
        0.44, "Chance that a newcomer nobody welcomed returns.",
        low=0.0, high=1.0, source="Joyce & Kraut 2006",
    )
    boundary_cost: float = param(2.0, "Effort for a month's boundary object.",
                                 unit="actions", low=0.0, high=100.0, source="assumption")
    boundary_reduction: float = param(
        0.1, "Cognitive distance that a boundary object bridges.",
        low=0.0, high=0.3, source="SCIENCE.md (assumption); Akkerman & Bakker 2011",
    )
    broker_cost: float = param(1.0, "Effort to broker one new tie.", unit="actions",
                               low=0.01, high=100.0, source="assumption")


def governance_efficiency(mode: str, members: np.ndarray, params: Params) -> np.ndarray:
    """Share of the facilitator's capacity that a community of this size gets."""
    members = np.maximum(np.asarray(members, dtype=float), 1.0)
    if mode == "shared":
        return np.minimum(1.0, params.shared_size / members)
    if mode == "lead_organisation":
        return np.minimum(1.0, params.lead_size / members)
    return np.full(members.shape, params.nao_efficiency)


def spend_effort(
    budget: np.ndarray, waiting: np.ndarray, engaged: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each community's effort over welcomes, a boundary object and ties.

    Args:
        budget: Effort of each community's facilitator this month.
        waiting: Newcomers not yet welcomed, per community.
        engaged: Engaged members, per community.
        params: Costs of each action.

    Returns:
        Newcomers to welcome, whether there is a boundary object, and ties
        to broker, per community.
    """
    welcome_cost, boundary_cost, broker_cost = (
        params.welcome_cost, params.boundary_cost, params.broker_cost
    )
    welcomes, boundary, brokers = [], [], []
    # Python numbers: the same arithmetic as on numpy scalars, without their cost.
    for left, n_waiting, n_engaged in zip(np.asarray(budget, dtype=float).tolist(),
                                          np.asarray(waiting).tolist(),
                                          np.asarray(engaged).tolist(), strict=True):
        welcomed = 0
        while welcomed < n_waiting and left >= welcome_cost:
            welcomed += 1
            left -= welcome_cost
        has_boundary = left >= boundary_cost
        if has_boundary:
            left -= boundary_cost
        brokered = 0
        while left >= broker_cost and broker_cost > 0 and n_engaged > 2:
            brokered += 1
            left -= broker_cost
        welcomes.append(welcomed)
        boundary.append(has_boundary)
        brokers.append(brokered)
    welcomes = np.array(welcomes, dtype=np.int64)
    boundary = np.array(boundary, dtype=bool)
    brokers = np.array(brokers, dtype=np.int64)
    return welcomes, boundary, brokers


def far_partners(
    distance: np.ndarray, segment: np.ndarray, n_segments: int, draw: np.ndarray
) -> np.ndarray:
    """Pick one candidate per segment among those in its upper distance quartile.

    Args:
        distance: Distance of each candidate, grouped by segment (segments
            ascending, candidates in their own order within one).
        segment: Segment of each candidate, non-decreasing.
        n_segments: Number of segments.
        draw: One uniform number in [0, 1) per segment.

    Returns:
        Index of the picked candidate per segment, -1 for an empty segment.
    """
    counts = np.bincount(segment, minlength=n_segments)
    start = np.concatenate([[0], np.cumsum(counts)])
    order = np.lexsort((distance, segment))
    rank = -((-3 * (counts - 1)) // 4)
    filled = counts > 0
    threshold = np.full(n_segments, np.inf)
    threshold[filled] = distance[order[start[:-1][filled] + rank[filled]]]
    far = np.flatnonzero(distance >= threshold[segment])
    n_far = np.bincount(segment[far], minlength=n_segments)
    far_start = np.concatenate([[0], np.cumsum(n_far)])
    picked = np.full(n_segments, -1, dtype=np.int64)
    pick = (draw[filled] * n_far[filled]).astype(np.int64)
    picked[filled] = far[far_start[:-1][filled] + pick]
    return picked


def step(model: LearningCommunityModel) -> None:
    """Spend each community's facilitation effort for this month."""
    p: Params = model.params.facilitation
    model.boundary_reduction[:] = 0.0
    if not p.enabled:
        return
    members = model.members
    n_comm = model.n_communities
    community = members["community"]
    size = np.bincount(community, weights=members["active"], minlength=n_comm)
    budget = p.capacity * governance_efficiency(p.governance, size, p)

    waiting = np.flatnonzero(members["newcomer"] & members["active"] & ~members["welcomed"])
    waiting = waiting[group_order(community[waiting], n_comm)]
    engaged = np.flatnonzero(members["engaged"])
    engaged = engaged[group_order(community[engaged], n_comm)]
    n_waiting = np.bincount(community[waiting], minlength=n_comm)
    n_engaged = np.bincount(community[engaged], minlength=n_comm)
    welcomes, boundary, brokers = spend_effort(budget, n_waiting, n_engaged, p)
    # No more ties than there are untied pairs of engaged members (counting
    # every tie of the community, so the cap is never too generous).
    ties = model.ties
    live = np.flatnonzero(ties["active"])
    n_ties = np.bincount(community[ties["a"][live]], minlength=n_comm)
    brokers = np.minimum(brokers, np.maximum(n_engaged * (n_engaged - 1) // 2 - n_ties, 0))

    # Welcome the longest waiting newcomers (lowest rows) of each community.
    first_waiting = np.concatenate([[0], np.cumsum(n_waiting)])[:-1]
    rank = np.arange(waiting.size) - np.repeat(first_waiting, n_waiting)
    members["welcomed"][waiting[rank < welcomes[community[waiting]]]] = True
    model.boundary_reduction[boundary] = p.boundary_reduction
    if brokers.any():
        broker_ties(model, engaged, n_engaged, np.repeat(np.arange(n_comm), brokers))


def broker_ties(
    model: LearningCommunityModel, engaged: np.ndarray, n_engaged: np.ndarray,
    communities: np.ndarray,
) -> None:
    """Broker one tie per entry of ``communities``, all drawn at once.

    Args:
        model: The model.
        engaged: Engaged members grouped by community, ascending within one.
        n_engaged: Engaged members per community.
        communities: The community of each tie to broker.
    """
    rng = model.rng
    first_engaged = np.concatenate([[0], np.cumsum(n_engaged)])
    start = first_engaged[communities]
    size = n_engaged[communities]
    first = engaged[start + (rng.random(communities.size) * size).astype(np.int64)]
    draw = rng.random(communities.size)
    candidate, distance, segment = _untied_candidates(model, engaged, start, size, first)
    picked = far_partners(distance, segment, communities.size, draw)

    # All of a month's ties are drawn from the network as it stood before any
    # of them; a draw that repeats a pair tied earlier this month is wasted.
    chosen = picked >= 0
    model.add_ties(first[chosen], candidate[picked[chosen]])


def _untied_candidates(
    model: LearningCommunityModel, engaged: np.ndarray, start: np.ndarray,
    size: np.ndarray, first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each ``first``, the engaged members of its community not tied to it.

    Returns the candidates, their cognitive distance to their ``first``, and
    the index of that ``first`` (non-decreasing).
    """
    segment = np.repeat(np.arange(first.size), size)
    offset = np.arange(segment.size) - np.repeat(np.cumsum(size) - size, size)
    candidate = engaged[start[segment] + offset]
    member = first[segment]
    free = np.flatnonzero((candidate != member) & ~model.are_tied(member, candidate))
    candidate, member, segment = candidate[free], member[free], segment[free]
    org = model.members["org"]
    codes = model.organisations["code"]
    distance = cognitive_distance(codes[org[member]], codes[org[candidate]])
    return candidate, distance, segment
