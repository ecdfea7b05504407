"""Walk-forward tasks on a local Ray cluster give the local executor's positions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _tiny import LSTM, TRAINING, panel

from deepmomentum.training import SerialExecutor, make_executor, walk_forward

ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'deepmomentum[ray]'")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_executor_matches_local(cluster: None, tmp_path: Path) -> None:
    data = panel()
    local = walk_forward(LSTM, data, TRAINING, tmp_path / "local", seed=5, executor=SerialExecutor())
    executor = make_executor("ray", 1)  # jobs from the cluster: 2 CPUs
    assert executor.jobs == 2
    events: list[dict] = []
    on_ray = walk_forward(
        LSTM,
        data,
        TRAINING,
        tmp_path / "ray",
        seed=5,
        executor=executor,
        progress=lambda e, **i: events.append(i) if e == "task" else None,
    )
    np.testing.assert_array_equal(local.positions.to_numpy(), on_ray.positions.to_numpy())
    assert on_ray.trained == TRAINING.n_trials and len(events) == TRAINING.n_trials
    # the workers' files landed in the run folder, complete
    for n in range(TRAINING.n_trials):
        (folder,) = (tmp_path / "ray" / "models" / "lstm" / "window-00").glob(f"trial-{n:03d}-seed-*")
        assert {p.name for p in folder.iterdir()} == {"model.pt", "positions.npy", "result.json"}
    again = walk_forward(LSTM, data, TRAINING, tmp_path / "ray", seed=5, executor=executor)
    assert again.trained == 0
    np.testing.assert_array_equal(again.positions.to_numpy(), on_ray.positions.to_numpy())
