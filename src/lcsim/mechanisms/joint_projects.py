"""Joint projects: team assembly, success from knowledge and diversity, innovation.

Each month a community starts on average ``start_rate`` projects per engaged
member. A project's team of ``team_size`` engaged members is assembled as in
Guimerà et al. (2005): an initiator is drawn at random; each further slot is
filled by an incumbent (a member who has worked on a project before) with
probability ``incumbent_share`` — who, with probability ``repeat_share``, is
a past collaborator of someone already on the team (a repeat tie) — and by a
newcomer to projects otherwise. A candidate only joins when its commitment
is at least ``attractiveness_threshold`` (SKIN's partner threshold).

A project runs ``duration`` months. It succeeds with probability

    quality x u(diversity)

where quality is the team's combined knowledge (the mean over dimensions of
the best level on the team, SKIN's pooled kene) and u is the inverted U of
:func:`lcsim.mechanisms.knowledge_exchange.learning_effectiveness` applied to
the team's mean pairwise cognitive distance (Nooteboom et al. 2007; Uzzi &
Spiro 2005). On success every member's organisation absorbs
``team_learning`` of the gap to the team's best on each dimension, earns
``project_value``, and with probability ``discovery`` per dimension that no
one on the team knows, the team discovers the frontier there: a success
that discovers at least one dimension counts as an innovation. Working
together ties the team's members to each other.

References:
    Guimerà, R., Uzzi, B., Spiro, J., & Amaral, L. A. N. (2005). Team
    assembly mechanisms determine collaboration network structure and team
    performance. Science 308, 697–702. doi:10.1126/science.1106340
    Gilbert, N., Pyka, A., & Ahrweiler, P. (2001). Innovation networks — a
    simulation approach (SKIN). JASSS 4(3).
    Uzzi, B., & Spiro, J. (2005). Collaboration and creativity: the small
    world problem. AJS 111(2), 447–504. doi:10.1086/432782
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.mechanisms.knowledge_exchange import learning_effectiveness
from lcsim.model.knowledge import absorb, cognitive_distance, level_gain

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for joint projects.")
    start_rate: float = param(
        0.02, "Projects started per engaged member and month.",
        unit="1/month", low=0.0, high=1.0, source="assumption",
    )
    team_size: int = param(
        4, "Members on a project team.", low=2, high=8, source="SCIENCE.md (3-8)",
    )
    incumbent_share: float = param(
        0.6, "Probability p that a slot goes to an incumbent.",
        low=0.0, high=1.0, source="Guimerà et al. 2005",
    )
    repeat_share: float = param(
        0.4, "Probability q that an incumbent is a past collaborator.",
        low=0.0, high=1.0, source="Guimerà et al. 2005",
    )
    attractiveness_threshold: float = param(
        0.3, "Least commitment for a candidate to join a team.",
        low=0.0, high=1.0, source="SKIN (partner threshold about 0.3)",
    )
    duration: int = param(
        6, "Months from a project's start to its result.", unit="month",
        low=1, high=60, source="assumption",
    )
    diversity_optimum: float = param(
        0.4, "Team diversity (mean cognitive distance) at which success peaks.",
        low=0.01, high=1.0, source="Nooteboom et al. 2007 (assumption: value)",
    )
    team_learning: float = param(
        0.3, "Share of the gap to the team's best that members absorb on success.",
        low=0.0, high=1.0, source="assumption",
    )
    discovery: float = param(
        0.1, "Chance per unknown dimension that a successful team discovers it.",
        low=0.0, high=1.0, source="assumption",
    )
    project_value: float = param(
        6.0, "Value each team member earns from a successful project.",
        unit="value", low=0.0, high=1e3, source="assumption",
    )


@dataclass
class Project:
    """A joint project of one community's members."""

    community: int
    team: np.ndarray
    started: int
    ends: int
    succeeded: bool | None = None
    innovation: bool = False
    extra: dict = field(default_factory=dict)


def assemble_team(
    initiator: int,
    candidates: np.ndarray,
    incumbent: np.ndarray,
    collaborators: dict[int, set[int]],
    params: Params,
    rng: np.random.Generator,
) -> list[int]:
    """Fill a team's slots with incumbents, repeat ties and newcomers.

    Args:
        initiator: The member who starts the project.
        candidates: Members who may join (engaged, committed enough).
        incumbent: Whether each candidate has worked on a project before.
        collaborators: Past collaborators of each member.
        params: Team size and Guimerà's p and q.
        rng: The model's generator.

    Returns:
        The team, initiator first; shorter than ``team_size`` when the pool
        runs out.
    """
    team = [initiator]
    pool = {int(c): bool(i) for c, i in zip(candidates, incumbent, strict=True)}
    pool.pop(initiator, None)
    while len(team) < params.team_size and pool:
        want_incumbent = rng.random() < params.incumbent_share
        options = [c for c, inc in pool.items() if inc == want_incumbent]
        if want_incumbent and rng.random() < params.repeat_share:
            past = set().union(*(collaborators.get(t, set()) for t in team))
            repeat = [c for c in options if c in past]
            options = repeat or options
        if not options:
            options = list(pool)
        chosen = options[int(rng.integers(len(options)))]
        team.append(chosen)
        del pool[chosen]
    return team


def success_probability(codes: np.ndarray, reality: np.ndarray, optimum: float) -> float:
    """Chance that a team with these organisational codes succeeds."""
    levels = 0.5 * (1.0 + codes * reality)
    quality = levels.max(axis=0).mean()
    i, j = np.triu_indices(len(codes), k=1)
    diversity = cognitive_distance(codes[i], codes[j]).mean() if i.size else 0.0
    return float(quality * learning_effectiveness(diversity, optimum))


def step(model: LearningCommunityModel) -> None:
    """Finish due projects, then start new ones in every community."""
    p: Params = model.params.projects
    if not p.enabled:
        return
    finish_projects(model, p)
    start_projects(model, p)


def start_projects(model: LearningCommunityModel, p: Params) -> None:
    members = model.members
    rng = model.rng
    engaged = members["engaged"]
    community = members["community"]
    expected = p.start_rate * np.bincount(
        community, weights=engaged, minlength=model.n_communities
    )
    for c in np.flatnonzero(expected > 0):
        eligible = np.flatnonzero(
            engaged & (community == c)
            & (members["commitment"] >= p.attractiveness_threshold)
        )
        for _ in range(int(rng.poisson(expected[c]))):
            if eligible.size < 2:
                break
            initiator = int(eligible[rng.integers(eligible.size)])
            team = assemble_team(
                initiator, eligible, members["incumbent"][eligible],
                model.collaborators, p, rng,
            )
            if len(team) < 2:
                continue
            model.projects.append(
                Project(c, np.array(team), model.steps, model.steps + p.duration)
            )
            model.ledger["projects_started"][c] += 1


def finish_projects(model: LearningCommunityModel, p: Params) -> None:
    members = model.members
    codes = model.organisations["code"]
    reality = model.reality
    rng = model.rng
    ongoing = []
    for project in model.projects:
        if project.ends > model.steps:
            ongoing.append(project)
            continue
        team = project.team[members["active"][project.team]]
        if team.size < 2:
            project.succeeded = False
            continue
        orgs = members["org"][team]
        team_codes = codes[orgs]
        chance = success_probability(team_codes, reality, p.diversity_optimum)
        project.succeeded = bool(rng.random() < chance)
        model.add_collaboration(team)
        members["incumbent"][team] = True
        if not project.succeeded:
            continue
        best = team_codes[np.argmax(team_codes * reality, axis=0), np.arange(len(reality))]
        unknown = best * reality < 1.0
        found = unknown & (rng.random(len(reality)) < p.discovery)
        best = np.where(found, reality, best)
        project.innovation = bool(found.any())
        share = np.where(found, 1.0, p.team_learning)[None, :]
        delta = absorb(team_codes, np.broadcast_to(best, team_codes.shape), reality, share)
        codes[orgs] = np.clip(team_codes + delta, -1.0, 1.0)
        gained = level_gain(delta, reality)
        knowledge_value = model.params.engagement.knowledge_value
        members["value"][team] += p.project_value + knowledge_value * gained
        model.on_project_success(project, best)
        c = project.community
        model.ledger["projects_succeeded"][c] += 1
        model.ledger["innovations"][c] += int(project.innovation)
    model.projects = ongoing
