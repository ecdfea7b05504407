"""What runs inside a worker process, whichever executor started it (joblib or Ray).

Its own module so that the executors share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["call_single_threaded"]


def call_single_threaded(fn: Callable[..., Any], task: Any, *shared: Any) -> Any:
    """Run ``fn(task, *shared)`` with one torch thread.

    One BLAS/torch thread per worker: the workers already fill the cores.
    """
    import torch

    torch.set_num_threads(1)
    return fn(task, *shared)
