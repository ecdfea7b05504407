"""Blocked validation (purged, embargoed folds) and ensembles of the walk-forward search."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.data import make_synthetic_market
from deepmomentum.features import build_features
from deepmomentum.training import SerialExecutor, build_panel, make_windows, walk_forward
from deepmomentum.training._validation import fold_scores, make_folds, split_sequences

PRICES = make_synthetic_market(
    n_per_class=2, start="2000-01-03", end="2007-12-31", late_starters=False
).tradable_prices
SEQ = 21
BLOCKED = TrainingConfig(
    first_test_year=2007,
    retrain_years=1,
    seq_len=SEQ,
    max_epochs=2,
    patience=2,
    n_trials=2,
    seeds_per_trial=2,
    ensemble_top_k=2,
    validation="blocked",
    n_folds=3,
    device="cpu",
    search=SearchSpace(dropout=[0.1], hidden_size=[4, 6], batch_size=[32], lr=[1e-2], max_grad_norm=[1.0]),
)
LSTM = ModelVariant(name="lstm", model="lstm", loss="sharpe", ensemble_members=True)
N_TASKS = 2 * 2 * 3  # trials x seeds x folds, one window


class Interrupt(Exception):
    pass


@pytest.fixture(scope="module")
def panel() -> Any:
    return build_panel(build_features(PRICES))


@pytest.fixture(scope="module")
def blocked_run(panel: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("blocked")
    return out, walk_forward(LSTM, panel, BLOCKED, out, seed=5, executor=SerialExecutor())


def _cells(batch: Any) -> set[tuple[int, int]]:
    """(day, asset) of every counting entry; asserts none counts twice."""
    days = batch.day[batch.mask]
    assets = np.broadcast_to(batch.asset[:, None], batch.mask.shape)[batch.mask]
    cells = set(zip(days.tolist(), assets.tolist(), strict=True))
    assert len(cells) == int(batch.mask.sum())
    return cells


def test_folds_are_contiguous_and_cover_the_training_span(panel: Any) -> None:
    for w in make_windows(panel.dates, 2005, 1):
        folds = make_folds(panel, w.test_lo, 4, SEQ)
        first = int(np.flatnonzero(panel.label_ok.any(axis=1))[0])
        assert [f.index for f in folds] == [0, 1, 2, 3]
        assert folds[0].val_lo == first and folds[-1].val_hi == w.test_lo
        for a, b in itertools.pairwise(folds):
            assert a.val_hi == b.val_lo
        sizes = [f.val_hi - f.val_lo for f in folds]
        assert max(sizes) - min(sizes) <= 1
        assert folds[0].val_start == str(pd.Timestamp(panel.dates[first]).date())


def test_purge_and_embargo_drop_exactly_the_leaking_samples(panel: Any) -> None:
    w = make_windows(panel.dates, 2006, 1)[0]
    folds = make_folds(panel, w.test_lo, 4, SEQ)
    days = np.arange(len(panel.dates))[:, None]
    for f in folds:
        train, val = split_sequences(panel, w.split, w.test_lo, f, SEQ)
        # purge: label r_{t+1} must not reach the block nor the test window; embargo: SEQ days after
        ok = panel.label_ok & (days + 1 < w.test_lo) & ~((days + 1 >= f.val_lo) & (days < f.val_hi + SEQ))
        want = {(int(d), int(a)) for d, a in zip(*np.nonzero(ok), strict=True)}
        assert _cells(train) == want
        in_val = panel.label_ok & (days >= f.val_lo) & (days + 1 < f.val_hi)
        assert _cells(val) == {(int(d), int(a)) for d, a in zip(*np.nonzero(in_val), strict=True)}
        # no training sequence reads an input of the block, its embargo or the test window
        read = train.day[train.day >= 0]
        assert not ((read >= f.val_lo) & (read < f.val_hi + SEQ)).any()
        assert read.max() < w.test_lo and val.day.max() < w.test_lo
        if 0 < f.index < len(folds) - 1:  # a middle block: training on both sides of it
            assert read.min() < f.val_lo and read.max() >= f.val_hi + SEQ
    last = split_sequences(panel, w.split, w.test_lo, None, SEQ)[0]
    assert last.day.max() < w.split  # validation "last" is unchanged: [0, split)


def test_fold_scores_average_seeds_then_folds() -> None:
    score, per_fold = fold_scores({1: [3.0], 0: [1.0, np.nan]})
    assert per_fold == [1.0, 3.0] and score == 2.0
    assert fold_scores({None: [1.0, 2.0]}) == (1.5, [1.5])
    score, per_fold = fold_scores({0: [np.nan], 1: [np.nan]})
    assert np.isnan(score) and all(np.isnan(per_fold))
    with pytest.raises(ValidationError):
        TrainingConfig(validation="blocked", n_folds=1)


def test_trials_record_each_fold_and_their_mean(blocked_run: tuple[Path, Any]) -> None:
    out, res = blocked_run
    assert res.trained == N_TASKS and res.reused == 0
    trials = res.trials
    cols = [f"fold_{f}_sharpe" for f in range(3)]
    assert list(trials.columns[:7]) == ["variant", "window", "trial", *cols, "val_sharpe"]
    np.testing.assert_allclose(trials["val_sharpe"], trials[cols].mean(axis=1), rtol=1e-12)
    # a fold's score is the mean of its seeds' validation Sharpes (result.json)
    wdir = out / "models" / "lstm" / "window-00"
    for row in trials.itertuples():
        for f in range(3):
            runs = [
                json.loads(p.read_text())
                for p in wdir.glob(f"trial-{row.trial:03d}-fold-{f}-seed-*/result.json")
            ]
            assert len(runs) == 2 and all(r["fold"] == f for r in runs)
            assert getattr(row, f"fold_{f}_sharpe") == pytest.approx(np.mean([r["val_sharpe"] for r in runs]))
    assert (
        res.windows.loc[0, "val_start"]
        == json.loads((wdir / "best.json").read_text())["folds"][0]["val_start"]
    )


def test_ensemble_is_the_mean_of_its_members(blocked_run: tuple[Path, Any]) -> None:
    out, res = blocked_run
    members = res.members
    assert len(members) == N_TASKS  # top 2 trials x 2 seeds x 3 folds
    assert members["weight"].sum() == pytest.approx(1.0)
    assert set(members["fold"]) == {0, 1, 2} and members["trial"].nunique() == 2
    wdir = out / "models" / "lstm" / "window-00"
    best = json.loads((wdir / "best.json").read_text())
    assert [(m["trial"], m["seed"], m["fold"]) for m in best["members"]] == list(
        zip(members["trial"], members["seed"], members["fold"], strict=True)
    )
    stack = np.stack([np.load(wdir / m["folder"] / "positions.npy") for m in best["members"]])
    oos = res.positions.loc["2007"].to_numpy()
    np.testing.assert_allclose(oos, np.nanmean(stack, axis=0), rtol=1e-6)
    assert np.isfinite(oos).mean() > 0.9
    # each member is also stitched on its own (ensemble_members = true)
    assert len(res.member_positions) == N_TASKS
    mean = np.mean([m.to_numpy() for m in res.member_positions], axis=0)
    np.testing.assert_allclose(res.positions.to_numpy(), mean, rtol=1e-6)


def test_blocked_resume_reuses_finished_fold_tasks(
    blocked_run: tuple[Path, Any], panel: Any, tmp_path: Path
) -> None:
    out, full = blocked_run
    again = walk_forward(LSTM, panel, BLOCKED, out, seed=5, executor=SerialExecutor())
    assert again.trained == 0 and again.reused == N_TASKS
    pd.testing.assert_frame_equal(again.positions, full.positions)

    seen: list[int] = []

    def stop_after_five(event: str, **info: object) -> None:
        if event == "task":
            seen.append(1)
            if len(seen) == 5:
                raise Interrupt

    with pytest.raises(Interrupt):
        walk_forward(LSTM, panel, BLOCKED, tmp_path / "cut", 5, SerialExecutor(), stop_after_five)
    resumed = walk_forward(LSTM, panel, BLOCKED, tmp_path / "cut", seed=5, executor=SerialExecutor())
    assert resumed.reused == 5 and resumed.trained == N_TASKS - 5
    pd.testing.assert_frame_equal(resumed.positions, full.positions)
    pd.testing.assert_frame_equal(resumed.trials, full.trials)


def test_last_validation_keeps_its_folders_and_tables(panel: Any, tmp_path: Path) -> None:
    last = BLOCKED.model_copy(update={"validation": "last", "n_trials": 1, "ensemble_top_k": 1})
    res = walk_forward(ModelVariant(name="lstm"), panel, last, tmp_path, seed=5, executor=SerialExecutor())
    assert res.trained == 2 and res.member_positions == []
    assert not any(c.startswith("fold_") for c in res.trials.columns)
    wdir = tmp_path / "models" / "lstm" / "window-00"
    assert sorted(p.name.split("-seed-")[0] for p in wdir.glob("trial-*")) == ["trial-000", "trial-000"]
    best = json.loads((wdir / "best.json").read_text())
    assert best["validation"] == "last" and "folds" not in best
    assert [m["fold"] for m in best["members"]] == [None, None]
    assert [m["weight"] for m in best["members"]] == [0.5, 0.5]
