"""Shared hyperparameter search on a real PostgreSQL server (started by .ci/services.sh)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from _tiny import LSTM, TRAINING, panel, pg_url

from deepmomentum.training import SerialExecutor, walk_forward

WORKER = str(Path(__file__).parent / "_worker.py")
ENV_FAST = {"DEEPMOMENTUM_HEARTBEAT_S": "1", "DEEPMOMENTUM_GRACE_S": "3"}


@pytest.fixture(scope="module")
def url() -> str:
    pytest.importorskip("psycopg2", reason="needs the postgres extra: pip install 'deepmomentum[postgres]'")
    found = pg_url()
    if not found:
        pytest.skip("no PostgreSQL: set DEEPMOMENTUM_TEST_PG_URL or run bash .ci/services.sh")
    import sqlalchemy

    from deepmomentum.training._storage import normalize_url

    found = normalize_url(found)

    try:
        sqlalchemy.create_engine(found).connect().close()
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {found} not reachable ({type(exc).__name__}); run bash .ci/services.sh")
    return found


def _worker(url: str, run_dir: Path, name: str, *extra: str) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen(
        [sys.executable, WORKER, url, str(run_dir), name, *extra],
        env={**os.environ, **ENV_FAST},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _trials(url: str, name: str, window: int) -> list:
    import optuna

    return optuna.load_study(study_name=f"{name}-w{window:02d}", storage=url).get_trials()


def _reference(tmp_path: Path, name: str) -> np.ndarray:
    res = walk_forward(
        LSTM.model_copy(update={"name": name}), panel(), TRAINING, tmp_path / "ref", 11, SerialExecutor()
    )
    return res.positions.to_numpy()


def _slots_counted_once(url: str, name: str) -> None:
    from optuna.trial import TrialState

    for w in range(1):
        trials = _trials(url, name, w)
        done = [t.user_attrs["dm_slot"] for t in trials if t.state == TrialState.COMPLETE]
        assert sorted(done) == list(range(TRAINING.n_trials)), (w, Counter(done))


def test_two_workers_share_one_postgres_study(url: str, tmp_path: Path) -> None:
    name = f"pg{uuid.uuid4().hex[:8]}"
    procs = [_worker(url, tmp_path / f"m{i}", name) for i in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _slots_counted_once(url, name)
    # each slot trained once across the two machines (plus the winners each lacked)
    trained = [int(o.split("trained=")[1].split()[0]) for o in outs]
    assert TRAINING.n_trials <= sum(trained) <= TRAINING.n_trials + 2, outs  # + winner each lacked
    ref = _reference(tmp_path, name)
    for i in range(2):
        np.testing.assert_array_equal(np.load(tmp_path / f"m{i}" / "positions.npy"), ref)


def test_dead_worker_trial_is_retried_not_counted(url: str, tmp_path: Path) -> None:
    from optuna.trial import TrialState

    name = f"pg{uuid.uuid4().hex[:8]}"
    stuck = _worker(url, tmp_path / "dead", name, "hang")
    deadline = time.monotonic() + 60
    while not (tmp_path / "dead" / "claimed").exists():
        assert stuck.poll() is None and time.monotonic() < deadline, stuck.communicate()[0]
        time.sleep(0.1)
    stuck.kill()  # dies mid-trial holding a claimed (RUNNING) trial
    stuck.wait()
    survivor = _worker(url, tmp_path / "alive", name)
    out = survivor.communicate(timeout=120)[0]
    assert survivor.returncode == 0, out
    trials = _trials(url, name, 0)
    dead = [t for t in trials if t.state == TrialState.FAIL]
    assert dead and all("dm_outcome" not in t.user_attrs for t in dead)  # failed by heartbeat
    retried = [t for t in trials if t.system_attrs.get("failed_trial") is not None]
    assert retried and all(t.state == TrialState.COMPLETE for t in retried)
    _slots_counted_once(url, name)
    np.testing.assert_array_equal(np.load(tmp_path / "alive" / "positions.npy"), _reference(tmp_path, name))
