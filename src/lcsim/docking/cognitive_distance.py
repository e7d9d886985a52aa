"""Learning against cognitive distance (Nooteboom et al. 2007), docked.

Nooteboom et al. find that what a firm learns from a partner is an inverted U
in their cognitive distance d: the novelty on offer rises with d and the
understanding of it falls, so learning goes as a·d − b·d², with its optimum at
a / 2b. lcsim's exchange (:mod:`lcsim.mechanisms.knowledge_exchange`) has
the same two parts: the novelty is the partner's lead (the gap), which grows
with d, and the share of it a learner takes in is the understandability
:func:`~lcsim.mechanisms.knowledge_exchange.understanding`, which falls
linearly to 0 at twice the configured optimum ``exchange.optimal_distance``
(d*). What is learnt goes as d (1 − d / 2d*), which peaks at d*.

The study puts pairs of an employee (the learner) and a partner's employee at
controlled distances and lets the learner learn once through
:func:`~lcsim.mechanisms.knowledge_exchange.exchange`, the function the
model calls, with the exchange parameters of the config. At distance d the
two differ by 2d on every one of the scenario's ``knowledge_dimensions``;
on each, the partner is ahead or behind with equal chance (so the novelty on
offer grows with d, as in Nooteboom et al.), and the learner's belief is
drawn uniformly where both beliefs fit in [-1, 1]. The frontier is drawn at
random as in the model. The learner's organisation has a knowledge level
drawn uniformly on [0, 1] (its absorptive capacity), and the partner is
fully trusted and fully contributing (weight 1). Each distance sees the same
pairs' directions, positions and organisation levels (common random
numbers), so the shape of the curves carries no sampling noise between
distances; ``ci95`` gives the spread of the mean gain.

The table gives, per distance:

* ``gain`` — the learner's knowledge-level gain (what :func:`exchange`
  returns), mean over ``runs`` pairs, with its 95 % interval;
* ``absorbed_share`` — the pairs' total gain over the total knowledge the
  partners held beyond their learners: the share of the novelty on offer
  that was learnt.

The absorbed share falls linearly with d; the gain, that share times the
novelty on offer, is the inverted U and peaks at d*.

Reference:
    Nooteboom, B., Van Haverbeke, W., Duysters, G., Gilsing, V., & van den
    Oord, A. (2007). Optimal cognitive distance and absorptive capacity.
    Research Policy 36, 1016–1034. doi:10.1016/j.respol.2007.04.003
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcsim.config.params import param
from lcsim.docking import ci95
from lcsim.mechanisms.knowledge_exchange import exchange
from lcsim.plotting import plt

if TYPE_CHECKING:
    from lcsim.config.schema import LcsimConfig


@dataclass
class Settings:
    distance_steps: int = param(
        40, "Steps of the distance grid over (0, 1]; the grid spacing is 1 / steps.",
        low=1, high=100_000,
    )
    pairs: int = param(1000, "Learner–partner pairs per distance.", low=2, high=10_000_000)


@dataclass
class Pairs:
    """Learners and partners at unit distance, scaled to any distance by :meth:`at`."""

    direction: np.ndarray
    position: np.ndarray
    reality: np.ndarray
    level: np.ndarray

    @classmethod
    def draw(cls, pairs: int, dimensions: int, rng: np.random.Generator) -> Pairs:
        """Random directions (partner ahead or behind), positions and organisation levels."""
        return cls(
            direction=rng.choice([-1.0, 1.0], size=(pairs, dimensions)),
            position=rng.random((pairs, dimensions)),
            reality=rng.choice([-1.0, 1.0], size=dimensions),
            level=rng.random(pairs),
        )

    def at(self, distance: float) -> tuple[np.ndarray, np.ndarray]:
        """Beliefs of the learners and of their partners at cognitive distance ``distance``."""
        step = 2.0 * distance
        # The learner's belief is uniform on the range that keeps the partner's,
        # its own plus step x direction, inside [-1, 1].
        learner = -1.0 + step * (self.direction < 0) + (2.0 - step) * self.position
        return learner, learner + step * self.direction

    def novelty(self, distance: float) -> np.ndarray:
        """Knowledge level each partner holds beyond its learner."""
        ahead = self.direction * self.reality > 0
        return distance * ahead.mean(axis=1)


def tables(settings: Settings, seed: int, n_jobs: int = 1, *, config: LcsimConfig
           ) -> dict[str, pd.DataFrame]:
    """Mean gain and absorbed share per distance, with the config's exchange parameters."""
    params = config.exchange
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    pairs = Pairs.draw(settings.pairs, config.scenario.knowledge_dimensions, rng)
    distances = np.arange(1, settings.distance_steps + 1) / settings.distance_steps
    rows = []
    for distance in distances:
        learner, partner = pairs.at(distance)
        gain = exchange(learner, np.arange(settings.pairs), partner, pairs.reality,
                        np.ones(settings.pairs), pairs.level, params)
        rows.append({
            "distance": distance,
            "runs": settings.pairs,
            "gain": gain.mean(),
            "ci95": float(ci95(gain)),
            "absorbed_share": gain.sum() / pairs.novelty(distance).sum(),
            "optimum": params.optimal_distance,
        })
    return {"cognitive_distance": pd.DataFrame(rows)}


def figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Gain and absorbed share against distance, with the configured optimum."""
    table = tables["cognitive_distance"]
    optimum = table["optimum"].iloc[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    left.errorbar(table["distance"], table["gain"], yerr=table["ci95"], marker="o", ms=3,
                  color="C0", capsize=2)
    left.set_ylabel("knowledge-level gain of the learner")
    left.set_title("What the learner gains", loc="left")
    right.plot(table["distance"], table["absorbed_share"], marker="o", ms=3, color="C1")
    right.set_ylabel("share of the partner's lead absorbed")
    right.set_title("Share of the novelty on offer learnt", loc="left")
    for ax in (left, right):
        ax.axvline(optimum, color="0.4", ls="--", lw=1, label=f"configured optimum {optimum:g}")
        ax.set_xlabel("cognitive distance")
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
    left.legend(fontsize="small")
    return fig
