"""Knowledge representation shared by every mechanism.

Knowledge is held as *beliefs* over ``m`` dimensions of a reality (the
knowledge frontier) whose entries are -1 or +1 (March 1991). A belief is a
number in [-1, 1]:

* March's discrete beliefs are the values -1, 0 and +1 (0: no opinion);
* graded knowledge (Cowan & Jonard 2004) uses any value in between.

The *knowledge level* on one dimension is ``(1 + belief * reality) / 2``: 1
when the belief matches reality, 0 when it contradicts it, 0.5 for no
opinion. It equals the probability that the holder acts rightly on that
dimension, so a Cowan–Jonard level ``x`` in [0, 1] is stored as the belief
``2 x - 1`` against a reality of +1.

References:
    March, J. G. (1991). Exploration and exploitation in organizational
    learning. Organization Science 2(1), 71–87. doi:10.1287/orsc.2.1.71
    Cowan, R., & Jonard, N. (2004). Network structure and the diffusion of
    knowledge. J. Economic Dynamics & Control 28, 1557–1575.
    doi:10.1016/j.jedc.2003.04.002
"""

from __future__ import annotations

import numba
import numpy as np


def knowledge_level(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Mean knowledge level over dimensions, in [0, 1], one value per row."""
    return 0.5 + (0.5 / reality.size) * (beliefs @ reality)


def share_known(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Share of dimensions on which the belief equals reality (March's measure)."""
    return (beliefs == reality).mean(axis=-1)


def cognitive_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cognitive distance between belief rows, in [0, 1]: mean |a - b| / 2."""
    return 0.5 * np.abs(a - b).mean(axis=-1)


def act(
    beliefs: np.ndarray, rng: np.random.Generator, out: np.ndarray | None = None
) -> np.ndarray:
    """Draw actions (+1 or -1) from beliefs.

    A belief ``b`` in [-1, 1] acts as +1 with probability ``(1 + b) / 2``, so
    +1 and -1 act as themselves and March's 0 acts as a fair coin flip. Only
    beliefs strictly between -1 and +1 take a random draw, one each, in
    row-major order; the others are certain.

    Args:
        beliefs: Beliefs, any shape.
        rng: The model's generator.
        out: C-contiguous array of the beliefs' shape for the actions; may be
            ``beliefs`` itself. A new array when not given.
    """
    if out is None:
        out = np.array(beliefs, dtype=float, order="C")
    elif out is not beliefs:
        np.copyto(out, beliefs)
    flat = out.reshape(-1)
    uncertain = np.less(flat, 1.0)
    uncertain &= flat > -1.0
    uncertain = np.flatnonzero(uncertain)
    plus = rng.random(uncertain.size) < 0.5 * (1.0 + flat[uncertain])
    flat[uncertain] = 2.0 * plus - 1.0
    return out


def random_beliefs(
    rng: np.random.Generator, shape: tuple[int, ...], reality: np.ndarray | None = None,
    accuracy: float | None = None,
) -> np.ndarray:
    """Draw discrete beliefs in {-1, 0, +1}.

    Without ``accuracy`` each value is equally likely (March's newcomers).
    With ``accuracy`` in [0, 1] and a reality, a belief equals reality with
    that probability and is otherwise 0 or the wrong sign with equal chance.
    """
    if accuracy is None or reality is None:
        return rng.integers(-1, 2, size=shape).astype(float)
    draw = rng.random(shape)
    wrong_or_blank = np.where(rng.random(shape) < 0.5, 0.0, -1.0)
    return np.where(draw < accuracy, 1.0, wrong_or_blank) * reality


def absorb(
    receiver: np.ndarray, source: np.ndarray, reality: np.ndarray, share: np.ndarray | float
) -> np.ndarray:
    """Change in the receiver's beliefs from learning from a source.

    On every dimension where the source knows more (its level exceeds the
    receiver's), the receiver moves the given share of the way towards the
    source's belief; elsewhere nothing changes (Cowan & Jonard 2004). Returns
    the change, with the receiver's shape; ``share`` broadcasts per row.
    """
    share = _per_row(share)
    gap = np.subtract(source, receiver, dtype=float)
    shape = np.broadcast_shapes(gap.shape, share.shape)
    if shape != gap.shape:
        gap = np.broadcast_to(gap, shape).copy()
    return absorb_gap(gap, reality, share)


def absorb_gap(gap: np.ndarray, reality: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    """:func:`absorb` from the gap ``source - receiver``, computed in place in ``gap``.

    With reality at +1 or -1 the source is ahead exactly where
    ``gap x reality > 0``. ``share`` (per row when 1-D) must not broadcast
    ``gap`` to a larger shape.
    """
    share = _per_row(share)
    reality = np.asarray(reality)
    if (gap.ndim == 2 and gap.dtype == np.float64 and reality.shape == gap.shape[1:]
            and share.shape in ((), (len(gap), 1))):
        # One compiled pass, with the same arithmetic as the three steps below.
        _absorb_rows(gap, reality.astype(float, copy=False),
                     np.broadcast_to(share.reshape(-1), (len(gap),)))
        return gap
    ahead = gap * reality > 0.0
    gap *= share
    gap *= ahead
    return gap


@numba.njit(cache=True, nogil=True)
def _absorb_rows(gap, reality, share):  # pragma: no cover - compiled
    for i in range(gap.shape[0]):
        row = gap[i]
        for j in range(row.size):
            g = row[j]
            ahead = 1.0 if g * reality[j] > 0.0 else 0.0
            row[j] = (g * share[i]) * ahead


def _per_row(share: np.ndarray | float) -> np.ndarray:
    share = np.asarray(share, dtype=float)
    return share[:, None] if share.ndim == 1 else share


def level_gain(delta: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Knowledge-level gain of each row from a belief change ``delta``."""
    return (0.5 / reality.size) * (delta @ reality)


def add_rows(values: np.ndarray, rows: np.ndarray, delta: np.ndarray) -> None:
    """Add ``delta[i]`` to ``values[rows[i]]`` in place and keep them in [-1, 1].

    A row that appears several times gets the sum of its changes, added up in
    the order given, before it is added and clipped once. Rows not given are
    left as they are.
    """
    if rows.size == 0:
        return
    flat_values = values.reshape(len(values), -1)
    _add_rows(flat_values, np.asarray(rows, dtype=np.int64),
              np.ascontiguousarray(delta, dtype=float).reshape(rows.size, -1))


@numba.njit(cache=True, nogil=True)
def _add_rows(values, rows, delta):  # pragma: no cover - compiled
    m = values.shape[1]
    slot = np.full(values.shape[0], -1, dtype=np.int64)
    summed = np.empty((rows.size, m))
    n = 0
    for i in range(rows.size):
        s = slot[rows[i]]
        change = delta[i]
        if s < 0:
            slot[rows[i]] = n
            total = summed[n]
            for j in range(m):
                total[j] = change[j]
            n += 1
        else:
            total = summed[s]
            for j in range(m):
                total[j] += change[j]
    for i in range(rows.size):
        s = slot[rows[i]]
        if s >= 0:
            row = values[rows[i]]
            total = summed[s]
            for j in range(m):
                row[j] = min(max(row[j] + total[j], -1.0), 1.0)
            slot[rows[i]] = -1
