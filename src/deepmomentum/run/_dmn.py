"""The Deep Momentum Network pipeline: walk-forward models + benchmarks -> run folder."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.config import RunConfig
from deepmomentum.data import MarketData
from deepmomentum.engine import backtest, benchmark_returns
from deepmomentum.exceptions import ConfigError
from deepmomentum.features import build_features
from deepmomentum.run._classical import BacktestRun, load_market_logged, settings_from_config, write_results
from deepmomentum.run._folder import RunFolder, utc_now
from deepmomentum.signals import get_strategy

__all__ = ["run_models"]

log = logging.getLogger("deepmomentum")


def _window_table(windows: pd.DataFrame) -> pd.DataFrame:
    """Add phase end dates so that each window reads as train, validation and test spans."""
    out = windows.copy()
    day = pd.Timedelta(days=1)
    cols = list(out.columns)
    out.insert(cols.index("val_start"), "train_end", pd.to_datetime(out["val_start"]) - day)
    cols = list(out.columns)
    out.insert(cols.index("test_start"), "val_end", pd.to_datetime(out["test_start"]) - day)
    for col in ("train_end", "val_end"):
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def _volatile_keys(cfg: RunConfig) -> tuple[str, ...]:
    """Settings that may change when a run is continued without changing its results."""
    keys = ["description", "data.data_dir", "training.executor", "training.ray_address", "training.storage"]
    if cfg.training.sampler != "tpe":  # TPE's proposals depend on the batch size (= jobs)
        keys.append("training.jobs")
    return tuple(keys)


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
        ``models`` must list at least one variant.
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
    from deepmomentum.training import build_panel, make_executor, walk_forward

    if not cfg.models:
        raise ConfigError("the configuration lists no [[models]]; add one or use --preset dmn-quick")
    names = [m.name for m in cfg.models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique, got {names}")
    clash = set(names) & set(cfg.backtest.strategies)
    if clash:
        raise ConfigError(f"model names clash with benchmark strategies: {sorted(clash)}")
    started = utc_now()
    t0 = time.perf_counter()
    folder = RunFolder.claim(out, "dmn", cfg, _volatile_keys(cfg), force=force)
    notify = progress or (lambda *a, **k: None)
    with folder.recording():
        folder.write_config(cfg)
        data = load_market_logged(cfg.data, data)
        folder.check_same_data(data.fingerprint())
        folder.write_meta(
            kind="dmn",
            command="run",
            seed=cfg.seed,
            started_at=started,
            reference=data.reference_symbol,
            data=data.meta(),
        )
        prices = data.tradable_prices
        f = cfg.features
        fs = build_features(
            prices,
            f.horizons,
            [(int(p[0]), int(p[1])) for p in f.macd_pairs],
            f.vol_span,
            f.winsorise,
            f.winsorise_halflife,
            f.winsorise_n_std,
        )
        t = cfg.training
        executor = executor or make_executor(t.executor, t.jobs, t.ray_address)
        storage = storage or t.storage
        signals: dict[str, pd.DataFrame] = {}
        windows, trials = [], []
        panels: dict[int, Any] = {}
        for variant in cfg.models:
            lags = variant.n_lags
            if lags not in panels:
                panels[lags] = build_panel(fs, cfg.backtest.vol_target, cfg.backtest.max_weight, lags)
            notify("variant", variant=variant.name, n_variants=len(cfg.models))
            log.info(
                "walk-forward: %s (%s, loss %s, cost %g bp)",
                variant.name,
                variant.model,
                variant.loss,
                variant.cost_bps,
            )
            res = walk_forward(
                variant, panels[lags], cfg.training, folder.path, cfg.seed, executor, notify, storage
            )
            log.info("%s: %d tasks trained, %d reused", variant.name, res.trained, res.reused)
            signals[variant.name] = res.positions
            windows.append(res.windows)
            trials.append(res.trials)
        folder.write_csv(
            "models/windows.csv", _window_table(pd.concat(windows, ignore_index=True)), index=False
        )
        trial_table = pd.concat(trials, ignore_index=True)
        trial_table["value"] = trial_table["val_sharpe"]  # the report's generic objective column
        folder.write_csv("models/trials.csv", trial_table, index=False)

        oos = pd.concat([s.notna().any(axis=1) for s in signals.values()], axis=1).any(axis=1)
        if not oos.any():
            raise ConfigError("the walk-forward produced no out-of-sample position; check the test years")
        first_oos = pd.Timestamp(oos[oos].index[0])
        last_oos = pd.Timestamp(oos[oos].index[-1])
        # data.start / data.end can only narrow the out-of-sample span, never widen it
        if cfg.data.start is not None:
            first_oos = max(first_oos, pd.Timestamp(cfg.data.start))
        if cfg.data.end is not None:
            last_oos = min(last_oos, pd.Timestamp(cfg.data.end))
        for name in cfg.backtest.strategies:
            signals[name] = get_strategy(name).signal(prices)
        result = backtest(
            prices,
            signals,
            cost_bps=cfg.backtest.cost_bps,
            settings=settings_from_config(cfg),
            start=first_oos,
            end=last_oos,
            asset_cost_bps=data.universe.costs_bps(0.0) if cfg.backtest.universe_costs else None,
        )
        bench = benchmark_returns(data).loc[result.start : result.end].iloc[1:]
        ref = data.reference_symbol
        reference = bench[ref] if ref is not None and ref in bench else None
        metrics = result.metrics(reference=reference)
        metrics_ex_post = result.metrics(reference=reference, ex_post=True)
        write_results(folder, data, result, bench, metrics, metrics_ex_post)
        folder.write_meta(
            span={"start": str(result.start.date()), "end": str(result.end.date())},
            finished_at=utc_now(),
            elapsed_s=round(time.perf_counter() - t0, 3),
        )
        return BacktestRun(cfg, data, result, metrics, metrics_ex_post, bench, folder.path)
