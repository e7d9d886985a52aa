"""lcsim sensitivity: known answers on Ishigami, the community model, reuse, bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.model.ishigami import analytic_indices
from lcsim.sensitivity.indices import combine, convergence_sizes
from lcsim.sensitivity.methods import METHODS
from lcsim.sensitivity.precision import (
    mark_wide,
    replication_noise,
    warn_noise,
    warn_wide,
)
from lcsim.sweep.design import Parameter

ISHIGAMI = ["analysis=ishigami"]
TINY_MORRIS = ["analysis=morris", "analysis.n=4", "scenario=tiny", "scenario.steps=6",
               "analysis.steps=[3,6]", "replications=2", "n_jobs=1",
               "+analysis.parameters.trust.gain={low: 0.1, high: 0.1}"]


def sensitivity(folder: Path, *overrides: str) -> int:
    return main(["sensitivity", *overrides, f"hydra.run.dir={folder}"])


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def assert_last_size_is_the_indices(folder: Path, n: int) -> pd.DataFrame:
    """convergence.csv at its largest size equals indices.csv, row for row."""
    indices, convergence = (read_table(folder / name)
                            for name in ("indices.csv", "convergence.csv"))
    assert list(convergence.columns) == ["outcome", "step", "n", "parameter",
                                         "parameter_2", "index", "value", "ci_low",
                                         "ci_high", "interval"]
    assert convergence["n"].max() == n
    last = convergence[convergence["n"] == n].drop(columns="n").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, indices[last.columns])
    return convergence


def test_ishigami_through_the_whole_pipeline_matches_the_analytic_indices(tmp_path,
                                                                          capsys):
    # Over 20 sampler seeds at N = 8192, SALib's estimates of these six indices
    # differed from the analytic values by at most 0.006 (SD at most 0.002):
    # 0.02 is 10 SDs of the worst, yet well below any difference that matters.
    folder = tmp_path / "ishigami"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=8192") == 0
    indices = pd.read_csv(folder / "indices.csv")
    expected = analytic_indices()
    for index in ("S1", "ST"):
        rows = indices[indices["index"] == index].set_index("parameter")
        got = rows.loc[["ishigami.x1", "ishigami.x2", "ishigami.x3"], "value"].to_numpy()
        np.testing.assert_allclose(got, expected[index], atol=0.02)
    assert list(indices.columns[:8]) == ["outcome", "step", "parameter", "parameter_2",
                                         "index", "value", "ci_low", "ci_high"]
    assert set(indices["interval"]) == {"bootstrap"} and indices["step"].isna().all()
    # Indistinguishable from zero: x3's S1 (analytic 0) is; x1's ST (0.56) and every
    # other S1 and ST are not; the mark is the interval holding 0, row by row.
    marks = indices.set_index(["index", "parameter"])["includes_zero"]
    assert marks.dtype == bool and marks.loc[("S1", "ishigami.x3")]
    assert not marks.loc[("ST", "ishigami.x1")]
    assert not marks.drop(("S1", "ishigami.x3")).any()
    np.testing.assert_array_equal(indices["includes_zero"],
                                  (indices["ci_low"] <= 0) & (indices["ci_high"] >= 0))
    # A scalar stand-in writes no time series.
    assert not list((folder / "runs" / "batches").glob("*.timeseries.parquet"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == 8192 * 5 and "bootstrap" in manifest["interval"]
    assert (folder / "indices.png").stat().st_size > 0

    # Convergence: the same runs analysed at base sizes 16, 32, ..., 8192.
    convergence = assert_last_size_is_the_indices(folder, 8192)
    assert sorted(set(convergence["n"])) == [16 * 2**k for k in range(10)]
    first = convergence[(convergence["n"] == 16) & (convergence["index"] == "ST")]
    assert (first["ci_high"] - first["ci_low"]).min() > 0.05  # far from converged at 16
    # At 8192 no interval is wide (the widest, S1 of x3, is +/- 0.019 against S1 of
    # x2 at 0.44), and a deterministic stand-in has no replication noise.
    assert not indices["wide"].any() and indices["replication_noise"].isna().all()
    noise = read_table(folder / "noise.csv")
    assert noise["replications"].tolist() == [1.0]
    assert noise[["within_sd", "noise_share"]].isna().all().all()
    assert noise["between_sd"].iloc[0] > 3
    err = capsys.readouterr().err
    assert "intervals are wide" not in err and "replication noise" not in err
    assert "convergence.csv" in manifest["files"] and "noise.csv" in manifest["files"]


def test_a_sobol_base_size_is_rounded_up_and_the_runs_counted_before_launch(tmp_path,
                                                                             capsys):
    folder = tmp_path / "rounded"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=100",
                       "analysis.second_order=true") == 0
    err = capsys.readouterr().err
    assert "analysis.n=100 is not a power of 2: rounded up to 128" in err
    assert "sobol over 3 parameter(s), n=128: 1024 sample rows x 1 replication(s) = " \
           "1024 runs" in err
    indices = pd.read_csv(folder / "indices.csv", keep_default_na=False)
    second = indices[indices["index"] == "S2"]
    assert len(second) == 3 and (second["parameter_2"] != "").all()


def test_stored_runs_are_analysed_again_without_simulating(tmp_path, capsys):
    folder = tmp_path / "again"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=64") == 0
    first = (folder / "indices.csv").read_text()
    runs = (folder / "runs" / "sweep.parquet").stat().st_mtime_ns
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=64", "analysis.simulate=false") == 0
    assert (folder / "indices.csv").read_text() == first
    assert (folder / "runs" / "sweep.parquet").stat().st_mtime_ns == runs
    capsys.readouterr()
    # Another sample is refused with what changed.
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=128", "analysis.simulate=false") == 2
    assert "holds a sensitivity analysis with another config" in capsys.readouterr().err


def test_missing_outputs_stop_the_analysis_with_their_run_ids_and_values(tmp_path,
                                                                          capsys):
    folder = tmp_path / "missing"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16", "sweep.batch_size=20") == 0
    lost = sorted((folder / "runs" / "batches").glob("*.runs.parquet"))[1]
    ids = pd.read_parquet(lost)["run_id"].tolist()
    lost.unlink()
    capsys.readouterr()
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16", "analysis.simulate=false") == 1
    err = capsys.readouterr().err
    assert "20 run(s) of the sample have missing or NaN outputs" in err
    assert f"run {ids[0]} (point" in err and "ishigami.x1=" in err
    # Running the command again runs them and finishes the analysis.
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16") == 0


def test_nan_outputs_stop_the_analysis_with_their_run_ids_and_values(tmp_path, capsys):
    folder = tmp_path / "nan"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16") == 0
    batch = next((folder / "runs" / "batches").glob("*.runs.parquet"))
    rows = pd.read_parquet(batch)
    spoilt = rows.sort_values("run_id").iloc[[3, 40]]
    rows.loc[spoilt.index, "y"] = np.nan
    rows.to_parquet(batch)
    written = (folder / "indices.csv").stat().st_mtime_ns
    capsys.readouterr()

    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16", "analysis.simulate=false") == 1
    err = capsys.readouterr().err.splitlines()
    errors = [line for line in err if line.startswith("lcsim: error: ")]
    assert errors == ["lcsim: error: 2 run(s) of the sample have missing or NaN outputs; "
                      "run the same command again to run them, or look at the model for "
                      "NaN outcomes"]
    details = err[err.index(errors[0]) + 1:]
    sample = pd.read_csv(folder / "sample.csv").set_index("point")
    expected = []
    for run in spoilt.sort_values("point").itertuples():
        values = sample.loc[run.point]
        expected.append(f"  run {run.run_id} (point {run.point}, replicate 0): "
                        + " ".join(f"ishigami.x{i}={float(values[f'ishigami.x{i}'])!r}"
                                   for i in (1, 2, 3)))
    assert details == expected
    assert (folder / "indices.csv").stat().st_mtime_ns == written  # nothing analysed


def rerun_indices(folder: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """The indices of the stored Ishigami runs with their rows replaced by ``rows``."""
    batch = next((folder / "runs" / "batches").glob("*.runs.parquet"))
    rows.to_parquet(batch)
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=64", "analysis.simulate=false") == 0
    return pd.read_csv(folder / "indices.csv")


def test_outputs_are_joined_to_the_sample_by_run_id_not_by_row_position(tmp_path):
    folder = tmp_path / "joined"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=64") == 0
    first = pd.read_csv(folder / "indices.csv")
    batches = list((folder / "runs" / "batches").glob("*.runs.parquet"))
    assert len(batches) == 1
    rows = pd.read_parquet(batches[0])

    # Rows in another order, and their point column shuffled too, so that
    # neither the stored order nor the stored point puts a row in its place:
    # the same indices, to the last digit.
    rng = np.random.default_rng(1)
    shuffled = rows.sample(frac=1, random_state=2).reset_index(drop=True)
    shuffled["point"] = rng.permutation(shuffled["point"].to_numpy())
    assert (shuffled["point"].to_numpy() != rows["point"].to_numpy()).mean() > 0.9
    pd.testing.assert_frame_equal(rerun_indices(folder, shuffled), first)

    # Two runs' ids swapped: each output now belongs to the other sample row,
    # and the indices move.
    swapped = rows.copy()
    a, b = rows["y"].idxmin(), rows["y"].idxmax()
    swapped.loc[[a, b], "run_id"] = rows.loc[[b, a], "run_id"].to_numpy()
    moved = rerun_indices(folder, swapped)
    assert (moved["value"] - first["value"]).abs().max() > 0.01


def test_the_community_model_is_analysed_per_month_averaged_over_replications(tmp_path,
                                                                              capsys):
    folder = tmp_path / "morris"
    assert sensitivity(folder, *TINY_MORRIS) == 0
    err = capsys.readouterr().err
    assert "trust.gain is held fixed at 0.1 (one value) and left out" in err
    problem = json.loads((folder / "problem.json").read_text())
    assert problem["fixed"] == {"trust.gain": 0.1}
    assert "trust.gain" not in [p["name"] for p in problem["parameters"]]

    indices = pd.read_csv(folder / "indices.csv")
    assert set(indices["step"]) == {3, 6} and set(indices["index"]) == {"mu_star", "sigma"}
    assert set(indices.loc[indices["index"] == "sigma", "interval"]) == {"none"}
    # Outputs are means over the replicates of each sample row, joined by point.
    outputs = pd.read_csv(folder / "outputs.csv")
    assert (outputs["replications"] == 2).all()
    table = pd.read_parquet(folder / "runs" / "sweep.parquet")
    final = outputs[(outputs["step"] == 6) & (outputs["outcome"] == "retention")]
    np.testing.assert_allclose(final.set_index("point")["mean"].sort_index(),
                               table.groupby("point")["retention"].mean().sort_index())
    sample = pd.read_csv(folder / "sample.csv")
    assert sample["facilitation.capacity"].dtype == np.int64

    # Replication noise from outputs.csv, the same on every index of its outcome-month.
    noise = read_table(folder / "noise.csv")
    retention = outputs[(outputs["outcome"] == "retention") & (outputs["step"] == 6)]
    share = (retention["sd"] ** 2).mean() / 2 / retention["mean"].var()
    row = noise[(noise["outcome"] == "retention") & (noise["step"] == 6)].iloc[0]
    assert row["noise_share"] == pytest.approx(share) and row["replications"] == 2
    assert share > 0.1 and "retention at month 6: replication noise is " in err
    constant = noise[noise["outcome"] == "innovations"]  # 0 everywhere: no share
    assert constant["noise_share"].isna().all()
    month = indices[(indices["outcome"] == "retention") & (indices["step"] == 6)]
    np.testing.assert_allclose(month["replication_noise"], share)
    # Four trajectories with two replications: wide intervals, named in a warning.
    assert month["wide"].any() and "retention at month 6: " in err
    assert "intervals are wide" in err
    convergence = assert_last_size_is_the_indices(folder, 4)
    assert sorted(set(convergence["n"])) == [4]  # no size below 8 but N itself


def test_coinciding_sample_rows_each_take_their_runs_once(tmp_path):
    # An integer of two values: a Saltelli row AB_i equals A whenever A and B
    # agree on it, so several sample rows share their run ids.
    folder = tmp_path / "sobol"
    assert sensitivity(folder, "analysis=sobol", "analysis.n=8", "scenario=tiny",
                       "scenario.steps=6", "analysis.steps=[6]", "replications=2",
                       "n_jobs=1", "analysis.parameters.facilitation.capacity.high=1") == 0
    sample = pd.read_csv(folder / "sample.csv")
    values = [c for c in sample.columns if "." in c and not c.endswith(":unit")]
    assert len(values) == 4 and len(sample) == 8 * (4 + 2)
    assert sample.duplicated(values).any()
    outputs = pd.read_csv(folder / "outputs.csv")
    assert (outputs["replications"] == 2).all()
    assert len(outputs) == len(sample) * len(set(outputs["outcome"]))
    runs = pd.read_csv(folder / "discovery_runs.csv")
    assert len(runs) == len(sample) * 2
    assert not runs.duplicated(["run_id", "point"]).any()


def test_a_saltelli_sample_of_base_size_k_is_its_first_k_blocks():
    # Convergence rests on this: SALib 1.6 lays the sample out one block of D + 2
    # (2D + 2) rows per point of the scrambled Sobol' sequence.
    from SALib.sample import sobol

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    for second_order, block in ((False, 5), (True, 8)):
        full = sobol.sample(problem, 64, calc_second_order=second_order, seed=7)
        for k in (2, 16, 32):
            part = sobol.sample(problem, k, calc_second_order=second_order, seed=7)
            np.testing.assert_array_equal(full[:k * block], part)
    assert convergence_sizes(METHODS["sobol"], 8192) == [16 * 2**k for k in range(10)]
    assert convergence_sizes(METHODS["sobol"], 16) == [8, 16]
    assert convergence_sizes(METHODS["sobol"], 8) == [8]
    assert convergence_sizes(METHODS["morris"], 10) == [8, 10]
    assert convergence_sizes(METHODS["morris"], 4) == [4]
    assert convergence_sizes(METHODS["delta"], 64) == [16, 32, 64]
    assert convergence_sizes(METHODS["rbd_fast"], 256) == [32, 64, 128, 256]
    assert convergence_sizes(METHODS["fast"], 65) == [65]


def test_repeated_samples_give_intervals_that_cover_ishigami_and_are_honest(tmp_path,
                                                                            capsys):
    # Eight independent samples of base size 1024: as many runs (40,960) as one
    # sample of 8192. Measured here: the repeated 95 % intervals cover the analytic
    # indices with the estimate at most 0.32 half-widths from them; their
    # half-widths are 0.0008-0.011. The bootstrap half-width of one repeat is
    # 4.9-46x as wide, 2.1-20x the honest single-sample half-width 1.96 SD (SD of
    # the eight estimates). Over 40 other seed sets the bootstrap was never below
    # 4.3x the repeated half-width, nor below 1.8x 1.96 SD, hence margins 3 and 1.5.
    from scipy import stats

    folder = tmp_path / "repeats"
    overrides = [*ISHIGAMI, "analysis.n=1024", "analysis.repeats=8"]
    assert sensitivity(folder, *overrides) == 0
    err = capsys.readouterr().err
    assert "n=1024 x 8 repeats: 40960 sample rows" in err
    assert "intervals are wide" not in err
    indices = read_table(folder / "indices.csv")
    assert set(indices["interval"]) == {"repeated"} and not indices["wide"].any()
    expected = analytic_indices()
    half = {}
    for index in ("S1", "ST"):
        rows = indices[indices["index"] == index].set_index("parameter").loc[
            ["ishigami.x1", "ishigami.x2", "ishigami.x3"]]
        assert (rows["ci_low"].to_numpy() <= expected[index]).all()
        assert (rows["ci_high"].to_numpy() >= expected[index]).all()
        half[index] = ((rows["ci_high"] - rows["ci_low"]) / 2).to_numpy()
        assert half[index].max() < 0.012

    # The bootstrap of repeat 0 alone, as SALib gives it with that repeat's seed.
    sample = read_table(folder / "sample.csv")
    problem = json.loads((folder / "problem.json").read_text())
    assert problem["repeats"] == 8 and len(set(problem["sampler_seeds"])) == 8
    assert sample["repeat"].value_counts().to_dict() == dict.fromkeys(range(8), 5120)
    rows = sample["repeat"] == 0
    outputs = read_table(folder / "outputs.csv").set_index("point")["mean"]
    from lcsim.config.schema import AnalysisConfig
    from lcsim.sensitivity.methods import method_of

    settings = AnalysisConfig()
    method = method_of(settings)
    unit = sample.loc[rows, [c for c in sample if c.endswith(":unit")]].to_numpy()
    result = method.analyse({"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3},
                            unit, outputs[sample.loc[rows, "point"]].to_numpy(), settings,
                            problem["sampler_seeds"][0])
    t = stats.t.ppf(0.975, 7)
    for index in ("S1", "ST"):
        bootstrap = np.asarray(result[f"{index}_conf"])
        assert (bootstrap > 3 * half[index]).all(), index
        spread = half[index] * np.sqrt(8) / t
        assert (bootstrap > 1.5 * 1.96 * spread).all(), index

    # Convergence per repeat, combined alike; the note says which interval.
    convergence = assert_last_size_is_the_indices(folder, 1024)
    assert set(convergence["interval"]) == {"repeated"}
    assert sorted(set(convergence["n"])) == [16, 32, 64, 128, 256, 512, 1024]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["interval"].startswith("repeated: the value is the mean of 8 ")
    assert problem["interval"] == manifest["interval"] and manifest["repeats"] == 8

    # The stored runs analysed again give the same files, byte for byte.
    written = {name: (folder / name).read_bytes() for name in (
        "indices.csv", "convergence.csv", "noise.csv", "sample.csv", "problem.json")}
    assert sensitivity(folder, *overrides, "analysis.simulate=false") == 0
    for name, content in written.items():
        assert (folder / name).read_bytes() == content, name


def test_replication_noise_of_a_constructed_table_has_the_known_answer(caplog):
    # Three rows of 4 replications, SDs 1, 2, 3: pooled within-row variance
    # (3 + 12 + 27) / 9 = 14/3, noise in a row mean 14/12; row means 0, 2, 4 have
    # variance 4, so the noise share is 14/48. Rows of 2 and 4 replications with
    # SD 1: pooled variance 1, noise 1 x (1/2 + 1/4) / 2 = 0.375 (8/3 replications).
    outputs = pd.DataFrame({
        "point": [0, 1, 2, 0, 1], "step": pd.array([48, 48, 48, 12, 12], dtype="Int64"),
        "outcome": ["retention"] * 3 + ["knowledge_mean"] * 2,
        "mean": [0.0, 2.0, 4.0, 1.0, 2.0], "sd": [1.0, 2.0, 3.0, 1.0, 1.0],
        "replications": [4, 4, 4, 2, 4]})
    noise = replication_noise(outputs).set_index("outcome")
    assert noise.loc["retention", "noise_share"] == pytest.approx(14 / 48)
    assert noise.loc["retention", "within_sd"] == pytest.approx(np.sqrt(14 / 3))
    assert noise.loc["retention", "between_sd"] == pytest.approx(2.0)
    assert noise.loc["retention", "replications"] == 4
    assert noise.loc["knowledge_mean", "noise_share"] == pytest.approx(0.375 / 0.5)
    assert noise.loc["knowledge_mean", "replications"] == pytest.approx(8 / 3)
    # One replication per row, or a deterministic model: nothing to measure.
    single = outputs.assign(replications=1, sd=np.nan)
    assert replication_noise(single)["noise_share"].isna().all()
    assert replication_noise(outputs, stochastic=False)["noise_share"].isna().all()

    with caplog.at_level("WARNING", logger="lcsim"):
        assert warn_noise(noise.reset_index(), 0.5) == 1
        assert warn_noise(noise.reset_index(), 0) == 0
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage().startswith(
        "knowledge_mean at month 12: replication noise is 75 % of the variance")
    assert "more replications" in caplog.records[0].getMessage()


def test_wide_intervals_are_marked_against_the_largest_value_of_their_index(caplog):
    indices = pd.DataFrame({
        "outcome": ["retention"] * 5, "step": pd.array([48] * 5, dtype="Int64"),
        "parameter": ["facilitation.capacity", "trust.loss", "facilitation.capacity",
                      "trust.loss", "trust.loss"],
        "parameter_2": [""] * 5, "index": ["ST", "ST", "S1", "S1", "sigma"],
        "value": [0.31, 0.6, 0.2, 0.5, 3.0],
        "ci_low": [0.19, 0.59, 0.16, 0.47, np.nan],
        "ci_high": [0.43, 0.61, 0.24, 0.53, np.nan]})
    # Half-widths 0.12 > 0.1 x 0.6 (ST), 0.01, 0.04 < 0.05, 0.03 (S1), none (sigma).
    indices["wide"] = mark_wide(indices, 0.1)
    assert indices["wide"].tolist() == [True, False, False, False, pd.NA]
    assert mark_wide(indices, 0).tolist() == [False, False, False, False, pd.NA]
    with caplog.at_level("WARNING", logger="lcsim"):
        assert warn_wide(indices, 0.1) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith("retention at month 48: 1 of 4 intervals are wide")
    assert "ST of facilitation.capacity at month 48: 0.31 ± 0.12" in message
    assert "analysis.n, more replications or analysis.repeats" in message


def test_each_repeat_has_model_seeds_of_its_own(tmp_path):
    from lcsim.sensitivity.study import plan_analysis
    from lcsim.sweep.plan import BLOCK_KEY

    analysis = plan_analysis([*TINY_MORRIS, "analysis.repeats=2",
                              f"hydra.run.dir={tmp_path}"])
    rows = len(analysis.plan.design) // 2
    keys = {run.point: [] for run in analysis.plan.runs}
    for run in analysis.plan.runs:
        keys[run.point].append(run.spawn_key)
    # Common random numbers within a repeat; repeat 0 as lcsim run, repeat 1 apart.
    assert keys[0] == keys[rows - 1] == [(0,), (1,)]
    assert keys[rows] == keys[2 * rows - 1] == [(BLOCK_KEY, 1, 0), (BLOCK_KEY, 1, 1)]


def test_a_second_order_interval_is_judged_against_the_largest_sobol_index():
    # S2 is a share of the same variance as S1 and ST: its half-width 0.04 is
    # small beside ST = 0.6, though S2's own largest value is only 0.05.
    indices = pd.DataFrame({
        "outcome": ["y"] * 3, "step": pd.array([pd.NA] * 3, dtype="Int64"),
        "parameter": ["a", "a", "a"], "parameter_2": ["", "", "b"],
        "index": ["ST", "S1", "S2"], "value": [0.6, 0.4, 0.05],
        "ci_low": [0.58, 0.39, 0.01], "ci_high": [0.62, 0.41, 0.09]})
    assert mark_wide(indices, 0.1).tolist() == [False, False, False]
    assert mark_wide(indices, 0.05).tolist() == [False, False, True]


def test_repeated_estimates_combine_to_their_mean_and_a_student_t_interval():
    estimates = pd.DataFrame({
        "repeat": [0, 1, 2, 0, 1, 2, 0, 1], "n": [8] * 6 + [4] * 2,
        "parameter": ["a"] * 3 + ["b"] * 3 + ["a"] * 2, "parameter_2": [""] * 8,
        "index": ["S1"] * 8, "value": [1.0, 2.0, 3.0, 0.5, np.nan, 0.7, 0.1, 0.2],
        "conf": [0.1] * 8})
    table = combine(estimates, 3, 0.95).set_index(["n", "parameter"])
    # t_2 at 95 % is 4.3027; SD of 1, 2, 3 is 1: 2 ± 4.3027 / sqrt(3) = 2 ± 2.48414.
    a = table.loc[(8, "a")]
    assert a["value"] == 2.0 and a["interval"] == "repeated"
    np.testing.assert_allclose([a["ci_low"], a["ci_high"]], [2 - 2.48414, 2 + 2.48414],
                               atol=1e-5)
    # A repeat without an estimate: no value and no interval.
    b = table.loc[(8, "b")]
    assert np.isnan(b["value"]) and b["interval"] == "none"
    # A size that one repeat lacks is left out.
    assert (4, "a") not in table.index


@pytest.mark.parametrize("method, n, index", [("fast", 65, "ST"), ("rbd_fast", 256, "S1"),
                                             ("delta", 256, "S1"), ("pawn", 256, "median")])
def test_the_other_salib_methods_rank_ishigami_through_the_same_adapter(tmp_path, method,
                                                                        n, index,
                                                                        capsys):
    folder = tmp_path / method
    assert sensitivity(folder, *ISHIGAMI, f"analysis.method={method}",
                       f"analysis.n={n}", "analysis.resamples=10") == 0
    indices = pd.read_csv(folder / "indices.csv")
    values = indices[indices["index"] == index].set_index("parameter")["value"]
    assert values["ishigami.x2"] > values["ishigami.x3"]
    err = capsys.readouterr().err
    if method == "fast":  # one curve through the hypercube: no prefix is a sample
        assert read_table(folder / "convergence.csv").empty
        assert "convergence.csv leaves out fast: its sample cannot be cut" in err
    else:
        assert_last_size_is_the_indices(folder, n)
        assert "a plain random subsample" in err


@pytest.mark.parametrize("method", ["sobol", "delta"])
def test_seed_0_gives_reproducible_intervals_and_leaves_numpy_global_state_alone(
        tmp_path, method, capsys):
    # SALib seeds its bootstrap only when `if seed:` holds, and delta seeds
    # numpy's global generator: seed 0 must still give the same intervals twice.
    overrides = [*ISHIGAMI, f"analysis.method={method}", "analysis.n=64",
                 "analysis.resamples=20", "analysis.sampler_seed=0"]
    np.random.seed(12345)
    before = np.random.get_state()[1].copy()
    tables = []
    for name in ("first", "second"):
        assert sensitivity(tmp_path / name, *overrides) == 0
        tables.append((tmp_path / name / "indices.csv").read_bytes())
    assert tables[0] == tables[1]
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert "Bin Merge" not in capsys.readouterr().out


def test_integer_and_categorical_values_are_equally_likely_ends_included():
    from SALib.sample import sobol

    unit = sobol.sample({"num_vars": 1, "names": ["u"], "bounds": [[0, 1]]}, 1024,
                        calc_second_order=False, seed=3)[:, 0]
    counts = pd.Series(Parameter("facilitation.capacity", 0, 10, integer=True).at(unit)
                       ).value_counts()
    assert sorted(counts.index) == list(range(11))
    assert counts.max() / counts.min() < 1.2
    words = pd.Series(Parameter("scenario", values=("tiny", "single_lc", "clic_it"))
                      .at(unit)).value_counts()
    assert len(words) == 3 and words.max() / words.min() < 1.1


@pytest.mark.parametrize("levels", [4, 6, 8, 12])
def test_on_the_morris_grid_every_value_is_equally_likely_when_its_count_divides_levels(
        levels):
    from SALib.sample import morris

    grid = np.arange(levels) / (levels - 1)  # level j at u = j / (p - 1)
    divisors = [k for k in range(2, levels + 1) if levels % k == 0]
    for k in divisors:
        words = Parameter("scenario", values=tuple(f"v{i}" for i in range(k)))
        whole = Parameter("facilitation.capacity", 3, 3 + k - 1, integer=True)
        for parameter, expected in ((words, [f"v{i}" for i in range(k)]),
                                    (whole, list(range(3, 3 + k)))):
            counts = pd.Series(parameter.at(grid, levels)).value_counts()
            assert set(counts.index) == set(expected), (k, levels)
            assert set(counts) == {levels // k}, (k, levels, counts.to_dict())

    # SALib's own grid coordinates (some one ulp off j / (p - 1)) give value i
    # to exactly the rows on levels i p/k to (i + 1) p/k - 1.
    unit = morris.sample({"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3},
                         40, num_levels=levels, seed=5)[:, 1]
    level = np.rint(unit * (levels - 1)).astype(int)
    assert set(level) == set(range(levels))
    for k in divisors:
        values = Parameter("facilitation.capacity", 0, k - 1, integer=True).at(unit, levels)
        np.testing.assert_array_equal(values, level // (levels // k))


def test_morris_warns_of_values_the_grid_cannot_make_equally_likely(tmp_path, caplog):
    from lcsim.sensitivity import plan_analysis

    caplog.set_level(logging.INFO, logger="lcsim")
    analysis = plan_analysis(["analysis=morris", "analysis.n=20", "scenario=tiny",
                              "analysis.steps=[6]",
                              "+analysis.parameters.trust.gain={values: [0.1, 0.2, 0.3]}",
                              f"hydra.run.dir={tmp_path}"])
    notices = [r.getMessage() for r in caplog.records if "Morris's grid" in r.getMessage()]
    assert len(notices) == 2 and all(r.levelno == logging.WARNING for r in caplog.records
                                     if "Morris's grid" in r.getMessage())
    capacity, gain = notices
    assert capacity.startswith("analysis.parameters.facilitation.capacity: its 11 values "
                               "cannot be equally likely on Morris's grid of "
                               "analysis.levels=4 levels")
    assert "values drawn (levels of each): 0 (1), 3 (1), 7 (1), 10 (1); 7 of the 11 " \
           "values are never drawn; set analysis.levels=22" in capacity
    assert gain.startswith("analysis.parameters.trust.gain: its 3 values")
    assert "0.1 (1), 0.2 (1), 0.3 (2)" in gain and "analysis.levels=6" in gain
    # The sample holds exactly the values the notice names.
    table = analysis.plan.design.table
    assert set(table["facilitation.capacity"]) == {0, 3, 7, 10}
    assert set(table["trust.gain"]) == {0.1, 0.2, 0.3}

    # With levels a multiple of both counts (6 x 11 = 66), no notice.
    caplog.clear()
    plan_analysis(["analysis=morris", "analysis.n=4", "analysis.levels=66",
                   "scenario=tiny", "analysis.steps=[6]",
                   "+analysis.parameters.trust.gain={values: [0.1, 0.2, 0.3]}",
                   f"hydra.run.dir={tmp_path}"])
    assert not [r for r in caplog.records if "Morris's grid" in r.getMessage()]


def test_notices_of_planning_reach_sensitivity_log(tmp_path, capsys):
    folder = tmp_path / "logged"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=12",
                       "analysis.parameters.ishigami.x3={low: 0.5, high: 0.5}") == 0
    log = (folder / "sensitivity.log").read_text(encoding="utf-8")
    assert "analysis.n=12 is not a power of 2: rounded up to 16" in log
    assert "analysis.parameters.ishigami.x3 is held fixed at 0.5 (one value)" in log
    # Each once, before the analysis starts, as on the console.
    lines = log.splitlines()
    assert sum("rounded up to 16" in line for line in lines) == 1
    start = next(i for i, line in enumerate(lines) if "sensitivity analysis: " in line)
    assert all("rounded up" not in line for line in lines[start:])
    err = capsys.readouterr().err
    assert err.count("rounded up to 16") == 1 and err.count("is held fixed at 0.5") == 1


@pytest.mark.parametrize("overrides, message", [
    ([], "analysis.parameters={} is not allowed: at least one parameter; choose a problem "
         "with analysis=NAME"),
    (["analysis=morris", "+analysis.parameters.trust.los={low: 0, high: 1}"],
     "analysis.parameters.trust.los="),
    (["analysis=morris", "scenario=tiny"], "analysis.steps=[12, 24, 36, 48] is not "
                                           "allowed: one or more months from 1 to "
                                           "scenario.steps (12)"),
    (["analysis=morris", "analysis.outcomes=[wealth]"], "analysis.outcomes='wealth'"),
    (["analysis=ishigami", "analysis.method=fast", "analysis.n=10"],
     "analysis.n=10 is not allowed: at least 65 for fast"),
    (["analysis=sobol", "analysis=nope"], "analysis=nope is not allowed: one of"),
    (["analysis=ishigami", "analysis.repeats=0"],
     "analysis.repeats=0 is not allowed: a number from 1 to 1000"),
    (["analysis=ishigami", "analysis.repeats=many"],
     "analysis.repeats=many is not allowed: a whole number"),
    (["analysis=ishigami", "analysis.wide_interval=-1"],
     "analysis.wide_interval=-1.0 is not allowed: a number from 0 to 100"),
    (["analysis=ishigami", "analysis.noise_warning=high"],
     "analysis.noise_warning=high is not allowed: a number"),
])
def test_bad_input_ends_with_one_line_before_anything_runs(tmp_path, capsys, overrides,
                                                            message):
    folder = tmp_path / "bad"
    assert sensitivity(folder, *overrides) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lcsim: error: ") and message in err, err
    assert not folder.exists()


def test_lcsim_run_refuses_the_stand_in(capsys):
    assert main(["run", "model=ishigami"]) == 2
    assert "lcsim sensitivity analysis=ishigami" in capsys.readouterr().err


def test_a_changed_rerun_is_refused_before_the_finished_analysis_is_touched(tmp_path,
                                                                           capsys):
    folder = tmp_path / "ishigami"
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=8") == 0
    kept = {name: (folder / name).read_bytes()
            for name in ("config.yaml", "problem.json", "sample.csv", "indices.csv")}
    capsys.readouterr()
    assert sensitivity(folder, *ISHIGAMI, "analysis.n=16") == 2
    err = capsys.readouterr().err
    assert (f"lcsim: error: hydra.run.dir={folder} holds a sensitivity analysis with "
            "another config") in err and "choose a new hydra.run.dir" in err
    for name, content in kept.items():
        assert (folder / name).read_bytes() == content, name


def test_stored_runs_without_an_outcome_are_refused_in_one_line(tmp_path, capsys):
    folder = tmp_path / "morris"
    assert sensitivity(folder, *TINY_MORRIS, "analysis.discovery.methods=[]") == 0
    # Runs stored by an lcsim whose time series had no knowledge_growth column.
    for path in (folder / "runs" / "batches").glob("*.timeseries.parquet"):
        pd.read_parquet(path).drop(columns="knowledge_growth").to_parquet(path)
    capsys.readouterr()
    assert sensitivity(folder, *TINY_MORRIS, "analysis.discovery.methods=[]",
                       "analysis.simulate=false") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lcsim: error: analysis.outcomes=") and (
        "outcomes the stored runs hold (knowledge_growth is not among them" in err[-1])
    assert "Traceback" not in "\n".join(err)
