"""The ML-enhanced ETF managed-futures system, as a library call.

The system is the composition trend model (with regime, sentiment and timeframe
overlays) -> constrained book -> hybrid rebalancing -> NAV engine; the stages
live in :mod:`deepmomentum.signals`, :mod:`deepmomentum.portfolio` and
:mod:`deepmomentum.rebalancing`, and :func:`deepmomentum.pipeline.run_pipeline`
runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from deepmomentum.config import RunConfig
from deepmomentum.data import MarketData
from deepmomentum.exceptions import ConfigError
from deepmomentum.run._classical import ManagedFuturesRun

__all__ = ["ManagedFuturesRun", "run_managed_futures"]


def run_managed_futures(
    cfg: RunConfig,
    out: str | Path,
    data: MarketData | None = None,
    progress: Callable[..., None] | None = None,
    executor: Any = None,
    force: bool = False,
) -> ManagedFuturesRun:
    """Run the managed-futures system walk-forward and write the run folder.

    Parameters
    ----------
    cfg : RunConfig
        ``managed_futures`` must be set; ``training`` gives the windows,
        device and precision; ``backtest.cost_bps`` the cost levels;
        ``data.macro_dir`` / ``data.sentiment_dir`` the optional overlays;
        ``pipeline`` (optional) swaps a stage.
    out : path
        The run folder (rerun to resume: finished training tasks are reused).
    data : MarketData, optional
    progress : callable, optional
        ``progress(event, **info)`` (``window``, ``task``).
    executor : Executor, optional
    force : bool, default False
        Clear ``out`` first when it holds another run (see :meth:`RunFolder.claim`).

    Returns
    -------
    ManagedFuturesRun
        Variants ``mf@<c>bp`` (hybrid rebalancing) and ``mf_daily@<c>bp``.
    """
    from deepmomentum.pipeline._run import run_pipeline

    if cfg.managed_futures is None:
        raise ConfigError(
            "the configuration has no [managed_futures] table; use --preset etf-managed-futures"
        )
    run = run_pipeline(cfg, out, data=data, progress=progress, executor=executor, force=force)
    assert isinstance(run, ManagedFuturesRun)
    return run
