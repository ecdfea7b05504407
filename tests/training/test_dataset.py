from __future__ import annotations

import numpy as np
import pytest

from deepmomentum.features import build_features
from deepmomentum.training import build_panel, inference_sequences, training_sequences
from tests.conftest import random_prices


@pytest.fixture(scope="module")
def panel():
    return build_panel(build_features(random_prices(n_days=900, n_assets=4)))


def test_panel_shapes_and_no_nan(panel) -> None:
    assert panel.x.shape == (900, 4, 8)
    assert np.isfinite(panel.x).all() and np.isfinite(panel.r_next).all()
    assert not panel.input_ok[:300, 3].any()  # pre-inception history is invalid
    assert not panel.label_ok[-1].any()  # no next-day return on the last day


def test_lags_concatenate_past_features(panel) -> None:
    fs = build_features(random_prices(n_days=900, n_assets=4))
    lagged = build_panel(fs, lags=3)
    assert lagged.n_inputs == 24
    t, a = 600, 0
    np.testing.assert_array_equal(lagged.x[t, a, 8:16], panel.x[t - 1, a])
    np.testing.assert_array_equal(lagged.x[t, a, 16:24], panel.x[t - 2, a])


def test_training_sequences_shapes_masks_nonoverlap(panel) -> None:
    seqs = training_sequences(panel, 0, 700, seq_len=63)
    assert seqs.x.shape[1:] == (63, 8)
    assert seqs.mask.shape == seqs.day.shape == (len(seqs), 63)
    # non-overlapping: each (asset, day) appears at most once
    pairs = [(a, d) for a, row in zip(seqs.asset, seqs.day, strict=True) for d in row if d >= 0]
    assert len(pairs) == len(set(pairs))
    # masked entries are exactly the valid labelled days inside the range
    for i in range(len(seqs)):
        for j in range(63):
            d = seqs.day[i, j]
            expect = d >= 0 and d < 699 and panel.label_ok[d, seqs.asset[i]]
            assert seqs.mask[i, j] == expect
    # padding holds zeros, never data from outside the range
    assert (seqs.x[seqs.day < 0] == 0).all()
    assert (seqs.x[seqs.day >= 700] == 0).all() if (seqs.day >= 700).any() else True


@pytest.mark.parametrize("horizon", [1, 5, 21])
def test_purge_gap_holds(panel, horizon: int) -> None:
    split = 650
    train = training_sequences(panel, 0, split, seq_len=63, horizon=horizon)
    val = training_sequences(panel, split, 850, seq_len=63, horizon=horizon)
    # every training sample's label (dated t + horizon) ends before the split
    assert (train.day[train.mask] + horizon < split).all()
    assert (train.day[train.mask] + horizon == split - 1).any()  # and the purge is tight
    assert (val.day[val.mask] >= split).all()
    assert (val.day[val.mask] + horizon < 850).all()


def test_inference_sequences_cover_test_days_once_with_warmup(panel) -> None:
    seqs = inference_sequences(panel, 700, 900, seq_len=63)
    assert seqs.x.shape[1] == 126
    assert not seqs.mask[:, :63].any()  # warm-up never predicts
    covered = [(a, d) for a, row, m in zip(seqs.asset, seqs.day, seqs.mask, strict=True) for d in row[m]]
    assert len(covered) == len(set(covered))
    expected = {(a, d) for d in range(700, 900) for a in range(4) if panel.input_ok[d, a]}
    assert set(covered) == expected
    # each predicted day has at least 63 days of past inputs in its sequence
    first_pred = np.argmax(seqs.mask, axis=1)
    assert (first_pred >= 63).all()
