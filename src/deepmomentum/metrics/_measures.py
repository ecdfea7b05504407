"""Performance measures of daily return series.

Definitions follow empyrical-reloaded (the test-only reference) so that
figures agree to 1e-9 on the same input:

- daily returns in decimal, ``periods_per_year = 252``;
- the risk-free rate is per period (daily, decimal);
- Sharpe ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(252)``;
- annual return geometric, ``prod(1 + r) ** (252 / n) - 1``;
- Sortino on the downside deviation ``sqrt(mean(min(r - rf, 0) ** 2))``;
- max drawdown on the compounded curve, starting from 1 before the first return;
- Calmar ``annual_return / |max_drawdown|``.

NaN returns are ignored (they mark days without a position).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR

__all__ = [
    "METRIC_NAMES",
    "annual_return",
    "annual_volatility",
    "beta",
    "calmar_ratio",
    "correlation",
    "drawdown_series",
    "max_drawdown",
    "pct_positive",
    "performance_summary",
    "rolling_sharpe",
    "sharpe_ratio",
    "skewness",
    "sortino_ratio",
]


#: Keys of the per-variant dictionaries in ``metrics.json``, in display order.
METRIC_NAMES: tuple[str, ...] = (
    "annual_return",
    "annual_vol",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "pct_positive",
    "turnover",
    "skew",
    "corr_ref",
)


def _clean(returns: pd.Series | np.ndarray) -> np.ndarray:
    arr = np.asarray(returns, dtype="float64")
    return arr[~np.isnan(arr)]


def annual_return(returns: pd.Series | np.ndarray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Geometric annual return, decimal.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily simple returns, decimal.
    periods_per_year : int, default 252
        Observations per year.
    """
    r = _clean(returns)
    if r.size == 0:
        return float("nan")
    growth = float(np.prod(1.0 + r))
    if growth <= 0:
        return -1.0
    return float(growth ** (periods_per_year / r.size) - 1.0)


def annual_volatility(returns: pd.Series | np.ndarray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annualised standard deviation (ddof=1), decimal."""
    r = _clean(returns)
    if r.size < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year))


def sharpe_ratio(
    returns: pd.Series | np.ndarray,
    risk_free: float = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Annualised Sharpe ratio of daily returns over a per-period risk-free rate."""
    r = _clean(returns) - risk_free
    if r.size < 2:
        return float("nan")
    sd = np.std(r, ddof=1)
    if sd == 0:
        return float("nan")
    return float(np.mean(r) / sd * np.sqrt(periods_per_year))


def sortino_ratio(
    returns: pd.Series | np.ndarray,
    required_return: float = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Annualised Sortino ratio: mean excess return over downside deviation."""
    r = _clean(returns) - required_return
    if r.size < 2:
        return float("nan")
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2)) * np.sqrt(periods_per_year)
    if downside == 0:
        return float("inf") if np.mean(r) > 0 else float("nan")
    return float(np.mean(r) * periods_per_year / downside)


def drawdown_series(returns: pd.Series) -> pd.Series:
    """Drawdown of the compounded curve at each date, decimal (<= 0).

    Parameters
    ----------
    returns : pd.Series of shape (n_observations,)
        Daily simple returns; NaN counts as a flat day.
    """
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    peak = wealth.cummax().clip(lower=1.0)
    out: pd.Series = wealth / peak - 1.0
    return out


def max_drawdown(returns: pd.Series | np.ndarray) -> float:
    """Maximum drawdown of the compounded curve, a negative decimal."""
    r = _clean(returns)
    if r.size == 0:
        return float("nan")
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + r)])
    peak = np.maximum.accumulate(wealth)
    return float(np.min(wealth / peak - 1.0))


def calmar_ratio(returns: pd.Series | np.ndarray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annual return over the absolute maximum drawdown (NaN without a drawdown)."""
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return float("nan")
    return annual_return(returns, periods_per_year) / abs(mdd)


def pct_positive(returns: pd.Series | np.ndarray) -> float:
    """Fraction of days with a strictly positive return, decimal."""
    r = _clean(returns)
    return float(np.mean(r > 0)) if r.size else float("nan")


def skewness(returns: pd.Series | np.ndarray) -> float:
    """Sample skewness (adjusted Fisher-Pearson, as pandas ``skew``)."""
    r = _clean(returns)
    if r.size < 3:
        return float("nan")
    return float(pd.Series(r).skew())  # type: ignore[arg-type]


def _aligned(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    joined = pd.concat([a, b], axis=1, join="inner").dropna()
    return joined.iloc[:, 0].to_numpy(), joined.iloc[:, 1].to_numpy()


def correlation(returns: pd.Series, reference: pd.Series) -> float:
    """Pearson correlation of daily returns on their common dates."""
    x, y = _aligned(returns, reference)
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def beta(returns: pd.Series, reference: pd.Series) -> float:
    """Beta of daily returns to a reference series on their common dates."""
    x, y = _aligned(returns, reference)
    if x.size < 3 or np.var(y, ddof=1) == 0:
        return float("nan")
    return float(np.cov(x, y, ddof=1)[0, 1] / np.var(y, ddof=1))


def rolling_sharpe(
    returns: pd.Series, window: int = PERIODS_PER_YEAR, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.Series:
    """Trailing ``window``-day annualised Sharpe ratio (causal)."""
    mean = returns.rolling(window, min_periods=window).mean()
    sd = returns.rolling(window, min_periods=window).std()
    out: pd.Series = mean / sd.where(sd > 0) * np.sqrt(periods_per_year)
    return out


def performance_summary(
    returns: pd.DataFrame | pd.Series,
    reference: pd.Series | None = None,
    turnover: Mapping[str, float] | None = None,
    risk_free: float = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """Every headline measure for each column of ``returns``.

    Parameters
    ----------
    returns : pd.DataFrame of shape (n_observations, n_variants)
        Daily net returns, decimal, one column per strategy variant. Leading
        NaN (before the first position) are ignored.
    reference : pd.Series, optional
        Daily returns of a reference (for example SPY) for ``corr_ref``.
    turnover : mapping, optional
        Annualised turnover per variant (see ``BacktestResult.turnover``).
    risk_free : float, default 0
        Per-period risk-free rate used by Sharpe.
    periods_per_year : int, default 252

    Returns
    -------
    pd.DataFrame
        Index: variants; columns: :data:`METRIC_NAMES`.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    rows: dict[str, dict[str, float]] = {}
    for name in frame.columns:
        r = frame[name]
        rows[str(name)] = {
            "annual_return": annual_return(r, periods_per_year),
            "annual_vol": annual_volatility(r, periods_per_year),
            "sharpe": sharpe_ratio(r, risk_free, periods_per_year),
            "sortino": sortino_ratio(r, 0.0, periods_per_year),
            "calmar": calmar_ratio(r, periods_per_year),
            "max_drawdown": max_drawdown(r),
            "pct_positive": pct_positive(r),
            "turnover": float(turnover.get(str(name), np.nan)) if turnover else float("nan"),
            "skew": skewness(r),
            "corr_ref": correlation(r, reference) if reference is not None else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(METRIC_NAMES))
