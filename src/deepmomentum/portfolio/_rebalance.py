"""Hybrid rebalancing: when to trade, and how weights drift in between.

A rebalance is decided at the close of day t from data dated <= t; the new
weights earn the returns from t+1. Between rebalances the weights drift with
prices: ``w_{i,t} = w_{i,t-1} (1 + r_{i,t}) / (1 + sum_j w_{j,t-1} r_{j,t})``
(the rest of NAV is cash earning 0), and nothing is traded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RebalanceRules", "drift_weights", "rebalance_schedule"]

TRIGGERS = ("initial", "quarterly", "reversal", "signal", "mean_signal", "regime")


@dataclass(frozen=True)
class RebalanceRules:
    """Triggers and limits of the hybrid schedule.

    Parameters
    ----------
    quarterly : bool, default True
        Rebalance on the first trading day of January, April, July, October
        (deferred to the first allowed day when the spacing blocks it).
    reversal_assets : tuple of str
        Assets whose direction (the sign of their signal) flipping since the
        last rebalance triggers one (e.g. SPY, TLT, BNO).
    signal_change : float, default 0.15
        Any asset's ``|s_t - s_last|`` above this (signals in [-1, 1]).
    mean_signal_change : float, default 0.075
        ``|mean|s_t| - mean|s_last||`` above this.
    regime : bool, default True
        A regime different from the one at the last rebalance.
    min_days_between : int, default 14
        Calendar days between two rebalances.
    max_per_year : int or None, default 12
        At most this many rebalances per calendar year (the initial one counts).
    """

    quarterly: bool = True
    reversal_assets: tuple[str, ...] = ()
    signal_change: float = 0.15
    mean_signal_change: float = 0.075
    regime: bool = True
    min_days_between: int = 14
    max_per_year: int | None = 12


def rebalance_schedule(
    signals: pd.DataFrame,
    rules: RebalanceRules,
    regime: pd.Series | None = None,
    start: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The rebalance dates and what triggered each.

    Parameters
    ----------
    signals : pd.DataFrame of shape (n_days, n_assets)
        Combined signals in [-1, 1] (NaN: no view, counted as 0).
    rules : RebalanceRules
    regime : pd.Series of shape (n_days,), optional
        Regime label per day.
    start : date-like, optional
        No rebalance before it; the first day with a signal on or after it
        is the ``initial`` rebalance.

    Returns
    -------
    pd.DataFrame
        Columns ``date`` and ``triggers`` (``;``-separated, from :data:`TRIGGERS`).
    """
    index = pd.DatetimeIndex(signals.index)
    s = np.nan_to_num(signals.to_numpy(dtype="float64"))
    has = np.isfinite(signals.to_numpy(dtype="float64")).any(axis=1)
    cols = [str(c) for c in signals.columns]
    rev = [cols.index(a) for a in rules.reversal_assets if a in cols]
    reg = None if regime is None else regime.reindex(index).astype(object).to_numpy()
    t_start = 0 if start is None else int(index.searchsorted(pd.Timestamp(start)))
    months = index.month.to_numpy()
    new_quarter = np.zeros(len(index), dtype=bool)
    new_quarter[1:] = (months[1:] != months[:-1]) & np.isin(months[1:], (1, 4, 7, 10))
    if len(index) and t_start == 0:
        new_quarter[0] = False
    rows: list[dict[str, object]] = []
    last: int | None = None
    pending_quarter = False
    count: dict[int, int] = {}
    for t in range(t_start, len(index)):
        if rules.quarterly and new_quarter[t]:
            pending_quarter = True
        if not has[t]:
            continue
        if last is None:
            rows.append({"date": index[t], "triggers": "initial"})
            last, pending_quarter = t, False
            count[index[t].year] = count.get(index[t].year, 0) + 1
            continue
        triggers = []
        if pending_quarter:
            triggers.append("quarterly")
        if any(s[t, j] * s[last, j] < 0 for j in rev):
            triggers.append("reversal")
        if np.max(np.abs(s[t] - s[last])) > rules.signal_change:
            triggers.append("signal")
        if abs(np.abs(s[t]).mean() - np.abs(s[last]).mean()) > rules.mean_signal_change:
            triggers.append("mean_signal")
        if rules.regime and reg is not None and reg[t] != reg[last] and reg[t] not in (None, "unknown"):
            triggers.append("regime")
        if not triggers:
            continue
        if (index[t] - index[last]).days < rules.min_days_between:
            continue
        year = index[t].year
        if rules.max_per_year is not None and count.get(year, 0) >= rules.max_per_year:
            continue
        rows.append({"date": index[t], "triggers": ";".join(triggers)})
        count[year] = count.get(year, 0) + 1
        last, pending_quarter = t, False
    return pd.DataFrame(rows, columns=["date", "triggers"])


def drift_weights(
    targets: Mapping[pd.Timestamp, np.ndarray], returns: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily weights: set at each rebalance, drifting with prices in between.

    Parameters
    ----------
    targets : mapping of pd.Timestamp to np.ndarray of shape (n_assets,)
        Weights set at the close of each rebalance day.
    returns : pd.DataFrame of shape (n_days, n_assets)
        Daily simple returns (NaN counted as 0).

    Returns
    -------
    weights : pd.DataFrame of shape (n_days, n_assets)
        Weight held at each close (after any trade); NaN before the first rebalance.
    pre_trade : pd.DataFrame of shape (n_days, n_assets)
        Weight at each close before trading (the drifted one); the trade of
        day t is ``weights - pre_trade``.
    """
    index = pd.DatetimeIndex(returns.index)
    r = np.nan_to_num(returns.to_numpy(dtype="float64"))
    n_days, n = r.shape
    out = np.full((n_days, n), np.nan)
    pre = np.full((n_days, n), np.nan)
    pos = {
        int(index.searchsorted(pd.Timestamp(d))): np.asarray(w, dtype="float64") for d, w in targets.items()
    }
    w = np.zeros(n)
    started = False
    for t in range(n_days):
        if started:
            growth = 1.0 + float(w @ r[t])
            w = w * (1.0 + r[t]) / growth if growth > 1e-12 else np.zeros(n)
        pre[t] = w
        if t in pos:
            w = np.nan_to_num(pos[t])
            started = True
        if started:
            out[t] = w
    weights = pd.DataFrame(out, index=returns.index, columns=returns.columns)
    pre_frame = pd.DataFrame(
        np.where(np.isnan(out), np.nan, pre), index=returns.index, columns=returns.columns
    )
    return weights, pre_frame
