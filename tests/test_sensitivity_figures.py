"""The figures of lcsim sensitivity: what each draws, when each is written, bounded, closed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from PIL import Image

from lcsim.cli import main
from lcsim.model.outcomes import OUTCOMES
from lcsim.plotting import plt
from lcsim.plotting.style import DIVERGING, PALETTE
from lcsim.sensitivity import figures
from lcsim.sensitivity.figures import (
    MAX_SIZE,
    OUTCOME_UNITS,
    convergence_figure,
    indices_figure,
    morris_figure,
    over_time_figure,
    parameter_labels,
    second_order_figure,
    write_figures,
)
from test_sensitivity import ISHIGAMI, TINY_MORRIS

ROOT = Path(__file__).resolve().parents[1]
DPI = 120
PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["engagement.participation_cost", "facilitation.capacity", "trust.loss"]
#: Scenario discovery settings under which some of TINY_MORRIS's runs count as
#: productive, so that its figures are drawn.
PRODUCTIVE_SOMETIMES = ["analysis.discovery.outcome=tie_density",
                        "analysis.discovery.threshold=0.85", "analysis.discovery.mass_min=0.15"]


def rows(outcome: str, step: int | None, index: str, values: dict[str, float],
         conf: float | None = 0.05, **extra) -> list[dict]:
    """Rows of indices.csv for one outcome, month and index; ``conf`` None: no interval."""
    return [{"outcome": outcome, "step": step, "parameter": name, "parameter_2": "",
             "index": index, "value": value,
             "ci_low": np.nan if conf is None else value - conf,
             "ci_high": np.nan if conf is None else value + conf,
             "interval": "none" if conf is None else "bootstrap", **extra}
            for name, value in values.items()]


def table(*groups: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for group in groups for row in group])


def many(parameters: int, outcomes: int, kinds: tuple[str, ...] = ("S1", "ST"),
         steps: tuple[int, ...] = (12, 24), second: bool = False) -> pd.DataFrame:
    """A large table: ``parameters`` long config paths, every outcome, month and index."""
    names = [f"scenario.institutions_per_community_{i:02d}" for i in range(parameters)]
    rng = np.random.default_rng(0)
    groups = [rows(f"outcome_{o}", step, kind,
                   dict(zip(names, rng.uniform(0, 0.5, parameters), strict=True)))
              for o in range(outcomes) for step in steps for kind in kinds]
    if second:
        groups += [[{"outcome": f"outcome_{o}", "step": steps[-1], "parameter": a,
                     "parameter_2": b, "index": "S2", "value": 0.01, "ci_low": -0.01,
                     "ci_high": 0.03, "interval": "bootstrap"}
                    for i, a in enumerate(names) for b in names[i + 1:]]
                   for o in range(outcomes)]
    return table(*groups)


def values(*numbers: float) -> dict[str, float]:
    return dict(zip(NAMES, numbers, strict=True))


@pytest.fixture(autouse=True)
def close_figures():
    """The ``*_figure`` functions return their figure open: close what a test left."""
    yield
    plt.close("all")


def test_parameter_labels_are_whole_short_and_distinct():
    labels = parameter_labels(["trust.loss", "scenario.institutions_per_community_min",
                               "scenario.institutions_per_community_max",
                               "a.very.deep.path.of.a.parameter_name_that_is_long",
                               "b.very.deep.path.of.a.parameter_name_that_is_long"])
    assert labels["trust.loss"] == "trust.loss"
    assert labels["scenario.institutions_per_community_min"] == \
        "…institutions_per_community_min"
    # Two paths that would read alike keep their whole path.
    assert labels["a.very.deep.path.of.a.parameter_name_that_is_long"] == \
        "a.very.deep.path.of.a.parameter_name_that_is_long"
    assert len(set(labels.values())) == len(labels)


def test_bars_are_the_last_month_with_whiskers_only_where_an_interval_exists():
    indices = table(rows("retention", 3, "S1", values(0.9, 0.9, 0.9)),
                    rows("retention", 6, "S1", values(0.5, 0.2, 0.1)),
                    rows("retention", 6, "ST", values(0.6, 0.3, 0.2), None))
    indices.loc[2 + len(NAMES), ["ci_low", "ci_high"]] = np.nan  # trust.loss S1: none
    fig = indices_figure(indices)
    ax = fig.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, [0.5, 0.2, 0.1, 0.6, 0.3, 0.2])
    whiskers = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(whiskers) == 1 and len(whiskers[0].get_segments()) == 2
    assert ax.get_title() == "retention, month 6"
    assert ax.get_xlabel() == "S1, ST (dimensionless)"
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    plt.close(fig)


def test_morris_points_are_mu_star_against_sigma_named_with_guide_lines():
    mu = values(0.30, 0.10, 0.02)
    sigma = values(0.05, 0.12, 0.01)
    indices = table(rows("retention", 3, "mu_star", dict.fromkeys(NAMES, 0.5)),
                    rows("retention", 6, "mu_star", mu),
                    rows("retention", 6, "sigma", sigma, None))
    fig = morris_figure(indices)
    ax = fig.axes[0]
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points, np.column_stack([list(mu.values()),
                                                        list(sigma.values())]))
    named = {text.get_text(): text.xy for text in ax.texts if text.get_text() in NAMES}
    assert named == {name: (mu[name], sigma[name]) for name in NAMES}
    slopes = sorted(line.get_ydata()[1] / line.get_xdata()[1] for line in ax.lines
                    if line.get_linestyle() == "--")
    np.testing.assert_allclose(slopes, [0.1, 0.5, 1.0])
    assert ax.get_xlabel() == "μ* (share per parameter range)"
    assert ax.get_ylabel() == "σ (share per parameter range)"
    assert ax.get_xlim()[0] == 0 and ax.get_ylim()[0] == 0
    plt.close(fig)


def test_the_second_order_heatmap_is_symmetric_and_hatches_intervals_with_zero():
    pairs = [("a.x", "a.y", 0.20, 0.10, 0.30), ("a.x", "b.z", -0.05, -0.10, 0.00),
             ("a.y", "b.z", 0.01, -0.02, 0.04)]
    indices = pd.DataFrame(
        [{"outcome": "y", "step": None, "parameter": p, "parameter_2": q, "index": "S2",
          "value": v, "ci_low": lo, "ci_high": hi, "interval": "bootstrap"}
         for p, q, v, lo, hi in pairs]
        + rows("y", None, "S1", {"a.x": 0.3, "a.y": 0.4, "b.z": 0.0}))
    fig = second_order_figure(indices)
    ax = fig.axes[0]
    matrix = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    expected = np.array([[np.nan, 0.20, -0.05], [0.20, np.nan, 0.01],
                         [-0.05, 0.01, np.nan]])
    np.testing.assert_allclose(matrix, expected)
    hatched = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in ax.patches
               if isinstance(p, Rectangle) and p.get_hatch()}
    assert hatched == {(2, 0), (0, 2), (2, 1), (1, 2)}  # (column, row)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a.x", "a.y", "b.z"]
    assert ax.images[0].norm.vmin == -0.20 and ax.images[0].norm.vmax == 0.20
    plt.close(fig)


def test_indices_over_time_draw_a_line_per_parameter_and_bands_where_intervals_exist():
    indices = table(*[rows("retention", step, "mu_star", values(s, s / 2, 0.0))
                      for step, s in ((3, 0.1), (6, 0.2), (9, 0.3))],
                    *[rows("retention", step, "sigma", values(s, s, s), None)
                      for step, s in ((3, 0.1), (6, 0.2), (9, 0.3))])
    fig = over_time_figure(indices)
    mu_panel, sigma_panel = fig.axes
    assert mu_panel.get_title() == "retention: μ*" and mu_panel.get_xlabel() == "month"
    for ax in (mu_panel, sigma_panel):
        lines = [line for line in ax.lines if line.get_label() in NAMES]
        assert len(lines) == 3
        assert all(list(line.get_xdata()) == [3, 6, 9] for line in lines)
    np.testing.assert_allclose(mu_panel.lines[0].get_ydata(), [0.1, 0.2, 0.3])
    assert sum(isinstance(c, PolyCollection) for c in mu_panel.collections) == 3
    assert sum(isinstance(c, PolyCollection) for c in sigma_panel.collections) == 0
    plt.close(fig)


def test_convergence_is_drawn_against_n_on_a_log2_axis_at_the_last_month():
    sizes = [64, 128, 256, 512]
    convergence = table(
        *[rows("retention", 12, "S1", values(0.9, 0.9, 0.9), n=n)
          for n in sizes],
        *[rows("retention", 24, "S1", values(0.5 + 1 / n, 0.2, 0.1),
               conf=1 / np.sqrt(n), n=n) for n in sizes],
        [{"outcome": "retention", "step": 24, "n": n, "parameter": NAMES[0],
          "parameter_2": NAMES[1], "index": "S2", "value": 0.0, "ci_low": -0.1,
          "ci_high": 0.1, "interval": "bootstrap"} for n in sizes])
    fig = convergence_figure(convergence)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
    assert ax.get_title() == "retention, month 24: S1"
    lines = [line for line in ax.lines if line.get_label() in NAMES]
    assert len(lines) == 3 and list(lines[0].get_xdata()) == sizes
    np.testing.assert_allclose(lines[0].get_ydata(), [0.5 + 1 / n for n in sizes])
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 3
    plt.close(fig)


def test_figures_draw_in_the_palette_and_the_diverging_map():
    sobol = many(10, 1, second=True)
    names = list(dict.fromkeys(sobol["parameter"]))
    palette = [colour.lower() for colour in PALETTE]

    # Bars: one palette colour per index, in order.
    fig = indices_figure(sobol)
    bars = {to_hex(bar.get_facecolor()) for bar in fig.axes[0].patches}
    assert bars == set(palette[:2])
    plt.close(fig)

    # Lines: the parameters' palette colours in order; the ninth and tenth take
    # the first two colours again, with squares and dashes.
    fig = over_time_figure(sobol)
    lines = [line for line in fig.axes[0].lines if line.get_marker() in ("o", "s")]
    assert [to_hex(line.get_color()) for line in lines] == palette + palette[:2]
    assert [line.get_marker() for line in lines] == ["o"] * 8 + ["s"] * 2
    assert [line.get_linestyle() for line in lines[7:]] == ["-", "--", "--"]
    assert [line.get_label() for line in lines] == list(parameter_labels(names).values())
    plt.close(fig)

    # Morris: points and their labels in the parameters' colours.
    morris = table(rows("retention", 6, "mu_star", values(0.3, 0.1, 0.02)),
                   rows("retention", 6, "sigma", values(0.05, 0.12, 0.01), None))
    fig = morris_figure(morris)
    ax = fig.axes[0]
    assert [to_hex(c) for c in ax.collections[0].get_facecolors()] == palette[:3]
    assert {t.get_text(): to_hex(t.get_color()) for t in ax.texts if t.get_text() in NAMES} \
        == dict(zip(NAMES, palette[:3], strict=True))
    plt.close(fig)

    # S2: the diverging map, centred on 0.
    fig = second_order_figure(sobol)
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == DIVERGING
    np.testing.assert_allclose(image.get_cmap()(np.linspace(0, 1, 5)),
                               plt.get_cmap(DIVERGING)(np.linspace(0, 1, 5)))
    assert image.norm.vmin == -image.norm.vmax
    plt.close(fig)


@pytest.mark.parametrize("parameters, outcomes", [(14, 4), (3, 8)])
def test_figures_stay_bounded_with_many_parameters_and_outcomes(parameters, outcomes):
    sobol = many(parameters, outcomes, second=True)
    morris = many(parameters, outcomes, kinds=("mu_star", "sigma"))
    convergence = many(parameters, outcomes, steps=(24,)).merge(
        pd.DataFrame({"n": [64, 128]}), how="cross")
    for fig in (indices_figure(sobol), second_order_figure(sobol), over_time_figure(sobol),
                morris_figure(morris), convergence_figure(convergence)):
        width, height = fig.get_size_inches()
        assert width <= MAX_SIZE[0] and height <= MAX_SIZE[1]
        plt.close(fig)


def test_each_figure_is_written_only_where_it_applies(tmp_path):
    sobol = table(rows("y", None, "S1", values(0.3, 0.2, 0.1)),
                  rows("y", None, "ST", values(0.4, 0.3, 0.2)))
    assert write_figures(sobol, tmp_path / "empty_convergence",
                         convergence=sobol.iloc[:0].assign(n=[])) == ["indices.png"]
    with_s2 = pd.concat([sobol, pd.DataFrame([{
        "outcome": "y", "step": None, "parameter": NAMES[0], "parameter_2": NAMES[1],
        "index": "S2", "value": 0.1, "ci_low": 0.0, "ci_high": 0.2}])])
    assert write_figures(with_s2, tmp_path / "s2") == ["indices.png", "second_order.png"]

    morris = table(*[rows("retention", step, kind, values(0.3, 0.2, 0.1))
                     for step in (3, 6) for kind in ("mu_star", "sigma")])
    assert write_figures(morris, tmp_path / "morris") == [
        "indices.png", "morris.png", "indices_over_time.png"]
    one_month = morris[morris["step"] == 6]
    convergence = one_month.merge(pd.DataFrame({"n": [4, 8]}), how="cross")
    assert write_figures(one_month, tmp_path / "given", convergence=convergence) == [
        "indices.png", "morris.png", "convergence.png"]
    for png in tmp_path.rglob("*.png"):
        assert png.read_bytes()[:8] == PNG
    assert plt.get_fignums() == []


def test_a_figure_that_fails_leaves_no_figure_open(tmp_path, monkeypatch):
    def broken(*args):
        raise ValueError("broken")

    monkeypatch.setattr(figures, "second_order_matrix", broken)
    indices = pd.DataFrame([{"outcome": "y", "step": None, "parameter": "a",
                             "parameter_2": "b", "index": "S2", "value": 0.1,
                             "ci_low": 0.0, "ci_high": 0.2}])
    with pytest.raises(ValueError, match="broken"):
        figures.plot_second_order(indices, tmp_path / "second_order.png")
    assert not (tmp_path / "second_order.png").exists()
    assert plt.get_fignums() == []


def test_outcome_units_are_those_of_the_data_dictionary():
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    documented = {}
    for line in text.split("## timeseries.parquet")[1].split("\n## ")[0].splitlines():
        match = re.match(r"\| `(\w+)` \| \w+ \| ([^|]+) \|", line)
        if match and match[1] in OUTCOMES:
            unit = match[2].strip().split(",")[0]
            documented[match[1]] = "" if unit in ("0–1", "0 or 1") else unit
    assert OUTCOME_UNITS == documented


def check_png(path: Path, cap: int | None = None) -> None:
    """A PNG within MAX_SIZE at 120 dpi, and within ``cap`` pixels a side if given."""
    assert path.read_bytes()[:8] == PNG
    with Image.open(path) as image:
        width, height = image.size
    assert width <= MAX_SIZE[0] * DPI and height <= MAX_SIZE[1] * DPI
    if cap is not None:
        assert width <= cap and height <= cap, (path.name, width, height)


def test_a_morris_analysis_writes_its_figures_and_none_of_sobol(tmp_path):
    # A cap of 400 pixels, below every figure's size at 120 dpi: each is written
    # at a lower resolution, none is refused, and the report embeds them all.
    folder = tmp_path / "morris"
    assert main(["sensitivity", *TINY_MORRIS, *PRODUCTIVE_SOMETIMES, "figures_max_pixels=400",
                 f"hydra.run.dir={folder}"]) == 0
    assert plt.get_fignums() == []
    # analysis.n=4 trajectories: one size only, so no convergence figure.
    written = {"indices.png", "morris.png", "indices_over_time.png"}
    pngs = {p.name for p in folder.glob("*.png")}
    assert pngs - {"discovery_tradeoff.png", "discovery_region.png"} == written
    assert "discovery_tradeoff.png" in pngs
    manifest = json.loads((folder / "manifest.json").read_text())
    assert written <= set(manifest["files"])
    assert not {"second_order.png", "convergence.png"} & set(manifest["files"])
    for name in pngs:
        check_png(folder / name, cap=400)
    with Image.open(folder / "indices.png") as image:
        assert max(image.size) == 400  # shrunk to the cap, not below it
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count('<img src="data:image/png;base64,') == len(pngs)
    assert "left out of this page" not in page


def test_sobol_with_second_order_writes_the_heatmap_and_no_figure_over_time(tmp_path):
    folder = tmp_path / "ishigami"
    assert main(["sensitivity", *ISHIGAMI, "analysis.n=64", "analysis.second_order=true",
                 f"hydra.run.dir={folder}"]) == 0
    assert plt.get_fignums() == []
    written = {"indices.png", "second_order.png", "convergence.png"}
    assert {p.name for p in folder.glob("*.png")} == written
    manifest = json.loads((folder / "manifest.json").read_text())
    assert written <= set(manifest["files"])
    for name in written:
        check_png(folder / name)
