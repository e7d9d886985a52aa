"""Scenario discovery: known boxes, exact statistics and words, no invented regions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.config.schema import DiscoveryConfig
from lcsim.sensitivity.discovery import (
    Limit,
    Region,
    discover,
    discover_sweep,
    parameter_words,
    statement,
    statements,
)

#: The box of the synthetic table: productive = (x1 >= 0.6) & (x2 <= 0.3).
X1_LOW, X2_HIGH = 0.6, 0.3


@pytest.fixture(scope="module")
def uniform() -> pd.DataFrame:
    rng = np.random.default_rng(20221001)
    return pd.DataFrame(rng.uniform(size=(2000, 4)), columns=["x1", "x2", "x3", "x4"])


def known_box(table: pd.DataFrame) -> pd.Series:
    return (table["x1"] >= X1_LOW) & (table["x2"] <= X2_HIGH)


def shares(region: Region, table: pd.DataFrame, productive: pd.Series) -> tuple[float, float]:
    """Coverage and density of the region's stated box, computed here from scratch."""
    inside = np.ones(len(table), dtype=bool)
    for limit in region.limits:
        column = table[limit.parameter].to_numpy()
        if limit.lower is not None:
            inside &= column >= limit.lower
        if limit.upper is not None:
            inside &= column <= limit.upper
    hits = int((inside & productive.to_numpy()).sum())
    return hits / int(productive.sum()), hits / int(inside.sum())


def bounds(region: Region) -> dict[str, tuple[float | None, float | None]]:
    return {limit.parameter: (limit.lower, limit.upper) for limit in region.limits}


def test_prim_recovers_the_known_box_with_exact_coverage_and_density(uniform):
    productive = known_box(uniform)
    found = discover(uniform, productive, DiscoveryConfig(methods=["prim"], shuffles=19),
                     seed=1)
    [region] = found.regions
    # Only the two restricted parameters, each on its one restricted side.
    limits = bounds(region)
    assert set(limits) == {"x1", "x2"}
    assert limits["x1"][1] is None and limits["x2"][0] is None
    assert limits["x1"][0] == pytest.approx(X1_LOW, abs=0.03)
    assert limits["x2"][1] == pytest.approx(X2_HIGH, abs=0.03)

    coverage, density = shares(region, uniform, productive)
    assert (region.coverage, region.density) == (coverage, density)
    assert region.productive_runs == round(coverage * productive.sum())
    assert density > 0.95 and coverage > 0.85
    # The chosen box is the densest with coverage >= min_coverage, and PRIM's
    # own statistics of it agree with the ones computed from its limits.
    trajectory = found.trajectory
    chosen = trajectory[trajectory["chosen"]]
    assert len(chosen) == 1
    eligible = trajectory[trajectory["coverage"] >= 0.5]
    assert chosen["density"].iloc[0] == eligible["density"].max()
    assert chosen["coverage"].iloc[0] == pytest.approx(coverage, abs=1e-12)
    assert chosen["density"].iloc[0] == pytest.approx(density, abs=1e-12)
    assert trajectory["coverage"].iloc[0] == 1.0 and trajectory["restricted"].iloc[0] == 0
    # No shuffle of the outcomes comes near a pure box: the least p-value.
    assert region.p_value == 1 / 20


def test_cart_recovers_the_known_box_as_its_one_productive_leaf(uniform):
    productive = known_box(uniform)
    found = discover(uniform, productive, DiscoveryConfig(methods=["cart"], shuffles=19),
                     seed=1)
    [region] = found.regions
    limits = bounds(region)
    assert set(limits) == {"x1", "x2"}
    assert limits["x1"][0] == pytest.approx(X1_LOW, abs=0.01) and limits["x1"][1] is None
    assert limits["x2"][1] == pytest.approx(X2_HIGH, abs=0.01) and limits["x2"][0] is None
    # The tree splits between runs: its leaf holds exactly the productive runs.
    assert (region.coverage, region.density) == shares(region, uniform, productive) == (1, 1)
    assert region.runs == region.productive_runs == productive.sum()
    assert found.trajectory is None


def test_integer_and_categorical_parameters_keep_their_kind():
    rng = np.random.default_rng(7)
    n = 1500
    table = pd.DataFrame({
        "scenario": pd.Series(rng.choice(["tiny", "single_lc", "clic_it"], n), dtype=str),
        "facilitation.capacity": rng.integers(0, 11, n),
        "engagement.participation_cost": rng.uniform(0.1, 0.9, n),
        "trust.loss": rng.uniform(0.05, 0.3, n),
    })
    productive = ((table["scenario"] != "tiny") & (table["facilitation.capacity"] >= 4)
                  & (table["engagement.participation_cost"] <= 0.5))
    found = discover(table, productive, DiscoveryConfig(shuffles=0), seed=1)
    assert [r.method for r in found.regions] == ["prim", "cart"]
    for region in found.regions:
        limits = {limit.parameter: limit for limit in region.limits}
        assert set(limits) == {"scenario", "facilitation.capacity",
                               "engagement.participation_cost"}
        capacity = limits["facilitation.capacity"]
        assert capacity.lower == 4 and type(capacity.lower) is int and capacity.upper is None
        assert limits["scenario"].values == ("clic_it", "single_lc")
        assert region.density == productive[region.inside(table)].mean()
        assert np.isnan(region.p_value)
    words = parameter_words(list(table.columns))
    text = statement(found.regions[1], words)
    assert "facilitation capacity ≥ 4 actions/month" in text
    assert "scenario is clic_it or single_lc" in text


def test_a_region_reads_in_plain_words():
    words = parameter_words(["facilitation.capacity", "engagement.participation_cost",
                             "trust.loss", "scenario.n_communities"])
    region = Region("prim", 1, (Limit("facilitation.capacity", lower=4),
                                Limit("engagement.participation_cost", upper=0.3)),
                    runs=250, productive_runs=210, coverage=0.71, density=0.84)
    assert statement(region, words) == (
        "communities stayed productive in 84 % of runs when facilitation capacity ≥ 4 "
        "actions/month and participation cost ≤ 0.3 value/month (coverage 71 %, "
        "density 84 %)")
    three = Region("cart", 2, (Limit("trust.loss", lower=0.1, upper=0.2),
                               Limit("scenario.n_communities", upper=12),
                               Limit("scenario", values=("tiny", "clic_it"))),
                   runs=40, productive_runs=13, coverage=0.0524, density=0.325)
    retention = DiscoveryConfig(outcome="retention", threshold=0.75)
    assert statement(three, {**words, "scenario": parameter_words(["scenario"])["scenario"]},
                     retention) == (
        "retention was at least 0.75 in 32 % of runs when trust loss from 0.1 to 0.2, "
        "number of communities ≤ 12 and scenario is tiny or clic_it (coverage 5 %, "
        "density 32 %)")
    patience = parameter_words(["membership.patience"])
    for bound, unit in ((10, "months"), (1, "month")):
        region = Region("prim", 1, (Limit("membership.patience", lower=bound),),
                        runs=10, productive_runs=5, coverage=0.5, density=0.5)
        assert f"membership patience ≥ {bound} {unit} (coverage" in statement(region, patience)


def test_outcomes_unrelated_to_the_parameters_give_no_region(uniform):
    # Coin flips: any box is as dense as the base rate but for chance. The
    # shuffles let through a false region in about `significance` (5 %) of such
    # tables (8 and 8 of 100 tables of 400 runs for PRIM and CART); not this one.
    productive = pd.Series(np.random.default_rng(8).uniform(size=len(uniform)) < 0.4)
    settings = DiscoveryConfig(shuffles=19)
    found = discover(uniform, productive, settings, seed=1)
    assert found.regions == []
    # Both proposed something denser than the base rate, which chance matched.
    assert all(result.candidates for result in found.methods)
    assert all(r.p_value > settings.significance for result in found.methods
               for r in result.candidates)
    lines = statements(found, parameter_words(list(uniform.columns)), settings)
    base = f"{round(100 * productive.mean())} %"
    assert lines[1] == (f"Communities stayed productive in {base} of the 2000 runs "
                        f"({productive.sum()} runs).")
    assert lines[2].startswith(f"PRIM: no region beats the base rate of {base} beyond "
                               "chance: its densest region (density ")
    assert lines[3].startswith(f"CART: no region beats the base rate of {base}")
    assert "of 19 shuffles of the runs' outcomes." in lines[3]


@pytest.mark.parametrize("value, words", [(True, "in all 2000 runs"),
                                          (False, "in none of the 2000 runs")])
def test_all_or_no_runs_productive_give_no_region(uniform, value, words):
    productive = pd.Series(np.full(len(uniform), value))
    found = discover(uniform, productive, seed=1)
    assert found.regions == [] and found.trajectory is None
    lines = statements(found, parameter_words(list(uniform.columns)), DiscoveryConfig())
    assert lines == ["A run counts as productive when at least 50 % of its communities are "
                     "productive at the final month (productive_share ≥ 0.5).",
                     f"Communities stayed productive {words}: there is no region to find."]


def test_the_same_seed_finds_the_same_regions(uniform):
    productive = pd.Series(np.random.default_rng(9).uniform(size=len(uniform))
                           < 0.2 + 0.6 * known_box(uniform))
    settings = DiscoveryConfig(shuffles=9, significance=0.1)
    first, again = (discover(uniform, productive, settings, seed=3) for _ in range(2))
    assert [result.candidates for result in first.methods] == [
        result.candidates for result in again.methods]
    assert first.regions and first.trajectory.equals(again.trajectory)


# ---------------------------------------------------------------------------
# Through `lcsim sensitivity`

TINY = ["analysis=discovery", "analysis.n=16", "scenario=tiny", "scenario.steps=12",
        "analysis.steps=[12]", "replications=2", "n_jobs=1"]
# Tie density rises with facilitation capacity in the tiny scenario: a run whose
# tie density ends at 0.85 or more counts as productive here.
TIES = ["analysis.discovery.outcome=tie_density", "analysis.discovery.threshold=0.85",
        "analysis.discovery.mass_min=0.15"]


def sensitivity(folder: Path, *overrides: str) -> int:
    return main(["sensitivity", *overrides, f"hydra.run.dir={folder}"])


def test_discovery_runs_on_the_stored_runs_of_a_sensitivity_analysis(tmp_path, capsys):
    folder = tmp_path / "discovery"
    assert sensitivity(folder, *TINY, *TIES) == 0
    err = capsys.readouterr().err
    lines = (folder / "discovery.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("A run counts as productive when its tie_density at the final month "
                        "is at least 0.85.")
    for line in lines:
        assert f"scenario discovery: {line}" in err

    # Every run classified from its own final-month outcome, joined by run id.
    runs = pd.read_csv(folder / "discovery_runs.csv")
    swept = pd.read_parquet(folder / "runs" / "sweep.parquet").set_index("run_id")
    assert len(runs) == len(swept) == 32
    assert (runs["productive"] == (swept.loc[runs["run_id"], "tie_density"] >= 0.85)
            .to_numpy()).all()
    assert runs["facilitation.capacity"].dtype == np.int64

    # Each reported region's numbers hold on the runs as written.
    regions = pd.read_csv(folder / "discovery.csv")
    assert len(regions) and list(regions.columns[:4]) == ["method", "region", "parameter",
                                                          "lower"]
    productive = runs["productive"]
    for _, rows in regions.groupby(["method", "region"]):
        inside = np.ones(len(runs), dtype=bool)
        for row in rows.itertuples():
            if not pd.isna(row.lower):
                inside &= runs[row.parameter].to_numpy() >= row.lower
            if not pd.isna(row.upper):
                inside &= runs[row.parameter].to_numpy() <= row.upper
        first = rows.iloc[0]
        assert first["runs"] == inside.sum()
        assert first["productive_runs"] == (inside & productive).sum()
        assert first["density"] == pytest.approx((inside & productive).sum() / inside.sum())
        assert first["coverage"] == pytest.approx((inside & productive).sum()
                                                  / productive.sum())
        assert first["p_value"] <= 0.05
    # Facilitation capacity is an integer parameter: its bounds are written so.
    text = pd.read_csv(folder / "discovery.csv", dtype=str, keep_default_na=False)
    capacity = text[text["parameter"] == "facilitation.capacity"]
    assert len(capacity) and capacity["lower"].str.fullmatch(r"\d+").all()
    assert "facilitation capacity ≥" in "\n".join(lines)

    trajectory = pd.read_csv(folder / "discovery_trajectory.csv")
    assert trajectory["chosen"].sum() == 1
    for name in ("discovery_tradeoff.png", "discovery_region.png"):
        assert (folder / name).stat().st_size > 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"discovery.txt", "discovery.csv", "discovery_runs.csv",
            "discovery_tradeoff.png"} <= set(manifest["files"])

    # The runs directory is an ordinary sweep: the same regions from it.
    settings = DiscoveryConfig(outcome="tie_density", threshold=0.85, mass_min=0.15)
    problem = json.loads((folder / "problem.json").read_text())
    again = discover_sweep(folder / "runs", settings, seed=problem["seed"])
    assert [(r.method, r.number, r.runs, r.productive_runs) for r in again.regions] == [
        tuple(rows.iloc[0][["method", "region", "runs", "productive_runs"]])
        for _, rows in regions.groupby(["method", "region"], sort=False)]

    # Another definition of productive, on the stored runs without simulating.
    stored = (folder / "runs" / "sweep.parquet").stat().st_mtime_ns
    assert sensitivity(folder, *TINY, "analysis.simulate=false",
                       "analysis.discovery.threshold=0.5") == 0
    assert (folder / "runs" / "sweep.parquet").stat().st_mtime_ns == stored
    headline = (folder / "discovery.txt").read_text(encoding="utf-8")
    assert headline.startswith("A run counts as productive when at least 50 % of its "
                               "communities are productive at the final month "
                               "(productive_share ≥ 0.5).\n")
    finals = swept.loc[runs["run_id"], "productive_share"]
    assert f"({(finals >= 0.5).sum()} runs)" in headline
    # ... and the first definition again gives the first findings.
    assert sensitivity(folder, *TINY, *TIES, "analysis.simulate=false") == 0
    assert (folder / "discovery.txt").read_text(encoding="utf-8").splitlines() == lines
    assert pd.read_csv(folder / "discovery.csv").equals(regions)


@pytest.mark.parametrize("overrides, message", [
    (["analysis.discovery.methods=[prim,forest]"],
     "analysis.discovery.methods='forest' is not allowed: prim, cart, or [] for no "
     "scenario discovery"),
    (["analysis.discovery.outcome=wealth"],
     "analysis.discovery.outcome='wealth' is not allowed: a final-month outcome of "
     "model=community: active_members,"),
    (["analysis.discovery.outcome=productive"], "analysis.discovery.outcome='productive'"),
    (["analysis.discovery.threshold=1.5"],
     "analysis.discovery.threshold=1.5 is not allowed: a share from 0 to 1 for "
     "productive_share"),
    (["analysis.discovery.threshold=-1"], "analysis.discovery.threshold=-1.0 is not "
                                          "allowed: a number of at least 0"),
    (["analysis.discovery.direction=sideways"],
     "analysis.discovery.direction='sideways' is not allowed: one of at_least, at_most"),
    (["analysis.discovery.min_coverage=2"], "analysis.discovery.min_coverage=2.0 is not "
                                            "allowed: a number from 0 to 1"),
    (["analysis.discovery.shuffles=9", "analysis.discovery.significance=0.05"],
     "analysis.discovery.significance=0.05 is not allowed: at least 1/(shuffles + 1) = "
     "0.1, the least share 9 shuffles can show; or more shuffles"),
    (["model=ishigami", "analysis.outcomes=[y]", "analysis.steps=[]"],
     "analysis.discovery.outcome='productive_share' is not allowed: a final-month outcome "
     "of model=ishigami: y; or analysis.discovery.methods=[] for no scenario discovery"),
])
def test_bad_discovery_settings_end_with_one_line_before_anything_runs(tmp_path, capsys,
                                                                       overrides, message):
    folder = tmp_path / "bad"
    assert sensitivity(folder, "analysis=discovery", *overrides) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lcsim: error: ") and message in err, err
    assert not folder.exists()


def test_discovery_figures_draw_in_the_palette(uniform, tmp_path, monkeypatch):
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    from lcsim.plotting import plt
    from lcsim.plotting.style import PALETTE, SEQUENTIAL
    from lcsim.sensitivity import discovery_figures

    drawn = []
    monkeypatch.setattr(discovery_figures, "save_figure",
                        lambda fig, path: drawn.append(fig) or path)
    productive = known_box(uniform)
    found = discover(uniform, productive, DiscoveryConfig(methods=["prim"], shuffles=19),
                     seed=1)
    discovery_figures.plot_tradeoff(found, tmp_path / "tradeoff.png", min_coverage=0.5)
    discovery_figures.plot_region(uniform, productive.to_numpy(), found.regions[0],
                                  parameter_words(list(uniform.columns)),
                                  tmp_path / "region.png")
    tradeoff, region = drawn
    steps, chosen = tradeoff.axes[0].collections
    assert steps.get_cmap().name == SEQUENTIAL
    assert to_hex(chosen.get_edgecolor()[0]) == PALETTE[3].lower()
    runs = {c.get_label(): to_hex(c.get_facecolor()[0]) for c in region.axes[0].collections}
    assert runs == {"not productive": "#a6a6a6", "productive": PALETTE[0].lower()}
    [box] = [p for p in region.axes[0].patches if isinstance(p, Rectangle)
             and p.get_label() == "region"]
    assert to_hex(box.get_edgecolor()) == PALETTE[3].lower()
    for fig in drawn:
        plt.close(fig)
