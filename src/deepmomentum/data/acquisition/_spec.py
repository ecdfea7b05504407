"""What to fetch (:class:`SeriesSpec`) and what a source returns (:class:`FetchResult`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pandas as pd

__all__ = ["FetchResult", "SeriesSpec", "Source", "SourceName", "store_key"]

SourceName = Literal["alphavantage", "yahoo"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def store_key(name: str) -> str:
    """File-safe key of a series name: ``EUR/USD`` -> ``EURUSD``, ``CL=F`` -> ``CLF``.

    Parameters
    ----------
    name : str
        A symbol or a source's series name.

    Returns
    -------
    str
        The name without characters that are unsafe in file names.
    """
    key = _UNSAFE.sub("", name.strip())
    if not key:
        raise ValueError(f"cannot make a file name from series name {name!r}")
    return key


@dataclass(frozen=True)
class SeriesSpec:
    """One series to fetch and keep.

    Parameters
    ----------
    symbol : str
        The name in the universe and the file stem (``FXE``, ``EURUSD``).
    asset_class : str, default "equity"
        One of the universe's asset classes (equity, bond, commodity, fx, rates, ...).
    sector : str, default ""
    role : str, default "tradable"
        ``tradable``, ``benchmark``, ``rate``, or ``proxy`` (fetched only to splice
        another series; not exported).
    cost_bps : float or None
        Per-instrument cost in basis points, passed through to ``universe.csv``.
    description : str, default ""
    source : {"alphavantage", "yahoo"} or None
        Where the series comes from; None: the source of the fetch command.
    endpoint : str or None
        The Alpha Vantage function (``TIME_SERIES_DAILY``, ``FX_DAILY``, ``BRENT``,
        ...); None: inferred from ``series``.
    series : str or None
        The source's own name (``EUR/USD``, ``BRENT``, ``EURUSD=X``); None: ``symbol``.
    proxy : str or None
        Key of a series whose returns extend this one back before its first price.
    """

    symbol: str
    asset_class: str = "equity"
    sector: str = ""
    role: str = "tradable"
    cost_bps: float | None = None
    description: str = ""
    source: SourceName | None = None
    endpoint: str | None = None
    series: str | None = None
    proxy: str | None = None

    @property
    def key(self) -> str:
        """The store key (file stem) of the series."""
        return store_key(self.symbol)

    @property
    def source_series(self) -> str:
        """The name the source knows the series by."""
        return self.series or self.symbol


@dataclass
class FetchResult:
    """Prices returned by a source for one series.

    Parameters
    ----------
    prices : pd.Series
        Closes (adjusted where ``adjusted``), float64, indexed by a sorted, unique,
        tz-naive DatetimeIndex, oldest first; missing values already dropped.
    endpoint : str
        What was called (``TIME_SERIES_DAILY``, ``yfinance.history``, ...).
    adjusted : bool
        True for dividend- and split-adjusted (total-return) prices.
    complete : bool
        True when ``prices`` is the whole history the source has from ``start``;
        False for a recent window only (Alpha Vantage ``outputsize=compact``).
    notes : list of str
        Things the user should know (e.g. "last 100 days only: free tier").
    """

    prices: pd.Series
    endpoint: str
    adjusted: bool
    complete: bool = True
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    """A price source: Alpha Vantage, Yahoo, or a test fake."""

    name: str

    def fetch(
        self, spec: SeriesSpec, start: dt.date | None = None, since: dt.date | None = None
    ) -> FetchResult:
        """Fetch one series.

        Parameters
        ----------
        spec : SeriesSpec
        start : datetime.date or None
            First date wanted; None: the whole history.
        since : datetime.date or None
            Last date already held; the source may return only recent prices
            (``complete=False``) as long as they reach back to ``since``.
        """
        ...
