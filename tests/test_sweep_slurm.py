"""Sweeps on a real single-node Slurm: same tables as local workers, resume, failures.

The ``slurm`` fixture runs ``scripts/slurm-up`` (installs Debian's Slurm and
munge if missing, starts the daemons that are not running) and stops at the end
what it started. It skips, saying why, only where Slurm cannot start here: not
root, or no Slurm and no apt-get; under CI (``CI`` set) a failed start fails.
Every test that waits for a job bounds the wait.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lcsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
LCSIM = str(Path(sys.executable).with_name("lcsim"))
GRID = ["scenario=tiny", "scenario.steps=6", "trust.loss=0.1,0.3", "replications=3"]
# Six batches of one run, one batch per array task: six array tasks.
ONE_RUN_TASKS = ["launcher=slurm", "sweep.batch_size=1", "launcher.batches_per_task=1"]
#: Longest a test waits for one sweep on Slurm.
SWEEP_TIMEOUT = 120


@pytest.fixture(scope="session")
def slurm() -> Any:
    """A running single-node Slurm; stops at the end the daemons it started."""
    try:
        up = subprocess.run([str(ROOT / "scripts" / "slurm-up")], capture_output=True,
                            text=True, timeout=600)
    except subprocess.TimeoutExpired:
        up = subprocess.CompletedProcess([], 1, "", "scripts/slurm-up took over 600 s")
    reason = (up.stderr.strip().splitlines() or [f"exit {up.returncode}"])[-1]
    if up.returncode == 3:
        pytest.skip(f"no Slurm here: {reason}")
    if up.returncode:
        message = f"scripts/slurm-up failed (exit {up.returncode}): {up.stderr[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    started = up.stdout.strip().splitlines()[-1].removeprefix("started:").split()
    yield
    if started:
        subprocess.run([str(ROOT / "scripts" / "slurm-down"), *started], timeout=120,
                       check=False)


@pytest.fixture(scope="module")
def local_table(tmp_path_factory) -> bytes:
    """sweep.parquet of GRID on one local worker, the reference for every launcher."""
    folder = tmp_path_factory.mktemp("local") / "grid"
    assert main(["run", "-m", *GRID, "n_jobs=1", f"hydra.sweep.dir={folder}"]) == 0
    return (folder / "sweep.parquet").read_bytes()


def within(seconds: float, sweep: Callable[[], int]) -> int:
    """Run an in-process sweep on a daemon thread; fail the test if it takes too long."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["status"] = sweep()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the sweep did not end within {seconds:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["status"]


def sweep(folder: Path, *overrides: str) -> int:
    """``lcsim run -m`` in this process, bounded by SWEEP_TIMEOUT."""
    return within(SWEEP_TIMEOUT, lambda: main(
        ["run", "-m", *overrides, f"hydra.sweep.dir={folder}"]))


def arrays(folder: Path, attempt: int = 1) -> list[str]:
    record = folder / "slurm" / f"attempt-{attempt}" / "jobs.json"
    return json.loads(record.read_text())["arrays"]


def queued(array: str) -> dict[str, str]:
    """States of the array's tasks that Slurm still knows."""
    out = subprocess.run(["squeue", "-h", "-r", "-t", "all", "-j", array, "-o", "%i %T"],
                         capture_output=True, text=True, timeout=30).stdout
    return dict(line.split() for line in out.splitlines())


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.1)


def test_a_slurm_sweep_writes_the_same_table_as_local_workers(slurm, tmp_path, local_table,
                                                               capsys):
    folder = tmp_path / "slurm"
    assert sweep(folder, *GRID, *ONE_RUN_TASKS[:2], "launcher.batches_per_task=2",
                 "launcher.max_array_size=2") == 0
    err = capsys.readouterr().err
    assert "on Slurm job arrays (2 batch(es) per task" in err
    first, second = arrays(folder)
    assert f"submitted 3 array task(s) in Slurm job array(s) {first}, {second}" in err
    assert (folder / "sweep.parquet").read_bytes() == local_table
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs"] == 6
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "complete" and status["done"] == 6
    # Every run ran in an array task, not in the submitting process.
    runlog = pd.read_parquet(folder / "runlog.parquet")
    assert os.getpid() not in set(runlog["pid"]) and runlog["pid"].nunique() == 3
    logs = folder / "slurm" / "attempt-1"
    assert len(list(logs.glob(f"{first}_*log.out"))) == 2
    assert len(list(logs.glob(f"{second}_*log.out"))) == 1  # a lone task: a plain job


def test_a_killed_slurm_sweep_resumes_with_only_the_missing_runs(slurm, tmp_path,
                                                                  local_table, capsys):
    folder = tmp_path / "killed"
    command = [*GRID, *ONE_RUN_TASKS[:2], "launcher.batches_per_task=2",
               "launcher.array_parallelism=1"]
    # Tasks after the first wait in their batch script, so that they still run
    # when the command is killed and rerun.
    hold = 'launcher.setup=["test $SLURM_ARRAY_TASK_ID = 0 || sleep 60"]'
    proc = subprocess.Popen([LCSIM, "run", "-m", *command, hold,
                             f"hydra.sweep.dir={folder}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_until(lambda: len(list(folder.glob("batches/*.runs.parquet"))) >= 1, 60,
                   "no batch written")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    (array,) = arrays(folder)

    # The killed command's array still runs: a rerun now is refused, untouched.
    assert {"PENDING", "RUNNING"} & set(queued(array).values())
    assert sweep(folder, *command) == 2
    assert (f"has Slurm job(s) of an earlier attempt still pending or running ({array}); "
            f"wait for them or scancel {array}") in capsys.readouterr().err
    assert not (folder / "slurm" / "attempt-2").exists()
    subprocess.run(["scancel", array], timeout=30, check=True)
    wait_until(lambda: not {"PENDING", "RUNNING", "COMPLETING"} & set(queued(array).values()),
               30, f"job array {array} not ended")

    done = len(list(folder.glob("batches/*.runs.parquet")))
    capsys.readouterr()
    assert sweep(folder, *command, "launcher.array_parallelism=2") == 0
    err = capsys.readouterr().err
    assert f"resuming: {done} run(s) done earlier, {6 - done} to run" in err
    assert f"submitted {(6 - done + 1) // 2} array task(s)" in err
    assert (folder / "sweep.parquet").read_bytes() == local_table
    assert arrays(folder, 2) != [array]


def test_interrupting_the_command_cancels_its_jobs(slurm, tmp_path):
    folder = tmp_path / "interrupted"
    hold = 'launcher.setup=["sleep 60"]'
    proc = subprocess.Popen([LCSIM, "run", "-m", *GRID, *ONE_RUN_TASKS, hold,
                             f"hydra.sweep.dir={folder}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_until(lambda: (folder / "slurm" / "attempt-1" / "jobs.json").is_file(), 60,
                   "no job array submitted")
        (array,) = arrays(folder)
        wait_until(lambda: len(queued(array)) == 6, 30, "the array's tasks not queued")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        subprocess.run(["scancel", *arrays(folder)], timeout=30, check=False)
    assert proc.returncode != 0 and f"cancelled Slurm job(s) {array}" in err
    assert set(queued(array).values()) <= {"CANCELLED", "COMPLETING"}
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"


def test_a_cancelled_array_task_fails_its_runs_and_the_sweep_ends(slurm, tmp_path,
                                                                   local_table, monkeypatch,
                                                                   capsys):
    import lcsim.sweep.slurm as launcher

    monkeypatch.setattr(launcher, "GRACE_SECONDS", 1.0)
    folder = tmp_path / "cancelled"
    # Task 0 sleeps in its batch script before any run; cancel it then.
    slow = [*GRID, "launcher=slurm", "sweep.batch_size=3", "launcher.batches_per_task=1",
            'launcher.setup=["test $SLURM_ARRAY_TASK_ID != 0 || sleep 60"]']

    def cancel_first_task() -> None:
        def running() -> bool:
            record = folder / "slurm" / "attempt-1" / "jobs.json"
            return record.is_file() and "RUNNING" in queued(arrays(folder)[0]).values()

        wait_until(running, 60, "no array task running")
        subprocess.run(["scancel", f"{arrays(folder)[0]}_0"], timeout=30, check=True)

    canceller = threading.Thread(target=cancel_first_task, daemon=True)
    canceller.start()
    started = time.monotonic()
    try:
        status = sweep(folder, *slow)
    finally:
        canceller.join(timeout=5)
        if (folder / "slurm" / "attempt-1" / "jobs.json").is_file():
            subprocess.run(["scancel", *arrays(folder)], timeout=30, check=False)
    assert status == 1 and time.monotonic() - started < 90
    err = capsys.readouterr().err
    assert f"lcsim: error: 3 of 6 run(s) failed; tracebacks in {folder / 'failed'}/" in err
    logs = sorted((folder / "failed").glob("*.log"))
    assert len(logs) == 3
    text = logs[0].read_text()
    assert "ended before writing this run's batch" in text and "CANCELLED" in text
    assert "overrides: trust.loss=0.1" in text
    assert json.loads((folder / "status.json").read_text())["state"] == "failed"
    assert not (folder / "manifest.json").exists()

    # Resume without the sleep: the failed runs run again, the table is the same.
    capsys.readouterr()
    assert sweep(folder, *slow[:-1]) == 0
    assert "resuming: 3 run(s) done earlier, 3 to run" in capsys.readouterr().err
    assert (folder / "sweep.parquet").read_bytes() == local_table


def test_an_array_task_that_exits_non_zero_fails_its_runs(slurm, tmp_path, monkeypatch,
                                                          capsys):
    import lcsim.sweep.slurm as launcher

    monkeypatch.setattr(launcher, "GRACE_SECONDS", 1.0)
    folder = tmp_path / "broken"
    assert sweep(folder, *GRID, *ONE_RUN_TASKS, "launcher.batches_per_task=6",
                 "launcher.setup=[exit 3]") == 1
    assert "6 of 6 run(s) failed" in capsys.readouterr().err
    text = next((folder / "failed").glob("*.log")).read_text()
    assert "Slurm state: FAILED" in text and "spawn_key" in text


def test_an_array_task_that_raises_fails_its_runs_with_its_traceback(slurm, tmp_path):
    folder = tmp_path / "raises"
    # The task's batch script turns the batches folder into a file: writing fails.
    spoil = f'launcher.setup=["rm -rf {folder}/batches && touch {folder}/batches"]'
    assert sweep(folder, *GRID, *ONE_RUN_TASKS[:2], "launcher.batches_per_task=6",
                 spoil) == 1
    text = next((folder / "failed").glob("*.log")).read_text()
    assert "failed during processing with trace" in text
    assert "NotADirectoryError" in text or "FileExistsError" in text


def test_a_missing_partition_stops_before_anything_is_submitted(slurm, tmp_path, capsys):
    folder = tmp_path / "nowhere"
    assert sweep(folder, *GRID, "launcher=slurm", "launcher.partition=gpu") == 2
    partitions = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True,
                                text=True, timeout=30).stdout.split()
    assert capsys.readouterr().err.strip() == (
        "lcsim: error: launcher.partition='gpu' is not allowed: a partition of this "
        f"cluster: {', '.join(sorted(partitions))}")
    assert not folder.exists()


@pytest.mark.parametrize(("override", "message"), [
    ("launcher.cpus_per_task=0", "launcher.cpus_per_task=0 is not allowed: a number from "
     "1 to 1024"),
    ("launcher.logs=batches", "launcher.logs='batches' is not allowed: one folder name"),
    ("launcher=local,slurm", "launcher=local,slurm is not allowed: one value"),
    ("launcher=pbs", "launcher=pbs is not allowed: one of local, slurm"),
])
def test_bad_launcher_settings_stop_with_one_line(tmp_path, capsys, override, message):
    folder = tmp_path / "bad"
    assert main(["run", "-m", *GRID, "launcher=slurm", override,
                 f"hydra.sweep.dir={folder}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"lcsim: error: {message}")
    assert not folder.exists()


def test_launcher_slurm_without_slurm_stops_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    folder = tmp_path / "laptop"
    assert main(["run", "-m", *GRID, "launcher=slurm", f"hydra.sweep.dir={folder}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "lcsim: error: launcher='slurm' is not allowed: a machine with Slurm's commands on "
        "PATH (sbatch, squeue, scancel, srun, sinfo not found); use launcher=local here")
    assert not folder.exists()


def test_launcher_settings_need_a_sweep(capsys):
    assert main(["run", "launcher=slurm"]) == 2
    assert "launcher=slurm is not allowed without -m" in capsys.readouterr().err


def test_a_sensitivity_analysis_on_slurm_gives_the_indices_of_local_workers(slurm, tmp_path):
    analysis = ["sensitivity", "analysis=ishigami", "analysis.n=8", "sweep.batch_size=10"]
    local = tmp_path / "local"
    assert main([*analysis, "n_jobs=1", f"hydra.run.dir={local}"]) == 0
    remote = tmp_path / "slurm"
    assert within(SWEEP_TIMEOUT, lambda: main(
        [*analysis, "launcher=slurm", f"hydra.run.dir={remote}"])) == 0
    # 8 x (3 + 2) = 40 runs in 4 batches, all of them in array tasks.
    runlog = pd.read_parquet(remote / "runs" / "runlog.parquet")
    assert len(runlog) == 40 and os.getpid() not in set(runlog["pid"])
    assert len(arrays(remote / "runs")) >= 1
    for name in ("sample.csv", "outputs.csv", "indices.csv"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
