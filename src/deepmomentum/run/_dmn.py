"""The Deep Momentum Network system, as a library call.

The system is the composition DMN positions (each ``[[models]]`` variant
walk-forward) -> the paper's vol scaling -> daily rebalancing -> the paper's
engine, with the classical benchmarks beside; see
:func:`deepmomentum.pipeline.run_pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from deepmomentum.config import RunConfig
from deepmomentum.data import MarketData
from deepmomentum.exceptions import ConfigError
from deepmomentum.run._classical import BacktestRun

__all__ = ["run_models"]


def run_models(
    cfg: RunConfig,
    out: str | Path,
    data: MarketData | None = None,
    progress: Callable[..., None] | None = None,
    executor: Any = None,
    storage: str | None = None,
    force: bool = False,
) -> BacktestRun:
    """Train every configured model walk-forward, then backtest them with the benchmarks.

    Rerunning with the same ``out`` resumes: finished tasks are read back, not
    retrained, and the results are identical.

    Parameters
    ----------
    cfg : RunConfig
        ``models`` must list at least one variant; ``pipeline`` (optional)
        puts the positions into another portfolio step or schedule.
    out : path
        The run folder.
    data : MarketData, optional
        Loaded from ``cfg.data`` if None.
    progress : callable, optional
        ``progress(event, **info)``: events ``variant``, ``window``, ``task``, ``epoch``.
    executor : Executor, optional
        Default: ``cfg.training.executor`` (local joblib with ``cfg.training.jobs``
        workers, or Ray at ``cfg.training.ray_address``).
    storage : str, optional
        Optuna storage URL; default ``cfg.training.storage``, else SQLite
        ``optuna.db`` in the run folder.
    force : bool, default False
        Clear ``out`` first when it holds another run (see :meth:`RunFolder.claim`).

    Returns
    -------
    BacktestRun
        Variants ``<model>@<cost>bp`` and the classical benchmarks, over the
        out-of-sample span only.
    """
    from deepmomentum.pipeline._run import run_pipeline

    if not cfg.models:
        raise ConfigError("the configuration lists no [[models]]; add one or use --preset dmn-quick")
    return run_pipeline(cfg, out, data, progress, executor, storage, force)
