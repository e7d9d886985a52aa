"""Adaptive replications: rounds until the key outcomes are precise, budgets, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.config.schema import AdaptiveConfig
from lcsim.sweep.adaptive import next_replications

# Two tiny points; retention and knowledge need 6-9 replications for +/-0.05.
ADAPTIVE = ["scenario=tiny", "facilitation.capacity=0,5", "replications=3", "n_jobs=1",
            "sweep.adaptive.target=0.05", "sweep.adaptive.max_replications=30",
            "sweep.key_outcomes=[retention,knowledge_mean]", "sweep.ci_share=0"]


def sweep(folder: Path, *overrides: str) -> int:
    return main(["run", "-m", *overrides, f"hydra.sweep.dir={folder}"])


def precision(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "precision.csv")


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory) -> Path:
    """An adaptive sweep that meets its target, run in this process."""
    folder = tmp_path_factory.mktemp("adaptive") / "met"
    assert sweep(folder, *ADAPTIVE) == 0
    return folder


def test_a_target_met_early_stops_early(adaptive, capsys):
    table = precision(adaptive)
    assert set(table.columns) >= {"point", "facilitation.capacity", "outcome", "replications",
                                  "mean", "sd", "half_width", "allowed", "met", "stopped_by"}
    assert table["met"].all() and (table["stopped_by"] == "target").all()
    assert (table["half_width"] <= 0.05).all() and (table["allowed"] == 0.05).all()
    counts = table.groupby("point")["replications"].first()
    assert (counts > 3).all() and (counts < 30).all()
    runs = pd.read_parquet(adaptive / "sweep.parquet")
    assert runs.groupby("point").size().tolist() == counts.tolist()
    manifest = json.loads((adaptive / "manifest.json").read_text())
    assert manifest["runs"] == len(runs) and "precision.csv" in manifest["files"]
    assert manifest["adaptive"]["points_at_budget"] == 0
    # Run again: nothing to do, and the same tables.
    before = (adaptive / "precision.csv").read_bytes()
    capsys.readouterr()
    assert sweep(adaptive, *ADAPTIVE) == 0
    assert "resuming: 6 run(s) done earlier, 0 to run" in capsys.readouterr().err
    assert (adaptive / "precision.csv").read_bytes() == before


def test_adaptive_rows_are_those_of_a_fixed_sweep_with_as_many_replications(adaptive,
                                                                            tmp_path):
    runs = pd.read_parquet(adaptive / "sweep.parquet")
    fixed = tmp_path / "fixed"
    most = int(runs.groupby("point").size().max())
    overrides = [o for o in ADAPTIVE if not o.startswith(("replications", "sweep.adaptive"))]
    assert sweep(fixed, *overrides, f"replications={most}") == 0
    table = pd.read_parquet(fixed / "sweep.parquet")
    same = table.merge(runs[["run_id"]], on="run_id")
    pd.testing.assert_frame_equal(same, runs)


def test_an_unreachable_target_stops_at_the_budget_and_says_so(tmp_path, caplog, capsys):
    folder = tmp_path / "budget"
    overrides = [*ADAPTIVE, "sweep.adaptive.target=0.0001", "sweep.adaptive.max_replications=7"]
    with caplog.at_level("INFO", logger="lcsim"):
        assert sweep(folder, *overrides) == 0
    table = precision(folder)
    assert (table["replications"] == 7).all() and not table["met"].all()
    assert (table["stopped_by"] == "max_replications").all()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and warned[0].startswith(
        "2 point(s) stopped at the budget before meeting the target")
    assert "sweep.adaptive.max_replications=7" in warned[0]
    assert "(2 of 2 point(s) stopped at the budget)" in capsys.readouterr().err


def test_the_total_budget_is_shared_out_point_by_point(tmp_path):
    folder = tmp_path / "runs"
    assert sweep(folder, *ADAPTIVE, "sweep.adaptive.target=0.0001",
                 "sweep.adaptive.max_runs=13") == 0
    points = precision(folder).groupby("point").first()
    assert points["replications"].tolist() == [7, 6]
    assert (points["stopped_by"] == "max_runs").all()
    assert len(pd.read_parquet(folder / "sweep.parquet")) == 13


def test_next_round_asks_what_the_sd_needs_at_most_doubling_within_budgets():
    rows = pd.DataFrame({
        "point": [0, 1, 2], "replications": [4, 4, 10], "sd": [0.01, 0.1, 0.5],
        "allowed": [0.05, 0.05, 0.05], "met": [True, False, False]})
    # Point 1 needs ceil((3.18 * 0.1 / 0.05)^2) = 41: at most doubled to 8.
    assert next_replications(rows, AdaptiveConfig(target=0.05)) == [4, 8, 20]
    assert next_replications(rows, AdaptiveConfig(target=0.05, max_replications=12)) == [
        4, 8, 12]
    # 5 runs left in all: handed out one by one, point by point.
    assert next_replications(rows, AdaptiveConfig(target=0.05, max_runs=23)) == [4, 7, 12]
    small = rows.assign(sd=[0.01, 0.03, 0.5])  # needs ceil((3.18 * 0.03 / 0.05)^2) = 4
    assert next_replications(small, AdaptiveConfig(target=0.05))[1] == 5  # one more at least


def test_a_relative_target_is_a_share_of_the_mean(tmp_path):
    folder = tmp_path / "relative"
    assert sweep(folder, *ADAPTIVE, "sweep.adaptive.relative=true",
                 "sweep.adaptive.target=0.05") == 0
    table = precision(folder)
    assert table["allowed"].tolist() == pytest.approx((0.05 * table["mean"].abs()).tolist())
    assert table["met"].all()


def test_an_interrupted_adaptive_sweep_resumes_to_the_same_tables(adaptive, tmp_path,
                                                                    monkeypatch):
    import lcsim.sweep.executor as executor

    real = executor.execute
    calls = []

    def interrupted(batches, folder, n_workers, on_report):
        calls.append(len(batches))
        if len(calls) == 2:  # in the second round, after its first batch
            real(batches[:1], folder, n_workers, on_report)
            raise KeyboardInterrupt
        real(batches, folder, n_workers, on_report)

    folder = tmp_path / "resumed"
    monkeypatch.setattr(executor, "execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep(folder, *ADAPTIVE, "sweep.batch_size=1")
    assert calls[1] > 1 and not (folder / "manifest.json").exists()
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"

    monkeypatch.setattr(executor, "execute", real)
    two_workers = [o.replace("n_jobs=1", "n_jobs=2") for o in ADAPTIVE]
    assert sweep(folder, *two_workers, "sweep.batch_size=2") == 0
    for name in ("sweep.parquet", "precision.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (adaptive / name).read_bytes(), name


@pytest.mark.parametrize(("overrides", "line"), [
    (["replications=1"], "replications=1 is not allowed: at least 2 with "
                         "sweep.adaptive.target"),
    (["sweep.adaptive.max_replications=2"], "sweep.adaptive.max_replications=2 is not "
                                            "allowed: at least replications (3)"),
    (["sweep.adaptive.max_runs=5"], "sweep.adaptive.max_runs=5 is not allowed: 0 or at "
                                    "least the first round's 6 runs"),
])
def test_adaptive_settings_that_cannot_work_are_refused_in_one_line(tmp_path, capsys,
                                                                    overrides, line):
    assert sweep(tmp_path / "refused", *ADAPTIVE, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"lcsim: error: {line}")
    assert not (tmp_path / "refused").exists()
