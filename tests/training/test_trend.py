"""Labels and purge of the trend model: forward h-day returns, dropped at every split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.features import FeatureSet, daily_returns, ex_ante_volatility
from deepmomentum.training import make_windows, trend_panel, trend_samples
from tests.conftest import random_prices

H, L = 5, 4


def _features(prices: pd.DataFrame) -> FeatureSet:
    """One input (the daily return), so that input_ok is easy to follow."""
    ret = daily_returns(prices)
    return FeatureSet(
        features={"ret": ret}, returns=ret, daily_vol=ex_ante_volatility(ret, span=10), names=["ret"]
    )


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    p = random_prices(n_days=400, n_assets=3)
    p.iloc[200, 1] = np.nan  # a missing price: returns at 200 and 201 unknown
    return p


def _expected_label_ok(fs: FeatureSet, panel, h: int) -> np.ndarray:
    """Brute force: inputs known at t and every return of days t+1 ... t+h known."""
    ret = fs.returns.to_numpy()
    n = len(ret)
    out = np.zeros(ret.shape, dtype=bool)
    for t in range(n - h):
        out[t] = panel.input_ok[t] & np.isfinite(ret[t + 1 : t + h + 1]).all(axis=0)
    return out & np.isfinite(fs.daily_vol.to_numpy())


def test_label_is_the_forward_h_day_return_over_vol(prices: pd.DataFrame) -> None:
    fs = _features(prices)
    panel = trend_panel(fs, H)
    np.testing.assert_array_equal(panel.label_ok, _expected_label_ok(fs, panel, H))
    assert panel.label_ok.sum() > 800
    p, vol = prices.to_numpy(), fs.daily_vol.to_numpy()
    t, a = np.nonzero(panel.label_ok)
    expect = (p[t + H, a] / p[t, a] - 1) / (vol[t, a] * np.sqrt(H))
    np.testing.assert_allclose(panel.norm_ret[t, a], expect, rtol=1e-5, atol=1e-6)
    # the direction label (target > 0) is the sign of the forward return
    np.testing.assert_array_equal(panel.norm_ret[t, a] > 0, p[t + H, a] > p[t, a])
    assert not panel.label_ok[-H:].any()  # no complete forward window at the end
    assert not panel.label_ok[200 - H : 201, 1].any()  # windows across the missing price
    assert (panel.norm_ret[~panel.label_ok] == 0).all()
    # the next-day return stays as the DMN panel has it
    r = fs.returns.to_numpy()
    ok = panel.input_ok[:-1] & np.isfinite(r[1:])
    np.testing.assert_allclose(panel.r_next[:-1][ok], r[1:][ok], rtol=1e-6)


def test_labels_of_kept_samples_do_not_see_past_the_split(prices: pd.DataFrame) -> None:
    hi = 300
    full = trend_panel(_features(prices), H)
    cut = trend_panel(_features(prices.iloc[:hi]), H)  # nothing dated >= hi
    days, assets = trend_samples(full, 0, hi, L, H)
    assert len(days)
    np.testing.assert_array_equal(full.norm_ret[days, assets], cut.norm_ret[days, assets])
    np.testing.assert_array_equal(full.x[days, assets], cut.x[days, assets])
    # and the purge keeps exactly the samples the truncated data can label
    cut_days, cut_assets = trend_samples(cut, 0, hi, L, H)
    np.testing.assert_array_equal(days, cut_days)
    np.testing.assert_array_equal(assets, cut_assets)


@pytest.mark.parametrize(("lo", "hi", "stride"), [(0, 300, 1), (120, 260, 1), (50, 380, 7)])
def test_training_samples_are_exactly_the_purged_set(prices, lo: int, hi: int, stride: int) -> None:
    panel = trend_panel(_features(prices), H)
    days, assets = trend_samples(panel, lo, hi, L, H, stride)
    got = set(zip(days.tolist(), assets.tolist(), strict=True))
    expect = {
        (t, a)
        for t in range(max(lo, L - 1), hi)
        for a in range(panel.x.shape[1])
        if t + H < hi  # the label window t+1 ... t+h ends before the split
        and panel.label_ok[t, a]
        and panel.input_ok[t - L + 1, a]
        and (t - lo) % stride == 0
    }
    assert got == expect
    assert max(days) + H < hi
    assert max(days) == max(t for t, _ in expect)  # the boundary day t = hi-h-1 can be kept
    assert (np.diff(days) >= 0).all()


def test_inference_samples_need_no_label(prices) -> None:
    panel = trend_panel(_features(prices), H)
    days, assets = trend_samples(panel, 300, 400, L)
    assert days.max() == 399  # up to the last day, forward label or not
    assert panel.input_ok[days, assets].all()
    assert panel.input_ok[days - L + 1, assets].all()
    assert (days >= 300).all()


def test_walk_forward_splits_purge_training_and_validation(prices) -> None:
    panel = trend_panel(_features(prices), H)
    dates = pd.bdate_range("2016-01-01", periods=len(prices)).to_numpy()
    for w in make_windows(dates, 2017, 1, 0.2):
        train, _ = trend_samples(panel, 0, w.split, L, H)
        val, _ = trend_samples(panel, w.split, w.test_lo, L, H)
        assert train.max() + H < w.split  # training labels end before validation
        assert val.min() >= w.split and val.max() + H < w.test_lo  # validation labels end before test
