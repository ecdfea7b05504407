"""Returns of NAV-fraction weights (drifting, costs on traded notional) and the comparison table."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from deepmomentum.backtest import BacktestResult, evaluate_weights
from deepmomentum.metrics import (
    annual_return,
    annual_volatility,
    beta,
    calmar_ratio,
    correlation,
    max_drawdown,
    sharpe_ratio,
)

__all__ = ["NavBacktestResult", "comparison_table", "evaluate_nav_weights"]


@dataclass(frozen=True)
class NavBacktestResult(BacktestResult):
    """A :class:`~deepmomentum.backtest.BacktestResult` for weights that are decimals of NAV.

    Unlike the DMN convention (the average over the ``N_t`` assets), the
    portfolio return is ``sum_i w_{i,t} r_{i,t+1} - c sum_i |w_{i,t} - pre_{i,t}|``
    where ``pre`` is the drifted weight before trading on day t; turnover is
    ``sum_i |w_{i,t} - pre_{i,t}|`` per day (one-way, NAV), annualised.
    """

    pre_trade: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def _arrays(self, strategy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = self.weights[strategy].to_numpy(dtype="float64")
        held = ~np.isnan(w)
        w0 = np.where(held, w, 0.0)
        pre = self.pre_trade.get(strategy)
        if pre is None:
            prev = np.vstack([np.zeros((1, w0.shape[1])), w0[:-1]])
        else:
            prev = np.nan_to_num(pre.reindex_like(self.weights[strategy]).to_numpy(dtype="float64"))
        return w0, held, np.abs(w0 - prev)

    def _portfolio(self, strategy: str, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w0, held, traded = self._arrays(strategy)
        r = np.nan_to_num(self.asset_returns.to_numpy(dtype="float64"))
        pnl = (w0[:-1] * r[1:]).sum(axis=1) - (traded[:-1] * cost).sum(axis=1)
        started = np.cumsum(held.any(axis=1)) > 0
        port = np.full(len(w0), np.nan)
        port[1:] = np.where(started[:-1], pnl, np.nan)
        turnover = np.where(started, traded.sum(axis=1), np.nan)
        return port, turnover


def evaluate_nav_weights(
    weights: Mapping[str, pd.DataFrame],
    pre_trade: Mapping[str, pd.DataFrame],
    asset_returns: pd.DataFrame,
    cost_bps: Sequence[float],
    signals: Mapping[str, pd.DataFrame] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> NavBacktestResult:
    """Evaluate NAV weights with :func:`~deepmomentum.backtest.evaluate_weights`'s variants and span.

    Parameters
    ----------
    weights, pre_trade : mapping of str to pd.DataFrame of shape (n_days, n_assets)
        Held weights and pre-trade (drifted) weights, from :func:`drift_weights`.
    asset_returns : pd.DataFrame of shape (n_days, n_assets)
    cost_bps : sequence of float
        Cost levels, bp of traded notional.
    """
    base = evaluate_weights(weights, asset_returns, cost_bps=cost_bps, signals=signals, start=start, end=end)
    kwargs = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    return NavBacktestResult(**kwargs, pre_trade=dict(pre_trade))


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
