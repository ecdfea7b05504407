"""Compare runs: mean and standard deviation of each variant's metrics across run folders (seeds)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from deepmomentum.exceptions import DataError

__all__ = ["compare_runs", "comparison_markdown"]

_SHOWN = ("sharpe", "annual_return", "annual_vol", "max_drawdown", "turnover")


def compare_runs(run_dirs: Sequence[str | Path], metric_file: str = "metrics.json") -> pd.DataFrame:
    """Mean and std (ddof=1) of every metric of every variant across runs.

    Parameters
    ----------
    run_dirs : sequence of path
        Run folders (e.g. the same preset with different ``--seed``).
    metric_file : str, default "metrics.json"
        Or ``metrics_ex_post.json`` for the ex-post rescaled series.

    Returns
    -------
    pd.DataFrame
        Index: variants (in the first run's order); columns: a MultiIndex
        (metric, "mean" | "std" | "n").
    """
    frames = []
    for d in run_dirs:
        path = Path(d) / metric_file
        if not path.is_file():
            raise DataError(f"no {metric_file}; is this a finished run folder?", Path(d))
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"cannot parse ({exc})", path) from None
        frame = pd.DataFrame.from_dict(raw, orient="index").astype("float64")
        frames.append(frame.assign(run=str(d)))
    order = list(frames[0].index)
    allruns = pd.concat(frames).rename_axis("variant").reset_index()
    grouped = allruns.drop(columns="run").groupby("variant", sort=False)
    out = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()}, axis=1)
    out = out.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    return out.reindex([v for v in order if v in out.index])


def comparison_markdown(table: pd.DataFrame, metrics: Sequence[str] = _SHOWN) -> str:
    """A Markdown table ``mean ± std`` per metric (percent for returns, vol and drawdown)."""
    pct = {"annual_return", "annual_vol", "max_drawdown", "pct_positive"}
    head = "| variant | " + " | ".join(metrics) + " |"
    lines = [head, "|" + "---|" * (len(metrics) + 1)]
    for variant, row in table.iterrows():
        cells = []
        for m in metrics:
            mean, std = row[(m, "mean")], row[(m, "std")]
            scale, unit = (100.0, "%") if m in pct else (1.0, "")
            if not math.isfinite(mean):
                cells.append("-")
            elif math.isfinite(std):
                cells.append(f"{mean * scale:.2f}{unit} ± {std * scale:.2f}")
            else:
                cells.append(f"{mean * scale:.2f}{unit}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
