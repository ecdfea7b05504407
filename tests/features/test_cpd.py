"""Changepoint features: a clear break is found, the batched fit matches a scipy reference, causal, resumable."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deepmomentum.features import CPDSettings, cpd_features, cpd_names
from deepmomentum.features._cpd import _fit_windows, _standardised
from deepmomentum.features._cpd_reference import reference_fit

BREAK = 60  # first row of the new regime
FAST = CPDSettings(iters_cold=40, iters_warm=10, chunk_days=10)


def _panel(n_days: int = 80, seed: int = 0) -> pd.DataFrame:
    """Asset A: calm drift-free noise, then from row BREAK a falling, 3x more volatile regime; B: no break."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.01, (n_days, 2))
    r[BREAK:, 0] = rng.normal(-0.004, 0.03, max(0, n_days - BREAK))
    return pd.DataFrame(r, index=pd.bdate_range("2020-01-01", periods=n_days), columns=["A", "B"])


@pytest.fixture(scope="module")
def break_features() -> dict[str, pd.DataFrame]:
    return cpd_features(_panel(), (21,), threads=1)


def test_break_severity_and_location(break_features: dict[str, pd.DataFrame]) -> None:
    nu, gamma = break_features["cpd_nu_21"], break_features["cpd_gamma_21"]
    assert list(break_features) == cpd_names((21,))
    assert nu.iloc[:20].isna().all().all() and nu.iloc[20:].notna().all().all()
    # Break inside the window, away from its edges: with under four days of the new regime in a
    # 21-day window the location is weakly identified (cold and warm fits alike put it elsewhere).
    after = slice(BREAK + 4, BREAK + 15)
    assert nu["A"].iloc[after].min() > 0.9
    assert nu["A"].iloc[after].mean() > nu["A"].iloc[25:BREAK].mean() + 0.05
    assert nu["A"].iloc[after].mean() > nu["B"].iloc[after].mean() + 0.05
    # The change sits between x = BREAK - (t - l) - 1 and x = BREAK - (t - l), x = 1..l.
    t = np.arange(len(nu))[after]
    expected = (BREAK - (t - 21) - 0.5) / 21
    assert np.median(np.abs(gamma["A"].iloc[after].to_numpy() - expected)) < 0.1
    assert ((gamma >= 0) & (gamma <= 1) | gamma.isna()).all().all()


@pytest.mark.parametrize("likelihood", ["dense", "kalman"])
@pytest.mark.parametrize(("row", "col"), [(BREAK + 5, 0), (BREAK + 10, 0), (40, 1)])
def test_batched_fit_matches_scipy_reference(row: int, col: int, likelihood: str) -> None:
    """Ours (one cold batched fit) is no worse than scipy with restarts + tol, and nu agrees.

    Tolerances: the fixed Adam budget stops short of the optimum by ~0.1 nat on the
    3-parameter Matérn fit (TOL_M); the 7-parameter changepoint likelihood is
    multimodal and either side may land in a worse basin, so TOL_C = 1 nat. nu is
    ``sigmoid(nlml_m32 - nlml_cpd)``, whose slope is at most 1/4, so when the two fits
    agree within the tolerances nu agrees within (TOL_M + TOL_C) / 4 ~ 0.3; we ask for
    0.05 where the evidence is decisive (a window with a break, nu near 1).
    """
    tol_m, tol_c = 0.15, 1.0
    y, ok = _standardised(_panel().to_numpy(), np.array([row]), np.array([col]), 21)
    assert ok.all()
    ref = reference_fit(y[0], restarts=4, seed=1)
    _, _, f_m, f_c = _fit_windows(
        y,
        np.zeros((1, 3)),
        np.zeros((1, 7)),
        np.zeros(1, bool),
        CPDSettings(likelihood=likelihood),  # type: ignore[arg-type]
        torch.device("cpu"),
    )
    assert f_m[0] <= ref["nlml_m32"] + tol_m
    assert f_c[0] <= ref["nlml_cpd"] + tol_c
    nu = 1.0 / (1.0 + np.exp(f_c[0] - f_m[0]))
    if col == 0:
        assert abs(nu - ref["nu"]) < 0.05
    elif f_c[0] >= ref["nlml_cpd"] - tol_c:  # ours did not find a clearly better basin
        assert abs(nu - ref["nu"]) < (tol_m + tol_c) / 4


@pytest.mark.parametrize("likelihood", ["dense", "kalman"])
def test_causal_under_truncation(likelihood: str) -> None:
    prices = _panel(50, seed=3)
    fast = CPDSettings(iters_cold=40, iters_warm=10, chunk_days=10, likelihood=likelihood)  # type: ignore[arg-type]
    full = cpd_features(prices, (10,), settings=fast, threads=1)
    cut = 37
    part = cpd_features(prices.iloc[: cut + 1], (10,), settings=fast, threads=1)
    for name, frame in part.items():
        # Up to rounding: a shorter input changes which windows share a batch, and batched kernels
        # may sum in another order (1e-16); a look-ahead would move values by far more.
        np.testing.assert_allclose(frame.to_numpy(), full[name].iloc[: cut + 1].to_numpy(), rtol=0, atol=1e-9)


def test_batch_size_does_not_change_the_values() -> None:
    """Chunks fitted side by side in one batch or one per batch give the same numbers."""
    prices = _panel(50, seed=6)
    one = cpd_features(prices, (10,), settings=FAST, threads=1)
    per_chunk = cpd_features(prices, (10,), settings=dataclasses.replace(FAST, batch_windows=1), threads=1)
    for name, frame in one.items():  # up to the batched kernels' rounding (1e-16)
        np.testing.assert_allclose(frame.to_numpy(), per_chunk[name].to_numpy(), rtol=0, atol=1e-9)


def test_missing_return_blanks_the_windows_that_hold_it() -> None:
    prices = _panel(40, seed=4)
    prices.iloc[25, 1] = np.nan
    nu = cpd_features(prices, (8,), settings=FAST, threads=1)["cpd_nu_8"]
    assert nu["B"].iloc[25:33].isna().all() and nu["B"].iloc[33:].notna().all()
    assert nu["A"].iloc[7:].notna().all()


def test_cache_resumes_from_finished_chunks(tmp_path: Path) -> None:
    prices = _panel(45, seed=5)
    one_per_batch = dataclasses.replace(FAST, batch_windows=1)  # a checkpoint after every chunk
    plain = cpd_features(prices, (8,), settings=one_per_batch, threads=1)

    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    def cached(progress: Callable[[int, int], None]) -> dict[str, pd.DataFrame]:
        return cpd_features(
            prices, (8,), settings=one_per_batch, threads=1, cache_dir=tmp_path, progress=progress
        )

    with pytest.raises(KeyboardInterrupt):
        cached(interrupt)
    (folder,) = tmp_path.iterdir()
    assert len(list(folder.glob("chunk_*.parquet"))) == 2
    calls: list[int] = []
    resumed = cached(lambda d, t: calls.append(d))
    assert calls == [3, 4, 5]  # chunks 1-2 were read back, not refitted
    for name, frame in plain.items():
        np.testing.assert_array_equal(resumed[name].to_numpy(), frame.to_numpy())
    calls.clear()
    again = cached(lambda d, t: calls.append(d))
    assert calls == [5] and again["cpd_gamma_8"].equals(plain["cpd_gamma_8"])  # all read back, bar complete


def test_new_days_reuse_the_finished_chunks(tmp_path: Path) -> None:
    """A daily update refits only the chunk that changed: chunks depend only on the returns they read."""
    prices = _panel(52, seed=7)
    first = cpd_features(prices.iloc[:45], (8,), settings=FAST, threads=1, cache_dir=tmp_path)
    calls: list[int] = []
    later = cpd_features(
        prices, (8,), settings=FAST, threads=1, cache_dir=tmp_path, progress=lambda d, t: calls.append(d)
    )
    assert calls == [6]  # chunks 0-3 (rows 0-39) read back; 40-49 (changed) and 50-51 (new) fitted together
    for name, frame in first.items():
        np.testing.assert_array_equal(later[name].iloc[:40].to_numpy(), frame.iloc[:40].to_numpy())


def test_every_fits_strided_days_and_holds_them_causally() -> None:
    prices = _panel(60, seed=8)
    strided = dataclasses.replace(FAST, every=3, chunk_days=9)
    out = cpd_features(prices, (8,), settings=strided, threads=1)
    nu = out["cpd_nu_8"]["A"].to_numpy()
    # Fitted on rows 0, 3, 6, 9, ... (chunks of 9 rows); rows 7-8 hold row 6, which has no full window.
    assert np.isnan(nu[:9]).all()
    gamma = out["cpd_gamma_8"]["A"].to_numpy()
    for fitted in range(9, 57, 3):
        assert nu[fitted + 1] == nu[fitted] == nu[fitted + 2]
        # the held changepoint moves one day further back in each later day's window
        assert gamma[fitted + 1] == pytest.approx(max(0.0, gamma[fitted] - 1 / 8))
    assert nu[9] != nu[12]
    cut = 40  # truncation leaves every value dated <= cut unchanged
    part = cpd_features(prices.iloc[: cut + 1], (8,), settings=strided, threads=1)
    np.testing.assert_allclose(
        part["cpd_nu_8"].to_numpy(), out["cpd_nu_8"].iloc[: cut + 1].to_numpy(), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("field", ["every", "chunk_days", "iters_warm", "batch_windows"])
def test_settings_refuse_a_zero_count(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        CPDSettings(**{field: 0})
