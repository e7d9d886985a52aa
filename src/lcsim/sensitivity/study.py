"""A sensitivity analysis from problem to indices: sample, runs, outputs, indices.

:func:`plan_analysis` composes the config (with ``analysis=NAME``), builds the
problem and SALib's sample, and lays the sample rows out as the design points
of a sweep whose directory is ``runs/`` inside the analysis directory; its
runs go through the sweep machinery (:func:`lcsim.sweep.run_sweep`: batches,
local or Slurm, replications, resume). :func:`analyse` then joins the runs'
outcomes to the sample by run id and point, averages them over replications
per sample row and writes the indices.

Layout of the analysis directory (``hydra.run.dir``):

* ``problem.json`` — the problem as analysed (parameters, fixed values, method,
  base size, outcomes, months, the kind of interval);
* ``config.yaml`` — the validated config of the analysis, every key, as a run's;
* ``sample.csv`` — one row per sample row (``point``): its ``repeat``, the
  parameter values and, as ``PARAMETER:unit``, the unit-hypercube coordinates
  SALib analyses;
* ``runs/`` — the sweep of the model runs (``sweep.parquet``, ``batches/``...);
* ``outputs.csv`` — per point, month and outcome: mean over replications, SD, n;
* ``indices.csv`` — ``outcome, step, parameter, parameter_2, index, value,
  ci_low, ci_high, interval, includes_zero, wide, replication_noise``;
* ``convergence.csv`` — the same indices at base sizes doubling up to N
  (:mod:`lcsim.sensitivity.indices`), ``noise.csv`` — replication noise per
  outcome and month (:mod:`lcsim.sensitivity.precision`);
* the figures (:func:`lcsim.sensitivity.figures.write_figures`): ``indices.png``,
  and where they apply ``morris.png``, ``second_order.png``,
  ``indices_over_time.png``, ``convergence.png``;
* ``sensitivity.log``, the command's log from the start (the notices of
  planning, logged before the directory is known, included), and
  ``manifest.json`` last.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from logging.handlers import BufferingHandler
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from omegaconf import open_dict

from lcsim.config.compose import compose_config
from lcsim.config.schema import LcsimConfig
from lcsim.config.validate import validate
from lcsim.console import command_log, resume_with
from lcsim.console import error as _error
from lcsim.docking import COMMUNITY
from lcsim.errors import ConfigError, ResultsError
from lcsim.experiment.store import CONFIG, config_yaml, write_manifest
from lcsim.files import atomic_write, write_text
from lcsim.model.outcomes import ALL
from lcsim.sensitivity.indices import index_tables, repeat_seeds
from lcsim.sensitivity.methods import method_of
from lcsim.sensitivity.precision import (
    mark_wide,
    replication_noise,
    step_key,
    warn_noise,
    warn_wide,
)
from lcsim.sensitivity.problem import Problem, build_problem
from lcsim.sweep.design import design_of_rows, override_text
from lcsim.sweep.plan import (
    Plan,
    config_groups,
    identity_changes,
    launcher_section,
    plan_runs,
    point_configs,
    sweep_identity,
    sweep_section,
)
from lcsim.sweep.store import BATCHES, IDENTITY, ROWS_SUFFIX, SweepChangedError, collect

log = logging.getLogger(__name__)

RUNS = "runs"
INDICES = "indices.csv"
OUTPUTS = "outputs.csv"
SAMPLE = "sample.csv"
PROBLEM = "problem.json"
CONVERGENCE = "convergence.csv"
NOISE = "noise.csv"
#: Columns of ``indices.csv``.
INDEX_COLUMNS = ["outcome", "step", "parameter", "parameter_2", "index", "value",
                 "ci_low", "ci_high", "interval", "includes_zero", "wide",
                 "replication_noise"]


class MissingOutputsError(ResultsError):
    """Runs of the sample have no outputs, or NaN ones: the analysis cannot go on."""

    def __init__(self, count: int, details: list[str]) -> None:
        self.details = details
        super().__init__(f"{count} run(s) of the sample have missing or NaN outputs; "
                         "run the same command again to run them, or look at the "
                         "model for NaN outcomes")

    @classmethod
    def of_runs(cls, bad: pd.DataFrame, plan: Plan) -> MissingOutputsError:
        """The error for the runs in ``bad`` (columns run_id, point, replicate).

        Lists the first 20 runs with their point, replicate and parameter values.
        """
        runs = bad.drop_duplicates("run_id")
        details = [f"run {row.run_id} (point {row.point}, replicate {row.replicate}): "
                   + " ".join(f"{k}={v}" for k, v in plan.point_values(row.point).items())
                   for row in runs.head(20).itertuples()]
        if len(runs) > 20:
            details.append(f"... and {len(runs) - 20} more")
        return cls(len(runs), details)


@dataclass
class Analysis:
    """A planned sensitivity analysis.

    Attributes:
        folder: The analysis directory (``hydra.run.dir``).
        config: The base config (the analysis section and the fixed values).
        problem: What varies and what is analysed.
        unit: SALib's sample in the unit hypercube, one row per point: the
            ``analysis.repeats`` samples one after the other.
        seed: The analysis seed: of the sampler with one repeat, of the repeats'
            seeds otherwise, and of scenario discovery.
        plan: The sweep of the model runs, in ``folder / runs``.
        seeds: Sampler and bootstrap seed of each repeat
            (:func:`lcsim.sensitivity.indices.repeat_seeds`).
    """

    folder: Path
    config: LcsimConfig
    problem: Problem
    unit: np.ndarray
    seed: int
    plan: Plan
    seeds: tuple[int, ...]

    @property
    def repeats(self) -> np.ndarray:
        """The repeat of every sample row (point)."""
        return np.arange(len(self.unit)) // (len(self.unit) // len(self.seeds))


def plan_analysis(overrides: list[str]) -> Analysis:
    """Compose, check and sample the analysis of ``lcsim sensitivity OVERRIDES``.

    Raises:
        ConfigError, and Hydra's or OmegaConf's errors for overrides they
        refuse; :func:`lcsim.config.compose.explain` makes one line of each.
    """
    composed = compose_config(overrides, return_hydra=True)
    folder = Path(str(composed.hydra.run.dir))
    with open_dict(composed):
        del composed["hydra"]
    config = validate(composed)
    if config.study != COMMUNITY:
        raise ConfigError("study", config.study, f"{COMMUNITY} in a sensitivity analysis")
    groups = config_groups()
    problem = build_problem(config, groups)
    method = method_of(config.analysis)
    seed = config.seed if config.analysis.sampler_seed is None else config.analysis.sampler_seed
    seeds = repeat_seeds(seed, config.analysis.repeats)
    unit = np.vstack([method.sample(problem.salib(), problem.n, config.analysis, s)
                      for s in seeds])
    levels = config.analysis.levels if problem.method == "morris" else None
    columns = [p.at(unit[:, j], levels) for j, p in enumerate(problem.parameters)]
    design = design_of_rows(problem.names, list(zip(*columns, strict=True)))

    model_fixed = [o for o in overrides if not o.lstrip("+~").startswith(("hydra.", "hydra/"))]
    fixed = model_fixed + [f"{key}={override_text(value)}"
                           for key, value in problem.fixed.items()]
    base = compose_config(fixed) if problem.fixed else composed
    configs = point_configs(fixed, design, groups)
    sweep = sweep_section(base)
    # Each repeat is a block with random numbers of its own: independent repeats.
    blocks = np.repeat(np.arange(len(seeds)), len(unit) // len(seeds)).tolist()
    runs = plan_runs(design, configs, sweep.common_random_numbers, blocks=blocks)
    plan = Plan(folder / RUNS, sweep, int(base.seed), int(base.n_jobs),
                launcher_section(base), design, configs, runs, sweep_identity(base, design))
    return Analysis(folder, validate(base), problem, unit, seed, plan, tuple(seeds))


def describe_size(analysis: Analysis) -> str:
    """The size of the analysis in words: sample rows, replications, runs."""
    problem, plan = analysis.problem, analysis.plan
    replications = "/".join(map(str, sorted(set(plan.replications()))))
    repeats = len(analysis.seeds)
    size = f"n={problem.n}" + (f" x {repeats} repeats" if repeats > 1 else "")
    return (f"{problem.method} over {len(problem.parameters)} parameter(s), {size}: "
            f"{len(plan.design)} sample rows x {replications} replication(s) = "
            f"{len(plan.runs)} runs")


def write_sample(analysis: Analysis) -> None:
    """Write ``config.yaml``, ``problem.json`` and ``sample.csv`` into the analysis
    directory."""
    folder = analysis.folder
    sample = analysis.plan.design.table.reset_index()
    sample.insert(1, "repeat", analysis.repeats)
    for j, name in enumerate(analysis.problem.names):
        sample[f"{name}:unit"] = analysis.unit[:, j]
    atomic_write(folder / SAMPLE, lambda tmp: sample.to_csv(tmp, index=False))
    problem = {**analysis.problem.describe(), "seed": analysis.seed,
               "repeats": len(analysis.seeds), "sampler_seeds": list(analysis.seeds),
               "interval": interval_note(analysis.config),
               "noise_warning": analysis.config.analysis.noise_warning,
               "wide_interval": analysis.config.analysis.wide_interval}
    write_text(folder / PROBLEM, json.dumps(problem, indent=1) + "\n")
    # After problem.json, which marks the folder as an analysis, not a run.
    write_text(folder / CONFIG, config_yaml(analysis.config))


def interval_note(config: LcsimConfig) -> str:
    """What the intervals of ``indices.csv`` are, in words."""
    settings = config.analysis
    if settings.repeats > 1:
        return (f"repeated: the value is the mean of {settings.repeats} independent "
                "samples of the same design (sampler seeds spawned from the analysis "
                f"seed), the {settings.conf_level:.0%} interval mean +/- "
                f"t_{settings.repeats - 1} x SD / sqrt({settings.repeats}) from their "
                "spread, the same in convergence.csv at every base size")
    caveat = {
        "sobol": "; they overstate the scatter of scrambled Sobol' estimates",
        "fast": "; they are indicative only for FAST",
        "morris": "; symmetric about mu_star, so their lower end can fall below 0",
    }.get(settings.method, "")
    return (f"bootstrap: SALib's {settings.conf_level:.0%} intervals from "
            f"{settings.resamples} resamples of the sample rows (value +/- conf)"
            f"{caveat}; 'none' where the method gives none")


def check_stored(analysis: Analysis) -> None:
    """Refuse stored runs of another sample or config, before any file is written.

    Called with ``analysis.simulate=false``, and before a rerun that would
    resume (or find finished) the runs of an existing analysis directory.

    Raises:
        ResultsError: No runs are stored in the analysis directory.
        SweepChangedError: The stored runs belong to another sample or config.
    """
    stored = analysis.plan.folder / IDENTITY
    if not stored.is_file():
        raise ResultsError(f"{analysis.folder} holds no runs of a sensitivity analysis; "
                           "run it with analysis.simulate=true")
    identity = json.loads(json.dumps(analysis.plan.identity))
    changes = identity_changes(json.loads(stored.read_text(encoding="utf-8")), identity)
    if changes:
        raise SweepChangedError(analysis.folder, changes, "hydra.run.dir",
                                "a sensitivity analysis")


def run_outputs(analysis: Analysis) -> pd.DataFrame:
    """Every planned run's outcomes at the analysed months, joined by run id.

    Returns one row per run and month: ``run_id, point, replicate, step`` and
    the outcomes (``step`` empty for a scalar stand-in).

    Raises:
        MissingOutputsError: Runs without outputs or with NaN ones, listed with
            their parameter values.
    """
    plan, problem = analysis.plan, analysis.problem
    planned = pd.DataFrame([(r.run_id, r.point, r.replicate) for r in plan.runs],
                           columns=["run_id", "point", "replicate"])
    outcomes = list(problem.outcomes)
    if problem.steps:
        paths = [path for path in sorted((plan.folder / BATCHES).glob("*.timeseries.parquet"))
                 if (plan.folder / BATCHES / path.name.replace(
                     ".timeseries.parquet", ROWS_SUFFIX)).is_file()]
        if paths:
            held = pq.read_schema(paths[0]).names
            if absent := [name for name in outcomes if name not in held]:
                raise ConfigError("analysis.outcomes", outcomes,
                                  f"outcomes the stored runs hold ({', '.join(absent)} "
                                  "is not among them: runs of an older lcsim?)")
        frames = [pd.read_parquet(path, columns=["run_id", "step", *outcomes], filters=[
                      ("community", "==", ALL), ("step", "in", list(problem.steps))])
                  for path in paths]
        found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["run_id", "step", *outcomes])
        # Sample rows that coincide (a Saltelli row AB_i equals A where the
        # swapped integer column did not change) share their run ids: their runs
        # are the same runs, stored once per row. Each row takes them once.
        found = found.drop_duplicates(["run_id", "step"])
        expected = planned.merge(pd.DataFrame({"step": problem.steps}), how="cross")
        table = expected.merge(found, on=["run_id", "step"], how="left")
    else:
        found = collect(plan)[["run_id", *outcomes]].drop_duplicates("run_id")
        table = planned.merge(found, on="run_id", how="left")
        table.insert(3, "step", pd.array([pd.NA] * len(table), dtype="Int64"))

    bad = table[table[outcomes].isna().any(axis=1)]
    if len(bad):
        raise MissingOutputsError.of_runs(bad, plan)
    return table


def point_outputs(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per point, month and outcome: mean over replications, SD and n."""
    long = table.melt(id_vars=["point", "step"], value_vars=outcomes, var_name="outcome")
    grouped = long.groupby(["point", "step", "outcome"], dropna=False, sort=True)["value"]
    return grouped.agg(mean="mean", sd="std", replications="count").reset_index()


def sensitivity_tables(analysis: Analysis, outputs: pd.DataFrame
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``indices.csv``, ``convergence.csv`` and ``noise.csv`` of the analysis, tidy.

    The indices and their convergence come from one computation
    (:func:`lcsim.sensitivity.indices.index_tables`); the indices get the
    columns ``includes_zero``, ``wide`` and ``replication_noise``. Outcomes
    with a large replication noise (``analysis.noise_warning``) or wide
    intervals (``analysis.wide_interval``) are named in logged warnings.
    """
    settings = analysis.config.analysis
    method = method_of(settings)
    indices, convergence = index_tables(analysis.problem, method, settings,
                                        analysis.unit, analysis.seeds, outputs)
    indices["includes_zero"] = pd.array(
        [pd.NA if pd.isna(lo) else bool(lo <= 0 <= hi)
         for lo, hi in zip(indices["ci_low"], indices["ci_high"], strict=True)],
        dtype="boolean")
    indices["wide"] = mark_wide(indices, settings.wide_interval)

    noise = replication_noise(outputs, stochastic=analysis.config.model == "community")
    share = noise.assign(step=step_key(noise["step"])).set_index(
        ["outcome", "step"])["noise_share"]
    keys = pd.MultiIndex.from_arrays([indices["outcome"], step_key(indices["step"])])
    indices["replication_noise"] = share.reindex(keys).to_numpy()
    order = {name: i for i, name in enumerate(analysis.problem.outcomes)}
    noise = noise.sort_values(["outcome", "step"], key=lambda c: c.map(order)
                              if c.name == "outcome" else c, kind="stable",
                              ignore_index=True)
    warn_noise(noise, settings.noise_warning)
    warn_wide(indices, settings.wide_interval)
    return indices[INDEX_COLUMNS], convergence, noise


def analyse(analysis: Analysis, *, command: list[str],
            timings: dict[str, float] | None = None) -> pd.DataFrame:
    """Join the runs to the sample, compute the indices, write them; return them."""
    from lcsim.sensitivity.figures import write_figures

    started = time.perf_counter()
    folder, problem = analysis.folder, analysis.problem
    outputs = point_outputs(run_outputs(analysis), list(problem.outcomes))
    atomic_write(folder / OUTPUTS, lambda tmp: outputs.to_csv(tmp, index=False))
    indices, convergence, noise = sensitivity_tables(analysis, outputs)
    atomic_write(folder / INDICES, lambda tmp: indices.to_csv(tmp, index=False))
    atomic_write(folder / CONVERGENCE, lambda tmp: convergence.to_csv(tmp, index=False))
    atomic_write(folder / NOISE, lambda tmp: noise.to_csv(tmp, index=False))
    files = [CONFIG, PROBLEM, SAMPLE, RUNS + "/", OUTPUTS, INDICES, CONVERGENCE, NOISE]
    if analysis.config.figures and len(indices):
        files += write_figures(indices, folder, convergence=convergence)
    # Scenario discovery (lcsim.sensitivity.discovery) on the same stored runs.
    if analysis.config.analysis.discovery.methods:
        from lcsim.sensitivity.discovery import discover_analysis

        files += discover_analysis(analysis)
    write_manifest(folder, analysis.config, files=files, command=command,
                   timings={**(timings or {}), "analysis": time.perf_counter() - started},
                   extra={"method": problem.method, "n": problem.n,
                          "parameters": problem.names, "fixed": problem.fixed,
                          "runs": len(analysis.plan.runs),
                          "repeats": len(analysis.seeds),
                          "interval": interval_note(analysis.config)})
    return indices


#: Where an analysis lands unless ``hydra.run.dir`` says otherwise.
DEFAULT_DIR = "results/sensitivity/${now:%Y-%m-%d}/${now:%H-%M-%S}"


def sensitivity_command(overrides: list[str]) -> int:
    """``lcsim sensitivity analysis=NAME [overrides]``: the exit status.

    Bad input ends with one line on standard error and status 2 before
    anything runs; failed runs give status 1 (run the command again to retry
    them and finish the analysis). The same command with the same
    ``hydra.run.dir`` reuses the runs already done.
    """
    from lcsim.cli import check_folder
    from lcsim.config.compose import explain
    from lcsim.errors import LcsimError
    from lcsim.plotting.style import figure_options
    from lcsim.report import write_report_logged
    from lcsim.sweep.engine import check_launch, choose_launcher, run_sweep

    if not any(o.startswith("hydra.run.dir=") for o in overrides):
        overrides = [*overrides, f"hydra.run.dir={DEFAULT_DIR}"]
    command = ["lcsim", "sensitivity", *overrides]
    root = logging.getLogger("lcsim")
    with command_log() as handler, ExitStack() as cleanup:
        # What is logged before the analysis directory is known (the notices of
        # build_problem, the checks of the launch) is kept for sensitivity.log.
        early = BufferingHandler(capacity=sys.maxsize)
        root.addHandler(early)
        cleanup.callback(root.removeHandler, early)
        try:
            analysis = plan_analysis(overrides)
        except Exception as error:  # noqa: BLE001 - every failure becomes one line
            return _error(explain(error))
        unusable = check_folder("hydra.run.dir", str(analysis.folder))
        if unusable:
            return _error(unusable)
        resume_with(f"hydra.run.dir={analysis.folder}")
        simulate = analysis.config.analysis.simulate
        try:
            if simulate:
                check_launch(analysis.plan, choose_launcher(analysis.plan))
            # Runs of another sample or config are refused before any file of
            # the finished analysis is written again.
            if not simulate or (analysis.plan.folder / IDENTITY).is_file():
                check_stored(analysis)
        except SweepChangedError as error:
            return _error(str(error), error.changes)
        except LcsimError as error:
            return _error(str(error))

        analysis.folder.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(analysis.folder / "sensitivity.log")
        file_handler.setFormatter(handler.formatter)
        root.removeHandler(early)
        for record in early.buffer:
            file_handler.handle(record)
        root.addHandler(file_handler)
        cleanup.callback(file_handler.close)
        cleanup.callback(root.removeHandler, file_handler)
        log.info("sensitivity analysis: %s into %s", describe_size(analysis), analysis.folder)
        log.info("intervals: %s", interval_note(analysis.config))
        write_sample(analysis)
        pixels = analysis.config.figures_max_pixels
        started = time.perf_counter()
        if simulate:
            try:
                outcome = run_sweep(analysis.plan, command=command)
            except SweepChangedError as error:
                return _error(str(error), error.changes)
            except LcsimError as error:
                return _error(str(error), status=1)
            if outcome.failed:
                write_report_logged(analysis.folder, max_pixels=pixels)
                return _error(f"{len(outcome.failed)} of {outcome.ran} run(s) failed; "
                              f"tracebacks in {outcome.folder / 'failed'}/; run the same "
                              "command again to retry them and finish the analysis",
                              status=1)
        try:
            with figure_options(analysis.config.figures_format, pixels):
                indices = analyse(analysis, command=command,
                                  timings={"runs": time.perf_counter() - started})
        except MissingOutputsError as error:
            return _error(str(error), error.details, status=1)
        except ConfigError as error:
            return _error(str(error))
        write_report_logged(analysis.folder, max_pixels=pixels)
    print(f"lcsim: {len(indices)} indices in {analysis.folder / INDICES} "
          f"({interval_note(analysis.config).split(':')[0]} intervals)", file=sys.stderr)
    return 0


