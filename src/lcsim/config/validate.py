"""Check a composed config against the schema's declared ranges and rules.

Types are checked by OmegaConf when Hydra composes a structured config;
this module checks what types cannot say: ranges, choices, and rules that
link several keys. Every failure raises :class:`lcsim.errors.ConfigError`
naming the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import typing
from typing import Any

from omegaconf import DictConfig, OmegaConf

from lcsim.config.params import describe, range_text
from lcsim.config.schema import MECHANISM_SECTIONS, LcsimConfig
from lcsim.docking import STUDIES, study_module
from lcsim.errors import ConfigError
from lcsim.mechanisms.interventions import ACTIONS, Intervention


def _allowed(row: dict[str, Any]) -> str:
    text = range_text(row, between="a number from {low} to {high}",
                      at_least="a number of at least {low}", at_most="a number of at most {high}")
    return text or "a value of the declared type"


def check_field(key: str, value: Any, row: dict[str, Any]) -> None:
    """Check one value against its declaration; raise ConfigError if it fails."""
    if row.get("choices") and value not in row["choices"]:
        raise ConfigError(key, value, _allowed(row))
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        low, high = row.get("low"), row.get("high")
        if (isinstance(value, float) and not math.isfinite(value)) or (
            low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(key, value, _allowed(row))


def validate(cfg: DictConfig | LcsimConfig) -> LcsimConfig:
    """Validate a config and return it as an :class:`LcsimConfig` object."""
    if isinstance(cfg, DictConfig):
        _check_known_keys(cfg, LcsimConfig, "")
        cfg = OmegaConf.to_object(cfg)
    for row in describe(LcsimConfig):
        value = cfg
        for part in row["name"].split("."):
            value = getattr(value, part)
        check_field(row["name"], value, row)
    _check_links(cfg)
    return cfg


def validate_changes(cfg: LcsimConfig, changes: dict[str, Any],
                     rows: dict[str, dict[str, Any]]) -> LcsimConfig | None:
    """A copy of a validated config with plain numbers changed, validated; or None.

    Setting numbers on the object and checking only what they can break is
    much faster than composing and validating again (sweeps and sensitivity
    analyses make many thousand configs). None means a change needs the full
    path (OmegaConf's type checks): a key that is no number field, or a value
    of the wrong kind.

    Args:
        cfg: A config that :func:`validate` returned.
        changes: New values by config path.
        rows: The declarations by config path (``describe(LcsimConfig)``).
    """
    changed = copy.deepcopy(cfg)
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = changed
        for part in parents:
            node = getattr(node, part, None)
        current = getattr(node, leaf, None)
        if key not in rows or not _plain_number(current) or not _plain_number(value) or (
                isinstance(current, int) and not isinstance(value, int)):
            return None
        setattr(node, leaf, float(value) if isinstance(current, float) else value)
        check_field(key, getattr(node, leaf), rows[key])
    _check_links(changed)
    return changed


def _plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_known_keys(node: Any, schema: type, prefix: str) -> None:
    """Refuse keys that the schema does not declare (e.g. added with ``+key=``)."""
    hints = typing.get_type_hints(schema)
    for key in node:
        if key not in hints:
            known = ", ".join(sorted(hints))
            raise ConfigError(f"{prefix}{key}", node[key],
                              f"no such key; known keys here: {known}")
        kind = hints[key]
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            _check_known_keys(node[key], kind, f"{prefix}{key}.")


def _check_links(cfg: LcsimConfig) -> None:
    s = cfg.scenario
    mix = s.size_mix
    total = mix.micro + mix.small + mix.medium
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ConfigError("scenario.size_mix", f"{total:g} in all", "shares that sum to 1")
    if s.n_companies < s.n_communities:
        raise ConfigError("scenario.n_companies", s.n_companies,
                          f"at least scenario.n_communities ({s.n_communities})")
    if s.institutions_per_community_min > s.institutions_per_community_max:
        raise ConfigError("scenario.institutions_per_community_min",
                          s.institutions_per_community_min,
                          "at most scenario.institutions_per_community_max "
                          f"({s.institutions_per_community_max})")
    if s.institutions_per_community_min > s.n_institutions:
        raise ConfigError("scenario.institutions_per_community_min",
                          s.institutions_per_community_min,
                          f"at most scenario.n_institutions ({s.n_institutions})")
    if s.digital_dimensions > s.knowledge_dimensions:
        raise ConfigError("scenario.digital_dimensions", s.digital_dimensions,
                          f"at most scenario.knowledge_dimensions ({s.knowledge_dimensions})")
    if s.ties_per_member % 2:
        raise ConfigError("scenario.ties_per_member", s.ties_per_member, "an even number")
    if cfg.n_jobs == 0:
        raise ConfigError("n_jobs", 0, "a number of workers of at least 1, or -1 for all cores")
    most = s.institutions_per_community_max
    if s.n_institutions > s.n_communities * most:
        raise ConfigError("scenario.n_institutions", s.n_institutions,
                          f"at most scenario.n_communities x "
                          f"scenario.institutions_per_community_max ({s.n_communities * most}),"
                          " so that every institution serves a community")
    e = cfg.engagement
    shares = e.share_conditional + e.share_free_rider + e.share_hump_shaped
    if shares > 1.0 + 1e-9:
        raise ConfigError("engagement.share_conditional", e.share_conditional,
                          "member-type shares (conditional, free_rider, hump_shaped) "
                          f"that sum to at most 1, not {shares:g}")
    for i, event in enumerate(s.interventions):
        _check_intervention(f"scenario.interventions[{i}]", event, cfg)
    for name in STUDIES:
        check = getattr(study_module(name), "check", None)
        if check is not None:
            check(getattr(cfg.docking, name))


def _check_intervention(key: str, event: Intervention, cfg: LcsimConfig) -> None:
    steps = cfg.scenario.steps
    if not 1 <= event.step <= steps:
        raise ConfigError(f"{key}.step", event.step,
                          f"a month from 1 to scenario.steps ({steps})")
    if event.action not in ACTIONS:
        raise ConfigError(f"{key}.action", event.action, "one of " + ", ".join(ACTIONS))
    if event.action == "set_parameter":
        _check_parameter_event(key, event, cfg)
    if event.action == "remove_central":
        n = cfg.scenario.n_communities
        if event.community is None or not 0 <= event.community < n:
            raise ConfigError(f"{key}.community", event.community,
                              f"a community index from 0 to {n - 1}")
        if event.k < 0:
            raise ConfigError(f"{key}.k", event.k, "a number of at least 0")


def _check_parameter_event(key: str, event: Intervention, cfg: LcsimConfig) -> None:
    rows = {row["name"]: row for row in describe(LcsimConfig)}
    sections = ", ".join(f"{s}.*" for s in MECHANISM_SECTIONS)
    name = str(event.parameter)
    if name.split(".")[0] not in MECHANISM_SECTIONS or name not in rows:
        raise ConfigError(f"{key}.parameter", event.parameter,
                          f"a mechanism parameter ({sections})")
    current = OmegaConf.select(OmegaConf.structured(cfg), name)
    value = event.value
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(current, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(current))
    if not ok:
        raise ConfigError(f"{key}.value", value,
                          f"a {type(current).__name__} for {name}")
    check_field(f"{key}.value", value, rows[name])
