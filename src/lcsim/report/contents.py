"""What a results directory holds, gathered for its report.

:func:`detect_kind` tells a run, a sweep and a sensitivity analysis apart by
their files; :func:`gather` reads one into a :class:`Report`: its title, the
facts of its config and provenance, the state of its runs, the warnings a
reader must see, and sections of figures (with captions), tables and text.
Nothing here draws or writes: the figures are the PNGs the commands wrote.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lcsim.config.schema import SweepConfig
from lcsim.errors import ResultsError
from lcsim.plotting import figures as run_figures
from lcsim.plotting import sweep_figures

RUN, SWEEP, SENSITIVITY = "run", "sweep", "sensitivity"
MANIFEST = "manifest.json"
#: Most rows of a table in the report; the rest are counted, not shown.
MAX_ROWS = 40
#: Indices shown per outcome, the largest first.
TOP_INDICES = 8

#: Captions of a sensitivity directory's figures, by file name.
SENSITIVITY_CAPTIONS = {
    "indices.png": "Sensitivity indices of each parameter for each outcome at its last "
                   "analysed month, with the method's intervals where it gives them.",
    "morris.png": "Morris screening: mean absolute elementary effect (mu_star) against "
                  "their spread (sigma) per parameter; far right means influential, high "
                  "means non-linear or interacting.",
    "second_order.png": "Second-order Sobol' indices (S2): the share of variance due to "
                        "the interaction of each pair of parameters.",
    "indices_over_time.png": "Sensitivity indices month by month: how the parameters' "
                             "influence on each outcome changes as the communities age.",
    "convergence.png": "Convergence: the indices estimated from growing parts of the "
                       "sample; flat lines mean the base sample size is enough.",
    "discovery_tradeoff.png": "PRIM's peeling trajectory: density against coverage of "
                              "every box, the chosen box circled, the base rate dashed.",
    "discovery_region.png": "The runs on the two most important parameters of the "
                            "reported region, productive or not, with the region's box.",
}


class ReportError(ResultsError):
    """A directory lcsim cannot write a report for."""


@dataclass
class Figure:
    """An image file and its caption."""

    path: Path
    caption: str


@dataclass
class Table:
    """A table and a line saying what it holds."""

    frame: pd.DataFrame
    caption: str


@dataclass
class Section:
    """A heading and its blocks: figures, tables, lines of text, preformatted text."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    preformatted: str = ""


@dataclass
class Report:
    """Everything the page of one results directory says.

    Attributes:
        folder: The results directory.
        kind: ``run``, ``sweep`` or ``sensitivity``.
        title: The experiment, scenario, sweep or analysis, in words.
        question: The experiment's question, from its config file, if any.
        facts: Label and value of the config and provenance.
        status: Lines on how the runs went.
        warnings: What a reader must see before trusting the results.
        sections: Figures, tables and text, in order.
    """

    folder: Path
    kind: str
    title: str
    question: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def detect_kind(folder: Path) -> str:
    """``run``, ``sweep`` or ``sensitivity``, from the files in ``folder``.

    Raises:
        ReportError: The folder is missing, holds no lcsim results, or holds a
            run that has not finished (no ``manifest.json``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder")
    if (folder / "problem.json").is_file() or (folder / "indices.csv").is_file():
        return SENSITIVITY
    if (folder / "sweep.parquet").is_file():
        return SWEEP
    if (folder / "sweep.json").is_file():
        raise ReportError(f"{folder} is an unfinished sweep: it has no sweep.parquet yet "
                          "(run the same command again to finish it)")
    if (folder / "timeseries.parquet").is_file() or (folder / "config.yaml").is_file():
        if not (folder / MANIFEST).is_file():
            raise ReportError(f"{folder} is an unfinished run: it has no {MANIFEST} (the run "
                              "failed or was interrupted)")
        return RUN
    raise ReportError(f"{folder} is not an lcsim results directory: no manifest.json with "
                      "timeseries.parquet (run), sweep.parquet (sweep) or problem.json "
                      "(sensitivity analysis)")


def gather(folder: Path, *, key_outcomes: list[str] | None = None,
           ci_share: float | None = None) -> Report:
    """Read a results directory into a :class:`Report`.

    Args:
        folder: A run, sweep or sensitivity directory.
        key_outcomes, ci_share: The outcomes whose precision is checked and the
            largest CI half-width allowed as a share of the mean (default: a
            run's ``sweep.key_outcomes`` and ``sweep.ci_share`` in its
            ``config.yaml``, else their defaults).
    """
    folder = Path(folder)
    kind = detect_kind(folder)
    defaults = SweepConfig()
    if kind == RUN:
        from omegaconf import OmegaConf

        stored = OmegaConf.to_container(OmegaConf.load(folder / "config.yaml"))
        sweep = stored.get("sweep") or {}
        keys = list(sweep.get("key_outcomes", defaults.key_outcomes)
                    if key_outcomes is None else key_outcomes)
        share = sweep.get("ci_share", defaults.ci_share) if ci_share is None else ci_share
        return _run(folder, keys, share)
    keys = list(defaults.key_outcomes if key_outcomes is None else key_outcomes)
    share = defaults.ci_share if ci_share is None else ci_share
    if kind == SWEEP:
        return _sweep(folder, keys, share)
    return _sensitivity(folder)


# ---------------------------------------------------------------------------
# Shared parts


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _experiment(command: list[str]) -> str | None:
    found = [a.split("=", 1)[1] for a in command if a.startswith("experiment=")]
    return found[0] if found else None


def experiment_question(name: str | None) -> str | None:
    """The ``# Question:`` of an experiment's config file, in one line, if it has one."""
    from lcsim.config.compose import config_dir
    from lcsim.errors import LcsimError

    if not name:
        return None
    try:
        path = config_dir() / "experiment" / f"{name}.yaml"
        lines = path.read_text(encoding="utf-8").splitlines()
    except (LcsimError, OSError):
        return None
    words: list[str] = []
    for line in lines:
        text = line.removeprefix("#").strip()
        if text.startswith("Question:"):
            words.append(text.removeprefix("Question:").strip())
        elif words:
            # The question ends at the next "Word:" heading (a capitalised word,
            # so "2: Morris" in the text does not end it) or at the first setting.
            head = text.split(" ", 1)[0]
            if not line.startswith("#") or (head.endswith(":") and head[:1].isupper()):
                break
            words.append(text)
    question = " ".join(words)
    return question[:1].upper() + question[1:] if question else None


def provenance(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Facts of a manifest: command, versions, git state, Python, timings."""
    if not manifest:
        return [("manifest", "none: the command did not finish")]
    git = manifest.get("git") or {}
    commit = git.get("commit")
    state = ("not a git checkout" if commit is None else
             f"{commit[:12]}{' (uncommitted changes)' if git.get('dirty') else ''}")
    versions = manifest.get("versions", {})
    timings = manifest.get("timings_seconds", {})
    return [
        ("command", " ".join(manifest.get("command", []))),
        ("lcsim", str(versions.get("lcsim", "?"))),
        ("source", state),
        ("packages", ", ".join(f"{k} {v}" for k, v in versions.items() if k != "lcsim")),
        ("Python", str(manifest.get("python", "?"))),
        ("seconds", ", ".join(f"{k} {v:.1f}" for k, v in timings.items())),
    ]


def provenance_warnings(manifest: dict[str, Any]) -> list[str]:
    """Warnings about where the results came from (uncommitted source)."""
    if (manifest.get("git") or {}).get("dirty"):
        return ["The source had uncommitted changes when this ran: the commit named "
                "below does not fully describe the code."]
    return []


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its header."""
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ReportError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _figures(paths: list[Path], captions: Any) -> list[Figure]:
    found = []
    for path in paths:
        text = captions(path.name)
        if path.is_file() and text is not None:
            found.append(Figure(path, text))
    return found


def precision_rows(summary: pd.DataFrame, outcomes: list[str], share: float
                   ) -> pd.DataFrame:
    """Rows of a summary whose 95 % CI half-width exceeds ``share`` of |mean|."""
    rows = summary[summary["outcome"].isin(outcomes)]
    half = (rows["ci95_high"] - rows["ci95_low"]) / 2
    return rows[half > share * rows["mean"].abs()]


def _limited(frame: pd.DataFrame, caption: str) -> Table:
    if len(frame) > MAX_ROWS:
        caption += f" First {MAX_ROWS} of {len(frame)} rows; all in the CSV file."
        frame = frame.head(MAX_ROWS)
    return Table(frame.reset_index(drop=True), caption)


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    return frame


def _text_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def stored_config(folder: Path) -> tuple[dict[str, Any], str, str]:
    """The resolved config of a results directory, as a dict and as YAML text,
    and the file it comes from.

    ``config.yaml`` (a run; a sensitivity analysis), else the config of
    ``sweep.json`` or ``runs/sweep.json`` (a sweep; an analysis written before
    it had a ``config.yaml``), which lacks the execution keys. Empty where
    there is none.
    """
    from omegaconf import OmegaConf

    if (folder / "config.yaml").is_file():
        text = (folder / "config.yaml").read_text(encoding="utf-8")
        return OmegaConf.to_container(OmegaConf.create(text)), text, "config.yaml"
    for path in (folder / "sweep.json", folder / "runs" / "sweep.json"):
        config = _json(path).get("config")
        if config:
            return config, OmegaConf.to_yaml(OmegaConf.create(config)), str(
                path.relative_to(folder))
    return {}, "", ""


def _with_closing_sections(report: Report, folder: Path) -> Report:
    """Add scenario discovery's statements, if any, and the resolved config."""
    statements = _text_lines(folder / "discovery.txt")
    if statements:
        report.sections.append(Section("Scenario discovery", lines=statements))
    section = config_section(folder)
    if section is not None:
        report.sections.append(section)
    return report


def config_section(folder: Path) -> Section | None:
    """The folded config of a results directory (:func:`stored_config`)."""
    _, text, source = stored_config(folder)
    if not text:
        return None
    if source == "config.yaml":
        note = ("The validated config (config.yaml), every key with defaults included; "
                "with the seed above it reproduces the results.")
    else:
        note = (f"The resolved config every run starts from ({source}), without the "
                "execution keys (n_jobs, figures, launcher...), which do not change the "
                "results; each design point's swept values are in design.csv.")
    return Section("Config", lines=[note], preformatted=text)


def scenario_words(config: dict[str, Any]) -> str:
    """The scenario of a config in a few words, or the stand-in model run instead."""
    if config.get("model", "community") != "community":
        return f"none: the stand-in model {config['model']}"
    scenario = config.get("scenario") or {}
    return (f"{scenario.get('name', '?')}: {scenario.get('n_communities', '?')} "
            f"community(ies), {scenario.get('steps', '?')} months")


def replication_counts(table: pd.DataFrame) -> str:
    """The replications per design point of a sweep's runs, ``3`` or ``2/3``."""
    counts = table.groupby("point").size() if len(table) else pd.Series(dtype=int)
    return "/".join(map(str, sorted(set(counts.tolist())))) or "0"


# ---------------------------------------------------------------------------
# A run


def _run(folder: Path, keys: list[str], share: float) -> Report:
    manifest = _json(folder / MANIFEST)
    config, _, _ = stored_config(folder)
    scenario = config["scenario"]
    experiment = _experiment(manifest.get("command", []))
    title = (f"Experiment {experiment}" if experiment else f"Scenario {scenario['name']}")
    report = Report(folder, RUN, f"{title}: {manifest.get('replications', '?')} "
                                 f"replication(s) of {scenario['steps']} months",
                    question=experiment_question(experiment))
    report.facts = [
        ("kind", "run (lcsim run)"),
        ("scenario", scenario_words(config)),
        ("replications", str(manifest.get("replications", "?"))),
        ("seed", str(manifest.get("seed", config.get("seed")))),
        *provenance(manifest),
    ]
    report.warnings += provenance_warnings(manifest)
    summary = pd.read_csv(folder / "summary.csv")
    overall = summary[summary["community"] == "all"]
    n = int(overall["n"].max()) if len(overall) else 0
    report.status.append(f"Complete: {n} replication(s) finished, the manifest written.")
    if n < 2:
        report.warnings.append("Only one replication: no confidence intervals; run more "
                               "(replications=10) before comparing results.")
    else:
        wide = precision_rows(overall, keys, share)
        for row in wide.itertuples():
            half = (row.ci95_high - row.ci95_low) / 2
            report.warnings.append(
                f"{row.outcome} at month {row.step}: mean {row.mean:.3g} +/- {half:.3g} "
                f"(95 % CI) is wider than +/-{100 * share:g} % of the mean; more "
                "replications would narrow it.")
    report.sections.append(Section(
        "Figures", figures=_figures([folder / "figures" / name for name in
                                     run_figures.CAPTIONS], run_figures.CAPTIONS.get)))
    columns = ["outcome", "step", "mean", "sd", "n", "ci95_low", "ci95_high"]
    report.sections.append(Section("Results at the final month", tables=[Table(
        _rounded(overall[columns]), "All communities together: mean, SD, n and 95 % "
        "t-interval over replications (summary.csv).")]))
    section = config_section(folder)
    if section is not None:
        report.sections.append(section)
    return report


# ---------------------------------------------------------------------------
# A sweep


def _sweep(folder: Path, keys: list[str], share: float) -> Report:
    manifest = _json(folder / MANIFEST)
    status = _json(folder / "status.json")
    design = pd.read_csv(folder / "design.csv")
    parameters = [c for c in design.columns if c != "point"]
    identity = _json(folder / "sweep.json")
    config = identity.get("config", {})
    experiment = _experiment(manifest.get("command", []))
    title = f"Experiment {experiment}" if experiment else "Sweep over " + " x ".join(
        parameters)
    report = Report(folder, SWEEP, title, question=experiment_question(experiment))
    table = pd.read_parquet(folder / "sweep.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    report.facts = [
        ("kind", "sweep (lcsim run -m)"),
        ("design", f"{manifest.get('design', (config.get('sweep') or {}).get('design', '?'))}"
                   f": {len(design)} point(s) over {', '.join(parameters)}"),
        ("replications", replication_counts(table)),
        ("seed", str(manifest.get("seed", config.get("seed", "?")))),
        ("common random numbers", str(manifest.get("common_random_numbers", "?"))),
        *provenance(manifest),
    ]
    report.warnings += provenance_warnings(manifest)

    # Run status: done, failed, missing.
    failed = sorted(p.stem for p in (folder / "failed").glob("*.log"))
    runs = status.get("runs", len(table))
    report.status.append(f"State {status.get('state', '?')}: {len(table)} of {runs} run(s) "
                         f"finished, {len(failed)} failed.")
    if failed:
        shown = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if
                                          len(failed) > 10 else "")
        report.warnings.append(f"{len(failed)} run(s) failed ({shown}); tracebacks in "
                               f"{folder / 'failed'}/. Their points lack replications: "
                               "run the same command again to retry them.")
    if not manifest:
        report.warnings.append("The sweep is not complete (no manifest.json): the tables "
                               "hold only the runs that finished.")
    wide = precision_rows(summary, keys, share)
    if len(wide):
        first = wide.iloc[0]
        half = (first["ci95_high"] - first["ci95_low"]) / 2
        count = int(summary["outcome"].isin(keys).sum())
        report.warnings.append(
            f"{len(wide)} of {count} key-outcome intervals are wider than +/-{100 * share:g} "
            f"% of their mean (e.g. point {int(first['point'])} {first['outcome']}: "
            f"{first['mean']:.3g} +/- {half:.3g}); more replications would narrow them.")
    precision = folder / "precision.csv"
    if precision.is_file():
        frame = pd.read_csv(precision)
        stopped = frame.groupby("point")["stopped_by"].first()
        report.status.append(f"Adaptive replications: {int((stopped == 'target').sum())} of "
                             f"{len(stopped)} point(s) reached the target.")
        if (stopped != "target").any():
            report.warnings.append(f"{int((stopped != 'target').sum())} point(s) stopped at "
                                   "the replication budget before reaching the precision "
                                   "target (precision.csv).")

    figures = _figures(sorted((folder / "figures").glob("*.png")), sweep_figures.caption)
    section = Section("Figures", figures=figures)
    if not figures:
        section.lines.append("No figures: a sweep's heatmaps need two swept parameters "
                             "and figures=true.")
    report.sections.append(section)
    shown = summary[summary["outcome"].isin(keys)]
    columns = ["point", *parameters, "outcome", "mean", "sd", "n", "ci95_low", "ci95_high"]
    report.sections.append(Section("Results per point", tables=[_limited(
        _rounded(shown[[c for c in columns if c in shown.columns]]),
        "Key outcomes at the final month per design point: mean, SD, n and 95 % "
        "t-interval over replications (summary.csv).")]))
    return _with_closing_sections(report, folder)


# ---------------------------------------------------------------------------
# A sensitivity analysis


def top_indices(indices: pd.DataFrame, top: int = TOP_INDICES) -> pd.DataFrame:
    """The largest indices of each outcome and index kind at its last analysed month."""
    single = indices[indices["parameter_2"].isna()] if "parameter_2" in indices else indices
    rows = []
    for (_, kind), group in single.groupby(["outcome", "index"], sort=False):
        last = group["step"].max()
        if not pd.isna(last):
            group = group[group["step"] == last]
        rows.append(group.sort_values("value", ascending=False).head(top))
        del kind
    if not rows:
        return single.head(0)
    return pd.concat(rows, ignore_index=True)


def wide_indices(indices: pd.DataFrame) -> pd.DataFrame:
    """Indices whose interval the analysis marked wide (``indices.csv``'s ``wide``).

    None for an analysis written before that column existed.
    """
    if "wide" not in indices.columns:
        return indices.head(0)
    return indices[indices["wide"].astype("boolean").fillna(False).astype(bool)]


def noisy_outcomes(noise: pd.DataFrame, limit: float) -> pd.DataFrame:
    """Outcome-months whose replication noise share exceeds ``limit`` (0: none)."""
    if limit == 0:
        return noise.head(0)
    return noise[noise["noise_share"] > limit]


def _ranges(parameters: list[dict[str, Any]]) -> list[str]:
    return [f"{p['name']} in {p['values']}" if p.get("values") is not None
            else f"{p['name']} from {p['low']:g} to {p['high']:g}" for p in parameters]


def _sensitivity(folder: Path) -> Report:
    manifest = _json(folder / MANIFEST)
    problem = _json(folder / "problem.json")
    status = _json(folder / "runs" / "status.json")
    method = problem.get("method", manifest.get("method", "?"))
    names = manifest.get("parameters") or [p.get("name", "?") for p in
                                           problem.get("parameters", [])]
    experiment = _experiment(manifest.get("command", []))
    design = f"{method} over {len(names)} parameter(s)"
    title = (f"Experiment {experiment}: {design}" if experiment
             else f"Which parameters drive the outcomes: {design}")
    report = Report(folder, SENSITIVITY, title, question=experiment_question(experiment))
    config, _, _ = stored_config(folder)
    runs = folder / "runs" / "sweep.parquet"
    replications = (replication_counts(pd.read_parquet(runs, columns=["point"]))
                    if runs.is_file() else str(config.get("replications", "?")))
    seed = manifest.get("seed", config.get("seed", "?"))
    sampler = problem.get("seed", seed)
    report.facts = [
        ("kind", "sensitivity analysis (lcsim sensitivity)"),
        ("scenario", scenario_words(config) if config else "?"),
        ("replications", f"{replications} per sample row"),
        ("seed", str(seed) + ("" if sampler == seed else
                              f"; the sample drawn with analysis.sampler_seed={sampler}")),
        ("method", f"{method}, n={problem.get('n', manifest.get('n', '?'))}"),
        ("parameters", "; ".join(_ranges(problem.get("parameters", []))) or ", ".join(names)),
        ("outcomes", ", ".join(problem.get("outcomes", []))),
        ("months", ", ".join(map(str, problem.get("steps", []))) or "none (stand-in)"),
        ("runs", str(manifest.get("runs", status.get("runs", "?")))),
        ("intervals", str(problem.get("interval", manifest.get("interval", "?")))),
        *provenance(manifest),
    ]
    report.warnings += provenance_warnings(manifest)
    if status:
        report.status.append(f"Runs: {status.get('done', '?')} of {status.get('runs', '?')} "
                             f"finished, {status.get('failed', 0)} failed "
                             f"(state {status.get('state', '?')}).")
    if status.get("failed"):
        report.warnings.append(f"{status['failed']} run(s) failed; the analysis needs every "
                               "run: run the same command again to retry them.")
    indices_file = folder / "indices.csv"
    if not indices_file.is_file() or not manifest:
        report.warnings.append("The analysis did not finish: no indices.csv or no "
                               "manifest.json.")
    report.sections.append(Section("Figures", figures=_figures(
        [folder / name for name in SENSITIVITY_CAPTIONS], SENSITIVITY_CAPTIONS.get)))
    if indices_file.is_file():
        indices = pd.read_csv(indices_file)
        missing = indices[indices["value"].isna()]
        if len(missing):
            report.warnings.append(
                f"{len(missing)} of {len(indices)} indices have no value (NaN), e.g. "
                f"{missing.iloc[0]['index']} of {missing.iloc[0]['parameter']} for "
                f"{missing.iloc[0]['outcome']}: the sample is too small for "
                f"{method} (raise analysis.n).")
        wide = wide_indices(indices)
        if len(wide):
            first = wide.iloc[0]
            month = "" if pd.isna(first["step"]) else f" at month {int(first['step'])}"
            report.warnings.append(
                f"{len(wide)} of {int(indices['ci_low'].notna().sum())} intervals are wide "
                f"(half-width above analysis.wide_interval="
                f"{problem.get('wide_interval', '?')} x the largest value of their index), "
                f"e.g. {first['index']} of {first['parameter']} for {first['outcome']}"
                f"{month}: {first['value']:.3g}, interval {first['ci_low']:.3g} to "
                f"{first['ci_high']:.3g}; a larger analysis.n, more replications or "
                "analysis.repeats would narrow them.")
    noise_file = folder / "noise.csv"
    if noise_file.is_file():
        noisy = noisy_outcomes(pd.read_csv(noise_file), problem.get("noise_warning", 0.1))
        if len(noisy):
            shown = "; ".join(
                f"{row.outcome}{'' if pd.isna(row.step) else f' at month {int(row.step)}'} "
                f"{100 * row.noise_share:.0f} %" for row in noisy.head(6).itertuples())
            more = f" and {len(noisy) - 6} more" if len(noisy) > 6 else ""
            report.warnings.append(
                f"Replication noise is a large share of the variance of the sample rows' "
                f"means (above analysis.noise_warning={problem.get('noise_warning', 0.1)}): "
                f"{shown}{more}; those indices partly describe noise, and more "
                "replications would lower it.")
    if indices_file.is_file():
        columns = ["outcome", "step", "index", "parameter", "value", "ci_low", "ci_high",
                   "interval"]
        top = top_indices(indices)
        report.sections.append(Section("Sensitivity indices", tables=[_limited(
            _rounded(top[[c for c in columns if c in top.columns]]),
            f"The {TOP_INDICES} largest indices of each outcome and kind at its last "
            "analysed month (indices.csv holds every month and parameter).")]))
    return _with_closing_sections(report, folder)
