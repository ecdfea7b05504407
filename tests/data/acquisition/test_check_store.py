"""``check_store``: the quality check of a whole cache store, as ``data check --cache-dir`` prints it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.data.acquisition import (
    QualityPolicy,
    SeriesMeta,
    SeriesSpec,
    SeriesStore,
    check_store,
)
from deepmomentum.exceptions import ConfigError


def _write(store: SeriesStore, symbol: str, prices: np.ndarray, role: str = "tradable") -> None:
    series = pd.Series(prices, index=pd.bdate_range("2020-01-01", periods=len(prices)), name=symbol)
    spec = SeriesSpec(symbol, role=role)
    now = dt.datetime.now(dt.UTC)
    store.write(symbol, series, SeriesMeta.for_spec(spec, "alphavantage", "TIME_SERIES_DAILY", False, now))


def test_check_store_reports_issues_skips_proxies_and_corrupt_files(tmp_path: Path) -> None:
    store = SeriesStore(tmp_path)
    _write(store, "GOOD", np.linspace(10, 20, 60))
    _write(store, "NEG", np.r_[np.linspace(10, 20, 30), -1.0, np.linspace(20, 21, 29)])
    _write(store, "PROXY", np.r_[np.linspace(10, 20, 30), -1.0, np.linspace(20, 21, 29)], role="proxy")
    _write(store, "BROKEN", np.linspace(10, 20, 60))
    path = store.path("BROKEN")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    checked = check_store(tmp_path, QualityPolicy())
    assert checked.folder == tmp_path
    assert len(checked.skipped) == 1 and "BROKEN" in checked.skipped[0]
    symbols = set(checked.report.issues["symbol"])
    assert "NEG" in symbols and "PROXY" not in symbols and "GOOD" not in symbols
    assert not checked.ok  # a non-positive price is an error no policy resolves


def test_check_store_refuses_an_empty_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no cached series to check"):
        check_store(SeriesStore(tmp_path))
