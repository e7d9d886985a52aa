"""Cowan & Jonard (2004): knowledge barter on a small world, docked.

Agents sit on a Watts–Strogatz ring, wired by the model's own function for a
community's ties (:func:`lcsim.docking.small_world.small_world_ties`). Each
holds a level in [0, 1] in each of several knowledge categories, drawn
uniformly, and stored as lcsim stores graded knowledge: the belief ``2x − 1``
against a reality of +1 (:mod:`lcsim.model.knowledge`).

* **Meeting.** Each period every agent meets one neighbour drawn at random.
* **Barter.** The two trade only when each is ahead of the other in at least
  one category (a double coincidence of wants). Each then learns in one
  category where it is behind, drawn at random: it absorbs the share α of the
  gap there, through :func:`lcsim.model.knowledge.absorb_gap` with the share
  α on that category and 0 elsewhere.
* **One trade per agent and period.** An agent can be drawn into several
  possible trades in one period: its own meeting and those of neighbours who
  drew it. Each possible trade gets a random priority, and a trade goes ahead
  only when its priority is the highest among the possible trades of both its
  agents (one round of Luby's matching); the others wait for a later period.
  The trades of a period thus involve disjoint pairs and commute, so a period
  is a random sequence of the paper's pairwise barters, applied as one batch
  of numpy operations.
* **Steady state.** The run stops when no tie joins two agents that could
  trade. "Ahead" means ahead by more than ``tolerance``: α times a gap of a
  few units in the last place is lost to rounding, so with exact comparisons
  two nearly equal neighbours would "trade" for ever without changing.

At steady state the study records the mean knowledge level of the agents and
its coefficient of variation across agents, over ``runs`` runs per rewiring
probability. Run r starts from the same initial levels and networkx seed at
every rewiring probability (common random numbers), so differences between
probabilities are not differences in the draw of initial knowledge.

The published finding: mean steady-state knowledge peaks in the small-world
region (about 10 % of ties rewired), above the ring lattice (p = 0) and the
random graph (p = 1), and there its coefficient of variation is lowest. With
these rules our numbers beat the random graph but not the ring lattice; a
larger ``tolerance`` (a smallest worthwhile lead) moves the best network
towards the random graph (experiments/README.md).

Reference:
    Cowan, R., & Jonard, N. (2004). Network structure and the diffusion of
    knowledge. Journal of Economic Dynamics & Control 28(8), 1557–1575.
    doi:10.1016/j.jedc.2003.04.002
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from matplotlib.figure import Figure

from lcsim.config.params import param
from lcsim.docking import ci95
from lcsim.docking.small_world import neighbours, small_world_ties
from lcsim.model.knowledge import absorb_gap, add_rows, knowledge_level
from lcsim.plotting import plt


@dataclass
class Settings:
    agents: int = param(500, "Agents on the ring.", low=4, high=1_000_000,
                        source="SCIENCE.md (Cowan & Jonard 2004)")
    degree: int = param(10, "Ties of each agent before rewiring (even).", low=2, high=100,
                        source="SCIENCE.md (Cowan & Jonard 2004)")
    categories: int = param(10, "Knowledge categories of each agent.", low=2, high=1000,
                            source="SCIENCE.md (Cowan & Jonard 2004)")
    absorption: float = param(0.5, "Share alpha of the gap absorbed in a trade.", low=0.0,
                              high=1.0, source="SCIENCE.md (Cowan & Jonard 2004)")
    rewirings: list[float] = param(
        [0.0, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
        "Rewiring probabilities of the ring: 0 and a log-spaced range up to 1.",
        source="Cowan & Jonard 2004",
    )
    runs: int = param(20, "Runs per rewiring probability.", low=1, high=1_000_000)
    tolerance: float = param(
        1e-9, "Lead in knowledge level below which an agent does not count as ahead.",
        low=0.0, high=0.1, source="assumption (rounding; see the module docstring)",
    )
    max_periods: int = param(200_000, "Periods after which a run stops unsettled.",
                             low=1, high=100_000_000)


@dataclass
class SteadyState:
    """Where one run settled."""

    mean_knowledge: float
    cv: float
    periods: int
    settled: bool


def run(settings: Settings, rewiring: float, seed: np.random.SeedSequence) -> SteadyState:
    """Barter on one ring from uniform initial levels until no trade is possible."""
    rng = np.random.default_rng(seed)
    n, m = settings.agents, settings.categories
    ties = small_world_ties(n, settings.degree, rewiring, rng)
    start, adjacent = neighbours(ties, n)
    degree = np.diff(start)
    beliefs = 2.0 * rng.random((n, m)) - 1.0
    reality = np.ones(m)

    period, settled = 0, False
    while not settled and period < settings.max_periods:
        period += 1
        partner = adjacent[start[:-1] + (rng.random(n) * degree).astype(np.int64)]
        # Settled once nobody met a trading partner and no tie could trade.
        if not barter(beliefs, partner, reality, settings.absorption, settings.tolerance, rng):
            settled = not could_trade(beliefs, ties, settings.tolerance).any()
    level = knowledge_level(beliefs, reality)
    return SteadyState(float(level.mean()), float(level.std() / level.mean()), period,
                       settled)


def barter(
    beliefs: np.ndarray, partner: np.ndarray, reality: np.ndarray, absorption: float,
    tolerance: float, rng: np.random.Generator,
) -> int:
    """One period of barter, in place: agent i meets ``partner[i]``; return the trades.

    Args:
        beliefs: Every agent's beliefs, shape (n, categories), reality at +1.
        partner: The neighbour each agent meets.
        reality: The frontier, +1 in every category.
        absorption: The share alpha of a gap absorbed.
        tolerance: Lead in level below which an agent does not count as ahead.
        rng: The run's generator (priorities of trades, categories learnt).
    """
    # gap[i]: what agent i's partner knows beyond it (negative where behind);
    # a lead of t in level is a lead of 2t in belief.
    lead = 2.0 * tolerance
    gap = beliefs[partner]
    gap -= beliefs
    behind, ahead = gap > lead, gap < -lead
    tradable = np.flatnonzero(behind.any(axis=1) & ahead.any(axis=1))
    if tradable.size == 0:
        return 0

    # Each agent of a trade learns from the other in one category where it is
    # behind: the agents first, then their partners.
    trades = tradable[_one_per_agent(tradable, partner[tradable], len(beliefs), rng)]
    gap = gap[trades]
    shares = _one_category(np.concatenate([behind[trades], ahead[trades]]), absorption, rng)
    delta = absorb_gap(np.concatenate([gap, -gap]), reality, shares)
    add_rows(beliefs, np.concatenate([trades, partner[trades]]), delta)
    return trades.size


def could_trade(beliefs: np.ndarray, ties: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether the two agents of each tie are each ahead of the other somewhere."""
    lead = 2.0 * tolerance
    gap = beliefs[ties[:, 1]] - beliefs[ties[:, 0]]
    return (gap > lead).any(axis=1) & (gap < -lead).any(axis=1)


def _one_per_agent(a: np.ndarray, b: np.ndarray, n: int, rng: np.random.Generator
                   ) -> np.ndarray:
    """Indices of the pairs (a, b) whose random priority is highest at both agents."""
    priority = rng.random(a.size)
    best = np.full(n, -1.0)
    np.maximum.at(best, a, priority)
    np.maximum.at(best, b, priority)
    return np.flatnonzero((priority == best[a]) & (priority == best[b]))


def _one_category(behind: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Per-category shares: ``share`` in one random category where ``behind``, else 0."""
    keys = np.where(behind, rng.random(behind.shape), -1.0)
    shares = np.zeros(behind.shape)
    shares[np.arange(len(keys)), keys.argmax(axis=1)] = share
    return shares


def _runs_of(settings: Settings, seed: int, r: int) -> list[SteadyState]:
    """Run r at every rewiring probability, from the same seed."""
    child = np.random.SeedSequence(seed, spawn_key=(r,))
    return [run(settings, p, child) for p in settings.rewirings]


def tables(settings: Settings, seed: int, n_jobs: int = 1) -> dict[str, pd.DataFrame]:
    """Mean steady-state knowledge and its coefficient of variation per rewiring."""
    if n_jobs == 1 or settings.runs == 1:
        done = [_runs_of(settings, seed, r) for r in range(settings.runs)]
    else:
        done = Parallel(n_jobs=n_jobs)(
            delayed(_runs_of)(settings, seed, r) for r in range(settings.runs))
    # states[r][i]: run r at rewiring i.
    mean = np.array([[s.mean_knowledge for s in states] for states in done])
    cv = np.array([[s.cv for s in states] for states in done])
    periods = np.array([[s.periods for s in states] for states in done])
    unsettled = sum(not s.settled for states in done for s in states)
    if unsettled:
        warnings.warn(f"{unsettled} run(s) stopped at max_periods={settings.max_periods} "
                      "before reaching a steady state", RuntimeWarning, stacklevel=2)
    table = pd.DataFrame({
        "agents": settings.agents,
        "degree": settings.degree,
        "categories": settings.categories,
        "absorption": settings.absorption,
        "rewiring": settings.rewirings,
        "runs": settings.runs,
        "mean_knowledge": mean.mean(axis=0),
        "ci95": ci95(mean, axis=0),
        "cv": cv.mean(axis=0),
        "cv_ci95": ci95(cv, axis=0),
        "periods": periods.mean(axis=0),
    })
    return {"cowan_jonard2004": table}


def figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Mean steady-state knowledge and its coefficient of variation against rewiring."""
    table = tables["cowan_jonard2004"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    for ax, column, half, colour, label in (
        (left, "mean_knowledge", "ci95", "C0", "mean knowledge level at steady state"),
        (right, "cv", "cv_ci95", "C1", "coefficient of variation across agents"),
    ):
        ax.errorbar(table["rewiring"], table[column], yerr=table[half], marker="o",
                    color=colour, capsize=2)
        ax.set_xscale("symlog", linthresh=1e-4)
        ax.set_xlim(left=-2.5e-5)
        ax.set_xlabel("rewiring probability p")
        ax.set_ylabel(label)
        ax.axvspan(0.01, 0.2, color="0.9", zorder=0)
    row = table.iloc[0]
    left.set_title(f"{row['agents']:.0f} agents, degree {row['degree']:.0f}, "
                   f"α = {row['absorption']:g}", loc="left")
    right.set_title("Grey: small-world region, 0.01 ≤ p ≤ 0.2", loc="left")
    return fig
