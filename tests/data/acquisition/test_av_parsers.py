"""Alpha Vantage parsers on hand-written answers in the real formats."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from deepmomentum.data.acquisition import (
    COMMODITY_ENDPOINTS,
    ECONOMIC_ENDPOINTS,
    FetchError,
    SeriesSpec,
    parse_daily,
    parse_fx_daily,
    parse_news_sentiment,
    parse_value_series,
    resolve_endpoint,
)

DAILY = {
    "Meta Data": {
        "1. Information": "Daily Prices (open, high, low, close) and Volumes",
        "2. Symbol": "SPY",
        "3. Last Refreshed": "2024-05-03",
        "4. Output Size": "Compact",
        "5. Time Zone": "US/Eastern",
    },
    "Time Series (Daily)": {
        "2024-05-03": {
            "1. open": "511.1600",
            "2. high": "512.5500",
            "3. low": "508.5600",
            "4. close": "511.2900",
            "5. volume": "72756709",
        },
        "2024-05-02": {
            "1. open": "504.1500",
            "2. high": "505.8900",
            "3. low": "499.5500",
            "4. close": "505.0300",
            "5. volume": "62550180",
        },
        "2024-05-01": {
            "1. open": "501.3800",
            "2. high": "508.1900",
            "3. low": "499.8700",
            "4. close": "500.3500",
            "5. volume": "80242840",
        },
    },
}

DAILY_ADJ = {
    "Meta Data": {"1. Information": "Daily Time Series with Splits and Dividend Events", "2. Symbol": "TLT"},
    "Time Series (Daily)": {
        "2024-05-02": {
            "1. open": "88.2000",
            "2. high": "88.9000",
            "3. low": "88.0100",
            "4. close": "88.7600",
            "5. adjusted close": "87.9012",
            "6. volume": "41234567",
            "7. dividend amount": "0.3215",
            "8. split coefficient": "1.0",
        },
        "2024-05-01": {
            "1. open": "87.5000",
            "2. high": "88.3000",
            "3. low": "87.2000",
            "4. close": "88.1000",
            "5. adjusted close": "86.9500",
            "6. volume": "38765432",
            "7. dividend amount": "0.0000",
            "8. split coefficient": "1.0",
        },
    },
}

FX = {
    "Meta Data": {
        "1. Information": "Forex Daily Prices (open, high, low, close)",
        "2. From Symbol": "EUR",
        "3. To Symbol": "USD",
        "4. Output Size": "Full size",
        "5. Last Refreshed": "2024-05-03",
        "6. Time Zone": "UTC",
    },
    "Time Series FX (Daily)": {
        "2024-05-03": {
            "1. open": "1.07270",
            "2. high": "1.08120",
            "3. low": "1.07180",
            "4. close": "1.07590",
        },
        "2024-05-02": {
            "1. open": "1.07130",
            "2. high": "1.07300",
            "3. low": "1.06750",
            "4. close": "1.07270",
        },
    },
}

BRENT = {
    "name": "Crude Oil Prices Brent",
    "interval": "daily",
    "unit": "dollars per barrel",
    "data": [
        {"date": "2024-05-06", "value": "83.33"},
        {"date": "2024-05-03", "value": "."},
        {"date": "2024-05-02", "value": "83.67"},
    ],
}

GDP = {
    "name": "Real Gross Domestic Product",
    "interval": "quarterly",
    "unit": "billions of dollars",
    "data": [{"date": "2024-01-01", "value": "22758.752"}, {"date": "2023-10-01", "value": "22679.255"}],
}

NEWS = {
    "items": "2",
    "sentiment_score_definition": "x <= -0.35: Bearish; ...",
    "relevance_score_definition": "0 < x <= 1",
    "feed": [
        {
            "title": "Fed holds rates",
            "url": "https://example.com/a",
            "time_published": "20240503T143000",
            "authors": ["A. Writer"],
            "summary": "...",
            "source": "Example News",
            "topics": [{"topic": "Economy - Monetary", "relevance_score": "0.99"}],
            "overall_sentiment_score": 0.12,
            "overall_sentiment_label": "Neutral",
            "ticker_sentiment": [
                {
                    "ticker": "SPY",
                    "relevance_score": "0.41",
                    "ticker_sentiment_score": "0.201",
                    "ticker_sentiment_label": "Somewhat-Bullish",
                },
                {
                    "ticker": "TLT",
                    "relevance_score": "0.22",
                    "ticker_sentiment_score": "-0.1",
                    "ticker_sentiment_label": "Neutral",
                },
            ],
        },
        {
            "title": "Markets quiet",
            "url": "https://example.com/b",
            "time_published": "20240502T090000",
            "source": "Example News",
            "overall_sentiment_score": -0.05,
            "overall_sentiment_label": "Neutral",
            "ticker_sentiment": [],
        },
    ],
}


def test_daily_oldest_first_strings_to_floats() -> None:
    frame = parse_daily(DAILY)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert list(frame.index) == list(pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-03"]))
    assert frame["close"].tolist() == [500.35, 505.03, 511.29]
    assert frame.dtypes.eq("float64").all()


def test_daily_adjusted_columns() -> None:
    frame = parse_daily(DAILY_ADJ, adjusted=True)
    assert frame["adjusted_close"].tolist() == [86.95, 87.9012]
    assert frame["dividend_amount"].tolist() == [0.0, 0.3215]
    assert frame.index.is_monotonic_increasing


def test_daily_missing_value_dot_is_nan() -> None:
    payload = {"Time Series (Daily)": {"2024-05-02": {"4. close": "."}, "2024-05-01": {"4. close": "1.5"}}}
    frame = parse_daily(payload)
    assert math.isnan(frame.loc["2024-05-02", "close"]) and frame.loc["2024-05-01", "close"] == 1.5


def test_fx_daily() -> None:
    frame = parse_fx_daily(FX)
    assert frame["close"].tolist() == [1.0727, 1.0759]
    assert frame.index[0] == pd.Timestamp("2024-05-02")


@pytest.mark.parametrize("payload", [BRENT, GDP])
def test_value_series_drops_dots_oldest_first(payload: dict) -> None:
    s = parse_value_series(payload)
    assert s.index.is_monotonic_increasing and not s.isna().any()
    assert s.attrs["unit"] == payload["unit"]


def test_value_series_brent_values() -> None:
    s = parse_value_series(BRENT)
    assert s.to_dict() == {pd.Timestamp("2024-05-02"): 83.67, pd.Timestamp("2024-05-06"): 83.33}


@pytest.mark.parametrize("name", [*COMMODITY_ENDPOINTS, *ECONOMIC_ENDPOINTS])
def test_every_commodity_and_indicator_parses(name: str) -> None:
    payload = {
        "name": name,
        "interval": "monthly",
        "unit": "x",
        "data": [{"date": "2024-02-01", "value": "3.1"}, {"date": "2024-01-01", "value": "."}],
    }
    s = parse_value_series(payload)
    assert s.tolist() == [3.1]
    assert resolve_endpoint(SeriesSpec(symbol=name)) == name


def test_news_sentiment_rows_per_ticker() -> None:
    frame = parse_news_sentiment(NEWS)
    assert len(frame) == 3
    assert frame["time_published"].iloc[0] == pd.Timestamp("2024-05-02 09:00:00")
    spy = frame[frame["ticker"] == "SPY"].iloc[0]
    assert spy["ticker_sentiment_score"] == pytest.approx(0.201)
    assert spy["overall_sentiment_score"] == pytest.approx(0.12)
    assert frame[frame["title"] == "Markets quiet"]["ticker"].iloc[0] == ""


@pytest.mark.parametrize(
    ("parser", "payload"),
    [
        (parse_daily, {"Meta Data": {}}),
        (parse_fx_daily, {"foo": 1}),
        (parse_value_series, {"name": "x"}),
        (parse_news_sentiment, {}),
    ],
)
def test_unexpected_shape_is_a_clear_error(parser, payload) -> None:
    with pytest.raises(FetchError, match="has no"):
        parser(payload)


def test_non_numeric_value_is_an_error() -> None:
    with pytest.raises(FetchError, match="where a number was expected"):
        parse_daily({"Time Series (Daily)": {"2024-05-01": {"4. close": "abc"}}})


@pytest.mark.parametrize(
    ("spec", "premium", "expected"),
    [
        (SeriesSpec("SPY"), False, "TIME_SERIES_DAILY"),
        (SeriesSpec("SPY"), True, "TIME_SERIES_DAILY_ADJUSTED"),
        (SeriesSpec("EURUSD", series="EUR/USD"), False, "FX_DAILY"),
        (SeriesSpec("BNO", endpoint="BRENT"), False, "BRENT"),
        (SeriesSpec("X", endpoint="time_series_daily"), True, "TIME_SERIES_DAILY"),
    ],
)
def test_resolve_endpoint(spec: SeriesSpec, premium: bool, expected: str) -> None:
    assert resolve_endpoint(spec, premium) == expected
