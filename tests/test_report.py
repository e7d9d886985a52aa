"""The report and the figures: what report.html says, what the figures hold, batch safety.

Results come from the real commands on the tiny scenario (a run, a sweep, a
sweep with a failing run, a sensitivity analysis with scenario discovery).
The page is checked by parsing it and, at the end, in headless Chromium: the
``chromium`` fixture runs ``scripts/browser-up`` (installs Debian's chromium
as root when it is missing) and skips, saying why, only where it cannot be had
here; under CI (``CI`` set) a browser that cannot be had fails the test.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

import lcsim.report as report_module
from lcsim.cli import check_overrides, main
from lcsim.config.schema import DiscoveryConfig
from lcsim.plotting import figures as run_figures
from lcsim.plotting import plt
from lcsim.plotting.style import DPI, figure_options, save_figure
from lcsim.plotting.sweep_figures import (
    CAPTIONS as SWEEP_CAPTIONS,
)
from lcsim.plotting.sweep_figures import (
    cell_statistics,
    productive_runs,
    regime_cells,
)
from lcsim.report import REPORT, contents, detect_kind, write_report
from lcsim.report.contents import SENSITIVITY_CAPTIONS, Report, png_size
from lcsim.report.page import render

ROOT = Path(__file__).resolve().parents[1]
GRID = ["scenario=tiny", "scenario.steps=12", "trust.loss=0.1,0.3",
        "facilitation.capacity=0,5,10", "replications=3", "n_jobs=1"]
SENSITIVITY = ["analysis=discovery", "analysis.n=16", "scenario=tiny", "scenario.steps=12",
               "analysis.steps=[12]", "replications=2", "n_jobs=1",
               "analysis.discovery.outcome=tie_density", "analysis.discovery.threshold=0.85",
               "analysis.discovery.mass_min=0.15"]
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class Page(HTMLParser):
    """The parts of report.html the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.captions: list[str] = []
        self.warnings: list[str] = []
        self._caption = self._warning = False
        self._in_warnings = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "figcaption":
            self._caption, self.captions = True, [*self.captions, ""]
        if tag == "section" and "warnings" in attrs.get("class", ""):
            self._in_warnings = 1
        if tag == "li" and self._in_warnings:
            self._warning, self.warnings = True, [*self.warnings, ""]

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._caption = False
        if tag == "li":
            self._warning = False
        if tag == "section":
            self._in_warnings = 0

    def handle_data(self, data):
        if self._caption:
            self.captions[-1] += data
        if self._warning:
            self.warnings[-1] += data

    def images(self) -> list[str]:
        return [attrs.get("src", "") for tag, attrs in self.tags if tag == "img"]


def page_of(folder: Path) -> tuple[str, Page]:
    text = (folder / REPORT).read_text(encoding="utf-8")
    return text, Page(text)


def assert_self_contained(text: str, page: Page) -> None:
    """Figures as data URIs; no script, style sheet or anything else to fetch."""
    assert page.images(), "the report embeds no figure"
    for src in page.images():
        assert src.startswith("data:image/png;base64,"), src[:60]
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for name in ("src", "href", "action"):
            value = attrs.get(name, "")
            assert not value.startswith(("http", "//", "ftp")), f"<{tag} {name}={value[:60]}>"
    assert "url(" not in text and "@import" not in text


# ---------------------------------------------------------------------------
# Results from the real commands


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "run"
    assert main(["run", "scenario=tiny", "replications=2", "n_jobs=1", "seed=3",
                 f"hydra.run.dir={folder}"]) == 0
    return folder


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> tuple[Path, int]:
    """A 2 x 3 grid sweep, and how many times the command wrote a report."""
    folder = tmp_path_factory.mktemp("report") / "sweep"
    calls = []
    real = report_module.write_report

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "write_report", counted)
        assert main(["run", "-m", *GRID, f"hydra.sweep.dir={folder}"]) == 0
    return folder, len(calls)


@pytest.fixture(scope="module")
def ishigami_dir(tmp_path_factory) -> Path:
    """Sobol' indices of the Ishigami stand-in: known values, bootstrap intervals."""
    folder = tmp_path_factory.mktemp("report") / "ishigami"
    assert main(["sensitivity", "analysis=ishigami", "analysis.n=64",
                 f"hydra.run.dir={folder}"]) == 0
    return folder


@pytest.fixture(scope="module")
def sensitivity_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "sensitivity"
    assert main(["sensitivity", *SENSITIVITY, f"hydra.run.dir={folder}"]) == 0
    return folder


# ---------------------------------------------------------------------------
# Kinds and one-line errors


def test_kinds_are_told_apart_by_their_files(run_dir, sweep_dir, sensitivity_dir):
    assert detect_kind(run_dir) == "run"
    assert detect_kind(sweep_dir[0]) == "sweep"
    assert detect_kind(sensitivity_dir) == "sensitivity"
    # The runs of an analysis are a sweep of their own.
    assert detect_kind(sensitivity_dir / "runs") == "sweep"


@pytest.mark.parametrize("case, words", [
    ("missing", "is not a folder"),
    ("empty", "is not an lcsim results directory"),
    ("unfinished", "is an unfinished run: it has no manifest.json"),
])
def test_report_command_refuses_in_one_line(tmp_path, run_dir, capsys, case, words):
    folder = tmp_path / case
    if case == "empty":
        folder.mkdir()
    if case == "unfinished":
        shutil.copytree(run_dir, folder)
        (folder / "manifest.json").unlink()
        (folder / REPORT).unlink()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lcsim: error: ") and words in err[0]
    assert not (folder / REPORT).exists()


def test_report_command_rewrites_the_page(run_dir, capsys):
    (run_dir / REPORT).unlink()
    assert main(["report", str(run_dir)]) == 0
    assert f"report written to {run_dir / REPORT}" in capsys.readouterr().err
    assert (run_dir / REPORT).is_file()


# ---------------------------------------------------------------------------
# The page of a run


def test_run_report_embeds_every_figure_with_its_caption(run_dir):
    text, page = page_of(run_dir)
    assert_self_contained(text, page)
    figures = [run_dir / "figures" / name for name in run_figures.CAPTIONS]
    assert all(p.is_file() for p in figures)
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in page.images()]
    assert embedded == [p.read_bytes() for p in figures]
    for name, caption in run_figures.CAPTIONS.items():
        assert any(caption in c and name in c for c in page.captions), name
    assert "<title>Scenario tiny: 2 replication(s) of 12 months</title>" in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert " ".join(manifest["command"]) in text
    assert "Show the resolved config" in text and "participation_cost" in text


def test_run_report_shows_the_intervals_that_are_too_wide(run_dir):
    _, page = page_of(run_dir)
    summary = pd.read_csv(run_dir / "summary.csv").query("community == 'all'")
    keys = summary[summary["outcome"].isin(["productive_share", "retention",
                                            "knowledge_mean"])]
    half = (keys["ci95_high"] - keys["ci95_low"]) / 2
    wide = keys[half > 0.1 * keys["mean"].abs()]
    assert len(wide)  # two replications of the tiny scenario are never precise
    for row in wide.itertuples():
        assert any(w.startswith(f"{row.outcome} at month {row.step}: mean {row.mean:.3g}")
                   for w in page.warnings), row.outcome


def test_figures_larger_than_the_cap_are_left_out_and_named(run_dir, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    write_report(folder, max_pixels=1000)
    _, page = page_of(folder)
    # outcomes_over_time.png is 1440 pixels wide, the others at most 1080.
    assert any("outcomes_over_time.png is 1440 x 780 pixels" in w for w in page.warnings)
    assert len(page.images()) == len(run_figures.CAPTIONS) - 2


def test_a_run_with_a_small_cap_writes_every_figure_within_it(tmp_path):
    folder = tmp_path / "capped"
    assert main(["run", "scenario=tiny", "scenario.steps=6", "replications=2", "n_jobs=1",
                 "figures_max_pixels=400", f"hydra.run.dir={folder}"]) == 0
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    written = sorted(name for name in manifest["files"] if name.endswith(".png"))
    assert written == sorted(f"figures/{name}" for name in run_figures.CAPTIONS)
    sizes = {name: png_size(folder / name) for name in written}
    assert all(0 < side <= 400 for size in sizes.values() for side in size), sizes
    # outcomes_over_time.png is 1440 x 780 at 120 dpi: its width meets the cap.
    assert sizes["figures/outcomes_over_time.png"][0] == 400
    _, page = page_of(folder)
    assert len(page.images()) == len(written)
    assert not any("left out" in w for w in page.warnings)


def test_network_snapshot_is_the_largest_community_at_the_final_month(tiny):
    from lcsim.experiment.runner import run_model, simulate

    model = run_model(tiny, 5)
    name, nodes, edges = run_figures.network_snapshot(model)
    final = simulate(tiny, 5).timeseries.query("step == step.max() and community != 'all'")
    largest = final.sort_values("active_members", ascending=False, kind="stable").iloc[0]
    assert name == largest["community"]
    assert len(nodes) == largest["active_members"]
    n = len(nodes)
    assert len(edges) == round(largest["tie_density"] * n * (n - 1) / 2)
    assert set(edges["a"]) | set(edges["b"]) <= set(nodes["member"])
    commitment = model.members["commitment"][nodes["member"].to_numpy()]
    assert np.array_equal(nodes["commitment"].to_numpy(), commitment)
    assert nodes["knowledge"].between(0, 1).all() and nodes["institution"].sum() >= 1


# ---------------------------------------------------------------------------
# A sweep: heatmaps, regime map, warnings


def test_a_sweep_writes_its_report_once_at_the_end(sweep_dir):
    folder, calls = sweep_dir
    assert calls == 1 and (folder / REPORT).is_file()
    assert REPORT not in json.loads((folder / "manifest.json").read_text())["files"]
    names = sorted(p.name for p in (folder / "figures").glob("*.png"))
    assert names == ["heatmap_knowledge_mean.png", "heatmap_productive_share.png",
                     "heatmap_retention.png", "regime_map.png"]


def test_heatmap_cells_are_the_summary_means_and_ci_widths(sweep_dir):
    folder, _ = sweep_dir
    table = pd.read_parquet(folder / "sweep.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    for outcome in ("retention", "knowledge_mean"):
        cells = cell_statistics(table, "trust.loss", "facilitation.capacity", outcome)
        rows = summary[summary["outcome"] == outcome]
        joined = cells.merge(rows, left_on=["x", "y"],
                             right_on=["trust.loss", "facilitation.capacity"])
        assert len(joined) == len(cells) == 6
        np.testing.assert_allclose(joined["mean_x"], joined["mean_y"], rtol=1e-12)
        np.testing.assert_allclose(joined["width"],
                                   joined["ci95_high_y"] - joined["ci95_low_y"], rtol=1e-12)


def test_regime_map_shares_are_the_productive_runs_counted(sweep_dir):
    folder, _ = sweep_dir
    table = pd.read_parquet(folder / "sweep.parquet")
    # A threshold at the median gives shares strictly between 0 and 1 somewhere.
    settings = DiscoveryConfig(outcome="knowledge_mean",
                               threshold=float(table["knowledge_mean"].median()))
    cells = regime_cells(table, "trust.loss", "facilitation.capacity",
                         productive_runs(table, settings))
    counted = (table["knowledge_mean"] >= settings.threshold).groupby(
        [table["trust.loss"], table["facilitation.capacity"]]).agg(["mean", "size"])
    for row in cells.itertuples():
        assert row.share == counted.loc[(row.x, row.y), "mean"]
        assert row.runs == counted.loc[(row.x, row.y), "size"] == 3
    assert cells["share"].between(0, 1, inclusive="neither").any()


def test_sweep_report_shows_figures_tables_and_precision_warning(sweep_dir):
    folder, _ = sweep_dir
    text, page = page_of(folder)
    assert_self_contained(text, page)
    assert len(page.images()) == 4
    assert sum(SWEEP_CAPTIONS["heatmap_*.png"] in c for c in page.captions) == 3
    assert any(SWEEP_CAPTIONS["regime_map.png"] in c for c in page.captions)
    assert "Sweep over trust.loss x facilitation.capacity" in text
    assert any("key-outcome intervals are wider than +/-10 %" in w for w in page.warnings)
    assert "State complete: 18 of 18 run(s) finished, 0 failed." in text


def test_a_sweep_with_failed_runs_gets_a_report_that_says_so(tmp_path, monkeypatch):
    import lcsim.sweep.executor as executor

    real = executor.final_outcomes

    def flaky(config, seed, *, replicate):
        if config.trust.loss == 0.3 and replicate == 1:
            raise ZeroDivisionError("a model bug")
        return real(config, seed, replicate=replicate)

    monkeypatch.setattr(executor, "final_outcomes", flaky)
    folder = tmp_path / "flaky"
    grid = ["scenario=tiny", "scenario.steps=6", "trust.loss=0.1,0.3", "replications=2",
            "n_jobs=1", "figures=false"]
    assert main(["run", "-m", *grid, f"hydra.sweep.dir={folder}"]) == 1
    text, page = page_of(folder)
    failed = sorted(p.stem for p in (folder / "failed").glob("*.log"))
    assert len(failed) == 1
    assert any(w.startswith(f"1 run(s) failed ({failed[0]})") for w in page.warnings)
    assert any("not complete (no manifest.json)" in w for w in page.warnings)
    assert "3 of 4 run(s) finished, 1 failed" in text
    assert not page.images() and "No figures" in text


# ---------------------------------------------------------------------------
# A sensitivity analysis


def test_sensitivity_report_has_indices_figures_and_discovery(sensitivity_dir):
    folder = sensitivity_dir
    text, page = page_of(folder)
    assert_self_contained(text, page)
    present = [name for name in SENSITIVITY_CAPTIONS if (folder / name).is_file()]
    assert "indices.png" in present and "discovery_tradeoff.png" in present
    assert len(page.images()) == len(present)
    for name in present:
        assert any(SENSITIVITY_CAPTIONS[name] in c for c in page.captions), name
    for line in (folder / "discovery.txt").read_text(encoding="utf-8").splitlines():
        assert line.replace("≥", "&ge;") in text or line in text
    assert "Which parameters drive the outcomes: delta over 4 parameter(s)" in text
    # A delta analysis of 16 rows gives no values: the page says so.
    indices = pd.read_csv(folder / "indices.csv")
    assert indices["value"].isna().all()
    assert any(w.startswith(f"{len(indices)} of {len(indices)} indices have no value")
               for w in page.warnings)
    # The tiny scenario's replicates differ more than its sample rows: noise warned of.
    noise = pd.read_csv(folder / "noise.csv")
    noisy = noise[noise["noise_share"] > 0.1]
    assert len(noisy)
    first = noisy.iloc[0]
    warning = [w for w in page.warnings if w.startswith("Replication noise is a large share")]
    assert len(warning) == 1
    assert (f"{first['outcome']} at month {first['step']} {100 * first['noise_share']:.0f} %"
            in warning[0])


def fact(text: str, label: str) -> str:
    """The value of one row of the page's config and provenance table."""
    head = f"<tr><th>{label}</th><td>"
    assert head in text, label
    return html.unescape(text.split(head, 1)[1].split("</td>", 1)[0])


def folded_config(text: str) -> str:
    """The config shown folded at the end of the page."""
    assert text.count("<summary>Show the resolved config</summary>") == 1
    return html.unescape(text.split("<summary>Show the resolved config</summary><pre>")[1]
                         .split("</pre>")[0])


def test_sensitivity_report_gives_seed_scenario_replications_and_config(sensitivity_dir):
    text, _ = page_of(sensitivity_dir)
    stored = (sensitivity_dir / "config.yaml").read_text(encoding="utf-8")
    config = OmegaConf.load(sensitivity_dir / "config.yaml")
    manifest = json.loads((sensitivity_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "config.yaml" in manifest["files"]
    # The config as analysed: the overrides of SENSITIVITY and the default seed.
    assert config.seed == manifest["seed"] == 20221001
    assert (config.scenario.name, config.scenario.steps, config.replications) == ("tiny", 12, 2)
    assert config.analysis.method == "delta" and config.analysis.n == 16
    assert fact(text, "seed") == "20221001"
    assert fact(text, "scenario") == (f"tiny: {config.scenario.n_communities} "
                                      "community(ies), 12 months")
    assert fact(text, "replications") == "2 per sample row"
    assert folded_config(text) == stored
    assert "\nanalysis:\n  method: delta\n" in stored
    assert "    outcome: tie_density\n    threshold: 0.85\n" in stored


def test_a_sensitivity_report_names_a_sampler_seed_of_its_own(ishigami_dir, tmp_path):
    folder = tmp_path / "sampler_seed"
    assert main(["sensitivity", "analysis=ishigami", "analysis.n=8", "seed=5",
                 "analysis.sampler_seed=7", "figures=false",
                 f"hydra.run.dir={folder}"]) == 0
    text, _ = page_of(folder)
    assert fact(text, "seed") == "5; the sample drawn with analysis.sampler_seed=7"
    # Without one, the sample is drawn with the seed, said once.
    text, _ = page_of(ishigami_dir)
    assert fact(text, "seed") == "20221001"
    assert fact(text, "scenario") == "none: the stand-in model ishigami"
    assert fact(text, "replications") == "1 per sample row"
    assert folded_config(text).startswith("model: ishigami\n")


def test_sweep_report_shows_its_resolved_config(sweep_dir):
    folder, _ = sweep_dir
    text, _ = page_of(folder)
    identity = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    shown = folded_config(text)
    assert shown == OmegaConf.to_yaml(OmegaConf.create(identity["config"]))
    assert "\nseed: 20221001\n" in shown and "  steps: 12\n" in shown
    assert "\nn_jobs:" not in shown  # an execution key, left out of sweep.json
    assert "The resolved config every run starts from (sweep.json)" in text


@pytest.mark.parametrize("kind, checked, not_said", [
    (contents.RUN, "every replication finished and the key outcomes' intervals", "index"),
    (contents.SWEEP, "every run finished and the key outcomes' intervals", "index"),
    (contents.SENSITIVITY, "every run finished, every index has a value, no interval is wide "
                  "(analysis.wide_interval) and replication noise is below "
                  "analysis.noise_warning", "key outcomes"),
])
def test_a_report_without_warnings_says_what_was_checked(tmp_path, kind, checked, not_said):
    text = render(Report(tmp_path, kind, "A report"))
    ok = text.split('<section class="ok" id="warnings"><p>')[1].split("</p>")[0]
    assert html.unescape(ok).startswith(f"No warnings: {checked}")
    assert not_said not in ok


def test_sensitivity_report_tables_the_largest_indices_and_wide_intervals(ishigami_dir):
    text, page = page_of(ishigami_dir)
    assert_self_contained(text, page)
    indices = pd.read_csv(ishigami_dir / "indices.csv")
    first = indices[(indices["index"] == "S1") & indices["parameter_2"].isna()]
    top = first.sort_values("value", ascending=False).iloc[0]
    # The Ishigami function's largest first-order index is x2's (0.44) or x1's (0.31).
    assert top["parameter"] in ("ishigami.x1", "ishigami.x2")
    row = (f'<tr><td>y</td><td></td><td>S1</td><td>{top["parameter"]}</td>'
           f'<td class="num">{top["value"]:.4g}</td>')
    assert row in text
    # The page warns of exactly the intervals indices.csv marks wide.
    wide = indices[indices["wide"].fillna(False).astype(bool)]
    assert len(wide)
    assert any(w.startswith(f"{len(wide)} of {indices['ci_low'].notna().sum()} intervals "
                            "are wide (half-width above analysis.wide_interval=0.1")
               for w in page.warnings)


# ---------------------------------------------------------------------------
# Figures: size cap, formats, none left open


def test_a_figure_larger_than_the_cap_is_written_smaller_and_closed(tmp_path, caplog):
    # 50 x 4 inches are 6000 x 480 pixels at 120 dpi: written at 80 dpi instead.
    fig, _ = plt.subplots(figsize=(50, 4))
    with caplog.at_level("INFO", logger="lcsim.plotting.style"):
        save_figure(fig, tmp_path / "wide.png")
    assert png_size(tmp_path / "wide.png") == (4000, 320)
    assert "wide.png: 6000 x 480 pixels at 120 dpi is above figures_max_pixels=4000; " \
        "written at 80.0 dpi, 4000 x 320 pixels" in caplog.text
    assert plt.get_fignums() == []
    # A figure within the cap keeps the full resolution.
    fig, _ = plt.subplots(figsize=(5, 3))
    save_figure(fig, tmp_path / "small.png", max_pixels=600)
    assert png_size(tmp_path / "small.png") == (5 * DPI, 3 * DPI)
    # A tall figure fits by its height; the vector copy is written too.
    with figure_options("svg", 300):
        fig, _ = plt.subplots(figsize=(3.3, 7.7))
        save_figure(fig, tmp_path / "tall.png")
    width, height = png_size(tmp_path / "tall.png")
    assert height <= 300 and height >= 299 and abs(width / height - 3.3 / 7.7) < 0.01
    assert (tmp_path / "tall.svg").is_file()


def test_a_vector_copy_is_written_on_request(tmp_path):
    with figure_options("svg", 2000):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1])
        save_figure(fig, tmp_path / "line.png")
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"][0] == "#0072B2"
    assert (tmp_path / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "line.svg").read_text(encoding="utf-8")[:1000]


def test_the_config_keys_of_figures_are_checked():
    error = check_overrides(["scenario=tiny", "figures_format=gif"])
    assert error and error.startswith("figures_format='gif' is not allowed")
    error = check_overrides(["scenario=tiny", "figures_max_pixels=50"])
    assert error and error.startswith("figures_max_pixels=50 is not allowed")


def test_no_figure_is_left_open_after_a_thousand(tmp_path):
    for i in range(1000):
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.plot([0, i])
        save_figure(fig, tmp_path / "many.png")
    assert plt.get_fignums() == []


# ---------------------------------------------------------------------------
# In a real browser


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless Chromium, installed by scripts/browser-up if need be."""
    try:
        up = subprocess.run([str(ROOT / "scripts" / "browser-up")], capture_output=True,
                            text=True, timeout=900)
    except subprocess.TimeoutExpired:
        up = subprocess.CompletedProcess([], 1, "", "scripts/browser-up took over 900 s")
    reason = (up.stderr.strip().splitlines() or [f"exit {up.returncode}"])[-1]
    if up.returncode:
        message = f"no headless Chromium here (scripts/browser-up exit {up.returncode}): {reason}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return up.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def playwright_api():
    if os.environ.get("CI"):
        import playwright.sync_api as api
    else:
        api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    return api


def open_in_chromium(api, chromium: str, page_file: Path, shot: Path
                     ) -> tuple[list[str], list[str], list[list]]:
    """Open a page from disk; its errors, requests off the disk, and its images.

    Errors are console messages of type error, page errors and failed
    requests; any request that is neither ``file:`` nor ``data:`` is recorded
    and blocked. A full-page screenshot is saved as ``shot``.
    """
    errors: list[str] = []
    outside: list[str] = []
    with api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=BROWSER_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(f"console: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url[:80]}"))

            def guard(route):
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.alt, e.complete, e.naturalWidth])")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return errors, outside, images


@pytest.mark.parametrize("kind", ["run", "sweep", "sensitivity"])
def test_the_report_opens_in_chromium_without_errors(kind, request, chromium, playwright_api,
                                                     tmp_path):
    folder = {"run": lambda: request.getfixturevalue("run_dir"),
              "sweep": lambda: request.getfixturevalue("sweep_dir")[0],
              "sensitivity": lambda: request.getfixturevalue("sensitivity_dir")}[kind]()
    shot = tmp_path / f"report-{kind}.png"
    errors, outside, images = open_in_chromium(playwright_api, chromium, folder / REPORT,
                                               shot)
    print(f"screenshot of the {kind} report: {shot}")
    assert shot.stat().st_size > 10_000
    assert images and all(complete and width > 0 for _, complete, width in images), images
    assert outside == [], outside
    assert errors == [], errors


def test_the_browser_check_catches_a_broken_page(chromium, playwright_api, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><img alt="gone" src="missing.png">'
                      '<img alt="remote" src="http://127.0.0.1:9/x.png">'
                      "<script>console.error('bad')</script></body></html>",
                      encoding="utf-8")
    errors, outside, images = open_in_chromium(playwright_api, chromium, broken,
                                               tmp_path / "broken-shot.png")
    assert outside == ["http://127.0.0.1:9/x.png"]
    assert "console: bad" in errors
    assert any(e.startswith("failed: file:") and "missing.png" in e for e in errors)
    assert [width for _, _, width in images] == [0, 0]


def test_every_figure_with_a_caption_is_in_the_data_dictionary():
    documented = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    names = [f"figures/{name}" for name in run_figures.CAPTIONS]
    names += [f"figures/{name.replace('*', 'OUTCOME')}" for name in SWEEP_CAPTIONS]
    names += list(SENSITIVITY_CAPTIONS)[:1] + ["report.html"]
    missing = [name for name in names if f"`{name}`" not in documented]
    assert not missing, f"figures missing from docs/outputs.md: {missing}"


def test_a_run_with_svg_figures_lists_them_and_embeds_the_pngs(tmp_path):
    folder = tmp_path / "svg"
    assert main(["run", "scenario=tiny", "scenario.steps=6", "replications=2", "n_jobs=1",
                 "figures_format=svg", f"hydra.run.dir={folder}"]) == 0
    files = json.loads((folder / "manifest.json").read_text())["files"]
    for name in run_figures.CAPTIONS:
        svg = f"figures/{name.removesuffix('.png')}.svg"
        assert f"figures/{name}" in files and svg in files
        assert "<svg" in (folder / svg).read_text(encoding="utf-8")[:1000]
    _, page = page_of(folder)
    assert len(page.images()) == len(run_figures.CAPTIONS)


def test_an_experiment_report_asks_its_question(tmp_path):
    folder = tmp_path / "no_facilitation"
    assert main(["run", "experiment=no_facilitation", "scenario=tiny", "replications=2",
                 "n_jobs=1", "figures=false", f"hydra.run.dir={folder}"]) == 0
    text, _ = page_of(folder)
    assert "<title>Experiment no_facilitation: 2 replication(s) of 12 months</title>" in text
    assert ("<strong>Question:</strong> Without facilitation and with a high participation "
            "cost, do the Clic-it communities keep their members and stay productive?") in text


def test_a_figure_function_that_fails_leaves_no_figure_open(tmp_path, monkeypatch):
    # Fails after its figure is open: the outcome columns are missing.
    months = pd.DataFrame({"community": "all", "replicate": 0, "step": [0, 1]})
    with pytest.raises(KeyError, match="productive_share"):
        run_figures.plot_outcomes_over_time(months, tmp_path / "none.png")
    table = pd.DataFrame({"trust.loss": [0.1, 0.3], "facilitation.capacity": [0, 5]})
    from lcsim.plotting import sweep_figures

    def broken(fig, path):
        raise OSError("disk full")

    monkeypatch.setattr(sweep_figures, "save_figure", broken)
    with pytest.raises(OSError, match="disk full"):
        sweep_figures.plot_sweep_heatmap(table.assign(retention=[0.5, 0.7]), "trust.loss",
                                         "facilitation.capacity", "retention",
                                         tmp_path / "big.png")
    assert plt.get_fignums() == [] and not list(tmp_path.iterdir())
