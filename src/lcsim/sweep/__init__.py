"""Sweeps: many runs over a design of points, run in batches, resumable.

* :mod:`lcsim.sweep.design` builds the design points (command-line grids and
  the designs of ``configs/sweep/``);
* :mod:`lcsim.sweep.plan` composes and checks every point's config and lays
  out the runs and their seeds;
* :mod:`lcsim.sweep.executor` runs batches of runs on worker processes;
* :mod:`lcsim.sweep.store` writes the sweep directory and resumes it;
* :mod:`lcsim.sweep.adaptive` adds rounds of replications until the key
  outcomes meet a precision target or a budget is spent;
* :mod:`lcsim.sweep.engine` ties them together for ``lcsim run -m``.
"""

from lcsim.sweep.engine import SweepOutcome, run_sweep
from lcsim.sweep.plan import Plan, plan_sweep
from lcsim.sweep.store import load_sweep, load_timeseries

__all__ = ["Plan", "SweepOutcome", "load_sweep", "load_timeseries", "plan_sweep",
           "run_sweep"]
