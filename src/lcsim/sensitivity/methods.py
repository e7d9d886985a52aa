"""One adapter over SALib's methods: how each samples, analyses and names its indices.

Every method of ``analysis.method`` is a :class:`Method`: a sampler that
draws points in the unit hypercube of the problem (the parameters map their
coordinates to values, :meth:`lcsim.sweep.design.Parameter.at`), an analysis
of one outcome vector, and the names of the indices it returns. Adding a
further SALib method takes one entry in :data:`METHODS`.

Convergence (``convergence.csv``) analyses prefixes of the sample, so each
method says how many rows make one unit of its base size
(:attr:`Method.unit_rows`) and what a prefix of whole units is
(:attr:`Method.prefix`): SALib builds the Saltelli sample block by block, one
block of D + 2 rows (2D + 2 with second order) per point of the scrambled
Sobol' sequence, and that sequence's first k points do not depend on how many
follow, so the first k blocks are exactly the sample of base size k
(``SALib.sample.sobol.sample``, 1.6); a Morris sample is a list of independent
trajectories of D + 1 rows; the first k rows of a Latin hypercube are a plain
random subsample of k rows, no longer a Latin hypercube. FAST's sample is one
curve through the whole hypercube and cannot be cut.

Intervals: SALib's ``*_conf`` are half-widths of bootstrap intervals at
``analysis.conf_level``; for scrambled Sobol' points they overstate the real
scatter several-fold (``../shared/TOOLCHAIN.md``), and FAST's are unreliable
(SALib warns). ``indices.csv`` marks every interval's kind.

References:
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. &
    Tarantola, S. (2010). Variance based sensitivity analysis of model output.
    Computer Physics Communications 181, 259-270.
    https://doi.org/10.1016/j.cpc.2009.09.018

    Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening
    design for sensitivity analysis of large models. Environmental Modelling &
    Software 22, 1509-1518. https://doi.org/10.1016/j.envsoft.2006.10.004

    Herman, J. & Usher, W. (2017). SALib: an open-source Python library for
    sensitivity analysis. Journal of Open Source Software 2(9), 97.
    https://doi.org/10.21105/joss.00097
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lcsim.config.schema import AnalysisConfig

#: Interference factor M of FAST and RBD-FAST (SALib's defaults).
FAST_M = 4
RBD_M = 10

Sampler = Callable[[dict[str, Any], int, AnalysisConfig, int], np.ndarray]
Analyser = Callable[[dict[str, Any], np.ndarray, np.ndarray, AnalysisConfig, int],
                    dict[str, Any]]
UnitRows = Callable[[int, AnalysisConfig], int]


@dataclass(frozen=True)
class Method:
    """A SALib method as the sensitivity analysis uses it.

    Attributes:
        name: The value of ``analysis.method``.
        sample: ``(problem, n, settings, seed)`` -> unit-hypercube points.
        analyse: ``(problem, X, Y, settings, seed)`` -> SALib's result.
        indices: The keys of the result written to ``indices.csv``.
        min_n: The smallest ``analysis.n`` the method accepts.
        unit_rows: ``(D, settings)`` -> sample rows per unit of the base size
            (per base point, trajectory or row), so that the first ``k *
            unit_rows`` rows are a sample of base size k; None when the sample
            cannot be cut (FAST).
        prefix: What such a prefix is, in words, for the log and the docs.
    """

    name: str
    sample: Sampler
    analyse: Analyser
    indices: tuple[str, ...]
    min_n: int = 2
    unit_rows: UnitRows | None = None
    prefix: str = ""

    def rows(self, names: list[str], result: dict[str, Any]) -> list[dict[str, Any]]:
        """SALib's result as tidy rows: parameter, parameter_2, index, value, conf."""
        rows = []
        for index in self.indices:
            values = np.asarray(result[index], dtype=float)
            conf = result.get(f"{index}_conf")
            conf = None if conf is None else np.asarray(conf, dtype=float)
            if values.ndim == 2:  # second order: the upper triangle of a D x D matrix
                pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
                for i, j in pairs:
                    rows.append(_row(names[i], names[j], index, values[i, j],
                                     None if conf is None else conf[i, j]))
                continue
            for i, name in enumerate(names):
                rows.append(_row(name, "", index, values[i],
                                 None if conf is None else conf[i]))
        return rows


def _row(parameter: str, second: str, index: str, value: float,
         conf: float | None) -> dict[str, Any]:
    return {"parameter": parameter, "parameter_2": second, "index": index,
            "value": float(value), "conf": np.nan if conf is None else float(conf)}


def _saltelli_block(dimensions: int, settings: AnalysisConfig) -> int:
    return 2 * dimensions + 2 if settings.second_order else dimensions + 2


def _trajectory(dimensions: int, settings: AnalysisConfig) -> int:
    return dimensions + 1


def _one_row(dimensions: int, settings: AnalysisConfig) -> int:
    return 1


#: What a prefix of a Latin-hypercube sample is.
_SUBSAMPLE = ("the first n rows of the Latin hypercube: a plain random subsample, not "
              "itself a Latin hypercube")


def _sobol_sample(problem, n, settings, seed):
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=settings.second_order, seed=seed)


def _sobol_analyse(problem, x, y, settings, seed):
    from SALib.analyze import sobol

    return sobol.analyze(problem, y, calc_second_order=settings.second_order,
                         num_resamples=settings.resamples, conf_level=settings.conf_level,
                         seed=seed)


def _morris_sample(problem, n, settings, seed):
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=settings.levels, seed=seed)


def _morris_analyse(problem, x, y, settings, seed):
    from SALib.analyze import morris

    return morris.analyze(problem, x, y, num_resamples=settings.resamples,
                          conf_level=settings.conf_level, num_levels=settings.levels,
                          seed=seed)


def _fast_sample(problem, n, settings, seed):
    from SALib.sample import fast_sampler

    return fast_sampler.sample(problem, n, M=FAST_M, seed=seed)


def _fast_analyse(problem, x, y, settings, seed):
    from SALib.analyze import fast

    return fast.analyze(problem, y, M=FAST_M, num_resamples=settings.resamples,
                        conf_level=settings.conf_level, seed=seed)


def _latin_sample(problem, n, settings, seed):
    from SALib.sample import latin

    return latin.sample(problem, n, seed=seed)


def _rbd_fast_analyse(problem, x, y, settings, seed):
    from SALib.analyze import rbd_fast

    return rbd_fast.analyze(problem, x, y, M=RBD_M, num_resamples=settings.resamples,
                            conf_level=settings.conf_level, seed=seed)


def _delta_analyse(problem, x, y, settings, seed):
    from SALib.analyze import delta

    return delta.analyze(problem, x, y, num_resamples=settings.resamples,
                         conf_level=settings.conf_level, seed=seed)


def _pawn_analyse(problem, x, y, settings, seed):
    from SALib.analyze import pawn

    return pawn.analyze(problem, x, y, seed=seed)


METHODS: dict[str, Method] = {method.name: method for method in (
    Method("sobol", _sobol_sample, _sobol_analyse, ("S1", "ST", "S2"),
           unit_rows=_saltelli_block,
           prefix="the first n Saltelli blocks: exactly the sample of base size n"),
    Method("morris", _morris_sample, _morris_analyse, ("mu_star", "sigma"),
           unit_rows=_trajectory, prefix="the first n trajectories"),
    # SALib's FAST needs N > 4 M^2 points per parameter.
    Method("fast", _fast_sample, _fast_analyse, ("S1", "ST"), min_n=4 * FAST_M ** 2 + 1),
    Method("rbd_fast", _latin_sample, _rbd_fast_analyse, ("S1",), min_n=2 * RBD_M + 1,
           unit_rows=_one_row, prefix=_SUBSAMPLE),
    Method("delta", _latin_sample, _delta_analyse, ("delta_raw", "S1"), min_n=10,
           unit_rows=_one_row, prefix=_SUBSAMPLE),
    Method("pawn", _latin_sample, _pawn_analyse, ("median", "maximum", "CV"), min_n=10,
           unit_rows=_one_row, prefix=_SUBSAMPLE),
)}


def method_of(settings: AnalysisConfig) -> Method:
    """The adapter of ``analysis.method``, with second order only if asked for."""
    method = METHODS[settings.method]
    if method.name == "sobol" and not settings.second_order:
        return replace(method, indices=("S1", "ST"))
    return method
