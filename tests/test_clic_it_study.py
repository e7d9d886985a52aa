"""The clic_it sensitivity study (experiments/clic_it_*.yaml), shrunk for CI.

The full study (Morris screening of 14 parameters, then Sobol' on the seven the
screening ranked highest) takes about 45 minutes; here the same two files run
on the tiny scenario with a handful of sample rows, so that a change that breaks
the study files, or the pipeline they drive, fails CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcsim.cli import main
from lcsim.config.compose import compose_config

SHRUNK = ["scenario=tiny", "scenario.steps=12", "analysis.steps=[6,12]", "replications=1",
          "n_jobs=1"]


def declared(name: str) -> dict[str, dict]:
    """The study's parameters by config path, as the config declares them."""
    config = compose_config([f"experiment={name}"])
    return {f"{section}.{key}": dict(bounds)
            for section, keys in config.analysis.parameters.items()
            for key, bounds in keys.items()}


def test_the_screening_covers_at_least_eight_parameters_of_clic_it():
    config = compose_config(["experiment=clic_it_screening"])
    assert config.analysis.method == "morris"
    assert config.scenario.name == "clic_it"
    assert len(declared("clic_it_screening")) >= 8


def test_the_sobol_step_analyses_parameters_the_screening_declared():
    config = compose_config(["experiment=clic_it_sobol"])
    assert config.analysis.method == "sobol" and not config.analysis.second_order
    screened = declared("clic_it_screening")
    chosen = declared("clic_it_sobol")
    assert 2 <= len(chosen) < len(screened)
    for name, bounds in chosen.items():
        assert bounds == screened[name], name


@pytest.mark.parametrize("study, rows, kinds", [
    ("clic_it_screening", lambda d: 2 * (d + 1), {"mu_star", "sigma"}),
    ("clic_it_sobol", lambda d: 2 * (d + 2), {"S1", "ST"}),
])
def test_the_study_runs_end_to_end_on_a_tiny_scenario(tmp_path: Path, capsys, study, rows,
                                                      kinds):
    folder = tmp_path / study
    size = "analysis.n=2"
    assert main(["sensitivity", f"experiment={study}", size, *SHRUNK,
                 "analysis.discovery.methods=[]", f"hydra.run.dir={folder}"]) == 0
    parameters = declared(study)
    sample = pd.read_csv(folder / "sample.csv")
    assert len(sample) == rows(len(parameters))
    for name, bounds in parameters.items():
        values = sample[name].to_numpy()
        assert values.min() >= bounds["low"] and values.max() <= bounds["high"], name
        if bounds.get("integer"):
            np.testing.assert_array_equal(values, np.round(values))
    # Every analysed outcome and month has each index of every parameter once,
    # or a logged reason for none (an outcome that did not vary over the sample).
    err = capsys.readouterr().err
    indices = pd.read_csv(folder / "indices.csv")
    assert set(indices["index"]) == kinds and set(indices["step"]) == {6, 12}
    assert set(indices["parameter"]) == set(parameters)
    outcomes = compose_config([f"experiment={study}"]).analysis.outcomes
    assert set(indices["outcome"]) <= set(outcomes)
    for outcome in outcomes:
        for step in (6, 12):
            rows_here = indices[(indices["outcome"] == outcome) & (indices["step"] == step)]
            if rows_here.empty:
                assert f"{outcome} at month {step} is " in err, (outcome, step)
                continue
            for kind in kinds:
                named = rows_here.loc[rows_here["index"] == kind, "parameter"]
                assert sorted(named) == sorted(parameters), (outcome, step, kind)
    growth = indices[indices["outcome"] == "knowledge_growth"]
    assert set(growth["step"]) == {6, 12} and growth["value"].notna().all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == len(sample)
    # The report names the study and asks its question.
    page = (folder / "report.html").read_text(encoding="utf-8")
    method = "morris" if study == "clic_it_screening" else "sobol"
    assert f"Experiment {study}: {method} over {len(parameters)} parameter(s)" in page
    step = "Step 1 of 2: Morris screening of 14 parameters in doubt" if method == "morris" \
        else "Step 2 of 2: first- and total-order Sobol"
    assert f"Which conditions keep the Clic-it communities productive? {step}" in page
