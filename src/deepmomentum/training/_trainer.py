"""Train one network on sequences: Adam, gradient clipping, early stopping on validation Sharpe."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from deepmomentum.models import build_network, embedded_assets
from deepmomentum.training._dataset import SequenceBatch
from deepmomentum.training._losses import LossSpec

__all__ = [
    "TrainParams",
    "TrainResult",
    "forward_rows",
    "load_network",
    "predict",
    "resolve_device",
    "seed_everything",
    "train_network",
]

log = logging.getLogger("deepmomentum.training")


@dataclass(frozen=True)
class TrainParams:
    """Hyperparameters of one training run (one trial).

    Parameters
    ----------
    hidden_size : int
    dropout : float
    batch_size : int
    lr : float
        Adam learning rate.
    max_grad_norm : float
        Gradient-norm clipping threshold.
    l1 : float
        L1 penalty on the linear model's weights.
    n_heads : int
        Attention heads (``tft`` only).
    max_epochs : int
    patience : int
        Epochs without a better validation Sharpe before stopping.
    """

    hidden_size: int = 10
    dropout: float = 0.1
    batch_size: int = 64
    lr: float = 1e-3
    max_grad_norm: float = 1.0
    l1: float = 0.0
    n_heads: int = 4
    max_epochs: int = 100
    patience: int = 25

    def to_dict(self) -> dict[str, Any]:
        """Parameters as a plain dict."""
        return asdict(self)


@dataclass
class TrainResult:
    """Outcome of :func:`train_network`.

    Attributes
    ----------
    state_dict : dict
        Best weights (CPU tensors), by validation Sharpe.
    val_sharpe : float
        Best validation Sharpe (annualised, net of the loss's cost).
    best_epoch : int
    epochs_run : int
    history : list of dict
        Per epoch: train loss, validation Sharpe.
    samples_per_epoch : int
        Asset-days that count in one epoch.
    pruned_epoch : int or None
        The epoch after which ``prune`` stopped training (None: not pruned).
    """

    state_dict: dict[str, torch.Tensor]
    val_sharpe: float
    best_epoch: int
    epochs_run: int
    history: list[dict[str, float]] = field(default_factory=list)
    samples_per_epoch: int = 0
    pruned_epoch: int | None = None


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a torch generator for shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(
            "--device cuda was asked for but no CUDA GPU is available; use --device auto or cpu"
        )
    if device not in ("cpu", "cuda"):
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager[Any]:
    if device.type != "cuda" or precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def optimiser_step(
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    loss: torch.Tensor,
    net: torch.nn.Module,
    max_norm: float,
) -> None:
    """One update: backward through the (possibly disabled) fp16 grad scaler, clip the norm, step."""
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm)
    scaler.step(opt)
    scaler.update()


def _tensors(batch: SequenceBatch, device: torch.device, embeds: bool = False) -> dict[str, torch.Tensor]:
    """``batch``'s arrays on ``device``; with ``embeds``, also its asset indices (``"asset"``)."""
    out = {
        "x": torch.from_numpy(batch.x).to(device),
        "scale": torch.from_numpy(batch.scale).to(device),
        "r_next": torch.from_numpy(batch.r_next).to(device),
        "norm_ret": torch.from_numpy(batch.norm_ret).to(device),
        "mask": torch.from_numpy(batch.mask).to(device),
    }
    if embeds:
        out["asset"] = torch.from_numpy(batch.asset).to(device)
    return out


def _forward(
    net: torch.nn.Module, t: dict[str, torch.Tensor], idx: torch.Tensor | None = None
) -> torch.Tensor:
    """The network's raw outputs for the rows ``idx`` of ``t`` (all rows if None).

    A network with an asset embedding gets the asset of each sequence too
    (``t`` then has ``"asset"``, see :func:`_tensors`).
    """
    x = t["x"] if idx is None else t["x"][idx]
    if "asset" not in t:
        out: torch.Tensor = net(x)
        return out
    asset = t["asset"] if idx is None else t["asset"][idx]
    out = net(x, asset)
    return out


def _build(model_name: str, n_inputs: int, params: TrainParams, n_assets: int = 0) -> torch.nn.Module:
    """The network of a trial, untrained (``n_assets > 0``: with an asset embedding)."""
    return build_network(
        model_name, n_inputs, params.hidden_size, params.dropout, params.l1,
        n_heads=params.n_heads, n_assets=n_assets,
    )  # fmt: skip


def load_network(
    model_name: str, n_inputs: int, params: TrainParams, state_dict: dict[str, torch.Tensor]
) -> torch.nn.Module:
    """A trained network from its saved weights, in eval mode on the CPU.

    Weights saved with an asset embedding give a network with one (as many assets as saved).
    """
    net = _build(model_name, n_inputs, params, embedded_assets(state_dict))
    net.load_state_dict(state_dict)
    return net.eval()


def forward_rows(
    net: torch.nn.Module, batch: SequenceBatch, lo: int, hi: int, device: torch.device
) -> torch.Tensor:
    """Raw outputs of sequences ``[lo, hi)`` of ``batch``, only those copied to ``device``.

    A network with an asset embedding gets ``batch.asset`` of the rows too.
    """
    t = {"x": torch.from_numpy(batch.x[lo:hi]).to(device)}
    if getattr(net, "asset_seen", None) is not None:
        t["asset"] = torch.from_numpy(batch.asset[lo:hi]).to(device)
    return _forward(net, t)


def _batches(n: int, size: int, gen: torch.Generator) -> Iterator[torch.Tensor]:
    order = torch.randperm(n, generator=gen)
    for i in range(0, n, size):
        yield order[i : i + size]


def _snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the network's weights."""
    return {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}


def _train_epoch(
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    loss: LossSpec,
    train: SequenceBatch,
    tr: dict[str, torch.Tensor],
    params: TrainParams,
    gen: torch.Generator,
    dev: torch.device,
    precision: str,
) -> float:
    """One pass over shuffled training batches; the mean training loss.

    ``tr`` holds ``train``'s arrays as tensors on ``dev``.
    """
    penalty = getattr(net, "penalty", None)
    net.train()
    total, count = 0.0, 0
    for idx in _batches(len(train), params.batch_size, gen):
        idx = idx.to(dev)
        mask = tr["mask"][idx]
        if not bool(mask.any()):
            continue
        with _autocast(dev, precision):
            z = _forward(net, tr, idx).float()
        value = loss(z, tr["scale"][idx], tr["r_next"][idx], tr["norm_ret"][idx], mask, train.max_weight)
        if penalty is not None:
            value = value + penalty()
        optimiser_step(opt, scaler, value, net, params.max_grad_norm)
        total += float(value.detach())
        count += 1
    return total / max(count, 1)


def train_network(
    model_name: str,
    params: TrainParams,
    loss: LossSpec,
    train: SequenceBatch,
    val: SequenceBatch,
    seed: int = 0,
    device: str = "cpu",
    precision: str = "fp32",
    on_epoch: Callable[[int, float, float], None] | None = None,
    prune: Callable[[int, float], bool] | None = None,
    n_assets: int = 0,
) -> TrainResult:
    """Train a network, stopping early on validation Sharpe and keeping the best weights.

    Parameters
    ----------
    model_name : {"lstm", "linear", "mlp", "wavenet"}
    params : TrainParams
    loss : LossSpec
    train, val : SequenceBatch
        Training and validation sequences (already purged).
    seed : int
        Seeds initialisation, dropout and shuffling: the same seed on the same
        machine gives identical weights.
    device : {"cpu", "cuda", "auto"}
    precision : {"fp32", "bf16", "fp16"}
        Mixed precision on CUDA only; ignored on CPU.
    on_epoch : callable, optional
        Called with (epoch, train_loss, val_sharpe) after each epoch.
    prune : callable, optional
        Called with (epoch, val_sharpe) after each epoch, once the best weights
        are updated; True stops training (:mod:`deepmomentum.training._pruning`).
    n_assets : int, default 0
        Assets of the panel, for a network with a learned asset embedding
        (``tft``); 0 for none. ``train.asset`` and ``val.asset`` index them.
    """
    gen = seed_everything(seed)
    dev = resolve_device(device)
    net = _build(model_name, train.x.shape[-1], params, n_assets).to(dev)
    embeds = n_assets > 0
    if embeds:
        net.mark_seen(torch.from_numpy(np.unique(train.asset)))  # type: ignore[operator]
    opt = torch.optim.Adam(net.parameters(), lr=params.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda" and precision == "fp16")
    tr = _tensors(train, dev, embeds)
    va = _tensors(val, dev, embeds)
    best_state = _snapshot(net)
    best_sharpe, best_epoch, stale = -np.inf, -1, 0
    history: list[dict[str, float]] = []
    epochs_run = 0
    pruned_epoch: int | None = None
    for epoch in range(params.max_epochs):
        train_loss = _train_epoch(net, opt, scaler, loss, train, tr, params, gen, dev, precision)
        net.eval()
        with torch.no_grad(), _autocast(dev, precision):
            z_val = _forward(net, va).float()
        sharpe = loss.validation_sharpe(z_val, va["scale"], va["r_next"], va["mask"], val.max_weight)
        epochs_run = epoch + 1
        history.append({"epoch": epoch, "train_loss": train_loss, "val_sharpe": sharpe})
        if on_epoch is not None:
            on_epoch(epoch, train_loss, sharpe)
        improved = bool(np.isfinite(sharpe) and sharpe > best_sharpe)
        if improved:
            best_sharpe, best_epoch, stale = sharpe, epoch, 0
            best_state = _snapshot(net)
        if prune is not None and prune(epoch, sharpe):
            pruned_epoch = epoch
            break
        if not improved:
            stale += 1
            if stale >= params.patience:
                break
    return TrainResult(
        state_dict=best_state,
        val_sharpe=float(best_sharpe) if np.isfinite(best_sharpe) else float("nan"),
        best_epoch=best_epoch,
        epochs_run=epochs_run,
        history=history,
        samples_per_epoch=int(train.mask.sum()),
        pruned_epoch=pruned_epoch,
    )


def predict(
    model_name: str,
    params: TrainParams,
    loss: LossSpec,
    state_dict: dict[str, torch.Tensor],
    batch: SequenceBatch,
    device: str = "cpu",
    chunk: int = 4096,
) -> np.ndarray:
    """Positions for every entry of ``batch``, shape (n_seq, seq_len), NaN where masked.

    A network saved with an asset embedding gets ``batch.asset`` too.
    """
    dev = resolve_device(device)
    net = load_network(model_name, batch.x.shape[-1], params, state_dict).to(dev)
    out = np.empty(batch.mask.shape, dtype=np.float32)
    with torch.no_grad():
        for i in range(0, len(batch), chunk):  # one chunk on the device at a time
            z = forward_rows(net, batch, i, i + chunk, dev).float()
            out[i : i + chunk] = loss.position(z).cpu().numpy()
    return np.where(batch.mask, out, np.nan)
