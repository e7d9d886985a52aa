"""March (1991): mutual learning of an organisation and its code, docked.

An organisation of ``employees`` (n = 50) holds beliefs in {-1, 0, +1} on
``dimensions`` (m = 30) of a reality of -1 and +1; its code starts blank.
Each period every employee acts on its beliefs, employees are socialised
towards the code (p1), the code learns from the employees who beat it
(p2), employees leave for newcomers (turnover p3) and reality may flip
(turbulence p4) — the rules as SCIENCE.md spells them out after Rodan (2005)
and Christensen (2015). The study runs them through the very functions of
:mod:`lcsim.mechanisms.organisational_learning` that every company in the
learning-community model runs each month: :func:`~lcsim.model.knowledge.act`,
``socialise``, ``learn_code``, ``replace_staff`` and ``drift_frontier``.

* **Learning rates** (table ``march1991``, rows with p3 = p4 = 0): code
  knowledge at equilibrium for p1 in 0.1 … 0.9 and p2 in {0.1, 0.5, 0.9}
  (March's fig. 1). The published finding: with fast code learning, slow
  socialisation gives the higher equilibrium knowledge.
* **Turnover and turbulence** (table ``march1991``, the last rows): code
  knowledge at period 100 for p1 = p2 = 0.5 and p3 in {0, 0.02, 0.05, 0.1},
  without turbulence and with p4 = 0.02. The finding: moderate turnover
  helps, most under turbulence. The row p1 = p2 = 0.5, p3 = p4 = 0 appears
  in both blocks; at those rates every run settles long before period 100,
  and both rows come from the same random stream (see *Seeds*), so they
  carry the same numbers.
* **Mixed staff** (table ``march1991_heterogeneous``): ``fast_learners`` of
  the n employees socialise at p1 = 0.9 and the rest at p1 = 0.1, against a
  uniform staff at the same mean rate (March's fig. 2, where p2 = 0.5;
  here for every p2 of the grid). The finding: the mix beats the uniform
  rate. Columns: ``p2``; ``p1_mean``, the staff's mean socialisation rate;
  ``heterogeneous``, 1 for the mixed staff and 0 for the uniform one;
  ``p1_slow``, ``p1_fast`` and ``fast_learners``, the staff itself (a
  uniform staff has ``p1_slow = p1_fast = p1_mean`` and 0 fast learners);
  then ``runs``, ``code_knowledge`` and ``ci95``.

Code knowledge is the share of the m dimensions on which the code equals
reality (a blank 0 is not right), averaged over ``runs`` organisations per
setting; ``ci95`` is the half-width of the 95 % t-interval of that mean.

**Equilibrium.** A run has settled when no belief and no code can change any
more: every employee holds the code's view wherever the code has one (so
socialisation has nothing left to do), and no employee can beat the code's
score (so code learning has no superior employees). With beliefs equal to
the code on its views, an employee's score exceeds the code's only through
the dimensions where the code is still blank; the study counts an unsure
belief there as acted rightly, and the run has settled when even that best
case is not positive for anyone. This is usually, but not always, the state
in which every belief equals a full code: a code may stay blank on a
dimension that no employee could ever teach it. Runs that have not settled
after ``max_periods`` periods (1000; the slowest default setting, p1 = 0.1,
settles within about 200) are measured where they are, and a warning is
logged.

**Many runs as one array.** ``learn_code`` serves many organisations at
once, so all runs of a setting are stacked as separate organisations, one
code row per run: one call of each rule then moves every run a period. Each
run has its own reality, but ``learn_code`` takes one. March's rules are
symmetric under negating a dimension's sign in beliefs, code and reality
together: a blank acts as a fair coin either way, a score sums
action x reality, a step towards the code and the superior employees'
majority flip with it, newcomers' uniform beliefs are symmetric, and the
code equals reality exactly where the negated code equals the negated
reality. So each run stores its beliefs and code multiplied by its own
reality, and every run's reality is then +1 on every dimension: one shared
reality vector of ones. Turbulence keeps this convention: ``drift_frontier``
flips a fresh all-+1 frontier per run and dimension, and where it has
turned to -1 the run's beliefs and code are negated, which re-expresses
them against the new reality.

**Mixed staff within one signature.** ``socialise`` takes one probability.
Employees are stored group by group (all fast learners of all runs, then all
slow learners), so each group is one contiguous block of rows, and
``socialise`` runs once per block on a view that writes through.

**Seeds.** Each setting draws from its own generator,
``SeedSequence(seed, spawn_key=setting)``, the key being the setting's
rates (p1 of each group, p2, p3, p4, in millionths) and head counts. Its
numbers therefore depend neither on ``n_jobs`` nor on which other settings
are in the grid, and two tables that share a setting give it the same
numbers.

References:
    March, J. G. (1991). Exploration and exploitation in organizational
    learning. Organization Science 2(1), 71–87. doi:10.1287/orsc.2.1.71
    Rodan, S. (2005). Exploration and exploitation revisited. Int. J. of
    Organizational Analysis 13(4). doi:10.1108/eb029006
    Christensen (2015), whose reading of the rules SCIENCE.md follows with
    Rodan's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from lcsim.config.params import param
from lcsim.errors import ConfigError
from lcsim.mechanisms.organisational_learning import (
    drift_frontier,
    learn_code,
    replace_staff,
    socialise,
)
from lcsim.model.knowledge import act, random_beliefs, share_known
from lcsim.plotting import plt

log = logging.getLogger(__name__)

#: A staff: groups of (socialisation rate p1, employees in the group).
Staff = Sequence[tuple[float, int]]


@dataclass
class Settings:
    dimensions: int = param(30, "Dimensions m of reality.", low=1, high=10_000,
                            source="March 1991; SCIENCE.md (m = 30)")
    employees: int = param(50, "Employees n of each organisation.", low=1, high=100_000,
                           source="March 1991; SCIENCE.md (n = 50)")
    runs: int = param(80, "Organisations simulated per setting.", low=2, high=1_000_000,
                      source="March 1991; SCIENCE.md (at least 80)")
    socialisation: list[float] = param(
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "Socialisation rates p1 of the equilibrium grid.", source="March 1991, fig. 1",
    )
    code_learning: list[float] = param(
        [0.1, 0.5, 0.9], "Code-learning rates p2 of the equilibrium grid and the mixed staffs.",
        source="March 1991, fig. 1",
    )
    max_periods: int = param(
        1000, "Periods after which an equilibrium run is measured even if not settled.",
        unit="period", low=1, high=1_000_000,
        source="SCIENCE.md: a few hundred periods suffice",
    )
    turnover: list[float] = param(
        [0.0, 0.02, 0.05, 0.1], "Turnover rates p3 of the turnover runs.", source="issue 3",
    )
    turbulence: float = param(0.02, "Turbulence p4 of the turbulent turnover runs.",
                              low=0.0, high=1.0, source="March 1991; issue 3")
    turnover_socialisation: float = param(0.5, "Socialisation rate p1 of the turnover runs.",
                                          low=0.0, high=1.0, source="March 1991; issue 3")
    turnover_code_learning: float = param(0.5, "Code-learning rate p2 of the turnover runs.",
                                          low=0.0, high=1.0, source="March 1991; issue 3")
    periods: int = param(100, "Periods of the turnover runs.", unit="period", low=1,
                         high=1_000_000, source="SCIENCE.md (period 100)")
    slow_socialisation: float = param(0.1, "Socialisation rate p1 of slow learners.",
                                      low=0.0, high=1.0, source="March 1991, fig. 2")
    fast_socialisation: float = param(0.9, "Socialisation rate p1 of fast learners.",
                                      low=0.0, high=1.0, source="March 1991, fig. 2")
    fast_learners: list[int] = param(
        [5, 10, 15, 20, 25, 30, 35, 40, 45],
        "Fast learners among the employees of the mixed staffs.",
        source="assumption: a grid of mixes, read against the mean rate as in March 1991, fig. 2",
    )


class Organisations:
    """``runs`` organisations of March's model, stacked so one rule call moves all.

    Beliefs and codes are stored multiplied by each run's reality, so that
    reality is +1 on every dimension of every run (see the module docstring).

    Args:
        staff: Groups of (socialisation rate, employees per organisation).
        runs: Organisations.
        dimensions: Dimensions m of reality.
        rng: The generator of every draw.
    """

    def __init__(self, staff: Staff, runs: int, dimensions: int,
                 rng: np.random.Generator) -> None:
        self.rng = rng
        self.reality = np.ones(dimensions)
        self.codes = np.zeros((runs, dimensions))
        heads = [employees for _, employees in staff]
        self.beliefs = random_beliefs(rng, (runs * sum(heads), dimensions))
        # Group by group, run by run within a group: each group is one block.
        self.owners = np.concatenate([np.repeat(np.arange(runs), n) for n in heads])
        ends = np.cumsum(heads) * runs
        self.groups = [(slice(end - runs * n, end), rate)
                       for (rate, n), end in zip(staff, ends, strict=True)]

    def period(self, code_learning: float, turnover: float, turbulence: float) -> None:
        """One period: act, socialise, learn the code, turnover, turbulence.

        Socialisation moves beliefs towards the codes as they stood before
        code learning, and the code learns from actions drawn from the
        beliefs before socialisation (SCIENCE.md; as in the model's step).
        """
        rng = self.rng
        actions = act(self.beliefs, rng)
        codes = self.codes[self.owners]
        for rows, rate in self.groups:
            socialise(self.beliefs[rows], codes[rows], rate, rng)
        learn_code(self.codes, actions, self.owners, self.reality, code_learning, rng)
        replace_staff(self.beliefs, turnover, rng)

        # Negate beliefs and code where a run's reality has turned.
        frontier = np.ones_like(self.codes)
        drift_frontier(frontier, turbulence, rng)
        self.codes *= frontier
        self.beliefs *= frontier[self.owners]

    def settled(self) -> np.ndarray:
        """Per run, whether no belief and no code can change any more."""
        codes = self.codes[self.owners]
        blank = codes == 0.0
        socialised = ((self.beliefs == codes) | blank).all(axis=1)
        best = np.where(self.beliefs == 0.0, 1.0, self.beliefs)
        unbeaten = (best * blank).sum(axis=1) <= 0.0
        open_runs = np.zeros(len(self.codes), dtype=bool)
        open_runs[self.owners[~(socialised & unbeaten)]] = True
        return ~open_runs

    def code_knowledge(self) -> np.ndarray:
        """Share of dimensions on which each run's code equals reality."""
        return share_known(self.codes, self.reality)


def simulate(staff: Staff, code_learning: float, runs: int, dimensions: int, seed: int,
             *, turnover: float = 0.0, turbulence: float = 0.0,
             periods: int | None = None, max_periods: int = 1000) -> tuple[np.ndarray, int]:
    """Code knowledge of ``runs`` organisations of one setting.

    Args:
        staff: Groups of (socialisation rate p1, employees per organisation);
            empty groups are dropped.
        code_learning: p2.
        runs: Organisations.
        dimensions: Dimensions m of reality.
        seed: Root seed; the setting's generator is spawned from it.
        turnover: p3.
        turbulence: p4.
        periods: Periods to run; ``None`` runs to equilibrium (p3 = p4 = 0),
            at most ``max_periods``.
        max_periods: Cap of an equilibrium run.

    Returns:
        Code knowledge per run, and the number of runs that did not settle
        (0 when ``periods`` is given).
    """
    staff = [(rate, n) for rate, n in staff if n > 0]
    setting = [*(x for rate, n in staff for x in (_millionths(rate), n)),
               *(_millionths(p) for p in (code_learning, turnover, turbulence))]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=setting))
    organisations = Organisations(staff, runs, dimensions, rng)
    if periods is not None:
        for _ in range(periods):
            organisations.period(code_learning, turnover, turbulence)
        return organisations.code_knowledge(), 0
    settled = np.zeros(runs, dtype=bool)
    for _ in range(max_periods):
        organisations.period(code_learning, turnover, turbulence)
        settled = organisations.settled()
        if settled.all():
            break
    return organisations.code_knowledge(), int(runs - settled.sum())


def _millionths(rate: float) -> int:
    return round(rate * 1_000_000)


def ci95(values: np.ndarray) -> float:
    """Half-width of the 95 % t-interval of the mean of ``values``."""
    return float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1)
                 / np.sqrt(values.size))


def check(settings: Settings) -> None:
    """Refuse rates outside [0, 1] and mixes with more fast learners than employees."""
    rates = {"socialisation": settings.socialisation, "code_learning": settings.code_learning,
             "turnover": settings.turnover}
    for name, values in rates.items():
        for rate in values:
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"docking.march1991.{name}", rate, "rates from 0 to 1")
    for k in settings.fast_learners:
        if not 0 <= k <= settings.employees:
            raise ConfigError("docking.march1991.fast_learners", k,
                              f"head counts from 0 to docking.march1991.employees "
                              f"({settings.employees})")


def tables(settings: Settings, seed: int, n_jobs: int = 1) -> dict[str, pd.DataFrame]:
    """The learning-rate and turnover table, and the mixed-staff table.

    Settings run in parallel over ``n_jobs`` worker processes (1: serial;
    -1: all cores); the numbers do not depend on it.
    """
    s = settings
    check(s)
    n = s.employees
    learning: list[dict[str, float]] = []
    mixed: list[dict[str, float]] = []
    calls: list[tuple[dict[str, float], tuple, dict]] = []

    def add(table: list, row: dict[str, float], staff: Staff, code_learning: float,
            **kwargs) -> None:
        table.append(row)
        calls.append((row, (staff, code_learning, s.runs, s.dimensions, seed),
                      {"max_periods": s.max_periods, **kwargs}))

    for p2 in s.code_learning:
        for p1 in s.socialisation:
            add(learning, {"p1": p1, "p2": p2, "p3": 0.0, "p4": 0.0}, [(p1, n)], p2)
    p1, p2 = s.turnover_socialisation, s.turnover_code_learning
    for p4 in (0.0, s.turbulence):
        for p3 in s.turnover:
            add(learning, {"p1": p1, "p2": p2, "p3": p3, "p4": p4}, [(p1, n)], p2,
                turnover=p3, turbulence=p4, periods=s.periods)
    slow, fast = s.slow_socialisation, s.fast_socialisation
    for p2 in s.code_learning:
        for k in s.fast_learners:
            mean = (k * fast + (n - k) * slow) / n
            add(mixed, {"p2": p2, "p1_mean": mean, "heterogeneous": 1, "p1_slow": slow,
                        "p1_fast": fast, "fast_learners": k}, [(fast, k), (slow, n - k)], p2)
            add(mixed, {"p2": p2, "p1_mean": mean, "heterogeneous": 0, "p1_slow": mean,
                        "p1_fast": mean, "fast_learners": 0}, [(mean, n)], p2)

    if n_jobs == 1:
        results = [simulate(*args, **kwargs) for _, args, kwargs in calls]
    else:
        results = Parallel(n_jobs=n_jobs)(delayed(simulate)(*args, **kwargs)
                                          for _, args, kwargs in calls)
    unsettled = 0
    for (row, _, _), (knowledge, open_runs) in zip(calls, results, strict=True):
        row.update(runs=s.runs, code_knowledge=knowledge.mean(), ci95=ci95(knowledge))
        unsettled += open_runs
    if unsettled:
        log.warning("march1991: %d runs had not settled after %d periods and are "
                    "measured there", unsettled, s.max_periods)
    return {"march1991": pd.DataFrame(learning), "march1991_heterogeneous": pd.DataFrame(mixed)}


def figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Code knowledge against p1 per p2, for mixed and uniform staffs, and against p3."""
    fig, (rates, mix, churn) = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
    learning = tables["march1991"]

    still = learning[(learning["p3"] == 0.0) & (learning["p4"] == 0.0)]
    still = still.drop_duplicates(["p1", "p2"], keep="first")
    for i, (p2, group) in enumerate(still.groupby("p2")):
        rates.errorbar(group["p1"], group["code_knowledge"], yerr=group["ci95"], marker="o",
                       color=f"C{i}", capsize=2, label=f"p2 = {p2:g}")
    rates.set_xlabel("socialisation rate p1")
    rates.set_ylabel("code knowledge at equilibrium")
    rates.set_title("Learning rates (p3 = p4 = 0)", loc="left")
    rates.legend(fontsize=8)

    mixed = tables["march1991_heterogeneous"]
    styles = {1: ("-", "mixed p1 0.1 / 0.9"), 0: (":", "uniform p1")}
    for i, (_, group) in enumerate(mixed.groupby("p2")):
        for heterogeneous, (style, _) in styles.items():
            line = group[group["heterogeneous"] == heterogeneous]
            mix.errorbar(line["p1_mean"], line["code_knowledge"], yerr=line["ci95"],
                         marker="o", linestyle=style, color=f"C{i}", capsize=2)
    mix.legend([Line2D([], [], color="k", linestyle=style) for style, _ in styles.values()],
               [label for _, label in styles.values()], title="colours: p2 as on the left",
               fontsize=8, title_fontsize=8)
    mix.set_xlabel("mean socialisation rate p1")
    mix.set_ylabel("code knowledge at equilibrium")
    mix.set_title("Mixed against uniform staff", loc="left")

    # The turnover runs share one (p1, p2); their p3 = 0, p4 = 0 row comes last.
    moving = learning[(learning["p3"] > 0.0) | (learning["p4"] > 0.0)]
    if len(moving):
        p1, p2 = moving["p1"].iloc[0], moving["p2"].iloc[0]
        runs = learning[(learning["p1"] == p1) & (learning["p2"] == p2)]
        runs = runs.drop_duplicates(["p3", "p4"], keep="last")
        for i, (p4, group) in enumerate(runs.groupby("p4")):
            churn.errorbar(group["p3"], group["code_knowledge"], yerr=group["ci95"],
                           marker="o", color=f"C{i}", capsize=2,
                           label="stable reality" if p4 == 0.0 else f"turbulence p4 = {p4:g}")
        churn.set_title(f"Turnover (p1 = {p1:g}, p2 = {p2:g})", loc="left")
        churn.legend(fontsize=8)
    churn.set_xlabel("turnover rate p3")
    churn.set_ylabel("code knowledge at the last period")
    return fig
