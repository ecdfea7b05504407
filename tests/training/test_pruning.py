"""Pruning: the rules against Optuna's pruners, and in the walk-forward (fewer epochs, resume, none unchanged)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import optuna
import pytest

from deepmomentum.config import TrainingConfig
from deepmomentum.training import SerialExecutor, walk_forward
from deepmomentum.training._pruning import Pruning, halving_prune, median_prune, running_best, stopper
from tests.training.test_walkforward import LSTM, TRAINING, _panel


def _run_ours(curves: list[list[float]], rule: str, warmup: int, startup: int) -> list[tuple[bool, int]]:
    """Each curve in turn as a task, its reference the earlier ones: (pruned, epochs run)."""
    done: list[tuple[tuple[float, ...], bool]] = []
    out = []
    for raw in curves:
        stop = stopper(Pruning(rule, warmup, startup, tuple(done)))
        n = len(raw)
        for e, v in enumerate(raw):
            if stop(e, v):
                n = e + 1
                break
        done.append((tuple(running_best(raw[:n])), n < len(raw)))
        out.append((n < len(raw), n))
    return out


def _run_optuna(curves: list[list[float]], pruner: optuna.pruners.BasePruner) -> list[tuple[bool, int]]:
    """The same curves through a real study, reporting the running best each epoch."""
    study = optuna.create_study(direction="maximize", pruner=pruner)
    out = []
    for raw in curves:
        trial = study.ask()
        best = running_best(raw)
        n = len(raw)
        for e in range(len(raw)):
            trial.report(best[e], e)
            if trial.should_prune():
                n = e + 1
                break
        if n < len(raw):
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, best[-1])
        out.append((n < len(raw), n))
    return out


def _curves(seed: int) -> list[list[float]]:
    """Random validation curves: a level per trial, noise, some early-stopped (shorter) and a NaN start."""
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(12):
        n = int(rng.integers(4, 16))
        c = list(rng.normal(rng.normal(0, 0.5), 0.3, n) + np.linspace(0, rng.normal(0, 0.5), n))
        if rng.random() < 0.2:
            c[0] = math.nan
        curves.append(c)
    return curves


def test_median_prunes_a_bad_curve_and_keeps_a_good_one() -> None:
    ref = [[0.1, 0.3, 0.5, 0.6, 0.7, 0.8]] * 3
    bad = [-0.5, -0.4, -0.4, -0.3]
    good = [0.2, 0.4, 0.6, 0.9]
    assert median_prune(running_best(bad), ref, warmup=3, startup=2)
    assert not median_prune(running_best(good), ref, warmup=3, startup=2)
    # within the warm-up, or with fewer finished trials than startup: never
    assert not median_prune(running_best(bad[:3]), ref, warmup=3, startup=2)
    assert not median_prune(running_best(bad), ref[:1], warmup=3, startup=2)
    # the stopper stops the bad curve at the first epoch past the warm-up
    stop = stopper(Pruning("median", 3, 2, tuple((tuple(r), False) for r in ref)))
    assert [stop(e, v) for e, v in enumerate(bad)] == [False, False, False, True]
    stop = stopper(Pruning("median", 3, 2, tuple((tuple(r), False) for r in ref)))
    assert not any(stop(e, v) for e, v in enumerate(good))


def test_halving_keeps_the_top_third_at_a_rung() -> None:
    ref = [[0.0, 0.0, 0.0, x] for x in (0.1, 0.2, 0.3, 0.4, 0.5)]
    assert halving_prune([0.0, 0.0, 0.0, 0.35], ref, min_resource=3)  # 6 compete: must be top 2
    assert not halving_prune([0.0, 0.0, 0.0, 0.45], ref, min_resource=3)
    assert not halving_prune([0.0, 0.0, 0.0, 0.6], ref, min_resource=3)
    assert not halving_prune([0.0, 0.0, -9.0], ref, min_resource=3)  # not a rung


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("warmup", "startup"), [(0, 1), (3, 2), (5, 5)])
def test_median_equals_optuna(seed: int, warmup: int, startup: int) -> None:
    curves = _curves(seed)
    want = _run_optuna(curves, optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=warmup))
    got = _run_ours(curves, "median", warmup, startup)
    assert got == want
    assert any(p for p, _ in got) or warmup == 5  # the comparison is not vacuous


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_resource", [1, 3])
def test_halving_equals_optuna(seed: int, min_resource: int) -> None:
    curves = _curves(seed)
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=3)
    want = _run_optuna(curves, pruner)
    got = _run_ours(curves, "halving", min_resource, 0)
    assert got == want
    assert any(p for p, _ in got)


PRUNE = TRAINING.model_copy(
    update={"n_trials": 5, "max_epochs": 6, "patience": 6, "pruner_warmup": 1, "pruner_startup": 1}
)
SEARCH = PRUNE.search.model_copy(update={"lr": [1e-1, 1e-2, 1e-4], "hidden_size": [2, 6]})


def _cfg(pruner: str, **kw: object) -> TrainingConfig:
    return PRUNE.model_copy(update={"pruner": pruner, "search": SEARCH, **kw})


def test_median_trains_fewer_epochs_and_resumes(tmp_path: Path) -> None:
    none = walk_forward(LSTM, _panel(), _cfg("none"), tmp_path / "none", seed=1, executor=SerialExecutor())
    med = walk_forward(LSTM, _panel(), _cfg("median"), tmp_path / "med", seed=1, executor=SerialExecutor())
    assert not none.trials["pruned"].any()
    assert med.trials["pruned"].any()
    assert med.trials["epochs_run"].sum() < none.trials["epochs_run"].sum()
    # a pruned task says so in result.json, with the epoch it stopped after
    for row in med.trials[med.trials["pruned"]].itertuples():
        wdir = tmp_path / "med" / "models" / "lstm" / f"window-{row.window:02d}"
        folder = next(wdir.glob(f"trial-{row.trial:03d}-*"))
        res = json.loads((folder / "result.json").read_text())
        assert res["pruned"] and res["epochs_run"] == res["pruned_epoch"] + 1 == row.epochs_run
        assert res["epochs_run"] < PRUNE.max_epochs
    # ranking: a completed trial always beats a pruned one, whatever their scores
    wins = med.windows
    for win, best, score in zip(wins["window"], wins["best_trial"], wins["val_sharpe"], strict=True):
        rows = med.trials[med.trials["window"] == win].set_index("trial")
        done = rows[~rows["pruned"]]
        if len(done):
            assert best in set(done.index)
            assert score == done["val_sharpe"].max()
    # resume: every task (pruned ones too) is read back, nothing changes
    again = walk_forward(LSTM, _panel(), _cfg("median"), tmp_path / "med", seed=1, executor=SerialExecutor())
    assert again.trained == 0 and again.reused == med.trained
    assert again.positions.equals(med.positions)
    assert again.trials.equals(med.trials)


def test_none_and_a_pruner_that_never_fires_are_identical(tmp_path: Path) -> None:
    none = walk_forward(LSTM, _panel(), _cfg("none"), tmp_path / "none", seed=2, executor=SerialExecutor())
    idle = _cfg("median", pruner_startup=99)
    never = walk_forward(LSTM, _panel(), idle, tmp_path / "never", seed=2, executor=SerialExecutor())
    assert never.positions.equals(none.positions)
    assert never.trials.equals(none.trials)
    assert (none.trials["epochs_run"] == PRUNE.max_epochs).all()  # patience = max_epochs: no early stop


def test_ranking_puts_pruned_after_completed_and_failed_last() -> None:
    from deepmomentum.training._pruning import rank_slots

    scores = {0: 0.2, 1: 0.9, 2: -np.inf, 3: 0.5, 4: 0.1}
    pruned = {0: False, 1: True, 2: False, 3: False, 4: True}
    assert rank_slots(scores, pruned) == [3, 0, 1, 4, 2]
    assert rank_slots(scores, dict.fromkeys(scores, False)) == [1, 3, 0, 4, 2]  # "none": by score
