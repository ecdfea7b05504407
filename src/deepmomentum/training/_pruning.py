"""Pruning: stop a task whose validation curve trails the window's earlier trials.

With ``training.pruner`` set, a task reports its *running best* validation
Sharpe after every epoch (the score it would have if stopped there, since
early stopping keeps the best weights) and is stopped when the rule says so:

``median``
    Optuna's :class:`~optuna.pruners.MedianPruner`: from epoch index
    ``pruner_warmup`` on, stop when the running best is below the median of
    the reference tasks' running best at the same epoch.
``halving``
    Optuna's :class:`~optuna.pruners.SuccessiveHalvingPruner` (min_resource
    ``max(pruner_warmup, 1)``, reduction factor 3): at rung epochs
    ``min_resource * 3**k``, continue only in the top third of the running
    bests reached there.

The reference of a task is fixed when the task is made, in the main process:
the finished tasks of the same window, fold and variant with a *lower slot
number* (workers never talk to the study). The rules are pure functions of
those curves, so the decision is deterministic: with ``jobs = 1`` every lower
slot has finished; with ``jobs > 1`` a batch's slots do not see each other.
Like Optuna, ``median`` compares against completed (unpruned) tasks only,
``halving`` against every task that reached the rung. ``pruner_startup``
keeps both rules off until that many reference tasks exist.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from deepmomentum.config import TrainingConfig
    from deepmomentum.training._tasks import TrainTask

__all__ = [
    "PRUNED",
    "REDUCTION_FACTOR",
    "Pruning",
    "halving_prune",
    "median_prune",
    "rank_slots",
    "reference_curves",
    "running_best",
    "slot_epochs",
    "stopper",
    "with_reference",
]

PRUNED = "dm_pruned"  # user attribute of a trial one of whose tasks was pruned
REDUCTION_FACTOR = 3  # Optuna's SuccessiveHalvingPruner default

Curve = tuple[float, ...]


@dataclass(frozen=True)
class Pruning:
    """A task's pruning rule and its reference curves (picklable).

    Attributes
    ----------
    rule : {"median", "halving"}
    warmup : int
        Epoch index from which ``median`` may stop (``halving``: first rung).
    startup : int
        Reference tasks needed before any pruning.
    reference : tuple of (curve, pruned)
        Running-best validation Sharpe per epoch of each earlier finished task,
        and whether that task was pruned.
    """

    rule: str
    warmup: int
    startup: int
    reference: tuple[tuple[Curve, bool], ...] = ()


def running_best(values: Sequence[float]) -> list[float]:
    """The best finite value so far at each step (NaN before the first finite one)."""
    out: list[float] = []
    best = math.nan
    for v in values:
        if v is not None and np.isfinite(v) and not best >= v:
            best = float(v)
        out.append(best)
    return out


def median_prune(
    curve: Sequence[float], reference: Sequence[Sequence[float]], warmup: int, startup: int
) -> bool:
    """Optuna's MedianPruner decision after the last reported step of ``curve``.

    Parameters
    ----------
    curve : sequence of float
        The task's reported values, one per epoch (steps 0, 1, ...).
    reference : sequence of sequences
        The completed tasks' reported values.
    warmup, startup : int
        ``n_warmup_steps`` and ``n_startup_trials``.
    """
    step = len(curve) - 1
    if step < 0 or not reference or len(reference) < startup or step < warmup:
        return False
    values = np.asarray(curve, dtype=float)
    if np.isnan(values).all():
        return True  # nothing finite after the warm-up: hopeless
    at = np.asarray([r[step] for r in reference if len(r) > step], dtype=float)
    if at.size == 0 or np.isnan(at).all():
        return False
    return bool(np.nanmax(values) < np.nanpercentile(at, 50))


def halving_prune(
    curve: Sequence[float],
    reference: Sequence[Sequence[float]],
    min_resource: int,
    eta: int = REDUCTION_FACTOR,
) -> bool:
    """Optuna's SuccessiveHalvingPruner decision after the last step of ``curve`` (reported every step).

    A rung is the step ``min_resource * eta**k``; there the value competes with
    the reference tasks' finite values at that step and is kept only in the
    top ``1 / eta`` (the best, while fewer than ``eta`` compete).
    """
    step = len(curve) - 1
    rung_step = min_resource
    while rung_step < step:
        rung_step *= eta
    if rung_step != step:
        return False
    value = float(curve[step])
    if math.isnan(value):
        return True
    competing = sorted(
        [float(r[step]) for r in reference if len(r) > step and np.isfinite(r[step])] + [value]
    )
    idx = max(len(competing) // eta - 1, 0)
    return value < competing[-(idx + 1)]


def stopper(p: Pruning) -> Callable[[int, float], bool]:
    """A per-epoch callback ``(epoch, val_sharpe) -> stop?`` applying ``p``'s rule."""
    curve: list[float] = []
    complete = [c for c, pruned in p.reference if not pruned]
    everyone = [c for c, _ in p.reference]

    def should_stop(epoch: int, val_sharpe: float) -> bool:
        curve.append(running_best([curve[-1] if curve else math.nan, val_sharpe])[-1])
        if len(p.reference) < p.startup:
            return False
        if p.rule == "median":
            return median_prune(curve, complete, p.warmup, p.startup)
        return halving_prune(curve, everyone, max(p.warmup, 1))

    return should_stop


def _result(folder: Path) -> dict[str, Any] | None:
    try:
        out: dict[str, Any] = json.loads((folder / "result.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return out


def reference_curves(folders: Sequence[Path]) -> tuple[tuple[Curve, bool], ...]:
    """The running-best curves (and pruned flags) of the finished tasks among ``folders``."""
    out = []
    for folder in folders:
        res = _result(folder)
        if res is None:
            continue
        values = [h.get("val_sharpe") for h in res.get("history", [])]
        out.append(
            (
                tuple(running_best([math.nan if v is None else float(v) for v in values])),
                bool(res.get("pruned")),
            )
        )
    return tuple(out)


def with_reference(task: TrainTask, training: TrainingConfig, earlier: Sequence[TrainTask]) -> TrainTask:
    """``task`` with its pruning rule and reference set (the finished ones of ``earlier``).

    Unchanged with ``pruner = "none"`` or when the task has finished (it is read back).
    """
    if training.pruner == "none" or (task.folder / "result.json").is_file():
        return task
    ref = reference_curves([t.folder for t in earlier])
    return replace(
        task, pruning=Pruning(training.pruner, training.pruner_warmup, training.pruner_startup, ref)
    )


def rank_slots(scores: dict[int, float], pruned: dict[int, bool]) -> list[int]:
    """Slots best first: completed by score, then pruned by score, then those without a finite score.

    A pruned slot's score is a partly trained network's, so it never outranks a
    completed one (Optuna's ``best_trial`` ignores PRUNED trials). Ties: lower slot first.
    """

    def key(n: int) -> tuple[bool, bool, float, int]:
        finite = bool(np.isfinite(scores[n]))
        return (not finite, pruned.get(n, False), -scores[n] if finite else 0.0, n)

    return sorted(scores, key=key)


def slot_epochs(tasks: Sequence[TrainTask]) -> dict[int, float]:
    """Epochs trained per slot, summed over its tasks (NaN where a result is missing)."""
    out: dict[int, float] = {}
    for t in tasks:
        res = _result(t.folder)
        epochs = math.nan if res is None else float(res.get("epochs_run", math.nan))
        out[t.trial] = out.get(t.trial, 0.0) + epochs
    return out
