"""The ML-enhanced ETF managed-futures pipeline (issue 5) -> run folder.

trend model (walk-forward) -> signal components (short: the model, with the
sentiment overlay; medium: MACD; long: the slow 252-day trend) -> regime
weights -> class tilt -> constrained weights at each hybrid rebalance (and
daily, for comparison) -> drifting NAV weights, costs on traded notional ->
benchmark comparison. Every step is causal: a weight dated t uses data dated
<= t (macro values after their release, news from the next day).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum._warnings import warn
from deepmomentum.config import ManagedFuturesConfig, RunConfig
from deepmomentum.data import MarketData
from deepmomentum.engine import benchmark_returns, simulate
from deepmomentum.exceptions import ConfigError, DataWarning
from deepmomentum.features import macd_signal, multiscale_features, normalised_returns
from deepmomentum.run._classical import BacktestRun, load_market_logged, write_results
from deepmomentum.run._dmn import _volatile_keys
from deepmomentum.run._folder import RunFolder, utc_now

__all__ = ["ManagedFuturesRun", "combine_components", "ml_signal", "run_managed_futures"]

log = logging.getLogger("deepmomentum")

COMPONENTS = ("short", "medium", "long")


@dataclass
class ManagedFuturesRun(BacktestRun):
    """A :class:`BacktestRun` plus the managed-futures outputs.

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


def ml_signal(probability: pd.DataFrame, magnitude: pd.DataFrame, span: int = 63) -> pd.DataFrame:
    """Direction times magnitude, normalised causally, in [-1, 1].

    ``raw = (2p - 1) |m|``; ``signal = clip(raw / EWM(|raw|, span), -1, 1)``
    (EWM over past and current values only, min 10 observations).
    """
    raw = (2.0 * probability - 1.0) * magnitude.abs()
    scale = raw.abs().ewm(span=span, min_periods=10).mean()
    out: pd.DataFrame = (raw / scale.where(scale > 0)).clip(-1.0, 1.0)
    return out


def combine_components(
    components: dict[str, pd.DataFrame], regime: pd.Series, table: dict[str, list[float]]
) -> pd.DataFrame:
    """Regime-weighted sum of the (short, medium, long) components.

    Missing components count as 0; an ``unknown`` regime uses the average row.
    Weights of each row are normalised to sum to 1, so the result stays in [-1, 1].
    """
    rows = {k: np.asarray(v, dtype="float64") / float(np.sum(v)) for k, v in table.items()}
    avg = np.mean(np.stack(list(rows.values())), axis=0)
    labels = regime.reindex(components["short"].index).fillna("unknown").to_numpy()
    w = np.stack([rows[str(lbl)] if str(lbl) in rows else avg for lbl in labels])  # (n_days, 3)
    total = None
    for j, name in enumerate(COMPONENTS):
        part = components[name].fillna(0.0).mul(w[:, j], axis=0)
        total = part if total is None else total + part
    assert total is not None
    return total.clip(-1.0, 1.0)


def _regime(
    cfg: RunConfig, mf: ManagedFuturesConfig, data: MarketData, index: pd.DatetimeIndex
) -> tuple[pd.DataFrame, str]:
    from deepmomentum.signals import load_macro_dir, macro_regime, market_regime

    macro_dir = cfg.data.macro_dir
    if macro_dir is None:
        msg = (
            "no --macro-dir: the economic regime is market-implied (equity 200-day trend and the "
            "TNX-IRX curve), not macro"
        )
        warn(msg, DataWarning)
        frame = market_regime(data.prices, data.reference_symbol, confirm_days=mf.regime_confirm_days)
        return frame.reindex(index), "market-implied"
    names = ["CFNAI" if mf.growth_indicator == "cfnai" else "INDPRO"]
    if mf.inflation_axis and (Path(macro_dir) / "CPIAUCSL.csv").is_file():
        names.append("CPIAUCSL")
    macro = load_macro_dir(macro_dir, names)
    return macro_regime(macro, index, mf.growth_indicator, mf.inflation_axis), f"macro:{names[0]}"


def _resolve_reversal(assets: list[str], symbols: list[str]) -> tuple[str, ...]:
    out = []
    for spec in assets:
        for cand in spec.split("|"):
            if cand in symbols:
                out.append(cand)
                break
    return tuple(out)


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
        ``data.macro_dir`` / ``data.sentiment_dir`` the optional overlays.
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
    from deepmomentum.portfolio import (
        PortfolioConstraints,
        check_constraints,
        class_tilt,
        comparison_table,
        construct_weights,
        ewma_covariances,
    )
    from deepmomentum.rebalancing import RebalanceRules, rebalance_schedule
    from deepmomentum.training import TrendParams, make_executor, trend_panel, trend_walk_forward

    mf = cfg.managed_futures
    if mf is None:
        raise ConfigError(
            "the configuration has no [managed_futures] table; use --preset etf-managed-futures"
        )
    started = utc_now()
    t0 = time.perf_counter()
    folder = RunFolder.claim(out, "managed_futures", cfg, _volatile_keys(cfg), force=force)
    notes: list[str] = []
    with folder.recording():
        folder.write_config(cfg)
        data = load_market_logged(cfg.data, data)
        folder.check_same_data(data.fingerprint())
        prices = data.tradable_prices
        prices = prices.loc[prices.notna().any(axis=1).idxmax() :]
        symbols = [str(c) for c in prices.columns]
        classes = [data.universe[s].asset_class.value for s in symbols]
        sectors = [data.universe[s].sector for s in symbols]
        index = pd.DatetimeIndex(prices.index)
        folder.write_meta(
            kind="managed_futures",
            command="run",
            pipeline="managed_futures",
            weight_convention="nav",
            seed=cfg.seed,
            started_at=started,
            reference=data.reference_symbol,
            data=data.meta(),
        )

        # 1. the trend model, walk-forward
        f = cfg.features
        fs = multiscale_features(
            prices,
            mf.return_horizons,
            mf.vol_spans,
            [(int(a), int(b)) for a, b in f.macd_pairs],
            f.vol_span,
            f.winsorise,
        )
        panel = trend_panel(fs, mf.horizon)
        params = TrendParams(
            hidden_sizes=tuple(mf.hidden_sizes),
            dropout=mf.dropout,
            batch_size=mf.batch_size,
            lr=mf.lr,
            max_grad_norm=mf.max_grad_norm,
            max_epochs=mf.max_epochs,
            patience=mf.patience,
            lookback=mf.lookback,
            horizon=mf.horizon,
            magnitude_weight=mf.magnitude_weight,
            train_stride=mf.train_stride,
            max_train_samples=mf.max_train_samples,
        )
        executor = executor or make_executor("local", cfg.training.jobs)
        wf = trend_walk_forward(
            panel, params, cfg.training, folder.path, cfg.seed, executor, mf.seeds, progress
        )
        log.info("trend model: %d tasks trained, %d reused", wf.trained, wf.reused)
        folder.write_csv("models/windows.csv", wf.windows, index=False)
        ml = ml_signal(wf.probability, wf.magnitude, mf.signal_span)
        oos_days = ml.notna().any(axis=1)
        if not oos_days.any():
            raise ConfigError("the walk-forward produced no out-of-sample prediction; check the test years")
        first_oos, last_oos = oos_days[oos_days].index[0], oos_days[oos_days].index[-1]
        in_oos = pd.Series((index >= first_oos) & (index <= last_oos), index=index)

        # 2. regime and sentiment
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            regime, regime_source = _regime(cfg, mf, data, index)
        for w in caught:
            notes.append(str(w.message))
            log.warning("%s", w.message)
        if cfg.data.sentiment_dir is not None:
            from deepmomentum.signals import load_sentiment

            sentiment = load_sentiment(cfg.data.sentiment_dir, symbols, index, mf.sentiment_max_age_days)
            sentiment_state = f"on ({cfg.data.sentiment_dir})"
        else:
            sentiment = None
            sentiment_state = "off (no --sentiment-dir)"
            notes.append("sentiment overlay off: no --sentiment-dir given")
            log.warning("sentiment overlay off: no --sentiment-dir given")

        # 3. components and the combined signal
        short = ml
        if sentiment is not None:
            short = (ml + mf.sentiment_max_adjust * sentiment.fillna(0.0)).clip(-1, 1).where(ml.notna())
        medium = macd_signal(prices, [(int(a), int(b)) for a, b in f.macd_pairs])
        long = pd.DataFrame(np.tanh(normalised_returns(prices, fs.daily_vol, 252)))
        comps: dict[str, pd.DataFrame] = {"short": short, "medium": medium, "long": long}
        combined = combine_components(comps, regime["regime"], mf.regime_weights)
        combined = combined.where(prices.notna() & ml.notna().any(axis=1).to_numpy()[:, None])
        combined = combined.where(in_oos, np.nan, axis=0)
        tilt = class_tilt(combined, fs.returns, classes, mf.tilt_lookback, mf.tilt_strength)

        # 4. rebalancing schedule
        rules = RebalanceRules(
            quarterly=mf.quarterly,
            reversal_assets=_resolve_reversal(mf.reversal_assets, symbols),
            signal_change=mf.signal_change,
            mean_signal_change=mf.mean_signal_change,
            min_days_between=mf.min_days_between,
            max_per_year=mf.max_per_year,
        )
        schedule = rebalance_schedule(combined, rules, regime["regime"], start=first_oos)

        # 5. constrained weights
        commodity_cap = mf.class_caps.get("commodity", mf.max_gross)
        sector_caps = {
            s: mf.sector_max_share * commodity_cap
            for s, k in zip(sectors, classes, strict=True)
            if k == "commodity"
        }
        constraints = PortfolioConstraints(
            vol_target=mf.vol_target,
            class_caps=dict(mf.class_caps),
            sector_caps=sector_caps,
            max_position=mf.max_position,
            max_gross=mf.max_gross,
            net_bounds=mf.net_bounds,
            min_active_classes=mf.min_active_classes,
            min_class_share=mf.min_class_share,
        )
        bench_w = np.array([mf.benchmark_weights.get(s, 0.0) for s in symbols])
        reb_pos = [int(index.searchsorted(d)) for d in schedule["date"]]
        daily_pos = [int(i) for i in np.flatnonzero(in_oos.to_numpy())] if mf.daily_variant else []
        covs = ewma_covariances(fs.returns, mf.cov_span, set(reb_pos) | set(daily_pos))
        sig_arr, tilt_arr, long_arr = (x.to_numpy(dtype="float64") for x in (combined, tilt, long))
        built: dict[int, Any] = {}
        records = []

        def build(t: int) -> Any:
            if t not in built:
                res = construct_weights(
                    sig_arr[t],
                    covs[t],
                    classes,
                    sectors,
                    constraints,
                    class_tilt=tilt_arr[t],
                    slow_trend=long_arr[t],
                    trend_alignment=mf.trend_alignment,
                    benchmark=bench_w,
                    benchmark_blend=mf.benchmark_blend,
                )
                checks = check_constraints(res.weights, np.nan_to_num(covs[t]), classes, sectors, constraints)
                failed = [k for k, ok in checks.items() if not ok]
                if failed:  # cannot happen by construction; fail loudly if it ever does
                    raise RuntimeError(f"{index[t].date()}: constraints violated after projection: {failed}")
                built[t] = res
            return built[t]

        for t in sorted(set(reb_pos) | set(daily_pos)):
            res = build(t)
            w = res.weights
            records.append(
                {
                    "date": index[t],
                    "rebalance": t in set(reb_pos),
                    "vol_ex_ante": res.vol,
                    "gross": float(np.abs(w).sum()),
                    "net": float(w.sum()),
                    "binding": ";".join(res.binding),
                    "unmet": ";".join(res.unmet),
                    "message": res.message,
                }
            )
        cons = pd.DataFrame(records)
        targets = {"mf": {index[t]: built[t].weights for t in reb_pos}}
        if mf.daily_variant:
            targets["mf_daily"] = {index[t]: built[t].weights for t in daily_pos}
        result = simulate(
            targets,
            fs.returns,
            cfg.backtest.cost_bps,
            convention="nav",
            signals={k: combined for k in targets},
            start=first_oos,
            end=last_oos,
        )
        wmap = result.weights
        weights = wmap["mf"]
        bench = benchmark_returns(data).loc[result.start : result.end].iloc[1:]
        ref = data.reference_symbol
        reference = bench[ref] if ref is not None and ref in bench else None
        metrics = result.metrics(reference=reference)
        metrics_ex_post = result.metrics(reference=reference, ex_post=True)
        write_results(folder, data, result, bench, metrics, metrics_ex_post)

        # 6. managed-futures files
        span = (weights.index >= first_oos) & (weights.index <= last_oos)
        long_w = []
        for name, frame in wmap.items():
            st = frame.loc[span].stack(future_stack=True).dropna()
            part = st.rename("weight").reset_index()
            part.columns = pd.Index(["date", "symbol", "weight"])
            part.insert(2, "strategy", name)
            rebal_days = (
                set(schedule["date"]) if name == "mf" else set(index[np.asarray(daily_pos, dtype=np.int64)])
            )
            part["rebalance"] = part["date"].isin(rebal_days)
            long_w.append(part[part["weight"] != 0])
        folder.write_parquet("weights.parquet", pd.concat(long_w, ignore_index=True))
        reb = schedule.merge(cons.drop(columns=["rebalance"]), on="date", how="left")
        folder.write_csv("rebalances.csv", reb, index=False)
        folder.write_csv("constraints.csv", cons, index=False)
        folder.write_csv("regimes.csv", regime.loc[first_oos:last_oos])
        table_in = pd.concat([result.portfolio_returns, bench], axis=1)
        if reference is not None:
            parts = [comparison_table(table_in, reference).assign(span="oos")]
            if "DBMF" in bench and bench["DBMF"].notna().any():
                dbmf_start = pd.Timestamp(str(bench["DBMF"].first_valid_index()))
                parts.append(comparison_table(table_in, reference, start=dbmf_start).assign(span="dbmf_life"))
            comparison = pd.concat(parts)
            comparison.index.name = "series"
            folder.write_csv("comparison.csv", comparison)
        else:
            comparison = pd.DataFrame()
        n_reb = len(schedule)
        unmet_counts = {
            u: int(cons["unmet"].str.contains(u, regex=False).sum())
            for u in ("vol_target", "min_active_classes")
        }
        for u, k in unmet_counts.items():
            if k:
                example = cons.loc[cons["unmet"].str.contains(u, regex=False), "message"].iloc[-1]
                notes.append(f"{u} unmet on {k} of {len(cons)} construction days, e.g.: {example}")
                log.warning("%s", notes[-1])
        folder.write_meta(
            span={"start": str(result.start.date()), "end": str(result.end.date())},
            regime_source=regime_source,
            regime_fallback=regime_source == "market-implied",
            sentiment=sentiment_state,
            rebalances={
                "count": n_reb,
                "per_year": round(n_reb / max((last_oos - first_oos).days / 365.25, 1e-9), 2),
            },
            constraints_unmet=unmet_counts,
            notes=notes,
            finished_at=utc_now(),
            elapsed_s=round(time.perf_counter() - t0, 3),
        )
        return ManagedFuturesRun(
            cfg,
            data,
            result,
            metrics,
            metrics_ex_post,
            bench,
            folder.path,
            comparison=comparison,
            rebalances=reb,
            notes=notes,
        )
