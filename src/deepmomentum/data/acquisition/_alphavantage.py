"""Alpha Vantage client: daily prices, FX, commodities, economic indicators, news.

The real answer formats: every value is a string; time series come newest first;
``"."`` marks a missing value; errors come back as HTTP 200 with a body holding
``"Error Message"``, ``"Note"`` or ``"Information"``. The parsers here turn each
answer into a pandas object, oldest first, with missing values dropped.

The API key is only ever added to the outgoing request by a transport wrapper,
below httpx's own logging, so that it never appears in a log line, an exception
message, a repr or a file.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
import numpy as np
import pandas as pd

from deepmomentum.data.acquisition._errors import (
    AlphaVantageError,
    FetchError,
    InvalidApiKeyError,
    PremiumEndpointError,
    RateLimitError,
    UnknownSymbolError,
)
from deepmomentum.data.acquisition._spec import FetchResult, SeriesSpec

__all__ = [
    "COMMODITY_ENDPOINTS",
    "DEFAULT_BASE_URL",
    "ECONOMIC_ENDPOINTS",
    "AlphaVantageClient",
    "AlphaVantageSource",
    "AnswerKind",
    "RateLimiter",
    "classify_answer",
    "parse_daily",
    "parse_fx_daily",
    "parse_news_sentiment",
    "parse_value_series",
]

DEFAULT_BASE_URL = "https://www.alphavantage.co"
ENV_API_KEY = "ALPHAVANTAGE_API_KEY"
ENV_BASE_URL = "ALPHAVANTAGE_BASE_URL"

#: Commodity functions and the finest interval each offers.
COMMODITY_ENDPOINTS: dict[str, str] = {
    "WTI": "daily",
    "BRENT": "daily",
    "NATURAL_GAS": "daily",
    "COPPER": "monthly",
    "ALUMINUM": "monthly",
    "WHEAT": "monthly",
    "CORN": "monthly",
    "COTTON": "monthly",
    "SUGAR": "monthly",
    "COFFEE": "monthly",
}
#: Economic-indicator functions and the finest interval each offers (None: no choice).
ECONOMIC_ENDPOINTS: dict[str, str | None] = {
    "REAL_GDP": "quarterly",
    "CPI": "monthly",
    "INFLATION": None,
    "UNEMPLOYMENT": None,
    "FEDERAL_FUNDS_RATE": "daily",
    "TREASURY_YIELD": "daily",
}
PRICE_ENDPOINTS = ("TIME_SERIES_DAILY", "TIME_SERIES_DAILY_ADJUSTED", "FX_DAILY")

_DAILY_FIELDS = {
    "1. open": "open",
    "2. high": "high",
    "3. low": "low",
    "4. close": "close",
    "5. volume": "volume",
}
_ADJUSTED_FIELDS = {
    "1. open": "open",
    "2. high": "high",
    "3. low": "low",
    "4. close": "close",
    "5. adjusted close": "adjusted_close",
    "6. volume": "volume",
    "7. dividend amount": "dividend_amount",
    "8. split coefficient": "split_coefficient",
}
_FX_FIELDS = {"1. open": "open", "2. high": "high", "3. low": "low", "4. close": "close"}

#: Seconds to wait after a burst-limit answer before the first retry (free tier: 1 request a second).
BURST_WAIT_S = 1.0

# Alpha Vantage's compact answer holds the latest 100 data points; ask for it only
# when the cache reaches back within this many business days.
_COMPACT_REACH_BDAYS = 90


# --------------------------------------------------------------------------- parsers


def _number(value: Any) -> float:
    """Parse an Alpha Vantage value; ``"."``, ``""``, ``"None"`` and None are NaN."""
    if value is None:
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text in {"", ".", "None", "null", "-", "NaN", "nan"}:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise FetchError(f"Alpha Vantage sent {text!r} where a number was expected") from None


def _shape_error(payload: Mapping[str, Any], expected: str, what: str) -> FetchError:
    keys = ", ".join(sorted(map(str, payload))) or "none"
    return FetchError(
        f"{what}: the Alpha Vantage answer has no {expected!r} (keys: {keys}); "
        "the format may have changed or the request was wrong"
    )


def _frame_from_series_block(block: Any, fields: Mapping[str, str], what: str) -> pd.DataFrame:
    if not isinstance(block, Mapping):
        raise FetchError(f"{what}: the time-series block is not an object")
    if not block:
        return pd.DataFrame(
            {name: pd.Series(dtype="float64") for name in fields.values()},
            index=pd.DatetimeIndex([], name="date"),
        )
    dates = pd.DatetimeIndex(pd.to_datetime(list(block), format="ISO8601"), name="date")
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    dates = dates.normalize()
    columns: dict[str, np.ndarray] = {}
    for raw, name in fields.items():
        columns[name] = np.array(
            [_number(row.get(raw)) if isinstance(row, Mapping) else math.nan for row in block.values()],
            dtype="float64",
        )
    frame = pd.DataFrame(columns, index=dates)
    frame = frame[~frame.index.duplicated(keep="first")]
    return frame.sort_index()


def parse_daily(payload: Mapping[str, Any], adjusted: bool = False) -> pd.DataFrame:
    """Parse a ``TIME_SERIES_DAILY`` or ``TIME_SERIES_DAILY_ADJUSTED`` answer.

    Parameters
    ----------
    payload : mapping
        The decoded JSON answer (newest first, all values strings).
    adjusted : bool, default False
        True for ``TIME_SERIES_DAILY_ADJUSTED``.

    Returns
    -------
    pd.DataFrame of shape (n_days, 5) or (n_days, 8)
        Columns ``open, high, low, close, volume`` (plus ``adjusted_close,
        dividend_amount, split_coefficient`` when adjusted), prices in the quote
        currency, float64, oldest first; missing values are NaN.
    """
    what = "TIME_SERIES_DAILY_ADJUSTED" if adjusted else "TIME_SERIES_DAILY"
    key = "Time Series (Daily)"
    if key not in payload:
        raise _shape_error(payload, key, what)
    return _frame_from_series_block(payload[key], _ADJUSTED_FIELDS if adjusted else _DAILY_FIELDS, what)


def parse_fx_daily(payload: Mapping[str, Any]) -> pd.DataFrame:
    """Parse an ``FX_DAILY`` answer.

    Returns
    -------
    pd.DataFrame of shape (n_days, 4)
        Columns ``open, high, low, close``: units of the quote currency per unit
        of the base currency (``EUR/USD``: dollars per euro), oldest first.
    """
    key = "Time Series FX (Daily)"
    if key not in payload:
        raise _shape_error(payload, key, "FX_DAILY")
    return _frame_from_series_block(payload[key], _FX_FIELDS, "FX_DAILY")


def parse_value_series(payload: Mapping[str, Any]) -> pd.Series:
    """Parse a commodity or economic-indicator answer (``{"name", "interval", "unit", "data"}``).

    Returns
    -------
    pd.Series
        Values in the answer's ``unit`` (e.g. dollars per barrel, percent), float64,
        oldest first, ``"."`` dropped; named after the answer's ``name``; the
        ``attrs`` hold ``name``, ``interval`` and ``unit``.
    """
    data = payload.get("data")
    if not isinstance(data, list):
        raise _shape_error(payload, "data", str(payload.get("name", "commodity/economic series")))
    dates: list[str] = []
    values: list[float] = []
    for row in data:
        if not isinstance(row, Mapping) or "date" not in row:
            raise FetchError("an Alpha Vantage data row has no 'date'; the format may have changed")
        dates.append(str(row["date"]))
        values.append(_number(row.get("value")))
    index = pd.DatetimeIndex(pd.to_datetime(dates, format="ISO8601"), name="date").normalize()
    series = pd.Series(np.array(values, dtype="float64"), index=index, name=str(payload.get("name", "")))
    series = series[~series.index.duplicated(keep="first")].sort_index().dropna()
    series.attrs = {k: str(payload.get(k, "")) for k in ("name", "interval", "unit")}
    return series


_NEWS_COLUMNS = [
    "time_published",
    "title",
    "source",
    "url",
    "overall_sentiment_score",
    "overall_sentiment_label",
    "ticker",
    "ticker_relevance",
    "ticker_sentiment_score",
    "ticker_sentiment_label",
]


def parse_news_sentiment(payload: Mapping[str, Any]) -> pd.DataFrame:
    """Parse a ``NEWS_SENTIMENT`` answer.

    Returns
    -------
    pd.DataFrame of shape (n_rows, 10)
        One row per (article, ticker) pair, or one row with an empty ``ticker`` for
        an article that names no ticker. ``time_published`` is a naive UTC
        timestamp; scores are floats in [-1, 1], relevance in [0, 1]. Sorted by
        ``time_published``, oldest first.
    """
    feed = payload.get("feed")
    if not isinstance(feed, list):
        raise _shape_error(payload, "feed", "NEWS_SENTIMENT")
    rows: list[dict[str, Any]] = []
    for item in feed:
        if not isinstance(item, Mapping):
            continue
        published = pd.to_datetime(
            str(item.get("time_published", "")), format="%Y%m%dT%H%M%S", errors="coerce"
        )
        base = {
            "time_published": published,
            "title": str(item.get("title", "")),
            "source": str(item.get("source", "")),
            "url": str(item.get("url", "")),
            "overall_sentiment_score": _number(item.get("overall_sentiment_score")),
            "overall_sentiment_label": str(item.get("overall_sentiment_label", "")),
        }
        tickers = item.get("ticker_sentiment") or []
        if not tickers:
            rows.append(
                base
                | {
                    "ticker": "",
                    "ticker_relevance": math.nan,
                    "ticker_sentiment_score": math.nan,
                    "ticker_sentiment_label": "",
                }
            )
        for t in tickers:
            rows.append(
                base
                | {
                    "ticker": str(t.get("ticker", "")),
                    "ticker_relevance": _number(t.get("relevance_score")),
                    "ticker_sentiment_score": _number(t.get("ticker_sentiment_score")),
                    "ticker_sentiment_label": str(t.get("ticker_sentiment_label", "")),
                }
            )
    frame = pd.DataFrame(rows, columns=_NEWS_COLUMNS)
    frame["time_published"] = pd.to_datetime(frame["time_published"])
    return frame.sort_values("time_published", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Client-side limit on request rate: at most ``per_minute`` a minute, ``per_day`` a day.

    Parameters
    ----------
    per_minute : int or None, default 5
        Requests in any 60-second window (free tier: 5); None: no limit.
    per_day : int or None, default 25
        Requests per calendar day (UTC) of this process (free tier: 25); None: no
        limit. When spent, :class:`RateLimitError` is raised rather than waiting.
    clock : callable, default time.time
        Seconds since the epoch.
    sleep : callable, default time.sleep
    min_interval : float, default 0
        Least seconds between two requests (the free tier answers a burst faster
        than 1 a second with a rate-limit note; :meth:`free` sets 1).
    """

    def __init__(
        self,
        per_minute: int | None = 5,
        per_day: int | None = 25,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        min_interval: float = 0.0,
    ) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self.sleep = sleep
        self.min_interval = min_interval
        self._last: float | None = None
        self._recent: deque[float] = deque()
        self._day: int | None = None
        self._today_count = 0

    @classmethod
    def free(cls) -> RateLimiter:
        """Free-tier limits: 5 requests a minute, 25 a day, 1 a second."""
        return cls(per_minute=5, per_day=25, min_interval=1.0)

    @classmethod
    def premium(cls, per_minute: int = 75) -> RateLimiter:
        """Premium limits: ``per_minute`` a minute (75 on the smallest plan), no daily cap."""
        return cls(per_minute=per_minute, per_day=None)

    @property
    def used_today(self) -> int:
        """Requests made today by this limiter."""
        return self._today_count if self._day == int(self.clock() // 86400) else 0

    def acquire(self) -> None:
        """Wait until a request is allowed, then count it.

        Raises
        ------
        RateLimitError
            When the daily quota is spent.
        """
        now = self.clock()
        day = int(now // 86400)
        if day != self._day:
            self._day, self._today_count = day, 0
        if self.per_day is not None and self._today_count >= self.per_day:
            raise RateLimitError(
                f"the daily quota of {self.per_day} Alpha Vantage requests is spent; series fetched so "
                "far are kept: rerun tomorrow to continue, or use a premium key (premium = true)"
            )
        if self.per_minute is not None and self.per_minute > 0:
            while True:
                while self._recent and now - self._recent[0] >= 60.0:
                    self._recent.popleft()
                if len(self._recent) < self.per_minute:
                    break
                self.sleep(max(60.0 - (now - self._recent[0]), 0.0) + 0.01)
                now = self.clock()
            self._recent.append(now)
        if self.min_interval > 0 and self._last is not None and now - self._last < self.min_interval:
            self.sleep(self.min_interval - (now - self._last))
            now = self.clock()
        self._last = now
        self._today_count += 1


# --------------------------------------------------------------------------- answer kinds

#: What an Alpha Vantage error body means (see :func:`classify_answer`).
AnswerKind = Literal[
    "burst", "rate_limit", "daily_quota", "premium", "invalid_key", "demo_key", "unknown_symbol", "error"
]
_MESSAGE_FIELDS = ("Error Message", "Note", "Information")


def _message(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first message field of an answer and its text, or None for a data answer."""
    for field_name in _MESSAGE_FIELDS:
        raw = payload.get(field_name)
        if isinstance(raw, str):
            return field_name, raw.strip()
    return None


def classify_answer(payload: Mapping[str, Any]) -> AnswerKind | None:
    """What kind of message an Alpha Vantage answer carries.

    Parameters
    ----------
    payload : mapping
        The decoded JSON answer.

    Returns
    -------
    str or None
        None for a data answer. ``"burst"``: more than 1 request a second (retry
        after a second); ``"rate_limit"``: the per-minute note (retry with
        backoff); ``"daily_quota"``: the day's requests are spent (stop);
        ``"premium"``: the endpoint or option needs a premium plan;
        ``"invalid_key"``, ``"demo_key"``, ``"unknown_symbol"``; ``"error"``: any
        other message.
    """
    found = _message(payload)
    if found is None:
        return None
    field_name, text = found
    low = text.lower()
    if "apikey" in low.replace(" ", "") and ("invalid" in low or "missing" in low):
        return "invalid_key"
    if "demo" in low and "api key" in low:
        return "demo_key"
    # Burst and quota texts end "... unlock all premium endpoints": match the claim, not the word.
    if "is a premium endpoint" in low or "premium feature" in low or "premium-only" in low:
        return "premium"
    if field_name == "Error Message":
        return "unknown_symbol" if "invalid api call" in low else "error"
    if "per second" in low or "sparingly" in low or "spreading out" in low:
        return "burst"
    if "per day" in low and "per minute" not in low:
        return "daily_quota"
    if any(w in low for w in ("rate limit", "call frequency", "per minute", "requests")):
        return "rate_limit"
    return "error"


# --------------------------------------------------------------------------- client


class _KeyTransport(httpx.BaseTransport):
    """Add the API key to each request's query just before it is sent.

    httpx logs and attaches to errors the request it handed to the transport,
    which has no key; only the copy sent on the wire carries it.
    """

    def __init__(self, inner: httpx.BaseTransport, key: str) -> None:
        self._inner = inner
        self._key = key

    def __repr__(self) -> str:
        return "_KeyTransport(key=***)"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        keyed = httpx.Request(
            request.method,
            request.url.copy_merge_params({"apikey": self._key}),
            headers=request.headers,
            extensions=request.extensions,
        )
        return self._inner.handle_request(keyed)

    def close(self) -> None:
        self._inner.close()


def _redact(text: str, key: str | None) -> str:
    return text.replace(key, "***") if key else text


class AlphaVantageClient:
    """A small, careful Alpha Vantage client.

    Parameters
    ----------
    api_key : str or None
        The key; None: the ``ALPHAVANTAGE_API_KEY`` environment variable. It is
        never printed, logged or written anywhere.
    base_url : str or None
        None: ``ALPHAVANTAGE_BASE_URL`` or https://www.alphavantage.co (set it to a
        local server in tests).
    limiter : RateLimiter or None
        None: free-tier limits (5 a minute, 25 a day).
    timeout : float, default 30
        Seconds per request.
    max_retries : int, default 4
        Retries after a rate-limit note, a 5xx or 429, a timeout, a network error
        or an unreadable body.
    backoff : float, default 15
        Seconds before the first retry; doubled after each, capped at ``max_backoff``.
    max_backoff : float, default 120
    sleep : callable, default time.sleep
    transport : httpx.BaseTransport or None
        For tests; None: httpx's default.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 15.0,
        max_backoff: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self.limiter = limiter
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.transport = transport
        self._http: httpx.Client | None = None
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"AlphaVantageClient(base_url={self.resolved_base_url!r}, api_key=***)"

    # -- plumbing

    @property
    def resolved_base_url(self) -> str:
        """The base URL in use."""
        return (self.base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")

    def _key(self) -> str:
        key = self._api_key or os.environ.get(ENV_API_KEY, "")
        key = key.strip()
        if not key:
            raise InvalidApiKeyError(
                f"no Alpha Vantage API key: set the environment variable {ENV_API_KEY} (a free key takes "
                "20 seconds at https://www.alphavantage.co/support/#api-key) or api_key in the "
                "[acquisition] table of the config; or use --source yahoo, which needs no key"
            )
        return key

    def require_key(self) -> None:
        """Raise :class:`InvalidApiKeyError` now if no key is set (it is not checked online)."""
        self._key()

    def _client(self) -> httpx.Client:
        if self._http is None:
            inner = self.transport or httpx.HTTPTransport()
            self._http = httpx.Client(
                base_url=self.resolved_base_url,
                timeout=self.timeout,
                transport=_KeyTransport(inner, self._key()),
                headers={"User-Agent": "deepmomentum"},
            )
        return self._http

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> AlphaVantageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _classify(self, payload: Mapping[str, Any], what: str) -> tuple[FetchError | None, AnswerKind | None]:
        """The error an answer body carries (None for data), and its kind."""
        kind = classify_answer(payload)
        found = _message(payload)
        if kind is None or found is None:
            return None, None
        text = _redact(found[1], self._api_key or os.environ.get(ENV_API_KEY, ""))
        said = f"Alpha Vantage says: {text!r}"
        errors: dict[str, FetchError] = {
            "invalid_key": InvalidApiKeyError(
                f"{what}: the API key was rejected ({said}); check {ENV_API_KEY}"
            ),
            "demo_key": InvalidApiKeyError(
                f"{what}: the demo key only serves the documentation's examples; set {ENV_API_KEY} "
                "to your own free key"
            ),
            "premium": PremiumEndpointError(
                f"{what}: this endpoint or option needs a premium Alpha Vantage plan ({said}); "
                "set premium = false to use the free endpoints, or use --source yahoo"
            ),
            "unknown_symbol": UnknownSymbolError(
                f"{what}: Alpha Vantage does not know this symbol ({said}); check the ticker "
                "(FX pairs as EUR/USD via FX_DAILY, commodities as BRENT, WTI, ...)"
            ),
            "daily_quota": RateLimitError(
                f"{what}: the daily Alpha Vantage quota is spent ({said}); series fetched so far are "
                "kept: rerun tomorrow to continue, or use a premium key"
            ),
            "burst": RateLimitError(f"{what}: rate limited, too many requests a second ({said})"),
            "rate_limit": RateLimitError(f"{what}: rate limited ({said})"),
        }
        return errors.get(kind, AlphaVantageError(f"{what}: {said}")), kind

    def request(self, params: Mapping[str, str], what: str | None = None) -> dict[str, Any]:
        """GET ``/query`` with ``params`` (the key is added below the logging) and decode it.

        Parameters
        ----------
        params : mapping of str to str
            Query parameters, ``function`` first.
        what : str, optional
            Name of the request in messages (default: the function).

        Returns
        -------
        dict
            The decoded JSON body, free of error fields.

        Raises
        ------
        InvalidApiKeyError, PremiumEndpointError, UnknownSymbolError, RateLimitError, FetchError
        """
        what = what or str(params.get("function", "request"))
        key = self._api_key or os.environ.get(ENV_API_KEY, "")
        client = self._client()
        limiter = self.limiter if self.limiter is not None else RateLimiter.free()
        if self.limiter is None:
            self.limiter = limiter
        problem = "no answer"
        kind: AnswerKind | None = None
        tries = self.max_retries + 1
        for attempt in range(tries):
            if attempt:
                # A burst limit clears within a second; other problems get the longer backoff.
                base = BURST_WAIT_S if kind == "burst" else self.backoff
                self.sleep(min(base * 2 ** (attempt - 1), self.max_backoff))
            kind = None
            limiter.acquire()
            self.requests_made += 1
            try:
                response = client.get("/query", params=dict(params))
            except httpx.TimeoutException:
                problem = f"timed out after {self.timeout:g} s"
                continue
            except httpx.TransportError as exc:
                problem = _redact(f"network error ({type(exc).__name__}: {exc})", key)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                problem = f"HTTP {status} from the server"
                continue
            if status in (401, 403):
                raise InvalidApiKeyError(
                    f"{what}: HTTP {status}: the API key was refused; check {ENV_API_KEY}"
                )
            if status >= 400:
                raise FetchError(f"{what}: HTTP {status} from Alpha Vantage; check the request")
            try:
                payload = response.json()
            except ValueError:
                problem = "the answer was not valid JSON (truncated or an HTML error page)"
                continue
            if not isinstance(payload, dict):
                problem = f"the answer was a JSON {type(payload).__name__}, not an object"
                continue
            error, kind = self._classify(payload, what)
            if error is None:
                return payload
            if kind not in ("burst", "rate_limit"):
                raise error
            problem = str(error)
        msg = f"{what}: failed after {tries} tries; last problem: {problem}"
        if kind in ("burst", "rate_limit"):
            raise RateLimitError(
                msg + "; wait a minute and rerun (finished series are kept; if the daily quota is "
                "spent, rerun tomorrow)"
            )
        raise FetchError(msg + "; rerun later (finished series are kept)")

    # -- endpoints

    def daily(
        self,
        symbol: str,
        adjusted: bool = False,
        outputsize: Literal["compact", "full"] = "compact",
    ) -> pd.DataFrame:
        """Daily OHLCV of a stock or ETF (see :func:`parse_daily`)."""
        function = "TIME_SERIES_DAILY_ADJUSTED" if adjusted else "TIME_SERIES_DAILY"
        payload = self.request(
            {"function": function, "symbol": symbol, "outputsize": outputsize, "datatype": "json"},
            what=f"{function} {symbol}",
        )
        return parse_daily(payload, adjusted=adjusted)

    def fx_daily(
        self, from_symbol: str, to_symbol: str, outputsize: Literal["compact", "full"] = "full"
    ) -> pd.DataFrame:
        """Daily FX rates, quote per base currency (see :func:`parse_fx_daily`)."""
        payload = self.request(
            {
                "function": "FX_DAILY",
                "from_symbol": from_symbol,
                "to_symbol": to_symbol,
                "outputsize": outputsize,
                "datatype": "json",
            },
            what=f"FX_DAILY {from_symbol}/{to_symbol}",
        )
        return parse_fx_daily(payload)

    def commodity(self, name: str, interval: str | None = None) -> pd.Series:
        """A commodity price series (WTI, BRENT, ..., COFFEE); see :func:`parse_value_series`."""
        name = name.upper()
        if name not in COMMODITY_ENDPOINTS:
            raise UnknownSymbolError(
                f"unknown Alpha Vantage commodity {name!r}; use one of {', '.join(COMMODITY_ENDPOINTS)}"
            )
        interval = interval or COMMODITY_ENDPOINTS[name]
        payload = self.request({"function": name, "interval": interval, "datatype": "json"}, what=name)
        return parse_value_series(payload)

    def economic_indicator(
        self, name: str, interval: str | None = None, maturity: str | None = None
    ) -> pd.Series:
        """An economic indicator (REAL_GDP, CPI, ..., TREASURY_YIELD); see :func:`parse_value_series`.

        Values are dated at the start of their reference period and revised: use
        them only after their release (see the shared data README).
        """
        name = name.upper()
        if name not in ECONOMIC_ENDPOINTS:
            raise UnknownSymbolError(
                f"unknown Alpha Vantage indicator {name!r}; use one of {', '.join(ECONOMIC_ENDPOINTS)}"
            )
        params = {"function": name, "datatype": "json"}
        interval = interval or ECONOMIC_ENDPOINTS[name]
        if interval:
            params["interval"] = interval
        if name == "TREASURY_YIELD":
            params["maturity"] = maturity or "10year"
        return parse_value_series(self.request(params, what=name))

    def news_sentiment(
        self,
        tickers: str | None = None,
        topics: str | None = None,
        time_from: dt.datetime | None = None,
        time_to: dt.datetime | None = None,
        sort: Literal["LATEST", "EARLIEST", "RELEVANCE"] = "LATEST",
        limit: int = 50,
    ) -> pd.DataFrame:
        """News and sentiment (see :func:`parse_news_sentiment`); times are UTC."""
        params = {"function": "NEWS_SENTIMENT", "sort": sort, "limit": str(limit)}
        if tickers:
            params["tickers"] = tickers
        if topics:
            params["topics"] = topics
        if time_from:
            params["time_from"] = time_from.strftime("%Y%m%dT%H%M")
        if time_to:
            params["time_to"] = time_to.strftime("%Y%m%dT%H%M")
        return parse_news_sentiment(self.request(params, what=f"NEWS_SENTIMENT {tickers or topics or ''}"))


def resolve_endpoint(spec: SeriesSpec, premium: bool = False) -> str:
    """The Alpha Vantage function that serves ``spec``.

    The spec's ``endpoint`` wins; otherwise ``BASE/QUOTE`` is FX_DAILY, a commodity
    or indicator name is itself, anything else TIME_SERIES_DAILY (ADJUSTED with
    ``premium``).
    """
    if spec.endpoint:
        endpoint = spec.endpoint.strip().upper()
        if endpoint in ("TIME_SERIES_DAILY", "TIME_SERIES_DAILY_ADJUSTED") or endpoint == "FX_DAILY":
            return endpoint
        if endpoint in COMMODITY_ENDPOINTS or endpoint in ECONOMIC_ENDPOINTS:
            return endpoint
        raise UnknownSymbolError(
            f"{spec.symbol}: unknown Alpha Vantage endpoint {spec.endpoint!r}; use TIME_SERIES_DAILY, "
            f"TIME_SERIES_DAILY_ADJUSTED, FX_DAILY, {', '.join(COMMODITY_ENDPOINTS)} or "
            f"{', '.join(ECONOMIC_ENDPOINTS)}"
        )
    name = spec.source_series.upper()
    if "/" in name:
        return "FX_DAILY"
    if name in COMMODITY_ENDPOINTS or name in ECONOMIC_ENDPOINTS:
        return name
    return "TIME_SERIES_DAILY_ADJUSTED" if premium else "TIME_SERIES_DAILY"


class AlphaVantageSource:
    """The Alpha Vantage price source used by the fetcher.

    Parameters
    ----------
    client : AlphaVantageClient
    premium : bool, default False
        With a premium key: adjusted closes (TIME_SERIES_DAILY_ADJUSTED) and full
        histories. On the free tier stocks and ETFs come unadjusted and only the
        latest 100 days (``outputsize=full`` is premium-only); the cache keeps
        growing with each update.
    """

    name = "alphavantage"

    def __init__(self, client: AlphaVantageClient, premium: bool = False) -> None:
        self.client = client
        self.premium = premium

    def fetch(
        self, spec: SeriesSpec, start: dt.date | None = None, since: dt.date | None = None
    ) -> FetchResult:
        """Fetch one series' closes (see :class:`~deepmomentum.data.acquisition.Source`)."""
        endpoint = resolve_endpoint(spec, self.premium)
        series = spec.source_series
        notes: list[str] = []
        recent = since is not None and np.busday_count(since, dt.date.today()) < _COMPACT_REACH_BDAYS
        if endpoint in ("TIME_SERIES_DAILY", "TIME_SERIES_DAILY_ADJUSTED"):
            adjusted = endpoint == "TIME_SERIES_DAILY_ADJUSTED"
            full = self.premium and not recent
            frame = self.client.daily(series, adjusted=adjusted, outputsize="full" if full else "compact")
            prices = frame["adjusted_close" if adjusted else "close"]
            complete = full
            if not adjusted:
                notes.append("unadjusted closes (dividends not in returns): adjusted needs premium")
            if not full and not recent:
                notes.append("latest 100 days only: full history needs premium (or use --source yahoo)")
        elif endpoint == "FX_DAILY":
            base, _, quote = series.partition("/")
            if not quote:
                raise UnknownSymbolError(f"{spec.symbol}: FX series {series!r} must look like EUR/USD")
            frame = self.client.fx_daily(
                base.upper(), quote.upper(), outputsize="compact" if recent else "full"
            )
            prices, adjusted, complete = frame["close"], False, not recent
        elif endpoint in COMMODITY_ENDPOINTS:
            prices, adjusted, complete = self.client.commodity(endpoint), False, True
        else:
            prices, adjusted, complete = self.client.economic_indicator(endpoint), False, True
        prices = prices.dropna().astype("float64").rename(spec.symbol)
        if start is not None:
            prices = prices[prices.index >= pd.Timestamp(start)]
        if prices.empty and since is None:
            raise UnknownSymbolError(
                f"{spec.symbol}: Alpha Vantage returned no prices for {series} ({endpoint})"
            )
        return FetchResult(
            prices=prices, endpoint=endpoint, adjusted=adjusted, complete=complete, notes=notes
        )
