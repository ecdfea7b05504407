"""Yahoo Finance source through yfinance (the optional ``yahoo`` extra), throttled.

yfinance is imported only when the first series is fetched, so the package and
its command line work without it. A download function can be injected for tests.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from deepmomentum.data.acquisition._errors import FetchError, UnknownSymbolError
from deepmomentum.data.acquisition._spec import FetchResult, SeriesSpec
from deepmomentum.exceptions import ConfigError

__all__ = ["YahooSource", "yfinance_history"]

Downloader = Callable[[str, "dt.date | None"], pd.DataFrame]


def yfinance_history(ticker: str, start: dt.date | None) -> pd.DataFrame:
    """Download one ticker's daily history with yfinance (adjusted closes).

    Parameters
    ----------
    ticker : str
        A Yahoo ticker (``SPY``, ``EURUSD=X``, ``BZ=F``).
    start : datetime.date or None
        First date; None: the whole history.

    Returns
    -------
    pd.DataFrame
        yfinance's frame: a DatetimeIndex (may be tz-aware) and a ``Close``
        column, dividend- and split-adjusted.
    """
    try:
        import yfinance as yf  # optional extra, heavy
    except ImportError:
        raise ConfigError(
            "the Yahoo source needs yfinance: pip install 'deepmomentum[yahoo]' "
            "(or use --source alphavantage with an API key)"
        ) from None
    kwargs: dict[str, Any] = {"auto_adjust": True, "actions": False}
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = start.isoformat()
    frame: pd.DataFrame = yf.Ticker(ticker).history(**kwargs)
    return frame


class YahooSource:
    """Daily adjusted closes from Yahoo Finance, throttled above yfinance.

    Parameters
    ----------
    min_interval : float, default 1.0
        Seconds between two downloads (Yahoo blocks bursts).
    max_retries : int, default 3
        Retries after an exception from the downloader (network, throttling).
    backoff : float, default 5.0
        Seconds before the first retry; doubled after each.
    downloader : callable or None
        ``downloader(ticker, start) -> DataFrame`` with a date index and a
        ``Close`` column; None: :func:`yfinance_history`. Tests inject a fake.
    sleep, clock : callable
        Injected in tests.
    """

    name = "yahoo"

    def __init__(
        self,
        min_interval: float = 1.0,
        max_retries: int = 3,
        backoff: float = 5.0,
        downloader: Downloader | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.downloader = downloader
        self.sleep = sleep
        self.clock = clock
        self._last_call: float | None = None
        self.requests_made = 0

    def _throttle(self) -> None:
        if self._last_call is not None:
            wait = self.min_interval - (self.clock() - self._last_call)
            if wait > 0:
                self.sleep(wait)
        self._last_call = self.clock()

    def fetch(
        self, spec: SeriesSpec, start: dt.date | None = None, since: dt.date | None = None
    ) -> FetchResult:
        """Fetch one series' adjusted closes (see :class:`~deepmomentum.data.acquisition.Source`).

        Yahoo re-adjusts the whole history after each dividend, so the full history
        from ``start`` is always downloaded (``since`` is ignored).
        """
        ticker = spec.source_series
        download = self.downloader or yfinance_history
        problem = ""
        frame: pd.DataFrame | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self._throttle()
            self.requests_made += 1
            try:
                frame = download(ticker, start)
                break
            except ConfigError:
                raise
            except Exception as exc:  # yfinance raises many types
                problem = f"{type(exc).__name__}: {exc}"
        if frame is None:
            raise FetchError(
                f"{spec.symbol}: Yahoo download of {ticker} failed after {self.max_retries + 1} tries "
                f"({problem}); rerun later (finished series are kept)"
            )
        if frame is None or frame.empty or "Close" not in frame.columns:
            raise UnknownSymbolError(
                f"{spec.symbol}: Yahoo has no prices for {ticker!r}; check the ticker "
                "(FX as EURUSD=X, futures as CL=F, indices as ^GSPC)"
            )
        index = pd.DatetimeIndex(frame.index)
        if index.tz is not None:
            index = index.tz_localize(None)
        prices = pd.Series(
            frame["Close"].to_numpy(dtype="float64"), index=index.normalize(), name=spec.symbol
        )
        prices = prices[~prices.index.duplicated(keep="last")].sort_index().dropna()
        prices.index.name = "date"
        if start is not None:
            prices = prices[prices.index >= pd.Timestamp(start)]
        return FetchResult(prices=prices, endpoint="yfinance.history", adjusted=True, complete=True)
