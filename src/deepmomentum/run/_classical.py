"""The classical backtest pipeline: data -> signals -> backtest -> run folder."""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

import deepmomentum.run._layout as layout
from deepmomentum.config import DataConfig, RunConfig
from deepmomentum.data import MarketData, load_data_dir, make_synthetic_market
from deepmomentum.engine import (
    BacktestResult,
    backtest,
    benchmark_returns,
)
from deepmomentum.exceptions import ConfigError
from deepmomentum.portfolio._vol_scaling import settings_from_config
from deepmomentum.run._folder import RunFolder, utc_now
from deepmomentum.run._significance import run_inference
from deepmomentum.signals import get_strategy

if TYPE_CHECKING:
    from deepmomentum.data.acquisition import QualityPolicy

__all__ = [
    "BacktestRun",
    "ManagedFuturesRun",
    "load_market",
    "load_market_logged",
    "run_backtest",
    "settings_from_config",
    "write_results",
]

log = logging.getLogger("deepmomentum")


@dataclass
class BacktestRun:
    """What a backtest run produced.

    Attributes
    ----------
    config : RunConfig
        The resolved configuration.
    data : MarketData
    result : BacktestResult
    metrics : pd.DataFrame
        Measures per variant of the implementable net returns.
    metrics_ex_post : pd.DataFrame
        The same on the ex-post rescaled series (comparison only).
    benchmarks : pd.DataFrame
        Daily returns of the comparison series within the span.
    path : Path or None
        The run folder, when one was written.
    """

    config: RunConfig
    data: MarketData
    result: BacktestResult
    metrics: pd.DataFrame
    metrics_ex_post: pd.DataFrame
    benchmarks: pd.DataFrame
    path: Path | None = None


@dataclass
class ManagedFuturesRun(BacktestRun):
    """A :class:`BacktestRun` of a book (constrained or scheduled), with its own outputs.

    Attributes
    ----------
    comparison : pd.DataFrame
        The benchmark table (``span`` column: ``oos`` or ``dbmf_life``).
    rebalances : pd.DataFrame
        Rebalance dates, triggers, ex-ante vol, binding constraints.
    notes : list of str
        Warnings the run gave (fallbacks, unmet targets).
    """

    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    rebalances: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def load_market(cfg: DataConfig) -> MarketData:
    """Load the configured data folder, or the synthetic demo data when none is given.

    The quality policy is ``QualityPolicy()`` (isolated bad prints dropped) with
    ``cfg.quality``'s actions; ``cfg.quality_check = False`` skips the checks.
    """
    if cfg.data_dir is None:
        return make_synthetic_market()
    policy: QualityPolicy | Literal[False] = False
    if cfg.quality_check:
        from deepmomentum.data.acquisition import QualityPolicy

        try:
            policy = QualityPolicy().with_actions(cfg.quality)
        except ValueError as exc:
            raise ConfigError(f"data.quality: {exc}") from None
    return load_data_dir(
        cfg.data_dir, min_history=cfg.min_history, max_carry_days=cfg.max_carry_days, quality=policy
    )


def load_market_logged(cfg: DataConfig, data: MarketData | None = None) -> MarketData:
    """:func:`load_market` (unless ``data`` is given), with its warnings also sent to the run log."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = data if data is not None else load_market(cfg)
    for w in caught:
        log.warning("%s", w.message)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    log.info("%s", data.describe())
    return data


def write_results(
    folder: RunFolder,
    data: MarketData,
    result: BacktestResult,
    benchmarks: pd.DataFrame,
    metrics: pd.DataFrame,
    metrics_ex_post: pd.DataFrame,
) -> None:
    """Write the result files of the run-folder contract (returns, positions, metrics...)."""
    folder.write_csv(layout.RETURNS, result.portfolio_returns)
    folder.write_csv(layout.RETURNS_EX_POST, result.ex_post_rescaled)
    folder.write_csv(layout.BENCHMARKS, benchmarks)
    folder.write_parquet(layout.POSITIONS, result.positions_long())
    span = result.asset_returns.loc[result.start : result.end]
    long = span.stack(future_stack=True).dropna().reset_index()
    long.columns = pd.Index(["date", "symbol", "return"])
    folder.write_parquet(layout.ASSET_RETURNS, long)
    folder.write_json(layout.METRICS, metrics.to_dict(orient="index"))
    folder.write_json(layout.METRICS_EX_POST, metrics_ex_post.to_dict(orient="index"))
    # after models/trials.csv (written with the signal), whose trial counts the DSR uses
    folder.write_json(layout.SIGNIFICANCE, run_inference(result.portfolio_returns, folder.path).to_json())
    folder.write_csv(layout.UNIVERSE, data.universe.to_frame(), index=False)
    if data.quality is not None:
        folder.write_csv(layout.QUALITY, data.quality, index=False)


def run_backtest(
    cfg: RunConfig,
    out: str | Path | None = None,
    data: MarketData | None = None,
    command: str = "backtest",
    force: bool = False,
) -> BacktestRun:
    """Backtest the configured classical strategies at every cost level.

    Parameters
    ----------
    cfg : RunConfig
        The configuration (``data``, ``features``, ``backtest`` parts).
    out : str or Path, optional
        Run folder to write (see ``docs/run-folder.md``); nothing is written if None.
    data : MarketData, optional
        Pre-loaded data; loaded from ``cfg.data`` if None.
    command : str
        Recorded in ``meta.json``.
    force : bool, default False
        Clear ``out`` first when it holds another run (see :meth:`RunFolder.claim`).

    Returns
    -------
    BacktestRun
    """
    started = utc_now()
    t0 = time.perf_counter()
    folder = RunFolder.claim(out, "backtest", cfg, force=force) if out is not None else None
    with folder.recording() if folder is not None else contextlib.nullcontext():
        data = load_market_logged(cfg.data, data)
        prices = data.tradable_prices
        signals = {name: get_strategy(name).signal(prices) for name in cfg.backtest.strategies}
        asset_costs = data.universe.costs_bps(0.0) if cfg.backtest.universe_costs else None
        result = backtest(
            prices,
            signals,
            cost_bps=cfg.backtest.cost_bps,
            settings=settings_from_config(cfg),
            start=None if cfg.data.start is None else pd.Timestamp(cfg.data.start),
            end=None if cfg.data.end is None else pd.Timestamp(cfg.data.end),
            asset_cost_bps=asset_costs,
        )
        bench = benchmark_returns(data).loc[result.start : result.end]
        bench = bench.iloc[1:] if len(bench) else bench  # same first return date as the strategies
        ref = data.reference_symbol
        reference = bench[ref] if ref is not None and ref in bench else None
        metrics = result.metrics(reference=reference)
        metrics_ex_post = result.metrics(reference=reference, ex_post=True)
        run = BacktestRun(cfg, data, result, metrics, metrics_ex_post, bench, None)
        if folder is not None:
            write_results(folder, data, result, bench, metrics, metrics_ex_post)
            folder.write_config(cfg)
            folder.write_meta(
                kind="backtest",
                command=command,
                seed=cfg.seed,
                reference=ref,
                data=data.meta(),
                span={"start": str(result.start.date()), "end": str(result.end.date())},
                started_at=started,
                finished_at=utc_now(),
                elapsed_s=round(time.perf_counter() - t0, 3),
            )
            run.path = folder.path
            log.info("wrote %s", folder.path)
        return run
