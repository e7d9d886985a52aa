"""lcsim sensitivity: known answers on Ishigami, the community model, reuse, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.model.ishigami import analytic_indices
from lcsim.sweep.design import Parameter

ISHIGAMI = ["analysis=ishigami"]
TINY_MORRIS = ["analysis=morris", "analysis.n=4", "scenario=tiny", "scenario.steps=6",
               "analysis.steps=[3,6]", "replications=2", "n_jobs=1",
               "+analysis.parameters.trust.gain={low: 0.1, high: 0.1}"]


def sensitivity(folder: Path, *overrides: str) -> int:
    return main(["sensitivity", *overrides, f"hydra.run.dir={folder}"])


def test_ishigami_through_the_whole_pipeline_matches_the_analytic_indices(tmp_path):
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
    # A scalar stand-in writes no time series.
    assert not list((folder / "runs" / "batches").glob("*.timeseries.parquet"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == 8192 * 5 and "bootstrap" in manifest["interval"]
    assert (folder / "indices.png").stat().st_size > 0


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
    assert "holds a sweep with another config" in capsys.readouterr().err


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


@pytest.mark.parametrize("method, n, index", [("fast", 65, "ST"), ("rbd_fast", 256, "S1"),
                                             ("delta", 256, "S1"), ("pawn", 256, "median")])
def test_the_other_salib_methods_rank_ishigami_through_the_same_adapter(tmp_path, method,
                                                                        n, index):
    folder = tmp_path / method
    assert sensitivity(folder, *ISHIGAMI, f"analysis.method={method}",
                       f"analysis.n={n}", "analysis.resamples=10") == 0
    indices = pd.read_csv(folder / "indices.csv")
    values = indices[indices["index"] == index].set_index("parameter")["value"]
    assert values["ishigami.x2"] > values["ishigami.x3"]


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
