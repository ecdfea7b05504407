"""Executors run independent, picklable tasks and yield results as they finish.

The walk-forward submits (window x trial x seed) tasks through this small
interface, so a distributed engine can run the same tasks. Tasks write their
own results into the run folder, whichever process runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from deepmomentum.training._worker import call_single_threaded

__all__ = ["Executor", "LocalExecutor", "SerialExecutor", "make_executor"]

log = logging.getLogger("deepmomentum.training")


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


def _call_indexed(fn: Callable[..., Any], i: int, task: Any, *shared: Any) -> tuple[int, Any]:
    return i, call_single_threaded(fn, task, *shared)


class LocalExecutor:
    """Runs tasks in ``jobs`` local processes with joblib (loky).

    Large numpy arrays in ``shared`` are memory-mapped, not copied per task.
    A worker process that dies (killed, out of memory) loses its task: the
    unfinished tasks are then run again in a fresh pool, up to ``retries``
    times. Tasks must therefore be idempotent (training tasks are: a finished
    one is read back from the run folder).

    Parameters
    ----------
    jobs : int
    retries : int
        How many times a map call restarts the pool after a worker died.
    """

    def __init__(self, jobs: int = 2, retries: int = 3) -> None:
        self.jobs = jobs
        self.retries = retries

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], *shared: Any) -> Iterator[Any]:
        """Run the tasks in parallel; yield results as they finish."""
        from joblib import Parallel, delayed

        pending = dict(enumerate(tasks))
        attempt = 0
        while pending:
            todo = list(pending.items())
            parallel = Parallel(n_jobs=self.jobs, backend="loky", return_as="generator_unordered")
            try:
                for i, result in parallel(delayed(_call_indexed)(fn, i, t, *shared) for i, t in todo):
                    del pending[i]
                    yield result
            except BrokenProcessPool as exc:  # loky's TerminatedWorkerError derives from it
                attempt += 1
                if attempt > self.retries:
                    raise
                log.warning(
                    "a worker process died (%s); running the %d unfinished tasks again (retry %d of %d)",
                    str(exc).splitlines()[0],
                    len(pending),
                    attempt,
                    self.retries,
                )


def make_executor(kind: str = "local", jobs: int = 1, address: str | None = None) -> Executor:
    """Build an executor.

    Parameters
    ----------
    kind : {"local", "ray"}
        ``local``: joblib processes on this machine (serial when ``jobs == 1``);
        ``ray``: a Ray cluster (needs ``pip install 'deepmomentum[ray]'``).
    jobs : int
        Local workers; for Ray, the tasks run at once (default when 1: the
        cluster's CPU count).
    address : str, optional
        Ray cluster address (``auto``, ``ray://host:10001``, ``host:6379``);
        None starts a local Ray cluster. Only for ``ray``.
    """
    from deepmomentum.exceptions import ConfigError

    if kind == "local":
        if address is not None:
            raise ConfigError("--ray-address needs --executor ray")
        return SerialExecutor() if jobs <= 1 else LocalExecutor(jobs)
    if kind == "ray":
        from deepmomentum.training._ray import RayExecutor

        return RayExecutor(address=address, jobs=jobs if jobs > 1 else None)
    raise ConfigError(f"unknown executor {kind!r}; use local or ray")
