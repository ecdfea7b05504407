"""Run a composition: claim the folder, compute the signal, size, schedule, simulate, write.

The paper's path (vol scaling traded daily) goes through
:func:`deepmomentum.engine.backtest` with the classical benchmarks beside the
models; every other composition builds target weights on its rebalance days and
goes through :func:`deepmomentum.engine.simulate` (NAV convention for the
constrained book, the paper's for vol scaling).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from deepmomentum.config import DataConfig, RunConfig
from deepmomentum.data import MarketData
from deepmomentum.pipeline._compose import Composition, compose
from deepmomentum.pipeline._outputs import write_book_outputs
from deepmomentum.pipeline._stages import Context
from deepmomentum.run._classical import (
    BacktestRun,
    ManagedFuturesRun,
    load_market_logged,
    settings_from_config,
    write_results,
)
from deepmomentum.run._folder import RunFolder, utc_now
from deepmomentum.signals import SignalOutput

if TYPE_CHECKING:
    from deepmomentum.engine import BacktestResult

__all__ = [
    "BookComputation",
    "compute_book",
    "compute_paper_daily",
    "compute_result",
    "run_pipeline",
    "volatile_keys",
]

log = logging.getLogger("deepmomentum")


def volatile_keys(cfg: RunConfig) -> tuple[str, ...]:
    """Settings that may change when a run is continued without changing its results."""
    keys = ["description", "data.data_dir", "training.executor", "training.ray_address", "training.storage"]
    if cfg.training.sampler != "tpe":  # TPE's proposals depend on the batch size (= jobs)
        keys.append("training.jobs")
    return tuple(keys)


def _narrow(span: tuple[pd.Timestamp, pd.Timestamp], data: DataConfig) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``data.start`` / ``data.end`` can only narrow the out-of-sample span, never widen it."""
    first, last = span
    if data.start is not None:
        first = max(first, pd.Timestamp(data.start))
    if data.end is not None:
        last = min(last, pd.Timestamp(data.end))
    if first > last:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(
            f"data.start/data.end leave no out-of-sample day ({first.date()} > {last.date()}); "
            "widen them or change training.first_test_year"
        )
    return first, last


def run_pipeline(
    cfg: RunConfig,
    out: str | Path,
    data: MarketData | None = None,
    progress: Callable[..., None] | None = None,
    executor: Any = None,
    storage: str | None = None,
    force: bool = False,
) -> BacktestRun:
    """Run the composition ``cfg.stages`` describes, and write its run folder.

    Rerunning with the same ``out`` resumes: finished training tasks are read
    back, not retrained, and the results are identical.

    Parameters
    ----------
    cfg : RunConfig
    out : path
        The run folder.
    data : MarketData, optional
        Loaded from ``cfg.data`` if None.
    progress : callable, optional
        ``progress(event, **info)``: events ``variant``, ``window``, ``task``, ``epoch``.
    executor : Executor, optional
        Default: from ``cfg.training`` (local joblib workers, or Ray).
    storage : str, optional
        Optuna storage URL (default ``cfg.training.storage``, else the run folder's SQLite).
    force : bool, default False
        Clear ``out`` first when it holds another run (see :meth:`RunFolder.claim`).

    Returns
    -------
    BacktestRun or ManagedFuturesRun
        Out-of-sample variants ``<name>@<cost>bp`` (and ``<name>_daily`` for a
        hybrid book with ``daily_variant``).
    """
    comp = compose(cfg)
    started, t0 = utc_now(), time.perf_counter()
    folder = RunFolder.claim(out, comp.kind, cfg, volatile_keys(cfg), force=force)  # type: ignore[arg-type]
    with folder.recording():
        folder.write_config(cfg)
        data = load_market_logged(cfg.data, data)
        folder.check_same_data(data.fingerprint(), data)
        notify = progress or (lambda *a, **k: None)
        ctx = Context(cfg, data, folder, executor, notify, storage or cfg.training.storage)
        meta = {"kind": comp.kind, "command": "run", "stages": comp.describe(), "seed": cfg.seed}
        if comp.kind == "managed_futures":
            meta |= {"pipeline": "managed_futures", "weight_convention": "nav"}
        folder.write_meta(**meta, started_at=started, reference=data.reference_symbol, data=data.meta())
        sig = comp.signal.compute(ctx)
        for name, table in sig.tables.items():
            folder.write_csv(name, table, index=False)
        span = _narrow(sig.span, cfg.data)
        run = _paper_daily(ctx, sig, span) if comp.paper_daily else _book(ctx, comp, sig, span)
        folder.write_meta(
            span={"start": str(run.result.start.date()), "end": str(run.result.end.date())},
            **sig.meta,
            **({"notes": ctx.notes} if comp.kind == "managed_futures" else {}),
            finished_at=utc_now(),
            elapsed_s=round(time.perf_counter() - t0, 3),
        )
        return run


def compute_result(ctx: Context, comp: Composition) -> tuple[SignalOutput, BacktestResult]:
    """Signal -> portfolio -> rebalancing -> engine, with nothing written (what ``ablate`` compares).

    Training tasks still go to, and are read back from, ``ctx.folder``.
    """
    sig = comp.signal.compute(ctx)
    span = _narrow(sig.span, ctx.cfg.data)
    if comp.paper_daily:
        return sig, compute_paper_daily(ctx, sig, span)
    return sig, compute_book(ctx, comp, sig, span).result


def _evaluate(ctx: Context, result: Any) -> tuple[pd.DataFrame, pd.Series | None, pd.DataFrame, pd.DataFrame]:
    """Benchmarks over the span, the reference, and the measures (implementable and ex post)."""
    from deepmomentum.engine import benchmark_returns

    bench = benchmark_returns(ctx.data).loc[result.start : result.end].iloc[1:]
    ref = ctx.data.reference_symbol
    reference = bench[ref] if ref is not None and ref in bench else None
    metrics = result.metrics(reference=reference)
    return bench, reference, metrics, result.metrics(reference=reference, ex_post=True)


def compute_paper_daily(
    ctx: Context, sig: SignalOutput, span: tuple[pd.Timestamp, pd.Timestamp]
) -> BacktestResult:
    """The paper's engine, nothing written: each variant and classical benchmark vol-scaled, daily."""
    from deepmomentum.engine import backtest
    from deepmomentum.signals import get_strategy

    cfg, data = ctx.cfg, ctx.data
    signals = dict(sig.positions)
    for name in cfg.backtest.strategies:
        signals[name] = get_strategy(name).signal(ctx.prices)
    return backtest(
        ctx.prices,
        signals,
        cost_bps=cfg.backtest.cost_bps,
        settings=settings_from_config(cfg),
        start=span[0],
        end=span[1],
        asset_cost_bps=data.universe.costs_bps(0.0) if cfg.backtest.universe_costs else None,
    )


def _paper_daily(ctx: Context, sig: SignalOutput, span: tuple[pd.Timestamp, pd.Timestamp]) -> BacktestRun:
    """The paper's engine -> the run folder's files."""
    result = compute_paper_daily(ctx, sig, span)
    bench, _, metrics, metrics_ex_post = _evaluate(ctx, result)
    write_results(ctx.folder, ctx.data, result, bench, metrics, metrics_ex_post)
    _write_diagnostics(ctx, sig, result)
    return BacktestRun(ctx.cfg, ctx.data, result, metrics, metrics_ex_post, bench, ctx.folder.path)


def _write_diagnostics(ctx: Context, sig: SignalOutput, result: BacktestResult) -> None:
    """``models/diagnostics.csv`` when the signal was trained walk-forward (it has windows)."""
    import deepmomentum.run._layout as layout
    from deepmomentum.pipeline._diagnostics import window_diagnostics

    windows = sig.tables.get(layout.WINDOWS)
    if windows is not None and len(windows):
        table = window_diagnostics(result, windows, ctx.cfg.backtest.cost_bps)
        ctx.folder.write_csv(layout.DIAGNOSTICS, table, index=False)


@dataclass
class BookComputation:
    """A book's result before anything is written: the engine's result, schedules, construction records."""

    result: BacktestResult
    schedules: dict[str, pd.DataFrame]
    records: list[dict[str, Any]]


def compute_book(
    ctx: Context, comp: Composition, sig: SignalOutput, span: tuple[pd.Timestamp, pd.Timestamp]
) -> BookComputation:
    """Targets on each variant's rebalance days -> the engine; nothing written."""
    from deepmomentum.engine import simulate
    from deepmomentum.rebalancing import Daily

    cfg = ctx.cfg
    mf = cfg.managed_futures
    daily_too = comp.rebalance.name != "daily" and mf is not None and mf.daily_variant
    index = ctx.book_prices.index if comp.kind == "managed_futures" else ctx.prices.index
    targets: dict[str, dict[pd.Timestamp, Any]] = {}
    schedules: dict[str, pd.DataFrame] = {}
    records: list[dict[str, Any]] = []
    for name, raw in sig.positions.items():
        pos = raw.reindex(index)
        schedules[name] = comp.rebalance.schedule(pos, span[0], span[1], ctx)
        if daily_too:
            schedules[f"{name}_daily"] = Daily().schedule(pos, span[0], span[1], ctx)
        own = [v for v in schedules if v == name or v == f"{name}_daily"]
        days = pd.DatetimeIndex(sorted(set().union(*(set(schedules[v]["date"]) for v in own))))
        built = comp.portfolio.targets(pos, days, ctx)
        for v in own:
            targets[v] = {pd.Timestamp(d): built.weights[pd.Timestamp(d)] for d in schedules[v]["date"]}
        on = set(schedules[name]["date"])
        records += [{"strategy": name, **r, "rebalance": r["date"] in on} for r in built.records]
    returns = ctx.multiscale.returns if comp.kind == "managed_futures" else ctx.returns
    result = simulate(
        targets,
        returns,
        cfg.backtest.cost_bps,
        convention=comp.portfolio.convention,
        signals={v: sig.positions[v.removesuffix("_daily")].reindex(index) for v in targets},
        settings=settings_from_config(cfg) if comp.portfolio.convention == "paper" else None,
        start=span[0],
        end=span[1],
    )
    return BookComputation(result, schedules, records)


def _book(
    ctx: Context, comp: Composition, sig: SignalOutput, span: tuple[pd.Timestamp, pd.Timestamp]
) -> ManagedFuturesRun:
    """Targets on each variant's rebalance days -> the engine -> the book's files."""
    book = compute_book(ctx, comp, sig, span)
    result = book.result
    bench, reference, metrics, metrics_ex_post = _evaluate(ctx, result)
    write_results(ctx.folder, ctx.data, result, bench, metrics, metrics_ex_post)
    comparison, reb = write_book_outputs(ctx, result, bench, reference, book.schedules, book.records, span)
    return ManagedFuturesRun(
        ctx.cfg, ctx.data, result, metrics, metrics_ex_post, bench, ctx.folder.path,
        comparison=comparison, rebalances=reb, notes=ctx.notes,
    )  # fmt: skip
