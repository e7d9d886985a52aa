"""Granovetter (1978): collective behaviour from thresholds, docked exactly.

A crowd of members each acts once at least as many *others* act as its
threshold. The study iterates lcsim's own threshold rule
(:func:`lcsim.mechanisms.engagement.threshold_equilibrium`, the rule that
decides who engages in a community) from nobody acting to its fixed point.

* **The chain.** 100 members with thresholds 0, 1, ..., 99: the member with
  threshold 0 acts, which moves the one with threshold 1, and so on, until
  all 100 act. Raise the second member's threshold from 1 to 2 and the chain
  breaks at once: only one member acts. The table ``granovetter1978`` gives
  the number acting for the second member's threshold 1 … ``max_second``.
* **Normal thresholds.** Thresholds drawn from a normal distribution with
  mean ``mean`` (as a count of others, truncated at 0) and a range of
  standard deviations: the share acting jumps from a few to nearly all as
  the spread passes a critical value (Granovetter's figure 1 has it near 12
  for a crowd of 100 with mean 25). The table ``granovetter1978_normal``
  gives the mean share acting over ``runs`` crowds per spread, with its
  95 % interval.

Reference:
    Granovetter, M. (1978). Threshold models of collective behavior.
    American Journal of Sociology 83(6), 1420–1443. doi:10.1086/226707
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from lcsim.config.params import param
from lcsim.mechanisms.engagement import threshold_equilibrium
from lcsim.plotting import plt


@dataclass
class Settings:
    members: int = param(100, "Members of the crowd.", low=2, high=100_000,
                         source="Granovetter 1978")
    max_second: int = param(5, "Largest threshold given to the second member in the chain.",
                            low=1, high=100_000)
    mean: float = param(25.0, "Mean threshold of the normal crowds, in others acting.",
                        low=0.0, high=100_000.0, source="Granovetter 1978, fig. 1")
    sds: list[float] = param(
        [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0, 20.0, 25.0],
        "Standard deviations of the normal thresholds, in others acting.",
        source="Granovetter 1978, fig. 1",
    )
    runs: int = param(200, "Crowds drawn per standard deviation.", low=1, high=1_000_000)


def chain(members: int, second: int) -> int:
    """Members acting when thresholds are 0, 1, ..., n-1 but the second has ``second``."""
    thresholds = np.arange(members)
    thresholds[1] = second
    return int(threshold_equilibrium(thresholds).sum())


def normal_crowds(settings: Settings, seed: int) -> pd.DataFrame:
    """Share acting at equilibrium for normal thresholds, per standard deviation."""
    rows = []
    for i, sd in enumerate(settings.sds):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        shares = np.empty(settings.runs)
        for run in range(settings.runs):
            thresholds = np.maximum(rng.normal(settings.mean, sd, settings.members), 0.0)
            shares[run] = threshold_equilibrium(thresholds).mean()
        half = (stats.t.ppf(0.975, settings.runs - 1) * shares.std(ddof=1)
                / np.sqrt(settings.runs)) if settings.runs > 1 else np.nan
        rows.append({"members": settings.members, "mean": settings.mean, "sd": sd,
                     "runs": settings.runs, "acting_share": shares.mean(), "ci95": half})
    return pd.DataFrame(rows)


def tables(settings: Settings, seed: int, n_jobs: int = 1) -> dict[str, pd.DataFrame]:
    """The chain table and the normal-threshold table (``n_jobs`` is not needed)."""
    seconds = range(1, settings.max_second + 1)
    exact = pd.DataFrame({
        "members": settings.members,
        "second_threshold": list(seconds),
        "acting": [chain(settings.members, s) for s in seconds],
    })
    return {"granovetter1978": exact, "granovetter1978_normal": normal_crowds(settings, seed)}


def figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Members acting in the chain, and share acting against the spread of thresholds."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    exact = tables["granovetter1978"]
    left.bar(exact["second_threshold"], exact["acting"], color="C0")
    left.set_xlabel("threshold of the second member (others acting)")
    left.set_ylabel("members acting at equilibrium")
    left.set_title("Chain of thresholds 0, 1, …, n−1", loc="left")
    normal = tables["granovetter1978_normal"]
    right.errorbar(normal["sd"], normal["acting_share"], yerr=normal["ci95"], marker="o",
                   color="C1", capsize=2)
    right.set_xlabel("standard deviation of thresholds (others acting)")
    right.set_ylabel("share acting at equilibrium")
    right.set_ylim(0, 1.02)
    right.set_title(f"Normal thresholds, mean {normal['mean'].iloc[0]:g}", loc="left")
    return fig
