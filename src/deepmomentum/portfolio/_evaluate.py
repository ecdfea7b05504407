"""The benchmark comparison table of the managed-futures system."""

from __future__ import annotations

import pandas as pd

from deepmomentum.metrics import (
    annual_return,
    annual_volatility,
    beta,
    calmar_ratio,
    correlation,
    max_drawdown,
    sharpe_ratio,
)

__all__ = ["comparison_table"]


def _hedge(r: pd.Series, ref: pd.Series, quantile: float) -> tuple[float, float]:
    """Mean monthly return of ``r`` in ``ref``'s worst ``quantile`` months, and its hit rate."""
    both = pd.concat([r, ref], axis=1, keys=["r", "ref"], sort=True).dropna()
    if both.empty:
        return float("nan"), float("nan")
    month = pd.DatetimeIndex(both.index).to_period("M")
    m = (1 + both).groupby(month).prod() - 1
    if len(m) < 5:
        return float("nan"), float("nan")
    cut = m["ref"].quantile(quantile)
    bad = m[m["ref"] <= cut]
    return float(bad["r"].mean()), float((bad["r"] > 0).mean())


def comparison_table(
    returns: pd.DataFrame, reference: pd.Series, start: pd.Timestamp | None = None, quantile: float = 0.1
) -> pd.DataFrame:
    """The benchmark comparison: one row per series.

    Columns: ``annual_return``, ``annual_vol``, ``sharpe``, ``max_drawdown``,
    ``calmar``, ``corr_spy``, ``beta_spy``, ``worst10_mean`` (mean monthly
    return in the reference's worst ``quantile`` of months), ``worst10_hit``
    (share of those months with a positive return), ``n_days``.

    Parameters
    ----------
    returns : pd.DataFrame of shape (n_days, n_series)
        Daily returns, decimal (NaN where a series has no data).
    reference : pd.Series
        Daily returns of SPY (or the reference equity).
    start : pd.Timestamp, optional
        Measure from this date only (e.g. DBMF's first day).
    """
    frame = returns if start is None else returns.loc[start:]
    ref = reference.reindex(frame.index)
    rows = {}
    for col in frame.columns:
        r = frame[col].dropna()
        worst, hit = _hedge(r, ref, quantile)
        rows[str(col)] = {
            "annual_return": annual_return(r),
            "annual_vol": annual_volatility(r),
            "sharpe": sharpe_ratio(r),
            "max_drawdown": max_drawdown(r),
            "calmar": calmar_ratio(r),
            "corr_spy": correlation(r, ref),
            "beta_spy": beta(r, ref),
            "worst10_mean": worst,
            "worst10_hit": hit,
            "n_days": float(len(r)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
