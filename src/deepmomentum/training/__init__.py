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
from deepmomentum.training._ray import RayExecutor
from deepmomentum.training._storage import SearchStorage, open_storage
from deepmomentum.training._tasks import TrainTask, Window, run_task
from deepmomentum.training._trainer import (
    TrainParams,
    TrainResult,
    predict,
    resolve_device,
    seed_everything,
    train_network,
)
from deepmomentum.training._trend import (
    TrendParams,
    TrendTask,
    TrendWalkForward,
    run_trend_task,
    trend_panel,
    trend_samples,
    trend_walk_forward,
)
from deepmomentum.training._walkforward import WalkForwardResult, make_windows, walk_forward

__all__ = [
    "LOSS_NAMES",
    "Executor",
    "LocalExecutor",
    "LossSpec",
    "PanelArrays",
    "RayExecutor",
    "SearchStorage",
    "SequenceBatch",
    "SerialExecutor",
    "TrainParams",
    "TrainResult",
    "TrainTask",
    "TrendParams",
    "TrendTask",
    "TrendWalkForward",
    "WalkForwardResult",
    "Window",
    "build_panel",
    "captured_returns",
    "inference_sequences",
    "make_executor",
    "make_windows",
    "masked_sharpe",
    "open_storage",
    "predict",
    "resolve_device",
    "run_task",
    "run_trend_task",
    "seed_everything",
    "train_network",
    "training_sequences",
    "trend_panel",
    "trend_samples",
    "trend_walk_forward",
    "walk_forward",
]
