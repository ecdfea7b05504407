"""Optuna bookkeeping of the walk-forward search: slots, their status, claiming.

Each window's study has ``n_trials`` *slots*. A slot's parameters are drawn
by a sampler seeded with (seed, variant, window, slot) and enqueued as a
WAITING trial; a worker claims it with ``study.ask()``. A slot counts once:
its first COMPLETE trial (or FAIL for lack of a finite score) is its result;
a trial whose worker died is failed and re-queued, never counted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from deepmomentum.training._storage import SearchStorage, quiet_optuna

__all__ = [
    "FOLD_SHARPES",
    "OUTCOME",
    "SLOT",
    "Claim",
    "claim_waiting",
    "enqueue_slots",
    "is_duplicate",
    "open_study",
    "slot_of",
    "slot_params",
    "slot_status",
    "takeover_running",
    "tell",
    "trial_seed",
]

log = logging.getLogger("deepmomentum.training")

SLOT = "dm_slot"  # user attribute: which of the n_trials search slots a trial fills
OUTCOME = "dm_outcome"  # user attribute of FAIL trials: nan (no finite score), duplicate, stray
FOLD_SHARPES = "dm_fold_sharpes"  # user attribute: per-fold validation Sharpes (blocked validation)

Claim = tuple[Any, int, dict[str, Any]]  # (optuna trial, slot, params) claimed by this worker


def trial_seed(seed: int, *parts: object) -> int:
    """A 32-bit seed derived from ``seed`` and ``parts`` (stable across runs and machines)."""
    text = ":".join(str(p) for p in (seed, *parts))
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def open_study(ss: SearchStorage, name: str) -> tuple[Any, bool]:
    """The study ``name`` (created if missing) and whether it predates slots (legacy)."""
    import optuna

    study = optuna.create_study(
        study_name=name,
        storage=ss.storage,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.RandomSampler(seed=0),  # unused: every trial is enqueued with its params
    )
    if study.user_attrs.get("dm_format") is None:
        # a study from before slots keeps slot = trial number for its trials
        study.set_user_attr("dm_format", 1 if study.get_trials(deepcopy=False) else 2)
    return study, study.user_attrs["dm_format"] == 1


def slot_of(t: Any, legacy: bool) -> int | None:
    """The search slot of a trial; None for a trial that is no part of the search."""
    if t.user_attrs.get(OUTCOME) in ("duplicate", "stray"):
        return None
    slot = t.user_attrs.get(SLOT)
    if slot is None:
        return t.number if legacy else None  # studies written before slots: slot = trial number
    return int(slot)


def slot_status(trials: list[Any], legacy: bool, max_retry: int) -> dict[int, tuple[str, float, Any]]:
    """Per slot: (``done``, score, trial) / (``busy``, nan, trial) / (``lost``, nan, trial).

    A slot is done when one of its trials is COMPLETE (its value is the
    score) or was told FAIL for lack of a finite score, or when its trials
    failed (dead workers) more than ``max_retry`` times. ``lost``: failed and
    not yet re-queued.
    """
    from optuna.trial import TrialState

    groups: dict[int, list[Any]] = {}
    for t in trials:
        slot = slot_of(t, legacy)
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


def is_duplicate(trials: list[Any], number: int, slot: int, legacy: bool) -> bool:
    """Whether a lower-numbered trial of the same slot is queued, running or finished with a result."""
    from optuna.trial import TrialState

    for t in trials:
        if t.number == number or slot_of(t, legacy) != slot:
            continue
        if t.state == TrialState.COMPLETE:
            return True
        if t.number < number and (
            t.state in (TrialState.RUNNING, TrialState.WAITING) or t.user_attrs.get(OUTCOME) == "nan"
        ):
            return True
    return False


def slot_params(
    study: Any, sampler: str, seed: int, distributions: dict[str, Any], legacy: bool
) -> dict[str, Any]:
    """Parameters of a new slot: drawn with a sampler seeded by (seed, variant, window, slot)."""
    import optuna
    from optuna.trial import TrialState

    if sampler == "tpe":
        proxy = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)
        )
        history = [
            optuna.trial.create_trial(params=t.params, distributions=t.distributions, value=t.value)
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if slot_of(t, legacy) is not None
        ]
        proxy.add_trials(history)
    else:
        proxy = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed))
    return dict(proxy.ask(distributions).params)


def tell(study: Any, trial: Any, score: float, attrs: dict[str, Any] | None = None) -> bool:
    """Tell a claimed trial its score; False if it was meanwhile failed as dead (not counted).

    ``attrs`` are set as the trial's user attributes first (e.g. the fold scores).
    """
    import optuna

    try:
        for key, value in (attrs or {}).items():
            trial.set_user_attr(key, value)
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


def takeover_running(study: Any, legacy: bool) -> list[Claim]:
    """Trials left RUNNING in a run folder's own study: a killed run of it claimed them."""
    import optuna
    from optuna.trial import TrialState

    takeover: list[Claim] = []
    for ft in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        slot = slot_of(ft, legacy)
        if slot is not None:
            takeover.append((optuna.trial.Trial(study, ft._trial_id), slot, dict(ft.params)))
    return takeover


def enqueue_slots(
    study: Any,
    trials: list[Any],
    status: dict[int, tuple[str, float, Any]],
    n_trials: int,
    batch: int,
    legacy: bool,
    distributions: dict[str, Any],
    new_params: Callable[[int], dict[str, Any]],
) -> None:
    """Enqueue missing and lost slots, keeping at most ``batch`` of the search's trials WAITING.

    A lost slot is re-queued with its parameters; a missing one gets
    ``new_params(slot)``.
    """
    import optuna
    from optuna.trial import TrialState

    n_waiting = sum(1 for t in trials if t.state == TrialState.WAITING and slot_of(t, legacy) is not None)
    todo = [n for n in range(n_trials) if status.get(n, ("missing",))[0] in ("missing", "lost")]
    for n in todo[: max(batch - n_waiting, 0)]:
        params = dict(status[n][2].params) if n in status else new_params(n)
        study.add_trial(
            optuna.trial.create_trial(
                state=TrialState.WAITING,
                params=params,
                distributions=distributions,
                user_attrs={SLOT: n},
            )
        )


def claim_waiting(study: Any, ss: SearchStorage, mine: list[Claim], batch: int, legacy: bool) -> None:
    """Claim WAITING trials into ``mine`` until it holds ``batch`` or the queue is empty.

    A claimed trial whose slot another trial already fills is failed as
    ``duplicate``; a fresh trial made by ``ask()`` on an emptied queue as ``stray``.
    """
    from optuna.trial import TrialState

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
        if is_duplicate(study.get_trials(deepcopy=False), trial.number, int(slot), legacy):
            trial.set_user_attr(OUTCOME, "duplicate")
            study.tell(trial, state=TrialState.FAIL)
            continue
        mine.append((trial, int(slot), dict(trial.params)))
