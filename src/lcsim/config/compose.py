"""Composing lcsim configs from Python, as the command line does."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from lcsim.config.schema import register_configs
from lcsim.errors import LcsimError


def config_dir() -> Path:
    """The Hydra config tree: ``$LCSIM_CONFIG_DIR`` or the repository's ``configs/``."""
    override = os.environ.get("LCSIM_CONFIG_DIR")
    path = Path(override) if override else Path(__file__).resolve().parents[3] / "configs"
    if not (path / "config.yaml").is_file():
        raise LcsimError(
            f"config tree not found at {path}; set LCSIM_CONFIG_DIR to the "
            "folder that holds config.yaml"
        )
    return path


def compose_config(overrides: Sequence[str] = (), *, return_hydra: bool = False) -> DictConfig:
    """Compose the main config with Hydra overrides such as ``scenario=tiny``."""
    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(config_dir()),
                               job_name="lcsim"):
        return compose(config_name="config", overrides=list(overrides),
                       return_hydra_config=return_hydra)


def explain(error: Exception) -> str:
    """One line that names the key, the value and what is allowed, for a compose error.

    Hydra and OmegaConf report bad overrides over several lines with internal
    detail; this keeps what a user needs.
    """
    from hydra.errors import MissingConfigException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    if isinstance(error, LcsimError):
        return str(error)
    cause = error.__cause__ or error
    text = str(error)
    if isinstance(error, MissingConfigException) and "Could not find '" in text:
        wanted = text.split("Could not find '", 1)[1].split("'", 1)[0]
        group, _, name = wanted.rpartition("/")
        options = [
            line.strip() for line in text.split("Available options in", 1)[-1].splitlines()[1:]
            if line.startswith("\t") and not line.strip().startswith(("provider=", "base_"))
        ]
        if group:
            allowed = "one of " + ", ".join(options) if options else "no options exist"
            return f"{group}={name} is not allowed: {allowed}"
        return text.splitlines()[0]
    key = _full_key(str(cause))
    first = str(cause).splitlines()[0]
    value = _override_value(text, key)
    if isinstance(cause, ConfigAttributeError | ConfigKeyError) or "not in struct" in first:
        missing = first.split("'")[1] if "'" in first else key
        return f"{key or missing}: unknown key; {_closest_keys(key or missing)}"
    if isinstance(cause, ValidationError):
        if "Integer" in first:
            allowed = "a whole number"
        elif "Float" in first:
            allowed = "a number"
        elif "bool" in first:
            allowed = "true or false"
        elif "Invalid type assigned" in first:
            allowed = "a config section; set its keys instead, e.g. " + f"{key}.enabled=false"
        else:
            allowed = first
        return f"{key}={value} is not allowed: {allowed}"
    return " ".join(text.split())


def _full_key(message: str) -> str:
    for line in message.splitlines():
        line = line.strip()
        if line.startswith("full_key:"):
            return line.split(":", 1)[1].strip()
    return ""


def _override_value(message: str, key: str) -> str:
    marker = f"override {key}="
    if marker in message:
        words = message.split(marker, 1)[1].split()
        return words[0] if words else "''"
    return "?"


def _closest_keys(key: str) -> str:
    """Suggest the declared keys nearest to a mistyped one."""
    import difflib

    from lcsim.config.params import describe
    from lcsim.config.schema import LcsimConfig

    names = sorted({row["name"].split("[")[0] for row in describe(LcsimConfig)})
    if "." not in key:
        # A mistyped section: suggest among sections and top-level keys.
        names = sorted({name.split(".")[0] for name in names})
    close = difflib.get_close_matches(key, names, n=2, cutoff=0.75)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "docs/ODD.md lists the keys that exist"
