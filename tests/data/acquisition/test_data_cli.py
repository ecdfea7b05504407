"""The ``deepmomentum data`` commands, end to end against the fake server."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from conftest import API_KEY, BAD_SYMBOL, FakeAlphaVantage, bdays, value_payload
from deepmomentum.cli._data import register

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app)
    return app


APP = make_app()

CONFIG = """
[acquisition]
backoff = 0.001
timeout = 30  # generous: only the killed-fetch test sleeps, and it is killed first
max_retries = 1
requests_per_minute = 1000
requests_per_day = 1000
proxies = { BNO = "BRENT" }
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "data.toml"
    path.write_text(CONFIG)
    return path


def invoke(*args: str):
    return runner.invoke(APP, ["data", *args])


def fetch(cache: Path, cfg: Path, symbols: str = "SPY,EUR/USD,BNO"):
    return invoke("fetch", "--symbols", symbols, "--cache-dir", str(cache), "--config", str(cfg))


def test_fetch_list_check_export_roundtrip(av_env: FakeAlphaVantage, tmp_path: Path, cfg: Path) -> None:
    # BRENT (BNO's proxy) reaches 40 business days further back than BNO's own 30 days
    av_env.script["BRENT"] = [
        value_payload("Crude Oil Prices Brent", bdays(70), [60.0 + i for i in range(70)])
    ]
    cache = tmp_path / "cache"
    result = fetch(cache, cfg)
    assert result.exit_code == 0, result.output
    for sym in ("SPY", "EURUSD", "BNO", "BRENT"):
        assert sym in result.stdout
    assert "fetched" in result.stdout
    assert sorted(p.stem for p in (cache / "series").iterdir()) == ["BNO", "BRENT", "EURUSD", "SPY"]

    n = av_env.count()
    again = fetch(cache, cfg)
    assert again.exit_code == 0 and "up to date" in again.stdout
    assert av_env.count() == n  # nothing refetched

    listed = invoke("list", "--cache-dir", str(cache))
    assert listed.exit_code == 0 and "FX_DAILY" in listed.stdout and "BRENT" in listed.stdout

    qcsv = tmp_path / "quality.csv"
    checked = invoke("check", "--cache-dir", str(cache), "--out", str(qcsv))
    assert checked.exit_code == 0, checked.output
    assert qcsv.is_file()

    out = tmp_path / "export"
    exported = invoke("export", "--cache-dir", str(cache), "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "spliced" in exported.stdout and "BNO" in exported.stdout
    universe = pd.read_csv(out / "universe.csv")
    assert list(universe.columns) == ["symbol", "asset_class", "sector", "role"]
    assert sorted(universe["symbol"]) == ["BNO", "EURUSD", "SPY"]  # proxies are not exported
    bno = pd.read_csv(out / "BNO.csv")
    assert list(bno.columns) == ["Date", "Close"] and len(bno) == 70
    assert pd.to_datetime(bno["Date"]).is_monotonic_increasing
    assert (out / "provenance.json").read_text().count('"n_spliced": 40') == 1

    # the foundation's loader reads the export
    from deepmomentum.data import load_data_dir

    market = load_data_dir(out, min_history=20)
    assert set(market.prices.columns) == {"SPY", "EURUSD", "BNO"}

    # and the data-dir check works on it
    assert invoke("check", "--data-dir", str(out)).exit_code == 0


def test_failed_symbol_exits_non_zero_and_keeps_the_rest(
    av_env: FakeAlphaVantage, tmp_path: Path, cfg: Path
) -> None:
    av_env.script["TIME_SERIES_DAILY:NOPE"] = [BAD_SYMBOL]
    av_env.script["TIME_SERIES_DAILY:DOWN"] = [("status", 500)]
    cache = tmp_path / "cache"
    result = fetch(cache, cfg, "SPY,NOPE,DOWN,TLT")
    assert result.exit_code == 1
    assert "failed" in result.stdout and "2 of 4 series failed" in result.stderr
    assert sorted(p.stem for p in (cache / "series").iterdir()) == ["SPY", "TLT"]


def test_api_key_never_leaks(
    av_env: FakeAlphaVantage, tmp_path: Path, cfg: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    av_env.script["TIME_SERIES_DAILY:NOPE"] = [{"Error Message": f"Invalid API call for apikey={API_KEY}"}]
    av_env.script["TIME_SERIES_DAILY:HALF"] = [("truncated",)]
    cache, out = tmp_path / "cache", tmp_path / "export"
    results = [
        fetch(cache, cfg, "SPY,NOPE,HALF,EUR/USD"),
        invoke("list", "--cache-dir", str(cache)),
        invoke("check", "--cache-dir", str(cache), "--out", str(tmp_path / "q.csv")),
        invoke("export", "--cache-dir", str(cache), "--out", str(out)),
    ]
    assert av_env.requests and all(r["apikey"] == API_KEY for r in av_env.requests)  # it was used...
    for r in results:
        assert API_KEY not in r.stdout and API_KEY not in r.stderr  # ...but never shown
    assert API_KEY not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 6
    for p in files:
        assert API_KEY.encode() not in p.read_bytes(), p


def test_missing_key_is_one_clear_line(
    fake_av: FakeAlphaVantage, tmp_path: Path, cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPHAVANTAGE_API_KEY", raising=False)
    monkeypatch.setenv("ALPHAVANTAGE_BASE_URL", fake_av.url)
    result = fetch(tmp_path / "cache", cfg, "SPY")
    assert result.exit_code == 2
    assert "ALPHAVANTAGE_API_KEY" in result.stderr and "--source yahoo" in result.stderr
    assert fake_av.count() == 0


def test_bad_options(tmp_path: Path) -> None:
    r = invoke("fetch", "--symbols", "SPY", "--universe", "etf-26", "--cache-dir", str(tmp_path))
    assert r.exit_code == 2 and "exactly one" in r.stderr
    r = invoke("fetch", "--universe", "etf-99", "--cache-dir", str(tmp_path))
    assert r.exit_code == 2 and "etf-26" in r.stderr
    r = invoke("fetch", "--source", "bloomberg", "--symbols", "SPY", "--cache-dir", str(tmp_path))
    assert r.exit_code == 2 and "alphavantage or yahoo" in r.stderr
    r = invoke("check", "--cache-dir", str(tmp_path), "--policy", "spikes=drop")
    assert r.exit_code == 2 and "unknown issue type" in r.stderr
    r = invoke("export", "--cache-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "nothing to export" in r.stderr


def test_check_refuses_unresolved_errors(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "universe.csv").write_text("symbol,asset_class\nA,equity\n")
    idx = pd.bdate_range("2020-01-01", periods=60)
    close = [100.0 + 0.1 * i for i in range(60)]
    close[30] = 300.0
    pd.DataFrame({"Date": idx.strftime("%Y-%m-%d"), "Close": close}).to_csv(folder / "A.csv", index=False)
    args = ["check", "--data-dir", str(folder), "--out", str(tmp_path / "q.csv")]
    r = invoke(*args, "--policy", "spike=error")
    assert r.exit_code == 2 and "spike" in r.stdout and "unresolved" in r.stderr
    assert "spike" in (tmp_path / "q.csv").read_text()
    r = invoke(*args)  # default: an isolated print that reverts is dropped, and listed
    assert r.exit_code == 0 and "spike" in r.stdout and "drop" in (tmp_path / "q.csv").read_text()


@pytest.mark.parametrize("command", ["fetch", "list", "check", "export"])
def test_help_has_examples(command: str) -> None:
    r = invoke(command, "--help")
    assert r.exit_code == 0 and "Examples" in r.stdout and f"deepmomentum data {command}" in r.stdout


def test_killed_fetch_resumes(av_env: FakeAlphaVantage, tmp_path: Path, cfg: Path) -> None:
    """SIGKILL a real fetch process mid-run; the rerun fetches only what was missing."""
    import subprocess
    import sys
    import time

    av_env.script["TIME_SERIES_DAILY:GLD"] = [("sleep", 20)]
    cache = tmp_path / "cache"
    code = "from deepmomentum.cli._data import data_app; data_app()"
    args = ["fetch", "--symbols", "SPY,TLT,GLD,IEF", "--cache-dir", str(cache), "--config", str(cfg)]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 25
        while (
            av_env.count("TIME_SERIES_DAILY:GLD") == 0 and time.monotonic() < deadline and proc.poll() is None
        ):
            time.sleep(0.02)
        assert av_env.count("TIME_SERIES_DAILY:GLD") == 1, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
    assert sorted(p.name for p in (cache / "series").iterdir()) == [
        "SPY.parquet",
        "TLT.parquet",
    ]  # no partial file
    del av_env.script["TIME_SERIES_DAILY:GLD"]
    result = fetch(cache, cfg, "SPY,TLT,GLD,IEF")
    assert result.exit_code == 0, result.output
    assert {k: av_env.count(f"TIME_SERIES_DAILY:{k}") for k in ("SPY", "TLT", "GLD", "IEF")} == {
        "SPY": 1,
        "TLT": 1,
        "GLD": 2,
        "IEF": 1,
    }
