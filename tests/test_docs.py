"""The model description and the data dictionary stay true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lcsim import simulate
from lcsim.config.table import (
    END,
    START,
    current_block,
    parameter_table_markdown,
    replace_block,
)
from lcsim.experiment.store import write_run
from lcsim.model.outcomes import OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
OUTPUTS = ROOT / "docs" / "outputs.md"
README = ROOT / "README.md"
REFRESH = "run `.venv/bin/python -m lcsim.config.table` to refresh"


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def first_cells(text: str) -> set[str]:
    """Backticked names in the first cell of every Markdown table row."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("|"):
            names |= backticked(line.split("|")[1])
    return names


def sections(text: str) -> dict[str, str]:
    """The text under each ``## `` heading, keyed by the heading."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {head.strip(): body for head, body in zip(parts[1::2], parts[2::2], strict=True)}


def section_about(text: str, name: str) -> str:
    found = [body for head, body in sections(text).items() if name in head]
    assert found, f"docs/outputs.md has no '## ' section about {name}"
    return found[0]


def readme_result_files() -> set[str]:
    """The file names in the first column of README's results-directory table."""
    names: set[str] = set()
    in_table = False
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == "file":
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if in_table and not set(cells[0]) <= set("-: "):
            names |= backticked(cells[0])
    return names


def test_parameter_table_in_odd_matches_the_schema():
    text = ODD.read_text(encoding="utf-8")
    assert START in text and END in text, f"docs/ODD.md lacks the table markers; {REFRESH}"
    assert current_block(text) == parameter_table_markdown(), (
        f"the parameter table in docs/ODD.md differs from the schema; {REFRESH}"
    )


def test_parameter_table_lists_every_field_once():
    table = parameter_table_markdown()
    names = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert len(names) == len(set(names))
    assert "`engagement.participation_cost`" in names
    assert "`scenario.interventions[i].action`" in names


def test_replace_block_keeps_the_text_around_the_markers():
    text = f"head\n{START}\nold\n{END}\ntail\n"
    updated = replace_block(text, "new\n")
    assert updated == f"head\n{START}\nnew\n{END}\ntail\n"
    assert current_block(updated) == "new\n"


def test_every_outcome_column_has_an_entry():
    documented = first_cells(section_about(OUTPUTS.read_text(encoding="utf-8"),
                                           "timeseries.parquet"))
    missing = [name for name in OUTCOMES if name not in documented]
    assert not missing, f"outcome columns missing from docs/outputs.md: {missing}"


def test_every_results_file_in_the_readme_has_an_entry():
    files = readme_result_files()
    assert files, "found no results-directory table (header 'file') in README.md"
    documented = first_cells(OUTPUTS.read_text(encoding="utf-8"))
    missing = sorted(name for name in files if name not in documented)
    assert not missing, f"results files missing from docs/outputs.md: {missing}"


@pytest.fixture(scope="module")
def run_directory(tiny, tmp_path_factory) -> Path:
    result = simulate(tiny, 3)
    out = tmp_path_factory.mktemp("run")
    return write_run(out, tiny, result, timings={"simulation": 0.0})


@pytest.mark.parametrize("table", ["timeseries.parquet", "companies.parquet", "summary.csv"])
def test_every_column_a_run_writes_has_an_entry(run_directory, table):
    path = run_directory / table
    frame = pd.read_csv(path) if table.endswith(".csv") else pd.read_parquet(path)
    documented = first_cells(section_about(OUTPUTS.read_text(encoding="utf-8"), table))
    missing = [c for c in frame.columns if c not in documented]
    assert not missing, f"columns of {table} missing from docs/outputs.md: {missing}"


def test_every_manifest_key_has_an_entry(run_directory):
    manifest = json.loads((run_directory / "manifest.json").read_text(encoding="utf-8"))
    documented = first_cells(section_about(OUTPUTS.read_text(encoding="utf-8"),
                                           "manifest.json"))
    missing = [key for key in manifest if key not in documented]
    assert not missing, f"manifest keys missing from docs/outputs.md: {missing}"
