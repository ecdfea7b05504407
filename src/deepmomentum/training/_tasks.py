"""One training task (window x trial x seed): train, predict the test window, save."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deepmomentum._io import atomic_write_bytes, atomic_write_text
from deepmomentum.training._dataset import PanelArrays, inference_sequences
from deepmomentum.training._losses import LossSpec
from deepmomentum.training._pruning import Pruning, stopper
from deepmomentum.training._trainer import TrainParams, predict, train_network
from deepmomentum.training._validation import Fold, split_sequences

__all__ = ["TrainTask", "Window", "run_task"]


@dataclass(frozen=True)
class Window:
    """One walk-forward window, as panel day indices.

    Training uses days [0, split), validation [split, test_lo) (both purged
    at their ends), and the model predicts days [test_lo, test_hi). With
    blocked validation the task's :class:`Fold` sets the split instead.
    """

    index: int
    split: int
    test_lo: int
    test_hi: int
    train_start: str
    val_start: str
    test_start: str
    test_end: str


@dataclass(frozen=True)
class TrainTask:
    """Everything one training job needs besides the data panel (picklable).

    ``fold`` is None with ``validation = "last"``; else the validation block
    this task holds out (:mod:`deepmomentum.training._validation`).
    ``pruning`` is None unless ``training.pruner`` is set
    (:mod:`deepmomentum.training._pruning`). ``asset_embedding`` gives the
    network a learned embedding of the panel's assets (``tft`` only).
    """

    variant: str
    model: str
    loss: LossSpec
    window: Window
    trial: int
    seed: int
    params: TrainParams
    seq_len: int
    device: str
    precision: str
    run_dir: str
    fold: Fold | None = None
    pruning: Pruning | None = None
    asset_embedding: bool = False

    @property
    def folder(self) -> Path:
        """Where the task's files go: ``models/<variant>/window-XX/trial-YYY[-fold-F]-seed-S``."""
        fold = "" if self.fold is None else f"-fold-{self.fold.index}"
        return (
            Path(self.run_dir)
            / "models"
            / self.variant
            / f"window-{self.window.index:02d}"
            / f"trial-{self.trial:03d}{fold}-seed-{self.seed}"
        )


def _done(folder: Path) -> dict[str, Any] | None:
    marker = folder / "result.json"
    if not marker.is_file():
        return None
    try:
        result: dict[str, Any] = json.loads(marker.read_text())
    except json.JSONDecodeError:
        return None  # written atomically, so this only happens if edited by hand: retrain
    if not (folder / "positions.npy").is_file():
        return None
    return result


def save_npy(path: Path, array: np.ndarray) -> None:
    """``np.save`` through :func:`atomic_write_bytes`: a reader never sees a half-written file."""
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    atomic_write_bytes(path, buf.getvalue())


def rows_to_extend(path: Path, n_assets: int, n_days: int) -> np.ndarray | None:
    """A finished task's saved test-span rows when the span has gained days (new data), else None.

    Parameters
    ----------
    path : Path
        ``positions.npy`` or ``predictions.npy``, first axis the test days, second the assets.
    n_assets, n_days : int
        The panel's assets and the test span's days now.

    Raises
    ------
    DataError
        The rows are for another number of assets: the universe changed.
    """
    stored = np.load(path)
    if stored.shape[1] != n_assets:
        from deepmomentum.exceptions import DataError

        raise DataError(
            f"{path.parent} predicts {stored.shape[1]} assets, the data has {n_assets}; "
            "the universe changed: start a new run"
        )
    return stored if len(stored) < n_days else None


def _extend_positions(task: TrainTask, panel: PanelArrays) -> bool:
    """Predict the days a finished task's test span gained (new data); True if it did.

    The model is the same (its training days are unchanged); it predicts the whole
    span as a fresh run would, and the saved rows are kept for the days they cover.
    """
    w = task.window
    stored = rows_to_extend(task.folder / "positions.npy", panel.x.shape[1], w.test_hi - w.test_lo)
    if stored is None:
        return False
    state = torch.load(task.folder / "model.pt", map_location="cpu", weights_only=True)
    test = inference_sequences(panel, w.test_lo, w.test_hi, task.seq_len)
    pos_seq = predict(task.model, task.params, task.loss, state, test, task.device)
    positions = np.full((w.test_hi - w.test_lo, panel.x.shape[1]), np.nan, dtype=np.float32)
    sel = test.mask
    assets = np.broadcast_to(test.asset[:, None], sel.shape)[sel]
    positions[test.day[sel] - w.test_lo, assets] = pos_seq[sel]
    positions[: len(stored)] = stored
    save_npy(task.folder / "positions.npy", positions)
    return True


def run_task(
    task: TrainTask,
    panel: PanelArrays,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> dict[str, Any]:
    """Train (or reuse) one task and write its results.

    Writes ``model.pt``, ``positions.npy`` (test days x assets, NaN where no
    position) and, last, ``result.json``: a task whose ``result.json`` exists is
    complete and is never retrained. A pruned task is complete too: its
    ``result.json`` says ``pruned`` and the epoch (``pruned_epoch``).
    """
    folder = task.folder
    done = _done(folder)
    if done is not None:
        extended = _extend_positions(task, panel)
        return {**done, "reused": True, "extended": extended}
    t0 = time.perf_counter()
    w = task.window
    train, val = split_sequences(panel, w.split, w.test_lo, task.fold, task.seq_len)
    if len(train) == 0 or len(val) == 0:
        from deepmomentum.exceptions import DataError

        fold = "" if task.fold is None else f" fold {task.fold.index}"
        raise DataError(
            f"window {w.index}{fold} ({w.train_start} to {w.test_start}) has no training or validation "
            "data; move first_test_year later or use fewer n_folds"
        )
    # One CPU thread per task, whatever the executor: float reductions then run in the same
    # order in a serial run, a joblib worker or a Ray worker, so results are bit-identical.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res = train_network(
            task.model, task.params, task.loss, train, val, task.seed, task.device, task.precision, on_epoch,
            prune=None if task.pruning is None else stopper(task.pruning),
            n_assets=panel.x.shape[1] if task.asset_embedding else 0,
        )  # fmt: skip
        test = inference_sequences(panel, w.test_lo, w.test_hi, task.seq_len)
        pos_seq = predict(task.model, task.params, task.loss, res.state_dict, test, task.device)
    finally:
        torch.set_num_threads(threads)
    positions = np.full((w.test_hi - w.test_lo, panel.x.shape[1]), np.nan, dtype=np.float32)
    sel = test.mask
    days = test.day[sel] - w.test_lo
    assets = np.broadcast_to(test.asset[:, None], sel.shape)[sel]
    positions[days, assets] = pos_seq[sel]
    elapsed = time.perf_counter() - t0
    folder.mkdir(parents=True, exist_ok=True)
    import io

    buf = io.BytesIO()
    torch.save(res.state_dict, buf)
    atomic_write_bytes(folder / "model.pt", buf.getvalue())
    save_npy(folder / "positions.npy", positions)
    result = {
        "variant": task.variant,
        "window": w.index,
        "trial": task.trial,
        "seed": task.seed,
        "fold": None if task.fold is None else task.fold.index,
        "params": task.params.to_dict(),
        "val_sharpe": res.val_sharpe if np.isfinite(res.val_sharpe) else None,
        "best_epoch": res.best_epoch,
        "epochs_run": res.epochs_run,
        "pruned": res.pruned_epoch is not None,
        "pruned_epoch": res.pruned_epoch,
        "train_samples": res.samples_per_epoch,
        "elapsed_s": round(elapsed, 3),
        "history": res.history,
    }
    atomic_write_text(folder / "result.json", json.dumps(result, indent=1))
    return {**result, "reused": False}
