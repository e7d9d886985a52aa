"""A sweep's plan: its design points, their configs, and the runs they make.

:func:`plan_sweep` turns the overrides of ``lcsim run -m`` into a
:class:`Plan`: the design (:mod:`lcsim.sweep.design`), one validated config
per point, and points x replications runs. Every problem surfaces here, as a
:class:`~lcsim.errors.ConfigError` naming key, value and what is allowed,
before anything runs or any folder is made.

Seeds: with common random numbers (``sweep.common_random_numbers=true``, the
default) replicate r of every point uses child r of ``SeedSequence(seed)``,
exactly as ``lcsim run`` and :func:`lcsim.simulate` do, so that differences
between points are not blurred by different random draws. With ``false``, run
(p, r) uses ``SeedSequence(seed, spawn_key=(p, r))``: independent streams.
The repeats of a sensitivity analysis are blocks of points, each with its own
common random numbers (:func:`plan_runs`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf, open_dict

from lcsim.config.compose import compose_config, config_dir
from lcsim.config.params import describe
from lcsim.config.schema import AdaptiveConfig, LauncherConfig, LcsimConfig, SweepConfig
from lcsim.config.validate import check_field, validate, validate_changes
from lcsim.docking import COMMUNITY
from lcsim.errors import ConfigError
from lcsim.experiment.runner import outcome_names
from lcsim.model.outcomes import OUTCOMES
from lcsim.sweep.design import Design, combine, command_line_axes, declared_design

#: Keys that change how a sweep runs or reports, not what it computes: left out
#: of its identity (a sensitivity analysis's sample is in the design points).
#: First element of the spawn key of runs in blocks after the first (see plan_runs).
BLOCK_KEY = 2**32 - 2

EXECUTION_KEYS = ("n_jobs", "figures", "figures_format", "figures_max_pixels",
                  "sweep.batch_size", "sweep.key_outcomes", "sweep.ci_share", "launcher",
                  "analysis")


@dataclass(frozen=True)
class Run:
    """One model run of a sweep: replicate ``replicate`` of design point ``point``.

    Attributes:
        run_id: Hash of the point's parameter values and the replicate's seed.
        point: Row of the design.
        replicate: Replicate number r (0-based).
        spawn_key: Spawn key of the run's ``SeedSequence`` under the point's
            root seed: ``(r,)`` with common random numbers, else ``(p, r)``.
        replicate_seed: A 63-bit fingerprint of that ``SeedSequence``; two runs
            share their random numbers exactly when it is equal.
    """

    run_id: str
    point: int
    replicate: int
    spawn_key: tuple[int, ...]
    replicate_seed: int


@dataclass
class Plan:
    """Everything a sweep will do, checked.

    Attributes:
        folder: The sweep directory (``hydra.sweep.dir``).
        sweep: The ``sweep`` section of the config.
        seed: The root seed of the config composed without the swept values.
        n_jobs: Worker processes asked for (-1: all cores).
        launcher: Where the batches run (``launcher.name``: local or slurm).
        design: The design points.
        configs: One validated config per point.
        runs: Points x replications, point by point.
        identity: What makes two sweeps the same (config and points); an
            existing sweep directory is resumed only under the same identity.
    """

    folder: Path
    sweep: SweepConfig
    seed: int
    n_jobs: int
    launcher: LauncherConfig
    design: Design
    configs: list[LcsimConfig]
    runs: list[Run]
    identity: dict[str, Any]

    @property
    def parameters(self) -> list[str]:
        return list(self.design.table.columns)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcome columns of the runs (those of ``model``)."""
        return outcome_names(self.configs[0])

    def replications(self) -> list[int]:
        """Replications planned for each point, in point order."""
        counts = [0] * len(self.design)
        for run in self.runs:
            counts[run.point] += 1
        return counts

    def point_values(self, point: int) -> dict[str, Any]:
        """The swept values of one point, as plain Python values."""
        row = self.design.table.iloc[point]
        return {key: row[key].item() if hasattr(row[key], "item") else row[key]
                for key in self.parameters}


def config_groups() -> list[str]:
    """The config groups a sweep may choose between (``scenario``, ``experiment``...)."""
    return sorted(p.name for p in config_dir().iterdir() if p.is_dir())


def plan_sweep(overrides: list[str]) -> Plan:
    """Build and check the plan of ``lcsim run -m OVERRIDES``.

    Raises:
        ConfigError, and Hydra's or OmegaConf's errors for overrides they
        refuse; :func:`lcsim.config.compose.explain` makes one line of each.
    """
    fixed, axes = command_line_axes(overrides)
    model_fixed = [o for o in fixed if not o.lstrip("+~").startswith(("hydra.", "hydra/"))]
    composed = compose_config(fixed, return_hydra=True)
    folder = Path(str(composed.hydra.sweep.dir))
    with open_dict(composed):
        del composed["hydra"]
    # The points are validated one by one; of the base, only what the sweep
    # itself reads (a swept scenario may make the base's own scenario invalid).
    sweep = sweep_section(composed)
    launcher = launcher_section(composed)
    seed = int(composed.seed)

    groups = config_groups()
    design = combine(axes, declared_design(sweep, groups, seed))
    configs = point_configs(model_fixed, design, groups)
    for point, config in enumerate(configs):
        if config.study != COMMUNITY:
            raise ConfigError("study", config.study,
                              f"the learning-community model ({COMMUNITY}) in a sweep "
                              f"(point {point}); a docking study runs once, with "
                              f"lcsim run experiment={config.study}")
    if sweep.adaptive.target:
        check_adaptive(sweep.adaptive, [c.replications for c in configs])
    runs = plan_runs(design, configs, sweep.common_random_numbers)
    return Plan(folder, sweep, seed, int(composed.n_jobs), launcher, design, configs,
                runs, sweep_identity(composed, design))


def sweep_section(cfg: DictConfig) -> SweepConfig:
    """The ``sweep`` section of a composed config, checked against its declarations."""
    sweep = OmegaConf.to_object(cfg.sweep)
    for row in describe(LcsimConfig):
        if row["name"].startswith("sweep."):
            value = sweep
            for part in row["name"].split(".")[1:]:
                value = getattr(value, part)
            check_field(row["name"], value, row)
    unknown = [name for name in sweep.key_outcomes if name not in OUTCOMES]
    if unknown:
        raise ConfigError("sweep.key_outcomes", unknown[0],
                          "outcome columns: " + ", ".join(OUTCOMES))
    return sweep


def launcher_section(cfg: DictConfig) -> LauncherConfig:
    """The ``launcher`` section of a composed config, checked against its declarations."""
    launcher = OmegaConf.to_object(cfg.launcher)
    for row in describe(LcsimConfig):
        if row["name"].startswith("launcher."):
            check_field(row["name"], getattr(launcher, row["name"].split(".", 1)[1]), row)
    logs = launcher.logs
    if not logs or "/" in logs or logs in (".", "..", "batches", "failed"):
        raise ConfigError("launcher.logs", logs, "one folder name for Slurm's logs inside "
                          "the sweep directory, other than batches and failed")
    return launcher


def point_configs(fixed: list[str], design: Design, groups: list[str]) -> list[LcsimConfig]:
    """Compose and validate the config of every design point.

    Composing through Hydra takes about 0.2 s, so it happens once per distinct
    choice of config groups; plain numbers are then set on a copy of the
    validated config (:func:`~lcsim.config.validate.validate_changes`, about
    0.2 ms a point), other values on a copy of the composed one. A point whose
    values are refused is composed again through Hydra, so that its error reads
    as for ``lcsim run``.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    rows = {row["name"]: row for row in describe(LcsimConfig)}
    composed: dict[tuple[str, ...], tuple[DictConfig, LcsimConfig]] = {}
    configs = []
    for values_of_point, point_overrides in zip(design.table.to_dict("records"),
                                                design.overrides, strict=True):
        if not any(key in groups for key in values_of_point):
            if () not in composed:
                base = compose_config(fixed)
                composed[()] = base, validate(copy.deepcopy(base))
            config = validate_changes(composed[()][1], values_of_point, rows)
            if config is not None:
                configs.append(config)
                continue
        parsed = parser.parse_overrides(point_overrides)
        structural = tuple(o.input_line for o in parsed if _structural(o, groups))
        values = [o for o in parsed if not _structural(o, groups)]
        if structural not in composed:
            base = compose_config([*fixed, *structural])
            composed[structural] = base, validate(copy.deepcopy(base))
        base, validated = composed[structural]
        config = validate_changes(validated, {o.key_or_group: o.value() for o in values},
                                  rows)
        if config is None:
            cfg = copy.deepcopy(base)
            try:
                for override in values:
                    OmegaConf.update(cfg, override.key_or_group, override.value(),
                                     merge=False)
            except Exception:  # noqa: BLE001 - Hydra gives the error its usual wording
                cfg = compose_config([*fixed, *point_overrides])
            config = validate(cfg)
        configs.append(config)
    return configs


def _structural(override: Any, groups: list[str]) -> bool:
    """Whether an override needs Hydra's composition (a group, an addition...)."""
    return (override.key_or_group.split("/")[0] in groups or override.package is not None
            or override.is_add() or override.is_force_add() or override.is_delete())


def plan_runs(design: Design, configs: list[LcsimConfig], common: bool,
              replications: list[int] | None = None,
              blocks: list[int] | None = None) -> list[Run]:
    """Points x replications, with their seeds and ids, point by point.

    Args:
        design: The design points.
        configs: The config of each point.
        common: Common random numbers (see the module docstring).
        replications: Replications of each point (default: each config's
            ``replications``); replicate r's seed and id do not depend on it.
        blocks: Block of each point (default: all in block 0). Random numbers
            are common within a block only: with ``common``, replicate r of a
            point in block b > 0 uses spawn key ``(BLOCK_KEY, b, r)``, so that
            blocks (the repeats of a sensitivity analysis) are independent.
    """
    if replications is None:
        replications = [config.replications for config in configs]
    if blocks is None:
        blocks = [0] * len(configs)
    runs = []
    for point, config in enumerate(configs):
        values = json.dumps(dict(zip(design.table.columns, design.overrides[point],
                                     strict=True)), sort_keys=True)
        for replicate in range(replications[point]):
            if not common:
                key = (point, replicate)
            elif blocks[point]:
                key = (BLOCK_KEY, blocks[point], replicate)
            else:
                key = (replicate,)
            fingerprint = seed_fingerprint(config.seed, key)
            digest = hashlib.sha256(f"{values}|{fingerprint}".encode()).hexdigest()
            runs.append(Run(digest[:16], point, replicate, key, fingerprint))
    return runs


def check_adaptive(adaptive: AdaptiveConfig, replications: list[int]) -> None:
    """Refuse adaptive settings that cannot work with the first round's replications."""
    first = min(replications)
    if first < 2:
        raise ConfigError("replications", first, "at least 2 with sweep.adaptive.target "
                          "(a confidence interval needs two runs)")
    if adaptive.max_replications < max(replications):
        raise ConfigError("sweep.adaptive.max_replications", adaptive.max_replications,
                          f"at least replications ({max(replications)}), the first round")
    if adaptive.max_runs and adaptive.max_runs < sum(replications):
        raise ConfigError("sweep.adaptive.max_runs", adaptive.max_runs,
                          f"0 or at least the first round's {sum(replications)} runs "
                          "(points x replications)")


def seed_fingerprint(seed: int, spawn_key: tuple[int, ...]) -> int:
    """63 bits drawn from ``SeedSequence(seed, spawn_key=spawn_key)``."""
    sequence = np.random.SeedSequence(seed, spawn_key=spawn_key)
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def sweep_identity(composed: DictConfig, design: Design) -> dict[str, Any]:
    """The resolved config (without execution keys) and the points' overrides."""
    config = OmegaConf.to_container(composed, resolve=True)
    for key in EXECUTION_KEYS:
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node[part]
        node.pop(leaf, None)
    return {"config": config, "points": design.overrides}


def identity_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two sweep identities, one line per changed value."""
    before, after = _flatten(old["config"]), _flatten(new["config"])
    lines = [f"{key}: {before.get(key, '(absent)')} -> {after.get(key, '(absent)')}"
             for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    if len(old["points"]) != len(new["points"]):
        lines.append(f"design: {len(old['points'])} points -> {len(new['points'])} points")
    else:
        for point, (was, now) in enumerate(zip(old["points"], new["points"], strict=True)):
            if was != now:
                lines.append(f"point {point}: {' '.join(was)} -> {' '.join(now)}")
    return lines


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        flat: dict[str, Any] = {}
        for key, value in node.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): node}
