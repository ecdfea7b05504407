"""A search worker for the tests: ``python _worker.py URL RUN_DIR VARIANT [hang]``.

Runs the tiny walk-forward on shared storage and saves the positions to
RUN_DIR/positions.npy. With ``hang``, it stops forever after its first task
(heartbeats still beating) so the test can kill it mid-trial.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _tiny import LSTM, TRAINING, panel

from deepmomentum.training import SerialExecutor, walk_forward


def main() -> None:
    url, run_dir, name = sys.argv[1:4]
    hang = sys.argv[4:] == ["hang"]

    def progress(event: str, **info: object) -> None:
        if hang and event == "task":
            (Path(run_dir) / "claimed").touch()
            threading.Event().wait()  # stuck mid-trial until killed

    res = walk_forward(
        LSTM.model_copy(update={"name": name}),
        panel(),
        TRAINING,
        run_dir,
        seed=11,
        executor=SerialExecutor(),
        progress=progress,
        storage=url,
    )
    np.save(Path(run_dir) / "positions.npy", res.positions.to_numpy())
    print(f"trained={res.trained} reused={res.reused}")


if __name__ == "__main__":
    main()
