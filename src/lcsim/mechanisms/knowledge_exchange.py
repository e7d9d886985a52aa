"""Knowledge exchange between members across cognitive distance.

Each month every engaged member meets one partner, drawn at random among its
ties in the community. A random employee of the member learns from a random
employee of the partner and, if the partner takes part this month, the other
way round too. Each direction is a one-way transfer that happens whether or
not the other side gains, unlike Cowan & Jonard's (2004) barter, which needs
both to gain; a partner who does not take part gives nothing (its
contribution is 0), which the seeker's trust registers. On every dimension
where the source knows more, the receiver absorbs the share

    s = absorption x u(d) x capacity x trust x contribution

of the gap, where

* ``u(d) = max(0, 1 - max(0, d - beta) / (2 d*))`` is understandability at
  cognitive distance ``d`` (Nooteboom et al. 2007): it falls linearly from
  1 to 0 at twice the optimum d*; ``beta`` is the reduction of the distance
  understanding has to bridge by boundary objects (see
  :mod:`lcsim.mechanisms.facilitation`). Novelty is the gap itself, which
  grows with distance, so what a learner gains goes as ``d u(d)``: with
  ``beta = 0`` that is ``a d - b d^2`` with a = 1, b = 1 / (2 d*), an
  inverted U with its optimum at a / 2b = d* (the ``cognitive_distance``
  docking study measures it);
* ``capacity`` is the receiving organisation's absorptive capacity, which
  grows with its prior knowledge (Cohen & Levinthal 1990):
  ``base + (1 - base) x level``;
* ``trust`` is the receiver's trust in the source (:mod:`.trust`);
* ``contribution`` is how much the source puts into the community this
  month (:mod:`.engagement`): free riders take but do not give.

References:
    Cowan, R., & Jonard, N. (2004). doi:10.1016/j.jedc.2003.04.002
    Nooteboom, B., Van Haverbeke, W., Duysters, G., Gilsing, V., & van den
    Oord, A. (2007). Optimal cognitive distance and absorptive capacity.
    Research Policy 36, 1016–1034. doi:10.1016/j.respol.2007.04.003
    Cohen, W. M., & Levinthal, D. A. (1990). Absorptive capacity. ASQ 35,
    128–152. doi:10.2307/2393553
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.model.knowledge import (
    absorb_gap,
    add_rows,
    knowledge_level,
    level_gain,
)

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for knowledge exchange between members.")
    absorption: float = param(
        0.3, "Share of the knowledge gap absorbed in one meeting at best.",
        low=0.0, high=1.0, source="Cowan & Jonard 2004 (alpha); SCIENCE.md",
    )
    optimal_distance: float = param(
        0.5, "Cognitive distance d* at which learning from a partner peaks.",
        low=0.01, high=1.0, source="Nooteboom et al. 2007 (assumption: value)",
    )
    absorptive_base: float = param(
        0.3, "Absorptive capacity of an organisation with no prior knowledge.",
        low=0.0, high=1.0, source="Cohen & Levinthal 1990 (assumption: value)",
    )


def understanding(
    distance: np.ndarray | float,
    optimum: float,
    boundary_reduction: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Share of a partner's lead a learner can take in at cognitive distance d.

    Understandability falls linearly with distance, ``1 - d / (2 d*)``, to 0
    at twice the optimum (Nooteboom et al. 2007). The lead itself, the
    novelty, grows with distance, so what is learned goes as
    ``d (1 - d / (2 d*))`` and peaks at d* (:func:`learning_effectiveness`).

    Args:
        distance: Cognitive distance in [0, 1].
        optimum: d*, the distance of greatest learning without boundary
            objects.
        boundary_reduction: How much boundary objects lower the distance
            that understanding has to bridge (novelty is unchanged).
    """
    distance = np.asarray(distance, dtype=float)
    bridged = np.maximum(distance - boundary_reduction, 0.0)
    return np.maximum(1.0 - bridged / (2.0 * optimum), 0.0)


def learning_effectiveness(
    distance: np.ndarray | float,
    optimum: float,
    boundary_reduction: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Inverted U of learning against cognitive distance, 0 at d = 0, 1 at d*.

    Novelty ``d / d*`` times :func:`understanding`, scaled to 1 at its peak:
    ``(d / d*) (2 - d / d*)``, Nooteboom et al.'s (2007) ``a d - b d^2``
    with ``a = 2 / d*``, ``b = 1 / d*^2``. Boundary objects move the peak
    to ``d* + beta / 2``.
    """
    distance = np.asarray(distance, dtype=float)
    return 2.0 * (distance / optimum) * understanding(distance, optimum, boundary_reduction)


def absorptive_capacity(level: np.ndarray, base: float) -> np.ndarray:
    """Absorptive capacity from prior knowledge level (Cohen & Levinthal 1990)."""
    return base + (1.0 - base) * level


def exchange(
    beliefs: np.ndarray,
    receivers: np.ndarray,
    source_beliefs: np.ndarray,
    reality: np.ndarray,
    weight: np.ndarray,
    receiver_level: np.ndarray,
    params: Params,
    boundary_reduction: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Apply one round of simultaneous learning, in place; return level gains.

    Every pair learns from the beliefs as they stood before the round, so the
    order of pairs does not matter. An individual in several pairs sums its
    changes, and beliefs are kept in [-1, 1].

    Args:
        beliefs: All individuals' beliefs, shape (n, m); changed in place.
        receivers: Row index of each learner, shape (k,).
        source_beliefs: Beliefs of what each learner learns from, shape
            (k, m); gathered before the round.
        reality: The frontier, shape (m,).
        weight: Trust x contribution (or any other scaling) per pair.
        receiver_level: Prior knowledge level of each learner's organisation.
        params: This mechanism's parameters.
        boundary_reduction: Per pair (or scalar) distance reduction.

    Returns:
        The knowledge-level gain of each pair's learner, shape (k,).
    """
    if receivers.size == 0:
        return np.zeros(0)
    gap = beliefs[receivers]
    np.subtract(source_beliefs, gap, out=gap)
    distance = (0.5 / gap.shape[1]) * np.add.reduce(np.absolute(gap), axis=1)
    share = (
        params.absorption
        * understanding(distance, params.optimal_distance, boundary_reduction)
        * absorptive_capacity(receiver_level, params.absorptive_base)
        * weight
    )
    delta = absorb_gap(gap, reality, np.minimum(share, 1.0))
    add_rows(beliefs, receivers, delta)
    return level_gain(delta, reality)


def step(model: LearningCommunityModel) -> None:
    """Every engaged member meets one tie partner; both sides learn."""
    p: Params = model.params.exchange
    if not p.enabled:
        return
    members = model.members
    tie_of, partner_of = model.draw_partners(np.flatnonzero(members["engaged"]))
    if tie_of.size == 0:
        return
    seekers = model.ties["a"][tie_of]
    seekers = np.where(seekers == partner_of, model.ties["b"][tie_of], seekers)

    # Both directions of each meeting: the seeker learns from the partner, and
    # the partner, if it takes part this month, from the seeker. A partner who
    # does not take part gives nothing (contribution 0), which the seeker's
    # trust registers.
    back = members["engaged"][partner_of]
    learner = np.concatenate([seekers, partner_of[back]])
    teacher = np.concatenate([partner_of, seekers[back]])
    ties = np.concatenate([tie_of, tie_of[back]])
    trust = model.trust_of(learner, ties)
    weight = trust * members["contribution"][teacher]
    orgs = model.organisations
    learner_org = members["org"][learner]
    level = knowledge_level(orgs["code"], model.reality)[learner_org]
    employees = model.employees
    gains = exchange(
        employees["beliefs"],
        model.random_employees(learner_org),
        employees["beliefs"][model.random_employees(members["org"][teacher])],
        model.reality,
        weight,
        level,
        p,
        model.boundary_reduction[members["community"][learner]],
    )
    model.record_interactions(learner, teacher, ties, gains)
