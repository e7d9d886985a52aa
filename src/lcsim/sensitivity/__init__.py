"""Sensitivity analysis: which parameters drive the outcomes, and how sure that is.

* :mod:`lcsim.sensitivity.problem` checks the problem of ``configs/analysis/``;
* :mod:`lcsim.sensitivity.methods` adapts SALib's samplers and analyses;
* :mod:`lcsim.sensitivity.study` samples, runs the runs through the sweep
  machinery, joins their outcomes to the sample and writes the indices;
* :mod:`lcsim.sensitivity.figures` draws them;
* :mod:`lcsim.sensitivity.discovery` finds the regions of parameter space
  where communities stay productive (PRIM, CART) and states them in plain
  words; :mod:`lcsim.sensitivity.discovery_figures` draws them.
"""

from lcsim.sensitivity.study import (
    Analysis,
    analyse,
    plan_analysis,
    sensitivity_command,
)

__all__ = ["Analysis", "analyse", "plan_analysis", "sensitivity_command"]
