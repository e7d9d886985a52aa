"""Digital maturity of companies.

Every company has a digital maturity in [0, 1]. It starts from the CBS
digital-use shares for its size class: the mean of the shares of firms with
10 or more staff that use a website (88 %), social media (79 %), the cloud
(61 %) and AI (13 %) in 2023, i.e. 0.60, and ``micro_factor`` times that for
micro firms (assumption: the mapping from use shares to maturity), with a
Beta spread of concentration ``spread``.

Each month it rises a share ``adoption_rate`` of the way towards the
company's digital capability — what its organisation knows of the digital
domains, ``max(0, mean(code x reality))`` over the first
``scenario.digital_dimensions`` dimensions — when that is higher, and by
``project_boost`` for every successful joint project the company took part
in (applied value, Wenger et al. 2011). Maturity never falls.

References:
    CBS (2023). ICT use by enterprises, table 85736NED.
    Wenger, E., Trayner, B., & de Laat, M. (2011). Value creation in
    communities and networks. Open Universiteit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lcsim.config.params import param

if TYPE_CHECKING:
    from lcsim.model.model import LearningCommunityModel

CBS_DIGITAL_USE_2023 = {"website": 0.88, "social_media": 0.79, "cloud": 0.61, "ai": 0.13}


@dataclass
class Params:
    enabled: bool = param(True, "Switch for changes in digital maturity.")
    initial_mean: float = param(
        float(np.mean(list(CBS_DIGITAL_USE_2023.values()))),
        "Mean initial maturity of small and medium companies.",
        low=0.0, high=1.0, source="CBS 85736NED 2023 (assumption: mapping)",
    )
    micro_factor: float = param(
        0.8, "Initial maturity of micro firms relative to larger ones.",
        low=0.0, high=1.0, source="assumption",
    )
    spread: float = param(
        10.0, "Concentration of the Beta distribution of initial maturity.",
        low=0.1, high=1e4, source="assumption",
    )
    adoption_rate: float = param(
        0.05, "Share of the gap to digital capability closed each month.",
        unit="1/month", low=0.0, high=1.0, source="assumption",
    )
    project_boost: float = param(
        0.02, "Maturity gained per successful joint project.",
        low=0.0, high=1.0, source="assumption",
    )


def initial_maturity(
    size_class: np.ndarray, params: Params, rng: np.random.Generator
) -> np.ndarray:
    """Draw initial maturity per company from its size class (0 = micro)."""
    mean = np.where(size_class == 0, params.initial_mean * params.micro_factor,
                    params.initial_mean)
    mean = np.clip(mean, 1e-3, 1 - 1e-3)
    return rng.beta(mean * params.spread, (1.0 - mean) * params.spread)


def digital_capability(codes: np.ndarray, reality: np.ndarray, dimensions: int) -> np.ndarray:
    """What each organisation knows of the digital domains, in [0, 1]."""
    if dimensions == 0:
        return np.zeros(len(codes))
    return np.maximum(codes[:, :dimensions] @ reality[:dimensions] / dimensions, 0.0)


def adopt(maturity: np.ndarray, capability: np.ndarray, successes: np.ndarray,
          params: Params) -> np.ndarray:
    """Maturity after one month of adoption and project boosts."""
    catch_up = params.adoption_rate * np.maximum(capability - maturity, 0.0)
    return np.clip(maturity + catch_up + params.project_boost * successes, 0.0, 1.0)


def step(model: LearningCommunityModel) -> None:
    """Companies adopt what they know of the digital domains."""
    p: Params = model.params.maturity
    if not p.enabled:
        model.successes_this_month[:] = 0
        return
    orgs = model.organisations
    companies = np.flatnonzero((orgs["kind"] == 0) & orgs["present"])
    capability = digital_capability(
        orgs["code"][companies], model.reality, model.params.scenario.digital_dimensions
    )
    orgs["maturity"][companies] = adopt(
        orgs["maturity"][companies], capability,
        model.successes_this_month[companies], p,
    )
    model.successes_this_month[:] = 0
