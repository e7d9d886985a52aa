"""Docking studies: canonical models run through lcsim's own mechanism rules.

Each study is run small; the assertions are the published findings
(``../shared/SCIENCE.md``), with tolerances justified beside them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from lcsim.docking import granovetter1978

LCSIM = str(Path(sys.executable).with_name("lcsim"))


def run_study(tmp_path: Path, name: str, *overrides: str) -> Path:
    """Run ``lcsim run experiment=NAME`` and return its run directory."""
    out = tmp_path / name
    proc = subprocess.run(
        [LCSIM, "run", f"experiment={name}", f"hydra.run.dir={out}", *overrides],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["study"] == name
    for name_ in manifest["files"]:
        assert (out / name_).is_file(), name_
    return out


# ----------------------------------------------------------------- Granovetter


def test_granovetter_chain_is_exact():
    # Thresholds 0..99: all act; the second member at 2 instead of 1: one acts.
    assert granovetter1978.chain(100, 1) == 100
    assert granovetter1978.chain(100, 2) == 1
    assert granovetter1978.chain(100, 50) == 1


def test_granovetter_study_writes_its_tables_and_figure(tmp_path):
    out = run_study(tmp_path, "granovetter1978", "docking.granovetter1978.runs=40",
                    "docking.granovetter1978.sds=[4.0,25.0]")
    exact = pd.read_csv(out / "granovetter1978.csv")
    assert exact["acting"].tolist() == [100, 1, 1, 1, 1]
    normal = pd.read_csv(out / "granovetter1978_normal.csv")
    assert list(normal.columns) == ["members", "mean", "sd", "runs", "acting_share", "ci95"]
    assert all(pd.api.types.is_numeric_dtype(normal[c]) for c in normal.columns)
    # Narrow spread around 25: the first member needs 25 others, and with an
    # sd of 4 a threshold of 0 is a 6-sd event, so nobody acts. A wide spread
    # (sd 25) puts enough members near 0 to start a chain that takes nearly
    # everyone (Granovetter 1978, fig. 1); 40 crowds give a mean above 0.9.
    assert normal.loc[normal["sd"] == 4.0, "acting_share"].item() == 0.0
    assert normal.loc[normal["sd"] == 25.0, "acting_share"].item() > 0.9
    assert (out / "granovetter1978.png").stat().st_size > 10_000


def test_a_bad_study_setting_stops_before_the_run_with_one_line(tmp_path):
    out = tmp_path / "bad"
    proc = subprocess.run(
        [LCSIM, "run", "experiment=march1991", "docking.march1991.fast_learners=[60]",
         f"hydra.run.dir={out}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lcsim: error: docking.march1991.fast_learners=60 is not allowed: head counts "
        "from 0 to docking.march1991.employees (50)"
    ]
    assert not out.exists()
