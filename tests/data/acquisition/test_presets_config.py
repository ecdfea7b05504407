"""Universe presets, universe files with source/endpoint/series columns, and the config table."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from deepmomentum.data.acquisition import (
    AcquisitionConfig,
    load_acquisition_config,
    preset_specs,
    read_universe_specs,
    resolve_endpoint,
    resolve_universe,
    symbol_specs,
)
from deepmomentum.exceptions import ConfigError, DataError


def test_etf26_matches_part_b() -> None:
    specs = preset_specs("etf-26", "alphavantage")
    assert len(specs) == 26
    assert Counter(s.asset_class for s in specs) == {"commodity": 7, "fx": 7, "bond": 5, "equity": 7}
    fx = [s for s in specs if s.asset_class == "fx"]
    assert all(resolve_endpoint(s) == "FX_DAILY" and "/" in s.source_series for s in fx)
    assert {s.symbol: s.proxy for s in specs if s.proxy} == {
        "USO": "WTI",
        "BNO": "BRENT",
        "UNG": "NATURAL_GAS",
    }
    yahoo = preset_specs("etf-26", "yahoo")
    assert {s.source_series for s in yahoo if s.asset_class == "fx"} >= {"EURUSD=X", "USDJPY=X"}


def test_etf48_matches_shared_universe(etf_dir: Path) -> None:
    shared = pd.read_csv(etf_dir / "universe.csv")
    tradable = shared[shared["role"] == "tradable"]
    specs = preset_specs("etf-48", "yahoo")
    assert [s.symbol for s in specs] == tradable["symbol"].tolist()
    assert [s.asset_class for s in specs] == tradable["asset_class"].tolist()
    assert [s.sector for s in specs] == tradable["sector"].tolist()


def test_universe_file_with_source_columns(tmp_path: Path) -> None:
    path = tmp_path / "universe.csv"
    path.write_text(
        "symbol,asset_class,sector,role,cost_bps,source,endpoint,series,proxy\n"
        "FXE,fx,eur,tradable,2,alphavantage,TIME_SERIES_DAILY,FXE,EUR/USD\n"
        "EURUSD,fx,eur,tradable,,alphavantage,FX_DAILY,EUR/USD,\n"
        "BNO,commodity,energy,,,yahoo,,BNO,BZ=F\n"
        "OIL,commodity,energy,,,,BRENT,,\n"
    )
    specs = read_universe_specs(path, "alphavantage")
    fxe, eur, bno, oil = specs
    assert (fxe.cost_bps, fxe.proxy, fxe.source) == (2.0, "EUR/USD", "alphavantage")
    assert resolve_endpoint(eur) == "FX_DAILY" and eur.source_series == "EUR/USD"
    assert (bno.source, bno.proxy) == ("yahoo", "BZ=F")
    assert resolve_endpoint(oil) == "BRENT" and oil.source == "alphavantage"
    assert resolve_universe(str(path), None, "yahoo")[3].source == "yahoo"


def test_universe_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("symbol,asset_class,source\nA,equity,bloomberg\n")
    with pytest.raises(DataError, match="unknown source"):
        read_universe_specs(path, "yahoo")
    with pytest.raises(ConfigError, match="unknown universe"):
        resolve_universe("nope", None, "yahoo")


def test_symbol_specs_infer_endpoints() -> None:
    _spy, eur, brent, tlt = symbol_specs(["SPY", "eur/usd", "BRENT", "TLT"], "alphavantage")
    assert (eur.symbol, eur.series, eur.asset_class) == ("EURUSD", "EUR/USD", "fx")
    assert resolve_endpoint(brent) == "BRENT" and brent.asset_class == "commodity"
    assert tlt.asset_class == "bond"  # known from the presets
    assert symbol_specs(["eur/usd"], "yahoo")[0].series == "EURUSD=X"


def test_config_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[data.acquisition]\npremium = true\ncache_dir = "cache"\nproxies = { BNO = "BRENT", FXE = "EUR/USD" }\n'
        '[data.acquisition.quality]\nspike = { action = "drop" }\n'
    )
    cfg = load_acquisition_config(path)
    assert cfg.premium and cfg.proxies == {"BNO": "BRENT", "FXE": "EUR/USD"}
    assert cfg.cache_dir == (tmp_path / "cache").resolve()
    assert cfg.quality.spike.action == "drop"
    assert cfg.limiter().per_day is None and cfg.limiter().per_minute == 75
    assert AcquisitionConfig().limiter().per_day == 25
    path.write_text("[acquisition]\nrate = 3\n")
    with pytest.raises(ConfigError, match="rate"):
        load_acquisition_config(path)


def test_config_key_is_secret(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[acquisition]\napi_key = "TOPSECRET123"\n')
    cfg = load_acquisition_config(path)
    assert "TOPSECRET123" not in repr(cfg) and "TOPSECRET123" not in str(cfg)
    assert "TOPSECRET123" not in repr(cfg.alphavantage().client)
