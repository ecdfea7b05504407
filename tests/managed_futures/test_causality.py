"""Causality of the managed-futures system: truncate every input at D, and nothing dated <= D moves.

The components are checked directly on the real data (fast), and the whole
pipeline once, end to end, through the run folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deepmomentum.config import TrainingConfig
from deepmomentum.data import load_data_dir, make_synthetic_market
from deepmomentum.features import macd_signal, multiscale_features
from deepmomentum.portfolio import class_tilt, ewma_covariances
from deepmomentum.rebalancing import RebalanceRules, rebalance_schedule
from deepmomentum.signals import load_macro_dir, load_sentiment, macro_regime, market_regime
from deepmomentum.training import SerialExecutor, TrendParams, trend_panel, trend_walk_forward

# The walk-forward tests 2021 and 2022, one window a year, and each expanding
# training window (validation included) ends on the last day before its test
# year. A cut inside the last test year therefore leaves every model's training
# data unchanged: what may still move is only what a look-ahead would move.
D = pd.Timestamp("2022-06-15")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Parallel float sums differ in the last bits between thread counts."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data(etf_dir: Path):
    with pytest.warns(UserWarning):  # the default quality policy drops two CPER bad prints
        return load_data_dir(etf_dir)


def _cut(frame, date: pd.Timestamp = D):
    return frame.loc[:date]


def assert_same_up_to(full: pd.DataFrame, part: pd.DataFrame, date: pd.Timestamp = D) -> None:
    """``full`` and ``part`` agree exactly on every row dated <= ``date``, and ``part`` has them all."""
    expect = full.loc[:date]
    assert len(expect) > 0
    pd.testing.assert_frame_equal(part.loc[:date], expect, check_exact=True)


def test_trend_model_positions(tmp_path: Path, one_thread: None) -> None:
    prices = make_synthetic_market(
        n_per_class=1, start="2002-01-01", end="2007-12-31", late_starters=False
    ).tradable_prices
    cut = pd.Timestamp("2007-06-15")  # inside the last test year, as D
    training = TrainingConfig(first_test_year=2006, retrain_years=1, last_test_year=2007, device="cpu")
    params = TrendParams(
        hidden_sizes=(4,), max_epochs=2, batch_size=64, train_stride=5, max_train_samples=500
    )
    out = {}
    for name, p in (("full", prices), ("cut", prices.loc[:cut])):
        panel = trend_panel(multiscale_features(p), params.horizon)
        out[name] = trend_walk_forward(panel, params, training, tmp_path / name, 7, SerialExecutor())
    for attr in ("probability", "magnitude"):
        full, part = getattr(out["full"], attr), getattr(out["cut"], attr)
        assert full.loc["2006":cut].notna().mean().mean() > 0.9
        assert_same_up_to(full, part, cut)
    pd.testing.assert_frame_equal(
        out["full"].windows[["train_samples", "val_samples", "best_epoch", "val_loss"]],
        out["cut"].windows[["train_samples", "val_samples", "best_epoch", "val_loss"]],
    )


def test_sentiment_overlay(tmp_path: Path) -> None:
    index = pd.bdate_range("2022-01-03", "2022-12-30")
    rows = "date,score\n2022-03-01,0.8\n2022-06-14,-0.5\n2022-06-15,0.9\n2022-06-16,-0.9\n2022-09-01,0.3\n"
    for name, text in (("full", rows), ("cut", "\n".join(rows.splitlines()[:4]) + "\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "SPY.csv").write_text(text)
    full = load_sentiment(tmp_path / "full", ["SPY", "TLT"], index, 5)
    part = load_sentiment(tmp_path / "cut", ["SPY", "TLT"], index[index <= D], 5)
    assert_same_up_to(full, part)
    assert full.loc[D, "SPY"] == -0.5  # news of D itself is used from the next day only


@pytest.mark.parametrize(("kind", "inflation"), [("cfnai", True), ("indpro", False)])
def test_macro_regime(data, macro_dir: Path, kind: str, inflation: bool) -> None:
    macro = load_macro_dir(macro_dir, ["CFNAI", "INDPRO", "CPIAUCSL"])
    index = pd.DatetimeIndex(data.prices.index)
    full = macro_regime(macro, index, kind, inflation)
    # a value dated <= D (its reference period) is all the truncated files hold
    part = macro_regime({k: _cut(v) for k, v in macro.items()}, index[index <= D], kind, inflation)
    assert_same_up_to(full, part)
    assert full.loc["2021":D, "regime"].isin(["expansion", "slowdown", "contraction", "recovery"]).all()


def test_market_implied_regime(data) -> None:
    full = market_regime(data.prices, "SPY")
    part = market_regime(_cut(data.prices), "SPY")
    assert_same_up_to(full, part)
    assert full.loc["2020":D, "regime"].nunique() > 1


@pytest.fixture(scope="module")
def panel(data):
    """Signals, returns and regimes of the real tradable data, full and cut at D."""
    out = {}
    for name, prices in (("full", data.tradable_prices), ("cut", _cut(data.tradable_prices))):
        out[name] = {
            "signals": macd_signal(prices),
            "returns": prices.pct_change(fill_method=None),
            "regime": market_regime(data.prices.reindex(prices.index), "SPY")["regime"],
        }
    return out


def test_class_tilt(data, panel) -> None:
    classes = [data.universe[str(s)].asset_class.value for s in data.tradable_prices.columns]
    full, part = (class_tilt(p["signals"], p["returns"], classes, 126, 0.25) for p in panel.values())
    assert_same_up_to(full, part)


def test_covariances(panel) -> None:
    full = ewma_covariances(panel["full"]["returns"], 63)
    part = ewma_covariances(panel["cut"]["returns"], 63)
    assert len(part) == int((panel["full"]["returns"].index <= D).sum())
    for t, cov in part.items():
        np.testing.assert_array_equal(cov, full[t])
    assert np.isfinite(part[len(part) - 1]).all()


def test_rebalance_schedule(panel) -> None:
    rules = RebalanceRules(reversal_assets=("SPY", "TLT", "BNO"))
    full, part = (
        rebalance_schedule(p["signals"], rules, p["regime"], start="2020-01-01") for p in panel.values()
    )
    assert (full["date"] > D).any() and len(part) > 5
    pd.testing.assert_frame_equal(part, full[full["date"] <= D].reset_index(drop=True))


def _copy_cut(src: Path, dst: Path, date_col: str) -> Path:
    """Copy every CSV of ``src``, keeping the rows dated <= D (universe.csv whole)."""
    dst.mkdir()
    for file in src.glob("*.csv"):
        if file.name == "universe.csv":
            shutil.copy(file, dst / file.name)
            continue
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        frame[pd.to_datetime(frame[date_col]) <= D].to_csv(dst / file.name, index=False)
    return dst


def _run(etf: Path, macro: Path, sentiment: Path, out: Path) -> Path:
    from deepmomentum.presets import load_preset
    from deepmomentum.run import run_managed_futures

    cfg = load_preset("etf-managed-futures-quick")
    cfg.data.data_dir, cfg.data.macro_dir, cfg.data.sentiment_dir = etf, macro, sentiment
    cfg.training.first_test_year, cfg.training.last_test_year = 2021, 2022
    cfg.training.retrain_years, cfg.training.jobs, cfg.training.device = 1, 1, "cpu"
    tm = cfg.trend_model
    tm.hidden_sizes, tm.max_epochs, tm.train_stride, tm.max_train_samples = [8, 4], 2, 20, 2000
    run_managed_futures(cfg, out)
    return out


def _dated(frame: pd.DataFrame, column: str | None = None) -> pd.DataFrame:
    dates = pd.to_datetime(frame.index if column is None else frame[column])
    return frame[np.asarray(dates <= D)].reset_index(drop=column is not None)


@pytest.mark.filterwarnings("ignore")
def test_end_to_end_run_folder(tmp_path: Path, etf_dir: Path, macro_dir: Path, one_thread: None) -> None:
    sentiment = tmp_path / "sentiment"
    sentiment.mkdir()
    (sentiment / "SPY.csv").write_text("date,score\n2021-03-01,0.8\n2022-05-02,-0.6\n2022-09-01,0.7\n")
    inputs = {
        "full": (etf_dir, macro_dir, sentiment),
        "cut": (
            _copy_cut(etf_dir, tmp_path / "etf", "Date"),
            _copy_cut(macro_dir, tmp_path / "macro", "date"),
            _copy_cut(sentiment, tmp_path / "sentiment_cut", "date"),
        ),
    }
    runs = {k: _run(*v, tmp_path / f"run_{k}") for k, v in inputs.items()}
    full, part = runs["full"], runs["cut"]
    # positions and returns
    for name in ("returns.csv", "regimes.csv"):
        a = pd.read_csv(full / name, index_col=0)
        b = pd.read_csv(part / name, index_col=0)
        assert pd.Timestamp(str(a.index[-1])) > D
        pd.testing.assert_frame_equal(_dated(b), _dated(a), check_exact=True, obj=name)
    # the rebalance schedule, with each rebalance's ex-ante vol and binding constraints
    a, b = (pd.read_csv(r / "rebalances.csv") for r in (full, part))
    assert len(_dated(b, "date")) > 3
    pd.testing.assert_frame_equal(_dated(b, "date"), _dated(a, "date"), check_exact=True)
    # the weights, hybrid and daily
    a, b = (pd.read_parquet(r / "weights.parquet") for r in (full, part))
    a, b = (w.sort_values(["strategy", "date", "symbol"]) for w in (a, b))
    assert {"mf", "mf_daily"} <= set(b["strategy"])
    pd.testing.assert_frame_equal(_dated(b, "date"), _dated(a, "date"), check_exact=True)
