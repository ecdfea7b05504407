"""Truncating every input at D leaves everything dated <= D unchanged."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepmomentum.engine import BacktestSettings, backtest
from deepmomentum.features import build_features
from deepmomentum.signals import get_strategy, list_strategies
from tests.conftest import random_prices

PRICES = random_prices(n_days=900, n_assets=5, seed=7)


def _everything(prices: pd.DataFrame, portfolio_vol_target: bool) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    fs = build_features(prices)
    out.update({f"feature:{k}": v for k, v in fs.features.items()})
    signals = {n: get_strategy(n).signal(prices) for n in list_strategies()}
    res = backtest(
        prices,
        signals,
        cost_bps=[0, 2, 10],
        settings=BacktestSettings(portfolio_vol_target=portfolio_vol_target),
        start=prices.index[100],
    )
    for n in signals:
        out[f"signal:{n}"] = res.signals[n]
        out[f"weight:{n}"] = res.weights[n]
        out[f"costs:{n}"] = res.costs(n, 10)
    out["portfolio"] = res.portfolio_returns
    out["turnover"] = res.daily_turnover
    return out


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=150, max_value=880), pvt=st.booleans())
def test_truncation_leaves_past_unchanged(cut: int, pvt: bool) -> None:
    d = PRICES.index[cut]
    full = _everything(PRICES, pvt)
    short = _everything(PRICES.loc[:d], pvt)
    for key, frame in full.items():
        pd.testing.assert_frame_equal(frame.loc[:d], short[key], check_freq=False, obj=key)
