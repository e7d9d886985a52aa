"""Running a sweep's runs in batches, on a local pool of worker processes.

The runs that are not done yet are cut into batches of many runs; a worker
runs a whole batch and writes its files (:func:`lcsim.sweep.store.write_batch`)
before it reports back, so results reach the disk as batches end and the
parent holds only counts. :func:`run_batch` is the unit of work any launcher
calls: :class:`LocalLauncher` here (a joblib pool), and the Slurm array tasks
of :class:`lcsim.sweep.slurm.SlurmLauncher`.

A run that raises is recorded (``failed/RUN_ID.log`` with its overrides and
traceback) and the batch goes on. Results do not depend on the number of
workers or on the batches: every run has its own seed, and the final table is
ordered by point and replicate.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from lcsim.config.schema import LcsimConfig
from lcsim.experiment.runner import final_outcomes
from lcsim.sweep.plan import Plan, Run
from lcsim.sweep.store import write_batch, write_failure

log = logging.getLogger(__name__)

#: Most runs in one automatic batch.
MAX_BATCH = 100


@dataclass(frozen=True)
class Batch:
    """Runs handed to one worker at once, with what they need to run.

    Attributes:
        name: Hash of the batch's runs; names its files.
        runs: The runs, in plan order.
        configs: The config of each point in the batch.
        values: The swept values of each point in the batch.
        overrides: The overrides that make each point, for failure logs.
    """

    name: str
    runs: tuple[Run, ...]
    configs: dict[int, LcsimConfig]
    values: dict[int, dict[str, Any]]
    overrides: dict[int, list[str]]


@dataclass(frozen=True)
class BatchReport:
    """What a worker reports of a batch it has written."""

    name: str
    done: int
    failed: tuple[str, ...]
    seconds: float


def workers(n_jobs: int) -> int:
    """Worker processes for ``n_jobs`` (-1: all cores)."""
    return max(1, effective_n_jobs(n_jobs))


def batch_size(runs: int, n_workers: int, requested: int = 0) -> int:
    """Runs per batch: as requested, or about four batches per worker (at most 100)."""
    if requested:
        return requested
    return max(1, min(MAX_BATCH, math.ceil(runs / (4 * n_workers))))


def make_batches(plan: Plan, runs: list[Run], size: int) -> list[Batch]:
    """Cut runs into batches of ``size``, in plan order."""
    batches = []
    for start in range(0, len(runs), size):
        chunk = tuple(runs[start:start + size])
        text = "|".join(f"{r.point}:{r.replicate}:{r.run_id}" for r in chunk)
        points = sorted({r.point for r in chunk})
        batches.append(Batch(
            name=hashlib.sha256(text.encode()).hexdigest()[:16],
            runs=chunk,
            configs={p: plan.configs[p] for p in points},
            values={p: plan.point_values(p) for p in points},
            overrides={p: plan.design.overrides[p] for p in points},
        ))
    return batches


def run_batch(batch: Batch, folder: Path) -> BatchReport:
    """Run every run of a batch, write the batch's files, report the counts."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    series = []
    runlog: list[dict[str, Any]] = []
    failed: list[str] = []
    host, pid = socket.gethostname(), os.getpid()
    for run in batch.runs:
        config = batch.configs[run.point]
        began, clock = time.time(), time.perf_counter()
        try:
            seed = np.random.SeedSequence(config.seed, spawn_key=run.spawn_key)
            outcomes, timeseries = final_outcomes(config, seed, replicate=run.replicate)
        except Exception:  # noqa: BLE001 - a failing run is recorded, the rest go on
            failed.append(run.run_id)
            write_failure(folder, run.run_id, failure_text(batch, run, traceback.format_exc()))
            status = "failed"
        else:
            status = "done"
            rows.append({"run_id": run.run_id, "point": run.point, "replicate": run.replicate,
                         "replicate_seed": run.replicate_seed, **batch.values[run.point],
                         **outcomes})
            if timeseries is not None:
                timeseries.insert(0, "point", run.point)
                timeseries.insert(0, "run_id", run.run_id)
                series.append(timeseries)
        runlog.append({"run_id": run.run_id, "point": run.point, "replicate": run.replicate,
                       "status": status, "seconds": time.perf_counter() - clock,
                       "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(began)),
                       "host": host, "pid": pid, "batch": batch.name})
    write_batch(folder, batch.name, rows, series, runlog)
    return BatchReport(batch.name, len(rows), tuple(failed), time.perf_counter() - started)


def failure_text(batch: Batch, run: Run, trace: str) -> str:
    """The log of a failed run: its id, point, seed, overrides, then ``trace``."""
    overrides = " ".join(batch.overrides[run.point]) or "(none: the base config)"
    return (f"run_id: {run.run_id}\npoint: {run.point}\nreplicate: {run.replicate}\n"
            f"spawn_key: {list(run.spawn_key)}\noverrides: {overrides}\n\n{trace}")


def execute(batches: list[Batch], folder: Path, n_workers: int,
            on_report: Callable[[BatchReport], None]) -> None:
    """Run the batches, serially (one worker) or on a joblib pool kept for all."""
    reports: Iterator[BatchReport]
    if n_workers == 1:
        reports = (run_batch(batch, folder) for batch in batches)
    else:
        reports = Parallel(n_jobs=n_workers, return_as="generator_unordered")(
            delayed(run_batch)(batch, folder) for batch in batches)
    for report in reports:
        on_report(report)


class Launcher(Protocol):
    """Where a sweep's batches run; :func:`lcsim.sweep.engine.run_sweep` drives it.

    Attributes:
        slots: Batches that run at once, for the automatic batch size and the
            time estimate.
    """

    slots: int

    def check(self, folder: Path) -> None:
        """Refuse to start (a :class:`~lcsim.errors.LcsimError`) before anything runs."""

    def describe(self) -> str:
        """Where the batches will run, for the log: "2 local worker(s)"."""

    def run(self, batches: list[Batch], folder: Path,
            on_report: Callable[[BatchReport], None]) -> None:
        """Run every batch, calling ``on_report`` as each one is written or failed."""


class LocalLauncher:
    """Batches on this machine: serially, or on a joblib pool of ``n_workers``."""

    def __init__(self, n_workers: int) -> None:
        self.slots = n_workers

    def check(self, folder: Path) -> None:
        """Nothing can stop local workers from starting."""

    def describe(self) -> str:
        return f"{self.slots} local worker(s)"

    def run(self, batches: list[Batch], folder: Path,
            on_report: Callable[[BatchReport], None]) -> None:
        execute(batches, folder, self.slots, on_report)


def calibrate(plan: Plan, run: Run) -> float:
    """Seconds one run takes: the fastest of two runs of ``run``'s point."""
    config = plan.configs[run.point]
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        final_outcomes(config, np.random.SeedSequence(config.seed, spawn_key=run.spawn_key),
                       replicate=run.replicate)
        seconds.append(time.perf_counter() - started)
    return min(seconds)
