"""Configs composed through Hydra's compose API, and a smoke run of each one."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_config
from lcsim import compose_config, simulate
from lcsim.config.params import describe
from lcsim.config.schema import LcsimConfig

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.stem for p in (ROOT / "configs" / "scenario").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml"))


def test_scenarios_exist():
    assert SCENARIOS == ["clic_it", "single_lc", "tiny"]


def test_default_is_clic_it_at_programme_scale():
    config = make_config()
    s = config.scenario
    assert s.name == "clic_it" and s.n_communities == 15 and s.steps == 48
    assert s.n_companies >= 500 and s.n_institutions == 8
    assert (s.size_mix.micro, s.size_mix.small, s.size_mix.medium) == (0.81, 0.16, 0.03)
    assert config.replications >= 10


def test_overrides_reach_the_config():
    config = make_config("scenario=single_lc", "trust.loss=0.2", "replications=3")
    assert config.scenario.n_communities == 1 and config.scenario.n_companies == 35
    assert config.trust.loss == 0.2 and config.replications == 3


def test_experiment_slot_is_empty_by_default_and_applies_a_study():
    assert "experiment" not in compose_config([])
    study = make_config("experiment=no_facilitation")
    assert study.facilitation.enabled is False
    assert study.engagement.participation_cost > make_config().engagement.participation_cost


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_runs_a_few_months(scenario):
    config = make_config(f"scenario={scenario}", "scenario.steps=3",
                         "scenario.interventions=[]")
    table = simulate(config, 1).timeseries
    assert table["step"].max() == 3
    assert table.query("community == 'all'")["active_members"].iloc[0] > 0


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_runs_a_few_months(experiment):
    config = make_config(f"experiment={experiment}", "scenario=tiny", "scenario.steps=3",
                         "scenario.interventions=[]")
    assert simulate(config, 1).timeseries["step"].max() == 3


def test_every_parameter_is_documented_with_a_range_or_choices():
    for row in describe(LcsimConfig):
        assert row["doc"], row["name"]
        if isinstance(row["default"], bool) or row["name"].endswith("name"):
            continue
        if isinstance(row["default"], int | float):
            assert row["low"] is not None or row["high"] is not None, row["name"]
