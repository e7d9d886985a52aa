"""Running a sweep's batches as Slurm job arrays, through submitit.

``lcsim run -m launcher=slurm ...`` plans, checks and cuts the runs into
batches exactly as on local workers; :class:`SlurmLauncher` then submits them
as job arrays, several batches per array task (``launcher.batches_per_task``)
so that a task's start-up (Python, Mesa, about 1 s) is spread over many runs.
Each task runs its batches with :func:`lcsim.sweep.executor.run_batch` on
``launcher.cpus_per_task`` local workers and writes their files into the sweep
directory, which must be on a file system that the nodes share.

The submitting command waits. It learns that a batch has finished when the
batch's rows file appears (the same mark a resume reads), and that a task has
ended from its submitit result or from ``squeue``: a task that ends without
writing all its batches (cancelled, out of time or memory, node failure, a
crash before any run) has the runs of those batches recorded as failed, with
the task's state and log paths in ``failed/RUN_ID.log``. So a dead job never
leaves the command waiting, and ``sacct`` (absent without Slurm accounting) is
never needed. Interrupting the command cancels the jobs it submitted.

Slurm's own files go to ``SWEEP_DIR/<launcher.logs>/attempt-N/``: the batch
scripts, each task's standard output and error, and ``jobs.json``, the ids of
the job arrays of that attempt. A later command on the same sweep directory
refuses to start while any of them is still pending or running.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lcsim.config.schema import LauncherConfig
from lcsim.errors import ConfigError, LcsimError
from lcsim.files import write_text
from lcsim.sweep.executor import Batch, BatchReport, execute, failure_text
from lcsim.sweep.store import BATCHES, ROWS_SUFFIX, write_failure

log = logging.getLogger(__name__)

#: Slurm's states of a job that has ended.
ENDED = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY",
                   "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED",
                   "SPECIAL_EXIT"})
#: Seconds a task that Slurm reports as ended may take to show its files on a
#: shared file system before its unwritten batches count as failed.
GRACE_SECONDS = 15.0
#: Seconds without an answer from ``squeue`` before the command gives up.
SILENCE_SECONDS = 600.0
#: Longest pause between two looks at the sweep directory and the queue.
MAX_POLL_SECONDS = 10.0
#: Commands the launcher needs on PATH.
COMMANDS = ("sbatch", "squeue", "scancel", "srun", "sinfo")


class SlurmError(LcsimError):
    """Slurm refused the sweep's jobs or stopped answering."""


def run_array_task(batches: list[Batch], folder: Path, n_workers: int) -> list[BatchReport]:
    """One array task: run its batches on ``n_workers`` local workers, write their files."""
    reports: list[BatchReport] = []
    execute(batches, folder, n_workers, reports.append)
    return reports


class SlurmLauncher:
    """Batches as Slurm job arrays, submitted through submitit; see the module doc.

    Args:
        settings: The ``launcher`` section of the config (``launcher=slurm``).
    """

    def __init__(self, settings: LauncherConfig) -> None:
        self.settings = settings
        self.slots = settings.array_parallelism * settings.cpus_per_task

    def check(self, folder: Path) -> None:
        """Refuse to start without Slurm's commands, an answer, or a known partition.

        Raises:
            ConfigError: Naming the missing commands or the partitions there are.
            SlurmError: If ``sinfo`` fails (e.g. the controller does not answer).
        """
        missing = [c for c in COMMANDS if shutil.which(c) is None]
        if missing:
            raise ConfigError("launcher", "slurm", "a machine with Slurm's commands on PATH "
                              f"({', '.join(missing)} not found); use launcher=local here")
        known = _slurm(["sinfo", "-h", "-o", "%R"]).split()
        partition = self.settings.partition
        if partition:
            if partition not in known:
                raise ConfigError("launcher.partition", partition,
                                  "a partition of this cluster: " + ", ".join(sorted(known)))

    def describe(self) -> str:
        s = self.settings
        return (f"Slurm job arrays ({s.batches_per_task} batch(es) per task, up to "
                f"{s.array_parallelism} task(s) at once, {s.cpus_per_task} core(s) each)")

    def run(self, batches: list[Batch], folder: Path,
            on_report: Callable[[BatchReport], None]) -> None:
        """Submit the batches as job arrays and wait until every batch is written or failed."""
        if not batches:
            return
        folder = folder.absolute()
        logs = attempt_folder(folder / self.settings.logs)
        per_task = self.settings.batches_per_task
        groups = [batches[i:i + per_task] for i in range(0, len(batches), per_task)]
        tasks = self._submit(groups, folder, logs)
        try:
            self._wait(tasks, folder, on_report)
        except BaseException:
            cancel(sorted({task.array for task in tasks}))
            raise

    def _submit(self, groups: list[list[Batch]], folder: Path, logs: Path) -> list[_Task]:
        """Submit one job array per ``max_array_size`` groups; the tasks, in order."""
        import submitit

        s = self.settings
        executor = submitit.SlurmExecutor(folder=logs)
        executor.update_parameters(
            job_name="lcsim-sweep", time=s.time_min, cpus_per_task=s.cpus_per_task,
            mem=f"{s.mem_gb:g}GB" if s.mem_gb else None, partition=s.partition or None,
            account=s.account or None, qos=s.qos or None, setup=list(s.setup) or None,
            array_parallelism=s.array_parallelism,
        )
        tasks: list[_Task] = []
        arrays: list[str] = []
        try:
            for start in range(0, len(groups), s.max_array_size):
                chunk = groups[start:start + s.max_array_size]
                jobs = executor.map_array(run_array_task, chunk, [folder] * len(chunk),
                                          [s.cpus_per_task] * len(chunk))
                arrays.append(jobs[0].job_id.split("_")[0])
                tasks += [_Task(job, group) for job, group in zip(jobs, chunk, strict=True)]
                write_text(logs / "jobs.json", json.dumps({"arrays": arrays}) + "\n")
        except BaseException as error:  # noqa: BLE001 - sbatch's refusal becomes one line
            cancel(arrays)
            if not isinstance(error, Exception):
                raise
            reason = str(getattr(error, "stderr", "") or error).strip().splitlines()
            raise SlurmError("Slurm refused the sweep's job array: "
                             f"{reason[-1] if reason else type(error).__name__}") from error
        log.info("submitted %d array task(s) in Slurm job array(s) %s; Slurm's logs in %s",
                 len(tasks), ", ".join(arrays), logs)
        return tasks

    def _wait(self, tasks: list[_Task], folder: Path,
              on_report: Callable[[BatchReport], None]) -> None:
        """Report batches as their files appear; fail the rest of tasks that have ended."""
        arrays = sorted({task.array for task in tasks})
        waiting = list(tasks)
        answered = time.monotonic()
        pause = 0.25
        while waiting:
            progress = False
            for task in waiting:
                progress |= task.report_written(folder, on_report)
            try:
                states = job_states(arrays)
                answered = time.monotonic()
            except SlurmError as error:
                states = None
                if time.monotonic() - answered > SILENCE_SECONDS:
                    raise SlurmError(f"squeue has not answered for {SILENCE_SECONDS:.0f} s "
                                     f"({error}); the sweep stops here") from error
            for task in waiting:
                if task.ended(states):
                    task.report_written(folder, on_report)
                    task.fail_unwritten(folder, on_report)
                    progress = True
            waiting = [task for task in waiting if task.batches]
            pause = 0.25 if progress else min(MAX_POLL_SECONDS, pause * 1.5)
            if waiting:
                time.sleep(pause)


class _Task:
    """One array task of a submitted job array and the batches it has not reported."""

    def __init__(self, job: Any, batches: list[Batch]) -> None:
        self.job = job
        self.array = str(job.job_id).split("_")[0]
        self.batches = list(batches)
        self.seen_ending: float | None = None

    def report_written(self, folder: Path, on_report: Callable[[BatchReport], None]) -> bool:
        """Report the batches whose rows file has appeared; whether there were any."""
        written = [b for b in self.batches
                   if (folder / BATCHES / f"{b.name}{ROWS_SUFFIX}").is_file()]
        for batch in written:
            on_report(written_report(folder, batch))
            self.batches.remove(batch)
        return bool(written)

    def ended(self, states: dict[str, str] | None) -> bool:
        """Whether the task has ended: its result is there, or Slurm says so for a while.

        A task that Slurm reports as ended, or no longer knows, counts as ended
        only after :data:`GRACE_SECONDS`, so that files it wrote last can show.
        """
        if self.job.paths.result_pickle.exists():
            return True
        if states is None:
            return False
        state = states.get(str(self.job.job_id))
        if state is not None and state not in ENDED:
            self.seen_ending = None
            return False
        if self.seen_ending is None:
            self.seen_ending = time.monotonic()
        return time.monotonic() - self.seen_ending >= GRACE_SECONDS

    def fail_unwritten(self, folder: Path, on_report: Callable[[BatchReport], None]) -> None:
        """Record every run of the batches the ended task did not write as failed."""
        if not self.batches:
            return
        reason = self.ending()
        for batch in self.batches:
            for run in batch.runs:
                write_failure(folder, run.run_id, failure_text(batch, run, reason))
            on_report(BatchReport(batch.name, 0, tuple(r.run_id for r in batch.runs), 0.0))
        log.warning("Slurm array task %s ended without writing %d batch(es) (%d run(s)); "
                    "its log: %s", self.job.job_id, len(self.batches),
                    sum(len(b.runs) for b in self.batches), self.job.paths.stderr)
        self.batches = []

    def ending(self) -> str:
        """How the task ended, for the failed runs' logs."""
        paths = self.job.paths
        head = (f"Slurm array task {self.job.job_id} ended before writing this run's batch.\n"
                f"Its output: {paths.stdout}\nIts errors: {paths.stderr}\n")
        if paths.result_pickle.exists():
            try:
                self.job.result()
            except Exception as error:  # noqa: BLE001 - the task's own error, kept as text
                return f"{head}\n{error}\n"
            return (f"{head}\nThe task ended normally without writing the batch: is the "
                    "sweep directory on a file system that the nodes share?\n")
        try:
            state = job_states([self.array]).get(str(self.job.job_id), "no longer known")
        except SlurmError:
            state = "unknown (squeue did not answer)"
        tail = _tail(paths.stderr)
        return f"{head}Slurm state: {state}\n" + (f"\nLast lines of its errors:\n{tail}\n"
                                                   if tail else "")


def written_report(folder: Path, batch: Batch) -> BatchReport:
    """The report of a batch read back from its rows file: done and failed runs."""
    import pandas as pd

    rows = pd.read_parquet(folder / BATCHES / f"{batch.name}{ROWS_SUFFIX}",
                           columns=["point", "replicate"])
    done = set(zip(rows["point"].tolist(), rows["replicate"].tolist(), strict=True))
    failed = tuple(r.run_id for r in batch.runs if (r.point, r.replicate) not in done)
    return BatchReport(batch.name, len(batch.runs) - len(failed), failed, 0.0)


def job_states(arrays: list[str]) -> dict[str, str]:
    """The state of every task of the given job arrays that Slurm still knows.

    Keys are task ids such as ``"123_4"``; a task missing from the result has
    left Slurm's memory (``MinJobAge``), so it has ended.

    Raises:
        SlurmError: If ``squeue`` fails for another reason than an unknown job.
    """
    states: dict[str, str] = {}
    for array in arrays:
        try:
            text = _slurm(["squeue", "-h", "-r", "-t", "all", "-j", array, "-o", "%i %T"])
        except SlurmError as error:
            if "Invalid job id" in str(error):
                continue
            raise
        for line in text.splitlines():
            task, _, state = line.strip().partition(" ")
            states[task] = state.split()[0] if state else "UNKNOWN"
    return states


def refuse_running_jobs(folder: Path) -> None:
    """Refuse to run a sweep while job arrays of an earlier attempt on it still run.

    Their tasks would write into the folder that the new attempt tidies and
    fills. Whatever the launcher; where ``squeue`` is missing or fails, a
    warning says that this could not be checked.

    Raises:
        SlurmError: Naming the job arrays to wait for or cancel.
    """
    arrays = earlier_jobs(folder)
    if not arrays:
        return
    try:
        states = job_states(arrays)
    except SlurmError as error:
        log.warning("could not ask Slurm whether job(s) %s of an earlier attempt on this "
                    "sweep still run (%s); make sure they have ended", " ".join(arrays), error)
        return
    running = sorted({task.split("_")[0] for task, state in states.items()
                      if state not in ENDED}, key=int)
    if running:
        raise SlurmError(f"hydra.sweep.dir={folder} has Slurm job(s) of an earlier attempt "
                         f"still pending or running ({', '.join(running)}); wait for them "
                         f"or scancel {' '.join(running)}, then run the same command again")


def earlier_jobs(folder: Path) -> list[str]:
    """The job arrays that earlier attempts submitted for the sweep in ``folder``."""
    arrays: list[str] = []
    for record in sorted(folder.glob("*/attempt-*/jobs.json")):
        try:
            arrays += json.loads(record.read_text(encoding="utf-8"))["arrays"]
        except (OSError, ValueError, KeyError):
            continue
    return arrays


def attempt_folder(logs: Path) -> Path:
    """A new ``attempt-N`` folder under ``logs`` for one submitting command."""
    logs.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name.split("-", 1)[1]) for p in logs.glob("attempt-*")
               if p.name.split("-", 1)[1].isdigit()]
    folder = logs / f"attempt-{max(numbers, default=0) + 1}"
    folder.mkdir()
    return folder


def cancel(arrays: list[str]) -> None:
    """Cancel job arrays (best effort), saying so."""
    if not arrays:
        return
    try:
        _slurm(["scancel", *arrays])
    except (SlurmError, OSError) as error:
        log.warning("could not cancel Slurm job(s) %s: %s", " ".join(arrays), error)
        return
    log.warning("cancelled Slurm job(s) %s", " ".join(arrays))


def _slurm(command: list[str]) -> str:
    """Run a Slurm command with a time limit; its output, or SlurmError with its error."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SlurmError(f"{command[0]} failed: {error}") from error
    if done.returncode:
        message = " ".join((done.stderr or done.stdout).split())
        raise SlurmError(f"{command[0]} failed: {message or f'exit {done.returncode}'}")
    return done.stdout


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
