"""Sweep designs and plans: points, types, seeds, and bad designs refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

from lcsim import compose_config, validate
from lcsim.cli import main
from lcsim.sweep.design import Parameter, override_text
from lcsim.sweep.plan import plan_sweep

TINY = ["scenario=tiny", "scenario.steps=6"]


def plan(*overrides: str, folder: str = "/tmp/lcsim-never"):
    return plan_sweep([*TINY, *overrides, f"hydra.sweep.dir={folder}"])


def test_command_line_grid_is_the_product_of_the_swept_keys():
    p = plan("trust.loss=0.1,0.2", "facilitation.governance=shared,lead_organisation",
             "scenario.rewiring=range(0,0.3,0.1)", "replications=2")
    table = p.design.table
    assert list(table.columns) == ["trust.loss", "facilitation.governance",
                                   "scenario.rewiring"]
    assert len(table) == 2 * 2 * 3 and len(p.runs) == 2 * len(table)
    assert str(table["trust.loss"].dtype) == "float64"
    assert table["facilitation.governance"].tolist()[:3] == ["shared"] * 3
    assert p.design.overrides[0] == ["trust.loss=0.1", "facilitation.governance=shared",
                                     "scenario.rewiring=0.0"]
    assert p.configs[-1].trust.loss == 0.2 and p.configs[-1].scenario.rewiring == 0.2
    assert [(r.point, r.replicate) for r in p.runs[:3]] == [(0, 0), (0, 1), (1, 0)]


def test_group_choices_and_fixed_values_apply_to_every_point():
    p = plan_sweep(["scenario=tiny,single_lc", "scenario.steps=7", "seed=3",
                    "hydra.sweep.dir=/tmp/lcsim-never"])
    assert p.design.table["scenario"].tolist() == ["tiny", "single_lc"]
    assert [c.scenario.name for c in p.configs] == ["tiny", "single_lc"]
    assert all(c.scenario.steps == 7 and c.seed == 3 for c in p.configs)


def test_a_point_config_equals_composing_its_overrides_through_hydra():
    p = plan("trust.loss=0.3", "sweep=lhs", "sweep.n=3")
    for point in range(3):
        direct = validate(compose_config([*TINY, "trust.loss=0.3", "sweep=lhs", "sweep.n=3",
                                          *p.design.overrides[point]]))
        assert p.configs[point] == direct


def test_lhs_declares_ranges_integers_and_categories_once():
    p = plan("sweep=lhs", "sweep.n=8")
    table = p.design.table
    assert len(table) == 8
    cost = table["engagement.participation_cost"]
    assert cost.between(0.1, 0.9).all() and str(cost.dtype) == "float64"
    # Latin hypercube: one point in each eighth of the range.
    assert sorted(((cost - 0.1) / 0.8 * 8).astype(int)) == list(range(8))
    capacity = table["facilitation.capacity"]
    assert str(capacity.dtype) == "int64" and capacity.between(0, 10).all()
    assert set(table["facilitation.governance"]) <= {
        "shared", "lead_organisation", "network_administrative_organisation"}
    again = plan("sweep=lhs", "sweep.n=8").design.table
    assert again.equals(table)
    other = plan("sweep=lhs", "sweep.n=8", "sweep.sampler_seed=5").design.table
    assert not other.equals(table)


@pytest.mark.parametrize(("overrides", "points"), [
    (["sweep=sobol", "sweep.n=4"], 4 * (3 + 2)),
    (["sweep=sobol", "sweep.n=4", "sweep.second_order=true"], 4 * (2 * 3 + 2)),
    (["sweep=morris", "sweep.n=3"], 3 * (4 + 1)),
    (["sweep=zip"], 3),
    (["sweep=grid"], 6),
    (["sweep=lhs", "sweep.n=2", "trust.loss=0.1,0.2"], 4),
])
def test_declared_designs_have_the_sizes_of_their_methods(overrides, points):
    assert len(plan(*overrides).design) == points


def test_zip_pairs_values_and_a_table_reads_typed_columns(tmp_path):
    zipped = plan("sweep=zip").design.table
    assert zipped["facilitation.capacity"].tolist() == [0, 5, 10]
    assert zipped["facilitation.governance"].tolist()[0] == "shared"
    csv = tmp_path / "points.csv"
    csv.write_text("trust.loss,facilitation.enabled,scenario\n0.1,true,tiny\n"
                   "0.25,false,single_lc\n")
    p = plan_sweep(["scenario.steps=7", "scenario.interventions=[]", "sweep=table",
                    f"sweep.table={csv}", "hydra.sweep.dir=/tmp/lcsim-never"])
    table = p.design.table
    assert table["trust.loss"].tolist() == [0.1, 0.25]
    assert table["facilitation.enabled"].tolist() == [True, False]
    assert [c.scenario.name for c in p.configs] == ["tiny", "single_lc"]
    assert p.configs[1].facilitation.enabled is False and p.configs[1].scenario.steps == 7


def test_common_random_numbers_share_seeds_across_points_unless_switched_off():
    common = plan("trust.loss=0.1,0.2", "replications=3").runs
    seeds = {(r.point, r.replicate): r.replicate_seed for r in common}
    assert [seeds[0, r] for r in range(3)] == [seeds[1, r] for r in range(3)]
    assert len({seeds[0, r] for r in range(3)}) == 3
    assert common[0].spawn_key == (0,)
    independent = plan("trust.loss=0.1,0.2", "replications=3",
                       "sweep.common_random_numbers=false").runs
    assert len({r.replicate_seed for r in independent}) == 6
    ids = [r.run_id for r in common]
    assert len(set(ids)) == 6 and ids == [r.run_id for r in plan(
        "trust.loss=0.1,0.2", "replications=3").runs]


def test_replicate_r_of_a_point_is_replicate_r_of_lcsim_run():
    from lcsim.experiment.runner import replicate_seed
    from lcsim.sweep.plan import seed_fingerprint

    run = plan("trust.loss=0.1,0.2", "replications=2", "seed=9").runs[3]
    ours = np.random.SeedSequence(9, spawn_key=run.spawn_key)
    assert ours.generate_state(4).tolist() == replicate_seed(9, 1).generate_state(4).tolist()
    assert run.replicate_seed == seed_fingerprint(9, (1,))


@pytest.mark.parametrize("value", [0.1, 1e-05, 3, True, "shared", "two words", "null"])
def test_override_text_reads_back_unchanged(value):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_override(f"k={override_text(value)}").value()
    assert parsed == value and type(parsed) is type(value)


BAD_DESIGNS = [
    (["sweep=lhs", "+sweep.parameters.trust.los={low:0.1,high:0.2}"],
     "sweep.parameters.trust.los", "did you mean trust.loss?"),
    (["sweep=lhs", "sweep.parameters.engagement.participation_cost.low=0.95"],
     "sweep.parameters.engagement.participation_cost.low=0.95",
     "a number below sweep.parameters.engagement.participation_cost.high (0.9)"),
    (["sweep=lhs", "sweep.parameters.facilitation.capacity.high=2.5"],
     "sweep.parameters.facilitation.capacity.high=2.5",
     "a whole number (the parameter is an integer)"),
    (["sweep=lhs", "sweep.parameters.facilitation.governance.values=[]"],
     "sweep.parameters.facilitation.governance.values=[]", "a non-empty list"),
    (["sweep=lhs", "sweep.n=1"], "sweep.n=1", "at least 2 points"),
    (["sweep=sobol", "sweep.n=12"], "sweep.n=12", "a power of 2"),
    (["sweep=morris", "sweep.levels=5"], "sweep.levels=5", "an even number"),
    (["sweep=morris", "sweep.n=1"], "sweep.n=1", "at least 2 trajectories"),
    (["sweep=zip", "sweep.parameters.facilitation.capacity.values=[1,2]"],
     "sweep.parameters.facilitation.governance.values='3 values'", "as many as"),
    (["sweep=grid", "+sweep.parameters.trust.loss={low:0.1,high:0.2}"],
     "sweep.parameters.trust.loss", "a list {values: [...]} in a grid design"),
    (["sweep=table", "sweep.table=/no/such.csv"], "sweep.table='/no/such.csv'",
     "a readable CSV file"),
    (["sweep=lhs", "trust.loss=0.1,2.0"], "trust.loss=2.0", "a number from 0 to 1"),
    (["sweep=lhs", "sweep.parameters.engagement.participation_cost.high=200"],
     "sweep.parameters.engagement.participation_cost.high=200",
     "within engagement.participation_cost's own range (0.0 to 100.0)"),
    # Refused from the declared bound, not from whichever point happens to be drawn.
    (["sweep=lhs", "+sweep.parameters.trust.loss={low:0.1,high:1.05}"],
     "sweep.parameters.trust.loss.high=1.05", "within trust.loss's own range"),
    (["trust.loss=range(0.3,0.1,0.1)"], "trust.loss=range(0.3,0.1,0.1) is not allowed",
     "at least one value"),
    (["facilitation.capacity=range(0,0)"], "facilitation.capacity=range(0,0)",
     "at least one value"),
    (["sweep=lhs", "engagement.participation_cost=0.1,0.2"], "engagement.participation_cost",
     "not both"),
    (["seed=interval(0,1)"], "seed=interval(0,1) is not allowed", "sweep.parameters"),
    (["sweep.n=2,4"], "sweep.n=2,4 is not allowed", "not swept"),
    (["study=march1991,community"], "study='march1991'", "lcsim run experiment=march1991"),
]


@pytest.mark.parametrize(("overrides", "names", "allowed"), BAD_DESIGNS)
def test_bad_designs_are_one_line_and_exit_2_before_anything_runs(overrides, names, allowed,
                                                                   capsys, tmp_path):
    out = tmp_path / "never"
    code = main(["run", "-m", *TINY, *overrides, f"hydra.sweep.dir={out}"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("lcsim: error: ")
    assert names in lines[0] and allowed in lines[0], lines[0]
    assert not out.exists()


def test_sweep_settings_without_m_and_unknown_key_outcomes_are_refused(capsys, tmp_path):
    out = tmp_path / "never"
    assert main(["run", "sweep=lhs", f"hydra.run.dir={out}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "lcsim: error: sweep=lhs is not allowed without -m: sweep settings apply to a "
        "sweep (lcsim run -m ...)")
    assert main(["run", "-m", *TINY, "sweep.key_outcomes=[retention,joy]",
                 f"hydra.sweep.dir={out}"]) == 2
    assert "sweep.key_outcomes='joy' is not allowed: outcome columns" in (
        capsys.readouterr().err)
    assert not out.exists()


@pytest.mark.parametrize("low, high, dist", [(0.3, 0.9, "uniform"), (0.1, 0.7, "uniform"),
                                             (0.01, 1.0, "loguniform")])
def test_the_end_values_of_a_range_stay_within_its_bounds(low, high, dist):
    # 0.3 + 1.0 * (0.9 - 0.3) is 0.9000000000000001 in floating point.
    values = Parameter("engagement.goal_alignment", low, high, dist=dist).at(
        np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]))
    assert values[0] == low and values[-1] == high
    assert all(low <= v <= high for v in values)
