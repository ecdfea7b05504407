"""Buy-and-hold benchmarks read from the same data (SPY, bonds, 60/40, managed futures)."""

from __future__ import annotations

import pandas as pd

from deepmomentum.data import MarketData, Role
from deepmomentum.features import daily_returns

__all__ = ["benchmark_returns", "sixty_forty"]


def sixty_forty(equity: pd.Series, bonds: pd.Series, equity_weight: float = 0.6) -> pd.Series:
    """Daily returns of an equity/bond mix rebalanced at each month's last close.

    Parameters
    ----------
    equity, bonds : pd.Series of shape (n_days,)
        Daily simple returns, decimal, on the same index.
    equity_weight : float, default 0.6

    Returns
    -------
    pd.Series
        NaN until both legs have returns.
    """
    both = pd.concat([equity, bonds], axis=1).dropna()
    if both.empty:
        return pd.Series(dtype="float64", index=equity.index)
    month = pd.DatetimeIndex(both.index).to_period("M")
    growth = (1.0 + both).groupby(month).cumprod()
    value = equity_weight * growth.iloc[:, 0] + (1.0 - equity_weight) * growth.iloc[:, 1]
    prev = value.groupby(month).shift(1).fillna(1.0)
    return (value / prev - 1.0).reindex(equity.index)


def benchmark_returns(data: MarketData) -> pd.DataFrame:
    """Daily returns of the comparison series present in ``data``.

    Columns: the reference equity (SPY, or the first equity for synthetic
    data), AGG if present, ``60/40`` (reference/AGG, monthly rebalanced), and
    every ``role=benchmark`` instrument (DBMF, KMLM, CTA...).
    """
    cols: dict[str, pd.Series] = {}
    rets = daily_returns(data.prices)
    ref = data.reference_symbol
    if ref is not None:
        cols[ref] = rets[ref]
    if "AGG" in rets.columns:
        cols["AGG"] = rets["AGG"]
        if ref is not None:
            cols["60/40"] = sixty_forty(rets[ref], rets["AGG"])
    for sym in data.universe.with_role(Role.BENCHMARK):
        if sym in rets.columns:
            cols[sym] = rets[sym]
    frame = pd.DataFrame(cols, index=rets.index)
    frame.index.name = "date"
    return frame
