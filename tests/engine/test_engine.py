from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.engine import BacktestSettings, backtest, evaluate_weights, sixty_forty
from deepmomentum.exceptions import ConfigError
from deepmomentum.features import daily_returns, ex_ante_volatility
from deepmomentum.signals import TSMOM, LongOnly
from tests.conftest import random_prices

IDX = pd.bdate_range("2020-01-01", periods=4)


def _hand_case():
    weights = pd.DataFrame({"A": [1.0, 2.0, 2.0, np.nan], "B": [np.nan, 1.0, -1.0, -1.0]}, index=IDX)
    rets = pd.DataFrame({"A": [np.nan, 0.01, -0.02, 0.03], "B": [np.nan, 0.02, 0.01, -0.01]}, index=IDX)
    return evaluate_weights({"s": weights}, rets, cost_bps=[0, 10])


def test_portfolio_returns_by_hand() -> None:
    res = _hand_case()
    assert res.variants == ["s@0bp", "s@10bp"]
    net = res.portfolio_returns["s@10bp"]
    assert np.isnan(net.iloc[0])
    # day 1: only A held at day 0 (N=1); first position charged as a trade from zero
    assert net.iloc[1] == pytest.approx((0.01 - 0.001) / 1)
    # day 2: A=2, B=1 held (N=2); traded |2-1| + |1-0|
    assert net.iloc[2] == pytest.approx((2 * -0.02 + 1 * 0.01 - 0.002) / 2)
    # day 3: A=2, B=-1; B traded |-1-1| = 2
    assert net.iloc[3] == pytest.approx((2 * 0.03 + -1 * -0.01 - 0.002) / 2)
    gross = res.portfolio_returns["s@0bp"]
    assert gross.iloc[3] == pytest.approx(0.07 / 2)


def test_turnover_and_per_asset_costs() -> None:
    res = _hand_case()
    assert res.daily_turnover["s"].tolist() == pytest.approx([1.0, 1.0, 1.0, 2.0])
    assert res.turnover["s@10bp"] == pytest.approx(1.25 * 252)
    costs = res.costs("s", 10)
    assert costs.loc[IDX[1], "A"] == pytest.approx(0.001)
    assert costs.loc[IDX[3], "B"] == pytest.approx(0.002)
    net_a = res.net_returns("s", 10)["A"]
    assert net_a.iloc[2] == pytest.approx(2 * -0.02 - 0.001)


def test_universe_cost_variant() -> None:
    weights = pd.DataFrame({"A": [1.0, 1.0], "B": [1.0, 1.0]}, index=IDX[:2])
    rets = pd.DataFrame({"A": [np.nan, 0.0], "B": [np.nan, 0.0]}, index=IDX[:2])
    res = evaluate_weights(
        {"s": weights}, rets, cost_bps=[], asset_cost_bps=pd.Series({"A": 10.0, "B": 30.0})
    )
    assert res.variants == ["s@universe"]
    assert res.portfolio_returns["s@universe"].iloc[1] == pytest.approx(-(0.001 + 0.003) / 2)


def test_weights_are_vol_scaled_and_capped() -> None:
    prices = random_prices()
    res = backtest(
        prices, {"long_only": LongOnly().signal(prices)}, settings=BacktestSettings(max_weight=1.2)
    )
    vol = ex_ante_volatility(daily_returns(prices)) * np.sqrt(252)
    expected = (0.15 / vol).clip(upper=1.2)
    pd.testing.assert_frame_equal(res.weights["long_only"], expected.where(vol.notna()), check_names=False)
    assert res.weights["long_only"].max().max() <= 1.2


def test_start_masks_earlier_positions_and_charges_entry() -> None:
    prices = random_prices()
    start = prices.index[400]
    res = backtest(prices, {"lo": LongOnly().signal(prices)}, cost_bps=[10], start=start)
    assert res.weights["lo"].loc[: prices.index[399]].isna().all().all()
    traded = res.trades("lo").loc[start]
    w = res.weights["lo"].loc[start]
    assert traded.sum() == pytest.approx(w.abs().sum())  # entered from zero
    rets = res.portfolio_returns
    assert rets.index[0] == start and np.isnan(rets.iloc[0, 0])


def test_portfolio_vol_target_hits_target_roughly() -> None:
    prices = random_prices(n_days=2000, n_assets=6)
    sig = {"tsmom": TSMOM().signal(prices)}
    res = backtest(prices, sig, settings=BacktestSettings(portfolio_vol_target=True))
    vol = res.portfolio_returns["tsmom@0bp"].std() * np.sqrt(252)
    assert 0.10 < vol < 0.20


def test_ex_post_rescaled_has_target_vol() -> None:
    prices = random_prices()
    res = backtest(prices, {"lo": LongOnly().signal(prices)})
    r = res.ex_post_rescaled["lo@0bp"]
    assert r.std() * np.sqrt(252) == pytest.approx(0.15)
    m = res.metrics(ex_post=True)
    assert m.loc["lo@0bp", "sharpe"] == pytest.approx(res.metrics().loc["lo@0bp", "sharpe"])


def test_positions_long_layout() -> None:
    prices = random_prices()
    res = backtest(prices, {"lo": LongOnly().signal(prices), "ts": TSMOM().signal(prices)})
    long = res.positions_long()
    assert list(long.columns) == ["date", "symbol", "strategy", "signal", "weight"]
    assert set(long["strategy"]) == {"lo", "ts"}
    assert long["weight"].notna().all()


def test_bad_settings() -> None:
    with pytest.raises(ConfigError, match="vol_target must be > 0"):
        BacktestSettings(vol_target=0)
    prices = random_prices()
    with pytest.raises(ConfigError, match="has no data"):
        backtest(prices, {"lo": LongOnly().signal(prices)}, start="2030-01-01")
    with pytest.raises(ConfigError, match="non-negative"):
        backtest(prices, {"lo": LongOnly().signal(prices)}, cost_bps=[-1])


def test_sixty_forty_monthly_rebalance_hand() -> None:
    idx = pd.to_datetime(["2020-01-30", "2020-01-31", "2020-02-03", "2020-02-04"])
    eq = pd.Series([0.0, 0.10, 0.10, 0.0], index=idx)
    bd = pd.Series([0.0, 0.00, 0.00, 0.0], index=idx)
    out = sixty_forty(eq, bd)
    assert out.iloc[1] == pytest.approx(0.06)
    # Feb 3: rebalanced to 60/40 at Jan's close
    assert out.iloc[2] == pytest.approx(0.06)
    assert out.iloc[3] == pytest.approx(0.0)


def test_holding_period_by_hand() -> None:
    res = _hand_case()
    # mean gross exposure per held asset: day0 1/1, day1 (2+1)/2, day2 (2+1)/2, day3 1/1 -> 1.25
    # mean daily turnover (see test_turnover_and_per_asset_costs) -> 1.25
    assert res.holding_period["s@10bp"] == pytest.approx(1.0)
    assert "holding_days" in res.metrics().columns
