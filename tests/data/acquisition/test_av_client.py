"""The Alpha Vantage client against a real local HTTP server (tiny backoffs)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import (
    API_KEY,
    BAD_KEY,
    BAD_SYMBOL,
    BURST,
    DAILY_QUOTA,
    PREMIUM,
    RATE_NOTE,
    FakeAlphaVantage,
    recorded,
)
from deepmomentum.data.acquisition import (
    AlphaVantageClient,
    AlphaVantageSource,
    FetchError,
    InvalidApiKeyError,
    PremiumEndpointError,
    RateLimiter,
    RateLimitError,
    SeriesSpec,
    SeriesStore,
    UnknownSymbolError,
    fetch_all,
)
from deepmomentum.data.acquisition._alphavantage import classify_answer

UNLIMITED = dict(per_minute=None, per_day=None)


def client(fake: FakeAlphaVantage, **kw) -> AlphaVantageClient:
    opts = dict(
        api_key=API_KEY,
        base_url=fake.url,
        limiter=RateLimiter(**UNLIMITED),
        timeout=10.0,
        max_retries=2,
        backoff=0.001,
    )
    opts.update(kw)
    return AlphaVantageClient(**opts)


def test_success_sends_key_and_parses(fake_av: FakeAlphaVantage) -> None:
    frame = client(fake_av).daily("SPY")
    assert len(frame) == fake_av.n_days and frame.index.is_monotonic_increasing
    assert fake_av.requests[0]["apikey"] == API_KEY
    assert fake_av.requests[0]["function"] == "TIME_SERIES_DAILY"


def test_rate_limit_note_then_success_is_retried(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [RATE_NOTE, RATE_NOTE, None]
    fake_av.script["TIME_SERIES_DAILY:SPY"][-1] = fake_av.default_answer(
        {"function": "TIME_SERIES_DAILY", "symbol": "SPY"}
    )
    slept: list[float] = []
    frame = client(fake_av, sleep=slept.append).daily("SPY")
    assert len(frame) == fake_av.n_days
    assert fake_av.count("TIME_SERIES_DAILY:SPY") == 3
    assert slept == [0.001, 0.002]  # exponential backoff


def test_persistent_rate_limit_fails_clearly(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [RATE_NOTE]
    with pytest.raises(RateLimitError, match="failed after 3 tries"):
        client(fake_av).daily("SPY")


def test_daily_quota_is_not_retried(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [DAILY_QUOTA]
    with pytest.raises(RateLimitError, match="daily Alpha Vantage quota is spent"):
        client(fake_av).daily("SPY")
    assert fake_av.count() == 1


def test_premium_endpoint_error(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY_ADJUSTED:SPY"] = [PREMIUM]
    with pytest.raises(PremiumEndpointError, match="premium"):
        client(fake_av).daily("SPY", adjusted=True)
    assert fake_av.count() == 1


def test_premium_option_message(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [
        {
            "Information": "Thank you for using Alpha Vantage! The **outputsize=full** parameter value is a premium feature for the TIME_SERIES_DAILY endpoint."
        }
    ]
    with pytest.raises(PremiumEndpointError):
        client(fake_av).daily("SPY", outputsize="full")


def test_unknown_symbol(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:NOPE"] = [BAD_SYMBOL]
    with pytest.raises(UnknownSymbolError, match="does not know this symbol"):
        client(fake_av).daily("NOPE")
    assert fake_av.count() == 1


def test_invalid_key(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [BAD_KEY]
    with pytest.raises(InvalidApiKeyError, match="rejected"):
        client(fake_av).daily("SPY")


def test_demo_key_message(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [
        {
            "Information": "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key)"
        }
    ]
    with pytest.raises(InvalidApiKeyError, match="demo key"):
        client(fake_av).daily("SPY")


def test_missing_key(monkeypatch: pytest.MonkeyPatch, fake_av: FakeAlphaVantage) -> None:
    monkeypatch.delenv("ALPHAVANTAGE_API_KEY", raising=False)
    with pytest.raises(InvalidApiKeyError, match="ALPHAVANTAGE_API_KEY"):
        client(fake_av, api_key=None).daily("SPY")
    assert fake_av.count() == 0


def test_server_500_retried_then_success(fake_av: FakeAlphaVantage) -> None:
    ok = fake_av.default_answer({"function": "TIME_SERIES_DAILY", "symbol": "SPY"})
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [("status", 500), ok]
    assert len(client(fake_av).daily("SPY")) == fake_av.n_days
    assert fake_av.count() == 2


def test_server_500_persistent_fails(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [("status", 503)]
    with pytest.raises(FetchError, match="HTTP 503"):
        client(fake_av).daily("SPY")
    assert fake_av.count() == 3


def test_timeout_retried(fake_av: FakeAlphaVantage) -> None:
    ok = fake_av.default_answer({"function": "TIME_SERIES_DAILY", "symbol": "SPY"})
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [("sleep", 3.0), ok]  # wide margins: no flakes under load
    assert len(client(fake_av, timeout=1.0).daily("SPY")) == fake_av.n_days


def test_timeout_persistent_fails(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [("sleep", 0.4)]
    with pytest.raises(FetchError, match="timed out"):
        client(fake_av, timeout=0.1, max_retries=1).daily("SPY")


@pytest.mark.parametrize("kind", ["truncated", "badjson"])
def test_truncated_body_retried_then_fails(fake_av: FakeAlphaVantage, kind: str) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [(kind,)]
    with pytest.raises(FetchError, match="failed after 3 tries"):
        client(fake_av).daily("SPY")
    ok = fake_av.default_answer({"function": "TIME_SERIES_DAILY", "symbol": "QQQ"})
    fake_av.script["TIME_SERIES_DAILY:QQQ"] = [(kind,), ok]
    assert len(client(fake_av).daily("QQQ")) == fake_av.n_days


def test_key_never_in_errors_logs_or_repr(
    fake_av: FakeAlphaVantage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [("truncated",)]
    fake_av.script["TIME_SERIES_DAILY:BAD"] = [{"Error Message": f"weird echo of {API_KEY}"}]
    c = client(fake_av)
    messages = [repr(c)]
    for sym in ("SPY", "BAD"):
        with pytest.raises(FetchError) as info:
            c.daily(sym)
        messages.append(str(info.value))
    c.daily("QQQ")
    assert "HTTP Request" in caplog.text  # httpx did log the requests...
    for text in [*messages, caplog.text]:
        assert API_KEY not in text  # ...but never the key


def test_limiter_waits_per_minute_and_stops_per_day() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    lim = RateLimiter(per_minute=2, per_day=3, clock=lambda: now[0], sleep=sleep)
    lim.acquire()
    lim.acquire()
    assert waits == []
    lim.acquire()
    assert len(waits) == 1 and waits[0] == pytest.approx(60.01)
    with pytest.raises(RateLimitError, match="daily quota of 3"):
        lim.acquire()
    now[0] += 86400
    lim.acquire()  # a new day


def test_free_and_premium_presets() -> None:
    assert (RateLimiter.free().per_minute, RateLimiter.free().per_day) == (5, 25)
    assert RateLimiter.premium().per_day is None


def test_endpoint_helpers_hit_the_right_functions(fake_av: FakeAlphaVantage) -> None:
    c = client(fake_av)
    assert c.fx_daily("EUR", "USD")["close"].iloc[0] == pytest.approx(1.1)
    assert len(c.commodity("BRENT")) == fake_av.n_days
    c.economic_indicator("TREASURY_YIELD")
    fake_av.script["NEWS_SENTIMENT"] = [{"feed": []}]
    assert c.news_sentiment(tickers="SPY").empty
    functions = [r["function"] for r in fake_av.requests]
    assert functions == ["FX_DAILY", "BRENT", "TREASURY_YIELD", "NEWS_SENTIMENT"]
    assert fake_av.requests[1]["interval"] == "daily" and fake_av.requests[2]["maturity"] == "10year"
    with pytest.raises(UnknownSymbolError):
        c.commodity("GOLDX")


# ----------------------------------------------------------------- recorded message kinds

OUTPUTSIZE_FULL = {
    "Information": "Thank you for using Alpha Vantage! The **outputsize=full** parameter value is a premium "
    "feature for the TIME_SERIES_DAILY endpoint."
}


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (BURST, "burst"),
        (RATE_NOTE, "rate_limit"),
        (DAILY_QUOTA, "daily_quota"),
        (PREMIUM, "premium"),
        (OUTPUTSIZE_FULL, "premium"),
        (BAD_KEY, "invalid_key"),
        (BAD_SYMBOL, "unknown_symbol"),
        ({"Information": "Something new from Alpha Vantage."}, "error"),
        ({"Meta Data": {}, "Time Series (Daily)": {}}, None),
    ],
    ids=["burst", "note", "daily", "premium", "outputsize", "key", "symbol", "other", "data"],
)
def test_recorded_answers_are_classified(payload: dict, kind: str | None) -> None:
    assert classify_answer(payload) == kind


def test_every_recorded_fixture_is_covered() -> None:
    names = {p.stem for p in (Path(__file__).parent / "fixtures" / "alphavantage").glob("*.json")}
    assert names == {
        "burst",
        "rate_limit_note",
        "daily_quota",
        "premium_endpoint",
        "invalid_key",
        "unknown_symbol",
    }
    assert recorded("burst") == BURST


def test_burst_mentions_premium_but_is_not_a_premium_error() -> None:
    # The burst text ends "... unlock all premium endpoints": only "a premium endpoint" is one.
    assert "premium endpoints" in BURST["Information"]
    assert classify_answer(BURST) == "burst"


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("daily_quota", RateLimitError, r"daily Alpha Vantage quota is spent.*rerun tomorrow"),
        ("premium_endpoint", PremiumEndpointError, "premium"),
        ("invalid_key", InvalidApiKeyError, "rejected"),
        ("unknown_symbol", UnknownSymbolError, "does not know this symbol"),
    ],
)
def test_final_answers_are_not_retried(
    fake_av: FakeAlphaVantage, name: str, error: type[Exception], match: str
) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [recorded(name)]
    slept: list[float] = []
    with pytest.raises(error, match=match):
        client(fake_av, sleep=slept.append).daily("SPY")
    assert fake_av.count() == 1 and slept == []


def test_burst_then_success_waits_and_fetches(fake_av: FakeAlphaVantage) -> None:
    ok = fake_av.default_answer({"function": "TIME_SERIES_DAILY", "symbol": "SPY"})
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [BURST, ok]
    slept: list[float] = []
    frame = client(fake_av, sleep=slept.append).daily("SPY")
    assert len(frame) == fake_av.n_days
    assert fake_av.count("TIME_SERIES_DAILY:SPY") == 2
    assert slept == [1.0]  # at least a second (1 request per second), though backoff is 1 ms


def test_persistent_burst_backs_off_then_is_a_rate_limit(fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [BURST]
    slept: list[float] = []
    with pytest.raises(RateLimitError, match=r"failed after 3 tries.*1 request per second") as info:
        client(fake_av, sleep=slept.append).daily("SPY")
    assert not isinstance(info.value, PremiumEndpointError)
    assert slept == [1.0, 2.0] and fake_av.count() == 3


def test_burst_in_a_fetch_run_continues_with_the_symbol(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    ok = fake_av.default_answer({"function": "TIME_SERIES_DAILY", "symbol": "SPY"})
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [BURST, ok]
    slept: list[float] = []
    source = AlphaVantageSource(client(fake_av, sleep=slept.append, max_retries=1))
    statuses = fetch_all(
        [SeriesSpec("SPY"), SeriesSpec("TLT")], {"alphavantage": source}, SeriesStore(tmp_path)
    )
    assert [s.status for s in statuses] == ["fetched", "fetched"]
    assert fake_av.count("TIME_SERIES_DAILY:SPY") == 2 and fake_av.count("TIME_SERIES_DAILY:TLT") == 1
    assert slept == [1.0]


def test_limiter_spaces_requests_by_min_interval() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    lim = RateLimiter(per_minute=None, per_day=None, min_interval=1.0, clock=lambda: now[0], sleep=sleep)
    lim.acquire()
    now[0] += 0.25
    lim.acquire()
    assert waits == [pytest.approx(0.75)]
    now[0] += 5.0
    lim.acquire()
    assert len(waits) == 1
    assert RateLimiter.free().min_interval == 1.0 and RateLimiter.premium().min_interval == 0.0
