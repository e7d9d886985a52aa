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
