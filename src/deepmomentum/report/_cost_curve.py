"""The cost curve: Sharpe ratio by cost in the training loss (rows) and cost in the backtest (columns).

The paper's exhibit: networks trained with ``c_train`` bp inside the Sharpe loss
(``[[models]] cost_bps``), each backtested at every ``c_eval`` of
``[backtest] cost_bps``. A model that learnt to pay for its trades should lose
less Sharpe as ``c_eval`` grows; the preset ``dmn-cost-curve`` runs it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepmomentum.exceptions import ConfigError
from deepmomentum.report._analysis import parse_variant
from deepmomentum.report._html_parts import esc, figure_div

if TYPE_CHECKING:
    from deepmomentum.report._load import RunData

__all__ = [
    "EVAL_AXIS",
    "TRAIN_AXIS",
    "cost_curve",
    "cost_curve_figure",
    "cost_curve_models",
    "cost_curve_section",
    "training_costs",
]

TRAIN_AXIS = "cost in the loss (bp)"
EVAL_AXIS = "cost in the backtest (bp)"


def training_costs(config: Mapping[str, Any]) -> dict[str, float]:
    """``{model name: cost in its loss (bp)}`` of a run's ``[[models]]`` (``config.toml`` parsed).

    A model without ``cost_bps`` trained without costs (0 bp).
    """
    models = config.get("models") or []
    return {str(m["name"]): float(m.get("cost_bps", 0.0)) for m in models if "name" in m}


def cost_curve_models(config: Mapping[str, Any]) -> dict[str, float]:
    """The models of the curve: one network and loss at several training costs, one name per cost.

    Models are grouped by (``model``, ``loss``); the first group, in the order
    of ``[[models]]``, with at least two distinct training costs is the curve
    (a later model at a cost already taken is left out). Empty when no group has two.
    """
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for m in config.get("models") or []:
        if "name" not in m:
            continue
        key = (str(m.get("model", "lstm")), str(m.get("loss", "sharpe")))
        group = groups.setdefault(key, {})
        cost = float(m.get("cost_bps", 0.0))
        if cost not in group.values():
            group[str(m["name"])] = cost
    return next((g for g in groups.values() if len(g) >= 2), {})


def cost_curve(metrics: pd.DataFrame, train_costs: Mapping[str, float]) -> pd.DataFrame:
    """Sharpe ratio by training cost (rows) and evaluation cost (columns).

    Parameters
    ----------
    metrics : pd.DataFrame
        ``metrics.json`` as a frame: index the variant labels ``<name>@<c>bp``,
        a ``sharpe`` column (annualised). Other variants (benchmarks,
        ``@universe``) are ignored.
    train_costs : mapping of str to float
        Cost inside the loss (bp) of each model name (:func:`training_costs`).

    Returns
    -------
    pd.DataFrame of shape (n_train_costs, n_eval_costs)
        Index ``c_train`` and columns ``c_eval`` (bp, ascending); NaN where a
        pair was not run.

    Raises
    ------
    ConfigError
        Two models share a training cost (the row would be ambiguous), or
        ``metrics`` has no ``sharpe`` column.
    """
    if "sharpe" not in metrics.columns:
        raise ConfigError("the metrics have no 'sharpe' column")
    owner: dict[float, str] = {}
    for name in train_costs:
        c = float(train_costs[name])
        if c in owner:
            raise ConfigError(f"models {owner[c]!r} and {name!r} both train at {c:g} bp; keep one per cost")
        owner[c] = name
    cells: list[tuple[float, float, float]] = []
    for label, sharpe in pd.to_numeric(metrics["sharpe"], errors="coerce").items():
        parsed = parse_variant(str(label))
        if parsed is not None and parsed[0] in train_costs:
            cells.append((float(train_costs[parsed[0]]), parsed[1], float(sharpe)))
    if not cells:
        return pd.DataFrame(
            index=pd.Index([], name="c_train"), columns=pd.Index([], name="c_eval"), dtype="float64"
        )
    frame = pd.DataFrame(cells, columns=["c_train", "c_eval", "sharpe"])
    curve = frame.pivot_table(
        index="c_train", columns="c_eval", values="sharpe", aggfunc="first", dropna=False
    )
    curve = curve.reindex(index=sorted(curve.index), columns=sorted(curve.columns)).astype("float64")
    curve.index.name, curve.columns.name = "c_train", "c_eval"
    return curve


def _cell_text(curve: pd.DataFrame) -> list[list[str]]:
    """Each Sharpe to two decimals; the best training cost of each column in bold."""
    z = curve.to_numpy(dtype="float64")
    best = [int(np.nanargmax(col)) if np.isfinite(col).any() else -1 for col in z.T]
    return [
        [
            "" if not math.isfinite(v) else (f"<b>{v:.2f}</b>" if best[j] == i else f"{v:.2f}")
            for j, v in enumerate(row)
        ]
        for i, row in enumerate(z)
    ]


def cost_curve_figure(curve: pd.DataFrame, title: str = "") -> go.Figure:
    """Heatmap of :func:`cost_curve`: annotated Sharpe ratios, diverging colours centred on 0.

    Parameters
    ----------
    curve : pd.DataFrame of shape (n_train_costs, n_eval_costs)
        Sharpe ratios, index ``c_train`` and columns ``c_eval`` in bp.
    title : str, default ""

    Returns
    -------
    go.Figure
        x: cost in the backtest (bp), y: cost in the loss (bp), both categorical
        labels such as ``"2"``; the best training cost of each column in bold.
    """
    z = curve.to_numpy(dtype="float64")
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{c:g}" for c in curve.columns],
            y=[f"{c:g}" for c in curve.index],
            zmid=0.0,
            zmin=-limit,
            zmax=limit,
            colorscale="RdBu",
            text=_cell_text(curve),
            texttemplate="%{text}",
            hovertemplate="trained at %{y} bp, backtested at %{x} bp: Sharpe %{z:.2f}<extra></extra>",
            colorbar={"title": {"text": "Sharpe"}},
        )
    )
    fig.update_xaxes(title_text=EVAL_AXIS, type="category", side="bottom")
    fig.update_yaxes(title_text=TRAIN_AXIS, type="category")
    fig.update_layout(
        title={"text": title, "x": 0.01}, height=max(280, 90 + 45 * len(curve)), template="plotly_white"
    )
    return fig


def cost_curve_section(run: RunData) -> str | None:
    """The report section ``cost-curve``; None when the run trains at fewer than 2 distinct costs."""
    models = cost_curve_models(run.config)
    if len(set(models.values())) < 2:
        return None
    metrics = pd.DataFrame.from_dict(run.metrics, orient="index")
    if "sharpe" not in metrics.columns:
        return None
    curve = cost_curve(metrics, models)
    if len(curve) < 2 or curve.shape[1] == 0:
        return None
    names = ", ".join(f"<code>{esc(n)}</code> ({c:g} bp)" for n, c in models.items())
    how = (
        f"<p class='how'>Sharpe ratio (annualised, net) of each model trained with a cost inside its "
        f"Sharpe loss (rows: {names}) when backtested at each cost level (columns). Bold: the best "
        "training cost at that backtest cost. A model that learnt to pay for its trades loses less "
        "down its row; see docs/costs.md.</p>"
    )
    body = how + figure_div(cost_curve_figure(curve), "fig-cost-curve")
    title = "Cost curve: cost in the loss against cost in the backtest"
    return f"<section id='cost-curve'><h2>{title}</h2>{body}</section>"
