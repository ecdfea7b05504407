"""Executors run independent, picklable tasks and yield results as they finish.

The walk-forward submits (window x trial x seed) tasks through this small
interface, so a distributed engine can run the same tasks. Tasks write their
own results into the run folder, whichever process runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

__all__ = ["Executor", "LocalExecutor", "SerialExecutor", "make_executor"]


class Executor(Protocol):
    """Runs ``fn(task, *shared)`` for every task; yields results in completion order."""

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], *shared: Any) -> Iterator[Any]:
        """Run the tasks; ``shared`` objects (e.g. the data panel) go to every task."""
        ...


class SerialExecutor:
    """Runs tasks one after the other in this process (progress shows epochs)."""

    jobs = 1

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], *shared: Any) -> Iterator[Any]:
        """Run the tasks in order."""
        for task in tasks:
            yield fn(task, *shared)


def _call_single_threaded(fn: Callable[..., Any], task: Any, *shared: Any) -> Any:
    import torch

    # One BLAS/torch thread per worker: the workers already fill the cores.
    torch.set_num_threads(1)
    return fn(task, *shared)


class LocalExecutor:
    """Runs tasks in ``jobs`` local processes with joblib (loky).

    Large numpy arrays in ``shared`` are memory-mapped, not copied per task.
    """

    def __init__(self, jobs: int = 2) -> None:
        self.jobs = jobs

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], *shared: Any) -> Iterator[Any]:
        """Run the tasks in parallel; yield results as they finish."""
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=self.jobs, backend="loky", return_as="generator_unordered")
        yield from parallel(delayed(_call_single_threaded)(fn, t, *shared) for t in tasks)


def make_executor(kind: str = "local", jobs: int = 1) -> Executor:
    """Build an executor: ``local`` (joblib; serial when ``jobs == 1``)."""
    if kind == "local":
        return SerialExecutor() if jobs <= 1 else LocalExecutor(jobs)
    from deepmomentum.exceptions import ConfigError

    raise ConfigError(f"unknown executor {kind!r}; use local")
