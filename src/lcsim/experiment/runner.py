"""The seam between model and experiments: one run, and replications of it.

:func:`simulate` takes a config and a seed and returns the run's outcome
tables; everything above it (the command line, sweeps, sensitivity analysis)
calls it, sweeps through :func:`final_outcomes`, which also runs the scalar
stand-in models (``model=ishigami``). :func:`run_replications` runs several
replications whose seeds are spawned from one ``SeedSequence``, serially or on
worker processes, with identical results either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from omegaconf import DictConfig

from lcsim.config.schema import LcsimConfig
from lcsim.config.validate import validate
from lcsim.model import ishigami
from lcsim.model.knowledge import knowledge_level
from lcsim.model.model import LearningCommunityModel
from lcsim.model.outcomes import ALL, OUTCOMES

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Outcome tables of one or more replications.

    Attributes:
        timeseries: One row per replicate, month and community (plus "all"),
            with the outcome columns of ``docs/outputs.md``.
        companies: One row per replicate and company at the final month:
            community, size class, knowledge, digital maturity, active.
        seconds: Wall-clock seconds per replicate (not part of the results).
        seed: The root seed the replicates' seeds were spawned from (None when
            a run was given its own ``SeedSequence``).
        replicates: The replicate numbers, in the tables' order.
    """

    timeseries: pd.DataFrame
    companies: pd.DataFrame
    seconds: list[float] = field(default_factory=list)
    seed: int | None = None
    replicates: list[int] = field(default_factory=list)


def replicate_seed(seed: int, replicate: int) -> np.random.SeedSequence:
    """Seed of replicate r: child r of ``SeedSequence(seed)``, as ``spawn`` makes it."""
    return np.random.SeedSequence(seed, spawn_key=(replicate,))


def replicate_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Seeds of replications 0..R-1, spawned from ``SeedSequence(seed)``."""
    return [replicate_seed(seed, r) for r in range(replications)]


def simulate(
    config: LcsimConfig | DictConfig,
    seed: int | np.random.SeedSequence,
    *,
    replicate: int = 0,
) -> RunResult:
    """Run the model once and return its outcome tables.

    ``simulate(config, S, replicate=r)`` is replicate r of
    ``run_replications(config, seed=S)``, exactly.

    Args:
        config: A composed config; it is validated here.
        seed: A root seed, from which replicate r's seed is spawned
            (:func:`replicate_seed`), or a ``SeedSequence`` used as it is; the
            model draws every random number from a generator built from it.
        replicate: The replicate number, written into the tables.
    """
    root = None if isinstance(seed, np.random.SeedSequence) else int(seed)
    started = time.perf_counter()
    model = run_model(config, seed, replicate=replicate)
    timeseries = model.outcomes()
    timeseries.insert(0, "replicate", replicate)
    companies = final_companies(model)
    companies.insert(0, "replicate", replicate)
    return RunResult(timeseries, companies, [time.perf_counter() - started], root,
                     [replicate])


def run_model(
    config: LcsimConfig | DictConfig,
    seed: int | np.random.SeedSequence,
    *,
    replicate: int = 0,
) -> LearningCommunityModel:
    """Run the model once, as :func:`simulate` does, and return it at its final month.

    For what the tables do not hold, such as the collaboration network.
    """
    config = validate(config)
    if not isinstance(seed, np.random.SeedSequence):
        seed = replicate_seed(int(seed), replicate)
    model = LearningCommunityModel(config, rng=np.random.default_rng(seed))
    model.run()
    return model


def outcome_names(config: LcsimConfig) -> tuple[str, ...]:
    """The outcome columns one run of ``config.model`` reports."""
    return ishigami.OUTCOMES if config.model == "ishigami" else OUTCOMES


def final_outcomes(config: LcsimConfig, seed: np.random.SeedSequence, *,
                   replicate: int = 0) -> tuple[dict[str, float], pd.DataFrame | None]:
    """One run's final outcomes (of community ``all``) and its time series.

    The scalar stand-in ``model=ishigami`` has no months: its time series is
    None, and it draws no random numbers.
    """
    if config.model == "ishigami":
        return ishigami.evaluate(config.ishigami), None
    timeseries = simulate(config, seed, replicate=replicate).timeseries
    final = timeseries[(timeseries["community"] == ALL)
                       & (timeseries["step"] == timeseries["step"].max())]
    return {name: final[name].item() for name in OUTCOMES}, timeseries


def final_companies(model: LearningCommunityModel) -> pd.DataFrame:
    """Every company that was ever a member, as it stands at the final month."""
    members, orgs = model.members, model.organisations
    rows = np.flatnonzero(orgs["kind"][members["org"]] == 0)
    org = members["org"][rows]
    names = [model.communities[c].name for c in members["community"][rows]]
    size = np.array(["micro", "small", "medium"])[orgs["size_class"][org]]
    return pd.DataFrame({
        "company": org,
        "community": names,
        "size_class": size,
        "founder": members["founder"][rows],
        "active": members["active"][rows],
        "knowledge": knowledge_level(orgs["code"][org], model.reality),
        "digital_maturity": orgs["maturity"][org],
    })


def run_replications(
    config: LcsimConfig | DictConfig,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run replications 0..R-1 and stack their tables.

    Args:
        config: The run's config; ``replications``, ``seed`` and ``n_jobs``
            default to its values.
        replications: Number of replications R >= 1.
        seed: Root seed; replicate r gets ``SeedSequence(seed).spawn(R)[r]``.
        n_jobs: Worker processes (1: serial; -1: all cores).
        progress: Called with (done, total) as replications finish.
    """
    config = validate(config)
    replications = config.replications if replications is None else replications
    seed = config.seed if seed is None else seed
    n_jobs = config.n_jobs if n_jobs is None else n_jobs
    jobs = (delayed(simulate)(config, seed, replicate=r) for r in range(replications))
    if n_jobs == 1 or replications == 1:
        results = (simulate(config, seed, replicate=r) for r in range(replications))
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    done: list[RunResult] = []
    for result in results:
        done.append(result)
        if progress is not None:
            progress(len(done), replications)
    return RunResult(
        pd.concat([r.timeseries for r in done], ignore_index=True),
        pd.concat([r.companies for r in done], ignore_index=True),
        [s for r in done for s in r.seconds],
        seed,
        [i for r in done for i in r.replicates],
    )
