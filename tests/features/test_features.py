from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.features import (
    FEATURE_NAMES,
    build_features,
    daily_returns,
    ex_ante_volatility,
    features_to_long,
    macd_halflife,
    macd_indicator,
    macd_response,
    macd_signal,
    normalised_returns,
    winsorise_prices,
)
from tests.conftest import random_prices


def _ewm_std_reference(x: np.ndarray, span: int) -> float:
    """Bias-corrected EWM std at the last point (pandas adjust=True), by hand."""
    a = 2.0 / (span + 1.0)
    w = (1 - a) ** np.arange(len(x))[::-1]
    mean = np.sum(w * x) / w.sum()
    var = np.sum(w * (x - mean) ** 2) / w.sum()
    return float(np.sqrt(var * w.sum() ** 2 / (w.sum() ** 2 - np.sum(w**2))))


def test_daily_returns_hand() -> None:
    p = pd.DataFrame({"a": [100.0, 110.0, 99.0, np.nan, 99.0]})
    r = daily_returns(p)["a"].tolist()
    assert r[1] == pytest.approx(0.1)
    assert r[2] == pytest.approx(-0.1)
    assert np.isnan(r[3]) and np.isnan(r[4])  # no return across a missing price


def test_ex_ante_vol_hand() -> None:
    r = pd.DataFrame({"a": [0.01, -0.02, 0.015, 0.0, 0.03, -0.01]})
    vol = ex_ante_volatility(r, span=3)
    assert vol["a"].iloc[:2].isna().all()  # min_periods = span
    for t in range(2, 6):
        assert vol["a"].iloc[t] == pytest.approx(_ewm_std_reference(r["a"].to_numpy()[: t + 1], 3))


def test_normalised_returns_hand() -> None:
    p = pd.DataFrame({"a": [100.0, 110.0, 121.0, 133.1]})
    vol = pd.DataFrame({"a": [0.02, 0.02, 0.02, 0.04]})
    out = normalised_returns(p, vol, 2)["a"]
    assert np.isnan(out.iloc[1])
    assert out.iloc[2] == pytest.approx(0.21 / (0.02 * np.sqrt(2)))
    assert out.iloc[3] == pytest.approx(0.21 / (0.04 * np.sqrt(2)))


def test_macd_halflife_matches_alpha() -> None:
    # half-life log(0.5)/log(1-1/S) is an EWM with alpha = 1/S
    h = macd_halflife(8)
    assert 1 - np.exp(np.log(0.5) / h) == pytest.approx(1 / 8)


def test_macd_response_hand() -> None:
    assert macd_response(np.array([0.0]))[0] == 0.0
    assert macd_response(np.array([1.0]))[0] == pytest.approx(np.exp(-0.25) / 0.89)
    assert macd_response(np.array([-2.0]))[0] == pytest.approx(-2 * np.exp(-1.0) / 0.89)


def _macd_reference(p: np.ndarray, s: int, l_: int, pw: int, sw: int) -> np.ndarray:
    def ewm(x: np.ndarray, alpha: float) -> np.ndarray:
        out = np.empty_like(x)
        for t in range(len(x)):
            w = (1 - alpha) ** np.arange(t + 1)[::-1]
            out[t] = np.sum(w * x[: t + 1]) / w.sum()
        return out

    macd = ewm(p, 1 / s) - ewm(p, 1 / l_)
    q = np.full_like(p, np.nan)
    for t in range(pw - 1, len(p)):
        q[t] = macd[t] / np.std(p[t - pw + 1 : t + 1], ddof=1)
    y = np.full_like(p, np.nan)
    for t in range(len(p)):
        window = q[t - sw + 1 : t + 1] if t >= sw - 1 else np.array([np.nan])
        if not np.isnan(window).any():
            y[t] = q[t] / np.std(window, ddof=1)
    return y


def test_macd_pipeline_against_reference() -> None:
    gen = np.random.default_rng(3)
    p = 50 * np.cumprod(1 + gen.normal(0.001, 0.02, 60))
    got = macd_indicator(pd.DataFrame({"a": p}), 2, 6, price_window=5, signal_window=10)["a"]
    want = _macd_reference(p, 2, 6, 5, 10)
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-10, equal_nan=True)
    assert got.notna().sum() == 60 - (5 - 1) - (10 - 1)


def test_macd_signal_bounded() -> None:
    sig = macd_signal(random_prices())
    assert sig.abs().max().max() <= 1.0 / 0.89  # phi peaks at 0.96
    assert sig.notna().any().all()


def test_winsorise_clips_spike_causally() -> None:
    p = pd.DataFrame({"a": np.r_[np.linspace(100, 101, 300), [1000.0], np.linspace(101, 102, 10)]})
    w = winsorise_prices(p, halflife=252, n_std=5)["a"]
    # the EWM bounds at t include p_t itself (as the reference code), so the spike is
    # clipped to mean + 5 std of a window that contains it
    ewm = p["a"].ewm(halflife=252)
    bound = ewm.mean().iloc[300] + 5 * ewm.std().iloc[300]
    assert w.iloc[300] == pytest.approx(bound)
    assert w.iloc[300] < 500
    np.testing.assert_allclose(w.iloc[:300], p["a"].iloc[:300])


def test_build_features_shapes_and_long() -> None:
    prices = random_prices()
    fs = build_features(prices)
    assert fs.names == list(FEATURE_NAMES)
    arr = fs.to_array()
    assert arr.shape == (len(prices), prices.shape[1], 8)
    assert arr.dtype == np.float32
    long = features_to_long(fs)
    assert list(long.columns[:2]) == ["date", "symbol"]
    assert set(FEATURE_NAMES) <= set(long.columns)
    # the late starter has no rows before its first price
    late = long[long["symbol"] == "A3"]
    assert late["date"].min() > prices.index[300]


def test_features_causal_under_truncation() -> None:
    prices = random_prices(n_days=700)
    cut = prices.index[500]
    full = build_features(prices)
    short = build_features(prices.loc[:cut])
    for name in full.names:
        pd.testing.assert_frame_equal(full.features[name].loc[:cut], short.features[name])
