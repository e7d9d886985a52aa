"""Leaving and joining: exits that can cascade, and joiners drawn by reputation.

Leaving, each month:

* a member whose net benefit (value minus cost, see :mod:`.engagement`)
  averaged over the last ``patience`` months stays below zero leaves, once it
  has been a member that long (Schweitzer, Zhang & Casiraghi 2020). A
  member's departure removes its ties and its contribution, which can lower
  what its partners gain and whether others reach their participation
  thresholds, so exits could cascade (with the defaults they do not: see
  ``tests/test_stylised_facts.py`` and docs/ODD.md, section 1);
* every company also closes or stops for reasons outside the community with
  the base hazard ``exit_hazard`` a month (CBS firm dynamics);
* a newcomer who joined last month comes back with the probability set by
  facilitation (welcomed or not, Joyce & Kraut 2006), or leaves.

Knowledge institutions are funded partners and do not leave (assumption);
they can still stop taking part.

Joining: a community's *reputation* is an exponential moving average, with
weight ``1 / reputation_memory`` on the newest month and starting at 0, of
the mean of two signals: the share of its active members who take
part and whether a joint project succeeded that month; new companies join it
at the Poisson rate ``join_rate x reputation`` a month (horticulture study:
reputation and visible intermediate results attract members).

References:
    Schweitzer, F., Zhang, Y., & Casiraghi, G. (2020). Intervention
    scenarios to enhance knowledge transfer in a network of firms. Frontiers
    in Physics 8, 382. doi:10.3389/fphy.2020.00382
    Joyce, E., & Kraut, R. E. (2006). doi:10.1111/j.1083-6101.2006.00034.x
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel


@dataclass
class Params:
    enabled: bool = param(True, "Switch for leaving and joining.")
    patience: int = param(
        6, "Months over which a member averages its net benefit before leaving.",
        unit="month", low=1, high=24, source="SCIENCE.md (3-24)",
    )
    exit_hazard: float = param(
        0.003, "Monthly chance that a company leaves for outside reasons.",
        unit="1/month", low=0.0, high=1.0, source="CBS firm dynamics (0.2-0.55 %)",
    )
    join_rate: float = param(
        0.5, "New companies a month at full reputation, per community.",
        unit="1/month", low=0.0, high=100.0, source="assumption",
    )
    reputation_memory: int = param(
        12, "Months over which reputation is averaged.", unit="month",
        low=1, high=120, source="assumption",
    )


def leaving_decision(
    net_history: np.ndarray, months: np.ndarray, patience: int
) -> np.ndarray:
    """Who leaves: mean net benefit over the last ``patience`` months below zero.

    Args:
        net_history: Net benefit per member, newest month last, shape (n, w)
            with w >= patience.
        months: Months each member has been in the community.
        patience: The window in months.
    """
    recent = net_history[:, -patience:].mean(axis=1)
    return (months >= patience) & (recent < 0.0)


def step(model: LearningCommunityModel) -> None:
    """Let members leave, newcomers return or not, and new companies join."""
    p: Params = model.params.membership
    members = model.members
    rng = model.rng
    active = members["active"]
    if p.enabled:
        companies = model.organisations["kind"][members["org"]] == 0
        fed_up = leaving_decision(members["net_history"], members["months"], p.patience)
        closed = rng.random(len(members)) < p.exit_hazard
        due = members["newcomer"] & (members["months"] >= 1)
        f = model.params.facilitation
        back = np.where(members["welcomed"] & f.enabled, f.return_welcomed,
                        f.return_unwelcomed)
        gone = due & (rng.random(len(members)) >= back)
        members["newcomer"][due] = False
        leavers = np.flatnonzero(active & companies & (fed_up | closed | gone))
        model.leave(leavers)
    update_reputation(model, p)
    if p.enabled and p.join_rate > 0:
        joiners = rng.poisson(p.join_rate * model.reputation)
        if joiners.any():
            model.join_companies(np.repeat(np.arange(model.n_communities), joiners))


def update_reputation(model: LearningCommunityModel, p: Params) -> None:
    members = model.members
    n_comm = model.n_communities
    active = np.bincount(members["community"], weights=members["active"], minlength=n_comm)
    engaged = np.bincount(members["community"], weights=members["engaged"], minlength=n_comm)
    share = np.divide(engaged, active, out=np.zeros(n_comm), where=active > 0)
    success = np.minimum(model.ledger["projects_succeeded"], 1.0)
    signal = 0.5 * share + 0.5 * success
    memory = 1.0 / p.reputation_memory
    model.reputation[:] = (1.0 - memory) * model.reputation + memory * signal
