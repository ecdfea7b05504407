"""Walk-forward training with hyperparameter search, resumable from the run folder.

For each model variant and each expanding window, an Optuna study (stored in
``optuna.db`` in the run folder) proposes ``n_trials`` hyperparameter sets;
each (trial, seed) is an independent :class:`TrainTask` run through an
:class:`Executor`. Trial parameters depend only on (seed, variant, window,
trial number), so a rerun proposes the same trials; finished tasks are read
back from disk instead of retrained.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.run._folder import atomic_write_text
from deepmomentum.training._dataset import PanelArrays
from deepmomentum.training._executor import Executor
from deepmomentum.training._losses import LossSpec
from deepmomentum.training._tasks import TrainTask, Window, run_task
from deepmomentum.training._trainer import TrainParams

__all__ = ["WalkForwardResult", "make_windows", "walk_forward"]

log = logging.getLogger("deepmomentum.training")

ProgressFn = Callable[..., None]


def make_windows(
    dates: np.ndarray,
    first_test_year: int,
    retrain_years: int = 5,
    val_fraction: float = 0.1,
    last_test_year: int | None = None,
) -> list[Window]:
    """Expanding walk-forward windows.

    Test windows are ``[first_test_year + k * retrain_years, ... + retrain_years)``
    up to the data's end (or ``last_test_year``). Each window trains on every
    day before its test start, the last ``val_fraction`` of them (by time)
    held out for validation.

    Parameters
    ----------
    dates : np.ndarray of shape (n_days,), datetime64
    first_test_year, retrain_years, val_fraction, last_test_year
        See :class:`~deepmomentum.config.TrainingConfig`.
    """
    idx = pd.DatetimeIndex(dates)
    end_year = idx[-1].year if last_test_year is None else min(last_test_year, idx[-1].year)
    windows: list[Window] = []
    year = first_test_year
    while year <= end_year:
        hi_year = min(year + retrain_years, end_year + 1)
        test_lo = int(idx.searchsorted(pd.Timestamp(year, 1, 1)))
        test_hi = int(idx.searchsorted(pd.Timestamp(hi_year, 1, 1)))
        if test_lo >= len(idx) or test_hi <= test_lo:
            break
        split = int(test_lo * (1 - val_fraction))
        if test_lo < 2 or split < 1:
            from deepmomentum.exceptions import ConfigError

            raise ConfigError(
                f"first_test_year {first_test_year} leaves no training data (data starts "
                f"{idx[0].date()}); choose a later year"
            )
        windows.append(
            Window(
                index=len(windows),
                split=split,
                test_lo=test_lo,
                test_hi=test_hi,
                train_start=str(idx[0].date()),
                val_start=str(idx[split].date()),
                test_start=str(idx[test_lo].date()),
                test_end=str(idx[test_hi - 1].date()),
            )
        )
        year = hi_year
    if not windows:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(
            f"no test window: first_test_year {first_test_year} is after the data's end "
            f"({idx[-1].date()}); choose an earlier year"
        )
    return windows


def _space(variant: ModelVariant, default: SearchSpace) -> dict[str, list[Any]]:
    space = (variant.search or default).model_dump()
    keys: tuple[str, ...]
    if variant.model == "linear":
        keys = ("batch_size", "lr", "max_grad_norm", "l1")
    else:
        keys = ("dropout", "hidden_size", "batch_size", "lr", "max_grad_norm")
    return {k: list(space[k]) for k in keys}


def _trial_seed(seed: int, *parts: object) -> int:
    text = ":".join(str(p) for p in (seed, *parts))
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


@dataclass
class WalkForwardResult:
    """Out-of-sample positions and the search record of one model variant.

    Attributes
    ----------
    positions : pd.DataFrame of shape (n_days, n_assets)
        Stitched OOS positions in [-1, 1]; NaN outside the test windows.
    windows : pd.DataFrame
        One row per window: dates, best trial, its parameters and validation Sharpe.
    trials : pd.DataFrame
        One row per (window, trial): parameters, validation Sharpe, epochs.
    trained : int
        Tasks trained in this call (the rest were read back from disk).
    reused : int
    """

    positions: pd.DataFrame
    windows: pd.DataFrame
    trials: pd.DataFrame
    trained: int = 0
    reused: int = 0


def _study(run_dir: Path, name: str, storage: str | None) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage or f"sqlite:///{(run_dir / 'optuna.db').resolve()}"
    return optuna.create_study(study_name=name, storage=url, direction="maximize", load_if_exists=True)


def walk_forward(
    variant: ModelVariant,
    panel: PanelArrays,
    training: TrainingConfig,
    run_dir: str | Path,
    seed: int,
    executor: Executor,
    progress: ProgressFn | None = None,
    storage: str | None = None,
) -> WalkForwardResult:
    """Search, train and predict every window of one model variant.

    Parameters
    ----------
    variant : ModelVariant
    panel : PanelArrays
        Built with ``variant.n_lags``.
    training : TrainingConfig
    run_dir : path
        Run folder; tasks write under ``models/<variant>/``, the studies go to
        ``optuna.db`` (or ``storage``).
    seed : int
        Base seed: trial parameters and training seeds derive from it.
    executor : Executor
    progress : callable, optional
        Called as ``progress(event, **info)`` for ``window``, ``task`` and ``epoch`` events.
    storage : str, optional
        Optuna storage URL (default: SQLite in the run folder).
    """
    import optuna
    from optuna.distributions import CategoricalDistribution

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    notify = progress or (lambda *a, **k: None)
    windows = make_windows(
        panel.dates,
        training.first_test_year,
        training.retrain_years,
        training.val_fraction,
        training.last_test_year,
    )
    space = _space(variant, training.search)
    distributions = {k: CategoricalDistribution(v) for k, v in space.items()}
    loss = LossSpec(variant.loss, variant.cost_bps)
    n_days, n_assets = panel.x.shape[:2]
    stitched = np.full((n_days, n_assets), np.nan, dtype=np.float32)
    window_rows: list[dict[str, Any]] = []
    trial_rows: list[dict[str, Any]] = []
    trained = reused = 0
    batch = max(getattr(executor, "jobs", 1), 1)

    for w in windows:
        notify(
            "window",
            variant=variant.name,
            window=w.index,
            n_windows=len(windows),
            n_tasks=training.n_trials * training.seeds_per_trial,
        )
        study = _study(run_dir, f"{variant.name}-w{w.index:02d}", storage)
        values: dict[int, list[float]] = {}
        params_of: dict[int, dict[str, Any]] = {}
        number = 0
        while number < training.n_trials:
            numbers = list(range(number, min(number + batch, training.n_trials)))
            existing = {t.number: t for t in study.trials}
            asked: dict[int, Any] = {}
            for n in numbers:
                if n in existing:
                    params_of[n] = dict(existing[n].params)
                    continue
                kind = training.sampler
                s = _trial_seed(seed, variant.name, w.index, n)
                study.sampler = (
                    optuna.samplers.TPESampler(seed=s, n_startup_trials=10)
                    if kind == "tpe"
                    else optuna.samplers.RandomSampler(seed=s)
                )
                trial = study.ask(distributions)
                if trial.number != n:
                    raise RuntimeError(f"optuna study out of step: expected trial {n}, got {trial.number}")
                asked[n] = trial
                params_of[n] = dict(trial.params)
            tasks = [
                TrainTask(
                    variant=variant.name,
                    model=variant.model,
                    loss=loss,
                    window=w,
                    trial=n,
                    seed=_trial_seed(seed, "train", variant.name, w.index, n, k) % 2**31,
                    params=TrainParams(
                        max_epochs=training.max_epochs,
                        patience=training.patience,
                        **{k2: v for k2, v in params_of[n].items()},
                    ),
                    seq_len=training.seq_len,
                    device=training.device,
                    precision=training.precision,
                    run_dir=str(run_dir),
                )
                for n in numbers
                for k in range(training.seeds_per_trial)
            ]
            serial = batch == 1

            def _epoch_cb(task: TrainTask) -> Callable[[int, float, float], None]:
                return lambda e, loss_value, vs: notify(
                    "epoch",
                    variant=task.variant,
                    window=task.window.index,
                    trial=task.trial,
                    epoch=e,
                    max_epochs=training.max_epochs,
                    val_sharpe=vs,
                )

            results: Iterator[dict[str, Any]]
            if serial:
                results = (run_task(t, panel, _epoch_cb(t)) for t in tasks)
            else:
                results = executor.map(run_task, tasks, panel)
            for res in results:
                if res["reused"]:
                    reused += 1
                else:
                    trained += 1
                v = res["val_sharpe"]
                values.setdefault(res["trial"], []).append(np.nan if v is None else float(v))
                notify(
                    "task",
                    variant=variant.name,
                    window=w.index,
                    trial=res["trial"],
                    val_sharpe=v,
                    reused=res["reused"],
                )
            for n in numbers:
                score = float(np.nanmean(values[n])) if np.isfinite(values[n]).any() else float("nan")
                if n in existing and existing[n].state != optuna.trial.TrialState.RUNNING:
                    continue  # told in an earlier run
                if np.isfinite(score):
                    study.tell(n, score)
                else:
                    study.tell(n, state=optuna.trial.TrialState.FAIL)
            number = numbers[-1] + 1

        # rank trials by mean validation Sharpe; ensemble the top k
        scores = {n: float(np.nanmean(v)) if np.isfinite(v).any() else -np.inf for n, v in values.items()}
        ranked = sorted(scores, key=lambda n: (-scores[n], n))
        top = ranked[: training.ensemble_top_k]
        stack = []
        for n in top:
            for k in range(training.seeds_per_trial):
                t_seed = _trial_seed(seed, "train", variant.name, w.index, n, k) % 2**31
                folder = (
                    run_dir
                    / "models"
                    / variant.name
                    / f"window-{w.index:02d}"
                    / f"trial-{n:03d}-seed-{t_seed}"
                )
                stack.append(np.load(folder / "positions.npy"))
        window_pos = np.nanmean(np.stack(stack), axis=0) if len(stack) > 1 else stack[0]
        stitched[w.test_lo : w.test_hi] = window_pos
        best = top[0]
        best_seed = _trial_seed(seed, "train", variant.name, w.index, best, 0) % 2**31
        wdir = run_dir / "models" / variant.name / f"window-{w.index:02d}"
        shutil.copyfile(wdir / f"trial-{best:03d}-seed-{best_seed}" / "model.pt", wdir / "best.pt.tmp")
        (wdir / "best.pt.tmp").replace(wdir / "best.pt")
        best_info = {
            "variant": variant.name,
            "model": variant.model,
            "loss": variant.loss,
            "loss_cost_bps": variant.cost_bps,
            "window": w.index,
            "train_start": w.train_start,
            "val_start": w.val_start,
            "test_start": w.test_start,
            "test_end": w.test_end,
            "best_trial": best,
            "val_sharpe": scores[best],
            "params": params_of[best],
            "ensemble_trials": top,
        }
        atomic_write_text(wdir / "best.json", json.dumps(best_info, indent=1))
        window_rows.append(
            {k: v for k, v in best_info.items() if k != "params"}
            | {f"param_{k}": v for k, v in params_of[best].items()}
        )
        for n in sorted(values):
            trial_rows.append(
                {"variant": variant.name, "window": w.index, "trial": n, "val_sharpe": scores[n]}
                | {f"param_{k}": v for k, v in params_of[n].items()}
            )
    index = pd.DatetimeIndex(panel.dates, name="date")
    positions = pd.DataFrame(stitched.astype("float64"), index=index, columns=list(panel.symbols))
    return WalkForwardResult(
        positions=positions,
        windows=pd.DataFrame(window_rows),
        trials=pd.DataFrame(trial_rows).replace(-np.inf, np.nan),
        trained=trained,
        reused=reused,
    )
