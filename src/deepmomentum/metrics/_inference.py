"""Confidence intervals for the Sharpe ratio.

The analytic interval uses the asymptotic standard error of the sample
Sharpe ratio for i.i.d. returns that need not be normal (Mertens 2002;
Opdyke 2007, "Comparing Sharpe ratios: so where are the p-values?",
*Journal of Asset Management* 8, eq. 3):

    Var(SR_hat) = (1 + SR^2 / 2 - g3 SR + (g4 - 3) / 4 SR^2) / n

with ``SR`` the per-period Sharpe ratio, ``g3`` the skewness and ``g4`` the
(non-excess) kurtosis of the returns, all estimated from the sample. Both
the estimate and the bounds are annualised by ``sqrt(periods_per_year)``.
Serial correlation is ignored (Lo 2002 treats it).

An interval function takes ``(returns, level, periods_per_year)`` and returns
a :class:`SharpeInterval`, so a bootstrap can replace the analytic one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from deepmomentum.metrics._measures import PERIODS_PER_YEAR, _clean

__all__ = ["SharpeInterval", "SharpeIntervalFunction", "sharpe_interval", "sharpe_standard_error"]


@dataclass(frozen=True)
class SharpeInterval:
    """An annualised Sharpe ratio with a two-sided confidence interval.

    Attributes
    ----------
    sharpe : float
        Point estimate, annualised.
    low, high : float
        Bounds of the interval, annualised.
    level : float
        Coverage, e.g. 0.9.
    method : str
        How the interval was computed (shown in the report).
    """

    sharpe: float
    low: float
    high: float
    level: float
    method: str


#: Signature of an interval function: ``(returns, level, periods_per_year) -> SharpeInterval``.
SharpeIntervalFunction = Callable[[pd.Series | np.ndarray, float, int], SharpeInterval]


def sharpe_standard_error(returns: pd.Series | np.ndarray) -> tuple[float, float]:
    """Per-period Sharpe ratio and its standard error under non-normal i.i.d. returns.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Simple returns per period, decimal (excess of the risk-free rate); NaN ignored.

    Returns
    -------
    sharpe : float
        ``mean / std(ddof=1)``, per period (not annualised).
    se : float
        ``sqrt((1 + SR^2/2 - g3 SR + (g4 - 3)/4 SR^2) / n)`` (Mertens 2002, Opdyke 2007).
    """
    r = _clean(returns)
    if r.size < 4:
        return float("nan"), float("nan")
    sd = float(np.std(r, ddof=1))
    if sd == 0:
        return float("nan"), float("nan")
    sr = float(np.mean(r)) / sd
    g3 = float(stats.skew(r))
    g4 = float(stats.kurtosis(r, fisher=False))
    var = (1.0 + 0.5 * sr**2 - g3 * sr + 0.25 * (g4 - 3.0) * sr**2) / r.size
    return sr, float(np.sqrt(max(var, 0.0)))


def sharpe_interval(
    returns: pd.Series | np.ndarray, level: float = 0.9, periods_per_year: int = PERIODS_PER_YEAR
) -> SharpeInterval:
    """Analytic two-sided interval for the annualised Sharpe ratio (non-normal returns).

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily simple returns, decimal; NaN ignored.
    level : float, default 0.9
        Coverage of the two-sided interval.
    periods_per_year : int, default 252

    Returns
    -------
    SharpeInterval
        ``sharpe ± z_{(1+level)/2} * se``, all times ``sqrt(periods_per_year)``.
    """
    sr, se = sharpe_standard_error(returns)
    scale = float(np.sqrt(periods_per_year))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return SharpeInterval(
        sharpe=sr * scale,
        low=(sr - z * se) * scale,
        high=(sr + z * se) * scale,
        level=level,
        method="analytic, non-normal i.i.d. returns (Mertens 2002 / Opdyke 2007)",
    )
