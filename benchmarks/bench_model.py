"""Time one clic_it replication of lcsim against the simplest idiomatic Mesa model.

The script measures, in one process:

* lcsim: building a ``clic_it`` model, running its monthly steps and collecting
  the outcome table, each timed apart; writing the result files and figures is
  timed too, apart from the replication, when that API is available;
* a toy: Mesa agents that each meet one random neighbour on a Watts–Strogatz
  small world every step and absorb a share of the knowledge gap on the
  dimensions where the neighbour knows more (Cowan & Jonard 2004), run with
  as many agents as lcsim has on average and for as many steps.

An agent-step is one employee, company or knowledge institution alive for one
month (the learning-community agents are not counted). Each measurement is
repeated and the median reported; lcsim and the toy alternate so that load on
the shared machine falls on both alike.

Run it from the repository root::

    .venv/bin/python benchmarks/bench_model.py            # report, exit 0
    .venv/bin/python benchmarks/bench_model.py --check    # exit 1 on a missed goal

References:
    Cowan, R., & Jonard, N. (2004). Network structure and the diffusion of
    knowledge. J. Economic Dynamics & Control 28, 1557–1575.
    doi:10.1016/j.jedc.2003.04.002
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
from goals import benchmark_parser, conclude, parse_checked

from lcsim import compose_config, simulate
from lcsim.config.schema import LcsimConfig
from lcsim.config.validate import validate
from lcsim.model.agents import Company, Employee, KnowledgeInstitution
from lcsim.model.model import LearningCommunityModel

SCENARIO = "clic_it"

#: Agent types whose steps count as agent-steps.
COUNTED_TYPES = (Employee, Company, KnowledgeInstitution)

#: Goal: lcsim's cost per agent-step as a multiple of the toy's, at most.
GOAL_RATIO = 0.25
#: Goal: seconds for one replication (build, all steps, outcomes), at most.
GOAL_REPLICATION_SECONDS = 0.5

#: The toy's network: neighbours per agent and rewiring probability.
TOY_DEGREE = 6
TOY_REWIRING = 0.1
#: Share of the knowledge gap a toy agent absorbs from a neighbour who knows more.
TOY_ABSORPTION = 0.3


# ------------------------------------------------------------------------ toy


class Learner(mesa.Agent):
    """A toy agent that learns from one random neighbour every step.

    Args:
        model: The toy model.
        knowledge: Knowledge level on each dimension, in [0, 1].
    """

    def __init__(self, model: KnowledgeCopying, knowledge: np.ndarray) -> None:
        super().__init__(model)
        self.knowledge = knowledge
        self.neighbours: list[Learner] = []

    def step(self) -> None:
        """Meet one neighbour and close part of the gap where it knows more."""
        teacher = self.random.choice(self.neighbours)
        gap = teacher.knowledge - self.knowledge
        self.knowledge += self.model.absorption * np.maximum(gap, 0.0)


class KnowledgeCopying(mesa.Model):
    """Knowledge copying on a small-world network, written as plain Mesa.

    Args:
        n_agents: Number of agents (nodes of the network).
        dimensions: Knowledge dimensions per agent.
        rng: Seed for every random draw, the network's included.
    """

    def __init__(self, n_agents: int, dimensions: int, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.absorption = TOY_ABSORPTION
        graph = nx.watts_strogatz_graph(
            n_agents, TOY_DEGREE, TOY_REWIRING, seed=self.random
        )
        learners = [Learner(self, self.rng.random(dimensions)) for _ in graph]

        # Each agent holds its neighbour agents, as a Python list.
        for node, learner in zip(graph, learners, strict=True):
            learner.neighbours = [learners[other] for other in graph.neighbors(node)]

    def step(self) -> None:
        """Step every agent once, in a random order."""
        self.agents.shuffle_do("step")


def time_toy(n_agents: int, dimensions: int, steps: int, seed: int) -> float:
    """Seconds for ``steps`` steps of the toy (building it is not timed)."""
    model = KnowledgeCopying(n_agents, dimensions, rng=seed)
    started = time.perf_counter()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - started


# ---------------------------------------------------------------------- lcsim


@dataclass
class Replication:
    """Timings (seconds) and agent counts of one lcsim replication."""

    build: float
    steps: float
    outcomes: float
    agent_steps: int
    agents_at_start: int
    agents_at_end: int

    @property
    def total(self) -> float:
        """Build, all steps and outcomes together."""
        return self.build + self.steps + self.outcomes


def counted_agents(model: mesa.Model) -> int:
    """Employees, companies and knowledge institutions alive in the model."""
    by_type = model.agents_by_type
    return sum(len(by_type[kind]) for kind in COUNTED_TYPES if kind in by_type)


def time_lcsim(config: LcsimConfig, seed: int) -> Replication:
    """Build, run and collect one replication, timing each phase apart.

    Agents are counted between steps, outside the timed region.
    """
    started = time.perf_counter()
    model = LearningCommunityModel(config, rng=seed)
    build = time.perf_counter() - started
    agents_at_start = counted_agents(model)

    stepping = 0.0
    agent_steps = 0
    for _ in range(config.scenario.steps):
        agent_steps += counted_agents(model)
        started = time.perf_counter()
        model.step()
        stepping += time.perf_counter() - started

    started = time.perf_counter()
    model.outcomes()
    outcomes = time.perf_counter() - started
    return Replication(
        build, stepping, outcomes, agent_steps, agents_at_start, counted_agents(model)
    )


def time_writing(config: LcsimConfig, seed: int) -> tuple[float, float]:
    """Seconds to write one replication's tables and manifest, and its figures.

    The replication itself is run untimed; files go to a temporary folder.
    """
    from lcsim.experiment.store import write_run
    from lcsim.plotting.figures import write_figures

    result = simulate(config, seed)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        write_run(out / "tables", config, result, timings={})
        tables = time.perf_counter() - started
        started = time.perf_counter()
        write_figures(out, result.timeseries, result.companies)
        figures = time.perf_counter() - started
    return tables, figures


# --------------------------------------------------------------------- report


@dataclass
class Measurements:
    """Everything measured in one benchmark run (seconds, one entry per repeat)."""

    seed: int
    steps: int
    dimensions: int
    replications: list[Replication]
    toy_agents: int
    toy_seconds: list[float]
    writing: list[tuple[float, float]]
    writing_note: str

    @property
    def lcsim_us(self) -> float:
        """Median microseconds per agent-step of lcsim's step loop."""
        seconds = statistics.median(r.steps for r in self.replications)
        return seconds / self.replications[0].agent_steps * 1e6

    @property
    def toy_us(self) -> float:
        """Median microseconds per agent-step of the toy."""
        seconds = statistics.median(self.toy_seconds)
        return seconds / (self.toy_agents * self.steps) * 1e6

    @property
    def ratio(self) -> float:
        return self.lcsim_us / self.toy_us

    @property
    def replication_seconds(self) -> float:
        return statistics.median(r.total for r in self.replications)

    def goals(self) -> list[tuple[bool, str]]:
        """Each goal: whether it is met, and its report text."""
        return [
            (
                self.ratio <= GOAL_RATIO,
                f"lcsim per agent-step <= {GOAL_RATIO} x toy "
                f"(measured {self.ratio:.3f} x)",
            ),
            (
                self.replication_seconds <= GOAL_REPLICATION_SECONDS,
                f"one replication <= {GOAL_REPLICATION_SECONDS} s "
                f"(measured {self.replication_seconds:.3f} s)",
            ),
        ]


def measure(seed: int, repeats: int, write: bool) -> Measurements:
    """Time lcsim and the toy, alternating, ``repeats`` times each."""
    config = validate(compose_config([f"scenario={SCENARIO}"]))
    steps = config.scenario.steps
    dimensions = config.scenario.knowledge_dimensions

    # An untimed warm-up run also gives the agent count the toy matches.
    warm_up = time_lcsim(config, seed)
    toy_agents = round(warm_up.agent_steps / steps)
    time_toy(toy_agents, dimensions, 1, seed)

    replications: list[Replication] = []
    toy_seconds: list[float] = []
    for _ in range(repeats):
        replications.append(time_lcsim(config, seed))
        toy_seconds.append(time_toy(toy_agents, dimensions, steps, seed))

    # Writing is optional: its API may not be there yet.
    writing: list[tuple[float, float]] = []
    writing_note = "skipped (--no-write)"
    if write:
        try:
            writing = [time_writing(config, seed) for _ in range(repeats)]
        except (ImportError, AttributeError, TypeError) as error:
            writing_note = f"skipped: {type(error).__name__}: {error}"
    return Measurements(
        seed,
        steps,
        dimensions,
        replications,
        toy_agents,
        toy_seconds,
        writing,
        writing_note,
    )


def seconds_line(label: str, values: Sequence[float]) -> str:
    """A report line: median seconds, with the range over repeats."""
    return (
        f"  {label:<38} {statistics.median(values):8.3f} s"
        f"   (range {min(values):.3f}-{max(values):.3f})"
    )


def value_line(label: str, value: str) -> str:
    return f"  {label:<38} {value:>8}"


def report(m: Measurements) -> list[str]:
    """The report's lines."""
    runs = m.replications
    first = runs[0]
    lines = [
        f"lcsim benchmark: scenario {SCENARIO}, seed {m.seed}, "
        f"median of {len(runs)} repeats",
        "The machine is shared: treat absolute times as ±20 %; "
        "the ratio is measured in one run.",
        "",
        f"lcsim, one {SCENARIO} replication",
        f"  agents (employees, companies, institutions): {first.agents_at_start} "
        f"at start, {first.agents_at_end} at end, {m.toy_agents} on average",
        value_line("agent-steps", str(first.agent_steps)),
        seconds_line("build", [r.build for r in runs]),
        seconds_line(f"{m.steps} steps", [r.steps for r in runs]),
        seconds_line("outcomes()", [r.outcomes for r in runs]),
        seconds_line("replication (build + steps + outcomes)", [r.total for r in runs]),
    ]
    if m.writing:
        lines += [
            "  not part of the replication:",
            seconds_line("write tables and manifest", [w[0] for w in m.writing]),
            seconds_line("write figures", [w[1] for w in m.writing]),
        ]
    else:
        lines.append(f"  writing files and figures: {m.writing_note}")
    lines += [
        "",
        "Idiomatic Mesa toy: knowledge copying on a Watts–Strogatz network "
        f"(k={TOY_DEGREE}, p={TOY_REWIRING}), {m.dimensions} dimensions",
        value_line("agents", str(m.toy_agents)),
        seconds_line(f"{m.steps} steps", m.toy_seconds),
        "",
        "Cost per agent-step",
        value_line("lcsim", f"{m.lcsim_us:.2f}") + " µs",
        value_line("toy", f"{m.toy_us:.2f}") + " µs",
        value_line("ratio lcsim / toy", f"{m.ratio:.3f}"),
        "",
        "Goals",
    ]
    lines += [f"  {'PASS' if met else 'FAIL'}  {text}" for met, text in m.goals()]
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, 5, "measurements of each kind; the median is reported")
    parser.add_argument("--seed", type=int, default=42, help="seed of every run")
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="skip timing the result files and figures",
    )
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the report and return the exit status."""
    args = parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    measurements = measure(args.seed, args.repeats, write=not args.no_write)
    return conclude(report(measurements), measurements.goals(), args.check)


if __name__ == "__main__":
    sys.exit(main())
