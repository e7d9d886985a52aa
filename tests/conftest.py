"""Shared fixtures: configs composed through Hydra, as users get them."""

from __future__ import annotations

import pytest

from lcsim import compose_config
from lcsim.config.schema import LcsimConfig
from lcsim.config.validate import validate


def make_config(*overrides: str) -> LcsimConfig:
    """Compose and validate the main config with Hydra overrides."""
    return validate(compose_config(list(overrides)))


@pytest.fixture(scope="session")
def tiny() -> LcsimConfig:
    return make_config("scenario=tiny")


@pytest.fixture(scope="session")
def single_lc() -> LcsimConfig:
    return make_config("scenario=single_lc")
