"""Causal risk inputs: EWMA covariances and the class tilt by trailing performance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR

__all__ = ["class_tilt", "ewma_covariances"]


def ewma_covariances(
    returns: pd.DataFrame, span: int = 63, days: Iterable[int] | None = None, min_periods: int | None = None
) -> dict[int, np.ndarray]:
    """Annualised EWMA covariance ``C_t = l C_{t-1} + (1 - l) r_t r_t'`` (zero mean) at given days.

    Parameters
    ----------
    returns : pd.DataFrame of shape (n_days, n_assets)
        Daily returns, decimal; NaN counts as 0 but not as an observation.
    span : int, default 63
        ``l = 1 - 2 / (span + 1)``.
    days : iterable of int, optional
        Row positions to return (default: all).
    min_periods : int, optional
        Observations an asset needs before its row is usable (default ``span``);
        rows and columns of assets with fewer are NaN.

    Returns
    -------
    dict of int to np.ndarray of shape (n_assets, n_assets)
        ``C_t`` uses returns dated <= t only; times 252.
    """
    r = returns.to_numpy(dtype="float64")
    seen = np.isfinite(r)
    x = np.where(seen, r, 0.0)
    lam = 1.0 - 2.0 / (span + 1.0)
    need = span if min_periods is None else min_periods
    wanted = set(range(len(r))) if days is None else {int(d) for d in days}
    last = max(wanted) if wanted else -1
    n = r.shape[1]
    cov = np.zeros((n, n))
    weight = np.zeros(n)  # sum of EWM weights per asset, to debias the start
    count = np.zeros(n, dtype=np.int64)
    out: dict[int, np.ndarray] = {}
    for t in range(last + 1):
        cov = lam * cov + (1 - lam) * np.outer(x[t], x[t])
        weight = lam * weight + (1 - lam) * seen[t]
        count += seen[t]
        if t in wanted:
            norm = np.sqrt(np.outer(np.maximum(weight, 1e-12), np.maximum(weight, 1e-12)))
            c = cov / norm * PERIODS_PER_YEAR
            bad = count < need
            c[bad, :] = np.nan
            c[:, bad] = np.nan
            out[t] = c
    return out


def class_tilt(
    signals: pd.DataFrame,
    returns: pd.DataFrame,
    classes: Sequence[str],
    lookback: int = 126,
    strength: float = 0.25,
) -> pd.DataFrame:
    """Multiplier per asset-day tilting toward classes whose trend signals did well lately.

    The class's daily trend P&L is ``mean_i sign(s_{i,t-1}) r_{i,t}`` over its
    assets; its trailing ``lookback``-day mean is ranked across classes each
    day to a score in [-1, 1]; the multiplier is ``1 + strength * score``.
    Only data dated <= t enters the value at t.

    Returns
    -------
    pd.DataFrame of shape (n_days, n_assets)
        1 where there is not enough history.
    """
    cls = np.asarray(classes, dtype=object)
    pnl = np.sign(signals.shift(1)) * returns
    by_class = {}
    for k in dict.fromkeys(cls):
        cols = signals.columns[cls == k]
        by_class[k] = pnl[cols].mean(axis=1, skipna=True)
    frame = pd.DataFrame(by_class)
    trailing = frame.rolling(lookback, min_periods=lookback // 2).mean()
    n_cls = trailing.notna().sum(axis=1)
    rank = trailing.rank(axis=1)
    # divide row-wise: a frame / Series would align the Series on the columns (all NaN)
    score = ((rank - 1).div((n_cls - 1).where(n_cls > 1), axis=0) * 2 - 1).fillna(0.0)
    mult = 1.0 + strength * score
    out = pd.DataFrame(
        {col: mult[k].to_numpy() for col, k in zip(signals.columns, cls, strict=True)}, index=signals.index
    )
    return out
