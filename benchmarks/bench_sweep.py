"""Time a sweep against a bare loop of the same runs; one worker against two; memory.

The script measures, on the ``tiny`` scenario with 10 design points
(``facilitation.capacity=range(0,10)``) x 100 replications:

* the sweep engine (:func:`lcsim.sweep.plan_sweep` and
  :func:`lcsim.sweep.run_sweep`, one worker) against a bare loop that runs the
  same runs with :func:`lcsim.simulate` and writes the same files with plain
  pandas: per-batch Parquet of rows, time series and run log, then
  ``sweep.parquet``, ``summary.csv`` and ``runlog.parquet``;
* the sweep on two workers of a warm pool (workers started, lcsim imported)
  against one worker: the throughput ratio;
* peak memory (maximum resident set size) of a sweep process at 100 runs
  (10 x 10) and at 2,000 runs (10 x 200), each in a fresh process.

The sweep, the bare loop and the two-worker sweep alternate within each
repeat so that load on the shared machine falls on all alike; medians are
reported. Run it from the repository root::

    .venv/bin/python benchmarks/bench_sweep.py            # report, exit 0
    .venv/bin/python benchmarks/bench_sweep.py --check    # exit 1 on a missed goal
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from goals import benchmark_parser, conclude, parse_checked

from lcsim import compose_config, simulate
from lcsim.config.validate import validate
from lcsim.experiment.store import interval_table
from lcsim.model.outcomes import ALL, OUTCOMES
from lcsim.sweep import plan_sweep, run_sweep

SCENARIO = "tiny"
POINTS = 10
REPLICATIONS = 100
#: Runs per batch of the bare loop: what the engine picks for 1,000 runs.
BARE_BATCH = 100
#: Replications per point of the two memory measurements.
MEMORY_REPLICATIONS = (10, 200)

#: Goal: the sweep's time over the bare loop's, at most 1 + this.
GOAL_OVERHEAD = 0.05
#: Goal: throughput of two warm workers over one, at least.
GOAL_SPEEDUP = 1.6
#: Goal: peak memory at 2,000 runs over that at 100 runs, at most 1 + this.
GOAL_MEMORY = 0.10


def sweep_overrides(replications: int, n_jobs: int, folder: Path) -> list[str]:
    """The overrides of ``lcsim run -m`` for the benchmark's sweep."""
    return [f"scenario={SCENARIO}", f"facilitation.capacity=range(0,{POINTS})",
            f"replications={replications}", f"n_jobs={n_jobs}",
            f"hydra.sweep.dir={folder}"]


def time_sweep(replications: int, n_jobs: int) -> float:
    """Seconds for planning and running the sweep into a new folder."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        plan = plan_sweep(sweep_overrides(replications, n_jobs, Path(folder) / "sweep"))
        outcome = run_sweep(plan, progress=False)
        seconds = time.perf_counter() - started
    if not outcome.complete:
        raise SystemExit(f"bench_sweep: {len(outcome.failed)} run(s) of the sweep failed")
    return seconds


def time_bare_loop(replications: int) -> float:
    """Seconds for the same runs in a plain loop that writes the same files."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = Path(tmp)
        (folder / "batches").mkdir()
        base = validate(compose_config([f"scenario={SCENARIO}"]))
        configs = []
        for capacity in range(POINTS):
            config = copy.deepcopy(base)
            config.facilitation.capacity = capacity
            configs.append(config)
        runs = [(p, r) for p in range(POINTS) for r in range(replications)]
        host, pid = socket.gethostname(), os.getpid()
        rows, runlog = [], []
        for start in range(0, len(runs), BARE_BATCH):
            batch_rows, series, batch_log = [], [], []
            for point, replicate in runs[start:start + BARE_BATCH]:
                clock = time.perf_counter()
                config = configs[point]
                seed = np.random.SeedSequence(config.seed, spawn_key=(replicate,))
                timeseries = simulate(config, seed, replicate=replicate).timeseries
                final = timeseries[(timeseries["community"] == ALL)
                                   & (timeseries["step"] == timeseries["step"].max())]
                batch_rows.append({"point": point, "replicate": replicate,
                                   "facilitation.capacity": point,
                                   **{name: final[name].item() for name in OUTCOMES}})
                timeseries.insert(0, "point", point)
                series.append(timeseries)
                batch_log.append({"point": point, "replicate": replicate,
                                  "seconds": time.perf_counter() - clock, "host": host,
                                  "pid": pid})
            name = folder / "batches" / f"{start // BARE_BATCH}"
            pd.concat(series, ignore_index=True).to_parquet(f"{name}.timeseries.parquet")
            pd.DataFrame(batch_log).to_parquet(f"{name}.runlog.parquet")
            pd.DataFrame(batch_rows).to_parquet(f"{name}.runs.parquet")
            rows += batch_rows
            runlog += batch_log
        table = pd.DataFrame(rows)
        table.to_parquet(folder / "sweep.parquet", index=False)
        long = table.melt(id_vars=["point"], value_vars=list(OUTCOMES), var_name="outcome")
        interval_table(long, ["point", "outcome"]).to_csv(folder / "summary.csv", index=False)
        pd.DataFrame(runlog).to_parquet(folder / "runlog.parquet", index=False)
        return time.perf_counter() - started


def warm_pool(n_jobs: int) -> None:
    """Start the workers and import lcsim in them with a small untimed sweep."""
    with tempfile.TemporaryDirectory() as folder:
        run_sweep(plan_sweep(sweep_overrides(2, n_jobs, Path(folder) / "warm")),
                  progress=False)


def peak_memory(replications: int) -> float:
    """Peak resident memory (MB) of a fresh process running the sweep on one worker."""
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(replications)],
                          capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak_mb"]


def memory_child(replications: int) -> None:
    """Run the sweep on one worker and print, as JSON, the peak resident memory
    while it runs, sampled every 20 ms, and the process's peak over its life.

    Sampling starts after a small untimed sweep, so the one-off peak of
    imports and compiling does not hide memory that grows with the runs.
    """
    time_sweep(2, n_jobs=1)
    page = os.sysconf("SC_PAGE_SIZE")
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with open("/proc/self/statm", encoding="ascii") as statm:
                peak[0] = max(peak[0], int(statm.read().split()[1]) * page)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time_sweep(replications, n_jobs=1)
    done.set()
    sampler.join()
    lifetime_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    print(json.dumps({"peak_mb": peak[0] / 2**20, "lifetime_peak_mb": lifetime_kb / 1024}))


# --------------------------------------------------------------------- report


@dataclass
class Measurements:
    """Everything measured in one benchmark run (seconds, one entry per repeat)."""

    sweep: list[float]
    bare: list[float]
    two_workers: list[float]
    memory_mb: dict[int, float]
    load: tuple[float, float]

    @property
    def runs(self) -> int:
        return POINTS * REPLICATIONS

    @property
    def overhead(self) -> float:
        return statistics.median(self.sweep) / statistics.median(self.bare) - 1

    @property
    def speedup(self) -> float:
        return statistics.median(self.sweep) / statistics.median(self.two_workers)

    @property
    def memory_growth(self) -> float:
        small, large = (self.memory_mb[r] for r in MEMORY_REPLICATIONS)
        return large / small - 1

    def goals(self) -> list[tuple[bool, str]]:
        """Each goal: whether it is met, and its report text."""
        small, large = (POINTS * r for r in MEMORY_REPLICATIONS)
        return [
            (self.overhead <= GOAL_OVERHEAD,
             f"sweep costs at most {GOAL_OVERHEAD:.0%} more than a bare loop "
             f"(measured {self.overhead:+.1%})"),
            (self.speedup >= GOAL_SPEEDUP,
             f"two warm workers give at least {GOAL_SPEEDUP}x the throughput of one "
             f"(measured {self.speedup:.2f}x)"),
            (self.memory_growth <= GOAL_MEMORY,
             f"peak memory at {large:,} runs within {GOAL_MEMORY:.0%} of {small} runs "
             f"(measured {self.memory_growth:+.1%})"),
        ]


def measure(repeats: int) -> Measurements:
    """Alternate the sweep, the bare loop and the two-worker sweep, then measure memory."""
    load = os.getloadavg()[0]
    time_bare_loop(2)  # untimed warm-up: imports, first composition
    warm_pool(2)
    sweep, bare, two = [], [], []
    for _ in range(repeats):
        sweep.append(time_sweep(REPLICATIONS, n_jobs=1))
        bare.append(time_bare_loop(REPLICATIONS))
        two.append(time_sweep(REPLICATIONS, n_jobs=2))
    memory = {r: peak_memory(r) for r in MEMORY_REPLICATIONS}
    return Measurements(sweep, bare, two, memory, (load, os.getloadavg()[0]))


def seconds_line(label: str, values: Sequence[float]) -> str:
    """A report line: median seconds, with the range over repeats."""
    return (f"  {label:<38} {statistics.median(values):8.2f} s"
            f"   (range {min(values):.2f}-{max(values):.2f})")


def report(m: Measurements) -> list[str]:
    """The report's lines."""
    lines = [
        f"lcsim sweep benchmark: scenario {SCENARIO}, {POINTS} points x {REPLICATIONS} "
        f"replications = {m.runs} runs, median of {len(m.sweep)} repeats",
        f"The machine is shared ({os.cpu_count()} cores here): treat absolute times as "
        "±20 %; the ratios are measured in one run.",
        f"Load average (1 min) before and after: {m.load[0]:.1f}, {m.load[1]:.1f}; with "
        "other jobs on the cores, two workers cannot show their speed-up.",
        "",
        "Time for all runs",
        seconds_line("sweep, 1 worker", m.sweep),
        seconds_line("bare loop writing the same files", m.bare),
        seconds_line("sweep, 2 warm workers", m.two_workers),
        f"  {'throughput, 1 / 2 workers':<38} {m.runs / statistics.median(m.sweep):8.1f}"
        f" / {m.runs / statistics.median(m.two_workers):.1f} runs/s",
        "",
        "Peak memory of a sweep process (1 worker) while the runs run",
    ]
    lines += [f"  {f'{POINTS * r:,} runs':<38} {m.memory_mb[r]:8.1f} MB"
              for r in MEMORY_REPLICATIONS]
    lines += ["", "Goals"]
    lines += [f"  {'PASS' if met else 'FAIL'}  {text}" for met, text in m.goals()]
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, 3, "measurements of each timing; the median is reported")
    parser.add_argument("--memory-child", type=int, metavar="REPLICATIONS",
                        help=argparse.SUPPRESS)
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the report and return the exit status."""
    args = parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    logging.getLogger("lcsim").setLevel(logging.ERROR)
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return 0
    measurements = measure(args.repeats)
    return conclude(report(measurements), measurements.goals(), args.check)


if __name__ == "__main__":
    sys.exit(main())
