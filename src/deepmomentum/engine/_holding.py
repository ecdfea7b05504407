"""How target weights become held weights: drifting with prices, or held constant.

A target set at the close of day t is held from then on. With drift, between
targets ``w_{i,t} = w_{i,t-1} (1 + r_{i,t}) / (1 + sum_j w_{j,t-1} r_{j,t})``
(the rest of NAV is cash earning 0); without, the weight stays as set.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["drift_weights", "hold_weights"]


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


def hold_weights(
    targets: Mapping[pd.Timestamp, np.ndarray], returns: pd.DataFrame, drift: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held and pre-trade weights from targets set on rebalance days.

    Parameters
    ----------
    targets : mapping of pd.Timestamp to np.ndarray of shape (n_assets,)
        Weights set at the close of each rebalance day, decimal of NAV.
    returns : pd.DataFrame of shape (n_days, n_assets)
        Daily simple returns (NaN counted as 0).
    drift : bool, default True
        Let weights drift with prices between rebalances; False holds them
        constant (an implicit daily top-up that is not charged) and keeps NaN
        (not held) as given.

    Returns
    -------
    weights, pre_trade : pd.DataFrame of shape (n_days, n_assets)
        As in :func:`drift_weights`.
    """
    if drift:
        return drift_weights(targets, returns)
    index = pd.DatetimeIndex(returns.index)
    n_days, n = returns.shape
    rows = np.full((n_days, n), np.nan)
    is_set = np.zeros(n_days, dtype=bool)
    for d, w in targets.items():
        t = int(index.searchsorted(pd.Timestamp(d)))
        rows[t] = np.asarray(w, dtype="float64")  # NaN kept: the asset is not held
        is_set[t] = True
    # every day holds the row of the latest rebalance on or before it
    last = np.maximum.accumulate(np.where(is_set, np.arange(n_days), -1))
    held_arr = np.where(last[:, None] >= 0, rows[np.maximum(last, 0)], np.nan)
    held = pd.DataFrame(held_arr, index=returns.index, columns=returns.columns)
    pre = held.shift(1).where(held.notna())
    return held, pre
