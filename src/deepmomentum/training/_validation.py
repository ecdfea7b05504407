"""Validation schemes of a walk-forward window: the last share, or purged and embargoed blocks.

``validation = "last"`` (the paper's) trains on days ``[0, split)`` and
validates on ``[split, test_lo)``. ``validation = "blocked"`` cuts the
window's training span into ``n_folds`` contiguous blocks; fold ``f``
validates on block ``f`` and trains on every other day of the span, except:

- **purge**: a sample whose label (dated ``t + horizon``) reaches into the
  validation block or the test window is dropped;
- **embargo**: the ``embargo`` days (the sequence length) after the block are
  not trained on, so no training sequence reads the block's inputs.

Each training segment is cut into sequences on its own
(:func:`~deepmomentum.training.training_sequences`), purged at its end.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmomentum.training._dataset import PanelArrays, SequenceBatch, training_sequences

__all__ = ["Fold", "fold_scores", "make_folds", "split_sequences", "train_segments"]


@dataclass(frozen=True)
class Fold:
    """One validation block of a window, as panel day indices.

    Attributes
    ----------
    index : int
        Fold number, 0 = the oldest block.
    val_lo, val_hi : int
        Validation days ``[val_lo, val_hi)``.
    embargo : int
        Days after ``val_hi`` that are not trained on.
    val_start, val_end : str
        First and last validation date (ISO).
    """

    index: int
    val_lo: int
    val_hi: int
    embargo: int
    val_start: str
    val_end: str


def make_folds(panel: PanelArrays, test_lo: int, n_folds: int, embargo: int) -> list[Fold]:
    """``n_folds`` contiguous blocks covering the window's training span ``[first, test_lo)``.

    ``first`` is the first day with any trainable sample (features need about
    a year of history): blocks before it would hold nothing to validate.
    Blocks have equal length in days (the last one takes the remainder).

    Parameters
    ----------
    panel : PanelArrays
    test_lo : int
        First test day of the window; the last block ends just before it.
    n_folds : int
    embargo : int
        Days after each block not trained on (the sequence length).
    """
    from deepmomentum.exceptions import DataError

    ok = np.flatnonzero(panel.label_ok[:test_lo].any(axis=1))
    if ok.size == 0 or test_lo - int(ok[0]) < n_folds:
        raise DataError(f"the span before day {test_lo} is too short for {n_folds} validation blocks")
    first = int(ok[0])
    edges = [first + (test_lo - first) * f // n_folds for f in range(n_folds + 1)]
    dates = pd.DatetimeIndex(panel.dates)
    return [
        Fold(f, lo, hi, embargo, str(dates[lo].date()), str(dates[hi - 1].date()))
        for f, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]


def train_segments(fold: Fold, test_lo: int) -> list[tuple[int, int]]:
    """Training day ranges ``[lo, hi)`` of ``fold``: before the block, and after its embargo.

    Each range is purged at its end by :func:`training_sequences`; the second
    one ends at the test window, so no training label reaches into it.
    """
    ranges = [(0, fold.val_lo), (min(fold.val_hi + fold.embargo, test_lo), test_lo)]
    return [(lo, hi) for lo, hi in ranges if hi > lo]


def _concat(batches: list[SequenceBatch], max_weight: float) -> SequenceBatch:
    """Stack the sequences of several batches (same ``seq_len``)."""
    fields = ("x", "r_next", "scale", "norm_ret", "mask", "day", "asset")
    arrays = {name: np.concatenate([getattr(b, name) for b in batches]) for name in fields}
    return SequenceBatch(**arrays, max_weight=max_weight)


def split_sequences(
    panel: PanelArrays, split: int, test_lo: int, fold: Fold | None, seq_len: int, horizon: int = 1
) -> tuple[SequenceBatch, SequenceBatch]:
    """Training and validation sequences of one task.

    Parameters
    ----------
    panel : PanelArrays
    split, test_lo : int
        The window's train/validation split (used when ``fold`` is None) and test start.
    fold : Fold or None
        None: ``validation = "last"``, train ``[0, split)``, validate ``[split, test_lo)``.
    seq_len, horizon : int
        Sequence length and label horizon, days.

    Returns
    -------
    train, val : SequenceBatch
    """
    if fold is None:
        train = training_sequences(panel, 0, split, seq_len, horizon)
        return train, training_sequences(panel, split, test_lo, seq_len, horizon)
    parts = [training_sequences(panel, lo, hi, seq_len, horizon) for lo, hi in train_segments(fold, test_lo)]
    train = _concat(parts, panel.max_weight) if len(parts) > 1 else parts[0]
    return train, training_sequences(panel, fold.val_lo, fold.val_hi, seq_len, horizon)


def fold_scores(values: dict[int | None, list[float]]) -> tuple[float, list[float]]:
    """A trial's score from its validation Sharpes, grouped by fold (None: one group).

    Each fold's score is the mean over its seeds, ignoring NaN; the trial's
    score is the mean of the finite fold scores (NaN when none is finite).

    Returns
    -------
    score : float
    per_fold : list of float
        Fold scores in fold order (NaN where no seed gave a finite Sharpe).
    """
    per_fold = []
    for key in sorted(values, key=lambda f: -1 if f is None else f):
        vals = np.asarray(values[key], dtype=float)
        per_fold.append(float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan"))
    finite = [v for v in per_fold if np.isfinite(v)]
    if not finite:
        return float("nan"), per_fold
    # one group (validation last) keeps the seed mean exactly
    return (finite[0] if len(per_fold) == 1 else float(np.mean(finite))), per_fold
