"""Rich tables of metrics."""

from __future__ import annotations

import json
import math

import pandas as pd
from rich.table import Table

__all__ = ["metrics_json", "metrics_table"]

_COLUMNS = (
    ("sharpe", "Sharpe", "{:.2f}"),
    ("annual_return", "Return", "{:.2%}"),
    ("annual_vol", "Vol", "{:.2%}"),
    ("sortino", "Sortino", "{:.2f}"),
    ("calmar", "Calmar", "{:.2f}"),
    ("max_drawdown", "MaxDD", "{:.1%}"),
    ("pct_positive", "%pos", "{:.1%}"),
    ("turnover", "Turn/yr", "{:.1f}"),
)


def _fmt(value: object, pattern: str) -> str:
    if not isinstance(value, int | float) or not math.isfinite(float(value)):
        return "-"
    return pattern.format(value)


def metrics_table(metrics: pd.DataFrame, title: str, caption: str | None = None) -> Table:
    """A table with one row per variant and the headline measures as columns."""
    table = Table(title=title, caption=caption, header_style="bold", padding=(0, 1), pad_edge=False)
    table.add_column("variant", style="cyan", no_wrap=True)
    for _, label, _ in _COLUMNS:
        table.add_column(label, justify="right")
    for variant, row in metrics.iterrows():
        table.add_row(
            str(variant),
            *(_fmt(row.get(key), pat) for key, _, pat in _COLUMNS),
        )
    return table


def metrics_json(metrics: pd.DataFrame, **extra: object) -> str:
    """Metrics as JSON (NaN as null), with extra top-level fields."""
    rows = {
        str(k): {c: (None if not math.isfinite(float(v)) else float(v)) for c, v in r.items()}
        for k, r in metrics.to_dict(orient="index").items()
    }
    return json.dumps({**extra, "metrics": rows}, indent=2)
