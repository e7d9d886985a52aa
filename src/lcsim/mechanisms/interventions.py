"""Interventions: timed events that a researcher schedules in the config.

``scenario.interventions`` is a list of events; each fires at the start of
month ``step``, before any other mechanism:

* ``open_platform`` / ``close_platform``: open or close the cross-community
  platform (:mod:`.platform`);
* ``set_parameter``: set ``parameter`` (a dotted config key such as
  ``engagement.participation_cost`` or ``facilitation.capacity``) to
  ``value`` from then on — a subsidy, more facilitator capacity;
* ``remove_central``: the ``k`` most central active companies of
  ``community`` (by degree in the tie network; ties broken by lowest index)
  leave at once, to test how exits cascade (Schweitzer et al. 2020).

References:
    Schweitzer, F., Zhang, Y., & Casiraghi, G. (2020).
    doi:10.3389/fphy.2020.00382
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lcsim.config.params import param

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

ACTIONS = ("open_platform", "close_platform", "set_parameter", "remove_central")


@dataclass
class Intervention:
    step: int = param(1, "Month at whose start the event fires.", unit="month", low=1)
    action: str = param("open_platform", "What happens.", choices=ACTIONS)
    parameter: str | None = param(
        None, "Dotted config key that set_parameter changes."
    )
    value: Any = param(None, "New value for set_parameter.")
    community: int | None = param(
        None, "Community index (0-based) for remove_central."
    )
    k: int = param(1, "Members that remove_central removes.", low=0)


def most_central(degree: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates of highest degree; ties go to the lower index."""
    order = np.lexsort((candidates, -degree[candidates]))
    return candidates[order[:k]]


def apply(model: LearningCommunityModel, event: Intervention) -> None:
    """Carry out one event on the model."""
    if event.action == "open_platform":
        model.platform_open = True
    elif event.action == "close_platform":
        model.platform_open = False
    elif event.action == "set_parameter":
        section, name = str(event.parameter).split(".", 1)
        setattr(getattr(model.params, section), name, event.value)
    elif event.action == "remove_central":
        members = model.members
        companies = model.organisations["kind"][members["org"]] == 0
        candidates = np.flatnonzero(
            members["active"] & companies & (members["community"] == event.community)
        )
        model.leave(most_central(model.degree(), candidates, event.k))


def step(model: LearningCommunityModel) -> None:
    """Fire every event scheduled for this month, in list order."""
    for event in model.params.scenario.interventions:
        if event.step == model.steps:
            apply(model, event)
