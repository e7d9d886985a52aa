"""Learning inside an organisation: March's mutual learning with the code.

Each month, inside every organisation (company or knowledge institution):

1. every employee acts on its beliefs (see :func:`lcsim.model.knowledge.act`);
   performance is the sum over dimensions of action x reality, and the
   organisation's code scores the sum of code x reality;
2. *socialisation*: on each dimension where the code holds a view and an
   employee differs from it, the employee moves one step towards the code
   (-1 -> 0 -> +1) with probability ``socialisation`` (p1); a graded belief
   less than one step away lands on the code;
3. *code learning*: the superior employees are those whose performance beats
   the code's score; on each dimension where their majority action differs
   from the code, the code adopts it with probability 1 - (1 - p2)^k, k being
   the majority's margin in employees;
4. *staff turnover*: each employee is replaced by a newcomer with fresh
   uniform beliefs with probability ``turnover`` (p3) a month;
5. *frontier drift* (turbulence): each dimension of reality flips with
   probability ``frontier_drift`` (p4) a month. Drift is part of this
   mechanism, so ``learning.enabled=false`` also holds the frontier still.

Steps 2 and 3 both use the state at the start of this mechanism, as in the
replications by Rodan (2005) and Christensen (2015): socialisation moves
beliefs towards the codes as they stood before code learning, and code
learning uses the actions drawn from the beliefs before socialisation.

References:
    March, J. G. (1991). Exploration and exploitation in organizational
    learning. Organization Science 2(1), 71–87. doi:10.1287/orsc.2.1.71
    Rodan, S. (2005). Exploration and exploitation revisited. Int. J. of
    Organizational Analysis 13(4). doi:10.1108/eb029006
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param
from lcsim.model.knowledge import act, random_beliefs

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for learning inside organisations.")
    socialisation: float = param(
        0.3, "Probability p1 that an employee adopts the code on a dimension.",
        unit="1/month", low=0.0, high=1.0, source="March 1991",
    )
    code_learning: float = param(
        0.5, "Probability p2 that the code learns from one superior employee.",
        unit="1/month", low=0.0, high=1.0, source="March 1991",
    )
    turnover: float = param(
        0.02, "Probability p3 that an employee is replaced by a newcomer.",
        unit="1/month", low=0.0, high=1.0, source="March 1991; SCIENCE.md range 0-0.1",
    )
    frontier_drift: float = param(
        0.01, "Probability p4 that one dimension of the knowledge frontier flips.",
        unit="1/month", low=0.0, high=1.0,
        source="March 1991 (turbulence); SCIENCE.md range 0-0.05",
    )


def socialise(
    beliefs: np.ndarray, codes: np.ndarray, probability: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move beliefs one step towards their organisation's code, in place.

    Only positions where the code is non-zero and the belief differs from it
    take a random draw (one each, in row-major order).

    Args:
        beliefs: Employees' beliefs, shape (n, m).
        codes: Each employee's organisational code, shape (n, m).
        probability: p1, per employee and dimension.
        rng: The model's generator.

    Returns:
        The (row, dimension) indices of the beliefs that moved.
    """
    rows, dims = np.divmod(socialisation_targets(beliefs, codes), beliefs.shape[1])
    moved, after = step_towards(beliefs[rows, dims], codes[rows, dims], probability, rng)
    rows, dims = rows[moved], dims[moved]
    beliefs[rows, dims] = after
    return rows, dims


def socialisation_targets(beliefs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Flat (row-major) positions where the code holds a view the belief lacks."""
    differs = np.not_equal(codes, 0.0)
    differs &= beliefs != codes
    return np.flatnonzero(differs)


def step_towards(
    before: np.ndarray, target: np.ndarray, probability: float, rng: np.random.Generator,
    among: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which beliefs move one step towards their code, and where they end.

    Args:
        before: Beliefs, 1-D.
        target: The code at each belief's position, 1-D.
        probability: p1, the chance that a belief moves.
        rng: The model's generator.
        among: Positions that may move (one draw each); all when not given.

    Returns:
        The indices into ``among`` (or ``before``) of the beliefs that move,
        and their values after the move.
    """
    n = before.size if among is None else among.size
    moved = np.flatnonzero(rng.random(n) < probability)
    at = moved if among is None else among[moved]
    start = before[at]
    return moved, start + np.clip(target[at] - start, -1.0, 1.0)


def organisation_votes(
    actions: np.ndarray, owners: np.ndarray, n_orgs: int
) -> np.ndarray:
    """Sum of the given employees' actions per organisation, shape (n_orgs, m)."""
    m = actions.shape[1]
    votes = np.zeros((n_orgs, m))
    if owners.size == 0:
        return votes
    if (owners[1:] >= owners[:-1]).all():
        # Staff grouped by organisation (the model's order): sum each block.
        first = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]]))
        votes[owners[first]] = np.add.reduceat(actions, first, axis=0)
        return votes
    flat = (owners[:, None] * m + np.arange(m)).ravel()
    return np.bincount(flat, weights=actions.ravel(), minlength=n_orgs * m).reshape(n_orgs, m)


def learn_code(
    codes: np.ndarray,
    actions: np.ndarray,
    owners: np.ndarray,
    reality: np.ndarray,
    probability: float,
    rng: np.random.Generator,
) -> None:
    """Let each organisation's code learn from its superior employees, in place.

    Only positions where the superior majority differs from the code take a
    random draw (one each, in row-major order).

    Args:
        codes: Organisational codes, shape (n_orgs, m).
        actions: Employees' actions this month, +1 or -1, shape (n, m).
        owners: Organisation index of each employee, shape (n,).
        reality: The frontier, +1 or -1, shape (m,).
        probability: p2.
        rng: The model's generator.
    """
    performance = actions @ reality
    code_score = codes @ reality
    superior = np.flatnonzero(performance > code_score[owners])
    votes = organisation_votes(actions[superior], owners[superior], len(codes))
    majority = np.sign(votes)
    candidates = np.flatnonzero((majority != 0.0) & (majority != codes))
    margin = np.abs(votes.reshape(-1)[candidates])
    adopt = candidates[rng.random(candidates.size) < 1.0 - (1.0 - probability) ** margin]
    rows, dims = np.divmod(adopt, codes.shape[1])
    codes[rows, dims] = majority[rows, dims]


def replace_staff(
    beliefs: np.ndarray, probability: float, rng: np.random.Generator
) -> np.ndarray:
    """Replace employees by newcomers with uniform beliefs, in place.

    Returns the indices of the replaced rows.
    """
    leavers, newcomers = staff_turnover(len(beliefs), beliefs.shape[1], probability, rng)
    beliefs[leavers] = newcomers
    return leavers


def staff_turnover(
    n: int, m: int, probability: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``n`` employees leave, and their successors' uniform beliefs."""
    leavers = np.flatnonzero(rng.random(n) < probability)
    return leavers, random_beliefs(rng, (leavers.size, m))


def drift_frontier(
    reality: np.ndarray, probability: float, rng: np.random.Generator
) -> None:
    """Flip each dimension of reality with the given probability, in place."""
    flips = rng.random(reality.shape) < probability
    reality[flips] *= -1.0


def step(model: LearningCommunityModel) -> None:
    """One month of mutual learning in every organisation in the model."""
    p: Params = model.params.learning
    if not p.enabled:
        return
    rng = model.rng
    _, staff = model.staff_by_organisation()
    staff = staff[model.employees["present"][staff]]
    table = model.employees["beliefs"]
    owners = model.employees["org"][staff]
    codes = model.organisations["code"]
    m = codes.shape[1]

    # Which beliefs socialisation moves, read before actions overwrite the
    # gathered beliefs.
    beliefs = table[staff]
    employee_codes = codes[owners]
    targets = socialisation_targets(beliefs, employee_codes)
    moved, after = step_towards(beliefs.reshape(-1), employee_codes.reshape(-1),
                                p.socialisation, rng, targets)
    moved = targets[moved]
    del employee_codes

    actions = act(beliefs, rng, out=beliefs)
    learn_code(codes, actions, owners, model.reality, p.code_learning, rng)

    # Write back only what changed: the moved beliefs, then the newcomers.
    rows = moved // m
    model.employees.flat("beliefs")[staff[rows] * m + (moved - rows * m)] = after
    leavers, newcomers = staff_turnover(staff.size, m, p.turnover, rng)
    table[staff[leavers]] = newcomers
    drift_frontier(model.reality, p.frontier_drift, rng)
