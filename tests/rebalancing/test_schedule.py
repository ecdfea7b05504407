import numpy as np
import pandas as pd
import pytest

from deepmomentum.engine import drift_weights, evaluate_weights
from deepmomentum.rebalancing import RebalanceRules, rebalance_schedule


def _signals(n_days=300, start="2020-01-02", cols=("SPY", "TLT", "BNO", "X")) -> pd.DataFrame:
    idx = pd.bdate_range(start, periods=n_days, name="date")
    return pd.DataFrame(0.5, index=idx, columns=list(cols))


QUIET = dict(signal_change=10, mean_signal_change=10, regime=False, quarterly=False, max_per_year=None)


def test_quarterly_dates_only():
    s = _signals(400, "2020-01-02")
    out = rebalance_schedule(s, RebalanceRules(**{**QUIET, "quarterly": True}))
    dates = [d.strftime("%Y-%m-%d") for d in out["date"]]
    assert dates == [
        "2020-01-02",
        "2020-04-01",
        "2020-07-01",
        "2020-10-01",
        "2021-01-01",
        "2021-04-01",
        "2021-07-01",
    ]
    assert list(out["triggers"]) == ["initial"] + ["quarterly"] * 6


def test_signal_change_trigger_and_min_spacing():
    s = _signals(60)
    s.iloc[3:, 3] = 0.7  # +0.2 on day 3 (> 0.15), but only 3 days after the initial one
    out = rebalance_schedule(s, RebalanceRules(**{**QUIET, "signal_change": 0.15, "min_days_between": 14}))
    assert list(out["triggers"]) == ["initial", "signal"]
    assert (out["date"].iloc[1] - out["date"].iloc[0]).days == 14  # first allowed day
    small = _signals(60)
    small.iloc[3:, 3] = 0.6  # +0.1: no trigger
    assert len(rebalance_schedule(small, RebalanceRules(**{**QUIET, "signal_change": 0.15}))) == 1


def test_mean_signal_trigger():
    s = _signals(60)
    s.iloc[20:, :] = 0.4  # each -0.1 (< 0.15) but the mean |s| moves 0.1 > 0.075
    out = rebalance_schedule(
        s, RebalanceRules(**{**QUIET, "signal_change": 0.15, "mean_signal_change": 0.075})
    )
    assert list(out["triggers"]) == ["initial", "mean_signal"]
    assert out["date"].iloc[1] == s.index[20]


@pytest.mark.parametrize("asset", ["SPY", "TLT", "BNO"])
def test_reversal_trigger(asset):
    s = _signals(60)
    s.loc[s.index[30] :, asset] = -0.01  # a sign flip of a tiny size
    rules = RebalanceRules(**{**QUIET, "reversal_assets": ("SPY", "TLT", "BNO")})
    out = rebalance_schedule(s, rules)
    assert list(out["triggers"]) == ["initial", "reversal"]
    assert out["date"].iloc[1] == s.index[30]
    s2 = _signals(60)
    s2.loc[s2.index[30] :, "X"] = -0.01  # X is not a reversal asset
    assert len(rebalance_schedule(s2, rules)) == 1


def test_regime_trigger():
    s = _signals(60)
    regime = pd.Series("expansion", index=s.index)
    regime.iloc[25:] = "slowdown"
    out = rebalance_schedule(s, RebalanceRules(**{**QUIET, "regime": True}), regime=regime)
    assert list(out["triggers"]) == ["initial", "regime"]
    assert out["date"].iloc[1] == s.index[25]


def test_yearly_cap_and_spacing_always_hold():
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2019-01-01", periods=800)
    s = pd.DataFrame(rng.uniform(-1, 1, (800, 4)), index=idx, columns=["SPY", "TLT", "BNO", "X"])
    rules = RebalanceRules(reversal_assets=("SPY",), min_days_between=14, max_per_year=5)
    out = rebalance_schedule(s, rules)
    assert (out["date"].diff().dropna().dt.days >= 14).all()
    assert out.groupby(out["date"].dt.year).size().max() == 5


def test_quarterly_deferred_by_spacing():
    s = _signals(120, "2020-03-25")
    out = rebalance_schedule(s, RebalanceRules(**{**QUIET, "quarterly": True}))
    # initial 2020-03-25; the April 1 rebalance is deferred to the first day 14 days later
    assert out["date"].iloc[1] == pd.Timestamp("2020-04-08")
    assert out["triggers"].iloc[1] == "quarterly"


def test_weights_drift_and_costs_only_on_trades():
    idx = pd.bdate_range("2020-01-01", periods=6)
    r = pd.DataFrame({"A": [0, 0.1, 0.0, -0.05, 0.02, 0.0], "B": [0, 0.0, 0.2, 0.0, 0.0, 0.0]}, index=idx)
    targets = {idx[0]: np.array([0.5, 0.5]), idx[3]: np.array([0.5, -0.5])}
    w, pre = drift_weights(targets, r)
    # day 1: A +10%: 0.55 / 1.05
    assert w.iloc[1, 0] == pytest.approx(0.55 / 1.05)
    assert w.iloc[1].sum() == pytest.approx(1.0)
    res = evaluate_weights({"mf": w}, r, [0, 100], convention="nav", pre_trade={"mf": pre})
    port0 = res.portfolio_returns["mf@0bp"]
    port = res.portfolio_returns["mf@100bp"]
    # day 2 return = w_1 . r_2, no cost (no trade on day 1)
    assert port0.iloc[2] == pytest.approx(float(w.iloc[1] @ r.iloc[2]))
    assert port.iloc[2] == pytest.approx(port0.iloc[2])
    # day 4 pays 1% on the trade of day 3
    traded = float(np.abs(w.iloc[3] - pre.iloc[3]).sum())
    assert port0.iloc[4] - port.iloc[4] == pytest.approx(0.01 * traded)
