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

:func:`mutual_learning` runs steps 1-3 for every organisation at once. Its two
passes over the staff are compiled with numba; the random draws still come
from the model's generator, one per position in row-major order, so it gives
exactly what :func:`socialise`, :func:`~lcsim.model.knowledge.act` and
:func:`learn_code` give in turn (tested).

References:
    March, J. G. (1991). Exploration and exploitation in organizational
    learning. Organization Science 2(1), 71–87. doi:10.1287/orsc.2.1.71
    Rodan, S. (2005). Exploration and exploitation revisited. Int. J. of
    Organizational Analysis 13(4). doi:10.1108/eb029006
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from lcsim.config.params import param
from lcsim.model.knowledge import random_beliefs

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
    adopt_majority(codes, votes, probability, rng)


def adopt_majority(
    codes: np.ndarray, votes: np.ndarray, probability: float, rng: np.random.Generator
) -> None:
    """Move codes to the sign of their superior employees' summed actions, in place.

    Where the majority differs from the code, the code adopts it with
    probability 1 - (1 - p2)^k, k being the margin ``|votes|``; one draw per
    such position, in row-major order.
    """
    majority = np.sign(votes)
    candidates = np.flatnonzero((majority != 0.0) & (majority != codes))
    margin = np.abs(votes.reshape(-1)[candidates])
    adopt = candidates[rng.random(candidates.size) < 1.0 - (1.0 - probability) ** margin]
    rows, dims = np.divmod(adopt, codes.shape[1])
    codes[rows, dims] = majority[rows, dims]


def mutual_learning(
    beliefs: np.ndarray,
    staff: np.ndarray,
    owners: np.ndarray,
    codes: np.ndarray,
    reality: np.ndarray,
    socialisation: float,
    code_learning: float,
    rng: np.random.Generator,
) -> None:
    """Socialisation and code learning in every organisation at once, in place.

    The same month as :func:`socialise` on the staff's beliefs, then
    :func:`~lcsim.model.knowledge.act` and :func:`learn_code` on the beliefs
    as they were before socialisation, with the same draws in the same
    order, but without copying the staff's beliefs out of the table.

    Args:
        beliefs: The belief table, shape (rows, m); only ``staff`` rows are read
            and changed.
        staff: Rows of the employees who learn.
        owners: Organisation index of each of them.
        codes: Organisational codes, shape (n_orgs, m), changed in place.
        reality: The frontier, +1 or -1, shape (m,).
        socialisation: p1.
        code_learning: p2.
        rng: The model's generator.
    """
    n_targets, n_uncertain = _count_draws(beliefs, staff, owners, codes)
    socialising = _uniforms(rng, n_targets)
    acting = _uniforms(rng, n_uncertain)
    votes = _act_vote_and_socialise(beliefs, staff, owners, codes, codes @ reality, reality,
                                    acting, socialising, socialisation)
    adopt_majority(codes, votes, code_learning, rng)


def _uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.random(n)`` followed by one spare entry that no rule reads.

    The spare lets the compiled pass read "the next draw" at every position
    without a bounds test.
    """
    draws = np.ones(n + 1)
    rng.random(out=draws[:n])
    return draws


@numba.njit(cache=True, nogil=True)
def _count_draws(beliefs, staff, owners, codes):  # pragma: no cover - compiled
    """How many beliefs socialisation may move (the code holds a view the
    belief lacks), and how many lie strictly between -1 and +1."""
    m = beliefs.shape[1]
    n_targets = 0
    n_uncertain = 0
    for i in range(staff.size):
        row = staff[i]
        org = owners[i]
        for j in range(m):
            b = beliefs[row, j]
            c = codes[org, j]
            n_targets += (c != 0.0) & (b != c)
            n_uncertain += (b > -1.0) & (b < 1.0)
    return n_targets, n_uncertain


@numba.njit(cache=True, nogil=True)
def _act_vote_and_socialise(beliefs, staff, owners, codes, code_score, reality, acting,
                            socialising, probability):  # pragma: no cover - compiled
    """One pass over the staff, row by row: act on the beliefs, add a superior
    employee's actions to its organisation's votes, then socialise the row.

    ``acting`` holds one uniform per uncertain belief and ``socialising`` one
    per socialisation target, both used in row-major order, as
    :func:`~lcsim.model.knowledge.act` and :func:`socialise` use theirs; each
    ends with one spare entry (see :func:`_uniforms`). Returns the votes,
    shape of ``codes``.
    """
    m = beliefs.shape[1]
    votes = np.zeros(codes.shape, dtype=np.float64)
    action = np.empty(m, dtype=np.float64)
    # Unsigned positions in the draws: no test for negative indices.
    k = np.uint64(0)
    t = np.uint64(0)
    for i in range(staff.size):
        beliefs_row = beliefs[staff[i]]
        org = owners[i]
        code_row = codes[org]
        performance = 0.0
        for j in range(m):
            # Branch-free: every belief reads the next draw, the uncertain use it.
            b = beliefs_row[j]
            uncertain = (b > -1.0) & (b < 1.0)
            drawn = 1.0 if acting[k] < 0.5 * (1.0 + b) else -1.0
            a = drawn if uncertain else b
            k += np.uint64(uncertain)
            action[j] = a
            performance += a * reality[j]
        if performance > code_score[org]:
            votes_row = votes[org]
            for j in range(m):
                votes_row[j] += action[j]
        for j in range(m):
            # Branch-free as above: every belief is rewritten, most unchanged
            # (b + 0 x step, as a multiply by a 0/1 mask would give).
            b = beliefs_row[j]
            c = code_row[j]
            target = (c != 0.0) & (b != c)
            step = min(max(c - b, -1.0), 1.0)
            moves = target & (socialising[t] < probability)
            beliefs_row[j] = b + (step if moves else 0.0 * step)
            t += np.uint64(target)
    return votes


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

    mutual_learning(table, staff, owners, codes, model.reality, p.socialisation,
                    p.code_learning, rng)
    leavers, newcomers = staff_turnover(staff.size, m, p.turnover, rng)
    table[staff[leavers]] = newcomers
    drift_frontier(model.reality, p.frontier_drift, rng)
