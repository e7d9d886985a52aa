"""Running a planned sweep to the end, resuming whatever an earlier attempt left.

:func:`run_sweep` opens (or resumes) the sweep directory, times one run to
estimate the whole, runs the missing runs in batches through the config's
launcher (local workers, or Slurm job arrays: :mod:`lcsim.sweep.slurm`) with a
progress bar and ``status.json``, and writes the final tables, the same
whatever the launcher.
:func:`multirun` is ``lcsim run -m``: plan, check, run, and say how it went.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcsim.console import command_log, resume_with
from lcsim.console import error as _error
from lcsim.errors import LcsimError
from lcsim.sweep import adaptive
from lcsim.sweep.executor import (
    BatchReport,
    Launcher,
    LocalLauncher,
    batch_size,
    calibrate,
    make_batches,
    workers,
)
from lcsim.sweep.plan import Plan, plan_sweep
from lcsim.sweep.store import (
    FAILED,
    SUMMARY,
    TABLE,
    SweepChangedError,
    collect,
    finish,
    finished_runs,
    open_folder,
    wide_intervals,
    write_status,
)

log = logging.getLogger(__name__)


@dataclass
class SweepOutcome:
    """How a sweep ended.

    Attributes:
        folder: The sweep directory.
        runs: Runs in the plan.
        done: Runs finished, in this attempt and earlier ones.
        ran: Runs attempted in this attempt.
        failed: Ids of the runs that failed in this attempt.
        precision: Per point and key outcome, the precision an adaptive sweep
            reached (``precision.csv``); None for a fixed sweep.
    """

    folder: Path
    runs: int
    done: int
    ran: int
    failed: list[str]
    precision: pd.DataFrame | None = None

    @property
    def complete(self) -> bool:
        return self.done == self.runs


def run_sweep(plan: Plan, *, n_jobs: int | None = None, progress: bool = True,
              command: list[str] | None = None) -> SweepOutcome:
    """Run the runs of ``plan`` that are not done yet, and write the sweep's tables.

    With ``sweep.adaptive.target`` set, rounds of further replications follow
    (:mod:`lcsim.sweep.adaptive`) and ``plan.runs`` grows with them.

    Args:
        plan: A checked plan (:func:`lcsim.sweep.plan.plan_sweep`).
        n_jobs: Worker processes of the local launcher (default: the config's
            ``n_jobs``; -1: all cores).
        progress: Show a progress bar on a terminal.
        command: The command line, for the manifest.

    Raises:
        SweepChangedError: If ``plan.folder`` holds a different sweep.
        LcsimError: If the launcher cannot start (before anything runs), or
            Slurm refuses the jobs or stops answering.
    """
    started = time.perf_counter()
    folder = plan.folder
    launcher = choose_launcher(plan, n_jobs)
    check_launch(plan, launcher)
    finished = open_folder(plan)
    replications = sorted(set(plan.replications()))
    log.info("sweep of %d point(s) x %s replication(s) = %d runs into %s",
             len(plan.design), "/".join(map(str, replications)), len(plan.runs), folder)
    if plan.sweep.adaptive.target:
        log.info("adaptive: more replications until every key outcome's 95 %% CI is "
                 "within %s, up to %d per point%s", adaptive.target_text(plan.sweep.adaptive),
                 plan.sweep.adaptive.max_replications,
                 f" and {plan.sweep.adaptive.max_runs} in all"
                 if plan.sweep.adaptive.max_runs else "")
    earlier = sum((r.point, r.replicate) in finished for r in plan.runs)
    if earlier:
        log.info("resuming: %d run(s) done earlier, %d to run", earlier,
                 len(plan.runs) - earlier)
    ran, failed = run_missing(plan, finished, launcher, progress=progress)

    precision = None
    if plan.sweep.adaptive.target and not failed:
        def next_round() -> list[str]:
            nonlocal ran
            more, round_failed = run_missing(plan, finished_runs(folder), launcher,
                                             progress=progress, estimate=False)
            ran += more
            failed.extend(round_failed)
            return round_failed

        precision = adaptive.replicate_until_precise(plan, next_round)
        if precision is not None:
            adaptive.write_precision(folder, precision)

    table = collect(plan)
    complete = len(table) == len(plan.runs)
    summary = finish(plan, table, complete=complete,
                     command=command or ["lcsim", "run", "-m"],
                     timings={"sweep": time.perf_counter() - started},
                     **_adaptive_files(plan, precision))
    write_status(folder, state="complete" if complete else "failed", runs=len(plan.runs),
                 done=len(table), failed=len(failed),
                 remaining=len(plan.runs) - len(table) - len(failed),
                 elapsed_seconds=round(time.perf_counter() - started, 3), eta_seconds=0)
    report_precision(plan, summary)
    if precision is not None:
        adaptive.report(plan, precision)
    return SweepOutcome(folder, len(plan.runs), len(table), ran, failed, precision)


def run_missing(plan: Plan, finished: set[tuple[int, int]], launcher: Launcher, *,
                progress: bool = True, estimate: bool = True) -> tuple[int, list[str]]:
    """Run the planned runs not in ``finished``, in batches, with progress and status.

    Args:
        plan: The plan whose runs to run.
        finished: ``(point, replicate)`` of the runs done already.
        launcher: Local workers or Slurm job arrays (:func:`choose_launcher`).
        progress: Show a progress bar on a terminal.
        estimate: Time one run first and log an estimate of the whole.

    Returns:
        How many runs were attempted, and the ids of those that failed.
    """
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    folder = plan.folder
    missing = [r for r in plan.runs if (r.point, r.replicate) not in finished]
    done_before = len(plan.runs) - len(missing)
    size = batch_size(len(missing), launcher.slots, plan.sweep.batch_size)
    batches = make_batches(plan, missing, size)
    if missing and estimate:
        one = calibrate(plan, missing[0])
        log.info("%d run(s) in %d batch(es) of up to %d on %s; one run takes "
                 "about %.2f s, so about %s of model time (plus the workers' start-up)",
                 len(missing), len(batches), size, launcher.describe(), one,
                 _duration(one * len(missing) / min(launcher.slots, len(batches))))

    counts = {"done": done_before, "failed": 0}
    failed: list[str] = []
    clock = time.perf_counter()

    def status(state: str) -> None:
        ran = counts["done"] - done_before + counts["failed"]
        left = len(missing) - ran
        elapsed = time.perf_counter() - clock
        eta = elapsed / ran * left if ran else None
        write_status(folder, state=state, runs=len(plan.runs), done=counts["done"],
                     failed=counts["failed"], remaining=left,
                     elapsed_seconds=round(elapsed, 3),
                     eta_seconds=None if eta is None else round(eta, 1))

    bar = tqdm(total=len(plan.runs), initial=done_before, unit="run", desc="sweep",
               disable=None if progress else True, file=sys.stderr)

    def on_report(report: BatchReport) -> None:
        counts["done"] += report.done
        counts["failed"] += len(report.failed)
        failed.extend(report.failed)
        bar.update(report.done + len(report.failed))
        bar.set_postfix(done=counts["done"], failed=counts["failed"])
        status("running")

    status("running")
    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger("lcsim")]):
            launcher.run(batches, folder, on_report)
    except BaseException:
        status("interrupted")
        raise
    finally:
        bar.close()
    return len(missing), failed


def _adaptive_files(plan: Plan, precision: pd.DataFrame | None) -> dict[str, Any]:
    """The extra files and manifest entries of an adaptive sweep, for :func:`finish`."""
    if precision is None:
        return {}
    settings = dataclasses.asdict(plan.sweep.adaptive)
    points = precision.groupby("point")["stopped_by"].first()
    return {"files": (adaptive.PRECISION,),
            "details": {"adaptive": {**settings, "points_at_budget": int(
                (points != "target").sum())}}}


def choose_launcher(plan: Plan, n_jobs: int | None = None) -> Launcher:
    """The launcher of ``plan.launcher.name``: local workers or Slurm job arrays."""
    if plan.launcher.name == "slurm":
        from lcsim.sweep.slurm import SlurmLauncher

        return SlurmLauncher(plan.launcher)
    return LocalLauncher(workers(plan.n_jobs if n_jobs is None else n_jobs))


def check_launch(plan: Plan, launcher: Launcher) -> None:
    """Refuse a sweep that cannot start here, before anything is written or submitted.

    Raises:
        LcsimError: The launcher cannot start (e.g. no Slurm for ``launcher=slurm``),
            or Slurm jobs of an earlier attempt on this sweep still run.
    """
    from lcsim.sweep.slurm import refuse_running_jobs

    launcher.check(plan.folder)
    refuse_running_jobs(plan.folder)


def report_precision(plan: Plan, summary: pd.DataFrame) -> None:
    """Warn about key outcomes whose 95 % CI is wide relative to their mean."""
    share = plan.sweep.ci_share
    if not share or summary.empty:
        return
    wide = wide_intervals(summary, list(plan.sweep.key_outcomes), share)
    if wide.empty:
        return
    first = wide.iloc[0]
    half = (first["ci95_high"] - first["ci95_low"]) / 2
    log.warning("%d of %d key-outcome intervals are wider than +/-%g %% of their mean (e.g. "
                "point %d %s: %.3g +/- %.3g); more replications would narrow them",
                len(wide), int(summary["outcome"].isin(plan.sweep.key_outcomes).sum()),
                100 * share, first["point"], first["outcome"], first["mean"], half)


def write_sweep_report(plan: Plan) -> None:
    """The sweep's figures (with ``figures=true``) and ``report.html``, once at its end.

    A figure or report that cannot be made is logged; the sweep's tables stand.
    """
    from lcsim.plotting.style import figure_options
    from lcsim.plotting.sweep_figures import write_sweep_figures
    from lcsim.report import write_report_logged

    config = plan.configs[0]
    with figure_options(config.figures_format, config.figures_max_pixels):
        if config.figures:
            try:
                write_sweep_figures(plan.folder, list(plan.sweep.key_outcomes),
                                    config.analysis.discovery)
            except (LcsimError, OSError, ValueError, KeyError) as error:
                log.warning("no sweep figures: %s", error)
    write_report_logged(plan.folder, max_pixels=config.figures_max_pixels,
                        key_outcomes=list(plan.sweep.key_outcomes),
                        ci_share=plan.sweep.ci_share)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def multirun(overrides: list[str]) -> int:
    """``lcsim run -m OVERRIDES``: plan, check, run the sweep; the exit status.

    Bad input ends with one line on standard error and status 2 before anything
    runs; a changed config for an existing sweep directory adds the changes
    below that line. Failed runs give status 1.
    """
    from lcsim.cli import check_folder
    from lcsim.config.compose import explain

    with command_log():
        try:
            plan = plan_sweep(overrides)
        except Exception as error:  # noqa: BLE001 - every failure becomes one line
            return _error(explain(error))
        unusable = check_folder("hydra.sweep.dir", str(plan.folder))
        if unusable:
            return _error(unusable)
        resume_with(f"hydra.sweep.dir={plan.folder}")
        try:
            check_launch(plan, choose_launcher(plan))
        except LcsimError as error:
            return _error(str(error))
        try:
            outcome = run_sweep(plan, command=["lcsim", "run", "-m", *overrides])
        except SweepChangedError as error:
            return _error(str(error), details=error.changes)
        except LcsimError as error:
            return _error(str(error), status=1)
        write_sweep_report(plan)
    if outcome.failed:
        return _error(f"{len(outcome.failed)} of {outcome.ran} run(s) failed; tracebacks in "
                      f"{outcome.folder / FAILED}/; run the same command again to retry them",
                      status=1)
    precision = ""
    if outcome.precision is not None:
        points = outcome.precision.groupby("point")["stopped_by"].first()
        precision = (f", precision reached in {outcome.folder / adaptive.PRECISION} "
                     f"({(points != 'target').sum()} of {len(points)} point(s) stopped at "
                     "the budget)")
    print(f"lcsim: {outcome.runs} runs in {outcome.folder / TABLE}, per point in "
          f"{outcome.folder / SUMMARY}{precision}", file=sys.stderr)
    return 0


