"""The March (1991) docking study: the published findings at small size.

Each finding is asserted as a difference of mean code knowledge that
exceeds the half-width of its 95 % interval (Welch), over ``RUNS``
organisations per setting. The seed is fixed, so the tests are
deterministic; the margins quoted beside them (from the full-size study,
80 runs) show that they do not hang on a lucky seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import make_config
from lcsim.docking.march1991 import Organisations, Settings, simulate, tables
from lcsim.errors import ConfigError
from test_docking import run_study

SEED = 20221001
RUNS = 80
M, N = 30, 50


def knowledge(staff, code_learning, runs=RUNS, **kwargs) -> np.ndarray:
    """Code knowledge per run of one setting (equilibrium unless ``periods``)."""
    values, unsettled = simulate(staff, code_learning, runs, M, SEED, **kwargs)
    assert unsettled == 0
    return values


def gain(better: np.ndarray, worse: np.ndarray) -> tuple[float, float]:
    """Difference of means and the half-width of its 95 % Welch interval."""
    var_b, var_w = better.var(ddof=1) / better.size, worse.var(ddof=1) / worse.size
    dof = (var_b + var_w) ** 2 / (var_b**2 / (better.size - 1) + var_w**2 / (worse.size - 1))
    return better.mean() - worse.mean(), stats.t.ppf(0.975, dof) * np.sqrt(var_b + var_w)


# ------------------------------------------------------------------ findings


def test_fast_code_learning_favours_slow_socialisation():
    # March (1991), fig. 1: with p2 = 0.9, p1 = 0.1 beats p1 = 0.9 at
    # equilibrium. Full size: 0.985 against 0.857, a gap of 0.13 whose
    # interval is about ±0.015, so 40 runs (interval about ±0.02) suffice.
    slow = knowledge([(0.1, N)], 0.9, runs=40)
    fast = knowledge([(0.9, N)], 0.9, runs=40)
    difference, half = gain(slow, fast)
    assert difference > half


def test_mixed_staff_beats_uniform_rate_of_the_same_mean():
    # March (1991), fig. 2 (p2 = 0.5): 25 fast (p1 = 0.9) and 25 slow
    # (p1 = 0.1) learners against everyone at p1 = 0.5. Full size: 0.948
    # against 0.914, a gap of 0.034 with an interval of about ±0.013; 80
    # runs are needed for the gap to clear its interval with room.
    mixed = knowledge([(0.9, N // 2), (0.1, N - N // 2)], 0.5)
    uniform = knowledge([(0.5, N)], 0.5)
    difference, half = gain(mixed, uniform)
    assert difference > half


def test_moderate_turnover_helps_most_under_turbulence():
    # March (1991): p1 = p2 = 0.5, code knowledge at period 100. Under
    # turbulence p4 = 0.02, p3 = 0.02 and 0.05 beat p3 = 0 (full size:
    # 0.734 and 0.759 against 0.495, intervals about ±0.02); the gain from
    # p3 = 0.02 is larger than in a stable reality (0.24 against 0.07).
    # 40 runs keep each interval below ±0.04, far inside these gaps.
    def at_period_100(p3: float, p4: float) -> np.ndarray:
        return knowledge([(0.5, N)], 0.5, runs=40, turnover=p3, turbulence=p4,
                         periods=100)

    still = at_period_100(0.0, 0.02)
    for p3 in (0.02, 0.05):
        difference, half = gain(at_period_100(p3, 0.02), still)
        assert difference > half, p3
    # Per-run gains, pairing independent runs by index.
    turbulent = at_period_100(0.02, 0.02) - still
    stable = at_period_100(0.02, 0.0) - at_period_100(0.0, 0.0)
    difference, half = gain(turbulent, stable)
    assert difference > half


# --------------------------------------------------------------- equilibrium


def test_settled_organisations_no_longer_change():
    rng = np.random.default_rng(SEED)
    organisations = Organisations([(0.5, N)], 20, M, rng)
    for _ in range(500):
        organisations.period(0.5, 0.0, 0.0)
        if organisations.settled().all():
            break
    assert organisations.settled().all()
    beliefs, codes = organisations.beliefs.copy(), organisations.codes.copy()
    for _ in range(50):
        organisations.period(0.5, 0.0, 0.0)
    np.testing.assert_array_equal(organisations.beliefs, beliefs)
    np.testing.assert_array_equal(organisations.codes, codes)


def test_a_blank_code_dimension_nobody_can_teach_is_settled():
    # Everyone holds the code's views, but on the last dimension the code is
    # blank and everyone is sure of the wrong answer: nobody can beat the
    # code, so nothing can change. An unsure belief there could, once it
    # acts rightly.
    organisations = Organisations([(0.5, 3)], 1, 4, np.random.default_rng(0))
    organisations.codes[:] = [1.0, 1.0, -1.0, 0.0]
    organisations.beliefs[:] = [1.0, 1.0, -1.0, -1.0]
    assert organisations.settled().all()
    organisations.beliefs[1, 3] = 0.0
    assert not organisations.settled().any()


# ---------------------------------------------------------------- the study


def small_settings() -> Settings:
    return Settings(runs=4, socialisation=[0.5, 0.9], code_learning=[0.5],
                    turnover=[0.0, 0.05], periods=100, fast_learners=[25])


def test_results_do_not_depend_on_n_jobs_or_on_the_grid():
    serial = tables(small_settings(), SEED, n_jobs=1)
    parallel = tables(small_settings(), SEED, n_jobs=2)
    for stem, table in serial.items():
        pd.testing.assert_frame_equal(parallel[stem], table)

    # p1 = p2 = 0.5 without turnover and turbulence is one setting in three
    # places (it settles long before period 100): one stream, one number.
    learning, mixed = serial["march1991"], serial["march1991_heterogeneous"]
    shared = learning.query("p1 == 0.5 and p2 == 0.5 and p3 == 0 and p4 == 0")
    uniform = mixed.query("heterogeneous == 0 and p1_mean == 0.5")
    assert len(shared) == 2
    assert shared["code_knowledge"].nunique() == 1
    assert uniform["code_knowledge"].item() == shared["code_knowledge"].iloc[0]


def test_mixes_larger_than_the_staff_are_refused():
    with pytest.raises(ConfigError, match="fast_learners"):
        tables(Settings(fast_learners=[60]), SEED)


def test_march_study_writes_its_tables_and_figure(tmp_path):
    out = run_study(tmp_path, "march1991", "n_jobs=1", "docking.march1991.runs=4",
                    "docking.march1991.socialisation=[0.1,0.9]",
                    "docking.march1991.code_learning=[0.9]",
                    "docking.march1991.turnover=[0.0,0.05]",
                    "docking.march1991.periods=30", "docking.march1991.fast_learners=[25]")
    learning = pd.read_csv(out / "march1991.csv")
    assert list(learning.columns) == ["p1", "p2", "p3", "p4", "runs", "code_knowledge", "ci95"]
    assert len(learning) == 2 + 2 * 2
    mixed = pd.read_csv(out / "march1991_heterogeneous.csv")
    assert list(mixed.columns) == ["p2", "p1_mean", "heterogeneous", "p1_slow", "p1_fast",
                                   "fast_learners", "runs", "code_knowledge", "ci95"]
    assert len(mixed) == 2
    for table in (learning, mixed):
        assert all(pd.api.types.is_numeric_dtype(table[c]) for c in table.columns)
        assert table["code_knowledge"].between(0.0, 1.0).all()
        assert (table["runs"] == 4).all()
    assert (out / "march1991.png").stat().st_size > 10_000


def test_settings_are_found_in_the_config():
    config = make_config("experiment=march1991", "docking.march1991.runs=7")
    assert config.study == "march1991"
    assert config.docking.march1991.runs == 7
    assert config.docking.march1991 == Settings(runs=7)
