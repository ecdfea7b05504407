"""Walk-forward training of the two-head trend model (BiLSTM-attention).

Same machinery as the DMN walk-forward: expanding windows from
:func:`make_windows`, a time-ordered validation split, labels purged at every
split (a sample at t counts only if its forward h-day label ends before the
split: ``t + h < day_hi``, as in :func:`training_sequences`), seeds from
:func:`seed_everything`, tasks run through an :class:`Executor`, and each
task writes ``result.json`` last so that a rerun reads finished tasks back.

Unlike the DMN's sequence-to-sequence LSTM, each sample here is one window
``[t-L+1, t]`` of one asset and gives one output for day t.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from deepmomentum._io import atomic_write_bytes, atomic_write_text
from deepmomentum.config import TrainingConfig
from deepmomentum.features import FeatureSet
from deepmomentum.training._dataset import PanelArrays, build_panel
from deepmomentum.training._executor import Executor
from deepmomentum.training._tasks import Window, rows_to_extend, save_npy
from deepmomentum.training._trainer import _autocast, optimiser_step, resolve_device, seed_everything
from deepmomentum.training._walkforward import make_windows

__all__ = [
    "TrendParams",
    "TrendTask",
    "TrendWalkForward",
    "run_trend_task",
    "trend_panel",
    "trend_samples",
    "trend_walk_forward",
]

MAG_CLIP = 4.0


@dataclass(frozen=True)
class TrendParams:
    """Hyperparameters of the trend model and its training.

    Parameters
    ----------
    hidden_sizes : tuple of int
    dropout, batch_size, lr, max_grad_norm, max_epochs, patience
        Training settings (early stopping on the validation loss).
    lookback : int
        Input window L, days.
    horizon : int
        Forward horizon h of the labels, days.
    magnitude_weight : float
        Weight of the Huber magnitude loss next to the direction BCE.
    train_stride : int
        Days between an asset's training samples.
    max_train_samples : int or None
        Keep only the latest samples (by day) beyond this count.
    """

    hidden_sizes: tuple[int, ...] = (64, 32, 16)
    dropout: float = 0.2
    batch_size: int = 64
    lr: float = 1e-3
    max_grad_norm: float = 1.0
    max_epochs: int = 50
    patience: int = 10
    lookback: int = 20
    horizon: int = 21
    magnitude_weight: float = 1.0
    train_stride: int = 1
    max_train_samples: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Parameters as a plain dict."""
        return asdict(self)


def trend_panel(features: FeatureSet, horizon: int) -> PanelArrays:
    """A :class:`PanelArrays` whose ``norm_ret`` is the forward h-day vol-normalised return.

    ``norm_ret[t] = (p_{t+h} / p_t - 1) / (sigma_t sqrt(h))``; ``label_ok``
    requires every return up to t+h to be known. ``r_next`` stays the next-day return.
    """
    base = build_panel(features)
    ret = features.returns.to_numpy(dtype="float64")
    vol = features.daily_vol.to_numpy(dtype="float64")
    logr = np.log1p(ret)
    known = np.isfinite(logr)
    csum = np.vstack([np.zeros((1, ret.shape[1])), np.cumsum(np.nan_to_num(logr), axis=0)])
    ccount = np.vstack([np.zeros((1, ret.shape[1])), np.cumsum(known, axis=0)])
    n = ret.shape[0]
    fwd = np.full_like(ret, np.nan)
    complete = np.zeros_like(known)
    if n > horizon:
        # sum of log returns over days t+1..t+h
        fwd[:-horizon] = np.expm1(csum[horizon + 1 :] - csum[1 : n - horizon + 1])
        complete[:-horizon] = (ccount[horizon + 1 :] - ccount[1 : n - horizon + 1]) == horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        target = fwd / (vol * np.sqrt(horizon))
    label_ok = base.input_ok & complete & np.isfinite(target)
    return dataclasses.replace(
        base,
        norm_ret=np.where(label_ok, np.nan_to_num(target), 0.0).astype(np.float32),
        label_ok=label_ok,
    )


def trend_samples(
    panel: PanelArrays,
    day_lo: int,
    day_hi: int,
    lookback: int,
    horizon: int | None = None,
    stride: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(day, asset) of the samples of days [day_lo, day_hi).

    With ``horizon`` (training, validation): labelled samples whose label ends
    before ``day_hi`` (``t + horizon < day_hi``: the purge). Without it
    (inference): every day with known inputs. Either way the input window
    ``[t-L+1, t]`` must start with known inputs.

    Returns
    -------
    days, assets : np.ndarray of shape (n_samples,), int64
    """
    ok = panel.label_ok.copy() if horizon is not None else panel.input_ok.copy()
    if horizon is not None:
        ok[max(day_hi - horizon, 0) :] = False
    ok[:day_lo] = False
    ok[day_hi:] = False
    ok[: lookback - 1] = False
    first = np.zeros_like(ok)
    first[lookback - 1 :] = panel.input_ok[: panel.input_ok.shape[0] - lookback + 1]
    ok &= first
    if stride > 1:
        rows = np.arange(ok.shape[0])
        ok &= ((rows - day_lo) % stride == 0)[:, None]
    days, assets = np.nonzero(ok)
    return days.astype(np.int64), assets.astype(np.int64)


def _gather(x: torch.Tensor, days: torch.Tensor, assets: torch.Tensor, lookback: int) -> torch.Tensor:
    offsets = torch.arange(-lookback + 1, 1, device=x.device)
    idx = days[:, None] + offsets[None, :]
    return x[idx, assets[:, None]]


def _losses(
    net: torch.nn.Module, xb: torch.Tensor, target: torch.Tensor, mag_w: float
) -> tuple[torch.Tensor, torch.Tensor]:
    logit, mag, _ = net(xb)
    direction = (target > 0).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logit.float(), direction)
    huber = torch.nn.functional.smooth_l1_loss(mag.float(), target.clamp(-MAG_CLIP, MAG_CLIP))
    return bce + mag_w * huber, (torch.sigmoid(logit.float()) > 0.5).float().eq(direction).float().mean()


def _train(
    params: TrendParams,
    panel: PanelArrays,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    seed: int,
    device: str,
    precision: str,
) -> dict[str, Any]:
    from deepmomentum.models import TrendNet

    gen = seed_everything(seed)
    dev = resolve_device(device)
    x = torch.from_numpy(np.array(panel.x)).to(dev)  # copy: joblib memmaps are read-only
    y = torch.from_numpy(np.array(panel.norm_ret)).to(dev)
    net = TrendNet(panel.n_inputs, params.hidden_sizes, params.dropout).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=params.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda" and precision == "fp16")
    td, ta = (torch.from_numpy(a).to(dev) for a in train)
    vd, va = (torch.from_numpy(a).to(dev) for a in val)
    best_state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    best, best_epoch, stale, history = np.inf, -1, 0, []
    for epoch in range(params.max_epochs):
        net.train()
        total, count = 0.0, 0
        order = torch.randperm(len(td), generator=gen).to(dev)
        for i in range(0, len(order), params.batch_size):
            b = order[i : i + params.batch_size]
            with _autocast(dev, precision):
                loss, _ = _losses(
                    net, _gather(x, td[b], ta[b], params.lookback), y[td[b], ta[b]], params.magnitude_weight
                )
            optimiser_step(opt, scaler, loss, net, params.max_grad_norm)
            total += float(loss.detach())
            count += 1
        net.eval()
        v_loss, v_acc, n_val = 0.0, 0.0, 0
        with torch.no_grad(), _autocast(dev, precision):
            for i in range(0, len(vd), 4096):
                d, a = vd[i : i + 4096], va[i : i + 4096]
                loss, acc = _losses(net, _gather(x, d, a, params.lookback), y[d, a], params.magnitude_weight)
                v_loss += float(loss) * len(d)
                v_acc += float(acc) * len(d)
                n_val += len(d)
        v_loss /= max(n_val, 1)
        v_acc /= max(n_val, 1)
        history.append(
            {"epoch": epoch, "train_loss": total / max(count, 1), "val_loss": v_loss, "val_acc": v_acc}
        )
        if v_loss < best - 1e-6:
            best, best_epoch, stale = v_loss, epoch, 0
            best_state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        else:
            stale += 1
            if stale >= params.patience:
                break
    return {"state": best_state, "val_loss": best, "best_epoch": best_epoch, "history": history}


def _predict(
    params: TrendParams,
    panel: PanelArrays,
    state: dict[str, torch.Tensor],
    days: np.ndarray,
    assets: np.ndarray,
    device: str,
) -> tuple[np.ndarray, np.ndarray]:
    from deepmomentum.models import TrendNet

    dev = resolve_device(device)
    net = TrendNet(panel.n_inputs, params.hidden_sizes, params.dropout)
    net.load_state_dict(state)
    net.to(dev).eval()
    x = torch.from_numpy(np.array(panel.x)).to(dev)
    prob = np.empty(len(days), dtype=np.float32)
    mag = np.empty(len(days), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, len(days), 4096):
            d = torch.from_numpy(days[i : i + 4096]).to(dev)
            a = torch.from_numpy(assets[i : i + 4096]).to(dev)
            logit, m, _ = net(_gather(x, d, a, params.lookback))
            prob[i : i + 4096] = torch.sigmoid(logit.float()).cpu().numpy()
            mag[i : i + 4096] = m.float().cpu().numpy()
    return prob, mag


@dataclass(frozen=True)
class TrendTask:
    """One (window, seed) training job; picklable for the executors."""

    window: Window
    seed: int
    params: TrendParams
    device: str
    precision: str
    run_dir: str
    name: str = "trend"

    @property
    def folder(self) -> Path:
        """``models/<name>/window-XX/seed-S``."""
        return (
            Path(self.run_dir)
            / "models"
            / self.name
            / f"window-{self.window.index:02d}"
            / f"seed-{self.seed}"
        )


def _extend_predictions(task: TrendTask, panel: PanelArrays) -> bool:
    """Predict the days a finished task's test span gained (new data); True if it did.

    Each prediction reads its own input window only, so the saved rows stay as they are.
    """
    w, p = task.window, task.params
    stored = rows_to_extend(task.folder / "predictions.npy", panel.x.shape[1], w.test_hi - w.test_lo)
    if stored is None:
        return False
    state = torch.load(task.folder / "model.pt", map_location="cpu", weights_only=True)
    days, assets = trend_samples(panel, w.test_lo + len(stored), w.test_hi, p.lookback)
    prob, mag = _predict(p, panel, state, days, assets, task.device)
    pred = np.full((w.test_hi - w.test_lo, panel.x.shape[1], 2), np.nan, dtype=np.float32)
    pred[: len(stored)] = stored
    pred[days - w.test_lo, assets, 0] = prob
    pred[days - w.test_lo, assets, 1] = mag
    save_npy(task.folder / "predictions.npy", pred)
    return True


def run_trend_task(task: TrendTask, panel: PanelArrays) -> dict[str, Any]:
    """Train (or reuse) one task; writes ``model.pt``, ``predictions.npy`` and, last, ``result.json``.

    ``predictions.npy`` has shape (test_days, n_assets, 2): probability and
    magnitude, NaN where no prediction.
    """
    folder = task.folder
    marker = folder / "result.json"
    if marker.is_file() and (folder / "predictions.npy").is_file():
        try:
            done = json.loads(marker.read_text())
        except json.JSONDecodeError:
            done = None
        if done is not None:
            return {**done, "reused": True, "extended": _extend_predictions(task, panel)}
    t0 = time.perf_counter()
    w, p = task.window, task.params
    train = trend_samples(panel, 0, w.split, p.lookback, p.horizon, p.train_stride)
    val = trend_samples(panel, w.split, w.test_lo, p.lookback, p.horizon, 1)
    if p.max_train_samples is not None and len(train[0]) > p.max_train_samples:
        keep = np.argsort(train[0], kind="stable")[-p.max_train_samples :]
        train = (train[0][keep], train[1][keep])
    if len(train[0]) == 0 or len(val[0]) == 0:
        from deepmomentum.exceptions import DataError

        raise DataError(
            f"window {w.index} ({w.train_start} to {w.test_start}) has no training or validation "
            "sample; move first_test_year later"
        )
    res = _train(p, panel, train, val, task.seed, task.device, task.precision)
    days, assets = trend_samples(panel, w.test_lo, w.test_hi, p.lookback)
    prob, mag = _predict(p, panel, res["state"], days, assets, task.device)
    pred = np.full((w.test_hi - w.test_lo, panel.x.shape[1], 2), np.nan, dtype=np.float32)
    pred[days - w.test_lo, assets, 0] = prob
    pred[days - w.test_lo, assets, 1] = mag
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save(res["state"], buf)
    atomic_write_bytes(folder / "model.pt", buf.getvalue())
    save_npy(folder / "predictions.npy", pred)
    result = {
        "window": w.index,
        "seed": task.seed,
        "params": p.to_dict(),
        "train_start": w.train_start,
        "val_start": w.val_start,
        "test_start": w.test_start,
        "test_end": w.test_end,
        "val_loss": res["val_loss"] if np.isfinite(res["val_loss"]) else None,
        "val_acc": res["history"][res["best_epoch"]]["val_acc"] if res["best_epoch"] >= 0 else None,
        "best_epoch": res["best_epoch"],
        "epochs_run": len(res["history"]),
        "train_samples": len(train[0]),
        "val_samples": len(val[0]),
        "elapsed_s": round(time.perf_counter() - t0, 3),
        "history": res["history"],
    }
    atomic_write_text(folder / "result.json", json.dumps(result, indent=1))
    return {**result, "reused": False}


@dataclass
class TrendWalkForward:
    """Stitched out-of-sample predictions of the trend model.

    Attributes
    ----------
    probability, magnitude : pd.DataFrame of shape (n_days, n_assets)
        Averaged over seeds; NaN outside the test windows.
    windows : pd.DataFrame
        One row per (window, seed): dates, validation loss and accuracy, epochs.
    trained, reused : int
    extended : int
        Reused tasks whose test span grew (new data): their model predicted the new days.
    """

    probability: pd.DataFrame
    magnitude: pd.DataFrame
    windows: pd.DataFrame
    trained: int = 0
    reused: int = 0
    extended: int = 0


def _seed(seed: int, *parts: object) -> int:
    text = ":".join(str(p) for p in (seed, *parts))
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 2**31


def _seed_mean(tasks: list[TrendTask], n_seeds: int, n_days: int, n_assets: int) -> np.ndarray:
    """Seed-mean of the saved test predictions, shape (n_days, n_assets, 2); NaN outside the windows."""
    stack = np.full((n_seeds, n_days, n_assets, 2), np.nan, dtype=np.float32)
    for t in tasks:
        k = [x.seed for x in tasks if x.window.index == t.window.index].index(t.seed)
        pred = np.load(t.folder / "predictions.npy")[: t.window.test_hi - t.window.test_lo]
        stack[k, t.window.test_lo : t.window.test_hi] = pred
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(stack, axis=0)


def trend_walk_forward(
    panel: PanelArrays,
    params: TrendParams,
    training: TrainingConfig,
    run_dir: str | Path,
    seed: int,
    executor: Executor,
    n_seeds: int = 1,
    progress: Callable[..., None] | None = None,
    max_windows: int | None = None,
) -> TrendWalkForward:
    """Train every (window, seed) and stitch the test-window predictions.

    Parameters
    ----------
    panel : PanelArrays
        From :func:`trend_panel` with ``params.horizon``.
    params : TrendParams
    training : TrainingConfig
        Windows (``first_test_year``, ``retrain_years``, ``val_fraction``,
        ``last_test_year``), ``device``, ``precision``.
    run_dir : path
    seed : int
    executor : Executor
    n_seeds : int, default 1
    progress : callable, optional
        ``progress(event, **info)`` with events ``window`` and ``task``.
    max_windows : int, optional
        See :func:`make_windows`.
    """
    notify = progress or (lambda *a, **k: None)
    windows = make_windows(
        panel.dates,
        training.first_test_year,
        training.retrain_years,
        training.val_fraction,
        training.last_test_year,
        max_windows,
    )
    tasks = [
        TrendTask(
            w, _seed(seed, "trend", w.index, k), params, training.device, training.precision, str(run_dir)
        )
        for w in windows
        for k in range(n_seeds)
    ]
    n_days, n_assets = panel.x.shape[:2]
    rows: list[dict[str, Any]] = []
    trained = reused = extended = 0
    notify("window", variant="trend", window=0, n_windows=len(windows), n_tasks=len(tasks))
    results: Iterator[dict[str, Any]]
    if getattr(executor, "jobs", 1) <= 1:
        results = (run_trend_task(t, panel) for t in tasks)
    else:
        results = executor.map(run_trend_task, tasks, panel)
    for res in results:
        reused += bool(res["reused"])
        extended += bool(res.get("extended"))
        trained += not res["reused"]
        drop = ("history", "params", "reused", "extended")
        rows.append({k: v for k, v in res.items() if k not in drop})
        notify("task", variant="trend", window=res["window"], trial=0, val_sharpe=None, reused=res["reused"])
    mean = _seed_mean(tasks, n_seeds, n_days, n_assets)
    index = pd.DatetimeIndex(panel.dates, name="date")
    cols = list(panel.symbols)
    frame = pd.DataFrame(rows).sort_values(["window", "seed"]).reset_index(drop=True)
    frame["test_end"] = frame["window"].map({w.index: w.test_end for w in windows})  # extended spans
    return TrendWalkForward(
        probability=pd.DataFrame(mean[..., 0].astype("float64"), index=index, columns=cols),
        magnitude=pd.DataFrame(mean[..., 1].astype("float64"), index=index, columns=cols),
        windows=frame,
        trained=trained,
        reused=reused,
        extended=extended,
    )
