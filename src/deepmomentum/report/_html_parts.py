"""HTML building blocks of the report: escaping, cells, tables, figures, notes."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "MAX_TABLE_ROWS",
    "absent",
    "cell",
    "esc",
    "figure_div",
    "flatten",
    "fmt",
    "frame_table",
    "kv_table",
    "variant_notes",
]

MAX_TABLE_ROWS = 300
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: object, pattern: str) -> str:
    if not isinstance(value, int | float) or not math.isfinite(float(value)):
        return "–"
    return pattern.format(value)


def cell(value: object) -> str:
    """Generic table cell: numbers with 4 significant digits, NaN as a dash."""
    if isinstance(value, bool):
        return esc(value)
    if isinstance(value, int | float):
        if not math.isfinite(float(value)):
            return "–"
        return esc(f"{value:.4g}" if isinstance(value, float) else value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return esc(value)


def figure_div(fig: go.Figure | None, div_id: str) -> str:
    if fig is None:
        return ""
    return str(
        pio.to_html(
            fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOTLY_CONFIG, validate=False
        )
    )


def frame_table(frame: pd.DataFrame, max_rows: int = MAX_TABLE_ROWS, table_id: str | None = None) -> str:
    shown = frame.head(max_rows)
    head = "".join(f"<th class='name'>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for rec in shown.itertuples(index=False, name=None):
        rows.append("<tr>" + "".join(f"<td class='name'>{cell(v)}</td>" for v in rec) + "</tr>")
    attr = f" id='{esc(table_id)}'" if table_id else ""
    out = (
        f"<div class='scroll'><table{attr}><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if len(frame) > max_rows:
        out += f"<p class='how'>First {max_rows} of {len(frame)} rows shown; the file has them all.</p>"
    return out


def kv_table(items: Mapping[str, Any], table_id: str) -> str:
    rows = "".join(
        f"<tr><td class='name'>{esc(k)}</td><td class='name'>{cell(v)}</td></tr>" for k, v in items.items()
    )
    return f"<table id='{esc(table_id)}'><tbody>{rows}</tbody></table>"


def absent(file: str, what: str) -> str:
    return f"<p class='note'>This run folder has no <code>{esc(file)}</code>: {esc(what)}</p>"


def variant_notes(variants: Sequence[str], note_for: Callable[[str], str | None], default: str) -> str:
    out = []
    for v in variants:
        text = note_for(v)
        if text:
            hidden = "" if v == default else " hidden"
            out.append(f"<p class='note' data-variant='{esc(v)}'{hidden}>{esc(text)}</p>")
    return "".join(out)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, prefix=f"{name}."))
        elif isinstance(value, list | tuple):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


def meta_bodies(config_text: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    """Bodies of the configuration section (``config.toml`` as written) and of the versions section.

    Parameters
    ----------
    config_text : str
        The run's ``config.toml``.
    meta : mapping
        ``meta.json``: its ``versions`` table, then everything else.
    """
    versions = meta.get("versions") if isinstance(meta.get("versions"), Mapping) else {}
    other = {k: v for k, v in meta.items() if k != "versions"}
    config = f"<pre id='config-toml'>{esc(config_text)}</pre>"
    tables = (
        "<h3>Package versions</h3>"
        + kv_table(flatten(versions or {}), "versions-table")
        + "<h3>Run</h3>"
        + kv_table(flatten(other), "meta-table")
    )
    return config, tables
