"""Docking studies: canonical models run through lcsim's own mechanism rules.

A docking study rebuilds a published model (March 1991, Cowan & Jonard 2004,
Granovetter 1978, ...) around the very functions that
:class:`~lcsim.model.model.LearningCommunityModel` calls, so that agreement
with the paper vouches for the code users run. Each study is a module here
with

* ``Settings`` — a dataclass of its sizes and grids, declared with
  :func:`lcsim.config.params.param` and found in the config under
  ``docking.<study>``;
* ``tables(settings, seed, n_jobs) -> dict[str, pandas.DataFrame]`` — its
  result tables, keyed by file stem (``march1991`` -> ``march1991.csv``),
  each one long table with numeric columns. A study that needs more of the
  config than its own settings (the parameters of the mechanism it docks,
  say) declares a keyword ``config`` and gets the whole validated config;
* ``figure(tables) -> matplotlib.figure.Figure`` — its figure, made from
  the tables (the caller saves and closes it).
* optionally ``check(settings)`` — raises :class:`~lcsim.errors.ConfigError`
  for settings the ranges cannot express; config validation calls it, so a
  bad setting stops ``lcsim run`` with one line before anything runs.

``lcsim run experiment=NAME`` selects a study through the config key
``study`` and :func:`run_study` writes its tables, figure, config and
manifest into the run directory, the manifest last.
"""

from __future__ import annotations

import importlib
import inspect
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from lcsim.files import atomic_write

if TYPE_CHECKING:
    from lcsim.config.schema import LcsimConfig

#: The full learning-community model (not a docking study).
COMMUNITY = "community"

#: Docking studies by name; each is a module ``lcsim.docking.<name>``.
STUDIES: tuple[str, ...] = (
    "granovetter1978", "march1991", "cowan_jonard2004", "clustering", "cognitive_distance",
)


def study_module(name: str) -> ModuleType:
    """The module of a docking study."""
    if name not in STUDIES:
        raise KeyError(name)
    return importlib.import_module(f"lcsim.docking.{name}")


def run_study(config: LcsimConfig, out: Path, command: list[str]) -> list[Path]:
    """Run the docking study ``config.study`` and write its results into ``out``.

    Returns the files written before the manifest.
    """
    from lcsim.experiment.store import write_config, write_manifest

    module = study_module(config.study)
    settings = getattr(config.docking, config.study)
    out = Path(out)
    write_config(out, config)
    takes_config = "config" in inspect.signature(module.tables).parameters
    started = time.perf_counter()
    tables = module.tables(settings, seed=config.seed, n_jobs=config.n_jobs,
                           **({"config": config} if takes_config else {}))
    simulated = time.perf_counter() - started
    files = [out / "config.yaml"]
    for stem, table in tables.items():
        path = out / f"{stem}.csv"
        atomic_write(path, lambda tmp, table=table: table.to_csv(tmp, index=False))
        files.append(path)
    if config.figures:
        from lcsim.plotting.figures import save_figure

        files.append(save_figure(module.figure(tables), out / f"{config.study}.png"))
    write_manifest(out, config, files=[p.relative_to(out).as_posix() for p in files],
                   timings={"simulation": simulated}, command=command,
                   extra={"study": config.study})
    return files


def ci95(samples: np.ndarray, axis: int = -1) -> np.ndarray:
    """Half-width of the 95 % t-interval of the mean along ``axis`` (NaN for one sample)."""
    samples = np.asarray(samples, dtype=float)
    n = samples.shape[axis]
    if n < 2:
        return np.full(np.delete(samples.shape, axis), np.nan)
    return stats.t.ppf(0.975, n - 1) * samples.std(axis=axis, ddof=1) / np.sqrt(n)
