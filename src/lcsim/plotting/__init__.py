"""Figures. Importing this package forces matplotlib's non-interactive backend.

* :mod:`lcsim.plotting.style` — the one look of every figure, the format and
  pixel cap, and :func:`~lcsim.plotting.style.save_figure`;
* :mod:`lcsim.plotting.figures` — the figures of a run;
* :mod:`lcsim.plotting.sweep_figures` — a sweep's heatmaps and regime map.

Batch runs (joblib workers, Slurm jobs, CI) have no display; import pyplot
as ``from lcsim.plotting import plt`` so that no interactive backend is ever
chosen.
"""

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

__all__ = ["plt"]
