"""Compare runs: mean and standard deviation of each variant's metrics across run folders (seeds).

Averaging only makes sense over runs of one experiment that differ by seed. Runs
on other data (a different price fingerprint, or synthetic beside real data),
over another span, or with another set of variants are refused unless the caller
allows a mixed comparison, which is then labelled as such.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.exceptions import DataError
from deepmomentum.run._layout import META, METRICS, SIGNIFICANCE, read_json_object, read_metrics

__all__ = [
    "RunSummary",
    "compare_runs",
    "comparison_label",
    "comparison_markdown",
    "run_differences",
    "summarise_run",
]

_SHOWN = ("sharpe", "annual_return", "annual_vol", "max_drawdown", "turnover", "psr", "dsr", "diff_vs_tsmom")


@dataclass(frozen=True)
class RunSummary:
    """What must agree between runs before their metrics are averaged.

    Attributes
    ----------
    path : Path
    fingerprint : str or None
        SHA-256 of the price panel (``meta.json``'s ``data.fingerprint``).
    synthetic : bool
        The run used the generated demo data.
    span : tuple of str
        First and last out-of-sample day, ISO dates (empty when unrecorded).
    variants : tuple of str
        The variants of ``metrics.json``, in order.
    """

    path: Path
    fingerprint: str | None
    synthetic: bool
    span: tuple[str, ...]
    variants: tuple[str, ...]


def _metrics(run_dir: Path, metric_file: str) -> dict[str, dict[str, Any]]:
    path = run_dir / metric_file
    if not path.is_file():
        raise DataError(f"no {metric_file}; is this a finished run folder?", run_dir)
    return read_metrics(path)


def _significance(run_dir: Path) -> pd.DataFrame:
    """Per variant: PSR, DSR, the bootstrap interval, and the paired difference to TSMOM at its cost."""
    path = run_dir / SIGNIFICANCE
    if not path.is_file():
        return pd.DataFrame()
    sig = read_json_object(path)
    rows: dict[str, dict[str, Any]] = {}
    for name, s in (sig.get("sharpe") or {}).items():
        rows[name] = {"psr": s.get("psr"), "dsr": s.get("dsr")}
        rows[name] |= {"sharpe_ci_low": s.get("boot_low"), "sharpe_ci_high": s.get("boot_high")}
    for d in sig.get("differences") or []:
        if str(d.get("benchmark", "")).startswith("tsmom@") and d.get("series") in rows:
            rows[d["series"]] |= {
                "diff_vs_tsmom": d.get("difference"),
                "diff_vs_tsmom_low": d.get("boot_low"),
                "diff_vs_tsmom_high": d.get("boot_high"),
            }
    return pd.DataFrame.from_dict(rows, orient="index").astype("float64")


def summarise_run(run_dir: str | Path, metric_file: str = METRICS) -> RunSummary:
    """Read the facts that :func:`compare_runs` checks from a finished run folder."""
    run_dir = Path(run_dir)
    metrics = _metrics(run_dir, metric_file)
    meta = read_json_object(run_dir / META) if (run_dir / META).is_file() else {}
    data = meta.get("data") or {}
    span = meta.get("span") or {}
    return RunSummary(
        path=run_dir,
        fingerprint=data.get("fingerprint"),
        synthetic=bool(data.get("synthetic", False)),
        span=tuple(str(span[k]) for k in ("start", "end") if k in span),
        variants=tuple(metrics),
    )


def _label(s: RunSummary) -> str:
    fp = "unrecorded" if s.fingerprint is None else f"{s.fingerprint[:12]}..."
    return f"{fp}{' SYNTHETIC' if s.synthetic else ''}"


def run_differences(runs: Sequence[RunSummary]) -> list[str]:
    """How the runs differ in data, span or variants: one text per difference (empty: comparable)."""
    first = runs[0]
    out: list[str] = []
    if any((r.fingerprint, r.synthetic) != (first.fingerprint, first.synthetic) for r in runs):
        out.append("data: " + ", ".join(f"{r.path} ({_label(r)})" for r in runs))
    if any(r.span != first.span for r in runs):
        out.append("span: " + ", ".join(f"{r.path} ({' to '.join(r.span) or 'unrecorded'})" for r in runs))
    for r in runs[1:]:
        missing = [v for v in first.variants if v not in r.variants]
        extra = [v for v in r.variants if v not in first.variants]
        if missing or extra:
            parts = ([f"lacks {', '.join(missing[:4])}"] if missing else []) + (
                [f"adds {', '.join(extra[:4])}"] if extra else []
            )
            out.append(f"variants: {r.path} {' and '.join(parts)} (against {first.path})")
    return out


def compare_runs(
    run_dirs: Sequence[str | Path], metric_file: str = METRICS, allow_mixed: bool = False
) -> pd.DataFrame:
    """Mean and std (ddof=1) of every metric of every variant across runs.

    Parameters
    ----------
    run_dirs : sequence of path
        Run folders (e.g. the same preset with different ``--seed``).
    metric_file : str, default "metrics.json"
        Or ``metrics_ex_post.json`` for the ex-post rescaled series.
    allow_mixed : bool, default False
        Average runs that differ in data, span or variants anyway.

    Returns
    -------
    pd.DataFrame
        Index: variants (in the first run's order); columns: a MultiIndex
        (metric, "mean" | "std" | "n"). ``attrs`` holds ``mixed`` (bool),
        ``differences`` (list of str), ``synthetic`` (True when any run used
        synthetic data) and ``runs`` (the folders).

    Raises
    ------
    DataError
        A folder is not a finished run, or the runs differ and ``allow_mixed``
        is False; the message lists the differences.
    """
    if not run_dirs:
        raise DataError("give at least one run folder to compare")
    summaries = [summarise_run(d, metric_file) for d in run_dirs]
    differences = run_differences(summaries)
    if differences and not allow_mixed:
        raise DataError(
            "these runs are not seeds of one experiment, so averaging them would mislead: "
            + "; ".join(differences)
            + ". Compare runs of one setting, or pass --allow-mixed (allow_mixed=True) to average "
            "them anyway, labelled MIXED"
        )
    frames = []
    for s in summaries:
        raw = pd.DataFrame.from_dict(_metrics(s.path, metric_file), orient="index").astype("float64")
        if metric_file == METRICS:  # the statistics belong to the implementable returns
            sig = _significance(s.path)
            raw = raw.join(sig[[c for c in sig.columns if c not in raw.columns]]) if len(sig) else raw
        frames.append(raw.assign(run=str(s.path)))
    order = list(frames[0].index)
    allruns = pd.concat(frames).rename_axis("variant").reset_index()
    grouped = allruns.drop(columns="run").groupby("variant", sort=False)
    out = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()}, axis=1)
    out = out.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    extra = [v for v in out.index if v not in order]
    out = out.reindex([v for v in order if v in out.index] + extra)
    out.attrs.update(
        mixed=bool(differences),
        differences=differences,
        synthetic=any(s.synthetic for s in summaries),
        runs=[str(s.path) for s in summaries],
    )
    return out


def comparison_markdown(table: pd.DataFrame, metrics: Sequence[str] = _SHOWN) -> str:
    """A Markdown table ``mean ± std`` per metric (percent for returns, vol and drawdown)."""
    pct = {"annual_return", "annual_vol", "max_drawdown", "pct_positive"}
    head = "| variant | " + " | ".join(metrics) + " |"
    lines = [head, "|" + "---|" * (len(metrics) + 1)]
    for variant, row in table.iterrows():
        cells = []
        for m in metrics:
            mean, std = row.get((m, "mean"), math.nan), row.get((m, "std"), math.nan)
            scale, unit = (100.0, "%") if m in pct else (1.0, "")
            if not math.isfinite(mean):
                cells.append("-")
            elif math.isfinite(std):
                cells.append(f"{mean * scale:.2f}{unit} ± {std * scale:.2f}")
            else:
                cells.append(f"{mean * scale:.2f}{unit}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison_label(table: pd.DataFrame) -> str:
    """``"MIXED, SYNTHETIC"`` style label of a comparison's inputs ("" for clean real-data seeds)."""
    flags = (("MIXED", table.attrs.get("mixed")), ("SYNTHETIC", table.attrs.get("synthetic")))
    return ", ".join(tag for tag, on in flags if on)
