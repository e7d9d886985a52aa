"""Joint projects: team assembly, success from knowledge and diversity, innovation.

Each month a community starts on average ``start_rate`` projects per engaged
member. A project's team of ``team_size`` engaged members is assembled as in
Guimerà et al. (2005): an initiator is drawn at random; each further slot is
filled by an incumbent (a member who has worked on a project before) with
probability ``incumbent_share`` — who, with probability ``repeat_share``, is
a past collaborator of someone already on the team (a repeat tie) — and by a
newcomer to projects otherwise. The initiator and every candidate must have
a commitment of at least ``attractiveness_threshold`` (SKIN's partner
threshold). A member can be on several projects at once.

A project runs ``duration`` months. It succeeds with probability

    quality x u(diversity)

where quality is the team's combined knowledge (the mean over dimensions of
the best level on the team, SKIN's pooled kene) and u is the inverted U of
:func:`lcsim.mechanisms.knowledge_exchange.learning_effectiveness` applied to
the team's mean pairwise cognitive distance (Nooteboom et al. 2007; Uzzi &
Spiro 2005). On success every member's organisation absorbs
``team_learning`` of the gap to the team's best on each dimension, earns
``project_value``, and with probability ``discovery`` per dimension that no
one on the team knows, the team discovers the frontier there and every
member adopts it fully: a success that discovers at least one dimension
counts as an innovation. A project with fewer than two members still active
when it ends fails and leaves nothing behind; otherwise, successful or not,
its active members become incumbents and each other's collaborators, and are
tied to each other.

All projects that end in the same month are judged together: their chances
and what their members learn come from the organisations' codes as they
stood before any of them ended, and an organisation on several successful
teams that month gains the sum of what it learns on each (its code kept in
[-1, 1]). Their results are codified onto the platform, if open, in the
order the projects started.

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

import bisect
import functools
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.mechanisms.knowledge_exchange import learning_effectiveness
from lcsim.model.knowledge import absorb, add_rows, cognitive_distance, level_gain
from lcsim.model.state import group_order

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


def assemble_team(
    initiator: int,
    incumbents: Sequence[int],
    newcomers: Sequence[int],
    collaborators: Mapping[int, set[int]],
    params: Params,
    rng: np.random.Generator,
    experienced: AbstractSet[int] | None = None,
) -> list[int]:
    """Fill a team's slots with incumbents, repeat ties and newcomers.

    Args:
        initiator: The member who starts the project.
        incumbents: Candidates (engaged, committed enough) who have worked on
            a project before, ascending.
        newcomers: The other candidates, ascending.
        collaborators: Past collaborators of each member.
        params: Team size and Guimerà's p and q.
        rng: The model's generator.
        experienced: ``set(incumbents)``, when the caller already has it (a
            community's teams share their candidates).

    Returns:
        The team, initiator first; shorter than ``team_size`` when the
        candidates run out.
    """
    # Uniform numbers drawn in one block; more are drawn if a team needs them.
    block = iter(rng.random(4 * params.team_size).tolist())

    def uniform() -> float:
        value = next(block, None)
        return rng.random() if value is None else value

    if experienced is None:
        experienced = set(incumbents)
    team = [initiator]
    on_team = {initiator}
    left = [len(incumbents), len(newcomers)]
    if initiator in experienced:
        left[0] -= 1
    elif _contains(newcomers, initiator):
        left[1] -= 1
    while len(team) < params.team_size and left[0] + left[1] > 0:
        want_incumbent = uniform() < params.incumbent_share
        chosen = None
        if want_incumbent and uniform() < params.repeat_share:
            past = set().union(*(collaborators.get(t, ()) for t in team))
            repeat = sorted(c for c in past - on_team if c in experienced)
            if repeat:
                chosen = repeat[int(uniform() * len(repeat))]
        if chosen is None:
            kind = 0 if want_incumbent else 1
            groups = [incumbents if want_incumbent else newcomers]
            if left[kind] == 0:
                groups = [incumbents, newcomers]
            chosen = _draw_outside(groups, on_team, uniform)
        team.append(chosen)
        on_team.add(chosen)
        left[0 if chosen in experienced else 1] -= 1
    return team


def _contains(ascending: Sequence[int], value: int) -> bool:
    at = bisect.bisect_left(ascending, value)
    return at < len(ascending) and ascending[at] == value


def _draw_outside(
    groups: list[Sequence[int]], excluded: set[int], uniform: Callable[[], float]
) -> int:
    """A uniform draw from the groups (taken together) outside ``excluded``.

    Draws again when it hits an excluded candidate; the caller makes sure
    one is left.
    """
    total = sum(len(g) for g in groups)
    while True:
        k = int(uniform() * total)
        for group in groups:
            if k < len(group):
                break
            k -= len(group)
        if group[k] not in excluded:
            return int(group[k])


def success_chances(
    codes: np.ndarray, on_team: np.ndarray, reality: np.ndarray, optimum: float
) -> np.ndarray:
    """Chance of success of teams, from their members' organisational codes.

    Args:
        codes: Codes of each team's places, shape (..., places, m).
        on_team: Which places hold a member, shape (..., places).
        reality: The frontier, shape (m,).
        optimum: Team diversity at which success peaks.
    """
    levels = np.where(on_team[..., None], 0.5 * (1.0 + codes * reality), 0.0)
    quality = levels.max(axis=-2).mean(axis=-1)
    i, j = _pairs(on_team.shape[-1])
    pair = on_team[..., i] & on_team[..., j]
    distance = cognitive_distance(codes[..., i, :], codes[..., j, :])
    n_pairs = pair.sum(axis=-1)
    diversity = np.divide((distance * pair).sum(axis=-1), n_pairs,
                          out=np.zeros(n_pairs.shape), where=n_pairs > 0)
    return quality * learning_effectiveness(diversity, optimum)


def success_probability(codes: np.ndarray, reality: np.ndarray, optimum: float) -> float:
    """Chance that a team with these organisational codes succeeds."""
    return float(success_chances(codes, np.ones(len(codes), dtype=bool), reality, optimum))


@functools.cache
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


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
    n_comm = model.n_communities
    expected = p.start_rate * np.bincount(community, weights=engaged, minlength=n_comm)
    wanted = np.zeros(n_comm, dtype=np.int64)
    wanted[expected > 0] = rng.poisson(expected[expected > 0])
    if not wanted.any():
        return

    # Candidates of every community, ascending rows, split by experience.
    eligible = np.flatnonzero(engaged & (members["commitment"] >= p.attractiveness_threshold))
    eligible = eligible[group_order(community[eligible], n_comm)]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(community[eligible],
                                                        minlength=n_comm))])
    for c in np.flatnonzero(wanted):
        pool = eligible[bounds[c]:bounds[c + 1]]
        if pool.size < 2:
            continue
        experienced = members["incumbent"][pool]
        incumbents, newcomers = pool[experienced].tolist(), pool[~experienced].tolist()
        candidates = pool.tolist()
        experienced_set = set(incumbents)
        for _ in range(int(wanted[c])):
            initiator = candidates[int(rng.random() * len(candidates))]
            team = assemble_team(initiator, incumbents, newcomers, model.collaborators,
                                 p, rng, experienced_set)
            model.projects.append(
                Project(int(c), np.array(team), model.steps, model.steps + p.duration)
            )
        model.ledger["projects_started"][c] += wanted[c]


def finish_projects(model: LearningCommunityModel, p: Params) -> None:
    """Judge every project due this month, all together (see the module doc)."""
    due = [project for project in model.projects if project.ends <= model.steps]
    if not due:
        return
    model.projects = [project for project in model.projects if project.ends > model.steps]
    members = model.members
    codes = model.organisations["code"]

    # Teams as rows of places; members who left no longer count, and a team
    # left with fewer than two fails.
    active = members["active"]
    teams = [project.team[active[project.team]] for project in due]
    for project, team in zip(due, teams, strict=True):
        project.succeeded = False if team.size < 2 else None
    worked = [k for k, team in enumerate(teams) if team.size >= 2]
    if not worked:
        return
    sizes = np.array([teams[k].size for k in worked])
    on_team = np.arange(sizes.max()) < sizes[:, None]
    places = np.zeros(on_team.shape, dtype=np.int64)
    places[on_team] = np.concatenate([teams[k] for k in worked])
    team_codes = codes[members["org"][places]]
    chance = success_chances(team_codes, on_team, model.reality, p.diversity_optimum)
    success = model.rng.random(len(worked)) < chance
    for k, succeeded in zip(worked, success.tolist(), strict=True):
        due[k].succeeded = succeeded
    model.add_collaborations([teams[k] for k in worked])
    members["incumbent"][places[on_team]] = True
    if success.any():
        succeed(model, [due[k] for k in np.asarray(worked)[success]], places[success],
                on_team[success], team_codes[success], p)


def succeed(
    model: LearningCommunityModel, projects: list[Project], places: np.ndarray,
    on_team: np.ndarray, team_codes: np.ndarray, p: Params,
) -> None:
    """Book successes together: learning, discovery, value and the ledger.

    Args:
        model: The model.
        projects: The successful projects.
        places: Each project's team members, one row per project, padded.
        on_team: Which places hold a team member.
        team_codes: Codes of the members' organisations, shape (projects,
            places, m), as they stood before any of these successes.
        p: This mechanism's parameters.
    """
    reality = model.reality
    members = model.members

    # The team's best code on each dimension, and discoveries where no one
    # on the team knows the frontier.
    lead = np.where(on_team[..., None], team_codes * reality, -np.inf).argmax(axis=1)
    best = np.take_along_axis(team_codes, lead[:, None, :], axis=1)[:, 0, :]
    found = (best * reality < 1.0) & (model.rng.random(best.shape) < p.discovery)
    best = np.where(found, reality, best)
    share = np.where(found, 1.0, p.team_learning)
    delta = absorb(team_codes, best[:, None, :], reality, share[:, None, :])
    delta *= on_team[..., None]

    # Organisations on several successful teams sum what they learn.
    rows = places[on_team]
    add_rows(model.organisations["code"], members["org"][rows], delta[on_team])
    gained = level_gain(delta[on_team], reality)
    knowledge_value = model.params.engagement.knowledge_value
    np.add.at(members["value"], rows, p.project_value + knowledge_value * gained)

    innovation = found.any(axis=1)
    for project, innovated in zip(projects, innovation.tolist(), strict=True):
        project.innovation = innovated
    model.on_project_successes(projects, best)
    community = np.array([project.community for project in projects])
    n_comm = model.n_communities
    model.ledger["projects_succeeded"] += np.bincount(community, minlength=n_comm)
    model.ledger["innovations"] += np.bincount(community, weights=innovation,
                                               minlength=n_comm)
