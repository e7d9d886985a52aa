"""Engagement and commitment: who takes part, how much they give, and why.

Members are of four types, drawn when they join in the shares found in
public-goods experiments (Fischbacher, Gächter & Fehr 2001): conditional
cooperators, free riders, hump-shaped contributors and the rest
(unconditional contributors at a level of their own). Knowledge
institutions' memberships are always unconditional contributors at
``institutions.contribution`` (mandated partners, :mod:`.institutions`).

Each month, at its start (:func:`step`):

* *participation* (threshold effect, Granovetter 1978): a member takes part
  when the share of the other active members of its community who took part
  last month is at least its effective threshold ``theta x (1 - commitment)``;
  thresholds are drawn once, normal around ``threshold_mean``. Fully
  committed members always take part; uncommitted ones follow the crowd.
* *contribution* in [0, 1], from the mean contribution ``o`` of the other
  active members last month: a conditional cooperator gives
  ``matching x o + (1 - matching) x commitment`` — it matches others
  imperfectly (Fischbacher & Gächter 2010), anchored by its own commitment
  (assumption); a free rider gives 0; a hump-shaped contributor gives ``o``
  up to one half and ``1 - o`` above; the rest give their own level. Members
  who do not take part give 0.

At the end of the month (:func:`settle`), each member weighs the value it
perceived against its cost. Value is the knowledge gained through the
community (valued at ``knowledge_value`` per unit of knowledge level): in
meetings, institutions' visits and platform draws this is the gain of the
one employee who learned; in a successful joint project it is the gain of
the organisation's code. To it are added the rewards of successful joint
projects; the sum is scaled by the community's goal alignment (shared
ambition, Schipper et al. 2023). Cost is ``participation_cost x (1 +
contribution) / 2`` for members who took part.
Commitment moves a share ``commitment_rate`` of the way towards the logistic
of the net benefit over ``value_scale``, and the net benefit is kept for the
leaving rule (:mod:`.membership`).

References:
    Granovetter, M. (1978). Threshold models of collective behavior. AJS
    83(6), 1420–1443. doi:10.1086/226707
    Fischbacher, U., Gächter, S., & Fehr, E. (2001). Are people
    conditionally cooperative? Economics Letters 71, 397–404.
    doi:10.1016/S0165-1765(01)00394-9
    Fischbacher, U., & Gächter, S. (2010). Social preferences, beliefs, and
    the dynamics of free riding in public goods experiments. AER 100(1),
    541–556. doi:10.1257/aer.100.1.541
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from lcsim.config.params import param

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

CONDITIONAL, FREE_RIDER, HUMP_SHAPED, UNCONDITIONAL = 0, 1, 2, 3
MEMBER_TYPES = ("conditional", "free_rider", "hump_shaped", "unconditional")


@dataclass
class Params:
    enabled: bool = param(
        True, "Switch for engagement dynamics (off: everyone takes part fully)."
    )
    share_conditional: float = param(
        0.50, "Share of conditional cooperators among new members.",
        low=0.0, high=1.0, source="Fischbacher, Gächter & Fehr 2001",
    )
    share_free_rider: float = param(
        0.33, "Share of free riders among new members.",
        low=0.0, high=1.0, source="Fischbacher, Gächter & Fehr 2001",
    )
    share_hump_shaped: float = param(
        0.14, "Share of hump-shaped contributors; the rest give a level of their own.",
        low=0.0, high=1.0, source="Fischbacher, Gächter & Fehr 2001",
    )
    matching: float = param(
        0.8, "Slope with which conditional cooperators match others' contribution.",
        low=0.0, high=1.0, source="Fischbacher & Gächter 2010 (slope below 1)",
    )
    initial_contribution: float = param(
        0.5, "Contribution of cooperators and others seen by members at the start.",
        low=0.0, high=1.0, source="Fischbacher & Gächter 2010 (first rounds)",
    )
    threshold_mean: float = param(
        0.3, "Mean participation threshold: share of others who must take part.",
        low=0.0, high=1.0, source="SCIENCE.md (assumption); Granovetter 1978",
    )
    threshold_sd: float = param(
        0.15, "Spread (SD) of participation thresholds between members.",
        low=0.0, high=1.0, source="SCIENCE.md (assumption)",
    )
    initial_commitment: float = param(
        0.5, "Commitment of a member when it joins.", low=0.0, high=1.0,
        source="assumption",
    )
    commitment_rate: float = param(
        0.2, "Share of the way commitment moves towards its target each month.",
        unit="1/month", low=0.0, high=1.0, source="assumption",
    )
    participation_cost: float = param(
        0.3, "Cost of taking part for a month at full contribution.",
        unit="value/month", low=0.0, high=100.0, source="assumption",
    )
    knowledge_value: float = param(
        300.0, "Value of one unit of knowledge level gained by an organisation.",
        unit="value/level", low=0.0, high=1e4, source="assumption",
    )
    value_scale: float = param(
        1.0, "Net benefit that moves commitment's target from 0.5 to 0.73.",
        unit="value/month", low=1e-6, high=100.0, source="assumption",
    )
    goal_alignment: float = param(
        0.6, "Shared ambition: share of the value gained that members perceive.",
        low=0.0, high=1.0, source="Schipper et al. 2023 (assumption: value)",
    )


def participation(others_acting: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Threshold rule: act when at least ``threshold`` others act.

    Works on counts (Granovetter's crowd) or on shares alike.
    """
    return others_acting >= thresholds


def threshold_equilibrium(thresholds: np.ndarray) -> np.ndarray:
    """Iterate the threshold rule on one crowd from nobody acting to its fixed point.

    Thresholds are counts of others. Returns who acts at equilibrium.
    """
    acting = np.zeros(len(thresholds), dtype=bool)
    while True:
        others = acting.sum() - acting
        updated = participation(others, thresholds)
        if np.array_equal(updated, acting):
            return acting
        acting = updated


def contributions(
    member_type: np.ndarray,
    others_mean: np.ndarray,
    commitment: np.ndarray,
    own_level: np.ndarray,
    matching: float,
) -> np.ndarray:
    """Contribution of each member from what the others gave (see module doc)."""
    conditional = matching * others_mean + (1.0 - matching) * commitment
    hump = np.where(others_mean <= 0.5, others_mean, 1.0 - others_mean)
    given = np.where(member_type == CONDITIONAL, conditional, own_level)
    given = np.where(member_type == HUMP_SHAPED, hump, given)
    given[member_type == FREE_RIDER] = 0.0
    return given


def draw_member_types(
    n: int, params: Params, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw type, threshold and own contribution level for ``n`` new members."""
    rest = 1.0 - params.share_conditional - params.share_free_rider
    rest -= params.share_hump_shaped
    shares = np.array(
        [params.share_conditional, params.share_free_rider, params.share_hump_shaped,
         max(rest, 0.0)]
    )
    # Inverse-CDF draw, as rng.choice(4, p=...) does, without its checks.
    cdf = np.cumsum(shares)
    member_type = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    member_type = member_type.astype(np.int8)
    threshold = np.clip(
        rng.normal(params.threshold_mean, params.threshold_sd, size=n), 0.0, 1.0
    )
    own_level = rng.random(n)
    return member_type, threshold, own_level


def commitment_target(net_benefit: np.ndarray, scale: float) -> np.ndarray:
    """Logistic target of commitment for a month's net benefit."""
    return expit(net_benefit / scale)


def step(model: LearningCommunityModel) -> None:
    """Decide who takes part this month and how much each contributes."""
    p: Params = model.params.engagement
    members = model.members
    active = members["active"]
    if not p.enabled:
        members["engaged"][:] = active
        members["contribution"][:] = np.where(active, 1.0, 0.0)
        return

    community = members["community"]
    n_comm = model.n_communities
    engaged_before = members["engaged"] & active
    given_before = np.where(active, members["contribution"], 0.0)
    n_active = np.bincount(community, weights=active, minlength=n_comm)
    n_engaged = np.bincount(community, weights=engaged_before, minlength=n_comm)
    total_given = np.bincount(community, weights=given_before, minlength=n_comm)
    others = np.maximum(n_active[community] - 1.0, 1.0)
    others_engaged = (n_engaged[community] - engaged_before) / others
    others_given = (total_given[community] - given_before) / others

    commitment = members["commitment"]
    threshold = members["threshold"] * (1.0 - commitment)
    engaged = active & participation(others_engaged, threshold)
    # Institutions give the level set for them now (an intervention may change it).
    own_level = np.where(model.organisations["kind"][members["org"]] == 1,
                         model.params.institutions.contribution, members["own_level"])
    given = contributions(
        members["member_type"], others_given, commitment, own_level, p.matching,
    )
    members["engaged"][:] = engaged
    members["contribution"][:] = np.where(engaged, np.clip(given, 0.0, 1.0), 0.0)


def settle(model: LearningCommunityModel) -> None:
    """Weigh this month's value against cost; update commitment; keep net benefit."""
    p: Params = model.params.engagement
    members = model.members
    active = members["active"]
    value = p.goal_alignment * members["value"]
    cost = np.where(
        members["engaged"],
        p.participation_cost * (1.0 + members["contribution"]) / 2.0,
        0.0,
    )
    net = value - cost
    if p.enabled:
        commitment = members["commitment"]
        target = commitment_target(net, p.value_scale)
        updated = commitment + p.commitment_rate * (target - commitment)
        commitment[:] = np.where(active, np.clip(updated, 0.0, 1.0), commitment)
    model.remember_net_benefit(net)
