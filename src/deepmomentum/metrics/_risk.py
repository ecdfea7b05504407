"""Tail, benchmark-relative and rolling risk measures of daily return series.

The measures quantstats and pyfolio users expect, with empyrical-reloaded's
definitions (the test-only reference) wherever it has one:

- ``value_at_risk``: historical 5% quantile of daily returns (``np.percentile``,
  linear interpolation), a negative decimal: ``empyrical.value_at_risk``;
- ``conditional_value_at_risk``: mean of the returns at or below the
  ``int((n - 1) * 0.05)``-th smallest, ``empyrical.conditional_value_at_risk``;
- ``tail_ratio``: ``|q95| / |q5|``, ``empyrical.tail_ratio``;
- ``kurtosis``: excess kurtosis, bias-corrected (pandas ``kurt``, as
  ``quantstats.stats.kurtosis``; 0 for a normal distribution);
- ``alpha_beta``: ``beta = cov(r, b) / var(b)``, ``alpha = (1 + mean(r - beta b)) ** 252 - 1``
  (``empyrical.alpha_beta``, zero risk-free rate);
- ``information_ratio``: ``mean(r - b) / std(r - b, ddof=1) * sqrt(252)``, the
  annualised mean active return over the tracking error (Grinold and Kahn,
  *Active Portfolio Management*, 2000); equal to ``empyrical.excess_sharpe``
  times ``sqrt(252)``;
- ``rolling_volatility`` / ``rolling_beta``: trailing 126-day (6-month) windows,
  causal (``empyrical.roll_annual_volatility`` / ``roll_beta``);
- ``top_drawdowns``: the worst drawdown episodes with peak, trough, recovery
  and length, as pyfolio's ``gen_drawdown_table``.

NaN returns are ignored (they mark days without a position).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmomentum.metrics._measures import PERIODS_PER_YEAR, _aligned, _clean

__all__ = [
    "alpha_beta",
    "conditional_value_at_risk",
    "information_ratio",
    "kurtosis",
    "rolling_beta",
    "rolling_volatility",
    "tail_ratio",
    "top_drawdowns",
    "value_at_risk",
]

#: Six months of trading days, the window of the rolling risk measures.
HALF_YEAR = 126


def value_at_risk(returns: pd.Series | np.ndarray, cutoff: float = 0.05) -> float:
    """Historical one-day value at risk: the ``cutoff`` quantile of daily returns.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily simple returns, decimal.
    cutoff : float, default 0.05
        Tail probability (0.05 = 95% VaR).

    Returns
    -------
    float
        A daily return, decimal (negative for a loss).
    """
    r = _clean(returns)
    return float(np.percentile(r, 100 * cutoff)) if r.size else float("nan")


def conditional_value_at_risk(returns: pd.Series | np.ndarray, cutoff: float = 0.05) -> float:
    """Expected shortfall: mean daily return on the worst ``cutoff`` share of days, decimal."""
    r = _clean(returns)
    if r.size == 0:
        return float("nan")
    k = int((r.size - 1) * cutoff)
    return float(np.mean(np.partition(r, k)[: k + 1]))


def tail_ratio(returns: pd.Series | np.ndarray) -> float:
    """Size of the right tail over the left: ``|95th percentile| / |5th percentile|``."""
    r = _clean(returns)
    if r.size == 0:
        return float("nan")
    low = abs(float(np.percentile(r, 5)))
    return abs(float(np.percentile(r, 95))) / low if low > 0 else float("nan")


def kurtosis(returns: pd.Series | np.ndarray) -> float:
    """Excess kurtosis (bias-corrected, 0 for a normal law), as pandas ``kurt`` and quantstats."""
    r = _clean(returns)
    if r.size < 4:
        return float("nan")
    return float(pd.Series(r).kurt())  # type: ignore[arg-type]


def alpha_beta(
    returns: pd.Series, reference: pd.Series, periods_per_year: int = PERIODS_PER_YEAR
) -> tuple[float, float]:
    """Annualised alpha and beta to a reference on the common dates (zero risk-free rate).

    Parameters
    ----------
    returns, reference : pd.Series of shape (n_observations,)
        Daily simple returns, decimal; aligned on their dates, NaN dropped.
    periods_per_year : int, default 252

    Returns
    -------
    alpha : float
        ``(1 + mean(r - beta * b)) ** periods_per_year - 1``, decimal per year.
    beta : float
        ``cov(r, b) / var(b)``.
    """
    x, y = _aligned(returns, reference)
    if x.size < 3 or np.var(y) == 0:
        return float("nan"), float("nan")
    b = float(np.mean((y - y.mean()) * x) / np.var(y))
    alpha = float((1.0 + np.mean(x - b * y)) ** periods_per_year - 1.0)
    return alpha, b


def information_ratio(
    returns: pd.Series, reference: pd.Series, periods_per_year: int = PERIODS_PER_YEAR
) -> float:
    """Annualised information ratio: mean active return over tracking error.

    ``mean(r - b) / std(r - b, ddof=1) * sqrt(periods_per_year)`` on the common
    dates (Grinold and Kahn 2000); ``empyrical.excess_sharpe`` is the same
    ratio before annualisation.
    """
    x, y = _aligned(returns, reference)
    active = x - y
    if active.size < 2:
        return float("nan")
    sd = float(np.std(active, ddof=1))
    return float(np.mean(active) / sd * np.sqrt(periods_per_year)) if sd > 0 else float("nan")


def rolling_volatility(
    returns: pd.Series, window: int = HALF_YEAR, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.Series:
    """Trailing ``window``-day annualised volatility (ddof=1), decimal; NaN until a full window."""
    out: pd.Series = returns.rolling(window, min_periods=window).std() * np.sqrt(periods_per_year)
    return out


def rolling_beta(returns: pd.Series, reference: pd.Series, window: int = HALF_YEAR) -> pd.Series:
    """Trailing ``window``-day beta to a reference, on the dates of ``returns``.

    Uses only the window's days where both series have a value (causal: the
    value at t uses days t - window + 1 .. t); NaN until ``window`` such days.
    """
    ref = reference.reindex(returns.index)
    both = returns.notna() & ref.notna()
    x = returns.where(both)
    y = ref.where(both)
    cov = x.rolling(window, min_periods=window).cov(y)
    var = y.rolling(window, min_periods=window).var()
    out: pd.Series = cov / var.where(var > 0)
    return out


def top_drawdowns(returns: pd.Series, n: int = 5) -> pd.DataFrame:
    """The ``n`` worst drawdown episodes of the compounded curve, worst first.

    An episode runs from a running peak (``peak``, the last day at the peak
    before the fall) through its lowest point (``trough``) to the first day
    back at the peak (``recovery``, NaT when not recovered by the end).

    Parameters
    ----------
    returns : pd.Series of shape (n_observations,)
        Daily simple returns with a DatetimeIndex; NaN counts as a flat day.
    n : int, default 5

    Returns
    -------
    pd.DataFrame
        Columns ``peak``, ``trough``, ``recovery`` (Timestamps), ``depth``
        (negative decimal), ``days`` (trading days from peak to recovery, or to
        the last date when not recovered) and ``recovered`` (bool).
    """
    cols = ["peak", "trough", "recovery", "depth", "days", "recovered"]
    r = returns.loc[returns.first_valid_index() :] if returns.notna().any() else returns.iloc[0:0]
    if r.empty:
        return pd.DataFrame(columns=cols)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + r.fillna(0.0).to_numpy())])
    peak = np.maximum.accumulate(wealth)
    dd = wealth / peak - 1.0
    dates = r.index
    rows = []
    i, size = 1, len(wealth)
    while i < size:
        if dd[i] >= 0:
            i += 1
            continue
        start = i - 1  # the last day at the peak (index 0 is the day before the first return)
        end = i
        while end < size and dd[end] < 0:
            end += 1
        low = start + int(np.argmin(dd[start:end]))
        recovered = end < size
        rows.append(
            {
                "peak": dates[start - 1] if start > 0 else dates[0],
                "trough": dates[low - 1],
                "recovery": dates[end - 1] if recovered else pd.NaT,
                "depth": float(dd[low]),
                "days": (end if recovered else size - 1) - start,
                "recovered": recovered,
            }
        )
        i = end
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values("depth", kind="stable").head(n).reset_index(drop=True)
