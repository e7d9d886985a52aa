"""Mesa agents of the model: companies, employees, institutions, communities.

The agents hold no numbers of their own: each knows its row in the model's
state tables and exposes that row's values as properties, so a modeller can
inspect any agent while the mechanisms update whole populations at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from lcsim.model.knowledge import knowledge_level

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

SIZE_CLASSES = ("micro", "small", "medium")


class Employee(mesa.Agent):
    """A post in an organisation, held by one person at a time.

    Staff turnover gives the post a newcomer with fresh beliefs; the agent
    stays, as the post does.
    """

    def __init__(self, model: LearningCommunityModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def beliefs(self) -> np.ndarray:
        """Beliefs over the knowledge dimensions, in [-1, 1] (read-only copy)."""
        return self.model.employees["beliefs"][self.row].copy()

    @property
    def knowledge(self) -> float:
        """Knowledge level in [0, 1]."""
        return float(knowledge_level(self.beliefs, self.model.reality))

    @property
    def organisation(self) -> Organisation:
        return self.model.organisation_agents[int(self.model.employees["org"][self.row])]


class Organisation(mesa.Agent):
    """A company or knowledge institution with an organisational code."""

    def __init__(self, model: LearningCommunityModel, row: int) -> None:
        super().__init__(model)
        self.row = row
        self.employees: list[Employee] = []

    @property
    def code(self) -> np.ndarray:
        """The organisational code (March 1991), in [-1, 1] (read-only copy)."""
        return self.model.organisations["code"][self.row].copy()

    @property
    def knowledge(self) -> float:
        """Knowledge level of the code, in [0, 1]."""
        return float(knowledge_level(self.code, self.model.reality))

    @property
    def memberships(self) -> np.ndarray:
        """Rows of this organisation's memberships (active or not)."""
        return np.flatnonzero(self.model.members["org"] == self.row)


class Company(Organisation):
    """A member company (mostly an SME)."""

    @property
    def size_class(self) -> str:
        return SIZE_CLASSES[int(self.model.organisations["size_class"][self.row])]

    @property
    def digital_maturity(self) -> float:
        return float(self.model.organisations["maturity"][self.row])

    @property
    def community(self) -> LearningCommunity:
        member = self.memberships[0]
        return self.model.communities[int(self.model.members["community"][member])]

    @property
    def commitment(self) -> float:
        return float(self.model.members["commitment"][self.memberships[0]])

    @property
    def engaged(self) -> bool:
        return bool(self.model.members["engaged"][self.memberships[0]])


class KnowledgeInstitution(Organisation):
    """A university of applied sciences, college or university."""

    @property
    def communities(self) -> list[LearningCommunity]:
        return [self.model.communities[c] for c in self.model.served_communities[self.row]]


class LearningCommunity(mesa.Agent):
    """A learning community: member companies and the institutions serving it."""

    def __init__(self, model: LearningCommunityModel, index: int, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.name = name

    def _member_orgs(self, kind: int) -> list[Organisation]:
        members = self.model.members
        rows = np.flatnonzero((members["community"] == self.index) & members["active"])
        orgs = members["org"][rows]
        return [
            self.model.organisation_agents[int(o)]
            for o in orgs
            if self.model.organisations["kind"][o] == kind
        ]

    @property
    def companies(self) -> list[Company]:
        """Active member companies."""
        return self._member_orgs(0)

    @property
    def institutions(self) -> list[KnowledgeInstitution]:
        return self._member_orgs(1)

    @property
    def reputation(self) -> float:
        return float(self.model.reputation[self.index])
