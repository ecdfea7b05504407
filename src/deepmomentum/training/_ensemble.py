"""A window's ensemble: the top trials' tasks (every seed and fold), their mean, their record.

The ensemble of a window is the equal-weight mean of its *members'* test
positions; a member is one trained task, identified by (trial, seed, fold).
``best.json`` and the ``models/ensemble.csv`` rows list them with their
validation scores, so a user sees what the window's positions average.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from deepmomentum._io import atomic_write_bytes, atomic_write_text
from deepmomentum.training._tasks import TrainTask

__all__ = ["ensemble_positions", "member_rows", "write_best"]


def ensemble_positions(tasks: list[TrainTask], n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """The members' test positions and their mean.

    Parameters
    ----------
    tasks : list of TrainTask
        The members, each finished (``positions.npy`` written).
    n_test : int
        Test days of the window: a task saved for a longer span (a signal at
        an earlier date) gives its first ``n_test`` rows.

    Returns
    -------
    mean : np.ndarray of shape (n_test, n_assets), float32
        Positions in [-1, 1], NaN where no member has one.
    stack : np.ndarray of shape (n_members, n_test, n_assets), float32
    """
    stack = np.stack([np.load(t.folder / "positions.npy")[:n_test] for t in tasks])
    if len(stack) == 1:
        return stack[0], stack
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells: no member has a position
        return np.nanmean(stack, axis=0), stack


def member_rows(tasks: list[TrainTask], scores: dict[int, float]) -> list[dict[str, Any]]:
    """One record per member: identity, its own validation Sharpe, its trial's score, its weight.

    Parameters
    ----------
    tasks : list of TrainTask
        The members in ensemble order (trial rank, then seed, then fold).
    scores : dict of int to float
        Each trial's score (mean validation Sharpe over its seeds and folds).
    """
    rows = []
    for t in tasks:
        res = json.loads((t.folder / "result.json").read_text())
        rows.append(
            {
                "trial": t.trial,
                "seed": t.seed,
                "fold": None if t.fold is None else t.fold.index,
                "val_sharpe": res.get("val_sharpe"),
                "trial_val_sharpe": scores[t.trial] if np.isfinite(scores[t.trial]) else None,
                "best_epoch": res.get("best_epoch"),
                "weight": 1.0 / len(tasks),
                "folder": t.folder.name,
            }
        )
    return rows


def write_best(
    wdir: Any, best_task: TrainTask, info: dict[str, Any], members: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write ``best.pt`` (the best trial's first member's weights) and ``best.json``.

    Parameters
    ----------
    wdir : Path
        ``models/<variant>/window-XX``.
    best_task : TrainTask
        The first member of the best trial.
    info : dict
        The window's record (spans, best trial, its score and parameters).
    members : list of dict
        From :func:`member_rows`.

    Returns
    -------
    dict
        ``info`` with the members added, as written.
    """
    atomic_write_bytes(wdir / "best.pt", (best_task.folder / "model.pt").read_bytes())
    record = {**info, "members": members}
    atomic_write_text(wdir / "best.json", json.dumps(record, indent=1))
    return record
