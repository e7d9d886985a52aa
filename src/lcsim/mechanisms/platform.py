"""A cross-community platform of codified results.

Once the platform is open (an intervention, see :mod:`.interventions`), the
results of every successful joint project are codified onto it: on each
dimension where the project's best knowledge beats the platform's, the
platform moves ``codification`` of the way towards it. Each month every
engaged member of any community draws on the platform with probability
``access_rate``: one of its employees learns from the platform's content, on
the dimensions where something has been codified, through the exchange rule
(:func:`lcsim.mechanisms.knowledge_exchange.exchange`) with a weight
``uptake`` that stands for the loss in codifying tacit knowledge.

Small communities have fewer partners of their own, so the platform is
expected to help them more than large ones (the Clic-it LC incubator). The
model does not show this: every member has about the same number of ties
whatever the size of its community, and draws on the platform at the same
rate (``tests/test_stylised_facts.py``; docs/ODD.md, section 1).

References:
    Clic-it programme (NWO): a shared platform ("LC incubator") through which
    learning communities learn from each other.
    Wenger, E., Trayner, B., & de Laat, M. (2011). Promoting and assessing
    value creation in communities and networks. Open Universiteit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from lcsim.config.params import param
from lcsim.mechanisms.knowledge_exchange import exchange
from lcsim.model.knowledge import absorb, knowledge_level

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(
        True, "Switch for the platform (off: opening it has no effect)."
    )
    codification: float = param(
        0.5, "Share of a successful project's lead that is codified onto the platform.",
        low=0.0, high=1.0, source="assumption",
    )
    access_rate: float = param(
        0.2, "Monthly chance that an engaged member draws on the platform.",
        unit="1/month", low=0.0, high=1.0, source="assumption",
    )
    uptake: float = param(
        0.5, "Weight of codified knowledge against a face-to-face partner's.",
        low=0.0, high=1.0, source="assumption",
    )


def codify(platform: np.ndarray, result: np.ndarray, reality: np.ndarray,
           share: float) -> np.ndarray:
    """Platform content after codifying one project result."""
    return np.clip(platform + absorb(platform, result, reality, share), -1.0, 1.0)


def codify_all(platform: np.ndarray, results: np.ndarray, reality: np.ndarray,
               share: float) -> np.ndarray:
    """Platform content after codifying each row of ``results`` in turn.

    The same numbers as :func:`codify` applied row by row, compiled.
    """
    content = np.array(platform, dtype=float)
    _codify_rows(content, np.ascontiguousarray(results, dtype=float).reshape(-1, content.size),
                 np.asarray(reality, dtype=float), float(share))
    return content


@numba.njit(cache=True, nogil=True)
def _codify_rows(content, results, reality, share):  # pragma: no cover - compiled
    for result in results:
        for j in range(content.size):
            gap = result[j] - content[j]
            ahead = 1.0 if gap * reality[j] > 0.0 else 0.0
            value = content[j] + (gap * share) * ahead
            content[j] = min(max(value, -1.0), 1.0)


def step(model: LearningCommunityModel) -> None:
    """Engaged members draw on the open platform."""
    p: Params = model.params.platform
    if not (p.enabled and model.platform_open):
        return
    members = model.members
    users = np.flatnonzero(members["engaged"] & (model.rng.random(len(members)) < p.access_rate))
    if users.size == 0:
        return
    orgs = members["org"][users]
    beliefs = model.employees["beliefs"]
    learners = model.random_employees(orgs)
    # Codified knowledge teaches only on dimensions where something was codified:
    # elsewhere the learner meets its own beliefs and learns nothing.
    content = model.platform_content
    source = np.where(content != 0.0, content, beliefs[learners])
    gains = exchange(
        beliefs,
        learners,
        source,
        model.reality,
        np.full(users.size, p.uptake),
        knowledge_level(model.organisations["code"], model.reality)[orgs],
        model.params.exchange,
        model.boundary_reduction[members["community"][users]],
    )
    model.credit_gains(users, gains, "flow_platform")
