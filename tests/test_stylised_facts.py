"""Pattern-oriented tests: does the whole model show the stylised facts of LCs?

Each test runs the full model under two or more conditions, over several
replications with paired seeds (replicate r of every condition starts from
the same seed, so the runs are identical until the conditions differ), and
asserts a pattern reported in the literature (SCIENCE.md) with a stated
statistic and confidence. Nothing is tuned to make a pattern appear: where
the model does not show one, the test asserts the pattern all the same and
is marked ``xfail(strict=True)`` with the reason, so that it starts failing
(XPASS) once a change to the model makes the pattern appear. docs/ODD.md
(section 1, "Patterns") lists every pattern with the numbers found in a
larger exploration.

Replication counts follow from the effect sizes and spreads found in that
exploration, for a power of about 0.95 or more, so that the outcome does not
hinge on the seed; the count for pattern 1 was raised after its first value
proved too small, and again when the corrected exchange rule shrank the
effect (see there). The seed is the project's default root seed,
fixed before any result was seen.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import make_config
from lcsim import run_replications
from lcsim.config.schema import LcsimConfig
from lcsim.experiment.runner import replicate_seed
from lcsim.mechanisms.engagement import CONDITIONAL
from lcsim.mechanisms.interventions import Intervention, most_central
from lcsim.model.model import LearningCommunityModel
from lcsim.model.population import community_sizes

SEED = 20221001


class PatternNotShown(AssertionError):
    """The model does not show the pattern a test asserts.

    The expected failures accept only this error, so a test that breaks for
    another reason fails outright.
    """


def require(shown: bool, numbers: str) -> None:
    """Raise :class:`PatternNotShown` with the numbers unless the pattern is shown."""
    if not shown:
        raise PatternNotShown(numbers)


def mean_ci(values: np.ndarray | pd.Series, confidence: float = 0.95) -> tuple[float, ...]:
    """Mean and two-sided t confidence interval of the mean: (mean, low, high)."""
    values = np.asarray(values, dtype=float)
    interval = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    return float(values.mean()), float(interval.low), float(interval.high)


def final_month(config: LcsimConfig, replications: int) -> pd.DataFrame:
    """Outcomes of every community and of ``all`` at the final month, per replicate."""
    table = run_replications(config, replications=replications, seed=SEED,
                             n_jobs=2).timeseries
    return table[table["step"] == config.scenario.steps].set_index(["replicate",
                                                                    "community"])


def with_interventions(config: LcsimConfig, events: list[Intervention]) -> LcsimConfig:
    scenario = dataclasses.replace(config.scenario, interventions=events)
    return dataclasses.replace(config, scenario=scenario)


def is_company(model: LearningCommunityModel) -> np.ndarray:
    """Whether each member row is a company's membership."""
    return model.organisations["kind"][model.members["org"]] == 0


# ------------------------------------- 1 no facilitation, high participation cost

# 300 pairs: the paired difference in productive share has an SD of about 0.45
# (the communities of one run share the drifting frontier, so they grow or
# stall together). Under the first exchange rule, exploration found an effect
# of -0.19 in 500 pairs from two other root seeds and 150 pairs sufficed. With
# the corrected rule (understandability falling linearly with distance) the
# same 500 pairs give -0.096 [-0.134, -0.057], at which 150 pairs have a power
# of only about 0.75 and 300 pairs about 0.95. Retention needs far fewer.
FACILITATION_PAIRS = 300


@pytest.fixture(scope="module")
def facilitation_pairs() -> pd.DataFrame:
    """Final-month ``all`` row of the defaults and of ``no_facilitation``, per replicate."""
    default = final_month(make_config(), FACILITATION_PAIRS)
    without = final_month(make_config("experiment=no_facilitation"), FACILITATION_PAIRS)
    return pd.concat({"default": default.xs("all", level="community"),
                      "no_facilitation": without.xs("all", level="community")}, axis=1)


def test_without_facilitation_at_high_cost_retention_decays(facilitation_pairs):
    # Statistic: paired difference (no_facilitation - default) in the share of
    # founding member companies still active at month 48 (clic_it), over 300
    # replications; its 95 % t-interval must lie below 0.
    pairs = facilitation_pairs
    diff = pairs[("no_facilitation", "retention")] - pairs[("default", "retention")]
    mean, low, high = mean_ci(diff)
    require(high < 0, f"retention difference {mean:.3f} [{low:.3f}, {high:.3f}]")


def test_without_facilitation_at_high_cost_fewer_communities_stay_productive(
    facilitation_pairs,
):
    # Statistic: paired difference (no_facilitation - default) in the share of
    # communities productive at month 48 (clic_it, the headline outcome), over
    # 300 replications; its 95 % t-interval must lie below 0.
    pairs = facilitation_pairs
    diff = (pairs[("no_facilitation", "productive_share")]
            - pairs[("default", "productive_share")])
    mean, low, high = mean_ci(diff)
    require(high < 0, f"productive-share difference {mean:.3f} [{low:.3f}, {high:.3f}]")


# ------------------------------------------------------------ 2 free riders

FREE_RIDER_SHARES = (0.0, 0.33, 0.6)  # 0.33 is the default
FREE_RIDER_RUNS = 10  # paired SD of the statistics about 0.02 against effects >= 0.05


def conditional_contributions(config: LcsimConfig, replicate: int) -> np.ndarray:
    """Mean contribution of the active conditional cooperators, months 0 to T."""
    model = LearningCommunityModel(config, rng=replicate_seed(SEED, replicate))
    members = model.members
    series = []
    for month in range(config.scenario.steps + 1):
        if month:
            model.step()
        cooperators = members["active"] & (members["member_type"] == CONDITIONAL)
        series.append(members["contribution"][cooperators & is_company(model)].mean())
    return np.array(series)


@pytest.fixture(scope="module")
def contributions_by_free_riders() -> dict[float, np.ndarray]:
    """Conditional cooperators' mean contribution, (replicate, month), per free-rider share.

    Free riders replace conditional cooperators; the shares of hump-shaped
    and unconditional contributors stay at their defaults. With the same seed
    the founders' type draws are coupled: every founder that is a free rider
    at a low share is one at a higher share too.
    """
    default = make_config()
    pool = default.engagement.share_conditional + default.engagement.share_free_rider
    series = {}
    for share in FREE_RIDER_SHARES:
        config = make_config(f"engagement.share_free_rider={share}",
                             f"engagement.share_conditional={pool - share:.4f}")
        series[share] = np.array([conditional_contributions(config, r)
                                  for r in range(FREE_RIDER_RUNS)])
    return series


def test_more_free_riders_make_conditional_cooperators_contribution_decline(
    contributions_by_free_riders,
):
    # Fischbacher & Gächter (2010): conditional cooperators match the others'
    # contributions imperfectly, so free riders drag them down. All start at
    # engagement.initial_contribution (month 0, the first round).
    # Statistics (clic_it, 10 paired replications, 95 % t-intervals):
    # (a) at the default share (0.33), the decline of the conditional
    #     cooperators' mean contribution from month 0 to month 48 is above 0;
    # (b) that decline grows with the free-rider share: the paired differences
    #     of the decline between 0.33 and 0, and between 0.6 and 0.33, are
    #     above 0.
    series = contributions_by_free_riders
    decline = {share: runs[:, 0] - runs[:, -1] for share, runs in series.items()}
    mean, low, high = mean_ci(decline[0.33])
    require(low > 0, f"decline at the default share {mean:.3f} [{low:.3f}, {high:.3f}]")
    for fewer, more in itertools.pairwise(FREE_RIDER_SHARES):
        mean, low, high = mean_ci(decline[more] - decline[fewer])
        require(low > 0, f"extra decline at {more} vs {fewer} free riders: "
                         f"{mean:.3f} [{low:.3f}, {high:.3f}]")


@pytest.mark.xfail(strict=True, raises=PatternNotShown, reason=(
    "the model's contributions drop to their level within about three months "
    "and then recover slowly as commitment grows, more so with more free "
    "riders; there is no lasting decay over the rounds (docs/ODD.md, Patterns)"
))
def test_more_free_riders_make_contributions_keep_declining_after_the_first_year(
    contributions_by_free_riders,
):
    # In public-goods experiments contributions keep decaying round after
    # round. Statistic (clic_it, 10 paired replications): the paired
    # difference, 0.6 against 0.33 free riders, of the decline of the
    # conditional cooperators' mean contribution from month 12 to month 48;
    # its 95 % t-interval must lie above 0.
    series = contributions_by_free_riders
    decline = {share: runs[:, 12] - runs[:, -1] for share, runs in series.items()}
    mean, low, high = mean_ci(decline[0.6] - decline[0.33])
    require(low > 0, f"extra decline after month 12: {mean:.3f} [{low:.3f}, {high:.3f}]")


# ------------------------------------------------- 3 removing central members

REMOVAL_MONTH = 12
REMOVED = 5  # of the 35 founding companies of single_lc
REMOVAL_PAIRS = 60


def exits_after(model: LearningCommunityModel, rows: np.ndarray) -> int:
    """How many of the given members have left by the end of the run."""
    return int((~model.members["active"][rows]).sum())


@pytest.mark.xfail(strict=True, raises=PatternNotShown, reason=(
    "no cascade: a member meets one tie partner a month whatever its degree, "
    "and participation and contribution respond to community shares and means "
    "that the removal barely moves, so the other members leave no more often "
    "than without the removal (docs/ODD.md, Patterns)"
))
def test_removing_central_members_triggers_a_cascade_of_exits(single_lc):
    # Schweitzer, Zhang & Casiraghi (2020): exits cascade. The intervention
    # removes the 5 companies with the most ties at the start of month 12
    # (single_lc); its twin run with the same seed has no removal, and the two
    # are identical until then. Statistic: over months 12 to 48, the exits of
    # the companies that were members at the removal, other than the removed
    # ones, with the removal minus without; paired over 60 replications, its
    # 95 % t-interval must lie above 0. (Counting the removed companies' own
    # later exits in the twin run as well would bias this against a cascade:
    # about a seventh of them leave by month 48 there.)
    removal = Intervention(step=REMOVAL_MONTH, action="remove_central", community=0,
                           k=REMOVED)
    baseline = with_interventions(single_lc, [])
    removing = with_interventions(single_lc, [removal])
    extra_exits = []
    for r in range(REMOVAL_PAIRS):
        without = LearningCommunityModel(baseline, rng=replicate_seed(SEED, r))
        with_removal = LearningCommunityModel(removing, rng=replicate_seed(SEED, r))
        for _ in range(REMOVAL_MONTH - 1):
            without.step()
            with_removal.step()
        members = without.members
        present = np.flatnonzero(members["active"] & is_company(without))
        central = most_central(without.degree(), present, REMOVED)
        others = np.setdiff1d(present, central)
        without.run()
        with_removal.run()
        assert (with_removal.members["left"][central] == REMOVAL_MONTH).all()
        extra_exits.append(exits_after(with_removal, others) - exits_after(without, others))
    mean, low, high = mean_ci(extra_exits)
    require(low > 0, f"extra exits after the removal {mean:.2f} [{low:.2f}, {high:.2f}]")


# ----------------------------------------------------------- 4 newcomers' return

NEWCOMER_RUNS = 10  # about 170 newcomers a run in clic_it


def newcomers_returning(config: LcsimConfig, replicate: int) -> tuple[int, int]:
    """Newcomers who had their first month, and how many of them came back."""
    model = LearningCommunityModel(config, rng=replicate_seed(SEED, replicate))
    model.run()
    members = model.members
    decided = (is_company(model) & ~members["founder"]
               & (members["joined"] < config.scenario.steps))
    # Back after the first month: still a member, or left only later.
    back = decided & (members["active"] | (members["left"] > members["joined"] + 1))
    return int(decided.sum()), int(back.sum())


def test_welcoming_newcomers_raises_their_return_rate():
    # Joyce & Kraut (2006): newcomers who got a reply returned with
    # probability 0.56 against 0.44. The model takes these rates as inputs
    # (facilitation.return_*), so this checks that the whole model carries
    # them through: facilitators welcome the newcomers in time, and leaving
    # for other reasons hardly changes the rates. Conditions: clic_it with
    # facilitation (its budget welcomes nearly every newcomer) and without.
    # Statistics, over 10 paired replications: (a) the paired difference in
    # the share of newcomers returning has a 95 % t-interval above 0; (b) the
    # pooled share returning has a 99 % Clopper-Pearson interval that holds
    # the published rate, 0.56 with facilitation and 0.44 without. At the
    # root seed the rate without facilitation, 0.418 [0.387, 0.449], holds
    # 0.44 only narrowly; 40 runs from another root seed give 0.440 (n = 6992),
    # so this is the seed's draw, not a bias, and more replications would not
    # make the check any more likely to pass (docs/ODD.md, Patterns).
    welcoming = make_config()
    not_welcoming = make_config("facilitation.enabled=false")
    rates, pooled = {}, {}
    for name, config in (("welcome", welcoming), ("none", not_welcoming)):
        counts = np.array([newcomers_returning(config, r) for r in range(NEWCOMER_RUNS)])
        rates[name] = counts[:, 1] / counts[:, 0]
        pooled[name] = counts.sum(axis=0)
    mean, low, high = mean_ci(rates["welcome"] - rates["none"])
    require(low > 0, f"return-rate difference {mean:.3f} [{low:.3f}, {high:.3f}]")
    for name, published in (("welcome", 0.56), ("none", 0.44)):
        n, back = pooled[name]
        interval = stats.binomtest(back, n).proportion_ci(0.99)
        require(interval.low < published < interval.high,
                f"{name}: {back / n:.3f} returned, 99 % interval "
                f"[{interval.low:.3f}, {interval.high:.3f}], published {published}")


# ------------------------------------------------------------------ 5 platform

PLATFORM_PAIRS = 30


@pytest.mark.xfail(strict=True, raises=PatternNotShown, reason=(
    "every member has about the same number of ties and meets one partner a "
    "month whatever the size of its community, so small communities gain no "
    "more from the platform; if anything it raises retention more in the large "
    "ones, whose facilitator is stretched thinnest (docs/ODD.md, Patterns)"
))
def test_opening_the_platform_helps_small_communities_more_than_large_ones():
    # Clic-it's platform is meant to let small communities learn what they
    # lack partners for. Conditions: clic_it as it is (the platform opens at
    # month 25) and with the platform never opened, paired. Statistic: per
    # replicate, the effect of opening (open - closed) on the member
    # companies' mean knowledge at month 48, averaged over the seven
    # communities smaller than the median, minus that over the seven larger
    # ones; over 30 replications its 95 % t-interval must lie above 0.
    opened = make_config()
    closed = with_interventions(opened, [])
    effect = (final_month(opened, PLATFORM_PAIRS)["knowledge_mean"]
              - final_month(closed, PLATFORM_PAIRS)["knowledge_mean"])
    s = opened.scenario
    sizes = community_sizes(s.n_companies, s.n_communities, s.community_size_skew)
    names = np.array([f"LC{c + 1:02d}" for c in range(s.n_communities)])
    small = names[sizes < np.median(sizes)].tolist()
    large = names[sizes > np.median(sizes)].tolist()
    by_replicate = effect.unstack("community")
    gap = by_replicate[small].mean(axis=1) - by_replicate[large].mean(axis=1)
    mean, low, high = mean_ci(gap)
    require(low > 0, f"small minus large effect {mean:.4f} [{low:.4f}, {high:.4f}]")
