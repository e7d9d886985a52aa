"""The named sweep studies of experiments/: their designs, and a tiny run of each."""

from __future__ import annotations

import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.sweep import load_sweep, plan_sweep

# Study, points, first-round runs, swept keys.
STUDIES = [
    ("facilitation_cost", 12, 120,
     ["facilitation.capacity", "engagement.participation_cost"]),
    ("free_riders_platform", 8, 80,
     ["platform.enabled", "engagement.share_free_rider", "engagement.share_conditional"]),
]
KEY_OUTCOMES = {"facilitation_cost": ["retention", "knowledge_mean"],
                "free_riders_platform": ["retention", "knowledge_mean", "commitment_mean"]}


@pytest.mark.parametrize(("study", "points", "runs", "keys"), STUDIES)
def test_a_study_declares_a_valid_design_on_clic_it(study, points, runs, keys):
    plan = plan_sweep([f"experiment={study}", "hydra.sweep.dir=/tmp/lcsim-never"])
    assert len(plan.design) == points and len(plan.runs) == runs
    assert plan.parameters == keys and plan.sweep.key_outcomes == KEY_OUTCOMES[study]
    assert {c.scenario.name for c in plan.configs} == {"clic_it"}
    assert plan.sweep.adaptive.target > 0 and plan.sweep.adaptive.max_replications == 50
    assert plan.design.table.drop_duplicates().shape[0] == points


def test_facilitation_cost_crosses_every_capacity_with_every_cost():
    plan = plan_sweep(["experiment=facilitation_cost", "hydra.sweep.dir=/tmp/lcsim-never"])
    pairs = {(c.facilitation.capacity, c.engagement.participation_cost) for c in plan.configs}
    assert pairs == {(k, c) for k in (0.0, 5.0, 10.0) for c in (0.15, 0.3, 0.6, 0.9)}


def test_free_riders_replace_conditional_cooperators_with_and_without_platform():
    plan = plan_sweep(["experiment=free_riders_platform", "hydra.sweep.dir=/tmp/lcsim-never"])
    table = plan.design.table
    assert table.groupby("platform.enabled")["engagement.share_free_rider"].apply(
        list).to_dict() == {False: [0.0, 0.15, 0.33, 0.5], True: [0.0, 0.15, 0.33, 0.5]}
    for config in plan.configs:
        e = config.engagement
        assert e.share_free_rider + e.share_conditional == pytest.approx(0.83)
        assert config.scenario.interventions[0].action == "open_platform"


@pytest.mark.parametrize(("study", "points"), [s[:2] for s in STUDIES])
def test_a_study_runs_on_tiny_with_overrides(study, points, tmp_path):
    folder = tmp_path / study
    assert main(["run", "-m", f"experiment={study}", "scenario=tiny", "scenario.steps=8",
                 "replications=2", "sweep.adaptive.max_replications=3", "n_jobs=1",
                 f"hydra.sweep.dir={folder}"]) == 0
    table, summary = load_sweep(folder)
    precision = pd.read_csv(folder / "precision.csv")
    assert table["point"].nunique() == points and 2 * points <= len(table) <= 3 * points
    assert summary["point"].nunique() == points
    assert precision["outcome"].unique().tolist() == KEY_OUTCOMES[study]


def test_a_study_with_a_sweep_is_refused_without_m(capsys):
    assert main(["run", "experiment=facilitation_cost"]) == 2
    assert capsys.readouterr().err.strip() == (
        "lcsim: error: experiment=facilitation_cost declares a sweep (sweep.*): run it "
        "with lcsim run -m experiment=facilitation_cost")
