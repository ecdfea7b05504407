"""Multi-timeframe features of the trend model: hand-checked values, shapes, clipping, causality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmomentum.features import macd_indicator, multiscale_features, multiscale_names, winsorise_prices
from tests.conftest import random_prices

SMALL = [100.0, 102.0, 101.0, 105.0, 104.0, 108.0, 110.0, 109.0]


def ewm_std(x: np.ndarray, span: int) -> float:
    """Bias-corrected EWM std of all of ``x`` (pandas' ``adjust=True`` weights), by hand."""
    a = 2.0 / (span + 1.0)
    w = (1 - a) ** np.arange(len(x) - 1, -1, -1)
    mean = (w * x).sum() / w.sum()
    var = (w * (x - mean) ** 2).sum() / w.sum()
    return float(np.sqrt(var * w.sum() ** 2 / (w.sum() ** 2 - (w**2).sum())))


def _small(**kw):
    idx = pd.bdate_range("2020-01-01", periods=len(SMALL))
    prices = pd.DataFrame({"A": SMALL}, index=idx)
    args = {"return_horizons": (1, 3), "vol_spans": (3, 5), "macd_pairs": ((2, 4),), "vol_span": 3}
    return multiscale_features(prices, **{**args, "winsorise": False, **kw})


def test_names_and_shapes() -> None:
    assert multiscale_names() == [
        "norm_ret_1",
        "norm_ret_5",
        "norm_ret_21",
        "norm_ret_63",
        "norm_ret_126",
        "norm_ret_252",
        "vol_ratio_21_63",
        "vol_ratio_63_252",
        "macd_8_24",
        "macd_16_48",
        "macd_32_96",
    ]
    prices = random_prices(n_days=600, n_assets=3)
    fs = multiscale_features(prices)
    assert fs.names == multiscale_names()
    assert fs.to_array().shape == (600, 3, 11)
    for name in fs.names:
        assert fs.features[name].shape == prices.shape
        assert fs.features[name].index.equals(prices.index)
    assert fs.features["norm_ret_1"].iloc[400:].notna().all().all()
    assert fs.features["norm_ret_1"].iloc[:300, 2].isna().all()  # before inception: missing, not 0


def test_hand_checked_values() -> None:
    fs = _small()
    p = np.array(SMALL)
    r = p[1:] / p[:-1] - 1  # returns of days 1..7
    sigma7 = ewm_std(r, 3)
    feats = {k: v["A"] for k, v in fs.features.items()}
    assert np.isclose(fs.daily_vol["A"].iloc[7], sigma7)
    assert np.isclose(feats["norm_ret_1"].iloc[7], (109 / 110 - 1) / sigma7)
    assert np.isclose(feats["norm_ret_3"].iloc[7], (109 / 104 - 1) / (sigma7 * np.sqrt(3)))
    assert np.isclose(feats["vol_ratio_3_5"].iloc[7], np.log(sigma7 / ewm_std(r, 5)))
    # day 5 is the first with 5 returns: the span-5 vol (min_periods = span) starts there
    assert feats["vol_ratio_3_5"].iloc[:5].isna().all() and np.isfinite(feats["vol_ratio_3_5"].iloc[5])
    assert feats["norm_ret_1"].iloc[:3].isna().all()  # the vol needs 3 returns
    assert feats["macd_2_4"].isna().all()  # 63 + 252 days of history needed


def test_macd_and_raw_returns() -> None:
    prices = random_prices(n_days=700, n_assets=2)
    prices.iloc[500, 0] *= 3.0  # a bad print the winsorisation clips
    fs = multiscale_features(prices, macd_pairs=((8, 24),))
    pd.testing.assert_frame_equal(
        fs.features["macd_8_24"], macd_indicator(winsorise_prices(prices), 8, 24).clip(-10, 10)
    )
    # the P&L returns stay raw: the spike is in them
    assert np.isclose(fs.returns.iloc[500, 0], prices.iloc[500, 0] / prices.iloc[499, 0] - 1)


def test_clipping() -> None:
    prices = random_prices(n_days=500, n_assets=3)
    free = multiscale_features(prices, clip=np.inf)
    clipped = multiscale_features(prices, clip=0.5)
    for name in free.names:
        a, b = free.features[name], clipped.features[name]
        assert (b.abs().max().dropna() <= 0.5).all()
        pd.testing.assert_frame_equal(b, a.clip(-0.5, 0.5))
    assert (free.features["norm_ret_1"].abs() > 0.5).any().any()  # the clip did bite


def test_causal_under_truncation() -> None:
    prices = random_prices(n_days=900, n_assets=4)
    cut = prices.index[650]
    full = multiscale_features(prices)
    part = multiscale_features(prices.loc[:cut])
    for name in full.names:
        pd.testing.assert_frame_equal(full.features[name].loc[:cut], part.features[name], check_exact=True)
        assert full.features[name].loc[:cut].notna().any().any()
    pd.testing.assert_frame_equal(full.daily_vol.loc[:cut], part.daily_vol, check_exact=True)
    # and a change after the cut moves nothing before it
    shocked = prices.copy()
    shocked.iloc[651:] *= 1.5
    moved = multiscale_features(shocked)
    for name in full.names:
        pd.testing.assert_frame_equal(moved.features[name].loc[:cut], full.features[name].loc[:cut])
