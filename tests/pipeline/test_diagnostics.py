"""Diagnostics per walk-forward window: hand-made positions, and a tiny DMN run on the real ETF data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.engine import evaluate_weights
from deepmomentum.exceptions import ConfigError
from deepmomentum.metrics import sharpe_ratio
from deepmomentum.pipeline._diagnostics import diagnostic_columns, window_diagnostics

N_DAYS, N_ASSETS = 24, 3


@pytest.fixture
def case():
    """Positions used as weights (w = X), so every measure can be computed by hand."""
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2021-01-04", periods=N_DAYS)
    cols = ["A", "B", "C"]
    tsmom = pd.DataFrame(rng.choice([-1.0, 1.0], size=(N_DAYS, N_ASSETS)), index=idx, columns=cols)
    lstm = 0.5 * tsmom  # proportional to TSMOM: agreement 1
    noise = pd.DataFrame(rng.uniform(-1, 1, size=(N_DAYS, N_ASSETS)), index=idx, columns=cols)
    long_only = pd.DataFrame(1.0, index=idx, columns=cols)
    returns = pd.DataFrame(rng.normal(0, 0.01, size=(N_DAYS, N_ASSETS)), index=idx, columns=cols)
    signals = {"lstm": lstm, "noise": noise, "long_only": long_only, "tsmom": tsmom}
    result = evaluate_weights(signals, returns, cost_bps=[0.0, 2.0], signals=signals)
    windows = pd.DataFrame(
        {
            "variant": ["lstm", "lstm", "noise", "noise"],
            "window": [0, 1, 0, 1],
            "test_start": [str(idx[0].date()), str(idx[12].date())] * 2,
            "test_end": [str(idx[11].date()), str(idx[-1].date())] * 2,
            "val_sharpe": [0.7, -0.2, 0.1, 0.3],
        }
    )
    return result, windows, signals, returns


def test_one_row_per_window_and_strategy(case):
    result, windows, _, _ = case
    diag = window_diagnostics(result, windows, [0.0, 2.0])
    assert list(diag.columns) == diagnostic_columns([0.0, 2.0])
    assert len(diag) == 2 * 4
    assert list(diag["window"]) == [0] * 4 + [1] * 4
    kinds = diag.set_index(["window", "variant"])["kind"]
    assert kinds[(0, "lstm")] == "model" and kinds[(1, "tsmom")] == "benchmark"
    val = diag.set_index(["window", "variant"])["val_sharpe"]
    assert val[(0, "lstm")] == 0.7 and val[(1, "noise")] == 0.3
    assert np.isnan(val[(0, "tsmom")]) and np.isnan(val[(1, "long_only")])


def test_positions_long_bias_and_agreement(case):
    result, windows, signals, _ = case
    diag = window_diagnostics(result, windows, [0.0]).set_index(["window", "variant"])
    x = signals["noise"].iloc[12:].to_numpy()
    row = diag.loc[(1, "noise")]
    assert row["mean_position"] == pytest.approx(x.mean())
    assert row["mean_abs_position"] == pytest.approx(np.abs(x).mean())
    # against long-only (X = 1) the uncentred correlation is mean / rms
    assert row["corr_long_only"] == pytest.approx(x.mean() / np.sqrt((x**2).mean()))
    t = signals["tsmom"].iloc[12:].to_numpy()
    assert row["corr_tsmom"] == pytest.approx((x * t).sum() / np.sqrt((x**2).sum() * (t**2).sum()))
    assert diag.loc[(0, "lstm"), "corr_tsmom"] == pytest.approx(1.0)
    assert diag.loc[(0, "tsmom"), "corr_tsmom"] == pytest.approx(1.0)
    assert diag.loc[(0, "lstm"), "mean_abs_position"] == pytest.approx(0.5)
    assert abs(row["corr_tsmom"]) < 0.9


def test_window_sharpe_is_that_of_the_returns_its_positions_earn(case):
    result, windows, signals, returns = case
    diag = window_diagnostics(result, windows, [0.0, 2.0]).set_index(["window", "variant"])
    idx = returns.index
    w = signals["noise"].to_numpy()
    r = returns.to_numpy()
    traded = np.abs(np.diff(np.vstack([np.zeros((1, N_ASSETS)), w]), axis=0))
    # positions decided on days 0..11 earn the returns dated 1..12, net of 2 bp on their trades
    by_hand = (w[:-1] * r[1:]).mean(axis=1) - 2e-4 * traded[:-1].mean(axis=1)
    assert diag.loc[(0, "noise"), "sharpe_2bp"] == pytest.approx(sharpe_ratio(by_hand[:12]))
    port = result.portfolio_returns["noise@2bp"]
    assert diag.loc[(0, "noise"), "sharpe_2bp"] == pytest.approx(sharpe_ratio(port.loc[idx[1] : idx[12]]))
    # the last window's last position earns nothing inside the span
    assert diag.loc[(1, "noise"), "sharpe_0bp"] == pytest.approx(
        sharpe_ratio(result.portfolio_returns["noise@0bp"].loc[idx[13] :])
    )
    assert diag.loc[(0, "noise"), "n_days"] == 12 and diag.loc[(1, "noise"), "n_days"] == 11
    assert diag.loc[(0, "noise"), "sharpe_2bp"] < diag.loc[(0, "noise"), "sharpe_0bp"]
    turnover = traded[:12].sum(axis=1).mean() / N_ASSETS * 252
    assert diag.loc[(0, "noise"), "turnover"] == pytest.approx(turnover)


def test_span_clipping_and_errors(case):
    result, windows, _, _ = case
    late = evaluate_weights(result.weights, result.asset_returns, [0.0], start=result.asset_returns.index[5])
    diag = window_diagnostics(late, windows)  # default: the result's own levels
    assert diag["test_start"].iloc[0] == str(result.asset_returns.index[5].date())
    assert "sharpe_0bp" in diag.columns and "sharpe_2bp" not in diag.columns
    with pytest.raises(ConfigError, match="not backtested"):
        window_diagnostics(result, windows, [5.0])
    with pytest.raises(ConfigError, match="test_end"):
        window_diagnostics(result, windows.drop(columns="test_end"))


def test_tiny_dmn_run_writes_the_diagnostics(tmp_path, etf_dir):
    from deepmomentum.pipeline import run_pipeline
    from deepmomentum.presets import load_preset
    from deepmomentum.run import _layout as layout

    cfg = load_preset("dmn-quick")
    cfg.data.data_dir = etf_dir
    cfg.data.start = None
    cfg.models = cfg.models[:1]  # the LSTM only
    cfg.training.first_test_year, cfg.training.retrain_years, cfg.training.last_test_year = 2021, 1, 2022
    cfg.training.max_epochs, cfg.training.n_trials, cfg.training.jobs = 1, 1, 1
    cfg.training.device = "cpu"
    cfg.backtest.cost_bps = [0.0, 2.0]
    run_pipeline(cfg, tmp_path / "dmn")
    diag = pd.read_csv(tmp_path / "dmn" / layout.DIAGNOSTICS)
    windows = pd.read_csv(tmp_path / "dmn" / layout.WINDOWS)
    strategies = ["lstm", *cfg.backtest.strategies]
    assert len(diag) == len(windows) * len(strategies) == 2 * 4
    assert set(zip(diag["window"], diag["variant"], strict=True)) == {
        (w, s) for w in windows["window"] for s in strategies
    }
    assert layout.columns_match(layout.run_file(layout.DIAGNOSTICS), list(diag.columns))
    lstm = diag[diag["variant"] == "lstm"].set_index("window")
    assert lstm["val_sharpe"].to_numpy() == pytest.approx(
        windows.set_index("window")["val_sharpe"].to_numpy()
    )
    assert diag.loc[diag["variant"] != "lstm", "val_sharpe"].isna().all()
    assert (diag.loc[diag["variant"] == "long_only", "mean_position"] == 1.0).all()
    assert diag[["sharpe_0bp", "sharpe_2bp", "turnover"]].notna().all().all()
    # the report shows the table
    from deepmomentum.report import build_report

    html = build_report(tmp_path / "dmn").read_text()
    assert "id='diagnostics'" in html
    for variant in diag["variant"].unique():
        assert f"<td>{variant}</td>" in html
