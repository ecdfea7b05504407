"""Walk-forward training with hyperparameter search, resumable from the run folder.

For each model variant and each expanding window, an Optuna study (stored in
``optuna.db`` in the run folder) proposes ``n_trials`` hyperparameter sets;
each (trial, seed) is an independent :class:`TrainTask` run through an
:class:`Executor`. Trial parameters depend only on (seed, variant, window,
trial number), so a rerun proposes the same trials; finished tasks are read
back from disk instead of retrained.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum._io import atomic_write_bytes, atomic_write_text
from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.training._dataset import PanelArrays
from deepmomentum.training._executor import Executor
from deepmomentum.training._losses import LossSpec
from deepmomentum.training._storage import Heartbeat, SearchStorage, open_storage, quiet_optuna, run_lock
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
    max_windows: int | None = None,
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
    max_windows : int, optional
        Keep at most this many windows: the last one's test span then runs to
        the data's end (``deepmomentum signal``: the latest trained model
        predicts the days after its window, nothing new is trained).
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
    if max_windows is not None and len(windows) > max_windows:
        keep = windows[max_windows - 1]
        last = windows[-1]
        windows = [*windows[: max_windows - 1], replace(keep, test_hi=last.test_hi, test_end=last.test_end)]
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
    extended : int
        Reused tasks whose test span grew (new data): their model predicted the new days.
    """

    positions: pd.DataFrame
    windows: pd.DataFrame
    trials: pd.DataFrame
    trained: int = 0
    reused: int = 0
    extended: int = 0


SLOT = "dm_slot"  # user attribute: which of the n_trials search slots a trial fills
OUTCOME = "dm_outcome"  # user attribute of FAIL trials: nan (no finite score), duplicate, stray


def _study(ss: SearchStorage, name: str) -> Any:
    import optuna

    return optuna.create_study(
        study_name=name,
        storage=ss.storage,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.RandomSampler(seed=0),  # unused: every trial is enqueued with its params
    )


def _slot_of(t: Any, legacy: bool) -> int | None:
    """The search slot of a trial; None for a trial that is no part of the search."""
    if t.user_attrs.get(OUTCOME) in ("duplicate", "stray"):
        return None
    slot = t.user_attrs.get(SLOT)
    if slot is None:
        return t.number if legacy else None  # studies written before slots: slot = trial number
    return int(slot)


def _slot_status(trials: list[Any], legacy: bool, max_retry: int) -> dict[int, tuple[str, float, Any]]:
    """Per slot: (``done``, score, trial) / (``busy``, nan, trial) / (``lost``, nan, trial).

    A slot is done when one of its trials is COMPLETE (its value is the
    score) or was told FAIL for lack of a finite score, or when its trials
    failed (dead workers) more than ``max_retry`` times. ``lost``: failed and
    not yet re-queued.
    """
    from optuna.trial import TrialState

    groups: dict[int, list[Any]] = {}
    for t in trials:
        slot = _slot_of(t, legacy)
        if slot is not None:
            groups.setdefault(slot, []).append(t)
    out: dict[int, tuple[str, float, Any]] = {}
    for slot, group in groups.items():
        group.sort(key=lambda t: t.number)
        complete = [t for t in group if t.state == TrialState.COMPLETE]
        told_fail = [
            t
            for t in group
            if t.state == TrialState.FAIL and (t.user_attrs.get(OUTCOME) == "nan" or SLOT not in t.user_attrs)
        ]
        active = [t for t in group if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        if complete:
            out[slot] = ("done", float(complete[0].value), complete[0])
        elif told_fail:
            out[slot] = ("done", float("nan"), told_fail[0])
        elif active:
            out[slot] = ("busy", float("nan"), active[0])
        elif len(group) > max_retry:
            out[slot] = ("done", float("nan"), group[0])  # retries used up: failed, no result
        else:
            out[slot] = ("lost", float("nan"), group[0])
    return out


def _is_duplicate(trials: list[Any], number: int, slot: int, legacy: bool) -> bool:
    """Whether a lower-numbered trial of the same slot is queued, running or finished with a result."""
    from optuna.trial import TrialState

    for t in trials:
        if t.number == number or _slot_of(t, legacy) != slot:
            continue
        if t.state == TrialState.COMPLETE:
            return True
        if t.number < number and (
            t.state in (TrialState.RUNNING, TrialState.WAITING) or t.user_attrs.get(OUTCOME) == "nan"
        ):
            return True
    return False


def _slot_params(
    study: Any, slot: int, sampler: str, seed: int, distributions: dict[str, Any], legacy: bool
) -> dict[str, Any]:
    """Parameters of a new slot: drawn with a sampler seeded by (seed, variant, window, slot)."""
    import optuna
    from optuna.trial import TrialState

    s = seed
    if sampler == "tpe":
        proxy = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=s, n_startup_trials=10)
        )
        history = [
            optuna.trial.create_trial(params=t.params, distributions=t.distributions, value=t.value)
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if _slot_of(t, legacy) is not None
        ]
        proxy.add_trials(history)
    else:
        proxy = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=s))
    return dict(proxy.ask(distributions).params)


def _tell(study: Any, trial: Any, score: float) -> bool:
    """Tell a claimed trial its score; False if it was meanwhile failed as dead (not counted)."""
    import optuna

    try:
        if np.isfinite(score):
            study.tell(trial, score)
        else:
            trial.set_user_attr(OUTCOME, "nan")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except (optuna.exceptions.UpdateFinishedTrialError, ValueError) as exc:
        log.warning(
            "trial %d was failed by another worker (heartbeat too old); its result is not counted (%s)",
            trial.number,
            exc,
        )
        return False
    return True


def walk_forward(
    variant: ModelVariant,
    panel: PanelArrays,
    training: TrainingConfig,
    run_dir: str | Path,
    seed: int,
    executor: Executor,
    progress: ProgressFn | None = None,
    storage: str | None = None,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    max_retry: int | None = None,
    max_windows: int | None = None,
) -> WalkForwardResult:
    """Search, train and predict every window of one model variant.

    Each window's study has ``n_trials`` *slots*; slot ``n`` gets parameters
    drawn by a sampler seeded with (seed, variant, window, n), is enqueued in
    the study and claimed by one worker, so a rerun, a resume or another
    machine sharing the study trains the same trials. A slot counts once:
    its first COMPLETE trial (or FAIL for lack of a finite score) is its
    result; a trial whose worker died is failed and retried, never counted.

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
        Optuna storage URL shared with other workers (e.g. ``postgresql://...``).
        Default: SQLite ``optuna.db`` in the run folder, locked to this process.
    heartbeat_interval, grace_period, max_retry : int, optional
        Dead-worker detection on shared storage (see :mod:`deepmomentum.training._storage`).
    max_windows : int, optional
        See :func:`make_windows`.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ss = open_storage(storage, run_dir, heartbeat_interval, grace_period, max_retry)
    lock = nullcontext() if ss.shared else run_lock(run_dir)
    with lock:
        return _walk_forward(variant, panel, training, run_dir, seed, executor, progress, ss, max_windows)


def _walk_forward(
    variant: ModelVariant,
    panel: PanelArrays,
    training: TrainingConfig,
    run_dir: Path,
    seed: int,
    executor: Executor,
    progress: ProgressFn | None,
    ss: SearchStorage,
    max_windows: int | None = None,
) -> WalkForwardResult:
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState

    notify = progress or (lambda *a, **k: None)
    windows = make_windows(
        panel.dates,
        training.first_test_year,
        training.retrain_years,
        training.val_fraction,
        training.last_test_year,
        max_windows,
    )
    space = _space(variant, training.search)
    distributions: dict[str, Any] = {k: CategoricalDistribution(v) for k, v in space.items()}
    loss = LossSpec(variant.loss, variant.cost_bps)
    n_days, n_assets = panel.x.shape[:2]
    stitched = np.full((n_days, n_assets), np.nan, dtype=np.float32)
    window_rows: list[dict[str, Any]] = []
    trial_rows: list[dict[str, Any]] = []
    counts = {"trained": 0, "reused": 0, "extended": 0}
    batch = max(getattr(executor, "jobs", 1), 1)
    n_trials = training.n_trials
    poll = min(2.0, ss.heartbeat_interval)

    for w in windows:
        notify(
            "window",
            variant=variant.name,
            window=w.index,
            n_windows=len(windows),
            n_tasks=n_trials * training.seeds_per_trial,
        )
        study = _study(ss, f"{variant.name}-w{w.index:02d}")
        if study.user_attrs.get("dm_format") is None:
            # a study from before slots keeps slot = trial number for its trials
            study.set_user_attr("dm_format", 1 if study.get_trials(deepcopy=False) else 2)
        legacy = study.user_attrs["dm_format"] == 1

        def make_task(n: int, k: int, params: dict[str, Any], w: Window = w) -> TrainTask:
            return TrainTask(
                variant=variant.name,
                model=variant.model,
                loss=loss,
                window=w,
                trial=n,
                seed=_trial_seed(seed, "train", variant.name, w.index, n, k) % 2**31,
                params=TrainParams(max_epochs=training.max_epochs, patience=training.patience, **params),
                seq_len=training.seq_len,
                device=training.device,
                precision=training.precision,
                run_dir=str(run_dir),
            )

        def run(tasks: list[TrainTask]) -> Iterator[dict[str, Any]]:
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
            if batch == 1:
                results = (run_task(t, panel, _epoch_cb(t)) for t in tasks)
            else:
                results = executor.map(run_task, tasks, panel)
            for res in results:
                counts["reused" if res["reused"] else "trained"] += 1
                counts["extended"] += bool(res.get("extended"))
                notify(
                    "task",
                    variant=variant.name,
                    window=res["window"],
                    trial=res["trial"],
                    val_sharpe=res["val_sharpe"],
                    reused=res["reused"],
                )
                yield res

        # this run folder's own study: trials left RUNNING come from a killed run of it
        takeover: list[tuple[Any, int, dict[str, Any]]] = []
        if not ss.shared:
            for ft in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
                slot = _slot_of(ft, legacy)
                if slot is not None:
                    takeover.append((optuna.trial.Trial(study, ft._trial_id), slot, dict(ft.params)))
        ran: set[int] = set()
        while True:
            if ss.shared:
                with quiet_optuna():
                    optuna.storages.fail_stale_trials(study)
            trials = study.get_trials(deepcopy=False)
            status = _slot_status(trials, legacy, ss.max_retry)
            if all(status.get(n, ("missing",))[0] == "done" for n in range(n_trials)):
                break
            mine, takeover = takeover[:batch], takeover[batch:]
            if not mine:
                n_waiting = sum(
                    1 for t in trials if t.state == TrialState.WAITING and _slot_of(t, legacy) is not None
                )
                todo = [n for n in range(n_trials) if status.get(n, ("missing",))[0] in ("missing", "lost")]
                for n in todo[: max(batch - n_waiting, 0)]:
                    if n in status:  # lost: re-queue with its parameters
                        params = dict(status[n][2].params)
                    else:
                        s = _trial_seed(seed, variant.name, w.index, n)
                        params = _slot_params(study, n, training.sampler, s, distributions, legacy)
                    study.add_trial(
                        optuna.trial.create_trial(
                            state=TrialState.WAITING,
                            params=params,
                            distributions=distributions,
                            user_attrs={SLOT: n},
                        )
                    )
                while len(mine) < batch and study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
                    with quiet_optuna():
                        trial = study.ask()
                    if ss.shared:
                        ss.storage.record_heartbeat(trial._trial_id)
                    slot = trial.user_attrs.get(SLOT)
                    if slot is None:  # the queue emptied under us: ask() made a fresh trial
                        trial.set_user_attr(OUTCOME, "stray")
                        study.tell(trial, state=TrialState.FAIL)
                        break
                    if _is_duplicate(study.get_trials(deepcopy=False), trial.number, int(slot), legacy):
                        trial.set_user_attr(OUTCOME, "duplicate")
                        study.tell(trial, state=TrialState.FAIL)
                        continue
                    mine.append((trial, int(slot), dict(trial.params)))
            if not mine:
                time.sleep(poll)  # the remaining slots are running elsewhere
                continue
            seeds = range(training.seeds_per_trial)
            tasks = [make_task(n, k, params) for _, n, params in mine for k in seeds]
            values: dict[int, list[float]] = {}
            beat: contextlib.AbstractContextManager[Any] = nullcontext()
            if ss.shared:
                beat = Heartbeat(ss.storage, [t._trial_id for t, _, _ in mine], ss.heartbeat_interval)
            try:
                with beat:
                    for res in run(tasks):
                        v = res["val_sharpe"]
                        values.setdefault(res["trial"], []).append(np.nan if v is None else float(v))
            except BaseException:
                if ss.shared:  # hand the slots back at once rather than after the grace period
                    for trial, _, _ in mine:
                        with contextlib.suppress(Exception):
                            study.tell(trial, state=TrialState.FAIL)
                raise
            for trial, n, _ in mine:
                vals = np.asarray(values[n], dtype=float)
                score = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
                _tell(study, trial, score)
                ran.add(n)

        status = _slot_status(study.get_trials(deepcopy=False), legacy, ss.max_retry)
        params_of = {n: dict(status[n][2].params) for n in range(n_trials)}
        scores = {n: status[n][1] if np.isfinite(status[n][1]) else -np.inf for n in range(n_trials)}
        # finished slots trained earlier in this folder are read back (and reported)
        earlier = [
            make_task(n, k, params_of[n])
            for n in range(n_trials)
            if n not in ran
            for k in range(training.seeds_per_trial)
        ]
        for _ in run([t for t in earlier if (t.folder / "result.json").is_file()]):
            pass

        # rank trials by mean validation Sharpe; ensemble the top k
        ranked = sorted(scores, key=lambda n: (-scores[n], n))
        top = ranked[: training.ensemble_top_k]
        top_tasks = [make_task(n, k, params_of[n]) for n in top for k in range(training.seeds_per_trial)]
        # winners trained by another machine sharing the study: train them here too (same seed)
        for _ in run([t for t in top_tasks if not (t.folder / "result.json").is_file()]):
            pass
        # a task saved for a longer test span (signal at an earlier date) gives its first rows
        stack = [np.load(t.folder / "positions.npy")[: w.test_hi - w.test_lo] for t in top_tasks]
        window_pos = np.nanmean(np.stack(stack), axis=0) if len(stack) > 1 else stack[0]
        stitched[w.test_lo : w.test_hi] = window_pos
        best = top[0]
        wdir = run_dir / "models" / variant.name / f"window-{w.index:02d}"
        atomic_write_bytes(wdir / "best.pt", (top_tasks[0].folder / "model.pt").read_bytes())
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
        for n in range(n_trials):
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
        trained=counts["trained"],
        reused=counts["reused"],
        extended=counts["extended"],
    )
