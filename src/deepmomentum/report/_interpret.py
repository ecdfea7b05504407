"""Report section: what the Momentum Transformer (TFT) looked at, per variant.

Reads ``models/<variant>/window-XX/variable_weights.csv`` and ``attention.csv``
(written by :mod:`deepmomentum.training._interpret`): a stacked area chart of the
variable-selection weights over the out-of-sample days (monthly means; the
changepoint inputs in reds, the others in blues) and a bar chart of the
attention weight by lag.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from deepmomentum.report._html_parts import esc, figure_div
from deepmomentum.run._layout import MODELS_DIR
from deepmomentum.run._layout_interpret import ATTENTION, VARIABLE_WEIGHTS

if TYPE_CHECKING:
    from deepmomentum.report._load import RunData

__all__ = ["interpret_section", "load_interpretation"]

_BASE_COLOURS = ("#08306b", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#525252", "#969696", "#bdbdbd")
_CPD_COLOURS = ("#67000d", "#cb181d", "#fb6a4a", "#fcbba1", "#a50f15", "#ef3b2c")


def load_interpretation(variant_dir: Path) -> tuple[pd.DataFrame, pd.Series] | None:
    """A variant's variable weights (every test day, date x input) and mean attention by lag.

    Returns None when no window of the variant has both files.
    """
    frames, attention = [], []
    for wdir in sorted(variant_dir.glob("window-*")):
        if (wdir / VARIABLE_WEIGHTS).is_file() and (wdir / ATTENTION).is_file():
            frames.append(pd.read_csv(wdir / VARIABLE_WEIGHTS, index_col="date", parse_dates=["date"]))
            attention.append(pd.read_csv(wdir / ATTENTION).set_index("lag")["weight"])
    if not frames:
        return None
    variables = pd.concat(frames).sort_index()
    lags = pd.concat(attention, axis=1).fillna(0.0).mean(axis=1)
    return variables, lags


def _is_cpd(name: str) -> bool:
    return name.startswith("cpd_")


def _weights_figure(variables: pd.DataFrame, variant: str) -> go.Figure:
    monthly = variables.resample("ME").mean().dropna(how="all")
    fig = go.Figure()
    base = [c for c in monthly.columns if not _is_cpd(str(c))]
    cpd = [c for c in monthly.columns if _is_cpd(str(c))]
    for i, col in enumerate([*base, *cpd]):
        colour = _CPD_COLOURS[cpd.index(col) % 6] if col in cpd else _BASE_COLOURS[i % 8]
        label = f"{col} (CPD)" if col in cpd else str(col)
        fig.add_trace(
            go.Scatter(
                x=monthly.index, y=monthly[col], name=label, stackgroup="w", mode="lines",
                line={"width": 0.5, "color": colour},
            )
        )  # fmt: skip
    fig.update_layout(
        title=f"{variant}: variable-selection weights (monthly mean)",
        yaxis={"title": "weight", "range": [0, 1]},
        height=380,
        margin={"t": 40, "b": 30},
    )
    return fig


def _attention_figure(lags: pd.Series, variant: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=lags.index, y=lags.to_numpy(), marker_color="#2171b5"))
    fig.update_layout(
        title=f"{variant}: attention by lag",
        xaxis={"title": "lag, trading days (0: the day itself)"},
        yaxis={"title": "mean weight"},
        height=300,
        margin={"t": 40, "b": 40},
    )
    return fig


def interpret_section(run: RunData) -> str | None:
    """Variable weights over time and attention by lag of every TFT variant; None without any."""
    models = run.path / MODELS_DIR
    if not models.is_dir():
        return None
    body = []
    for vdir in sorted(p for p in models.iterdir() if p.is_dir()):
        loaded = load_interpretation(vdir)
        if loaded is None:
            continue
        variables, lags = loaded
        mean = variables.mean().sort_values(ascending=False)
        cpd_share = float(mean[[c for c in mean.index if _is_cpd(str(c))]].sum())
        top = ", ".join(f"{esc(k)} {v:.2f}" for k, v in mean.head(3).items())
        body.append(
            f"<h3>{esc(vdir.name)}</h3><p>Mean weights: {top}; the CPD inputs together {cpd_share:.2f}.</p>"
            + figure_div(_weights_figure(variables, vdir.name), f"tft-weights-{vdir.name}")
            + figure_div(_attention_figure(lags, vdir.name), f"tft-attention-{vdir.name}")
        )
    if not body:
        return None
    how = (
        "<p class='how'>Momentum Transformer (TFT) variants: the variable-selection weight of each input "
        "over the test days (averaged over assets and ensemble members; changepoint inputs, "
        "<code>cpd_*</code>, in reds), and the attention weight by lag over the look-back. From "
        "models/&lt;variant&gt;/window-XX/variable_weights.csv and attention.csv.</p>"
    )
    head = "<section id='interpretability'><h2>What the Transformer looked at</h2>"
    return f"{head}{how}{''.join(body)}</section>"
