"""How far to trust the indices: replication noise and wide intervals.

Replication noise (``noise.csv``, ``indices.csv``'s ``replication_noise``): the
analysis reads one mean over replications per sample row, so part of the
variance of those row means across the sample is the model's own randomness,
not the parameters. With s_i the SD and r_i the replications of row i, the
pooled within-row variance is s_p² = Σ (r_i - 1) s_i² / Σ (r_i - 1); the noise
left in a row mean is s_p² · mean(1 / r_i) (s_p² / r for r replications per
row); ``noise_share`` is that over the variance (ddof 1) of the row means.
It is 0 for a model without noise and about 1 when the row means differ by
noise alone (by the law of total variance the row means' variance is the
parameters' part plus this noise); the indices of an outcome with a large
share describe noise as much as the parameters. With common random numbers
(``sweep.common_random_numbers``, the default) replicate r of every row uses
the same seed, so part of the noise is shared by all rows and moves no index:
``noise_share`` is then an upper bound of the noise's share (and can exceed 1).

Wide intervals (``indices.csv``'s ``wide``): an interval is wide when its
half-width exceeds ``analysis.wide_interval`` times the largest |value| of its
index at that outcome and month (for Sobol's S2, of S1, ST and S2 there), a
scale that fits Sobol' shares and Morris mu_star in outcome units alike.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Columns of ``noise.csv``.
NOISE_COLUMNS = ["outcome", "step", "replications", "within_sd", "between_sd",
                 "noise_share"]


def replication_noise(outputs: pd.DataFrame, *, stochastic: bool = True) -> pd.DataFrame:
    """Per outcome and month, the share of the row means' variance that is noise.

    Args:
        outputs: ``point, step, outcome, mean, sd, replications`` per sample
            row (``outputs.csv``).
        stochastic: False for a deterministic stand-in model, whose
            replications are copies: its noise is left empty.

    Returns:
        ``outcome, step, replications, within_sd, between_sd, noise_share``,
        ``replications`` the harmonic mean over the rows (the number of
        replications when every row has as many); ``within_sd`` and
        ``noise_share`` empty where no row has two replications or the model is
        deterministic.
    """
    rows = []
    for (outcome, step), group in outputs.groupby(["outcome", "step"], dropna=False,
                                                  sort=False):
        counts = group["replications"].to_numpy(float)
        spare = (counts - 1).sum()
        within = np.nan
        if stochastic and spare > 0:
            within = float(((counts - 1) * group["sd"].fillna(0).to_numpy(float) ** 2
                            ).sum() / spare)
        between = float(group["mean"].var(ddof=1)) if len(group) > 1 else np.nan
        noise = within * float(np.mean(1 / counts))
        if np.isnan(noise) or np.isnan(between) or between == noise == 0:
            share = np.nan  # no noise to measure, or an outcome that never varies
        else:
            share = noise / between if between > 0 else math.inf
        rows.append({"outcome": outcome, "step": step,
                     "replications": float(1 / np.mean(1 / counts)),
                     "within_sd": math.sqrt(within), "between_sd": math.sqrt(between),
                     "noise_share": share})
    table = pd.DataFrame(rows, columns=NOISE_COLUMNS)
    table["step"] = table["step"].astype("Int64")
    return table


def warn_noise(noise: pd.DataFrame, limit: float) -> int:
    """Log a warning for each outcome and month whose noise share exceeds ``limit``.

    Returns how many were warned of; ``limit`` 0 warns of none.
    """
    if limit == 0:
        return 0
    loud = noise[noise["noise_share"] > limit]
    for row in loud.itertuples():
        log.warning("%s: replication noise is %.0f %% of the variance of the sample "
                    "rows' means (above analysis.noise_warning=%g): its indices partly "
                    "describe noise; more replications would lower it (%g per row now)",
                    _where(row.outcome, row.step), 100 * row.noise_share, limit,
                    round(row.replications, 2))
    return len(loud)


def step_key(steps: pd.Series) -> pd.Series:
    """Months as a key to group and join by, -1 for a stand-in without months."""
    return steps.astype("Float64").fillna(-1.0)


def interval_scale(indices: pd.DataFrame) -> pd.Series:
    """Per row of ``indices``: the size its interval is judged against.

    The largest |value| of the same index at the same outcome and month; for
    Sobol's S2, a share of the same variance as S1 and ST but mostly near 0,
    the largest |value| of S1, ST and S2 there.
    """
    where = [indices["outcome"], step_key(indices["step"])]
    size = indices["value"].abs()
    scale = size.groupby([*where, indices["index"]]).transform("max")
    second = indices["index"] == "S2"
    if second.any():
        sobol = size.where(indices["index"].isin(["S1", "ST", "S2"]))
        scale = scale.where(~second, sobol.groupby(where).transform("max"))
    return scale


def mark_wide(indices: pd.DataFrame, share: float) -> pd.Series:
    """Per row of ``indices``: whether its interval is wide (NA without interval).

    Wide means half-width > ``share`` x :func:`interval_scale`; ``share`` 0
    marks none.
    """
    half = (indices["ci_high"] - indices["ci_low"]) / 2
    wide = half > share * interval_scale(indices) if share > 0 else half.notna() & False
    return wide.astype("boolean").mask(half.isna())


def warn_wide(indices: pd.DataFrame, share: float) -> int:
    """One logged warning per outcome and month with wide intervals (``wide`` true).

    Names how many and the widest relative to its scale, e.g. ``ST of
    facilitation.capacity at month 48: 0.31 ± 0.12``. Returns how many
    outcome-months were warned of.
    """
    warned = 0
    relative = (indices["ci_high"] - indices["ci_low"]) / 2 / interval_scale(indices)
    marked = indices[indices["wide"].fillna(False).astype(bool)]
    for (outcome, step), group in marked.groupby(["outcome", "step"], dropna=False,
                                                 sort=False):
        total = indices[(indices["outcome"] == outcome) & (
            indices["step"].isna() if pd.isna(step) else indices["step"] == step)]
        worst = group.loc[relative[group.index].idxmax()]
        half = (worst["ci_high"] - worst["ci_low"]) / 2
        pair = worst["parameter"] + (f" and {worst['parameter_2']}"
                                     if isinstance(worst["parameter_2"], str)
                                     and worst["parameter_2"] else "")
        month = "" if pd.isna(step) else f" at month {step}"
        example = f"{worst['index']} of {pair}{month}: {_plus_minus(worst['value'], half)}"
        log.warning("%s: %d of %d intervals are wide (half-width above "
                    "analysis.wide_interval=%g x the largest |value| of their index); the "
                    "widest: %s; a larger analysis.n, more replications or "
                    "analysis.repeats would narrow them", _where(outcome, step),
                    len(group), int(total["ci_low"].notna().sum()), share, example)
        warned += 1
    return warned


def _plus_minus(value: float, half: float) -> str:
    """``value ± half`` with the half-width to two significant digits."""
    if not half > 0 or not math.isfinite(half):
        return f"{value:.3g} ± {half:.2g}"
    decimals = max(0, 1 - math.floor(math.log10(half)))
    return f"{value:.{decimals}f} ± {half:.{decimals}f}"


def _where(outcome: str, step) -> str:
    return outcome if pd.isna(step) else f"{outcome} at month {step}"
