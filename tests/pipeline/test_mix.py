"""Mix and match: any signal in any portfolio step with any schedule, end to end at small settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.config import PipelineConfig, PortfolioConfig, RunConfig
from deepmomentum.engine import evaluate_weights, simulate
from deepmomentum.exceptions import ConfigError
from deepmomentum.pipeline import compose, run_pipeline
from deepmomentum.presets import load_preset


def _tiny(cfg: RunConfig, etf_dir) -> RunConfig:
    cfg.data.data_dir = etf_dir
    cfg.data.start = None
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 2
    cfg.training.last_test_year = 2022
    if cfg.models:  # the DMN-only keys are refused where no stage trains a DMN
        cfg.training.max_epochs = 1
        cfg.training.n_trials = 1
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    cfg.backtest.cost_bps = [0.0, 2.0]
    return cfg


def test_dmn_positions_in_the_constrained_hybrid_book(tmp_path, etf_dir):
    cfg = _tiny(load_preset("dmn-constrained-hybrid"), etf_dir)
    comp = compose(cfg)
    assert (comp.signal.name, comp.portfolio.name, comp.rebalance.name) == ("dmn", "constrained", "hybrid")
    run = run_pipeline(cfg, tmp_path / "mix")
    assert {"lstm@0bp", "lstm@2bp", "lstm_daily@2bp"} <= set(run.metrics.index)
    weights = pd.read_parquet(tmp_path / "mix" / "weights.parquet")
    held = weights[weights["strategy"] == "lstm"].groupby("date")["weight"]
    # the book's limits hold on every day (drift can move them slightly between rebalances)
    reb = weights[(weights["strategy"] == "lstm") & weights["rebalance"]].groupby("date")["weight"]
    assert (reb.apply(lambda w: w.abs().sum()) <= 1.8 + 1e-6).all()
    assert (reb.apply(lambda w: w.abs().max()) <= 0.25 + 1e-6).all()
    assert held.size().min() > 0
    schedule = pd.read_csv(tmp_path / "mix" / "rebalances.csv")
    assert schedule["triggers"].iloc[0] == "initial"
    assert pd.Timestamp(schedule["date"].iloc[-1]) <= run.result.end


def test_tsmom_in_the_book_and_trend_rule_vol_scaled(tmp_path, etf_dir):
    cfg = _tiny(load_preset("tsmom-constrained-hybrid"), etf_dir)
    run = run_pipeline(cfg, tmp_path / "tsmom")
    assert run.result.convention == "nav"
    assert {"tsmom@0bp", "tsmom_daily@0bp"} <= set(run.metrics.index)
    # hybrid trades less than daily rebalancing of the same targets
    assert run.result.turnover["tsmom@0bp"] < run.result.turnover["tsmom_daily@0bp"]


def test_vol_scaling_on_a_hybrid_schedule_holds_between_rebalances(tmp_path, etf_dir):
    cfg = _tiny(load_preset("tsmom-constrained-hybrid"), etf_dir)
    cfg = cfg.with_overrides({"pipeline.portfolio": "vol_scaling"})
    run = run_pipeline(cfg, tmp_path / "vs")
    assert run.result.convention == "paper"
    w = run.result.weights["tsmom"].loc[run.result.start : run.result.end]
    changed = w.ffill().diff().abs().sum(axis=1) > 0
    schedule = pd.to_datetime(pd.read_csv(tmp_path / "vs" / "rebalances.csv")["date"])
    assert set(changed[changed].index) <= set(schedule)


def test_simulate_paper_daily_equals_evaluate_weights():
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2020-01-01", periods=40)
    w = pd.DataFrame(rng.normal(size=(40, 3)), index=idx, columns=list("ABC"))
    w.iloc[:5, 0] = np.nan  # A not held at first
    r = pd.DataFrame(rng.normal(0, 0.01, size=(40, 3)), index=idx, columns=list("ABC"))
    direct = evaluate_weights({"s": w}, r, [0, 5])
    via = simulate({"s": w}, r, [0, 5], convention="paper")
    pd.testing.assert_frame_equal(direct.portfolio_returns, via.portfolio_returns)
    assert direct.turnover == via.turnover


def test_simulate_paper_holds_targets_between_rebalances():
    idx = pd.bdate_range("2020-01-01", periods=6)
    r = pd.DataFrame({"A": [0.0, 0.01, 0.02, -0.01, 0.0, 0.01]}, index=idx)
    res = simulate({"s": {idx[0]: np.array([1.0]), idx[3]: np.array([2.0])}}, r, [10], convention="paper")
    held = res.weights["s"]["A"].tolist()
    assert held == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    net = res.portfolio_returns["s@10bp"]
    assert net.iloc[4] == pytest.approx(2.0 * 0.0 - 0.001 * 1.0)  # the trade of day 3, charged on day 4


def test_pipeline_table_is_validated():
    # a stage's table left out takes its defaults; a table no stage reads is refused
    cfg = RunConfig(pipeline=PipelineConfig(signal="tsmom", portfolio="constrained"))
    assert cfg.portfolio == PortfolioConfig() and cfg.trend_model is None and cfg.rebalance is None
    with pytest.raises(ValueError, match=r"rebalance\n  table would be ignored"):
        RunConfig.model_validate(
            {"pipeline": {"signal": "tsmom", "portfolio": "constrained"}, "rebalance": {}}
        )
    with pytest.raises(ValueError, match="would be ignored"):
        RunConfig.model_validate(
            {
                "pipeline": {"signal": "tsmom"},
                "models": [{"name": "lstm"}],
            }
        )
    with pytest.raises(ValueError, match="unknown signal"):
        PipelineConfig(signal="magic")
    cfg = RunConfig(portfolio=PortfolioConfig())
    assert (cfg.stages.signal, cfg.stages.portfolio, cfg.stages.rebalance) == (
        "trend_model",
        "constrained",
        "hybrid",
    )
    with pytest.raises(ConfigError, match="no \\[\\[models\\]\\]"):
        compose(RunConfig())
