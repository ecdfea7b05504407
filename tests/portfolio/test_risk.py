"""Risk inputs of the managed-futures weights: EWMA covariances and the class tilt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.portfolio import class_tilt, ewma_covariances
from tests.conftest import random_prices

CLASSES = ["equity", "equity", "bond", "bond", "fx"]


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2015-01-01", periods=400)
    r = pd.DataFrame(rng.normal(0, 0.01, (400, 5)), index=idx, columns=list("ABCDE"))
    r.iloc[:120, 4] = np.nan  # a late starter
    r.iloc[200:205, 1] = np.nan  # a gap
    return r


def numpy_cov(r: np.ndarray, t: int, span: int) -> np.ndarray:
    """C_t from explicit weights (1-l) l^(t-s), each side debiased by its own weight sum."""
    lam = 1 - 2 / (span + 1)
    w = (1 - lam) * lam ** np.arange(t, -1, -1.0)
    seen = np.isfinite(r[: t + 1])
    x = np.where(seen, r[: t + 1], 0.0)
    raw = (x * w[:, None]).T @ x
    mass = (seen * w[:, None]).sum(axis=0)
    with np.errstate(invalid="ignore"):  # 0/0 for an asset not yet started
        return np.asarray(raw / np.sqrt(np.outer(mass, mass)) * 252)


def test_hand_checked_covariance() -> None:
    r = pd.DataFrame([[0.01, 0.02], [-0.01, 0.0], [0.02, -0.01]])
    c = ewma_covariances(r, span=3, min_periods=1)[2]  # l = 0.5: weights .125, .25, .5
    mass = 0.875
    assert np.isclose(c[0, 0], (0.125e-4 + 0.25e-4 + 0.5 * 4e-4) / mass * 252)
    assert np.isclose(c[0, 1], (0.125 * 2e-4 + 0 + 0.5 * -2e-4) / mass * 252)
    assert np.isclose(c[1, 1], (0.125 * 4e-4 + 0 + 0.5 * 1e-4) / mass * 252)


def test_covariances_match_numpy(returns: pd.DataFrame) -> None:
    days = [5, 119, 150, 203, 399]
    covs = ewma_covariances(returns, span=30, days=days)
    assert sorted(covs) == days
    r = returns.to_numpy()
    for t in days:
        c = covs[t]
        assert c.shape == (5, 5)
        expect = numpy_cov(r, t, 30)
        few = np.isfinite(r[: t + 1]).sum(axis=0) < 30  # min_periods = span
        expect[few, :] = np.nan
        expect[:, few] = np.nan
        np.testing.assert_allclose(c, expect, rtol=1e-10, equal_nan=True)
    assert np.isnan(covs[5]).all()  # nobody has 30 observations yet
    assert np.isnan(covs[119][4]).all() and np.isfinite(covs[150]).all()
    ok = covs[399]
    np.testing.assert_allclose(ok, ok.T)
    assert np.linalg.eigvalsh(ok).min() > 0
    # annualised: the diagonal is near 252 * 0.01^2
    assert np.allclose(np.diag(ok), 252e-4, rtol=0.5)


def test_covariances_are_causal(returns: pd.DataFrame) -> None:
    cut = 250
    full = ewma_covariances(returns, span=30)
    part = ewma_covariances(returns.iloc[: cut + 1], span=30)
    assert len(part) == cut + 1
    for t in range(cut + 1):
        np.testing.assert_array_equal(full[t], part[t])


def _signals(returns: pd.DataFrame) -> pd.DataFrame:
    return np.tanh(returns.rolling(20, min_periods=5).mean() / 0.002)


def test_tilt_bounds_and_shape(returns: pd.DataFrame) -> None:
    tilt = class_tilt(_signals(returns), returns, CLASSES, lookback=40, strength=0.25)
    assert tilt.shape == returns.shape and tilt.notna().all().all()
    assert ((tilt >= 0.75 - 1e-12) & (tilt <= 1.25 + 1e-12)).all().all()
    assert (tilt.iloc[:20] == 1.0).all().all()  # fewer than lookback // 2 days of P&L
    # one multiplier per class
    pd.testing.assert_series_equal(tilt["A"], tilt["B"], check_names=False)
    pd.testing.assert_series_equal(tilt["C"], tilt["D"], check_names=False)


# BUG (portfolio/_risk.py, class_tilt): ``(rank - 1) / (n_cls - 1)`` divides a frame
# by a date-indexed Series, which pandas aligns on the columns: every score is NaN,
# fillna(0) makes it 0, and the multiplier is always 1 (the tilt is a no-op).
# The fix is ``(rank - 1).div((n_cls - 1).where(n_cls > 1), axis=0)``; it changes the
# pinned managed-futures numbers, so it is left to the pipeline's owner.
def test_tilt_ranks_the_classes(returns: pd.DataFrame) -> None:
    # with three ranked classes the multipliers are exactly 0.75, 1 and 1.25
    tilt = class_tilt(_signals(returns), returns, CLASSES, lookback=40, strength=0.25)
    late = tilt.iloc[-1][["A", "C", "E"]].sort_values().to_numpy()
    np.testing.assert_allclose(late, [0.75, 1.0, 1.25])
    # and tomorrow's tilt moves with today's signals
    cut = returns.index[250]
    moved = _signals(returns)
    moved.loc[cut:] *= -1
    shifted = class_tilt(moved, returns, CLASSES, lookback=40, strength=0.25)
    assert not shifted.loc[cut:].iloc[1:].equals(tilt.loc[cut:].iloc[1:])


def test_tilt_favours_the_class_whose_signals_earned() -> None:
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2018-01-01", periods=200)
    r = pd.DataFrame(rng.normal(0, 0.01, (200, 4)), index=idx, columns=list("ABCD"))
    signals = pd.DataFrame(rng.choice([-1.0, 1.0], size=(200, 4)), index=idx, columns=r.columns)
    # the bond signals call tomorrow's move right: sign(s_{t-1}) r_t > 0
    r[["C", "D"]] = signals[["C", "D"]].shift(1).fillna(1.0) * r[["C", "D"]].abs()
    tilt = class_tilt(signals, r, ["equity", "equity", "bond", "bond"], lookback=60, strength=0.3)
    assert (tilt.iloc[60:][["C", "D"]] == 1.3).all().all()
    assert (tilt.iloc[60:][["A", "B"]] == 0.7).all().all()


def test_tilt_is_causal(returns: pd.DataFrame) -> None:
    signals = _signals(returns)
    full = class_tilt(signals, returns, CLASSES, lookback=40)
    cut = returns.index[250]
    part = class_tilt(signals.loc[:cut], returns.loc[:cut], CLASSES, lookback=40)
    pd.testing.assert_frame_equal(full.loc[:cut], part, check_exact=True)
    # the value at t uses the signals of t-1 and before: today's signal is not yet in
    moved = signals.copy()
    moved.loc[cut:] *= -1
    shifted = class_tilt(moved, returns, CLASSES, lookback=40)
    pd.testing.assert_frame_equal(shifted.loc[:cut], full.loc[:cut], check_exact=True)


def test_random_prices_give_a_valid_tilt() -> None:
    prices = random_prices(n_days=300, n_assets=4)
    r = prices.pct_change(fill_method=None)
    tilt = class_tilt(np.sign(r.rolling(10).mean()), r, ["a", "a", "b", "c"], lookback=30, strength=0.5)
    assert tilt.notna().all().all() and tilt.min().min() >= 0.5 and tilt.max().max() <= 1.5
