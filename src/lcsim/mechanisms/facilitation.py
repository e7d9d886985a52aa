"""Facilitation: a facilitator's monthly capacity, spent where it helps most.

Every community has a facilitator with ``capacity`` units of effort a month,
scaled by how well its governance mode suits the community's size (Provan &
Kenis 2008): shared governance works for small, dense communities (full
efficiency up to ``shared_size`` members, falling as size / shared_size
beyond), a lead organisation for moderate ones (up to ``lead_size``), and a
network administrative organisation (NAO) at a fixed ``nao_efficiency``
whatever the size. The effort is spent in this order:

1. *welcoming newcomers*, ``welcome_cost`` each: a welcomed newcomer comes
   back after its first month with probability ``return_welcomed`` instead
   of ``return_unwelcomed`` (Joyce & Kraut 2006: 0.56 against 0.44), see
   :mod:`.membership`;
2. a *boundary object* for the month, ``boundary_cost``: it lowers the
   distance that understanding must bridge by ``boundary_reduction``
   (Akkerman & Bakker 2011), see :mod:`.knowledge_exchange`;
3. *brokering ties*, ``broker_cost`` each: a new tie between two engaged
   members who are not yet tied, the second drawn among those furthest
   away in knowledge (Dhanaraj & Parkhe 2006).

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
                               low=0.0, high=100.0, source="assumption")


def governance_efficiency(mode: str, members: np.ndarray, params: Params) -> np.ndarray:
    """Share of the facilitator's capacity that a community of this size gets."""
    members = np.maximum(np.asarray(members, dtype=float), 1.0)
    if mode == "shared":
        return np.minimum(1.0, params.shared_size / members)
    if mode == "lead_organisation":
        return np.minimum(1.0, params.lead_size / members)
    return np.full(members.shape, params.nao_efficiency)


def step(model: LearningCommunityModel) -> None:
    """Spend each community's facilitation effort for this month."""
    p: Params = model.params.facilitation
    model.boundary_reduction[:] = 0.0
    if not p.enabled:
        return
    members = model.members
    rng = model.rng
    community = members["community"]
    active = members["active"]
    size = np.bincount(community, weights=active, minlength=model.n_communities)
    budget = p.capacity * governance_efficiency(p.governance, size, p)
    codes = model.organisations["code"]

    for c in range(model.n_communities):
        left = budget[c]
        in_c = community == c
        for newcomer in np.flatnonzero(in_c & members["newcomer"] & ~members["welcomed"]):
            if left < p.welcome_cost:
                break
            members["welcomed"][newcomer] = True
            left -= p.welcome_cost
        if left >= p.boundary_cost:
            model.boundary_reduction[c] = p.boundary_reduction
            left -= p.boundary_cost
        engaged = np.flatnonzero(in_c & members["engaged"])
        while left >= p.broker_cost and p.broker_cost > 0 and engaged.size > 2:
            left -= p.broker_cost
            first = int(engaged[rng.integers(engaged.size)])
            others = engaged[(engaged != first) & ~model.are_tied(first, engaged)]
            if others.size == 0:
                continue
            distance = cognitive_distance(
                codes[members["org"][first]], codes[members["org"][others]]
            )
            far = others[distance >= np.quantile(distance, 0.75)]
            model.add_ties(np.array([first]), far[rng.integers(far.size)][None])
