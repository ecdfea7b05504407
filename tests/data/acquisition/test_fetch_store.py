"""The store (atomic, checksummed) and the fetcher (incremental, resumable, failure-tolerant)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import API_KEY, BAD_KEY, BAD_SYMBOL, FakeAlphaVantage, bdays
from deepmomentum.data.acquisition import (
    AlphaVantageClient,
    AlphaVantageSource,
    CacheCorruptError,
    FetchResult,
    RateLimiter,
    SeriesMeta,
    SeriesSpec,
    SeriesStore,
    YahooSource,
    fetch_all,
    preset_specs,
    with_proxies,
)


def av_source(fake: FakeAlphaVantage, premium: bool = False) -> AlphaVantageSource:
    c = AlphaVantageClient(
        api_key=API_KEY,
        base_url=fake.url,
        limiter=RateLimiter(None, None),
        timeout=10.0,
        max_retries=1,
        backoff=0.001,
    )
    return AlphaVantageSource(c, premium=premium)


def sample(n: int = 10) -> pd.Series:
    return pd.Series(np.linspace(10, 20, n), index=pd.bdate_range("2020-01-01", periods=n), name="X")


def meta(symbol: str = "X", fetched: dt.datetime | None = None) -> SeriesMeta:
    return SeriesMeta.for_spec(
        SeriesSpec(symbol), "alphavantage", "TIME_SERIES_DAILY", False, fetched or dt.datetime.now(dt.UTC)
    )


# ----------------------------------------------------------------- store


def test_store_roundtrip_with_metadata(tmp_path: Path) -> None:
    store = SeriesStore(tmp_path)
    done = store.write("X", sample(), meta())
    back = store.read("X")
    pd.testing.assert_series_equal(
        back.prices, sample(), check_names=False, check_freq=False, check_index_type=False
    )
    assert back.meta.source == "alphavantage" and back.meta.adjusted is False
    assert back.meta.n_rows == 10 and back.meta.first == "2020-01-01" and back.meta.checksum == done.checksum
    assert store.keys() == ["X"]
    assert [p.name for p in (tmp_path / "series").iterdir()] == ["X.parquet"]  # no temp files left


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SeriesStore(tmp_path)
    store.write("X", sample(), meta())
    import deepmomentum._io as mod  # the shared atomic writer the store uses

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(mod.os, "replace", boom)
    with pytest.raises(OSError):
        store.write("X", sample(20), meta())
    monkeypatch.undo()
    assert store.read("X").meta.n_rows == 10
    assert [p.name for p in (tmp_path / "series").iterdir()] == ["X.parquet"]


def test_truncated_file_is_detected(tmp_path: Path) -> None:
    store = SeriesStore(tmp_path)
    store.write("X", sample(), meta())
    path = store.path("X")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CacheCorruptError, match="truncated or corrupt"):
        store.read("X")


def test_changed_values_fail_the_checksum(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = SeriesStore(tmp_path)
    store.write("X", sample(), meta())
    table = pq.read_table(store.path("X"))
    close = table.column("close").to_numpy().copy()
    close[3] *= 1.5
    bad = table.set_column(1, "close", pa.array(close)).replace_schema_metadata(table.schema.metadata)
    pq.write_table(bad, store.path("X"))
    with pytest.raises(CacheCorruptError, match="checksum"):
        store.read("X")
    assert "corrupt" in store.summary()["status"].iloc[0]


# ----------------------------------------------------------------- fetcher


def test_failures_do_not_lose_good_series(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:NOPE"] = [BAD_SYMBOL]
    fake_av.script["TIME_SERIES_DAILY:DOWN"] = [("status", 500)]
    fake_av.script["TIME_SERIES_DAILY:HALF"] = [("truncated",)]
    specs = [SeriesSpec(s) for s in ("SPY", "NOPE", "DOWN", "HALF", "TLT")]
    store = SeriesStore(tmp_path)
    statuses = fetch_all(specs, {"alphavantage": av_source(fake_av)}, store)
    assert [s.status for s in statuses] == ["fetched", "failed", "failed", "failed", "fetched"]
    assert "does not know" in statuses[1].message and "HTTP 500" in statuses[2].message
    assert store.keys() == ["SPY", "TLT"]
    assert store.read("SPY").meta.notes  # unadjusted + 100-day notes on the free tier


def test_invalid_key_skips_the_rest(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    fake_av.script["TIME_SERIES_DAILY:SPY"] = [BAD_KEY]
    statuses = fetch_all(
        [SeriesSpec("SPY"), SeriesSpec("TLT")], {"alphavantage": av_source(fake_av)}, SeriesStore(tmp_path)
    )
    assert [s.status for s in statuses] == ["failed", "skipped"]
    assert fake_av.count() == 1


def test_interrupted_fetch_resumes_without_refetching(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    specs = [SeriesSpec(s) for s in ("SPY", "TLT", "GLD", "IEF", "EFA")]
    store = SeriesStore(tmp_path)
    source = av_source(fake_av)

    def stop_after_two(status) -> None:
        if len(store.keys()) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_all(specs, {"alphavantage": source}, store, on_done=stop_after_two)
    assert store.keys() == ["SPY", "TLT"]
    assert fake_av.count() == 2
    statuses = fetch_all(specs, {"alphavantage": source}, store)
    assert [s.status for s in statuses] == ["up to date", "up to date", "fetched", "fetched", "fetched"]
    assert fake_av.count("TIME_SERIES_DAILY:SPY") == 1 and fake_av.count("TIME_SERIES_DAILY:TLT") == 1
    assert fake_av.count() == 5
    # a third run fetches nothing at all
    fetch_all(specs, {"alphavantage": source}, store)
    assert fake_av.count() == 5


def test_incremental_update_fetches_compact_and_merges(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    store = SeriesStore(tmp_path)
    old_days = bdays(300)[:-10]  # the cache stops 10 business days ago
    old = pd.Series(100.0 + np.arange(len(old_days)), index=old_days)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    m = SeriesMeta.for_spec(
        SeriesSpec("SPY"), "alphavantage", "TIME_SERIES_DAILY", False, yesterday, complete=True
    )
    store.write("SPY", old, m)
    statuses = fetch_all([SeriesSpec("SPY")], {"alphavantage": av_source(fake_av, premium=False)}, store)
    assert statuses[0].status == "updated" and statuses[0].new_rows == 10
    assert fake_av.requests[-1]["outputsize"] == "compact"
    merged = store.read("SPY").prices
    assert len(merged) == 300 and merged.index.is_unique and merged.index.is_monotonic_increasing
    assert merged.iloc[0] == 100.0  # the old history is kept


def test_new_series_premium_asks_full_and_adjusted(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    fetch_all([SeriesSpec("SPY")], {"alphavantage": av_source(fake_av, premium=True)}, SeriesStore(tmp_path))
    req = fake_av.requests[-1]
    assert (req["function"], req["outputsize"]) == ("TIME_SERIES_DAILY_ADJUSTED", "full")
    assert SeriesStore(tmp_path).read("SPY").meta.adjusted is True


def test_corrupt_cache_is_refetched(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    store = SeriesStore(tmp_path)
    fetch_all([SeriesSpec("SPY")], {"alphavantage": av_source(fake_av)}, store)
    path = store.path("SPY")
    path.write_bytes(path.read_bytes()[:100])
    statuses = fetch_all([SeriesSpec("SPY")], {"alphavantage": av_source(fake_av)}, store)
    assert statuses[0].status == "fetched" and "refetched" in statuses[0].message
    assert store.read("SPY").meta.n_rows == fake_av.n_days
    assert fake_av.count() == 2


def test_fx_and_commodity_series(tmp_path: Path, fake_av: FakeAlphaVantage) -> None:
    store = SeriesStore(tmp_path)
    specs = with_proxies(
        [SeriesSpec("BNO", proxy="BRENT"), SeriesSpec("EURUSD", asset_class="fx", series="EUR/USD")],
        {},
        "alphavantage",
    )
    assert [s.symbol for s in specs] == ["BNO", "EURUSD", "BRENT"] and specs[2].role == "proxy"
    statuses = fetch_all(specs, {"alphavantage": av_source(fake_av)}, store)
    assert all(s.ok for s in statuses)
    assert store.read("EURUSD").meta.endpoint == "FX_DAILY"
    assert store.read("BRENT").meta.role == "proxy"
    assert store.read("BNO").meta.proxy == "BRENT"


class FakeYahoo:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[str, dt.date | None]] = []
        self.fail_first = fail_first

    def __call__(self, ticker: str, start: dt.date | None) -> pd.DataFrame:
        self.calls.append((ticker, start))
        if len(self.calls) <= self.fail_first:
            raise ConnectionError("Too Many Requests")
        if ticker == "NOPE":
            return pd.DataFrame()
        idx = pd.bdate_range("2020-01-01", periods=5, tz="America/New_York")
        return pd.DataFrame({"Open": 1.0, "Close": [10.0, 11, 12, 13, 14]}, index=idx)


def test_yahoo_source_with_injected_fake_is_throttled(tmp_path: Path) -> None:
    fake = FakeYahoo(fail_first=1)
    slept: list[float] = []
    now = [0.0]
    yahoo = YahooSource(
        min_interval=2.0, backoff=0.5, downloader=fake, sleep=slept.append, clock=lambda: now[0]
    )
    specs = preset_specs("etf-26", "yahoo")
    eur = next(s for s in specs if s.symbol == "EURUSD")
    assert eur.series == "EURUSD=X"
    store = SeriesStore(tmp_path)
    statuses = fetch_all(
        [SeriesSpec("SPY", source="yahoo"), eur, SeriesSpec("NOPE", source="yahoo")],
        {"yahoo": yahoo},
        store,
        default_source="yahoo",
    )
    assert [s.status for s in statuses] == ["fetched", "fetched", "failed"]
    assert "no prices" in statuses[2].message
    assert [c[0] for c in fake.calls] == ["SPY", "SPY", "EURUSD=X", "NOPE"]
    assert 0.5 in slept and slept.count(2.0) >= 2  # backoff once, then the throttle between calls
    back = store.read("SPY")
    assert back.meta.adjusted is True and back.prices.index[0] == pd.Timestamp("2020-01-01")
    assert back.prices.index.tz is None


def test_yahoo_without_yfinance_says_how_to_install(tmp_path: Path) -> None:
    try:
        import yfinance  # noqa: F401
    except ImportError:
        statuses = fetch_all(
            [SeriesSpec("SPY", source="yahoo")], {"yahoo": YahooSource(min_interval=0)}, SeriesStore(tmp_path)
        )
        assert statuses[0].status == "failed" and "deepmomentum[yahoo]" in statuses[0].message
    else:
        pytest.skip("yfinance is installed")


def test_missing_source_is_reported(tmp_path: Path) -> None:
    statuses = fetch_all([SeriesSpec("SPY", source="yahoo")], {}, SeriesStore(tmp_path))
    assert statuses[0].status == "failed" and "--source yahoo" in statuses[0].message


def test_readjusted_history_is_refetched_in_full(tmp_path: Path) -> None:
    class Src:
        name = "yahoo"

        def __init__(self) -> None:
            self.calls: list[dt.date | None] = []

        def fetch(self, spec, start=None, since=None) -> FetchResult:
            self.calls.append(since)
            idx = bdays(20)
            return FetchResult(
                pd.Series(np.arange(20.0) + 50, index=idx),
                "x",
                adjusted=True,
                complete=since is None and True,
            )

    store = SeriesStore(tmp_path)
    old_idx = bdays(20)[:-3]
    m = SeriesMeta.for_spec(
        SeriesSpec("SPY"), "yahoo", "x", True, dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    )
    m.series = "SPY"
    store.write("SPY", pd.Series(np.arange(17.0) + 40, index=old_idx), m)
    src = Src()
    fetch_all([SeriesSpec("SPY", source="yahoo")], {"yahoo": src}, store)
    assert len(src.calls) == 2 and src.calls[1] is None  # re-adjusted: refetched in full
    assert store.read("SPY").prices.iloc[0] == 50.0
