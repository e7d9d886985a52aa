"""Figures. Importing this package forces matplotlib's non-interactive backend.

Batch runs (joblib workers, Slurm jobs, CI) have no display; import pyplot
as ``from lcsim.plotting import plt`` so that no interactive backend is ever
chosen.
"""

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

__all__ = ["plt"]
