"""Alpha Vantage client: daily prices, FX, commodities, economic indicators, news.

Errors come back as HTTP 200 with a body holding ``"Error Message"``,
``"Note"`` or ``"Information"``; the client classifies them
(:mod:`~deepmomentum.data.acquisition._av_answers`), retries the rate-limit
notes and raises the rest. The answer parsers live in
:mod:`~deepmomentum.data.acquisition._av_parse`, the client-side rate limit in
:mod:`~deepmomentum.data.acquisition._av_rate`; their public names are
re-exported here.

The API key is only ever added to the outgoing request by a transport wrapper,
below httpx's own logging, so that it never appears in a log line, an exception
message, a repr or a file.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
import numpy as np
import pandas as pd

from deepmomentum.data.acquisition._av_answers import AnswerKind, classify_answer, message_of
from deepmomentum.data.acquisition._av_parse import (
    COMMODITY_ENDPOINTS,
    ECONOMIC_ENDPOINTS,
    parse_daily,
    parse_fx_daily,
    parse_news_sentiment,
    parse_value_series,
)
from deepmomentum.data.acquisition._av_rate import RateLimiter
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

#: Seconds to wait after a burst-limit answer before the first retry (free tier: 1 request a second).
BURST_WAIT_S = 1.0

# Alpha Vantage's compact answer holds the latest 100 data points; ask for it only
# when the cache reaches back within this many business days.
_COMPACT_REACH_BDAYS = 90


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
        found = message_of(payload)
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
