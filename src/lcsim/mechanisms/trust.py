"""Trust between members: gained slowly, lost fast.

Every tie carries two trust values, one per direction (how much each side
trusts the other), in [0, 1]. After each meeting, a member's trust in its
partner rises by ``gain`` if the partner contributed at least
``cooperation_norm`` this month (a good interaction) and falls by ``loss``
otherwise (a bad one), clipped to [0, 1]. With ``loss`` larger than
``gain``, one bad experience undoes several good ones. Trust scales how much
a member learns from a partner (:mod:`.knowledge_exchange`).

References:
    Cowan, R., Jonard, N., & Zimmermann, J.-B. (2007). Bilateral
    collaboration and the emergence of innovation networks. Management
    Science 53(7), 1051–1067. doi:10.1287/mnsc.1060.0618
    Schipper et al. (2023): culture of trust and openness as a building block
    of learning communities. doi:10.1177/15344843231198361
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from lcsim.config.params import param

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for trust dynamics (off: trust stays initial).")
    initial: float = param(
        0.5, "Trust on a new tie.", low=0.0, high=1.0,
        source="SCIENCE.md (assumption)",
    )
    gain: float = param(
        0.05, "Trust gained after a good interaction.", low=0.0, high=1.0,
        source="SCIENCE.md (assumption)",
    )
    loss: float = param(
        0.15, "Trust lost after a bad interaction.", low=0.0, high=1.0,
        source="SCIENCE.md (assumption)",
    )
    cooperation_norm: float = param(
        0.25, "Partner contribution below which an interaction counts as bad.",
        low=0.0, high=1.0, source="assumption",
    )


def update_trust(
    trust: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    gain: float,
    loss: float,
) -> np.ndarray:
    """Trust after ``good`` good and ``bad`` bad interactions, clipped to [0, 1].

    The counts of one month are applied together, so the order in which a
    pair's meetings happened within the month does not matter.
    """
    return np.minimum(np.maximum(trust + gain * good - loss * bad, 0.0), 1.0)


def step(model: LearningCommunityModel) -> None:
    """Update each member's trust in the partners it met this month."""
    p: Params = model.params.trust
    learner, teacher, ties, _ = model.interactions
    if not p.enabled or ties.size == 0:
        return
    good = model.members["contribution"][teacher] >= p.cooperation_norm
    forward = model.ties["a"][ties] == learner
    for column, direction in (("trust_ab", forward), ("trust_ba", ~forward)):
        _update_met(model.ties[column], ties[direction], good[direction], p.gain, p.loss)


@numba.njit(cache=True, nogil=True)
def _update_met(trust, met, good, gain, loss):  # pragma: no cover - compiled
    """:func:`update_trust` on each tie in ``met``, in place, with its month's
    counts of good (``good``) and bad meetings."""
    n_good = np.zeros(trust.size)
    n_met = np.zeros(trust.size, dtype=np.int64)
    for i in range(met.size):
        n_met[met[i]] += 1
        n_good[met[i]] += good[i]
    for tie in met:
        if n_met[tie] > 0:
            n_bad = n_met[tie] - n_good[tie]
            value = trust[tie] + gain * n_good[tie] - loss * n_bad
            value = value if value >= 0.0 else 0.0  # as np.maximum, then np.minimum
            trust[tie] = value if value <= 1.0 else 1.0
            n_met[tie] = 0
