import json

import pandas as pd
import pytest

from deepmomentum.config import OverlaysConfig
from deepmomentum.presets import load_preset


@pytest.fixture(scope="module")
def mf_run(tmp_path_factory, etf_dir, macro_dir):
    from deepmomentum.run import run_managed_futures

    sent = tmp_path_factory.mktemp("sentiment")
    (sent / "SPY.csv").write_text("date,score\n2021-03-01,0.8\n2022-05-02,-0.6\n")
    cfg = load_preset("etf-managed-futures-quick")
    cfg.data.data_dir = etf_dir
    cfg.data.macro_dir = macro_dir
    cfg.data.sentiment_dir = sent
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 1  # 2 one-year windows
    cfg.training.last_test_year = 2022
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    tm = cfg.trend_model
    tm.hidden_sizes = [8, 4]
    tm.max_epochs = 2
    tm.train_stride = 20
    tm.max_train_samples = 2000
    out = tmp_path_factory.mktemp("run")
    return run_managed_futures(cfg, out), out, cfg


def test_run_folder_contract(mf_run):
    _, out, _ = mf_run
    for name in (
        "config.toml",
        "meta.json",
        "returns.csv",
        "positions.parquet",
        "metrics.json",
        "weights.parquet",
        "rebalances.csv",
        "comparison.csv",
        "regimes.csv",
        "constraints.csv",
        "models/windows.csv",
    ):
        assert (out / name).is_file(), name
    returns = pd.read_csv(out / "returns.csv", index_col=0)
    assert {"mf@0bp", "mf@10bp", "mf_daily@0bp", "mf_daily@10bp"} <= set(returns.columns)
    assert pd.Timestamp(returns.index[0]) >= pd.Timestamp("2021-01-01")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["regime_source"] == "macro:CFNAI" and meta["regime_fallback"] is False
    assert meta["sentiment"].startswith("on")
    windows = pd.read_csv(out / "models/windows.csv")
    assert len(windows) == 2
    comp = pd.read_csv(out / "comparison.csv", index_col=0)
    assert {"oos", "dbmf_life"} == set(comp["span"])
    assert {"SPY", "AGG", "60/40", "DBMF"} <= set(comp.index)
    assert {
        "annual_return",
        "annual_vol",
        "sharpe",
        "max_drawdown",
        "calmar",
        "corr_spy",
        "beta_spy",
        "worst10_mean",
    } <= set(comp.columns)


def test_every_rebalance_meets_the_caps(mf_run):
    _, out, cfg = mf_run
    mf = cfg.portfolio
    w = pd.read_parquet(out / "weights.parquet")
    uni = pd.read_csv(out / "universe.csv").set_index("symbol")
    w["cls"] = w["symbol"].map(uni["asset_class"])
    w["sector"] = w["symbol"].map(uni["sector"])
    at = w[w["rebalance"]]
    assert len(at)
    tol = 1e-9
    assert (at["weight"].abs() <= mf.max_position + tol).all()
    by = at.groupby(["strategy", "date"])
    assert (by["weight"].apply(lambda x: x.abs().sum()) <= mf.max_gross + tol).all()
    net = by["weight"].sum()
    assert ((net >= mf.net_bounds[0] - tol) & (net <= mf.net_bounds[1] + tol)).all()
    # class budgets are shares of the gross (class_budget = "gross_share", the default):
    # targets, not caps; the commodity sectors are capped as a share of the commodity gross
    gross = by["weight"].apply(lambda x: x.abs().sum())
    com = at[at["cls"] == "commodity"]
    com_gross = com.groupby(["strategy", "date"])["weight"].apply(lambda x: x.abs().sum())
    sec = com.groupby(["strategy", "date", "sector"])["weight"].apply(lambda x: x.abs().sum())
    n_sec = com.groupby(["strategy", "date"])["sector"].nunique()
    for (s, d, _), g in sec.items():
        cap = max(mf.sector_max_share, 1.0 / n_sec.loc[(s, d)])
        assert g <= cap * com_gross.loc[(s, d)] + 1e-6
    shares = json.loads((out / "meta.json").read_text())["class_shares"]
    assert set(shares) == {"equity", "bond", "commodity", "fx"}
    assert abs(sum(shares.values()) - 1.0) < 1e-3  # rounded to 4 places in meta.json
    assert (gross > 0).all()
    cons = pd.read_csv(out / "constraints.csv")
    assert (cons["vol_ex_ante"] <= mf.vol_target * (1 + 1e-6)).all()
    # an unmet target is always explained
    assert cons.loc[cons["unmet"].notna(), "message"].notna().all()


def test_rebalances_spacing_and_cap(mf_run):
    run, out, cfg = mf_run
    reb = pd.read_csv(out / "rebalances.csv", parse_dates=["date"])
    assert reb["triggers"].iloc[0] == "initial"
    assert (reb["date"].diff().dropna().dt.days >= cfg.rebalance.min_days_between).all()
    assert reb.groupby(reb["date"].dt.year).size().max() <= cfg.rebalance.max_per_year
    # between rebalances nothing trades: hybrid turnover is far below daily
    assert run.result.turnover["mf@0bp"] < run.result.turnover["mf_daily@0bp"]


def test_market_implied_fallback_warns(etf_dir):
    from deepmomentum.config import RunConfig
    from deepmomentum.data import load_data_dir
    from deepmomentum.signals import regime_frame

    data = load_data_dir(etf_dir)
    cfg = RunConfig(overlays=OverlaysConfig())
    assert cfg.managed_futures is not None
    with pytest.warns(UserWarning, match="market-implied"):
        frame, source = regime_frame(data, None, cfg.managed_futures, pd.DatetimeIndex(data.prices.index))
    assert source == "market-implied"
    assert frame["regime"].isin(["expansion", "slowdown", "contraction", "recovery", "unknown"]).all()


def test_regime_table_validation():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="regime_weights"):
        OverlaysConfig(regime_weights={"expansion": [1, 0, 0]})
