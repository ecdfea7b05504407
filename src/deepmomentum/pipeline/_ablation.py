"""Ablation of the managed-futures system: one layer changed at a time, over several seeds.

Per seed ``k`` (``cfg.seed`` = base seed + k) the baseline and every layer run
against one folder, ``out/seed-k/``: the trend model's training tasks are
cached there, so the model is trained once per seed and read back by every
layer that uses it. Layers are computed without writing a run folder (see
:func:`~deepmomentum.pipeline._run.compute_result`); the ablation writes its
own files into ``out`` (see ``docs/portfolio.md``, section "Ablation"):

- ``ablation.csv``: tidy, one value per (layer, seed, span, cost_bps, measure);
- ``ablation_summary.csv``: mean and std over seeds per (layer, span, cost_bps);
- ``ablation.json``: the layers, spans, costs and the summary;
- ``ablation.html``: Sharpe at 2 bp per layer, design vs holdout, error bars = std over seeds;
- ``seed-k/layers/<layer>.csv``: each computed layer's daily net returns.

Defaults are to be chosen on the design span only; the holdout span is
reported, never tuned on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepmomentum.exceptions import ConfigError

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from deepmomentum.config import RunConfig
    from deepmomentum.data import MarketData
    from deepmomentum.engine import BacktestResult
    from deepmomentum.pipeline._stages import Context
    from deepmomentum.run import RunFolder

__all__ = [
    "BASELINE",
    "DEFAULT_COSTS",
    "DEFAULT_SPANS",
    "DMN_LAYER_MODEL",
    "LAYERS",
    "MEASURES",
    "TABLE_COLUMNS",
    "AblationResult",
    "Layer",
    "ablate",
    "chart_figure",
    "chart_html",
    "check_layers",
    "summarise",
]

log = logging.getLogger("deepmomentum")

BASELINE = "baseline"

#: Span name -> (first day, last day or None for the data's end). Choose defaults on ``design`` only.
DEFAULT_SPANS: dict[str, tuple[str, str | None]] = {
    "design": ("2012-01-01", "2018-12-31"),
    "holdout": ("2019-01-01", None),
}

#: Cost levels of the table, bp of traded notional.
DEFAULT_COSTS: tuple[float, ...] = (0.0, 2.0)

#: Measures per (layer, seed, span, cost).
MEASURES = ("sharpe", "annual_vol", "max_drawdown", "turnover")

#: Columns of ``ablation.csv``.
TABLE_COLUMNS = ("layer", "seed", "span", "cost_bps", "measure", "value")


@dataclass(frozen=True)
class Layer:
    """One change to the system.

    Attributes
    ----------
    name : str
    description : str
    overrides : mapping of str to Any
        Dotted configuration keys -> values (see :meth:`RunConfig.with_overrides`).
    rebalance : str, optional
        Replace the composition's rebalance stage (``"daily"``).
    """

    name: str
    description: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    rebalance: str | None = None


#: The DMN used by ``core_dmn`` when the configuration has no ``[[models]]``: the
#: dmn-quick preset's LSTM (Sharpe loss) with its small grid, 3 trials, 8 epochs.
DMN_LAYER_MODEL: dict[str, Any] = {
    "models": [{"name": "dmn_lstm", "model": "lstm", "loss": "sharpe"}],
    "training.max_epochs": 8,
    "training.patience": 3,
    "training.n_trials": 3,
    "training.search": {
        "dropout": [0.1, 0.3],
        "hidden_size": [10, 20],
        "batch_size": [128, 256],
        "lr": [1e-3, 1e-2],
        "max_grad_norm": [1.0],
        "l1": [1e-4, 1e-3],
    },
}

_OV, _BOOK = "overlays.", "portfolio."

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("regime_off", "regime overlay off: every regime weighs the timeframes alike",
              {_OV + "regime_overlay": False}),
        Layer("sentiment_off", "sentiment overlay off", {_OV + "sentiment_overlay": False}),
        Layer("model_only", "timeframe mix off: the short (model) component alone",
              {_OV + "timeframe_mix": False}),
        Layer("core_tsmom", "TSMOM in place of the trend model", {_OV + "core_signal": "tsmom"}),
        Layer("core_dmn", "the DMN in place of the trend model (slowest: trains the DMN)",
              {_OV + "core_signal": "dmn"}),
        Layer(
            "loose_constraints",
            "vol target and max gross only: no class, position, net, class-count or sector caps, "
            "no trend alignment, no tilt",
            {
                _BOOK + "class_caps": {},
                _BOOK + "max_position": 1e6,  # never binds: max_gross caps the book first
                _BOOK + "net_bounds": None,
                _BOOK + "min_active_classes": 0,
                _BOOK + "sector_max_share": 1.0,
                _BOOK + "trend_alignment": 1.0,
                _BOOK + "tilt_strength": 0.0,
            },
        ),
        Layer("daily", "rebalanced every day instead of the hybrid triggers", rebalance="daily"),
        Layer("blend_off", "no blend with the static benchmark", {_BOOK + "benchmark_blend": 0.0}),
    )
}  # fmt: skip


def check_layers(names: Sequence[str] | None) -> list[str]:
    """The layers to run (all by default), refusing unknown names with the choices."""
    if names is None:
        return list(LAYERS)
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise ConfigError(f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(LAYERS)}")
    if not names:
        raise ConfigError(f"no layer given; choose from {', '.join(LAYERS)}")
    return list(dict.fromkeys(names))


@dataclass
class AblationResult:
    """What :func:`ablate` produced.

    Attributes
    ----------
    table : pd.DataFrame
        Tidy: ``layer, seed, span, cost_bps, measure, value`` (every seed and layer, resumed ones too).
    summary : pd.DataFrame
        Per (layer, span, cost_bps): ``<measure>_mean`` / ``<measure>_std`` over seeds,
        ``n_seeds``, and the Sharpe difference to the baseline of the same seed.
    path : Path
    computed : list of (str, int)
        (layer, seed) pairs computed by this call (the others were read back).
    returns : dict of (str, int) to pd.DataFrame
        Daily net returns (one column per cost) of the computed pairs.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    path: Path
    computed: list[tuple[str, int]] = field(default_factory=list)
    returns: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)


def _layer_config(cfg: RunConfig, name: str) -> RunConfig:
    """``cfg`` with the layer's change; only the main variant is measured, so no ``_daily`` copy."""
    overrides: dict[str, Any] = {"rebalance.daily_variant": False}
    if name != BASELINE:
        overrides |= dict(LAYERS[name].overrides)
    if name == "core_dmn" and not cfg.models:
        overrides |= DMN_LAYER_MODEL
    out = cfg.with_overrides(overrides)
    for key in (k for k, v in overrides.items() if v is None):  # with_overrides skips None: set it here
        *parents, last = key.split(".")
        node: Any = out
        for part in parents:
            node = getattr(node, part)
        setattr(node, last, None)
    return out


def _measures(
    result: BacktestResult, costs: Sequence[float], spans: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Sharpe, vol, max drawdown and turnover of the main variant per span and cost."""
    from deepmomentum.engine._engine import variant_name
    from deepmomentum.metrics import PERIODS_PER_YEAR, annual_volatility, max_drawdown, sharpe_ratio

    strategy = result.strategies[0]
    turnover = result.daily_turnover[strategy]
    rows = []
    for span, (start, end) in spans.items():
        lo, hi = pd.Timestamp(start), pd.Timestamp(end) if end is not None else None
        traded = turnover.loc[lo:hi].dropna()
        for cost in costs:
            r = result.portfolio_returns[variant_name(strategy, cost)].loc[lo:hi].dropna()
            values = {
                "sharpe": sharpe_ratio(r) if len(r) > 1 else np.nan,
                "annual_vol": annual_volatility(r) if len(r) > 1 else np.nan,
                "max_drawdown": max_drawdown(r) if len(r) else np.nan,
                "turnover": float(traded.mean() * PERIODS_PER_YEAR) if len(traded) else np.nan,
            }
            rows += [
                {"span": span, "cost_bps": float(cost), "measure": m, "value": float(values[m])}
                for m in MEASURES
            ]
    return rows


def _compute(ctx: Context, name: str) -> BacktestResult:
    """The layer's composition, computed with nothing but training tasks written."""
    from deepmomentum.pipeline._compose import compose
    from deepmomentum.pipeline._run import compute_result
    from deepmomentum.rebalancing import Daily

    comp = compose(ctx.cfg)
    if name != BASELINE and LAYERS[name].rebalance == "daily":
        comp.rebalance = Daily()
    _, result = compute_result(ctx, comp)
    return result


_SHARED_INPUTS = ("book_prices", "multiscale", "slow_trend", "regime")


def _context(cfg: RunConfig, data: MarketData, folder: RunFolder, base: Context | None, **kw: Any) -> Context:
    """A layer's context; market inputs shared with ``base`` (no layer changes what they read)."""
    from deepmomentum.pipeline._stages import Context

    ctx = Context(cfg, data, folder, **kw)
    ctx.storage = cfg.training.storage
    if base is not None:
        # features, regime settings and data are the same in every layer: compute them once per seed
        ctx.__dict__.update({k: base.__dict__[k] for k in _SHARED_INPUTS if k in base.__dict__})
    return ctx


def _returns_frame(result: BacktestResult, costs: Sequence[float]) -> pd.DataFrame:
    from deepmomentum.engine._engine import variant_name

    strategy = result.strategies[0]
    cols = {f"{c:g}bp": result.portfolio_returns[variant_name(strategy, c)] for c in costs}
    return pd.DataFrame(cols)


def _read_done(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=list(TABLE_COLUMNS))
    return pd.read_csv(path)


def _check_settings(folder: RunFolder, cfg: RunConfig, settings: dict[str, Any], fingerprint: str) -> None:
    """Refuse to resume an ablation folder written with other settings, spans, costs or data."""
    from deepmomentum.pipeline._run import volatile_keys
    from deepmomentum.run._layout import META

    folder.check_same_config(cfg, volatile_keys(cfg))
    folder.check_same_data(fingerprint)
    if (folder / META).is_file():
        old = folder.read_json(META).get("ablation")
        if old is not None and old != settings:
            raise ConfigError(
                f"{folder.path} holds an ablation with other spans or costs ({old} -> {settings}); "
                "use a new --out"
            )


def _start(
    folder: RunFolder,
    cfg: RunConfig,
    data: MarketData | None,
    settings: dict[str, Any],
    spans: Mapping[str, tuple[str, str | None]],
) -> MarketData:
    """Load the data, refuse other settings, and record the configuration and the run's facts."""
    from deepmomentum.run._classical import load_market_logged
    from deepmomentum.run._folder import utc_now

    started = utc_now()
    data = load_market_logged(cfg.data, data)
    _check_settings(folder, cfg, settings, data.fingerprint())
    folder.write_config(cfg)
    folder.write_meta(
        kind="ablation",
        command="ablate",
        seed=cfg.seed,
        reference=data.reference_symbol,
        span=_measured_span(data, spans),
        started_at=started,
        ablation=settings,
        data=data.meta(),
    )
    return data


def ablate(
    cfg: RunConfig,
    out: str | Path,
    seeds: Sequence[int] = (0, 1, 2),
    layers: Sequence[str] | None = None,
    spans: Mapping[str, tuple[str, str | None]] | None = None,
    progress: Callable[..., None] | None = None,
    data: MarketData | None = None,
    costs: Sequence[float] = DEFAULT_COSTS,
    force: bool = False,
) -> AblationResult:
    """Run the baseline and each layer for every seed; write the table and the chart to ``out``.

    Parameters
    ----------
    cfg : RunConfig
        A managed-futures configuration (``pipeline.signal = "trend_model"``, the default
        when the ``[trend_model]``, ``[overlays]``, ``[portfolio]`` or ``[rebalance]`` table is given).
    out : path
        The ablation folder; rerunning into it resumes (finished (layer, seed)
        pairs of ``ablation.csv`` are read back; trained models are reused).
    seeds : sequence of int, default (0, 1, 2)
        Offsets: offset k runs with ``cfg.seed + k`` in ``out/seed-k/``.
    layers : sequence of str, optional
        Names of :data:`LAYERS` (default all); the baseline always runs.
    spans : mapping, optional
        Span name -> (start, end or None); default :data:`DEFAULT_SPANS`.
    progress : callable, optional
        ``progress(event, **info)``: ``ablation`` (``layer``, ``seed``, ``done``,
        ``total``) before each pair, plus the training events of :func:`run_pipeline`.
    data : MarketData, optional
        Loaded from ``cfg.data`` if None.
    costs : sequence of float, default (0, 2)
        Cost levels, bp.
    force : bool, default False
        Clear ``out`` first when it holds another run (see :meth:`RunFolder.claim`).

    Returns
    -------
    AblationResult

    Raises
    ------
    ConfigError
        ``out`` holds another kind of run (a ``deepmomentum run`` folder...) or an
        ablation with other settings, spans, costs or data.
    """
    from deepmomentum.pipeline._run import volatile_keys
    from deepmomentum.run import RunFolder
    from deepmomentum.run._folder import utc_now

    if cfg.managed_futures is None:
        raise ConfigError(
            "ablate needs a managed-futures configuration ([trend_model], [overlays], [portfolio], "
            "[rebalance] tables)"
        )
    names = [BASELINE, *check_layers(layers)]
    spans = dict(spans or DEFAULT_SPANS)
    costs = [float(c) for c in costs]
    notify = progress or (lambda *a, **k: None)
    # seed-k/ folders alone are a training cache put there before the first start (e.g. a plain run's models)
    folder = RunFolder.claim(out, "ablation", cfg, volatile_keys(cfg), force=force, cache=("seed-*",))
    settings = {"spans": {k: list(v) for k, v in spans.items()}, "costs": costs}
    with folder.recording():
        data = _start(folder, cfg, data, settings, spans)
        result = AblationResult(_read_done(folder / "ablation.csv"), pd.DataFrame(), folder.path)
        t0 = time.perf_counter()
        for i, k in enumerate(seeds):
            seed_cfg = cfg.with_overrides({"seed": cfg.seed + k, "backtest.cost_bps": costs})
            step = _Step(folder, RunFolder(folder.path / f"seed-{k}"), data, spans, costs, notify)
            step.total, step.done = len(seeds) * len(names), i * len(names)
            _run_seed(seed_cfg, names, step, result)
        notify("ablation", layer=None, seed=None, done=len(seeds) * len(names), total=len(seeds) * len(names))
        result.summary = summarise(result.table, names)
        _write_outputs(folder, result, names, spans, costs)
        folder.write_meta(finished_at=utc_now(), elapsed_s=round(time.perf_counter() - t0, 3))
    return result


def _measured_span(data: MarketData, spans: Mapping[str, tuple[str, str | None]]) -> list[str] | None:
    """The first and last day of the data that any span measures (``meta.json``'s ``span``)."""
    index = data.prices.index
    days = [index[index >= pd.Timestamp(lo)] for lo, _ in spans.values()]
    days = [
        d if hi is None else d[d <= pd.Timestamp(hi)] for d, (_, hi) in zip(days, spans.values(), strict=True)
    ]
    inside = [d for d in days if len(d)]
    if not inside:
        return None
    return [str(min(d[0] for d in inside).date()), str(max(d[-1] for d in inside).date())]


@dataclass
class _Step:
    """Where one seed's layers go and what they are measured on."""

    folder: RunFolder
    seed_folder: RunFolder
    data: MarketData
    spans: Mapping[str, tuple[str, str | None]]
    costs: Sequence[float]
    notify: Callable[..., None]
    done: int = 0
    total: int = 0


def _run_seed(seed_cfg: RunConfig, names: Sequence[str], step: _Step, result: AblationResult) -> None:
    """The baseline and each layer of one seed, skipping pairs already in the table; saves each pair."""
    finished = set(zip(result.table["layer"], result.table["seed"].astype(int), strict=True))
    base: Context | None = None
    for j, name in enumerate(names):
        step.notify("ablation", layer=name, seed=seed_cfg.seed, done=step.done + j, total=step.total)
        if (name, seed_cfg.seed) in finished:
            continue
        ctx = _context(_layer_config(seed_cfg, name), step.data, step.seed_folder, base, progress=step.notify)
        base = base or ctx
        log.info("ablation: seed %d, layer %s", seed_cfg.seed, name)
        res = _compute(ctx, name)
        rows = pd.DataFrame(_measures(res, step.costs, step.spans)).assign(layer=name, seed=seed_cfg.seed)
        parts = [result.table] if len(result.table) else []
        result.table = pd.concat([*parts, rows[list(TABLE_COLUMNS)]], ignore_index=True)
        step.folder.write_csv("ablation.csv", result.table, index=False)  # each pair saved: resumable
        returns = _returns_frame(res, step.costs)
        step.seed_folder.write_csv(f"layers/{name}.csv", returns)
        result.computed.append((name, seed_cfg.seed))
        result.returns[(name, seed_cfg.seed)] = returns


def summarise(table: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and std (ddof 1) over seeds per (layer, span, cost_bps); Sharpe paired with the baseline."""
    keys = ["layer", "span", "cost_bps"]
    wide = table.pivot_table(index=[*keys, "seed"], columns="measure", values="value", aggfunc="first")
    if BASELINE in set(table["layer"]):
        base = wide.xs(BASELINE, level="layer")["sharpe"]
        joined = wide.join(base.rename("base_sharpe"), on=["span", "cost_bps", "seed"])
        wide["sharpe_vs_baseline"] = joined["sharpe"] - joined["base_sharpe"]
    grouped = wide.groupby(level=keys)
    stats = grouped.agg(["mean", "std"])
    stats.columns = pd.Index([f"{col[0]}_{col[1]}" for col in stats.columns])
    stats.insert(0, "n_seeds", grouped.size())
    stats = stats.reset_index()
    layers = list(order) if order is not None else list(dict.fromkeys(table["layer"]))
    rank = {n: i for i, n in enumerate(layers)}
    stats["_rank"] = stats["layer"].map(lambda n: rank.get(n, len(rank)))
    stats = stats.sort_values(["_rank", "span", "cost_bps"]).drop(columns="_rank")
    return stats.reset_index(drop=True)


def _write_outputs(
    folder: RunFolder,
    result: AblationResult,
    names: Sequence[str],
    spans: Mapping[str, Any],
    costs: Sequence[float],
) -> None:
    """``ablation_summary.csv``, ``ablation.json`` and the chart ``ablation.html``."""
    folder.write_csv("ablation_summary.csv", result.summary, index=False)
    described = {BASELINE: "the configuration as given"} | {n: LAYERS[n].description for n in names[1:]}
    folder.write_json(
        "ablation.json",
        {
            "layers": described,
            "seeds": sorted({int(s) for s in result.table["seed"]}),
            "spans": {k: list(v) for k, v in spans.items()},
            "costs_bps": list(costs),
            "selection": "choose defaults on the design span only; the holdout is reported, not tuned on",
            "summary": result.summary.to_dict(orient="records"),
        },
    )
    folder.write_text("ablation.html", chart_html(result.summary, cost=2.0 if 2.0 in costs else costs[-1]))


def chart_figure(summary: pd.DataFrame, cost: float = 2.0) -> go.Figure:
    """Sharpe at ``cost`` per layer, one bar per span, error bars = std over seeds.

    Parameters
    ----------
    summary : pd.DataFrame
        :func:`summarise`'s table (``ablation_summary.csv``).
    cost : float, default 2
        Cost level, bp.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    at = summary[summary["cost_bps"] == cost]
    for span, part in at.groupby("span", sort=False):
        fig.add_bar(
            name=str(span),
            x=part["layer"],
            y=part["sharpe_mean"],
            error_y={"type": "data", "array": part["sharpe_std"].fillna(0.0), "visible": True},
        )
    n = int(summary["n_seeds"].max()) if len(summary) else 0
    fig.update_layout(
        title=f"Ablation: Sharpe at {cost:g} bp, mean ± std over {n} seed(s); choose on design only",
        barmode="group",
        yaxis_title="Sharpe (net)",
        xaxis_title="layer",
        template="plotly_white",
    )
    return fig


def chart_html(summary: pd.DataFrame, cost: float = 2.0) -> str:
    """:func:`chart_figure` as a self-contained HTML page."""
    return str(chart_figure(summary, cost).to_html(include_plotlyjs=True, full_html=True))
