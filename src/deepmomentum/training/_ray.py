"""Run walk-forward tasks on a Ray cluster (optional: ``pip install 'deepmomentum[ray]'``).

The data panel goes into the cluster's object store once per :meth:`RayExecutor.map`
call (``ray.put``); each task ships only its small :class:`TrainTask`. A
training task runs in a scratch folder on its worker and sends its files back
(model, positions, result: a few hundred kB), and the driver writes them into
the run folder as each task finishes, ``result.json`` last. So workers need no
shared file system, and the run folder has a single writer. Ray re-runs a task
whose worker died (``retries`` times).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from deepmomentum._io import atomic_write_bytes
from deepmomentum.exceptions import ConfigError
from deepmomentum.training._tasks import TrainTask, run_task
from deepmomentum.training._worker import call_single_threaded

__all__ = ["RayExecutor"]

log = logging.getLogger("deepmomentum.training")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--executor ray needs Ray: pip install 'deepmomentum[ray]' (or use --executor local)"
        ) from None
    return ray


def _remote_call(fn: Callable[..., Any], task: Any, *shared: Any) -> tuple[Any, dict[str, bytes] | None]:
    """Body of a Ray task: run ``fn``; a training task runs in a scratch folder and returns its files."""
    if fn is run_task and isinstance(task, TrainTask):
        with tempfile.TemporaryDirectory(prefix="deepmomentum-task-") as tmp:
            local = dataclasses.replace(task, run_dir=tmp)
            result = call_single_threaded(run_task, local, *shared)
            files = {p.name: p.read_bytes() for p in local.folder.iterdir() if p.is_file()}
        return result, files
    return call_single_threaded(fn, task, *shared), None


def _land(task: TrainTask, files: dict[str, bytes]) -> None:
    """Write a remote task's files into the run folder, ``result.json`` last, each atomically."""
    folder = task.folder
    for name in sorted(files, key=lambda n: n == "result.json"):
        atomic_write_bytes(folder / name, files[name])


class RayExecutor:
    """Runs tasks on a Ray cluster; yields results as they finish.

    Parameters
    ----------
    address : str, optional
        Cluster address given to :func:`ray.init` (``auto``, ``host:6379``,
        ``ray://host:10001``). None: connect to the cluster already initialised
        in this process, or start a local one.
    jobs : int, optional
        Tasks submitted at once (the walk-forward's batch of trials); default:
        the cluster's CPU count.
    retries : int
        Times Ray re-runs a task whose worker process or node died.
    """

    def __init__(self, address: str | None = None, jobs: int | None = None, retries: int = 3) -> None:
        self.address = address
        self._jobs = jobs
        self.retries = retries

    def _ray(self) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address is None and self._jobs is not None:
                kwargs["num_cpus"] = self._jobs
            try:
                ray.init(address=self.address, **kwargs)
            except ConnectionError as exc:
                raise ConfigError(
                    f"cannot reach the Ray cluster at {self.address!r} ({exc}); start it with "
                    "`ray start --head` or fix --ray-address"
                ) from None
        return ray

    @property
    def jobs(self) -> int:
        """Tasks run at once (connects to the cluster if ``jobs`` was not given)."""
        if self._jobs is not None:
            return self._jobs
        cpus = self._ray().cluster_resources().get("CPU", 1)
        return max(int(cpus), 1)

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], *shared: Any) -> Iterator[Any]:
        """Submit every task; yield each result as soon as it is back (and its files landed)."""
        ray = self._ray()
        todo: list[Any] = []
        for task in tasks:
            # finished training tasks are read back here, not shipped
            if fn is run_task and isinstance(task, TrainTask) and (task.folder / "result.json").is_file():
                yield run_task(task, *shared)
            else:
                todo.append(task)
        if not todo:
            return
        refs = [ray.put(obj) for obj in shared]  # once per call, not once per task
        remote = ray.remote(num_cpus=1, max_retries=self.retries, retry_exceptions=False)(_remote_call)
        running = {remote.remote(fn, task, *refs): task for task in todo}
        try:
            while running:
                ready, _ = ray.wait(list(running), num_returns=1)
                task = running.pop(ready[0])
                result, files = ray.get(ready[0])
                if files is not None:
                    _land(task, files)
                yield result
        finally:
            for ref in running:  # generator closed early or a task failed
                ray.cancel(ref)
