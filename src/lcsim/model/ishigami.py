"""The Ishigami function: a stand-in model whose sensitivity indices are known.

``model=ishigami`` replaces the learning-community model by
``y = sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)`` with x1, x2, x3 uniform on
[-pi, pi]. Its Sobol indices have closed forms (:func:`analytic_indices`), so
a sensitivity analysis run through the whole pipeline can be checked against
them. It is a scalar stand-in: one outcome, ``y``, and no months, so its runs
write no time series.

References:
    Ishigami, T. & Homma, T. (1990). An importance quantification technique
    in uncertainty analysis for computer models. Proceedings of ISUMA '90,
    398-403. https://doi.org/10.1109/ISUMA.1990.151285
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lcsim.config.params import param

#: The outcome columns of one run of the stand-in.
OUTCOMES = ("y",)


@dataclass
class Params:
    """Inputs and constants of the Ishigami function (``ishigami.*``)."""

    x1: float = param(0.0, "First input of the Ishigami stand-in.", low=-math.pi,
                      high=math.pi, source="Ishigami & Homma 1990")
    x2: float = param(0.0, "Second input of the Ishigami stand-in.", low=-math.pi,
                      high=math.pi, source="Ishigami & Homma 1990")
    x3: float = param(0.0, "Third input of the Ishigami stand-in.", low=-math.pi,
                      high=math.pi, source="Ishigami & Homma 1990")
    a: float = param(7.0, "Weight a of sin(x2)^2.", low=0.0,
                     source="Sobol & Levitan 1999 (a = 7)")
    b: float = param(0.1, "Weight b of x3^4 sin(x1).", low=0.0,
                     source="Sobol & Levitan 1999 (b = 0.1)")


def evaluate(params: Params) -> dict[str, float]:
    """The stand-in's one outcome, ``y``, at the inputs of ``params``."""
    x1, x2, x3 = params.x1, params.x2, params.x3
    y = math.sin(x1) + params.a * math.sin(x2) ** 2 + params.b * x3 ** 4 * math.sin(x1)
    return {"y": y}


def analytic_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, ...]]:
    """First-order (``S1``) and total (``ST``) Sobol indices of x1, x2, x3."""
    pi4 = math.pi ** 4
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi4 ** 2 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": (v1 / total, v2 / total, 0.0),
            "ST": ((v1 + v13) / total, v2 / total, v13 / total)}
