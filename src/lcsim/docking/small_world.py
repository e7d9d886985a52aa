"""Community tie networks for docking studies, wired by the model's own function.

:func:`lcsim.model.population.wire_small_world` ties the members of a
community, in ring order, as a Watts–Strogatz small world. Of the model it
uses only the scenario's ``ties_per_member`` and ``rewiring``, the model's
generator (for the networkx seed) and ``add_ties``. :func:`small_world_ties`
hands it a stand-in that holds exactly these, so that a docking study gets the
very networks the model's communities get, at any size.

References:
    Watts, D. J., & Strogatz, S. H. (1998). Collective dynamics of
    'small-world' networks. Nature 393, 440–442. doi:10.1038/30918
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcsim.model.population import wire_small_world


@dataclass
class _Wiring:
    """The scenario fields that ``wire_small_world`` reads."""

    ties_per_member: int
    rewiring: float


@dataclass
class _Params:
    scenario: _Wiring


class _Community:
    """What ``wire_small_world`` needs of the model: params, generator, add_ties."""

    def __init__(self, degree: int, rewiring: float, rng: np.random.Generator) -> None:
        self.params = _Params(_Wiring(degree, rewiring))
        self.rng = rng
        self.ties = np.zeros((0, 2), dtype=np.int64)

    def add_ties(self, a: np.ndarray, b: np.ndarray) -> None:
        self.ties = np.concatenate([self.ties, np.column_stack([a, b])])


def small_world_ties(
    members: int, degree: int, rewiring: float, rng: np.random.Generator
) -> np.ndarray:
    """Ties of ``members`` members on a ring, wired as the model wires a community.

    Args:
        members: Members of the community (nodes of the ring).
        degree: Ties of each member before rewiring (``scenario.ties_per_member``);
            the model lowers it for communities too small to hold it.
        rewiring: Watts–Strogatz rewiring probability (``scenario.rewiring``).
        rng: Generator from which the model's function draws its networkx seed.

    Returns:
        Member pairs, shape (ties, 2), members numbered 0 … members − 1.
    """
    community = _Community(degree, rewiring, rng)
    wire_small_world(community, np.arange(members))
    return community.ties


def neighbours(ties: np.ndarray, members: int) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists in compressed form: member i's are ``adjacent[start[i]:start[i+1]]``."""
    ends = np.concatenate([ties[:, 0], ties[:, 1]])
    others = np.concatenate([ties[:, 1], ties[:, 0]])
    adjacent = others[np.argsort(ends, kind="stable")]
    start = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=members))])
    return start, adjacent
