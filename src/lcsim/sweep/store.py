"""The sweep directory: batches as they end, the tables at the end, resume.

Layout of ``hydra.sweep.dir`` (see ``docs/outputs.md``):

* ``sweep.json`` — the sweep's identity (resolved config and design points),
  written when it starts; a later command on this folder must match it;
* ``design.csv`` — one row per point: ``point`` and the swept values;
* ``batches/NAME.timeseries.parquet``, ``NAME.runlog.parquet``,
  ``NAME.runs.parquet`` — each batch's time series, run log and result rows,
  the rows written last: a batch without them did not finish;
* ``failed/RUN_ID.log`` — the overrides and traceback of each failed run;
* ``sweep.parquet`` — one row per run, ordered by point and replicate;
* ``summary.csv`` — per point and outcome: mean, SD, n, 95 % interval;
* ``runlog.parquet`` — timings, host and process of every run;
* ``status.json`` — progress and counts that a script can poll;
* ``manifest.json`` — written last, once every run has finished.

Every file is written atomically (:func:`lcsim.files.atomic_write`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcsim.errors import ResultsError
from lcsim.experiment.store import MANIFEST, interval_table, write_manifest
from lcsim.files import atomic_write, write_text
from lcsim.sweep.plan import Plan, identity_changes

IDENTITY = "sweep.json"
TABLE = "sweep.parquet"
SUMMARY = "summary.csv"
RUNLOG = "runlog.parquet"
STATUS = "status.json"
BATCHES = "batches"
FAILED = "failed"
ROWS_SUFFIX = ".runs.parquet"
#: Columns that identify a run, before the swept values and the outcomes.
RUN_COLUMNS = ["run_id", "point", "replicate", "replicate_seed"]


class SweepChangedError(ResultsError):
    """An existing sweep directory holds a sweep with another config or design."""

    def __init__(self, folder: Path, changes: list[str], key: str = "hydra.sweep.dir",
                 what: str = "a sweep") -> None:
        self.folder = folder
        self.changes = changes
        super().__init__(
            f"{key}={folder} holds {what} with another config "
            f"({len(changes)} change(s)); rerun the same command to resume it, "
            f"or choose a new {key}"
        )


def open_folder(plan: Plan) -> set[tuple[int, int]]:
    """Start or resume the sweep in ``plan.folder``; return the runs already done.

    A new folder gets ``sweep.json`` and ``design.csv``. In an existing one,
    the identity must match, files of batches that never finished are removed,
    and the logs of failed runs are cleared (those runs will run again).

    Raises:
        SweepChangedError: If the folder holds a different sweep.
    """
    folder = plan.folder
    identity_file = folder / IDENTITY
    identity = json.loads(json.dumps(plan.identity))
    if identity_file.is_file():
        stored = json.loads(identity_file.read_text(encoding="utf-8"))
        changes = identity_changes(stored, identity)
        if changes:
            raise SweepChangedError(folder, changes)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        design = plan.design.table.reset_index()
        atomic_write(folder / "design.csv", lambda tmp: design.to_csv(tmp, index=False))
        write_text(identity_file, json.dumps(identity, indent=1) + "\n")
    (folder / MANIFEST).unlink(missing_ok=True)
    batches = folder / BATCHES
    batches.mkdir(exist_ok=True)
    finished = {p.name.removesuffix(ROWS_SUFFIX) for p in batches.glob(f"*{ROWS_SUFFIX}")}
    for path in batches.iterdir():
        if path.name.split(".", 1)[0] not in finished:
            path.unlink()
    for path in (folder / FAILED).glob("*.log"):
        path.unlink()
    return finished_runs(folder)


def finished_runs(folder: Path) -> set[tuple[int, int]]:
    """``(point, replicate)`` of every run in the finished batches of a sweep directory."""
    done: set[tuple[int, int]] = set()
    for path in (Path(folder) / BATCHES).glob(f"*{ROWS_SUFFIX}"):
        rows = pd.read_parquet(path, columns=["point", "replicate"])
        done.update(zip(rows["point"].tolist(), rows["replicate"].tolist(), strict=True))
    return done


def write_batch(folder: Path, name: str, rows: list[dict[str, Any]],
                timeseries: list[pd.DataFrame], runlog: list[dict[str, Any]]) -> None:
    """Write one finished batch: time series, run log, then its rows (the mark)."""
    batches = Path(folder) / BATCHES
    if timeseries:
        series = pd.concat(timeseries, ignore_index=True)
        atomic_write(batches / f"{name}.timeseries.parquet",
                     lambda tmp: series.to_parquet(tmp, index=False))
    log = pd.DataFrame(runlog)
    atomic_write(batches / f"{name}.runlog.parquet", lambda tmp: log.to_parquet(tmp, index=False))
    table = pd.DataFrame(rows, columns=None if rows else ["point", "replicate"])
    atomic_write(batches / f"{name}{ROWS_SUFFIX}", lambda tmp: table.to_parquet(tmp, index=False))


def write_failure(folder: Path, run_id: str, text: str) -> Path:
    """Write the log of a failed run; return its path."""
    path = Path(folder) / FAILED / f"{run_id}.log"
    write_text(path, text)
    return path


def write_status(folder: Path, **status: Any) -> None:
    """Write ``status.json``: state, counts, elapsed time and ETA, for polling."""
    record = {**status, "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "host": socket.gethostname(), "pid": os.getpid()}
    write_text(Path(folder) / STATUS, json.dumps(record, indent=2) + "\n")


def collect(plan: Plan) -> pd.DataFrame:
    """The finished runs' rows, ordered by point and replicate, typed as designed.

    Only runs of the plan count: the batches of an adaptive sweep that was
    interrupted may hold rows of a round the plan has not reached yet.
    """
    frames = [pd.read_parquet(p) for p in sorted((plan.folder / BATCHES).glob(f"*{ROWS_SUFFIX}"))]
    frames = [f for f in frames if len(f)]
    columns = RUN_COLUMNS + plan.parameters + list(plan.outcomes)
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)[columns]
    counts = np.asarray(plan.replications())
    table = table[table["replicate"].to_numpy() < counts[table["point"].to_numpy()]]
    table = table.sort_values(["point", "replicate"], kind="stable", ignore_index=True)
    for key, dtype in plan.design.table.dtypes.items():
        table[key] = table[key].astype(dtype)
    return table


def point_summary(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Per point and outcome: the swept values, mean, SD, n and 95 % t-interval."""
    long = table.melt(id_vars=["point"], value_vars=list(plan.outcomes), var_name="outcome")
    summary = interval_table(long, ["point", "outcome"])
    summary = summary.sort_values("point", kind="stable", ignore_index=True)
    values = plan.design.table.reset_index()
    return values.merge(summary, on="point", how="right")


def wide_intervals(summary: pd.DataFrame, outcomes: list[str], share: float
                   ) -> pd.DataFrame:
    """Rows of a point summary whose 95 % half-width exceeds ``share`` of |mean|."""
    rows = summary[summary["outcome"].isin(outcomes)]
    half = (rows["ci95_high"] - rows["ci95_low"]) / 2
    return rows[half > share * rows["mean"].abs()]


def finish(plan: Plan, table: pd.DataFrame, *, complete: bool, timings: dict[str, float],
           command: list[str], files: tuple[str, ...] = (),
           details: dict[str, Any] | None = None) -> pd.DataFrame:
    """Write the sweep's tables; the manifest last, and only if every run finished.

    Args:
        files, details: Further files written into the folder, and further
            manifest entries (those of adaptive replications).

    Returns the per-point summary.
    """
    folder = plan.folder
    atomic_write(folder / TABLE, lambda tmp: table.to_parquet(tmp, index=False))
    summary = point_summary(plan, table)
    atomic_write(folder / SUMMARY, lambda tmp: summary.to_csv(tmp, index=False))
    logs = [pd.read_parquet(p) for p in sorted((folder / BATCHES).glob("*.runlog.parquet"))]
    runlog = pd.concat([log for log in logs if len(log)], ignore_index=True) if any(
        len(log) for log in logs) else pd.DataFrame()
    if len(runlog):
        runlog = runlog.sort_values(["point", "replicate", "started"], kind="stable",
                                    ignore_index=True)
    atomic_write(folder / RUNLOG, lambda tmp: runlog.to_parquet(tmp, index=False))
    if not complete:
        return summary
    write_manifest(folder, plan.configs[0], timings=timings, command=command, files=[
        IDENTITY, "design.csv", TABLE, SUMMARY, RUNLOG, *files, BATCHES + "/"],
        extra={"seed": plan.seed, "points": len(plan.design),
               "replications": sorted(set(plan.replications())),
               "runs": len(plan.runs), "parameters": plan.parameters,
               "design": plan.sweep.design,
               "common_random_numbers": plan.sweep.common_random_numbers,
               **(details or {})})
    return summary


def load_sweep(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run table and the per-point summary of a finished sweep directory.

    Raises:
        ResultsError: If the sweep has not finished (no ``manifest.json``).
    """
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise ResultsError(f"{path} is not a finished lcsim sweep: it has no {MANIFEST} "
                           "(runs failed or are missing; run the same command again)")
    return pd.read_parquet(path / TABLE), pd.read_csv(path / SUMMARY)


def load_timeseries(path: str | os.PathLike) -> pd.DataFrame:
    """Every finished run's time series, ordered by point, replicate, month, community."""
    path = Path(path) / BATCHES
    frames = [pd.read_parquet(p) for p in sorted(path.glob("*.timeseries.parquet"))
              if (path / p.name.replace(".timeseries.parquet", ROWS_SUFFIX)).is_file()]
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["point", "replicate", "step"], kind="stable", ignore_index=True)
