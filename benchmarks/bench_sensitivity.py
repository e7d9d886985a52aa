"""Time the Ishigami stand-in through the whole sensitivity pipeline.

Runs the command of the issue's speed goal,
``lcsim sensitivity analysis=ishigami analysis.n=8192``, as a fresh process
(Python's start-up and lcsim's imports included, as a user meets them) into a
temporary folder, and reads back from its ``manifest.json`` how the time split
between the model runs and the analysis (indices, convergence, figures,
report), and from its ``indices.csv`` how far S1 and ST lie from the analytic
values. It is the same run as the known-answer test
``test_ishigami_through_the_whole_pipeline_matches_the_analytic_indices``
(which does not time itself). Run it from the repository root::

    .venv/bin/python benchmarks/bench_sensitivity.py            # report, exit 0
    .venv/bin/python benchmarks/bench_sensitivity.py --check    # exit 1 on a missed goal
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from goals import benchmark_parser, conclude, parse_checked

from lcsim.model.ishigami import analytic_indices

#: Goal: seconds for the whole command, at most (issue 5).
GOAL_SECONDS = 120.0
#: Goal: largest distance of S1 and ST from the analytic values, at most (the
#: tolerance of the known-answer test).
GOAL_DEVIATION = 0.02
#: The base size of the goal.
N = 8192
PARAMETERS = ["ishigami.x1", "ishigami.x2", "ishigami.x3"]


@dataclass
class Pipeline:
    """One run of the command: wall-clock seconds and what its files say."""

    seconds: float
    runs_seconds: float
    analysis_seconds: float
    runs: int
    deviation: float


def run_pipeline(n: int) -> Pipeline:
    """Run the command once into a temporary folder and time it."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "ishigami"
        command = [sys.executable, "-m", "lcsim", "sensitivity", "analysis=ishigami",
                   f"analysis.n={n}", f"hydra.run.dir={folder}"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[2:])} failed (status "
                             f"{done.returncode}):\n{done.stderr}")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        indices = pd.read_csv(folder / "indices.csv")
    expected = analytic_indices()
    deviation = 0.0
    for index in ("S1", "ST"):
        got = indices[indices["index"] == index].set_index("parameter")
        values = got.loc[PARAMETERS, "value"].to_numpy()
        deviation = max(deviation, float(np.abs(values - expected[index]).max()))
    timings = manifest["timings_seconds"]
    return Pipeline(seconds, timings["runs"], timings["analysis"], manifest["runs"],
                    deviation)


def goals(pipelines: list[Pipeline]) -> list[tuple[bool, str]]:
    """Each goal: whether it is met, and its report text."""
    seconds = statistics.median(p.seconds for p in pipelines)
    deviation = max(p.deviation for p in pipelines)
    return [
        (seconds <= GOAL_SECONDS,
         f"the command at analysis.n={N} <= {GOAL_SECONDS:.0f} s "
         f"(measured {seconds:.1f} s)"),
        (deviation <= GOAL_DEVIATION,
         f"S1 and ST within {GOAL_DEVIATION} of the analytic values "
         f"(largest distance {deviation:.4f})"),
    ]


def report(pipelines: list[Pipeline], n: int) -> list[str]:
    """The report's lines."""
    def line(label: str, values: Sequence[float]) -> str:
        return (f"  {label:<38} {statistics.median(values):8.1f} s"
                f"   (range {min(values):.1f}-{max(values):.1f})")

    return [
        f"lcsim sensitivity analysis=ishigami analysis.n={n}: "
        f"{pipelines[0].runs} runs, median of {len(pipelines)} repeat(s)",
        "The machine is shared: treat absolute times as ±20 %.",
        "",
        line("whole command (fresh process)", [p.seconds for p in pipelines]),
        line("model runs (manifest: runs)", [p.runs_seconds for p in pipelines]),
        line("analysis (manifest: analysis)", [p.analysis_seconds for p in pipelines]),
        line("start-up, sample, report (the rest)",
             [p.seconds - p.runs_seconds - p.analysis_seconds for p in pipelines]),
        "",
        "Goals",
        *(f"  {'PASS' if met else 'FAIL'}  {text}" for met, text in goals(pipelines)),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, 1, "runs of the command; the median is reported")
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the report and return the exit status."""
    args = parse_args(argv)
    pipelines = [run_pipeline(N) for _ in range(args.repeats)]
    return conclude(report(pipelines, N), goals(pipelines), args.check)


if __name__ == "__main__":
    sys.exit(main())
