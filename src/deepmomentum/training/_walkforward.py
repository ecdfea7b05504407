"""Walk-forward training with hyperparameter search, resumable from the run folder.

For each model variant and each expanding window, an Optuna study (stored in
``optuna.db`` in the run folder) proposes ``n_trials`` hyperparameter sets;
each (trial, seed) is an independent :class:`TrainTask` run through an
:class:`Executor`. Trial parameters depend only on (seed, variant, window,
trial number), so a rerun proposes the same trials; finished tasks are read
back from disk instead of retrained. The slot bookkeeping in the study
(which worker trains which trial, and when a slot counts as done) lives in
:mod:`deepmomentum.training._slots`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.training._dataset import PanelArrays
from deepmomentum.training._ensemble import ensemble_positions, member_rows, write_best
from deepmomentum.training._executor import Executor
from deepmomentum.training._losses import LossSpec
from deepmomentum.training._pruning import PRUNED, rank_slots, slot_epochs, with_reference
from deepmomentum.training._slots import (
    FOLD_SHARPES,
    Claim,
    claim_waiting,
    enqueue_slots,
    open_study,
    slot_params,
    slot_status,
    takeover_running,
    tell,
    trial_seed,
)
from deepmomentum.training._storage import Heartbeat, SearchStorage, open_storage, quiet_optuna, run_lock
from deepmomentum.training._tasks import TrainTask, Window, run_task
from deepmomentum.training._trainer import TrainParams
from deepmomentum.training._validation import Fold, fold_scores, make_folds

__all__ = ["WalkForwardResult", "make_windows", "walk_forward"]

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
    if variant.model == "tft":
        keys = (*keys, "n_heads")
    return {k: list(space[k]) for k in keys}


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
        One row per (window, trial): parameters, validation Sharpe (blocked
        validation: the mean of the ``fold_<f>_sharpe`` columns).
    members : pd.DataFrame
        One row per (window, ensemble member): trial, seed, fold, validation
        Sharpes, weight (see :func:`~deepmomentum.training._ensemble.member_rows`).
    member_positions : list of pd.DataFrame
        With ``variant.ensemble_members``: member k's stitched positions (the
        k-th member of every window), shaped as ``positions``; else empty.
    trained : int
        Tasks trained in this call (the rest were read back from disk).
    reused : int
    extended : int
        Reused tasks whose test span grew (new data): their model predicted the new days.
    """

    positions: pd.DataFrame
    windows: pd.DataFrame
    trials: pd.DataFrame
    members: pd.DataFrame = field(default_factory=pd.DataFrame)
    member_positions: list[pd.DataFrame] = field(default_factory=list)
    trained: int = 0
    reused: int = 0
    extended: int = 0


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


@dataclass
class _Search:
    """What every window of one variant's search shares: inputs, task factory, counters."""

    variant: ModelVariant
    panel: PanelArrays
    training: TrainingConfig
    run_dir: Path
    seed: int
    executor: Executor
    notify: ProgressFn
    ss: SearchStorage
    distributions: dict[str, Any]
    loss: LossSpec
    batch: int
    counts: dict[str, int] = field(default_factory=lambda: {"trained": 0, "reused": 0, "extended": 0})
    #: per window index: its folds (blocked validation), or ``[None]`` (validation last)
    folds: dict[int, list[Fold | None]] = field(default_factory=dict)

    def task(self, w: Window, n: int, k: int, params: dict[str, Any], fold: Fold | None = None) -> TrainTask:
        """Seed ``k`` of slot ``n`` in window ``w`` (holding out ``fold``)."""
        training = self.training
        task = TrainTask(
            variant=self.variant.name,
            model=self.variant.model,
            loss=self.loss,
            window=w,
            trial=n,
            seed=self._seed(w, n, k),
            params=TrainParams(max_epochs=training.max_epochs, patience=training.patience, **params),
            seq_len=training.seq_len,
            device=training.device,
            precision=training.precision,
            run_dir=str(self.run_dir),
            fold=fold,
            asset_embedding=self.variant.asset_embedding,
        )
        # pruning reference: the same fold's tasks of the lower slots (those finished by now)
        seeds = range(training.seeds_per_trial)
        earlier = [replace(task, trial=m, seed=self._seed(w, m, j)) for m in range(n) for j in seeds]
        return with_reference(task, training, earlier)

    def _seed(self, w: Window, n: int, k: int) -> int:
        return trial_seed(self.seed, "train", self.variant.name, w.index, n, k) % 2**31

    def tasks(self, w: Window, slots: list[int], params_of: dict[int, dict[str, Any]]) -> list[TrainTask]:
        """Every (seed, fold) task of each of ``slots``: slot by slot, then seed, then fold."""
        seeds = range(self.training.seeds_per_trial)
        folds = self.folds.get(w.index, [None])
        return [self.task(w, n, k, params_of[n], f) for n in slots for k in seeds for f in folds]

    def _epoch_cb(self, task: TrainTask) -> Callable[[int, float, float], None]:
        return lambda e, loss_value, vs: self.notify(
            "epoch",
            variant=task.variant,
            window=task.window.index,
            trial=task.trial,
            epoch=e,
            max_epochs=self.training.max_epochs,
            val_sharpe=vs,
        )

    def run(self, tasks: list[TrainTask]) -> Iterator[dict[str, Any]]:
        """Run (or read back) ``tasks``, counting and reporting each result as it comes."""
        results: Iterator[dict[str, Any]]
        if self.batch == 1:
            results = (run_task(t, self.panel, self._epoch_cb(t)) for t in tasks)
        else:
            results = self.executor.map(run_task, tasks, self.panel)
        for res in results:
            self.counts["reused" if res["reused"] else "trained"] += 1
            self.counts["extended"] += bool(res.get("extended"))
            self.notify(
                "task",
                variant=self.variant.name,
                window=res["window"],
                trial=res["trial"],
                val_sharpe=res["val_sharpe"],
                reused=res["reused"],
            )
            yield res

    def run_all(self, tasks: list[TrainTask]) -> None:
        """Run ``tasks`` to the end, results only counted and reported."""
        for _ in self.run(tasks):
            pass


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
    from optuna.distributions import CategoricalDistribution

    windows = make_windows(
        panel.dates,
        training.first_test_year,
        training.retrain_years,
        training.val_fraction,
        training.last_test_year,
        max_windows,
    )
    space = _space(variant, training.search)
    search = _Search(
        variant=variant,
        panel=panel,
        training=training,
        run_dir=run_dir,
        seed=seed,
        executor=executor,
        notify=progress or (lambda *a, **k: None),
        ss=ss,
        distributions={k: CategoricalDistribution(v) for k, v in space.items()},
        loss=LossSpec(variant.loss, variant.cost_bps),
        batch=max(getattr(executor, "jobs", 1), 1),
    )
    windows = [_with_folds(search, w) for w in windows]
    n_days, n_assets = panel.x.shape[:2]
    stitched = np.full((n_days, n_assets), np.nan, dtype=np.float32)
    member_pos: list[np.ndarray] = []
    window_rows: list[dict[str, Any]] = []
    trial_rows: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for w in windows:
        search.notify(
            "window",
            variant=variant.name,
            window=w.index,
            n_windows=len(windows),
            n_tasks=training.n_trials * training.seeds_per_trial * len(search.folds[w.index]),
        )
        study, legacy = open_study(ss, f"{variant.name}-w{w.index:02d}")
        ran = _search_window(search, w, study, legacy)
        window_pos, stack, window_row, rows, window_members = _finish_window(search, w, study, legacy, ran)
        stitched[w.test_lo : w.test_hi] = window_pos
        if variant.ensemble_members:
            for k, pos in enumerate(stack):
                if k == len(member_pos):
                    member_pos.append(np.full((n_days, n_assets), np.nan, dtype=np.float32))
                member_pos[k][w.test_lo : w.test_hi] = pos
        window_rows.append(window_row)
        trial_rows.extend(rows)
        members.extend(window_members)
    index = pd.DatetimeIndex(panel.dates, name="date")

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a.astype("float64"), index=index, columns=list(panel.symbols))

    return WalkForwardResult(
        positions=frame(stitched),
        windows=pd.DataFrame(window_rows),
        trials=pd.DataFrame(trial_rows).replace(-np.inf, np.nan),
        members=pd.DataFrame(members),
        member_positions=[frame(a) for a in member_pos],
        trained=search.counts["trained"],
        reused=search.counts["reused"],
        extended=search.counts["extended"],
    )


def _with_folds(search: _Search, w: Window) -> Window:
    """Record window ``w``'s folds in ``search``; with blocked validation, ``w`` validated from block 0.

    Blocked validation validates every day of ``[val_start, test_start)`` (in
    turn), so the window's ``split`` and ``val_start`` become the first block's.
    """
    training = search.training
    if training.validation == "last":
        search.folds[w.index] = [None]
        return w
    folds = make_folds(search.panel, w.test_lo, training.n_folds, embargo=training.seq_len)
    search.folds[w.index] = list(folds)
    return replace(w, split=folds[0].val_lo, val_start=folds[0].val_start)


def _search_window(search: _Search, w: Window, study: Any, legacy: bool) -> set[int]:
    """Fill every slot of window ``w``'s study; the slots trained by this call."""
    import optuna

    ss, training, batch = search.ss, search.training, search.batch
    n_trials = training.n_trials
    poll = min(2.0, ss.heartbeat_interval)

    def new_params(n: int) -> dict[str, Any]:
        s = trial_seed(search.seed, search.variant.name, w.index, n)
        return slot_params(study, training.sampler, s, search.distributions, legacy)

    # this run folder's own study: trials left RUNNING come from a killed run of it
    takeover = [] if ss.shared else takeover_running(study, legacy)
    ran: set[int] = set()
    while True:
        if ss.shared:
            with quiet_optuna():
                optuna.storages.fail_stale_trials(study)
        trials = study.get_trials(deepcopy=False)
        status = slot_status(trials, legacy, ss.max_retry)
        if all(status.get(n, ("missing",))[0] == "done" for n in range(n_trials)):
            return ran
        mine, takeover = takeover[:batch], takeover[batch:]
        if not mine:
            enqueue_slots(study, trials, status, n_trials, batch, legacy, search.distributions, new_params)
            claim_waiting(study, ss, mine, batch, legacy)
        if not mine:
            time.sleep(poll)  # the remaining slots are running elsewhere
            continue
        _train_claims(search, w, study, mine)
        ran.update(n for _, n, _ in mine)


def _train_claims(search: _Search, w: Window, study: Any, mine: list[Claim]) -> None:
    """Train every (seed, fold) of the claimed slots and tell each trial its score.

    The score is the mean validation Sharpe over seeds, then over folds
    (:func:`~deepmomentum.training._validation.fold_scores`); with blocked
    validation the fold scores go to the trial's user attributes.
    """
    from optuna.trial import TrialState

    ss = search.ss
    tasks = search.tasks(w, [n for _, n, _ in mine], {n: params for _, n, params in mine})
    values: dict[int, dict[int | None, list[float]]] = {}
    pruned: set[int] = set()
    beat: contextlib.AbstractContextManager[Any] = nullcontext()
    if ss.shared:
        beat = Heartbeat(ss.storage, [t._trial_id for t, _, _ in mine], ss.heartbeat_interval)
    try:
        with beat:
            for res in search.run(tasks):
                v = res["val_sharpe"]
                by_fold = values.setdefault(res["trial"], {})
                by_fold.setdefault(res.get("fold"), []).append(np.nan if v is None else float(v))
                if res.get("pruned"):
                    pruned.add(res["trial"])
    except BaseException:
        if ss.shared:  # hand the slots back at once rather than after the grace period
            for trial, _, _ in mine:
                with contextlib.suppress(Exception):
                    study.tell(trial, state=TrialState.FAIL)
        raise
    blocked = search.training.validation == "blocked"
    for trial, n, _ in mine:
        score, per_fold = fold_scores(values[n])
        attrs: dict[str, Any] = {PRUNED: True} if n in pruned else {}
        if blocked:
            attrs[FOLD_SHARPES] = [v if np.isfinite(v) else None for v in per_fold]
        tell(study, trial, score, attrs or None)


def _finish_window(
    search: _Search, w: Window, study: Any, legacy: bool, ran: set[int]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Ensemble the top slots of a searched window and write its best model.

    Returns the window's test positions (the members' mean), the members'
    positions (members x test days x assets), its summary row, one row per
    slot and one row per ensemble member.
    """
    n_trials = search.training.n_trials
    status = slot_status(study.get_trials(deepcopy=False), legacy, search.ss.max_retry)
    params_of = {n: dict(status[n][2].params) for n in range(n_trials)}
    scores = {n: status[n][1] if np.isfinite(status[n][1]) else -np.inf for n in range(n_trials)}
    # finished slots trained earlier in this folder are read back (and reported)
    earlier = search.tasks(w, [n for n in range(n_trials) if n not in ran], params_of)
    search.run_all([t for t in earlier if (t.folder / "result.json").is_file()])

    # rank trials by mean validation Sharpe, pruned ones after the completed ones; ensemble every
    # seed and fold of the top k
    pruned = {n: bool(status[n][2].user_attrs.get(PRUNED)) for n in range(n_trials)}
    ranked = rank_slots(scores, pruned)
    top = ranked[: search.training.ensemble_top_k]
    top_tasks = search.tasks(w, top, params_of)
    # winners trained by another machine sharing the study: train them here too (same seed)
    search.run_all([t for t in top_tasks if not (t.folder / "result.json").is_file()])
    window_pos, stack = ensemble_positions(top_tasks, w.test_hi - w.test_lo)
    members = member_rows(top_tasks, scores)
    folds = [f for f in search.folds.get(w.index, [None]) if f is not None]
    fold_cols = {n: _fold_columns(status[n][2], len(folds)) for n in range(n_trials)}
    epochs = slot_epochs(search.tasks(w, list(range(n_trials)), params_of))
    best_info = write_best(
        search.run_dir / "models" / search.variant.name / f"window-{w.index:02d}",
        top_tasks[0],
        _best_info(search, w, top, scores[top[0]], params_of[top[0]], folds, fold_cols[top[0]]),
        members,
    )
    skip = ("params", "members", "validation", "folds")
    window_row = {k: v for k, v in best_info.items() if k not in skip} | fold_cols[top[0]]
    window_row |= {f"param_{k}": v for k, v in params_of[top[0]].items()}
    trial_rows = [
        {"variant": search.variant.name, "window": w.index, "trial": n}
        | fold_cols[n]
        | {"val_sharpe": scores[n], "pruned": pruned[n], "epochs_run": epochs[n]}
        | {f"param_{k}": v for k, v in params_of[n].items()}
        for n in range(n_trials)
    ]
    member_table = [{"variant": search.variant.name, "window": w.index} | m for m in members]
    return window_pos, stack, window_row, trial_rows, member_table


def _fold_columns(trial: Any, n_folds: int) -> dict[str, float]:
    """``fold_<f>_sharpe`` of a finished trial (NaN where unknown); empty with validation last."""
    values = list(trial.user_attrs.get(FOLD_SHARPES) or []) if n_folds else []
    values += [None] * (n_folds - len(values))
    return {f"fold_{f}_sharpe": np.nan if v is None else float(v) for f, v in enumerate(values)}


def _best_info(
    search: _Search,
    w: Window,
    top: list[int],
    score: float,
    params: dict[str, Any],
    folds: list[Fold],
    fold_cols: dict[str, float],
) -> dict[str, Any]:
    """The ``best.json`` record of window ``w`` (before its members are added)."""
    variant = search.variant
    info: dict[str, Any] = {
        "variant": variant.name,
        "model": variant.model,
        "loss": variant.loss,
        "loss_cost_bps": variant.cost_bps,
        "window": w.index,
        "train_start": w.train_start,
        "val_start": w.val_start,
        "test_start": w.test_start,
        "test_end": w.test_end,
        "best_trial": top[0],
        "val_sharpe": score,
        "params": params,
        "ensemble_trials": top,
        "validation": search.training.validation,
    }
    if folds:
        info["folds"] = [
            {"fold": f.index, "val_start": f.val_start, "val_end": f.val_end, "embargo_days": f.embargo}
            | {"val_sharpe": fold_cols[f"fold_{f.index}_sharpe"]}
            for f in folds
        ]
    return info
