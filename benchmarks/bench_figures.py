"""Memory and time of making many figures in one process, as a long batch job does.

Makes ``--figures`` (default 1,000) heatmaps of a sweep-sized table through
:func:`lcsim.plotting.sweep_figures.plot_sweep_heatmap` (two panels, colour
bars, cell labels: the heaviest figure of lcsim) into a temporary folder, and
reads the process's resident set size after the first 100 (matplotlib's
caches warm) and at the end. Run it from the repository root::

    .venv/bin/python benchmarks/bench_figures.py            # report, exit 0
    .venv/bin/python benchmarks/bench_figures.py --check    # exit 1 on a missed goal
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from goals import benchmark_parser, conclude, parse_checked

from lcsim.plotting import plt
from lcsim.plotting.sweep_figures import plot_sweep_heatmap

#: Most the resident set may grow after warm-up, MiB.
GROWTH_GOAL_MIB = 50
WARM_UP = 100


def resident_mib() -> float:
    """Resident set size of this process now, MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sweep_table(seed: int = 1) -> pd.DataFrame:
    """Runs of a 4 x 3 grid with 5 replicates each, as ``sweep.parquet`` holds them."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid([0.05, 0.15, 0.25, 0.35], [0, 5, 10])
    points = pd.DataFrame({"trust.loss": x.ravel(), "facilitation.capacity": y.ravel()})
    table = points.loc[points.index.repeat(5)].reset_index(drop=True)
    table["retention"] = rng.uniform(0.5, 1.0, len(table))
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--figures", type=int, default=1000, help="figures to make")
    args = parse_checked(parser, argv)
    if args.figures <= WARM_UP:
        parser.error(f"--figures must be more than {WARM_UP}, got {args.figures}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    table = sweep_table()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "heatmap.png"
        started = time.perf_counter()
        for i in range(args.figures):
            plot_sweep_heatmap(table, "trust.loss", "facilitation.capacity", "retention", path)
            if i + 1 == WARM_UP:
                warm, warm_time = resident_mib(), time.perf_counter()
        end, seconds = resident_mib(), time.perf_counter() - started
    growth = end - warm
    per_figure = (time.perf_counter() - warm_time) / (args.figures - WARM_UP)
    open_figures = len(plt.get_fignums())
    report = [
        f"{args.figures} heatmaps in {seconds:.1f} s ({1000 * per_figure:.0f} ms each "
        "after warm-up)",
        f"resident set: {warm:.0f} MiB after {WARM_UP}, {end:.0f} MiB at the end "
        f"(growth {growth:+.1f} MiB; goal at most {GROWTH_GOAL_MIB})",
        f"figures left open: {open_figures} (goal 0)",
    ]
    goals = [(growth <= GROWTH_GOAL_MIB, "memory stays flat"),
             (open_figures == 0, "no figure left open")]
    return conclude(report, goals, args.check)


if __name__ == "__main__":
    sys.exit(main())
