"""The problem of a sensitivity analysis: parameters in doubt, outcomes, months.

``configs/analysis/NAME.yaml`` declares it under ``analysis``: parameters by
config path as in a sweep (``{low, high}``, ``integer: true``, ``dist:
loguniform``, or ``{values: [...]}``), the outcomes, the months and the
method. :func:`build_problem` checks it and settles what the declaration
leaves open: a parameter with equal bounds (or one value) is held fixed and
left out of the problem, and a Sobol' base size that is not a power of 2 is
rounded up, each with a logged notice; under Morris, an integer or categorical
parameter whose number of values does not divide ``analysis.levels`` gets a
logged warning (its values cannot be equally likely on the grid,
:func:`lcsim.sweep.design.grid_notice`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lcsim.config.schema import LcsimConfig
from lcsim.errors import ConfigError
from lcsim.experiment.runner import outcome_names
from lcsim.sensitivity.discovery import check_settings as check_discovery
from lcsim.sensitivity.methods import method_of
from lcsim.sweep.design import Parameter, declared_parameters, grid_notice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """What a sensitivity analysis varies and what it analyses.

    Attributes:
        method: ``analysis.method``.
        n: Base sample size as used (a power of 2 for sobol).
        parameters: The parameters varied, in the declared order.
        fixed: Parameters held fixed (equal bounds), by config path.
        outcomes: The outcome columns analysed.
        steps: The months analysed; empty for a scalar stand-in model.
    """

    method: str
    n: int
    parameters: tuple[Parameter, ...]
    fixed: dict[str, Any]
    outcomes: tuple[str, ...]
    steps: tuple[int, ...]

    @property
    def names(self) -> list[str]:
        return [p.key for p in self.parameters]

    def salib(self) -> dict[str, Any]:
        """SALib's problem over the unit hypercube, one dimension per parameter."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[0.0, 1.0]] * len(self.parameters)}

    def describe(self) -> dict[str, Any]:
        """The problem as plain values, for ``problem.json``."""
        return {"method": self.method, "n": self.n, "outcomes": list(self.outcomes),
                "steps": list(self.steps), "fixed": self.fixed,
                "parameters": [{"name": p.key, "low": p.low, "high": p.high,
                                "values": None if p.values is None else list(p.values),
                                "integer": p.integer, "dist": p.dist}
                               for p in self.parameters]}


def build_problem(config: LcsimConfig, groups: Sequence[str]) -> Problem:
    """Check ``config.analysis`` and make its problem.

    Raises:
        ConfigError: Naming the key, the value and what is allowed.
    """
    settings = config.analysis
    if not settings.parameters:
        raise ConfigError("analysis.parameters", {}, "at least one parameter; choose a "
                          "problem with analysis=NAME (configs/analysis/)")
    declared = declared_parameters(settings.parameters, groups,
                                   section="analysis.parameters", fixed_allowed=True)
    varied, fixed = [], {}
    for parameter in declared:
        if parameter.values is not None and len(parameter.values) > 1 or (
                parameter.values is None and parameter.low < parameter.high):
            varied.append(parameter)
            continue
        value = parameter.values[0] if parameter.values is not None else parameter.low
        fixed[parameter.key] = int(value) if parameter.integer else value
        log.info("analysis.parameters.%s is held fixed at %s (one value) and left out of "
                 "the problem", parameter.key, fixed[parameter.key])
    if not varied:
        raise ConfigError("analysis.parameters", sorted(fixed), "at least one parameter "
                          "with two or more values (low below high)")

    known = outcome_names(config)
    for outcome in settings.outcomes:
        if outcome not in known:
            raise ConfigError("analysis.outcomes", outcome,
                              f"outcomes of model={config.model}: " + ", ".join(known))
    if not settings.outcomes:
        raise ConfigError("analysis.outcomes", [], "at least one outcome")
    steps = sorted(set(settings.steps))
    if config.model != "community" and steps:
        raise ConfigError("analysis.steps", steps, f"[] for model={config.model}, a "
                          "scalar stand-in without months")
    last = config.scenario.steps
    if config.model == "community" and (not steps or steps[0] < 1 or steps[-1] > last):
        raise ConfigError("analysis.steps", steps,
                          f"one or more months from 1 to scenario.steps ({last})")

    method = method_of(settings)
    n = settings.n
    if n < method.min_n:
        raise ConfigError("analysis.n", n, f"at least {method.min_n} for {method.name}")
    if method.name == "sobol" and n & (n - 1):
        rounded = 1 << n.bit_length()
        log.info("analysis.n=%d is not a power of 2: rounded up to %d, which keeps the "
                 "balance of the Sobol' sequence", n, rounded)
        n = rounded
    if method.name == "morris" and settings.levels % 2:
        raise ConfigError("analysis.levels", settings.levels, "an even number of levels")
    for parameter in varied if method.name == "morris" else ():
        notice = grid_notice(parameter, settings.levels, "analysis")
        if notice:
            log.warning("%s", notice)
    check_discovery(config)
    return Problem(method.name, n, tuple(varied), fixed, tuple(settings.outcomes),
                   tuple(steps))
