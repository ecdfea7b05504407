"""Training: sequences, losses, the trainer, executors and the walk-forward search."""

from deepmomentum.training._dataset import (
    PanelArrays,
    SequenceBatch,
    build_panel,
    inference_sequences,
    training_sequences,
)
from deepmomentum.training._executor import Executor, LocalExecutor, SerialExecutor, make_executor
from deepmomentum.training._losses import LOSS_NAMES, LossSpec, captured_returns, masked_sharpe
from deepmomentum.training._tasks import TrainTask, Window, run_task
from deepmomentum.training._trainer import (
    TrainParams,
    TrainResult,
    predict,
    resolve_device,
    seed_everything,
    train_network,
)
from deepmomentum.training._walkforward import WalkForwardResult, make_windows, walk_forward

__all__ = [
    "LOSS_NAMES",
    "Executor",
    "LocalExecutor",
    "LossSpec",
    "PanelArrays",
    "SequenceBatch",
    "SerialExecutor",
    "TrainParams",
    "TrainResult",
    "TrainTask",
    "WalkForwardResult",
    "Window",
    "build_panel",
    "captured_returns",
    "inference_sequences",
    "make_executor",
    "make_windows",
    "masked_sharpe",
    "predict",
    "resolve_device",
    "run_task",
    "seed_everything",
    "train_network",
    "training_sequences",
    "walk_forward",
]
