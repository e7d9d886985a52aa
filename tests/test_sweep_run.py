"""Running sweeps: tables on disk, resume after a kill, failures, workers, status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from lcsim import compose_config, simulate, validate
from lcsim.cli import main
from lcsim.sweep import load_sweep, load_timeseries, plan_sweep, run_sweep

LCSIM = str(Path(sys.executable).with_name("lcsim"))
GRID = ["scenario=tiny", "scenario.steps=6", "trust.loss=0.1,0.3", "replications=3",
        "n_jobs=1"]


def sweep(folder: Path, *overrides: str) -> int:
    return main(["run", "-m", *overrides, f"hydra.sweep.dir={folder}"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished 2-point x 3-replication grid, run in this process."""
    folder = tmp_path_factory.mktemp("sweep") / "grid"
    assert sweep(folder, *GRID) == 0
    return folder


def test_a_sweep_writes_one_tidy_row_per_run(finished):
    table, summary = load_sweep(finished)
    assert list(table.columns[:5]) == ["run_id", "point", "replicate", "replicate_seed",
                                       "trust.loss"]
    assert len(table) == 6 and table["run_id"].is_unique
    assert table[["point", "replicate"]].values.tolist() == [
        [p, r] for p in range(2) for r in range(3)]
    assert table["trust.loss"].tolist() == [0.1] * 3 + [0.3] * 3
    # Common random numbers: replicate r of both points shares its seed.
    seeds = table.pivot(index="replicate", columns="point", values="replicate_seed")
    assert (seeds[0] == seeds[1]).all()
    # Nothing that varies between identical sweeps.
    assert not {"seconds", "host", "pid", "started"} & set(table.columns)
    manifest = json.loads((finished / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs"] == 6
    assert manifest["parameters"] == ["trust.loss"]
    runlog = pd.read_parquet(finished / "runlog.parquet")
    assert {"seconds", "host", "pid", "started"} <= set(runlog.columns) and len(runlog) == 6


def test_rows_are_the_final_month_of_lcsim_runs_own_replicates(finished):
    table, _ = load_sweep(finished)
    config = validate(compose_config(["scenario=tiny", "scenario.steps=6", "trust.loss=0.3"]))
    run = simulate(config, config.seed, replicate=2).timeseries
    final = run[(run["community"] == "all") & (run["step"] == 6)].iloc[0]
    row = table[(table["point"] == 1) & (table["replicate"] == 2)].iloc[0]
    for outcome in ("retention", "knowledge_mean", "productive_share", "active_members"):
        assert row[outcome] == final[outcome]
    series = load_timeseries(finished)
    assert len(series) == 6 * 7 * 3 and series["run_id"].isin(table["run_id"]).all()


def test_summary_gives_mean_sd_interval_and_n_per_point(finished):
    table, summary = load_sweep(finished)
    row = summary[(summary["point"] == 1) & (summary["outcome"] == "knowledge_mean")].iloc[0]
    values = table.loc[table["point"] == 1, "knowledge_mean"]
    assert row["trust.loss"] == 0.3 and row["n"] == 3
    assert row["mean"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std())
    assert row["ci95_low"] < row["mean"] < row["ci95_high"]
    status = json.loads((finished / "status.json").read_text())
    assert status["state"] == "complete" and status["done"] == 6 and status["failed"] == 0


def test_rerunning_a_finished_sweep_runs_nothing_and_keeps_the_table(finished, capsys):
    before = (finished / "sweep.parquet").read_bytes()
    assert sweep(finished, *GRID) == 0
    assert "6 run(s) done earlier, 0 to run" in capsys.readouterr().err
    assert (finished / "sweep.parquet").read_bytes() == before


def test_a_changed_config_for_an_existing_sweep_is_refused_with_a_diff(finished, capsys):
    changed = [o.replace("trust.loss=0.1,0.3", "trust.loss=0.1,0.4") for o in GRID]
    assert sweep(finished, *changed, "seed=5") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith(f"lcsim: error: hydra.sweep.dir={finished} holds a sweep "
                               "with another config (2 change(s))")
    assert "  seed: 20221001 -> 5" in lines
    assert "  point 1: trust.loss=0.3 -> trust.loss=0.4" in lines
    assert (finished / "manifest.json").is_file()


def test_one_or_two_workers_give_the_same_table(tmp_path, finished):
    two = tmp_path / "two"
    assert sweep(two, *GRID[:-1], "n_jobs=2", "sweep.batch_size=2") == 0
    assert (two / "sweep.parquet").read_bytes() == (finished / "sweep.parquet").read_bytes()
    assert len(list((two / "batches").glob("*.runs.parquet"))) == 3


def test_the_lhs_design_runs_from_the_command_line(tmp_path):
    folder = tmp_path / "lhs"
    proc = subprocess.run([LCSIM, "run", "-m", "scenario=tiny", "scenario.steps=6",
                           "sweep=lhs", "sweep.n=4", "replications=2", "n_jobs=1",
                           f"hydra.sweep.dir={folder}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "sweep of 4 point(s) x 2 replication(s) = 8 runs" in proc.stderr
    assert "one run takes about" in proc.stderr
    table, summary = load_sweep(folder)
    assert len(table) == 8 and "facilitation.governance" in table.columns
    assert summary["point"].nunique() == 4


def test_failed_runs_are_recorded_and_retried_on_resume(tmp_path, finished, monkeypatch,
                                                        capsys):
    import lcsim.sweep.executor as executor

    real = executor.final_outcomes

    def flaky(config, seed, *, replicate):
        if config.trust.loss == 0.3 and replicate == 1:
            raise ZeroDivisionError("a model bug")
        return real(config, seed, replicate=replicate)

    folder = tmp_path / "flaky"
    monkeypatch.setattr(executor, "final_outcomes", flaky)
    assert sweep(folder, *GRID) == 1
    err = capsys.readouterr().err
    assert f"lcsim: error: 1 of 6 run(s) failed; tracebacks in {folder / 'failed'}/" in err
    (log,) = (folder / "failed").glob("*.log")
    text = log.read_text()
    assert "overrides: trust.loss=0.3" in text and "ZeroDivisionError: a model bug" in text
    assert not (folder / "manifest.json").exists()
    assert len(pd.read_parquet(folder / "sweep.parquet")) == 5
    assert json.loads((folder / "status.json").read_text())["state"] == "failed"

    monkeypatch.setattr(executor, "final_outcomes", real)
    assert sweep(folder, *GRID) == 0
    assert not list((folder / "failed").glob("*.log"))
    assert (folder / "sweep.parquet").read_bytes() == (finished / "sweep.parquet").read_bytes()


def test_a_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    overrides = ["scenario=tiny", "trust.loss=0.1,0.2,0.3", "replications=20", "n_jobs=1",
                 "sweep.batch_size=1"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([LCSIM, "run", "-m", *overrides, f"hydra.sweep.dir={killed}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(list(killed.glob("batches/*.runs.parquet"))) < 5:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no batch written within 120 s"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    done = len(list(killed.glob("batches/*.runs.parquet")))
    assert 5 <= done < 60 and not (killed / "manifest.json").exists()

    assert main(["run", "-m", *overrides, f"hydra.sweep.dir={killed}"]) == 0
    whole = tmp_path / "whole"
    assert main(["run", "-m", *overrides, f"hydra.sweep.dir={whole}"]) == 0
    resumed = pd.read_parquet(killed / "sweep.parquet")
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(whole / "sweep.parquet"))
    assert (killed / "sweep.parquet").read_bytes() == (whole / "sweep.parquet").read_bytes()
    runlog = pd.read_parquet(killed / "runlog.parquet")
    assert runlog["pid"].nunique() == 2  # the killed attempt and the resumed one


def test_run_sweep_is_the_python_api(tmp_path):
    plan = plan_sweep(["scenario=tiny", "scenario.steps=6", "seed=2,3", "replications=1",
                       f"hydra.sweep.dir={tmp_path / 'api'}"])
    outcome = run_sweep(plan, n_jobs=1, progress=False)
    assert outcome.complete and outcome.runs == 2 and outcome.failed == []
    table, _ = load_sweep(tmp_path / "api")
    assert table["seed"].tolist() == [2, 3]
    assert table["replicate_seed"].nunique() == 2  # replicate 0 of two root seeds


def test_wide_intervals_of_key_outcomes_are_warned_about(finished, caplog):
    with caplog.at_level("WARNING", logger="lcsim"):
        assert sweep(finished, *GRID, "sweep.ci_share=0.0001") == 0
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1
    assert "key-outcome intervals are wider than +/-0.01 % of their mean" in warned[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="lcsim"):
        assert sweep(finished, *GRID, "sweep.ci_share=0") == 0
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
