"""Hybrid rebalancing: when to trade.

A rebalance is decided at the close of day t from data dated <= t; the new
weights earn the returns from t+1. Between rebalances the weights drift with
prices (see :func:`deepmomentum.engine.drift_weights`), and nothing is traded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TRIGGERS", "RebalanceRules", "daily_schedule", "rebalance_schedule"]

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


def daily_schedule(
    index: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Rebalance every trading day of ``[start, end]`` (the paper's convention).

    Returns
    -------
    pd.DataFrame
        Columns ``date`` and ``triggers`` (``initial`` on the first day, ``daily`` after).
    """
    idx = pd.DatetimeIndex(index)
    mask = idx >= start if end is None else (idx >= start) & (idx <= end)
    days = idx[mask]
    triggers = ["initial"] + ["daily"] * max(len(days) - 1, 0)
    return pd.DataFrame({"date": days, "triggers": triggers[: len(days)]})
