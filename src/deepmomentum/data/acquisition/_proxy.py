"""Proxy splicing: extend a short history back before its inception with a proxy's returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmomentum.exceptions import DataError

__all__ = ["SpliceInfo", "splice_proxy"]


@dataclass(frozen=True)
class SpliceInfo:
    """Where a series was extended with a proxy.

    Parameters
    ----------
    symbol : str
    proxy : str
    spliced_start, spliced_end : pd.Timestamp or None
        First and last date taken from the proxy (None when nothing was spliced).
    n_spliced : int
        Number of prices taken from the proxy.
    first_own : pd.Timestamp
        The instrument's own first price, the anchor of the chain.
    """

    symbol: str
    proxy: str
    spliced_start: pd.Timestamp | None
    spliced_end: pd.Timestamp | None
    n_spliced: int
    first_own: pd.Timestamp

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (dates as ISO strings)."""
        return {
            "symbol": self.symbol,
            "proxy": self.proxy,
            "spliced_start": None if self.spliced_start is None else self.spliced_start.date().isoformat(),
            "spliced_end": None if self.spliced_end is None else self.spliced_end.date().isoformat(),
            "n_spliced": self.n_spliced,
            "first_own": self.first_own.date().isoformat(),
        }


def splice_proxy(
    prices: pd.Series,
    proxy: pd.Series,
    symbol: str | None = None,
    proxy_name: str | None = None,
) -> tuple[pd.Series, SpliceInfo]:
    """Extend ``prices`` back before its first price with ``proxy``'s returns.

    The chain is linked backwards from the first real price ``P0`` on date ``t0``:
    for each proxy date ``d < t0``, the spliced price is ``P0 * proxy[d] / proxy[d*]``
    with ``d*`` the last proxy date before ``t0``. So the spliced returns are the
    proxy's returns dated before ``t0``; the step from ``d*`` to ``t0`` is flat (the
    proxy's return dated ``t0`` or later is never used), and every price from
    ``t0`` on is the instrument's own.

    Parameters
    ----------
    prices : pd.Series
        The instrument's prices (positive), indexed by date, oldest first.
    proxy : pd.Series
        The proxy's prices or levels (positive where used), indexed by date.
    symbol, proxy_name : str, optional
        Names for messages and the returned info.

    Returns
    -------
    spliced : pd.Series
        Proxy-derived prices before ``t0`` followed by the own prices, oldest first.
    info : SpliceInfo
        The spliced span (to flag in metadata and report).
    """
    symbol = symbol or str(prices.name or "series")
    proxy_name = proxy_name or str(proxy.name or "proxy")
    own = prices.dropna().sort_index()
    if own.empty:
        raise DataError(f"{symbol}: no prices of its own to splice proxy {proxy_name} onto")
    first_own = pd.Timestamp(own.index[0])
    before = proxy.dropna().sort_index()
    before = before[before.index < first_own]
    if before.empty:
        info = SpliceInfo(symbol, proxy_name, None, None, 0, first_own)
        return own.copy(), info
    if (before.to_numpy() <= 0).any():
        bad = before.index[np.flatnonzero(before.to_numpy() <= 0)[-1]]
        raise DataError(
            f"{symbol}: proxy {proxy_name} has a non-positive value on {bad.date()}, so its returns are "
            "undefined there; choose another proxy or clean it (deepmomentum data check)"
        )
    anchor = float(before.iloc[-1])
    extension = before * (float(own.iloc[0]) / anchor)
    spliced = pd.concat([extension, own]).astype("float64").rename(own.name)
    spliced.index.name = own.index.name
    info = SpliceInfo(
        symbol=symbol,
        proxy=proxy_name,
        spliced_start=pd.Timestamp(before.index[0]),
        spliced_end=pd.Timestamp(before.index[-1]),
        n_spliced=len(before),
        first_own=first_own,
    )
    return spliced, info
