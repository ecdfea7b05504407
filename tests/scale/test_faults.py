"""Crash safety: a killed worker process, a killed driver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from _tiny import LSTM, TRAINING, panel

from deepmomentum.data import make_synthetic_market
from deepmomentum.training import LocalExecutor, SerialExecutor, run_task, walk_forward

# loky workers cannot import this test module: ship its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _die_once(task, data, marker: str):
    if not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-task
    return run_task(task, data)


def _always_die(task, data):
    os.kill(os.getpid(), signal.SIGKILL)


class KillOnce(LocalExecutor):
    """A local executor whose first task kills its worker process."""

    def __init__(self, marker: Path) -> None:
        super().__init__(jobs=2, retries=2)
        self.marker = str(marker)

    def map(self, fn, tasks, *shared):
        return super().map(_die_once, tasks, *shared, self.marker)


def test_killed_worker_is_retried_and_results_identical(tmp_path: Path) -> None:
    data = panel()
    ref = walk_forward(LSTM, data, TRAINING, tmp_path / "ref", seed=2, executor=SerialExecutor())
    res = walk_forward(LSTM, data, TRAINING, tmp_path / "run", seed=2, executor=KillOnce(tmp_path / "died"))
    assert (tmp_path / "died").exists()
    np.testing.assert_array_equal(ref.positions.to_numpy(), res.positions.to_numpy())
    assert len(res.trials) == TRAINING.n_trials


def test_worker_deaths_are_bounded() -> None:
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool):
        list(LocalExecutor(jobs=2, retries=1).map(_always_die, [1, 2], None))


CONFIG = """
seed = 3
[backtest]
strategies = ["long_only"]
cost_bps = [0, 2]
[training]
first_test_year = 2005
retrain_years = 1
seq_len = 21
max_epochs = 2
patience = 2
n_trials = 2
device = "cpu"
[training.search]
dropout = [0.1]
hidden_size = [4]
batch_size = [64]
lr = [1e-2]
max_grad_norm = [1.0]
[[models]]
name = "lstm"
model = "lstm"
"""


def _data_dir(folder: Path) -> Path:
    data = make_synthetic_market(n_per_class=2, start="2001-01-03", end="2007-12-31", late_starters=False)
    folder.mkdir()
    data.universe.to_frame().to_csv(folder / "universe.csv", index=False)
    for sym in data.prices.columns:
        s = data.prices[sym].dropna()
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.to_numpy()}).to_csv(
            folder / f"{sym}.csv", index=False
        )
    return folder


def _cli(*args: str) -> subprocess.Popen[str]:
    cmd = [str(Path(sys.executable).parent / "deepmomentum"), "run", *args, "--no-report", "--quiet"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_killed_driver_resumes_identically(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(CONFIG)
    data = _data_dir(tmp_path / "data")
    base = ["--config", str(cfg), "--data-dir", str(data)]
    run = tmp_path / "run"
    driver = _cli(*base, "--out", str(run), "--jobs", "2")
    first = run / "models" / "lstm" / "window-00"
    deadline = time.monotonic() + 120
    while not (first / "best.json").exists():  # window 0 done, window 1 starting
        assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()[0]
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert not (run / "returns.csv").exists()  # killed before the end
    stamps = {p: p.stat().st_mtime_ns for p in first.glob("trial-*/*")}  # trained files
    resumed = _cli("--resume", str(run))
    out = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, out
    assert stamps and {p: p.stat().st_mtime_ns for p in stamps} == stamps  # window 0 not retrained
    full = _cli(*base, "--out", str(tmp_path / "full"))
    assert full.communicate(timeout=300)[0] is not None and full.returncode == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(run / "returns.csv"), pd.read_csv(tmp_path / "full" / "returns.csv")
    )
