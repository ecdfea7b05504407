"""Stage 1 implementations: where positions come from.

:class:`ClassicalSignal` (a rule), :class:`DmnSignal` (Deep Momentum Networks
trained walk-forward) and :class:`TrendModelSignal` (the managed-futures BiLSTM
with its overlays). Each returns a :class:`SignalOutput`; a position dated t
uses data dated <= t and is NaN outside the out-of-sample span.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepmomentum.exceptions import ConfigError

if TYPE_CHECKING:
    from deepmomentum.config import ModelVariant
    from deepmomentum.pipeline import Context

__all__ = ["ClassicalSignal", "DmnSignal", "SignalOutput", "TrendModelSignal", "oos_span"]

log = logging.getLogger("deepmomentum")


@dataclass
class SignalOutput:
    """What a signal stage produced.

    Attributes
    ----------
    positions : dict of str to pd.DataFrame
        Per variant, positions in [-1, 1] of shape (n_days, n_assets); NaN
        where there is no out-of-sample view.
    span : tuple of pd.Timestamp
        First and last out-of-sample day.
    tables : dict of str to pd.DataFrame
        Side tables for the run folder (``models/windows.csv``...), by file name.
    meta : dict
        Fields for ``meta.json`` (regime source, sentiment state...).
    """

    positions: dict[str, pd.DataFrame]
    span: tuple[pd.Timestamp, pd.Timestamp]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def oos_span(frames: list[pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day on which any frame has a position."""
    oos = pd.concat([f.notna().any(axis=1) for f in frames], axis=1).any(axis=1)
    if not oos.any():
        raise ConfigError("the walk-forward produced no out-of-sample position; check the test years")
    return pd.Timestamp(oos[oos].index[0]), pd.Timestamp(oos[oos].index[-1])


@dataclass
class ClassicalSignal:
    """A classical rule (``long_only``, ``tsmom``, ``macd``) over the test years.

    Parameters
    ----------
    name : str
        The rule, see :func:`deepmomentum.signals.get_strategy`.
    """

    name: str

    def compute(self, ctx: Context) -> SignalOutput:
        """The rule's positions, NaN before ``training.first_test_year`` (comparable spans)."""
        from deepmomentum.signals._classical import get_strategy

        pos = get_strategy(self.name).signal(ctx.prices)
        t = ctx.cfg.training
        idx = pd.DatetimeIndex(pos.index)
        keep = idx.year >= t.first_test_year
        if t.last_test_year is not None:
            keep &= idx.year <= t.last_test_year
        pos = pos.where(pd.Series(keep, index=idx), np.nan, axis=0)
        return SignalOutput({self.name: pos}, oos_span([pos]))


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


@dataclass
class DmnSignal:
    """Deep Momentum Networks: each ``[[models]]`` variant trained walk-forward (Lim et al., 2019).

    Parameters
    ----------
    variants : list of ModelVariant
        The networks and losses; each gives one positions frame under its name.
    """

    variants: list[ModelVariant]
    name: str = "dmn"

    def compute(self, ctx: Context) -> SignalOutput:
        """Train (or read back) every window of every variant; stitch the test positions."""
        import deepmomentum.run._layout as layout
        from deepmomentum.features import build_features
        from deepmomentum.run._layout_interpret import CPD_DIR
        from deepmomentum.training import build_panel, make_executor, walk_forward
        from deepmomentum.training._interpret import write_interpretation

        cfg = ctx.cfg
        t = cfg.training
        executor = ctx.executor or make_executor(t.executor, t.jobs, t.ray_address)
        f = cfg.features
        pairs = [(int(p[0]), int(p[1])) for p in f.macd_pairs]
        cpd_cache = f.cpd_cache_dir or ctx.folder.path / CPD_DIR
        fs = build_features(
            ctx.prices, f.horizons, pairs, f.vol_span, f.winsorise, f.winsorise_halflife, f.winsorise_n_std,
            cpd_lookbacks=f.cpd_lookbacks, cpd_cache_dir=cpd_cache, cpd_device=t.device,
            cpd_progress=lambda lb, d, n: ctx.progress("cpd", lookback=lb, done=d, total=n),
            cpd_every=f.cpd_every,
        )  # fmt: skip
        positions: dict[str, pd.DataFrame] = {}
        windows, trials, members = [], [], []
        panels: dict[int, Any] = {}
        for variant in self.variants:
            lags = variant.n_lags
            if lags not in panels:
                panels[lags] = build_panel(fs, cfg.backtest.vol_target, cfg.backtest.max_weight, lags)
            ctx.progress("variant", variant=variant.name, n_variants=len(self.variants))
            log.info(
                "walk-forward: %s (%s, loss %s, cost %g bp)",
                *(variant.name, variant.model, variant.loss, variant.cost_bps),
            )
            res = walk_forward(
                variant, panels[lags], t, ctx.folder.path, cfg.seed, executor, ctx.progress,
                ctx.storage, max_windows=ctx.max_windows,
            )  # fmt: skip
            log.info(
                "%s: %d tasks trained, %d reused (%d predicted new days)",
                *(variant.name, res.trained, res.reused, res.extended),
            )
            write_interpretation(
                variant.model, panels[lags], t.seq_len, ctx.folder.path, variant.name,
                res.windows, res.members, fs.names,
            )  # fmt: skip
            positions[variant.name] = res.positions
            # ensemble_members: each member backtested as its own variant
            positions |= {f"{variant.name}_m{k}": p for k, p in enumerate(res.member_positions)}
            windows.append(res.windows)
            trials.append(res.trials)
            members.append(res.members)
        trial_table = pd.concat(trials, ignore_index=True)
        trial_table["value"] = trial_table["val_sharpe"]  # the report's generic objective column
        tables = {
            layout.WINDOWS: _window_table(pd.concat(windows, ignore_index=True)),
            layout.TRIALS: trial_table,
            layout.ENSEMBLE: pd.concat(members, ignore_index=True),
        }
        return SignalOutput(positions, oos_span(list(positions.values())), tables)


@dataclass
class TrendModelSignal:
    """The managed-futures signal: BiLSTM-attention trend model, sentiment, regime-weighted timeframes.

    Parameters
    ----------
    name : str, default "mf"
        Variant label.
    core : {"model", "tsmom", "dmn"}, default "model"
        The short-term component: the trend model, or (ablation) TSMOM or the
        DMN positions in its place.
    dmn : DmnSignal, optional
        The networks used when ``core = "dmn"``.
    """

    name: str = "mf"
    core: str = "model"
    dmn: DmnSignal | None = None

    def compute(self, ctx: Context) -> SignalOutput:
        """Components -> regime weights -> combined positions on the book's calendar."""
        from deepmomentum.features import macd_signal
        from deepmomentum.signals._overlays import combine_components

        ov, prices = ctx.overlays, ctx.book_prices
        short, tables = self._core(ctx)
        oos_days = short.notna().any(axis=1)
        if not oos_days.any():
            raise ConfigError("the walk-forward produced no out-of-sample prediction; check the test years")
        first, last = oos_days[oos_days].index[0], oos_days[oos_days].index[-1]
        index = pd.DatetimeIndex(prices.index)
        in_oos = pd.Series((index >= first) & (index <= last), index=index)
        regime, source = ctx.regime
        short, sentiment_state = self._sentiment(ctx, short)
        pairs = [(int(a), int(b)) for a, b in ctx.cfg.features.macd_pairs]
        comps = {"short": short, "medium": macd_signal(prices, pairs), "long": ctx.slow_trend}
        table = ov.regime_weights if ov.regime_overlay else _flat(ov.regime_weights)
        if not ov.timeframe_mix:
            table = {k: [1.0, 0.0, 0.0] for k in table}
        combined = combine_components(comps, regime["regime"], table)
        combined = combined.where(prices.notna() & short.notna().any(axis=1).to_numpy()[:, None])
        combined = combined.where(in_oos, np.nan, axis=0)
        meta = {"regime_source": source, "regime_fallback": source == "market-implied"}
        meta["sentiment"] = sentiment_state
        return SignalOutput({self.name: combined}, (first, last), tables, meta)

    def _core(self, ctx: Context) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """The short-term component (NaN outside the test windows) and its side tables."""
        index = ctx.book_prices.index
        if self.core == "model":
            return _trend_model(ctx)
        if self.core == "dmn":
            if self.dmn is None:
                raise ConfigError("core signal 'dmn' needs [[models]]")
            out = self.dmn.compute(ctx)
            pos = pd.concat(list(out.positions.values())).groupby(level=0).mean()
            return pos.reindex(index), out.tables
        base = ClassicalSignal(self.core).compute(ctx).positions[self.core]
        return base.reindex(index), {}

    def _sentiment(self, ctx: Context, short: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        ov, sdir = ctx.overlays, ctx.cfg.data.sentiment_dir
        if sdir is None or not ov.sentiment_overlay:
            why = "no --sentiment-dir given" if sdir is None else "overlays.sentiment_overlay = false"
            ctx.note(f"sentiment overlay off: {why}")
            return short, f"off ({'no --sentiment-dir' if sdir is None else 'disabled'})"
        from deepmomentum.signals._sentiment import load_sentiment

        symbols = [str(c) for c in ctx.book_prices.columns]
        index = pd.DatetimeIndex(ctx.book_prices.index)
        sentiment = load_sentiment(sdir, symbols, index, ov.sentiment_max_age_days)
        adjusted = (short + ov.sentiment_max_adjust * sentiment.fillna(0.0)).clip(-1, 1).where(short.notna())
        return adjusted, f"on ({sdir})"


def _flat(table: dict[str, list[float]]) -> dict[str, list[float]]:
    """Every regime gets the average row: the regime overlay switched off."""
    rows = np.stack([np.asarray(v, dtype="float64") / float(np.sum(v)) for v in table.values()])
    avg = rows.mean(axis=0).tolist()
    return {k: avg for k in table}


def _trend_model(ctx: Context) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The trend model's walk-forward signal, ``(2p - 1)|m|`` normalised (see :func:`ml_signal`)."""
    import deepmomentum.run._layout as layout
    from deepmomentum.signals._overlays import ml_signal
    from deepmomentum.training import make_executor, trend_panel, trend_walk_forward

    cfg, tm = ctx.cfg, ctx.trend_model
    panel = trend_panel(ctx.multiscale, tm.horizon)
    params = tm.params()
    executor = ctx.executor or make_executor("local", cfg.training.jobs)
    wf = trend_walk_forward(
        panel,
        params,
        cfg.training,
        ctx.folder.path,
        cfg.seed,
        executor,
        tm.seeds,
        ctx.progress,
        max_windows=ctx.max_windows,
    )
    log.info(
        "trend model: %d tasks trained, %d reused (%d predicted new days)", wf.trained, wf.reused, wf.extended
    )
    return ml_signal(wf.probability, wf.magnitude, tm.signal_span), {layout.WINDOWS: wf.windows}
