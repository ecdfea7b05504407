"""Alpha Vantage answers to pandas: daily prices, FX, commodities, economic indicators, news.

The real answer formats: every value is a string; time series come newest first;
``"."`` marks a missing value. The parsers turn each answer into a pandas
object, oldest first, with missing values dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum.data.acquisition._errors import FetchError

__all__ = [
    "COMMODITY_ENDPOINTS",
    "ECONOMIC_ENDPOINTS",
    "PRICE_ENDPOINTS",
    "parse_daily",
    "parse_fx_daily",
    "parse_news_sentiment",
    "parse_value_series",
]

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
