"""The command line: runs that leave complete results, and bad input that leaves none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lcsim import __version__
from lcsim.cli import main
from lcsim.errors import ResultsError
from lcsim.experiment.store import load_results

LCSIM = str(Path(sys.executable).with_name("lcsim"))


def test_version_from_console_script_and_module():
    for command in ([LCSIM, "--version"], [sys.executable, "-m", "lcsim", "--version"]):
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
        assert out.stdout.strip() == f"lcsim {__version__}"


def test_run_writes_a_complete_results_directory(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [LCSIM, "run", "scenario=tiny", "replications=3", "seed=4", f"hydra.run.dir={out}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "replication 3/3 done" in proc.stdout + proc.stderr
    assert "Step 1 at time" not in proc.stdout + proc.stderr  # Mesa's per-step log is quiet
    for name in ("config.yaml", "timeseries.parquet", "companies.parquet", "summary.csv",
                 "manifest.json", "figures/outcomes_over_time.png",
                 "figures/retention_by_community.png", "figures/knowledge_distribution.png",
                 "figures/collaboration_network.png", "report.html"):
        assert (out / name).is_file(), name
    results = load_results(out)
    assert sorted(results.timeseries["replicate"].unique()) == [0, 1, 2]
    assert results.config["seed"] == 4 and results.config["scenario"]["name"] == "tiny"
    # Defaults set in code are in the resolved config too.
    assert results.config["exchange"]["absorption"] == 0.3
    manifest = results.manifest
    assert manifest["status"] == "complete" and manifest["seed"] == 4
    assert len(manifest["replicate_seeds"]) == 3
    assert {"lcsim", "mesa", "hydra-core", "SALib", "numpy"} <= set(manifest["versions"])
    assert "commit" in manifest["git"] and "dirty" in manifest["git"]
    assert "simulation" in manifest["timings_seconds"]
    summary = results.summary
    row = summary[(summary["community"] == "all") & (summary["outcome"] == "retention")]
    assert row["n"].item() == 3
    assert row["ci95_low"].item() <= row["mean"].item() <= row["ci95_high"].item()
    final = results.timeseries.query("community == 'all' and step == step.max()")
    assert row["mean"].item() == pytest.approx(final["retention"].mean())


def test_load_results_refuses_an_unfinished_directory(tmp_path):
    (tmp_path / "timeseries.parquet").write_bytes(b"")
    with pytest.raises(ResultsError, match="manifest.json"):
        load_results(tmp_path)


BAD_INPUTS = [
    (["scenario.n_companies=-3"], "scenario.n_companies=-3", "from 1 to"),
    (["replications=0"], "replications=0", "from 1"),
    (["exchange.absorption=1.7"], "exchange.absorption=1.7", "from 0 to 1"),
    (["scenario.n_companies=many"], "scenario.n_companies=many", "whole number"),
    (["trust.gain=high"], "trust.gain=high", "a number"),
    (["no_such_key=1"], "no_such_key", "unknown key"),
    (["+no_such_key=1"], "no_such_key", "no such key"),
    (["scenario=atlantis"], "scenario=atlantis", "clic_it, single_lc, tiny"),
    (["experiment=atlantis"], "experiment=atlantis", "no_facilitation"),
    (["scenario.interventions=[{step:60,action:open_platform}]"],
     "scenario.interventions[0].step=60", "from 1 to scenario.steps (48)"),
    (["scenario.interventions=[{step:3,action:dance}]"],
     "scenario.interventions[0].action='dance'", "open_platform"),
    (["scenario.interventions=[{step:3,action:set_parameter,parameter:seed,value:2}]"],
     "scenario.interventions[0].parameter='seed'", "mechanism parameter"),
    (["facilitation.governance=anarchy"], "facilitation.governance='anarchy'",
     "shared, lead_organisation"),
    (["scenario.interventions=[{step:3,action:set_parameter,"
      "parameter:membership.patience,value:6.5}]"],
     "scenario.interventions[0].value=6.5", "a int for membership.patience"),
    (["n_jobs=0"], "n_jobs=0", "at least 1, or -1"),
    (["seed="], "seed=''", "whole number"),
    (["scenario.n_institutions=9", "scenario.n_communities=2"], "scenario.n_institutions=9",
     "every institution serves a community"),
    (["-m", "scenario=tiny", "exchange.absorption=0.2,1.7"], "exchange.absorption=1.7",
     "from 0 to 1"),
    (["-m", "scenario=tiny", "scenario.n_companies=many"], "scenario.n_companies=many",
     "whole number"),
]


@pytest.mark.parametrize(("overrides", "names", "allowed"), BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_2(overrides, names, allowed, capsys, tmp_path):
    out = tmp_path / "never"
    code = main(["run", *overrides, f"hydra.run.dir={out}", f"hydra.sweep.dir={out}"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lcsim: error: ")
    assert names in lines[0] and allowed in lines[0]
    assert not out.exists()


def test_bad_input_from_the_shell_exits_non_zero_without_traceback(tmp_path):
    out = tmp_path / "never"
    proc = subprocess.run([LCSIM, "run", "engagement.share_free_rider=1.7",
                           f"hydra.run.dir={out}"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("lcsim: error: engagement.share_free_rider=1.7 is not "
                                   "allowed: a number from 0 to 1")
    assert "Traceback" not in proc.stderr and not out.exists()


def test_unknown_command_and_bare_call():
    assert main(["sweep"]) == 2
    assert main([]) == 2
    assert main(["--version"]) == 0


def test_manifest_is_valid_json_written_last(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "scenario=tiny", "replications=1", "figures=false",
                 f"hydra.run.dir={out}"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    newest = max((out / f).stat().st_mtime_ns for f in manifest["files"])
    assert (out / "manifest.json").stat().st_mtime_ns >= newest
    assert not (out / "figures").exists()


def test_manifest_records_the_seeds_the_run_used(tmp_path):
    from lcsim import compose_config, run_replications, validate
    from lcsim.experiment.store import write_run

    config = validate(compose_config(["scenario=tiny", "replications=2", "seed=1"]))
    result = run_replications(config, replications=3, seed=5, n_jobs=1)
    write_run(tmp_path, config, result, timings={})
    manifest = load_results(tmp_path).manifest
    assert manifest["seed"] == 5 and manifest["replications"] == 3
    assert [s["spawn_key"] for s in manifest["replicate_seeds"]] == [[0], [1], [2]]


@pytest.mark.parametrize(("args", "expected"), [
    (["run", "hydra.run.dir=/proc/lcsim-x"],
     "hydra.run.dir=/proc/lcsim-x is not allowed: a folder lcsim can create"),
    (["run", "-m", "hydra.sweep.dir=/dev/null/x", "seed=1,2"],
     "hydra.sweep.dir=/dev/null/x is not allowed: a folder lcsim can create"),
    (["run", "-m", "seed=interval(0,1)"], "seed=interval(0,1) is not allowed"),
    (["run", "trust.los=0.2"], "trust.los: unknown key; did you mean trust.loss?"),
])
def test_unusable_folders_sweeps_and_typos_are_one_line(args, expected, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err


def test_manifest_command_can_be_run_again(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "scenario=tiny", "replications=1", "figures=false",
                 f"hydra.run.dir={out}"]) == 0
    command = json.loads((out / "manifest.json").read_text())["command"]
    assert command[:3] == ["lcsim", "run", "scenario=tiny"]


def test_a_mistyped_section_gets_a_suggestion(capsys):
    assert main(["run", "facilitaton.capacity=3"]) == 2
    assert capsys.readouterr().err.strip() == (
        "lcsim: error: facilitaton: unknown key; did you mean facilitation?")


def test_new_result_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    from lcsim.files import write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "shared.txt", "x")
        os.umask(0o077)
        write_text(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600


def test_ctrl_c_ends_an_analysis_with_one_line_and_it_resumes(tmp_path):
    import signal
    import time

    folder = tmp_path / "interrupted"
    command = [LCSIM, "sensitivity", "analysis=morris", "scenario=tiny", "analysis.n=20",
               "analysis.steps=[6,12]", "replications=3", "n_jobs=2", "sweep.batch_size=5",
               "analysis.discovery.methods=[]", f"hydra.run.dir={folder}"]
    # Its own process group, signalled as a whole, as Ctrl-C in a terminal does:
    # the local workers get SIGINT too.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    status = folder / "runs" / "status.json"
    deadline = time.monotonic() + 120
    while not (status.is_file() and json.loads(status.read_text())["done"] > 0):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"lcsim: interrupted; finished runs are kept: run the same command with "
        f"hydra.run.dir={folder} to resume")
    assert json.loads(status.read_text())["state"] == "interrupted"
    assert not (folder / "indices.csv").exists()
    done = json.loads(status.read_text())["done"]
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"resuming: {done} run(s) done earlier" in again.stderr
    assert (folder / "indices.csv").is_file()
