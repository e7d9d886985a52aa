"""The ``lcsim`` command line.

``lcsim run [key=value ...]`` composes the config with Hydra, validates it,
runs the replications and writes the results into Hydra's run directory
(``results/runs/DATE/TIME`` by default; ``hydra.run.dir=PATH`` to choose).
``lcsim run -m [key=a,b ...]`` runs a sweep through :mod:`lcsim.sweep`
into Hydra's sweep directory. ``lcsim sensitivity analysis=NAME`` runs a
sensitivity analysis (:mod:`lcsim.sensitivity`). ``lcsim report DIR`` writes
the page ``DIR/report.html`` (:mod:`lcsim.report`), as the other commands do at
their end. ``lcsim --version`` prints the version. Bad
input ends with one line on standard error that names the key, the value and
what is allowed, and exit status 2, before any results directory is made.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from omegaconf import DictConfig

from lcsim import __version__
from lcsim.config.schema import LcsimConfig
from lcsim.docking import COMMUNITY
from lcsim.errors import LcsimError

log = logging.getLogger("lcsim")

USAGE = """\
usage: lcsim run [key=value ...]      run the default study (scenario=clic_it)
       lcsim run -m key=a,b ...       a sweep: every combination of the listed values
       lcsim run -m sweep=lhs sweep.n=32  a sweep over a design in configs/sweep/
       lcsim run -m launcher=slurm key=a,b   the same sweep as Slurm job arrays
       lcsim sensitivity analysis=sobol   sensitivity indices (configs/analysis/)
       lcsim report DIR               DIR/report.html: one page of a run, sweep or analysis
       lcsim --version

Examples:
  lcsim run replications=20 seed=7
  lcsim run scenario=single_lc engagement.participation_cost=0.6
  lcsim run experiment=no_facilitation hydra.run.dir=results/my_study
Results land in results/runs/DATE/TIME unless hydra.run.dir says otherwise;
a sweep in results/sweeps/DATE/TIME (hydra.sweep.dir=PATH to choose or resume);
an analysis in results/sensitivity/DATE/TIME (hydra.run.dir=PATH to reuse its runs).
Hydra's own help: lcsim run --help"""

# Hydra flags after which the arguments are not plain overrides to check.
_HYDRA_FLAGS = ("-m", "--multirun", "--cfg", "-c", "--info", "--help", "-h", "--hydra-help",
                "--package", "-p", "--run", "-r", "--config-path", "-cp", "--config-name",
                "-cn", "--config-dir", "-cd", "--shell-completion", "-sc",
                "--experimental-rerun")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lcsim`` console script and ``python -m lcsim``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] in ("--version", "-V", "version"):
        print(f"lcsim {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "sensitivity":
        from lcsim.sensitivity import sensitivity_command

        return sensitivity_command(rest)
    if command == "report":
        from lcsim.report import report_command

        return report_command(rest)
    if command != "run":
        print(f"lcsim: error: unknown command {command!r}; allowed: run, sensitivity, "
              "report, --version", file=sys.stderr)
        return 2
    flags = [arg for arg in rest if arg in _HYDRA_FLAGS]
    overrides = [arg for arg in rest if arg not in _HYDRA_FLAGS]
    if flags and set(flags) <= {"-m", "--multirun"}:
        from lcsim.sweep.engine import multirun

        return multirun(overrides)
    swept = [o for o in overrides if o.lstrip("+~").startswith(("sweep", "launcher"))]
    if not flags and swept:
        kind = "launcher" if swept[0].lstrip("+~").startswith("launcher") else "sweep"
        print(f"lcsim: error: {swept[0]} is not allowed without -m: {kind} settings "
              "apply to a sweep (lcsim run -m ...)", file=sys.stderr)
        return 2
    error = check_overrides(overrides) if not flags else None
    if error:
        print(f"lcsim: error: {error}", file=sys.stderr)
        return 2
    return _launch(rest)


def console_main() -> int:
    """The ``lcsim`` console script: :func:`main`, with Ctrl-C ending in one line.

    An interrupted sweep or analysis keeps its finished batches (status.json
    says ``interrupted``), so the message names the folder override that
    resumes it; exit status 130,
    as a shell gives a command ended by SIGINT.
    """
    from lcsim.console import interrupted_line

    try:
        return main()
    except KeyboardInterrupt:
        print(interrupted_line(), file=sys.stderr)
        return 130


def check_overrides(overrides: list[str], output: str = "run") -> str | None:
    """Compose and validate the config; return a one-line error or None.

    Also checks that Hydra's ``hydra.<output>.dir`` can be created, and that the
    config declares no sweep (an experiment such as ``facilitation_cost`` runs
    with ``-m``).
    """
    from omegaconf import open_dict

    from lcsim.config.compose import compose_config, explain
    from lcsim.config.validate import validate

    try:
        cfg = compose_config(overrides, return_hydra=True)
        folder = str(cfg.hydra[output].dir)
        with open_dict(cfg):
            del cfg["hydra"]
        config = validate(cfg)
    except Exception as error:  # noqa: BLE001 - every failure becomes one line
        return explain(error)
    if config.model != "community":
        return (f"model={config.model} is not allowed in lcsim run: a stand-in for "
                "sensitivity analyses (lcsim sensitivity analysis=ishigami)")
    sweep = config.sweep
    if sweep.parameters or sweep.design == "table" or sweep.adaptive.target:
        source = next((o for o in overrides if o.startswith("experiment=")), "the config")
        return (f"{source} declares a sweep (sweep.*): run it with lcsim run -m "
                + " ".join(overrides))
    return check_folder(f"hydra.{output}.dir", folder)


def check_folder(key: str, folder: str) -> str | None:
    """Whether a results folder could be made here; a one-line error if not.

    Nothing is left behind: the test folder is made in the nearest existing
    ancestor and removed at once.
    """
    path = Path(folder).absolute()
    ancestor = next(p for p in (path, *path.parents) if p.exists())
    try:
        if not ancestor.is_dir():
            raise NotADirectoryError(f"{ancestor} is not a folder")
        Path(tempfile.mkdtemp(prefix=".lcsim-check-", dir=ancestor)).rmdir()
    except OSError as error:
        reason = error.strerror or str(error)
        return f"{key}={folder} is not allowed: a folder lcsim can create ({reason})"
    return None


def _launch(overrides: list[str]) -> int:
    import hydra

    from lcsim.config.compose import config_dir
    from lcsim.config.schema import register_configs

    try:
        path = config_dir()
    except LcsimError as error:
        print(f"lcsim: error: {error}", file=sys.stderr)
        return 2
    register_configs()
    entry = hydra.main(version_base="1.3", config_path=str(path), config_name="config")(
        run_task
    )
    saved = sys.argv
    sys.argv = ["lcsim", *overrides]
    try:
        entry()
    finally:
        sys.argv = saved
    return 0


def run_task(cfg: DictConfig) -> None:
    """One Hydra job: validate, run the replications, write the results."""
    from hydra.core.hydra_config import HydraConfig

    from lcsim.config.compose import explain
    from lcsim.config.validate import validate
    from lcsim.experiment.runner import run_model, run_replications
    from lcsim.experiment.store import write_run
    from lcsim.plotting.figures import write_figures
    from lcsim.plotting.style import figure_options
    from lcsim.report import write_report_logged

    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        config = validate(cfg)
    except LcsimError as error:
        _discard(out)
        print(f"lcsim: error: {explain(error)}", file=sys.stderr)
        sys.exit(2)

    if config.study != COMMUNITY:
        run_docking_study(config, out)
        return
    s = config.scenario
    log.info("lcsim %s: scenario %s, %d replication(s) of %d months, seed %d",
             __version__, s.name, config.replications, s.steps, config.seed)
    started = time.perf_counter()
    result = run_replications(
        config, progress=lambda done, total: log.info("replication %d/%d done", done, total)
    )
    simulated = time.perf_counter() - started

    def figures(folder: Path) -> list[Path]:
        if not config.figures:
            return []
        # The network is not in the tables: replicate 0 is rerun exactly from its seed.
        model = run_model(config, config.seed, replicate=0)
        with figure_options(config.figures_format, config.figures_max_pixels):
            return write_figures(folder, result.timeseries, result.companies,
                                 config.scenario.knowledge_dimensions, model=model)

    started = time.perf_counter()
    write_run(out, config, result, timings={"simulation": simulated}, figures=figures,
              command=["lcsim", "run", *sys.argv[1:]])
    write_report_logged(out)
    overall = result.timeseries
    final = overall[(overall["community"] == "all") & (overall["step"] == s.steps)]
    log.info("productive share at month %d: %.2f (mean of %d); retention %.2f",
             s.steps, final["productive_share"].mean(), len(final), final["retention"].mean())
    log.info("results written to %s (%.1f s simulation, %.1f s files)", out, simulated,
             time.perf_counter() - started)


def run_docking_study(config: LcsimConfig, out: Path) -> None:
    """One Hydra job of a docking study: its tables and figure, then the manifest."""
    from lcsim.docking import run_study

    log.info("lcsim %s: docking study %s, seed %d", __version__, config.study, config.seed)
    started = time.perf_counter()
    files = run_study(config, out, command=["lcsim", "run", *sys.argv[1:]])
    log.info("results written to %s (%.1f s): %s", out, time.perf_counter() - started,
             ", ".join(p.name for p in files))


def _discard(out: Path) -> None:
    """Remove a run directory that holds nothing but Hydra's own files."""
    if not out.is_dir():
        return
    if all(p.name in (".hydra", "lcsim.log") for p in out.iterdir()):
        shutil.rmtree(out, ignore_errors=True)


def parameter_table_command(args: list[str]) -> int:
    """``python -m lcsim.config.table [--check] [PATH]``: refresh docs/ODD.md's table."""
    from lcsim.config.table import (
        ODD_PATH,
        current_block,
        parameter_table_markdown,
        write_table,
    )

    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    path = Path(paths[0]) if paths else ODD_PATH
    try:
        if check:
            text = path.read_text(encoding="utf-8")
            if current_block(text) != parameter_table_markdown():
                print(f"{path}: the parameter table is out of date; run "
                      ".venv/bin/python -m lcsim.config.table", file=sys.stderr)
                return 1
            return 0
        changed = write_table(path)
    except (OSError, LcsimError) as error:
        print(f"lcsim.config.table: error: {error}", file=sys.stderr)
        return 2
    print(f"{path}: parameter table {'updated' if changed else 'already up to date'}")
    return 0

