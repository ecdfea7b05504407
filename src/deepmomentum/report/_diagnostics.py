"""Report section: per walk-forward window, why a model did well or badly (``models/diagnostics.csv``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepmomentum.report._html_parts import esc
from deepmomentum.run._layout import DIAGNOSTICS

if TYPE_CHECKING:
    from deepmomentum.report._load import RunData

__all__ = ["diagnostics_section"]

_COLUMNS = {
    "mean_position": ("long bias", "{:+.2f}"),
    "mean_abs_position": ("mean |pos|", "{:.2f}"),
    "turnover": ("turnover/yr", "{:.1f}"),
    "corr_tsmom": ("agrees w/ TSMOM", "{:+.2f}"),
    "corr_long_only": ("agrees w/ long", "{:+.2f}"),
    "val_sharpe": ("val. Sharpe", "{:+.2f}"),
}


def _cell(value: object, fmt: str) -> str:
    if not isinstance(value, int | float) or not np.isfinite(value):
        return "<td>–</td>"
    style = " style='color:#b2182b'" if fmt.startswith("{:+") and value < 0 else ""
    return f"<td{style}>{fmt.format(value)}</td>"


def diagnostics_section(run: RunData) -> str | None:
    """The diagnostics table, one row per (window, variant); None when the run has none.

    Columns: the window's test span, its out-of-sample Sharpe at each cost, the
    long bias (mean position), mean |position|, turnover, agreement with TSMOM's
    and long-only's positions, and the validation Sharpe that selected the model.
    """
    path = run.path / DIAGNOSTICS
    if not path.is_file():
        return None
    diag = pd.read_csv(path)
    if diag.empty:
        return None
    sharpe_cols = [c for c in diag.columns if c.startswith("sharpe_")]
    head = ["window", "test span", "variant", *(c.removeprefix("sharpe_") for c in sharpe_cols)]
    head += [label for col, (label, _) in _COLUMNS.items() if col in diag]
    rows = []
    for _, r in diag.iterrows():
        cells = [f"<td>{int(r['window'])}</td>", f"<td>{esc(r['test_start'])} – {esc(r['test_end'])}</td>"]
        cells.append(f"<td>{esc(r['variant'])}</td>")
        cells += [_cell(r[c], "{:+.2f}") for c in sharpe_cols]
        cells += [_cell(r[col], fmt) for col, (_, fmt) in _COLUMNS.items() if col in diag]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    how = (
        "<p class='how'>Out-of-sample Sharpe per test window (columns: cost level), then what the "
        "positions looked like: a window where a model lost while its long bias was high and its "
        "agreement with TSMOM low was long the market when trends reversed. Agreement is the "
        "uncentred correlation of positions over the window's asset-days (1: proportional). "
        "From models/diagnostics.csv.</p>"
    )
    return f"<section id='diagnostics'><h2>Diagnostics per walk-forward window</h2>{how}{table}</section>"
