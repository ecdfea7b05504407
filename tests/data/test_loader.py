from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.data import Role, align_prices, load_data_dir, read_price_file
from deepmomentum.exceptions import DataError, DataWarning, QualityWarning, ShortHistoryWarning


def _write_series(path: Path, n: int = 300, start: str = "2015-01-01", col: str = "Close") -> None:
    idx = pd.bdate_range(start, periods=n)
    prices = 100 * np.cumprod(1 + np.random.default_rng(0).normal(0, 0.01, n))
    pd.DataFrame({"Date": idx.strftime("%Y-%m-%d"), col: prices}).to_csv(path, index=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "universe.csv").write_text(
        "symbol,asset_class,sector,role,cost_bps\nAAA,equity,us,tradable,2\nBBB,bond,,,\n"
    )
    _write_series(tmp_path / "AAA.csv")
    _write_series(tmp_path / "BBB.csv", col="Adj Close")
    return tmp_path


def test_loads_folder(folder: Path) -> None:
    data = load_data_dir(folder)
    assert data.prices.shape == (300, 2)
    assert data.universe["AAA"].cost_bps == 2.0
    assert data.universe["BBB"].role == Role.TRADABLE  # default role
    assert not data.synthetic


def test_loads_shared_etf(etf_dir: Path) -> None:
    data = load_data_dir(etf_dir)
    assert len(data.universe.tradable) == 48
    assert data.prices.index.is_monotonic_increasing
    assert data.prices.loc[:"2006-01-01", "DBMF"].isna().all()  # NaN before inception
    assert {"TNX", "IRX"} <= set(data.universe.with_role("rate"))


def test_adjusted_close_and_parquet(tmp_path: Path) -> None:
    (tmp_path / "universe.csv").write_text("symbol,asset_class\nAAA,fx\nBBB,commodity\n")
    idx = pd.bdate_range("2015-01-01", periods=300)
    pd.DataFrame({"timestamp": idx, "close": 1.0, "adjusted_close": np.linspace(10, 20, 300)}).to_csv(
        tmp_path / "AAA.csv", index=False
    )
    pd.DataFrame({"Date": idx, "Close": np.linspace(5, 6, 300)}).to_parquet(tmp_path / "BBB.parquet")
    data = load_data_dir(tmp_path)
    assert data.prices["AAA"].iloc[-1] == pytest.approx(20.0)  # adjusted preferred over close
    assert data.prices["BBB"].iloc[0] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("Day,Close\n2020-01-01,1\n", r"AAA\.csv: no Date column"),
        ("Date,Open\n2020-01-01,1\n", r"AAA\.csv: no Close column"),
        (
            "Date,Close\n2020-01-01,1\n2020-13-45,2\n",
            r"AAA\.csv: column 'Date', row 3: cannot parse date '2020-13-45'",
        ),
        (
            "Date,Close\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n",
            r"AAA\.csv: date 2020-01-02 appears more than once",
        ),
        ("Date,Close\n2020-01-02,1\n2020-01-01,2\n", r"AAA\.csv: dates are not sorted: 2020-01-01 \(row 3\)"),
        (
            "Date,Close\n2020-01-01,1\n2020-01-02,0\n",
            r"AAA\.csv: column 'Close' on 2020-01-02: price 0 is not positive",
        ),
        ("Date,Close\n2020-01-01,1\n2020-01-02,-3.5\n", r"on 2020-01-02: price -3.5 is not positive"),
        ("Date,Close\n2020-01-01,abc\n", r"AAA\.csv: column 'Close' on 2020-01-01: 'abc' is not a number"),
        ("", r"AAA\.csv: the file is empty"),
        ("Date,Close\n", r"AAA\.csv: the file has a header but no rows"),
    ],
    ids=[
        "no-date",
        "no-close",
        "bad-date",
        "duplicate",
        "unsorted",
        "zero",
        "negative",
        "text",
        "empty",
        "header-only",
    ],
)
def test_bad_price_file(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "AAA.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=match):
        read_price_file(path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope: data folder not found; pass --data-dir"):
        load_data_dir(tmp_path / "nope")


def test_missing_universe(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"universe\.csv: universe file not found"):
        load_data_dir(tmp_path)


def test_universe_missing_column(tmp_path: Path) -> None:
    (tmp_path / "universe.csv").write_text("symbol,sector\nAAA,x\n")
    with pytest.raises(DataError, match=r"universe\.csv: missing column 'asset_class'"):
        load_data_dir(tmp_path)


def test_universe_bad_class(tmp_path: Path) -> None:
    (tmp_path / "universe.csv").write_text("symbol,asset_class\nAAA,crypto\n")
    with pytest.raises(DataError, match=r"row 2 \(AAA\): unknown asset_class 'crypto'"):
        load_data_dir(tmp_path)


def test_symbol_without_file(folder: Path) -> None:
    (folder / "BBB.csv").unlink()
    with pytest.raises(DataError, match=r"symbol 'BBB' is listed in universe\.csv but has no file BBB\.csv"):
        load_data_dir(folder)


def test_file_without_universe_entry_warns(folder: Path) -> None:
    _write_series(folder / "ZZZ.csv")
    with pytest.warns(DataWarning, match=r"ZZZ: file has no entry in universe\.csv and is ignored"):
        data = load_data_dir(folder)
    assert "ZZZ" not in data.prices


def test_short_history_excluded(folder: Path) -> None:
    _write_series(folder / "BBB.csv", n=100)
    with pytest.warns(
        ShortHistoryWarning,
        match=r"BBB\.csv: only 100 prices, fewer than the longest lookback \(252\); BBB is excluded",
    ):
        data = load_data_dir(folder)
    assert list(data.prices.columns) == ["AAA"]


def test_holiday_carry_and_long_gap() -> None:
    idx = pd.bdate_range("2020-01-01", periods=30)
    a = pd.Series(np.arange(1.0, 31.0), index=idx)
    b = a.drop(idx[5:8])  # a 3-day holiday: carried
    c = a.drop(idx[10:18])  # an 8-day gap: carried 5 days, then sits out
    with pytest.warns(DataWarning, match=r"C: no prices from 2020-01-15 to 2020-01-24 \(8 trading days\)"):
        panel = align_prices({"A": a, "B": b, "C": c})
    assert panel["B"].iloc[5:8].tolist() == [5.0, 5.0, 5.0]  # holiday return is 0
    assert panel["C"].iloc[10:15].tolist() == [10.0] * 5
    assert panel["C"].iloc[15:18].isna().all()
    assert panel["C"].iloc[18] == 19.0


def test_no_carry_before_first_price_and_causal_carry_after_last() -> None:
    idx = pd.bdate_range("2020-01-01", periods=25)
    a = pd.Series(1.0, index=idx)
    b = pd.Series(2.0, index=idx[5:15])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel = align_prices({"A": a, "B": b})
    assert panel["B"].iloc[:5].isna().all()
    # after the last price, B is carried like over a holiday (nobody knows yet that it ended)...
    assert panel["B"].iloc[15:20].tolist() == [2.0] * 5
    # ...and sits out past the carry
    assert panel["B"].iloc[20:].isna().all()


def test_alignment_is_causal_under_truncation() -> None:
    idx = pd.bdate_range("2020-01-01", periods=30)
    a = pd.Series(np.arange(30.0) + 1, index=idx)
    b = a.drop(idx[[7, 12, 13]]) * 2  # holidays of B
    full = align_prices({"A": a, "B": b})
    for cut in range(5, 30):
        d = idx[cut]
        short = align_prices({"A": a.loc[:d], "B": b.loc[:d]})
        pd.testing.assert_frame_equal(full.loc[:d], short)


def test_quality_gate_refuses_then_resolves_spike(tmp_path: Path) -> None:
    from deepmomentum.data.acquisition import QualityError, QualityPolicy

    (tmp_path / "universe.csv").write_text("symbol,asset_class\nAAA,equity\n")
    idx = pd.bdate_range("2015-01-01", periods=300)
    prices = 100 * np.cumprod(1 + np.random.default_rng(1).normal(0, 0.005, 300))
    prices[150] *= 0.6  # a bad print that reverts the next day
    pd.DataFrame({"Date": idx.strftime("%Y-%m-%d"), "Close": prices}).to_csv(
        tmp_path / "AAA.csv", index=False
    )
    with pytest.raises(QualityError, match=r"AAA spike " + idx[150].strftime("%Y-%m-%d")):
        load_data_dir(tmp_path, quality=QualityPolicy().with_actions({"spike": "error"}))
    with pytest.warns(QualityWarning, match="AAA: dropped 1 isolated spike"):
        data = load_data_dir(tmp_path, quality=QualityPolicy().with_actions({"spike": "drop"}))
    assert data.prices["AAA"].pct_change().abs().max() < 0.05  # the bad print is gone
    assert data.prices["AAA"].get(idx[150]) is None  # its day has no price (one-instrument calendar)
    assert data.quality is not None and bool(data.quality["resolved"].any())
    assert load_data_dir(tmp_path, quality=False).quality is None  # False: no check
