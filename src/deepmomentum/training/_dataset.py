"""From a price panel to training sequences, causally and without leaks.

- :class:`PanelArrays` holds, per asset-day, the network inputs (with
  optional lags), the next-day return, the vol scale and the validity masks.
- :func:`training_sequences` cuts a day range into non-overlapping
  sequences per asset; a sample is kept only if its label (dated t+h) lies
  inside the range: this is the purge that stops labels reaching across a
  split.
- :func:`inference_sequences` covers a test range with sequences that start
  ``warmup`` days earlier, so that every test day's output comes from inputs
  dated <= that day, and from at least ``warmup`` days of context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.features import FeatureSet

__all__ = ["PanelArrays", "SequenceBatch", "build_panel", "inference_sequences", "training_sequences"]


@dataclass(frozen=True)
class PanelArrays:
    """Per asset-day arrays for training and inference (numpy, picklable).

    Attributes
    ----------
    dates : np.ndarray of shape (n_days,), datetime64[ns]
    symbols : tuple of str, length n_assets
    x : np.ndarray of shape (n_days, n_assets, n_inputs), float32
        Inputs, 0 where invalid (never NaN).
    r_next : np.ndarray of shape (n_days, n_assets), float32
        Return from t to t+1, decimal; 0 where unknown.
    scale : np.ndarray of shape (n_days, n_assets), float32
        Weight per unit position, ``sigma_tgt / sigma_t`` (annualised vols).
    norm_ret : np.ndarray of shape (n_days, n_assets), float32
        ``r_next / sigma_t`` (daily vol): the MSE target.
    input_ok : np.ndarray of shape (n_days, n_assets), bool
        The inputs at t are all known: a position can be taken.
    label_ok : np.ndarray of shape (n_days, n_assets), bool
        ``input_ok`` and ``r_next`` known: usable for training.
    max_weight : float
        Cap on ``|position * scale|``, as the backtest's ``max_weight``.
    """

    dates: np.ndarray
    symbols: tuple[str, ...]
    x: np.ndarray
    r_next: np.ndarray
    scale: np.ndarray
    norm_ret: np.ndarray
    input_ok: np.ndarray
    label_ok: np.ndarray
    max_weight: float = float("inf")

    @property
    def n_inputs(self) -> int:
        """Inputs per asset-day."""
        return int(self.x.shape[-1])

    def day_index(self, date: str | pd.Timestamp) -> int:
        """Index of the first day >= ``date``."""
        return int(np.searchsorted(self.dates, np.datetime64(pd.Timestamp(date)), side="left"))


def build_panel(
    features: FeatureSet, vol_target: float = 0.15, max_weight: float = 10.0, lags: int = 1
) -> PanelArrays:
    """Stack features and targets into :class:`PanelArrays`.

    Parameters
    ----------
    features : FeatureSet
        From :func:`deepmomentum.features.build_features`.
    vol_target : float, default 0.15
        Annual vol target, decimal.
    max_weight : float, default 10
        Cap on the weight per unit position.
    lags : int, default 1
        Days of features per input: ``lags > 1`` concatenates the features of
        t, t-1, ..., t-lags+1 (for the linear and MLP models).
    """
    base = features.to_array()  # (T, N, F) with NaN
    ok = np.isfinite(base).all(axis=-1)
    parts, oks = [base], [ok]
    for k in range(1, lags):
        shifted = np.full_like(base, np.nan)
        shifted[k:] = base[:-k]
        parts.append(shifted)
        shifted_ok = np.zeros_like(ok)
        shifted_ok[k:] = ok[:-k]
        oks.append(shifted_ok)
    x = np.concatenate(parts, axis=-1)
    vol = features.daily_vol.to_numpy(dtype="float64")
    ret = features.returns.to_numpy(dtype="float64")
    r_next = np.full_like(ret, np.nan)
    r_next[:-1] = ret[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = vol_target / (vol * np.sqrt(PERIODS_PER_YEAR))
        norm_ret = r_next / vol
    input_ok = np.logical_and.reduce(oks) & np.isfinite(scale) & (vol > 0)
    label_ok = input_ok & np.isfinite(r_next)
    return PanelArrays(
        dates=features.index.to_numpy(dtype="datetime64[ns]"),
        symbols=tuple(features.symbols),
        x=np.where(input_ok[..., None], np.nan_to_num(x), 0.0).astype(np.float32),
        r_next=np.where(label_ok, np.nan_to_num(r_next), 0.0).astype(np.float32),
        scale=np.where(input_ok, np.nan_to_num(scale), 0.0).astype(np.float32),
        norm_ret=np.where(label_ok, np.nan_to_num(norm_ret), 0.0).astype(np.float32),
        input_ok=input_ok,
        label_ok=label_ok,
        max_weight=float(max_weight),
    )


@dataclass(frozen=True)
class SequenceBatch:
    """Sequences cut from a panel.

    Attributes
    ----------
    x : np.ndarray of shape (n_seq, seq_len, n_inputs), float32
    r_next, scale, norm_ret : np.ndarray of shape (n_seq, seq_len), float32
    mask : np.ndarray of shape (n_seq, seq_len), bool
        Entries that count (in the loss, or as predictions).
    day : np.ndarray of shape (n_seq, seq_len), int64
        Panel day index of each entry (-1 for padding).
    asset : np.ndarray of shape (n_seq,), int64
        Panel asset index of each sequence.
    max_weight : float
        Cap on ``|position * scale|`` (from the panel).
    """

    x: np.ndarray
    r_next: np.ndarray
    scale: np.ndarray
    norm_ret: np.ndarray
    mask: np.ndarray
    day: np.ndarray
    asset: np.ndarray
    max_weight: float = float("inf")

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _cut(
    panel: PanelArrays, starts: list[tuple[int, int]], length: int, keep: np.ndarray, limit: int
) -> SequenceBatch:
    """Sequences of ``length`` days starting at (asset, day) pairs; ``keep`` masks entries.

    Days at or after ``limit`` are padding (zeros, masked): no data from past
    the range enters a sequence.
    """
    n_days = min(panel.x.shape[0], limit)
    n = len(starts)
    f = panel.n_inputs
    x = np.zeros((n, length, f), dtype=np.float32)
    r_next = np.zeros((n, length), dtype=np.float32)
    scale = np.zeros((n, length), dtype=np.float32)
    norm_ret = np.zeros((n, length), dtype=np.float32)
    mask = np.zeros((n, length), dtype=bool)
    day = np.full((n, length), -1, dtype=np.int64)
    asset = np.zeros(n, dtype=np.int64)
    for i, (a, d0) in enumerate(starts):
        lo, hi = max(d0, 0), min(d0 + length, n_days)
        off = lo - d0
        span = slice(off, off + hi - lo)
        x[i, span] = panel.x[lo:hi, a]
        r_next[i, span] = panel.r_next[lo:hi, a]
        scale[i, span] = panel.scale[lo:hi, a]
        norm_ret[i, span] = panel.norm_ret[lo:hi, a]
        mask[i, span] = keep[lo:hi, a]
        day[i, span] = np.arange(lo, hi)
        asset[i] = a
    return SequenceBatch(x, r_next, scale, norm_ret, mask, day, asset, panel.max_weight)


def training_sequences(
    panel: PanelArrays, day_lo: int, day_hi: int, seq_len: int = 63, horizon: int = 1
) -> SequenceBatch:
    """Non-overlapping training sequences of days [day_lo, day_hi).

    A sample at day t counts only if its label is known and dated
    ``t + horizon < day_hi`` (purged at the end of the range). Sequences with
    no counting sample are dropped; the last one of each asset is padded.

    Parameters
    ----------
    panel : PanelArrays
    day_lo, day_hi : int
        Day index range of the split (``day_hi`` exclusive).
    seq_len : int, default 63
    horizon : int, default 1
        Days from a sample to the end of its label.
    """
    keep = panel.label_ok.copy()
    keep[max(day_hi - horizon, 0) :] = False
    keep[:day_lo] = False
    starts: list[tuple[int, int]] = []
    for a in range(panel.x.shape[1]):
        valid = np.flatnonzero(keep[day_lo:day_hi, a])
        if valid.size == 0:
            continue
        first = day_lo + int(valid[0])  # skip the pre-inception history
        for d0 in range(first, day_hi, seq_len):
            if keep[d0 : min(d0 + seq_len, day_hi), a].any():
                starts.append((a, d0))
    return _cut(panel, starts, seq_len, keep, limit=day_hi)


def inference_sequences(
    panel: PanelArrays, day_lo: int, day_hi: int, seq_len: int = 63, warmup: int | None = None
) -> SequenceBatch:
    """Sequences that cover days [day_lo, day_hi) for prediction.

    Each block of ``seq_len`` test days is preceded by ``warmup`` days
    (default ``seq_len``) of past inputs; only the test days are in ``mask``.
    A causal network's output at a test day therefore reads inputs dated
    <= that day only.
    """
    warmup = seq_len if warmup is None else warmup
    keep = np.zeros_like(panel.input_ok)
    keep[day_lo:day_hi] = panel.input_ok[day_lo:day_hi]
    starts: list[tuple[int, int]] = []
    for a in range(panel.x.shape[1]):
        if not keep[:, a].any():
            continue
        for b0 in range(day_lo, day_hi, seq_len):
            if keep[b0 : min(b0 + seq_len, day_hi), a].any():
                starts.append((a, b0 - warmup))
    batch = _cut(panel, starts, warmup + seq_len, keep, limit=day_hi)
    # the warm-up part never counts; the block part counts where inputs are known
    batch.mask[:, :warmup] = False
    return batch
