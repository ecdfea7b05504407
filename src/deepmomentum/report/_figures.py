"""Plotly figures of the report, one function per chart.

Traces that belong to strategy variants carry ``meta={"variants": [...]}``;
the strategy chooser of the page shows only the traces of the selected
variant (traces without that key, such as the SPY reference, stay visible).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deepmomentum.report._analysis import Analysis, parse_variant
from deepmomentum.report._axes import dash_pattern, percent_axis, percent_format, plotly_dash

__all__ = [
    "contribution_figure",
    "cost_figure",
    "drawdown_figure",
    "exposure_figure",
    "heatmap_figure",
    "rolling_sharpe_figure",
    "style_for",
    "trials_figure",
    "windows_figure",
]

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#393b79",
)
BENCH_COLORS = ("#444444", "#888888", "#aaaaaa", "#666666", "#bbbbbb")
CLASS_COLORS = {
    "equity": "#1f77b4",
    "bond": "#2ca02c",
    "rate": "#17becf",
    "commodity": "#ff7f0e",
    "fx": "#9467bd",
    "managed_futures": "#8c564b",
    "crypto": "#e377c2",
}
_TEMPLATE = "plotly_white"
_MARGIN = {"l": 60, "r": 20, "t": 40, "b": 40}


def _dates(index: pd.Index) -> list[str]:
    return list(pd.DatetimeIndex(index).strftime("%Y-%m-%d"))


def _values(series: pd.Series | np.ndarray) -> np.ndarray:
    """float32 for a compact (base64) encoding; NaN leaves gaps."""
    return np.asarray(series, dtype="float32")


def style_for(names: Sequence[str], benchmarks: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Line colour per strategy and one distinct dash per cost level; benchmarks in greys.

    The same cost level has the same dash in every strategy, and no two cost
    levels share one (see :func:`~deepmomentum.report._axes.dash_pattern`);
    names without ``@<cost>bp`` get patterns after those of the cost levels.

    Returns
    -------
    dict of str to dict
        ``{name: {"color": ..., "dash": plotly dash string, "pattern": on/off lengths}}``.
    """
    strategies: list[str] = []
    for name in names:
        base = name.split("@", 1)[0]
        if base not in strategies:
            strategies.append(base)
    costs = sorted({p[1] for n in names if (p := parse_variant(n)) is not None})
    others = sorted({n.split("@", 1)[1] for n in names if parse_variant(n) is None and "@" in n})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        parsed = parse_variant(name)
        if parsed is not None:
            k = costs.index(parsed[1])
        else:
            k = len(costs) + (others.index(name.split("@", 1)[1]) if "@" in name else 0)
        pattern = dash_pattern(k)
        color = PALETTE[strategies.index(name.split("@", 1)[0]) % len(PALETTE)]
        out[name] = {"color": color, "dash": plotly_dash(pattern), "pattern": pattern}
    for k, name in enumerate(benchmarks):
        pattern = [1.5, 2.5]
        out[name] = {"color": BENCH_COLORS[k % len(BENCH_COLORS)], "dash": "dot", "pattern": pattern}
    return out


def _layout(fig: go.Figure, title: str, height: int, **kwargs: object) -> go.Figure:
    settings: dict[str, object] = {
        "template": _TEMPLATE,
        "title": {"text": title, "x": 0.01, "font": {"size": 15}},
        "height": height,
        "margin": _MARGIN,
        "hovermode": "x unified",
    }
    settings.update(kwargs)
    fig.update_layout(**settings)
    return fig


def _bench_names(an: Analysis) -> list[str]:
    bench = an.benchmarks()
    return [] if bench is None else [str(c) for c in bench.columns]


def _chooser_lines(an: Analysis, frame: pd.DataFrame, default: str) -> go.Figure:
    bench = _bench_names(an)
    styles = style_for(an.run.variants, bench)
    x = _dates(frame.index)
    fig = go.Figure()
    ref = an.run.reference_name
    for name in an.run.variants:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_values(frame[name]),
                name=name,
                mode="lines",
                line={"color": styles[name]["color"], "width": 1.6},
                meta={"variants": [name]},
                visible=name == default,
                hovertemplate="%{y:.3f}",
            )
        )
    if ref is not None and ref in frame.columns:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_values(frame[ref]),
                name=f"{ref} (reference)",
                mode="lines",
                line={"color": "#888888", "width": 1.0, "dash": "dot"},
                hovertemplate="%{y:.3f}",
            )
        )
    return fig


def drawdown_figure(an: Analysis, default: str) -> go.Figure:
    """Drawdown of the selected variant (and SPY for reference)."""
    fig = _chooser_lines(an, an.drawdowns(), default)
    for trace in fig.data:
        trace.update(hovertemplate="%{y:.1%}")
        if trace.meta:
            trace.update(fill="tozeroy")
    fig.update_yaxes(title_text="drawdown", tickformat=percent_format([t.y for t in fig.data]))
    return _layout(fig, "Drawdown from the running peak", 360)


def rolling_sharpe_figure(an: Analysis, default: str) -> go.Figure:
    """Trailing 252-day Sharpe ratio of the selected variant (and SPY)."""
    fig = _chooser_lines(an, an.rolling_sharpe(), default)
    fig.update_traces(hovertemplate="%{y:.2f}")
    fig.add_hline(y=0, line={"color": "#999999", "width": 1})
    fig.update_yaxes(title_text="Sharpe, trailing 1 year")
    return _layout(fig, "Rolling one-year Sharpe ratio", 360)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def heatmap_figure(an: Analysis, default: str) -> go.Figure:
    """Monthly (left) and calendar-year (right) returns of the selected variant."""
    fig = make_subplots(
        rows=1, cols=2, column_widths=[0.86, 0.14], shared_yaxes=True, horizontal_spacing=0.02
    )
    n_years = 1
    for name in an.run.variants:
        grid, yearly = an.calendar_returns(name)
        n_years = max(n_years, len(grid))
        years = [str(y) for y in grid.index]
        z = grid.to_numpy(dtype="float64")
        limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.01
        common = {"meta": {"variants": [name]}, "visible": name == default, "name": name}
        fig.add_trace(
            go.Heatmap(
                z=z.astype("float32"),
                x=list(_MONTHS),
                y=years,
                zmin=-limit,
                zmax=limit,
                colorscale="RdBu",
                texttemplate="%{z:.1%}",
                textfont={"size": 9},
                hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
                colorbar={"len": 0.8, "x": 1.02, **percent_axis([-limit, limit], n_ticks=5)},
                **common,
            ),
            row=1,
            col=1,
        )
        ylim = float(np.nanmax(np.abs(yearly.to_numpy()))) if yearly.notna().any() else 0.01
        fig.add_trace(
            go.Heatmap(
                z=yearly.to_numpy(dtype="float32")[:, None],
                x=["Year"],
                y=[str(y) for y in yearly.index],
                zmin=-ylim,
                zmax=ylim,
                colorscale="RdBu",
                showscale=False,
                texttemplate="%{z:.1%}",
                textfont={"size": 9},
                hovertemplate="%{y}: %{z:.2%}<extra></extra>",
                **common,
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(autorange="reversed", type="category", row=1, col=1)
    fig.update_xaxes(side="top")
    height = max(260, 60 + 22 * n_years)
    return _layout(fig, "", height, hovermode="closest", margin={"l": 60, "r": 20, "t": 55, "b": 10})


def exposure_figure(an: Analysis, default: str) -> go.Figure:
    """Gross (stacked) and net exposure by asset class of the selected variant, monthly averages."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("gross exposure  Σ|w| / N", "net exposure  Σw / N"),
    )
    by_strategy: dict[str, list[str]] = {}
    for variant in an.run.variants:
        strategy = an.run.strategy_of(variant)
        if strategy is not None:
            by_strategy.setdefault(strategy, []).append(variant)
    shown_legend: set[str] = set()
    for strategy, variants in by_strategy.items():
        gross, net = an.exposure(strategy)
        x = _dates(gross.index)
        visible = default in variants
        for cls in gross.columns:
            color = CLASS_COLORS.get(str(cls), "#7f7f7f")
            common = {
                "meta": {"variants": variants},
                "visible": visible,
                "name": str(cls),
                "legendgroup": str(cls),
                "x": x,
                "mode": "lines",
            }
            fig.add_trace(
                go.Scatter(
                    y=_values(gross[cls]),
                    stackgroup=f"gross-{strategy}",
                    line={"color": color, "width": 0.8},
                    showlegend=str(cls) not in shown_legend,
                    hovertemplate="%{y:.2f}",
                    **common,
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    y=_values(net[cls]),
                    line={"color": color, "width": 1.4},
                    showlegend=False,
                    hovertemplate="%{y:.2f}",
                    **common,
                ),
                row=2,
                col=1,
            )
            shown_legend.add(str(cls))
    fig.add_hline(y=0, line={"color": "#999999", "width": 1}, row=2, col=1)
    fig.update_yaxes(title_text="× capital / N")
    return _layout(fig, "", 560, margin={"l": 60, "r": 20, "t": 40, "b": 40})


def cost_figure(an: Analysis) -> go.Figure:
    """Sharpe ratio against the cost level in bp, one line per strategy."""
    curves = an.sharpe_by_cost()
    styles = style_for(an.run.variants, [])
    fig = go.Figure()
    for strategy, curve in curves.items():
        first = next(v for v in an.run.variants if v.split("@", 1)[0] == strategy)
        fig.add_trace(
            go.Scatter(
                x=curve.index.to_numpy(dtype="float64"),
                y=_values(curve),
                name=strategy,
                mode="lines+markers",
                line={"color": styles[first]["color"], "width": 2},
                hovertemplate="%{x:g} bp: Sharpe %{y:.2f}",
            )
        )
    fig.add_hline(y=0, line={"color": "#999999", "width": 1})
    fig.update_xaxes(title_text="cost per unit of traded notional (bp)")
    fig.update_yaxes(title_text="Sharpe ratio (net)")
    return _layout(fig, "Sharpe ratio against transaction cost", 380, hovermode="closest")


def contribution_figure(an: Analysis, default: str) -> go.Figure:
    """Per-asset contribution (or exposure share) of the selected variant, horizontal bars."""
    fig = go.Figure()
    n_assets = 1
    kind = "return"
    for name in an.run.variants:
        contrib = an.contribution(name)
        if contrib is None:
            continue
        kind = contrib.kind
        table = contrib.table.iloc[::-1]  # largest at the top
        n_assets = max(n_assets, len(table))
        colors = [CLASS_COLORS.get(str(c), "#7f7f7f") for c in table["asset_class"]]
        if contrib.kind == "return":
            custom = np.column_stack([table["asset_class"].astype(str), table["gross"], table["cost"]])
            hover = (
                "%{y} (%{customdata[0]}): %{x:.2%} a year"
                "<br>gross %{customdata[1]:.2%}, costs %{customdata[2]:.2%}<extra></extra>"
            )
        else:
            custom = np.column_stack([table["asset_class"].astype(str)])
            hover = "%{y} (%{customdata[0]}): %{x:.1%} of gross exposure<extra></extra>"
        fig.add_trace(
            go.Bar(
                x=_values(table["value"]),
                y=[str(s) for s in table.index],
                orientation="h",
                name=name,
                marker={"color": colors},
                customdata=custom,
                hovertemplate=hover,
                meta={"variants": [name]},
                visible=name == default,
            )
        )
    axis = {"tickformat": percent_format([t.x for t in fig.data])}
    title = (
        "Contribution to the portfolio return, % a year (net of costs)"
        if kind == "return"
        else "Share of average gross exposure per asset"
    )
    fig.update_xaxes(zeroline=True, zerolinecolor="#999999", **axis)
    fig.update_yaxes(type="category", tickfont={"size": 10})
    return _layout(fig, title, max(320, 60 + 16 * n_assets), hovermode="closest", showlegend=False)


def windows_figure(an: Analysis) -> go.Figure | None:
    """Timeline of the walk-forward windows (one row per window, one colour per phase)."""
    detected = an.window_phases()
    if detected is None:
        return None
    labels, phases = detected
    colors = {"train": "#1f77b4", "valid": "#ff7f0e", "validation": "#ff7f0e", "test": "#2ca02c"}
    fig = go.Figure()
    for k, (phase, (starts, ends)) in enumerate(phases.items()):
        xs: list[str | None] = []
        ys: list[str | None] = []
        for label, s, e in zip(labels, starts, ends, strict=True):
            if pd.isna(s) or pd.isna(e):
                continue
            xs += [s.strftime("%Y-%m-%d"), e.strftime("%Y-%m-%d"), None]
            ys += [str(label), str(label), None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=phase,
                mode="lines",
                line={"width": 14, "color": colors.get(phase, PALETTE[k % len(PALETTE)])},
                hovertemplate=f"{phase}: %{{x}}<extra>%{{y}}</extra>",
            )
        )
    fig.update_yaxes(type="category", autorange="reversed")
    height = max(200, 80 + 30 * len(labels))
    return _layout(fig, "Walk-forward windows", height, hovermode="closest")


def trials_figure(an: Analysis) -> go.Figure | None:
    """Objective value of each hyperparameter trial (when trials.csv has a ``value`` column)."""
    trials = an.run.trials
    if trials is None or "value" not in trials.columns or trials.empty:
        return None
    values = pd.to_numeric(trials["value"], errors="coerce")
    if values.notna().sum() == 0:
        return None
    group_col = next((c for c in ("window", "fold") if c in trials.columns), None)
    number = trials["number"] if "number" in trials.columns else pd.Series(range(len(trials)))
    fig = go.Figure()
    groups = [(None, trials.index)] if group_col is None else list(trials.groupby(group_col).groups.items())
    for k, (key, idx) in enumerate(groups):
        fig.add_trace(
            go.Scatter(
                x=number.loc[idx].to_numpy(),
                y=_values(values.loc[idx]),
                name="trials" if key is None else f"{group_col} {key}",
                mode="markers",
                marker={"color": PALETTE[k % len(PALETTE)], "size": 7},
                hovertemplate="trial %{x}: %{y:.4g}",
            )
        )
    fig.update_xaxes(title_text="trial", tickformat="d")
    fig.update_yaxes(title_text="objective value")
    return _layout(fig, "Hyperparameter search: objective per trial", 340, hovermode="closest")
