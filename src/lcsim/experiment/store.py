"""Writing a run's results atomically, and loading a results directory back.

A finished run directory holds (see ``docs/outputs.md``):

* ``config.yaml`` — the resolved config, defaults set in code included;
* ``timeseries.parquet`` — one row per replicate, month and community;
* ``companies.parquet`` — every company at the final month;
* ``summary.csv`` — final-month mean, SD and 95 % CI across replications;
* ``figures/*.png`` — the key outcomes;
* ``manifest.json`` — seeds, versions, git state, command line, timings.

Every file is written to a temporary name and renamed into place, and the
manifest is written last: a directory without ``manifest.json`` is not a
finished run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from scipy import stats

from lcsim.config.schema import LcsimConfig
from lcsim.errors import ResultsError
from lcsim.files import atomic_write, write_text
from lcsim.model.outcomes import OUTCOMES

MANIFEST = "manifest.json"
CONFIG = "config.yaml"
PACKAGES = ("lcsim", "mesa", "hydra-core", "SALib", "numpy", "scipy", "pandas", "pyarrow")


def summarise(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Final-month mean, SD, n and 95 % t-interval of each outcome across replicates."""
    final = timeseries[timeseries["step"] == timeseries["step"].max()]
    long = final.melt(id_vars=["replicate", "community"], value_vars=list(OUTCOMES),
                      var_name="outcome")
    table = interval_table(long, ["community", "outcome"])
    table.insert(2, "step", int(timeseries["step"].max()))
    return table


def interval_table(long: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, SD, n and 95 % t-interval of the column ``value`` in each group of ``by``.

    Missing values are left out; a group of one has no SD and no interval.
    """
    grouped = long.dropna(subset=["value"]).groupby(by, sort=False)["value"]
    table = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    sem = table["sd"] / np.sqrt(table["n"])
    t = stats.t.ppf(0.975, np.maximum(table["n"] - 1, 1))
    half = np.where(table["n"] > 1, t * sem, np.nan)
    table["ci95_low"] = table["mean"] - half
    table["ci95_high"] = table["mean"] + half
    return table


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state() -> dict[str, Any]:
    """Commit and dirty flag of the source tree lcsim runs from, if it is a repo."""
    root = Path(__file__).resolve().parents[3]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, check=True,
                               timeout=10).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def write_config(out: Path, config: LcsimConfig) -> None:
    """Remove any earlier manifest in ``out``, then write the resolved config.

    A manifest left from an earlier run in this folder would vouch for files
    that are about to be replaced, so it goes first.
    """
    out = Path(out)
    (out / MANIFEST).unlink(missing_ok=True)
    write_text(out / CONFIG, config_yaml(config))


def config_yaml(config: LcsimConfig) -> str:
    """The text of ``config.yaml``: every key of the validated config, defaults included."""
    return OmegaConf.to_yaml(OmegaConf.structured(config))


def write_manifest(
    out: Path,
    config: LcsimConfig,
    *,
    files: list[str],
    timings: dict[str, float],
    command: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write ``manifest.json``, the mark of a finished run: call it last."""
    manifest = {
        "status": "complete",
        "seed": config.seed,
        **(extra or {}),
        "versions": package_versions(),
        "python": platform.python_version(),
        "git": git_state(),
        "command": command or [Path(sys.argv[0]).name, *sys.argv[1:]],
        "timings_seconds": timings,
        "files": files,
    }
    write_text(Path(out) / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def write_run(
    out: Path,
    config: LcsimConfig,
    result: Any,
    *,
    timings: dict[str, float],
    figures: Callable[[Path], list[Path]] | None = None,
    command: list[str] | None = None,
) -> Path:
    """Write a run's tables, figures and manifest; the manifest goes last."""
    out = Path(out)
    write_config(out, config)
    atomic_write(out / "timeseries.parquet",
                 lambda tmp: result.timeseries.to_parquet(tmp, index=False))
    atomic_write(out / "companies.parquet",
                 lambda tmp: result.companies.to_parquet(tmp, index=False))
    summary = summarise(result.timeseries)
    atomic_write(out / "summary.csv", lambda tmp: summary.to_csv(tmp, index=False))
    figure_files = [str(p.relative_to(out)) for p in figures(out)] if figures else []
    seed = config.seed if result.seed is None else result.seed
    replicates = result.replicates or list(range(config.replications))
    extra = {
        "seed": seed,
        "replications": len(replicates),
        "replicate_seeds": [
            {"replicate": r, "entropy": str(seed), "spawn_key": [r]} for r in replicates
        ],
        "replicate_seconds": result.seconds,
    }
    write_manifest(out, config, timings=timings, command=command, extra=extra,
                   files=["config.yaml", "timeseries.parquet", "companies.parquet",
                          "summary.csv", *figure_files])
    return out


@dataclass
class Results:
    """A finished run directory, loaded.

    Attributes:
        path: The run directory.
        timeseries: Outcomes per replicate, month and community.
        companies: Every company at the final month.
        summary: Final-month statistics across replications.
        config: The resolved config as a plain dict.
        manifest: Seeds, versions and timings.
    """

    path: Path
    timeseries: pd.DataFrame
    companies: pd.DataFrame
    summary: pd.DataFrame
    config: dict
    manifest: dict


def load_results(path: str | os.PathLike) -> Results:
    """Load a finished run directory written by ``lcsim run``.

    Raises:
        ResultsError: If the directory does not hold a finished run.
    """
    path = Path(path)
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise ResultsError(
            f"{path} is not a finished lcsim run: it has no {MANIFEST} "
            "(the run failed, was interrupted, or this is not a run directory)"
        )
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return Results(
        path=path,
        timeseries=pd.read_parquet(path / "timeseries.parquet"),
        companies=pd.read_parquet(path / "companies.parquet"),
        summary=pd.read_csv(path / "summary.csv"),
        config=OmegaConf.to_container(OmegaConf.load(path / "config.yaml")),
        manifest=manifest,
    )
