"""The report of an ablation folder (``deepmomentum ablate``): headline, summary table, chart.

An ablation folder (``meta.json`` ``kind = "ablation"``, see ``docs/run-folder.md``)
holds no ``returns.csv``: its results are ``ablation_summary.csv`` (mean and std
over seeds per layer, span and cost) and ``ablation.json`` (what each layer
changes). :func:`build_ablation_report` renders them into a self-contained
``report.html`` with the same style as the run tearsheet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

import deepmomentum.run._layout as layout
from deepmomentum._io import atomic_write_text
from deepmomentum.exceptions import DataError
from deepmomentum.report._html import _CSS
from deepmomentum.report._html_parts import esc, figure_div, kv_table, meta_bodies
from deepmomentum.run._layout import read_json_object

__all__ = [
    "ABLATION_SECTIONS",
    "AblationData",
    "ablation_table",
    "build_ablation_report",
    "is_ablation",
    "load_ablation",
    "render_ablation_html",
]

#: ``(id, title)`` of every section of an ablation report, in page order.
ABLATION_SECTIONS: tuple[tuple[str, str], ...] = (
    ("headline", "Headline"),
    ("ablation-summary", "Summary by layer and span"),
    ("ablation-chart", "Sharpe by layer"),
    ("layers", "Layers"),
    ("configuration", "Configuration"),
    ("versions", "Versions"),
)

SELECTION_RULE = "Defaults are chosen on the design span only; the holdout span is reported, never tuned on."
_NEEDED = ("layer", "span", "cost_bps", "sharpe_mean", "sharpe_std")


@dataclass(frozen=True)
class AblationData:
    """An ablation folder, parsed.

    Attributes
    ----------
    path : Path
    config_text : str
        ``config.toml`` as written.
    meta : dict
        ``meta.json``.
    summary : pd.DataFrame
        ``ablation_summary.csv``: one row per (layer, span, cost_bps).
    info : dict
        ``ablation.json`` (empty when the folder lacks it): ``layers`` (name ->
        what it changes), ``seeds``, ``spans``, ``costs_bps``.
    """

    path: Path
    config_text: str
    meta: dict[str, Any]
    summary: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """True when ``meta.json`` says the data were generated."""
        data = self.meta.get("data")
        return bool(data.get("synthetic", False)) if isinstance(data, dict) else False

    @property
    def costs(self) -> list[float]:
        """Cost levels of the summary, bp, ascending."""
        return sorted(float(c) for c in self.summary["cost_bps"].unique())

    @property
    def spans(self) -> dict[str, list[Any]]:
        """Span name -> [first day, last day or None], from ``ablation.json`` or ``meta.json``."""
        spans = self.info.get("spans") or (self.meta.get("ablation") or {}).get("spans") or {}
        return {str(k): list(v) for k, v in spans.items()} if isinstance(spans, dict) else {}


def is_ablation(path: str | Path) -> bool:
    """True when ``path`` is a folder written by ``deepmomentum ablate``."""
    from deepmomentum.run._folder import recorded_kind

    path = Path(path)
    return path.is_dir() and recorded_kind(path) == "ablation"


def _require(path: Path, name: str) -> Path:
    target = path / name
    if not target.is_file():
        raise DataError(
            f"missing required file {name}; is this a folder written by `deepmomentum ablate` "
            "(see docs/run-folder.md)? Rerun the same ablate command to finish it",
            path=target,
        )
    return target


def load_ablation(run_dir: str | Path) -> AblationData:
    """Read an ablation folder.

    Parameters
    ----------
    run_dir : str or Path
        A folder written by ``deepmomentum ablate``.

    Returns
    -------
    AblationData

    Raises
    ------
    DataError
        A required file (``config.toml``, ``meta.json``, ``ablation_summary.csv``)
        is missing or malformed; the message names the file.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise DataError("ablation folder not found", path=path)
    config_text = _require(path, layout.CONFIG).read_text(encoding="utf-8")
    meta = read_json_object(_require(path, layout.META))
    file = _require(path, layout.ABLATION_SUMMARY)
    try:
        summary = pd.read_csv(file)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", path=file) from None
    missing = [c for c in _NEEDED if c not in summary.columns]
    if missing or summary.empty:
        why = f"missing column(s) {', '.join(missing)}" if missing else "no rows"
        raise DataError(f"{why}; rerun the same ablate command to rewrite it", path=file)
    summary["layer"], summary["span"] = summary["layer"].astype(str), summary["span"].astype(str)
    summary["cost_bps"] = summary["cost_bps"].astype(float)
    info_file = path / layout.ABLATION_JSON
    info = read_json_object(info_file) if info_file.is_file() else {}
    return AblationData(path, config_text, meta, summary, info)


def _pick_cost(costs: Sequence[float], wanted: float) -> float:
    """``wanted`` when the ablation measured it, else the nearest level."""
    return min(costs, key=lambda c: (abs(c - wanted), -c))


def ablation_table(run: AblationData, cost_bps: float = 2.0) -> pd.DataFrame:
    """One row per (layer, span): Sharpe at every cost, then at ``cost_bps`` the rest (mean, std).

    Parameters
    ----------
    run : AblationData
    cost_bps : float, default 2
        Cost level of the difference to the baseline, the vol, the turnover and
        the max drawdown (the nearest measured level when it was not measured).

    Returns
    -------
    pd.DataFrame
        Columns ``layer``, ``span``, ``n_seeds``, ``sharpe_<c>bp_mean`` / ``_std`` per
        cost, then ``cost_bps`` and the ``_mean`` / ``_std`` of ``sharpe_vs_baseline``,
        ``annual_vol``, ``turnover``, ``max_drawdown`` at that cost (NaN where absent).
    """
    cost = _pick_cost(run.costs, cost_bps)
    rows = []
    for (layer, span), part in run.summary.groupby(["layer", "span"], sort=False):
        by = part.set_index("cost_bps")
        row: dict[str, Any] = {"layer": layer, "span": span}
        row["n_seeds"] = int(by["n_seeds"].max()) if "n_seeds" in by else math.nan
        for c in run.costs:
            for stat in ("mean", "std"):
                row[f"sharpe_{c:g}bp_{stat}"] = by.at[c, f"sharpe_{stat}"] if c in by.index else math.nan
        row["cost_bps"] = cost
        for m in ("sharpe_vs_baseline", "annual_vol", "turnover", "max_drawdown"):
            for stat in ("mean", "std"):
                col = f"{m}_{stat}"
                row[col] = by.at[cost, col] if col in by and cost in by.index else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _pm(mean: Any, std: Any, pattern: str) -> str:
    """``mean ± std`` (``std`` left out when NaN: one seed); a dash for a missing mean."""
    if not isinstance(mean, int | float) or not math.isfinite(mean):
        return "–"
    out = pattern.format(mean)
    if isinstance(std, int | float) and math.isfinite(std):
        out += " ± " + pattern.format(std).lstrip("+")
    return out


def _num_cell(mean: Any, std: Any, pattern: str) -> str:
    neg = isinstance(mean, int | float) and math.isfinite(mean) and mean < 0
    return f"<td{' class=neg' if neg else ''}>{esc(_pm(mean, std, pattern))}</td>"


def _summary_html(run: AblationData, table: pd.DataFrame, cost: float) -> str:
    """The summary table: a row per (layer, span), grouped by layer."""
    costs = run.costs
    heads = [
        *(f"Sharpe {c:g} bp" for c in costs),
        f"Δ Sharpe vs baseline ({cost:g} bp)",
        "Vol",
        "Turnover/yr",
        "Max drawdown",
    ]
    head = "<th class='name'>layer</th><th class='name'>span</th>" + "".join(
        f"<th>{esc(h)}</th>" for h in heads
    )
    body = []
    for rec in table.to_dict(orient="records"):
        cells = [_num_cell(rec[f"sharpe_{c:g}bp_mean"], rec[f"sharpe_{c:g}bp_std"], "{:.2f}") for c in costs]
        cells.append(_num_cell(rec["sharpe_vs_baseline_mean"], rec["sharpe_vs_baseline_std"], "{:+.2f}"))
        cells.append(_num_cell(rec["annual_vol_mean"], rec["annual_vol_std"], "{:.1%}"))
        cells.append(_num_cell(rec["turnover_mean"], rec["turnover_std"], "{:.1f}"))
        cells.append(_num_cell(rec["max_drawdown_mean"], rec["max_drawdown_std"], "{:.1%}"))
        attrs = f" data-layer='{esc(rec['layer'])}' data-span='{esc(rec['span'])}'"
        body.append(
            f"<tr{attrs}><td class='name'>{esc(rec['layer'])}</td><td class='name'>{esc(rec['span'])}</td>"
            + "".join(cells)
            + "</tr>"
        )
    n = table["n_seeds"].max() if len(table) else 0
    return (
        f"<div class='scroll'><table id='ablation-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
        f"<p class='how'>Mean ± standard deviation over {esc(_int(n))} seed(s); Sharpe ratios annualised, "
        f"net of costs, of each layer's main variant. Δ is the Sharpe minus the baseline's of the same seed "
        f"and span, then averaged; vol, turnover (one-way, per year) and max drawdown at {cost:g} bp. "
        f"From <code>{esc(layout.ABLATION_SUMMARY)}</code>.</p>"
    )


def _int(value: Any) -> str:
    return str(int(value)) if isinstance(value, int | float) and math.isfinite(value) else "?"


def _headline_html(run: AblationData, table: pd.DataFrame, cost: float) -> str:
    """The selection rule, the baseline's Sharpe per span, the largest design-span changes."""
    spans = run.spans
    span_txt = "; ".join(
        f"<b>{esc(name)}</b> {esc(lo)} to {esc(hi or 'the end of the data')}"
        for name, (lo, hi) in spans.items()
    )
    parts = [f"<p class='lead' id='headline-rule'><b>{esc(SELECTION_RULE)}</b></p>"]
    if span_txt:
        parts.append(f"<p class='how'>Spans: {span_txt}.</p>")
    col_m, col_s = f"sharpe_{cost:g}bp_mean", f"sharpe_{cost:g}bp_std"
    base = table[table["layer"] == "baseline"]
    if len(base):
        txt = ", ".join(
            f"{esc(r['span'])} {esc(_pm(r[col_m], r[col_s], '{:.2f}'))}"
            for r in base.to_dict(orient="records")
        )
        parts.append(f"<p id='headline-baseline'>Baseline Sharpe at {cost:g} bp: {txt}.</p>")
    first = next(iter(spans), None) or (str(table["span"].iloc[0]) if len(table) else None)
    design = table[(table["span"] == first) & (table["layer"] != "baseline")].dropna(
        subset=["sharpe_vs_baseline_mean"]
    )
    if len(design):
        ranked = design.sort_values("sharpe_vs_baseline_mean")
        best, worst = ranked.iloc[-1], ranked.iloc[0]
        parts.append(
            f"<p id='headline-layers'>On the {esc(first)} span, the largest gain over the baseline: "
            f"<b>{esc(best['layer'])}</b> ({best['sharpe_vs_baseline_mean']:+.2f}); the largest loss: "
            f"<b>{esc(worst['layer'])}</b> ({worst['sharpe_vs_baseline_mean']:+.2f}). A layer's change "
            "is worth keeping when it helps on the design span; the holdout only confirms.</p>"
        )
    return "".join(parts)


def _layers_html(run: AblationData) -> str:
    layers = run.info.get("layers")
    if not isinstance(layers, dict) or not layers:
        return f"<p class='note'>This folder has no <code>{esc(layout.ABLATION_JSON)}</code>.</p>"
    return kv_table({str(k): str(v) for k, v in layers.items()}, "layers-table")


def _section(sid: str, title: str, body: str) -> str:
    return f"<section id='{sid}'><h2>{esc(title)}</h2>{body}</section>"


def render_ablation_html(run: AblationData, generated_at: str, cost_bps: float = 2.0) -> str:
    """The complete HTML page of an ablation report.

    Parameters
    ----------
    run : AblationData
    generated_at : str
        Timestamp printed in the header (ISO 8601 UTC).
    cost_bps : float, default 2
        Cost level of the headline and the chart (the nearest measured one).
    """
    from deepmomentum.pipeline._ablation import chart_figure

    cost = _pick_cost(run.costs, cost_bps)
    table = ablation_table(run, cost)
    config, versions = meta_bodies(run.config_text, run.meta)
    body = "".join(
        (
            _section("headline", f"Headline at {cost:g} bp", _headline_html(run, table, cost)),
            _section("ablation-summary", "Summary by layer and span", _summary_html(run, table, cost)),
            _section(
                "ablation-chart",
                f"Sharpe at {cost:g} bp by layer, design vs holdout",
                figure_div(chart_figure(run.summary, cost), "ablation-chart-plot")
                + "<p class='how'>Bars: mean over seeds; error bars: standard deviation over seeds.</p>",
            ),
            _section("layers", "Layers: what each one changes", _layers_html(run)),
            _section("configuration", "Resolved configuration (config.toml)", config),
            _section("versions", f"Versions and run metadata ({layout.META})", versions),
        )
    )
    return _page(run, generated_at, table, body)


def _page(run: AblationData, generated_at: str, table: pd.DataFrame, body: str) -> str:
    label = "SYNTHETIC DATA — " if run.synthetic else ""
    title = f"{label}deepmomentum ablation report: {run.path.resolve().name}"
    banner = (
        "<div id='synthetic-banner' class='banner-synthetic'>SYNTHETIC DATA: these prices were generated, "
        "not observed in any market. The results say nothing about real-world performance.</div>"
        if run.synthetic
        else ""
    )
    data = run.meta.get("data") if isinstance(run.meta.get("data"), dict) else {}
    facts = {
        "data": "SYNTHETIC" if run.synthetic else str((data or {}).get("source", "unknown")),
        "layers": str(table["layer"].nunique()),
        "seeds": _int(table["n_seeds"].max()) if len(table) else "0",
        "costs": ", ".join(f"{c:g} bp" for c in run.costs),
        "command": str(run.meta.get("command", "?")),
        "version": str(run.meta.get("package_version", "?")),
        "generated": generated_at,
    }
    facts_html = "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in facts.items())
    links = "".join(f"<a href='#{sid}'>{esc(t)}</a>" for sid, t in ABLATION_SECTIONS)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"{banner}<header id='report-header'><h1>{esc(title)}</h1>"
        f"<div class='facts'>{facts_html}</div></header>\n"
        f"<nav id='nav'>{links}</nav>\n<main>\n{body}\n"
        "<footer>Written by <code>deepmomentum report</code>. Self-contained: opens offline.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def build_ablation_report(run_dir: str | Path | AblationData, cost_bps: float = 2.0) -> Path:
    """Write the self-contained ``report.html`` of an ablation folder.

    Parameters
    ----------
    run_dir : str, Path or AblationData
        A folder written by ``deepmomentum ablate``, or one read by :func:`load_ablation`.
    cost_bps : float, default 2
        Cost level of the headline and the chart (the nearest measured one).

    Returns
    -------
    Path
        The report file.

    Raises
    ------
    DataError
        A required file of the folder is missing or malformed.
    """
    run = run_dir if isinstance(run_dir, AblationData) else load_ablation(run_dir)
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    target = run.path / layout.REPORT
    atomic_write_text(target, render_ablation_html(run, generated, cost_bps))
    return target
