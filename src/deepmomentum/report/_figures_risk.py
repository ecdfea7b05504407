"""Plotly figures of the equity view and the risk sections.

- :func:`equity_figure`: growth of 1, vol-matched ex post by default, the raw
  curves one button away; only the selected cost level is drawn at first
  (other levels are one legend click away);
- :func:`rolling_volatility_figure`, :func:`rolling_beta_figure`: trailing
  six-month vol and beta to the reference of the selected variant;
- :func:`returns_histogram_figure`: monthly returns of the selected variant.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepmomentum.report._analysis import Analysis, parse_variant
from deepmomentum.report._axes import log_ticks, percent_format
from deepmomentum.report._figures import _chooser_lines, _dates, _layout, _values, style_for

__all__ = [
    "VOL_TARGET",
    "equity_figure",
    "returns_histogram_figure",
    "rolling_beta_figure",
    "rolling_volatility_figure",
]

#: Annual vol every series is scaled to in the vol-matched equity view, decimal.
VOL_TARGET = 0.10
BETA_COLOR = "#5b4a8b"  # neutral purple: a beta is not good or bad


def _at_cost(name: str, cost: float | None) -> bool:
    parsed = parse_variant(name)
    return cost is None or parsed is None or math.isclose(parsed[1], cost)


def _log_axis(frame: pd.DataFrame, names: list[str]) -> dict[str, object]:
    vals, text = log_ticks(frame[names].to_numpy() if names else frame.to_numpy())
    return {"type": "log", "tickvals": vals, "ticktext": text}


def equity_figure(an: Analysis, cost: float | None, target: float = VOL_TARGET) -> go.Figure:
    """Growth of 1 of every variant and benchmark, log scale, in two views.

    Parameters
    ----------
    an : Analysis
    cost : float or None
        Cost level (bp) drawn at first; variants at other levels are
        ``legendonly`` (a legend click shows them).
    target : float, default 0.10
        Annual vol of the vol-matched view, decimal.

    Returns
    -------
    go.Figure
        Traces ``[vol-matched..., raw...]`` (each with ``meta["view"]``) and an
        ``updatemenus`` pair of buttons; the vol-matched view is shown first.
    """
    bench = [] if an.benchmarks() is None else [str(c) for c in an.benchmarks().columns]  # type: ignore[union-attr]
    styles = style_for(an.run.variants, bench)
    views = {"matched": an.vol_matched_wealth(target), "raw": an.wealth()}
    fig = go.Figure()
    shown: list[str] = []
    for view, wealth in views.items():
        x = _dates(wealth.index)
        for name in wealth.columns:
            st = styles.get(name, {"color": "#000000", "dash": "solid"})
            on = _at_cost(name, cost)
            if view == "matched" and on:
                shown.append(name)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_values(wealth[name]),
                    name=name,
                    mode="lines",
                    line={"color": st["color"], "dash": st["dash"], "width": 1.2 if name in bench else 1.8},
                    legendgroup=name,
                    meta={"view": view},
                    visible=(True if on else "legendonly") if view == "matched" else False,
                    hovertemplate=f"{name}: %{{y:.3f}}<extra></extra>",
                )
            )
    n = len(fig.data) // 2
    label = f"ex post, vol-matched to {target:.0%}: not implementable"
    note = {
        "text": label,
        "xref": "paper",
        "yref": "paper",
        "x": 0.0,
        "y": 1.0,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 12, "color": "#8a5a00"},
    }

    matched_vis = [t.visible for t in fig.data[:n]]
    buttons = [
        {
            "label": f"vol-matched ({target:.0%})",
            "method": "update",
            "args": [
                {"visible": matched_vis + [False] * n},
                {
                    "yaxis": {
                        "title": {"text": f"growth of 1, vol-matched to {target:.0%} (log)"},
                        **_log_axis(views["matched"], shown),
                    },
                    "annotations": [note],
                },
            ],
        },
        {
            "label": "raw (as traded)",
            "method": "update",
            "args": [
                {"visible": [False] * n + matched_vis},
                {
                    "yaxis": {
                        "title": {"text": "growth of 1, net of costs (log)"},
                        **_log_axis(views["raw"], shown),
                    },
                    "annotations": [],
                },
            ],
        },
    ]
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": buttons,
                "x": 1.0,
                "xanchor": "right",
                "y": 1.12,
                "yanchor": "bottom",
                "showactive": True,
                "active": 0,
            }
        ],
        annotations=[note],
    )
    fig.update_yaxes(
        title_text=f"growth of 1, vol-matched to {target:.0%} (log)", **_log_axis(views["matched"], shown)
    )
    title = "Equity curves" + (f" at {cost:g} bp" if cost is not None else "")
    return _layout(fig, title, 500, hovermode="closest", margin={"l": 60, "r": 20, "t": 80, "b": 40})


def rolling_volatility_figure(an: Analysis, default: str) -> go.Figure:
    """Trailing six-month annualised vol of the selected variant (and the reference)."""
    fig = _chooser_lines(an, an.rolling_volatility(), default)
    fig.update_traces(hovertemplate="%{y:.2%}")
    fig.update_yaxes(
        title_text="vol, trailing 126 days",
        tickformat=percent_format([t.y for t in fig.data]),
        rangemode="tozero",
    )
    return _layout(fig, "Rolling six-month volatility (annualised)", 340)


def rolling_beta_figure(an: Analysis, default: str) -> go.Figure | None:
    """Trailing six-month beta of the selected variant to the reference; None without one."""
    frame = an.rolling_beta()
    if frame is None:
        return None
    # the chooser's lines, in one colour: a beta is a signed measure, not a strategy's identity
    fig = _chooser_lines(an, frame, default)
    fig.update_traces(line_color=BETA_COLOR, hovertemplate="beta %{y:.2f}<extra></extra>")
    fig.add_hline(y=0, line={"color": "#999999", "width": 1})
    fig.update_yaxes(title_text=f"beta to {an.run.reference_name}, trailing 126 days", tickformat=".2~f")
    return _layout(fig, f"Rolling six-month beta to {an.run.reference_name}", 320, showlegend=False)


def returns_histogram_figure(an: Analysis, default: str) -> go.Figure:
    """Histogram of the calendar-month returns of the selected variant, with its 5% quantile."""
    fig = go.Figure()
    everything = []
    for name in an.run.variants:
        monthly = an.monthly_returns(name)
        everything.append(monthly.to_numpy())
        q5 = float(np.percentile(monthly, 5)) if len(monthly) else float("nan")
        fig.add_trace(
            go.Histogram(
                x=_values(monthly),
                name=name,
                nbinsx=30,
                marker={"color": "#6d7f99", "line": {"color": "#ffffff", "width": 0.5}},
                meta={"variants": [name], "q5": q5},
                visible=name == default,
                hovertemplate="%{x}: %{y} months<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#999999", "width": 1})
    fig.update_xaxes(title_text="monthly return", tickformat=percent_format(everything))
    fig.update_yaxes(title_text="months")
    return _layout(fig, "Distribution of monthly returns", 320, showlegend=False, bargap=0.02)
