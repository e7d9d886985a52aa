"""Cowan & Jonard (2004) docked: knowledge barter on the model's small-world ties.

Run small; the published finding (``../shared/SCIENCE.md``) is asserted as an
expected failure because our numbers do not show it (experiments/README.md),
and what the study does show is asserted instead, each with its tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcsim.docking import ci95
from lcsim.docking import cowan_jonard2004 as cj
from test_docking import run_study

REALITY = np.ones(3)


def beliefs_of(levels: list[list[float]]) -> np.ndarray:
    """Cowan–Jonard levels as lcsim beliefs against a reality of +1."""
    return 2.0 * np.array(levels) - 1.0


def levels_of(beliefs: np.ndarray) -> np.ndarray:
    return (beliefs + 1.0) / 2.0


def test_barter_gives_each_side_alpha_of_one_gap():
    # A leads in category 0, B in category 1, they are level in category 2:
    # each absorbs half the gap where it is behind. Both meetings (A meets B,
    # B meets A) are the same pair, so exactly one trade happens.
    beliefs = beliefs_of([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    trades = cj.barter(beliefs, np.array([1, 0]), REALITY, 0.5, 1e-9,
                       np.random.default_rng(1))
    assert trades == 1
    np.testing.assert_allclose(levels_of(beliefs), [[1.0, 0.5, 0.5], [0.5, 1.0, 0.5]])


def test_no_barter_without_a_double_coincidence_of_wants():
    # B is behind A everywhere (or level): B has nothing to offer, so no trade.
    beliefs = beliefs_of([[0.9, 0.8, 0.5], [0.2, 0.8, 0.1]])
    before = beliefs.copy()
    assert cj.barter(beliefs, np.array([1, 0]), REALITY, 0.5, 1e-9,
                     np.random.default_rng(1)) == 0
    np.testing.assert_array_equal(beliefs, before)
    assert not cj.could_trade(beliefs, np.array([[0, 1]]), 1e-9).any()


def test_an_agent_trades_once_a_period_and_learns_one_category():
    # Agents 1..5 all meet agent 0, and each could trade with it; agent 0 meets
    # agent 1. Only one trade can go ahead, and each side of it learns in just
    # one of the categories where it is behind.
    levels = [[0.5, 0.5, 0.5]] + [[0.9, 0.9, 0.1]] * 5
    beliefs = beliefs_of(levels)
    partner = np.array([1, 0, 0, 0, 0, 0])
    assert cj.barter(beliefs, partner, REALITY, 0.5, 1e-9, np.random.default_rng(3)) == 1
    changed = ~np.isclose(levels_of(beliefs), levels)
    assert changed[0].sum() == 1 and changed.any(axis=1).sum() == 2


def test_a_run_settles_with_more_knowledge_than_it_started_with():
    state = cj.run(cj.Settings(agents=60), 0.1, np.random.SeedSequence(5))
    # Uniform initial levels average 0.5; trades only raise levels.
    assert state.settled and state.periods > 1
    assert 0.6 < state.mean_knowledge <= 1.0 and state.cv > 0.0


# 100 agents of degree 10 (the paper's degree), 20 runs at p = 0, 0.1 and 1.
# Run r starts from the same levels at every p, so p's are compared pairwise.
RUNS = 20
SMALL = cj.Settings(agents=100)


@pytest.fixture(scope="module")
def steady_states() -> dict[float, dict[str, np.ndarray]]:
    out = {}
    for p in (0.0, 0.1, 1.0):
        states = [cj.run(SMALL, p, np.random.SeedSequence(11, spawn_key=(r,)))
                  for r in range(RUNS)]
        out[p] = {"mean": np.array([s.mean_knowledge for s in states]),
                  "cv": np.array([s.cv for s in states])}
    return out


def paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """95 % t-interval of the mean of the paired differences a − b."""
    difference = a - b
    half = float(ci95(difference))
    return difference.mean() - half, difference.mean() + half


def test_random_graph_ends_with_least_knowledge_and_most_spread(steady_states):
    # What our numbers show, as published for p = 1 (500 agents: 0.9960 at
    # p = 0, 0.9951 at 0.1, 0.9927 at 1): the random graph leaves more agents
    # stuck below a neighbour that leads them everywhere, and they spread
    # more. At 100 agents the mean is about 0.003-0.004 lower at p = 1 than at
    # p = 0 or 0.1 (paired 95 % interval about ±0.0013 over 20 runs) and the
    # CV about 0.01 higher (about ±0.006): each interval must exclude 0.
    random_graph = steady_states[1.0]
    for other in (0.0, 0.1):
        low, _ = paired_interval(steady_states[other]["mean"], random_graph["mean"])
        assert low > 0.0
        _, high = paired_interval(steady_states[other]["cv"], random_graph["cv"])
        assert high < 0.0


@pytest.mark.xfail(strict=True, reason=(
    "Cowan & Jonard (2004) find mean steady-state knowledge highest, and its "
    "coefficient of variation lowest, at about p = 0.1; with the rules of SCIENCE.md "
    "our mean falls with p (0.9960 at p = 0, 0.9951 at 0.1, 0.9927 at 1, 500 agents) "
    "and the CV is flat up to p = 0.5; see experiments/README.md"))
def test_small_world_beats_the_ring_as_published(steady_states):
    # Published: the small world (p = 0.1) also beats the ring lattice, with
    # less spread. Asserted at 95 % on the paired differences of 20 runs.
    low, _ = paired_interval(steady_states[0.1]["mean"], steady_states[0.0]["mean"])
    assert low > 0.0
    _, high = paired_interval(steady_states[0.1]["cv"], steady_states[0.0]["cv"])
    assert high < 0.0


def test_study_writes_its_table_and_figure(tmp_path):
    overrides = ["docking.cowan_jonard2004.agents=40", "docking.cowan_jonard2004.runs=3",
                 "docking.cowan_jonard2004.rewirings=[0.0,1.0]", "seed=7"]
    out = run_study(tmp_path, "cowan_jonard2004", *overrides)
    table = pd.read_csv(out / "cowan_jonard2004.csv")
    assert list(table.columns) == ["agents", "degree", "categories", "absorption",
                                   "rewiring", "runs", "mean_knowledge", "ci95", "cv",
                                   "cv_ci95", "periods"]
    assert all(pd.api.types.is_numeric_dtype(table[c]) for c in table.columns)
    assert table["rewiring"].tolist() == [0.0, 1.0]
    assert (out / "cowan_jonard2004.png").stat().st_size > 10_000
    # The command line runs on worker processes (n_jobs = -1); run serially
    # here, the same seed gives the same table.
    serial = cj.tables(cj.Settings(agents=40, runs=3, rewirings=[0.0, 1.0]), seed=7,
                       n_jobs=1)["cowan_jonard2004"]
    pd.testing.assert_frame_equal(table, serial, check_dtype=False, rtol=1e-12)
