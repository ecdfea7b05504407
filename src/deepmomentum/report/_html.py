"""Assemble the self-contained ``report.html``: inline CSS, plotly.js once, no network.

Each section has a stable ``id`` (see :data:`SECTIONS`), so tests and links can
rely on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

import deepmomentum.report._figures as figs
import deepmomentum.report._figures_risk as rfigs
import deepmomentum.run._layout as layout
from deepmomentum.report._analysis import Analysis
from deepmomentum.report._cost_curve import cost_curve_section
from deepmomentum.report._diagnostics import diagnostics_section
from deepmomentum.report._headline import Headline
from deepmomentum.report._html_parts import (
    absent,
    esc,
    figure_div,
    fmt,
    frame_table,
    meta_bodies,
    variant_notes,
)
from deepmomentum.report._interpret import interpret_section
from deepmomentum.report._sections import drawdowns_html, headline_html, risk_html, signed_cell
from deepmomentum.report._significance import significance_html

__all__ = ["SECTIONS", "render_html"]

#: ``(id, title)`` of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("headline", "Headline"),
    ("summary", "Summary"),
    ("equity", "Equity curves"),
    ("drawdowns", "Drawdowns"),
    ("worst-drawdowns", "Worst drawdowns"),
    ("rolling-sharpe", "Rolling Sharpe"),
    ("rolling-risk", "Rolling vol and beta"),
    ("risk", "Tail risk"),
    ("returns-distribution", "Return distribution"),
    ("monthly-returns", "Monthly returns"),
    ("exposure", "Exposure by asset class"),
    ("cost-sensitivity", "Sharpe vs cost"),
    ("contribution", "Contribution by asset"),
    ("walk-forward", "Walk-forward windows"),
    ("hyperparameters", "Hyperparameters"),
    ("data-quality", "Data quality"),
    ("configuration", "Configuration"),
    ("versions", "Versions"),
)

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#1d2430;background:#f6f7f9;font-size:14px;line-height:1.45}
main{max-width:1240px;margin:0 auto;padding:0 18px 40px}
header{background:#1d2430;color:#fff;padding:16px 18px}
header h1{margin:0 0 4px;font-size:20px;font-weight:600}
header .facts{color:#c9d1dc;font-size:13px}
header .facts span{margin-right:14px;white-space:nowrap}
.banner-synthetic{background:#b00020;color:#fff;font-weight:700;text-align:center;padding:10px;
font-size:15px;letter-spacing:.02em}
nav{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid #d9dee5;padding:6px 18px;
display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center;font-size:13px}
nav a{color:#2457a6;text-decoration:none}
nav a:hover{text-decoration:underline}
nav .chooser{margin-left:auto;font-weight:600}
nav select{font-size:13px;padding:2px 4px;margin-left:4px}
section{background:#fff;border:1px solid #dfe3e8;border-radius:6px;margin:16px 0;padding:12px 16px;
scroll-margin-top:48px}
section h2{font-size:17px;margin:2px 0 6px}
section h3{font-size:14px;margin:10px 0 2px;color:#4a5566}
p.how{color:#4a5566;margin:2px 0 8px;font-size:13px}
p.note{background:#fff8e1;border-left:3px solid #f0b400;padding:6px 10px;margin:6px 0;font-size:13px}
.variant-name{font-weight:600;color:#2457a6}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
th,td{padding:3px 8px;border-bottom:1px solid #e6e9ee;text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600;position:sticky;top:0}
td.name,th.name{text-align:left}
tr.group td{background:#f7f8fa;font-weight:600;text-align:left;color:#4a5566}
tr.selected td{background:#e8f0fe}
tbody.variants tr{cursor:pointer}
td.neg{color:#b00020}
td.big{font-size:15px;font-weight:700}
tr.best td{background:#f3f4f6;font-style:italic}
p.lead{font-size:15px;margin:4px 0 8px}
#headline{border-left:4px solid #2457a6}
.scroll{max-height:420px;overflow:auto;border:1px solid #eef0f3}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:10px;overflow:auto;font-size:12px;max-height:520px}
details summary{cursor:pointer;color:#2457a6;margin:6px 0}
footer{color:#6b7685;font-size:12px;text-align:center;margin-top:20px}
"""

_CHOOSER_JS = """
(function () {
  var sel = document.getElementById('variant-select');
  if (!sel) { return; }
  function apply(v) {
    document.querySelectorAll('.dm-chooser .js-plotly-plot').forEach(function (gd) {
      if (!gd.data) { return; }
      var vis = gd.data.map(function (t) {
        return (t.meta && t.meta.variants) ? t.meta.variants.indexOf(v) >= 0 : true;
      });
      Plotly.restyle(gd, {visible: vis});
    });
    document.querySelectorAll('[data-variant]').forEach(function (el) {
      el.hidden = el.getAttribute('data-variant') !== v;
    });
    document.querySelectorAll('.variant-name').forEach(function (el) { el.textContent = v; });
    document.querySelectorAll('tr[data-row]').forEach(function (tr) {
      tr.classList.toggle('selected', tr.getAttribute('data-row') === v);
    });
  }
  sel.addEventListener('change', function () { apply(sel.value); });
  document.querySelectorAll('tbody.variants tr[data-row]').forEach(function (tr) {
    tr.addEventListener('click', function () {
      sel.value = tr.getAttribute('data-row');
      apply(sel.value);
    });
  });
})();
"""

_SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("annual_return", "Return", "{:.2%}"),
    ("annual_vol", "Vol", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("sortino", "Sortino", "{:.2f}"),
    ("calmar", "Calmar", "{:.2f}"),
    ("max_drawdown", "Max DD", "{:.1%}"),
    ("pct_positive", "% pos", "{:.1%}"),
    ("turnover", "Turnover/yr", "{:.1f}"),
    ("skew", "Skew", "{:.2f}"),
    ("corr_ref", "Corr {ref}", "{:.2f}"),
)

_HOW: dict[str, str] = {
    "summary": (
        "Headline measures of the daily net returns (returns.csv), after costs, "
        "and of the benchmarks over the same span. Return is geometric per year; "
        "Sharpe and Sortino are annualised with a zero risk-free rate; Max DD is the worst "
        "fall from a running peak of the compounded curve; % pos is the share of days with "
        "a positive return; Turnover is one-way traded notional per year as a multiple of capital. "
        "Click a row to select that variant below."
    ),
    "equity": (
        "Growth of 1 unit of capital, compounded, on a log scale (equal vertical distances are "
        "equal percentage moves). First view: every series rescaled <b>ex post</b> to the same annual "
        "vol over its whole span, so that curves at 2% and 17% vol can be compared by shape; this "
        "uses the full sample and is not implementable. The <em>raw</em> button shows the curves as "
        "traded. Only the selected cost level is drawn; click a greyed legend entry to add another. "
        "One colour per strategy, one dash style per cost level; benchmarks are grey and dotted."
    ),
    "worst-drawdowns": (
        "The five deepest falls of <span class='variant-name'></span> from a running peak of the "
        "compounded curve: the last day at the peak, the lowest day, the first day back at the peak "
        "(not recovered: still below it at the end) and the length in trading days from peak to recovery."
    ),
    "rolling-risk": (
        "Annualised vol (standard deviation × √252) and beta (cov/var of daily returns) of "
        "<span class='variant-name'></span> over the trailing 126 trading days (causal)."
    ),
    "risk": (
        "Daily historical 95% value at risk (the 5% quantile of daily returns) and conditional VaR "
        "(the mean of the worst 5% of days); tail ratio |95th percentile| / |5th percentile| (above 1: "
        "bigger gains than losses in the tails); excess kurtosis (0 for a normal law). Alpha and beta "
        "as empyrical: beta = cov/var, alpha = (1 + mean(r − beta·b))^252 − 1; information ratio = "
        "mean(r − b) / std(r − b) × √252 (Grinold and Kahn). Skew, correlation, beta and kurtosis are "
        "shaded purple (below 0) to teal (above 0): their sign is not a verdict."
    ),
    "returns-distribution": (
        "Calendar-month compounded returns of <span class='variant-name'></span>, 30 bins."
    ),
    "drawdowns": (
        "How far the compounded curve of <span class='variant-name'></span> is below its "
        "running peak, with the reference benchmark dotted."
    ),
    "rolling-sharpe": (
        "Sharpe ratio of <span class='variant-name'></span> over the trailing 252 trading days "
        "(causal: each point uses only the year before it)."
    ),
    "monthly-returns": (
        "Compounded return of <span class='variant-name'></span> in each calendar month "
        "(left) and year (right); blue is a gain, red a loss. Each panel has its own colour scale."
    ),
    "exposure": (
        "Monthly average exposure of <span class='variant-name'></span> by asset class, from "
        f"{layout.POSITIONS} and {layout.UNIVERSE}. Gross (top, stacked) is Σ|w| / N of the class, "
        "net (bottom) is Σw / N (long minus short), where w are the vol-scaled weights and "
        "N the number of assets held that day; the stack's total is the portfolio's gross leverage."
    ),
    "cost-sensitivity": (
        "Sharpe ratio of each strategy at each cost level of the run (variants named "
        "<code>strategy@cost bp</code>). A steep line means the strategy trades a lot and its "
        "edge is eaten by costs."
    ),
    "contribution": (
        "What each asset added to the portfolio return of <span class='variant-name'></span>: "
        "Σ_t (w_t r_t+1 − c |Δw_t|) / N_t, annualised, so the bars add up to the arithmetic "
        "mean annual return. Colours are asset classes."
    ),
}


def _summary_rows(frame: pd.DataFrame, names: Sequence[str], selectable: bool, default: str) -> str:
    rows = []
    for name in names:
        rec = frame.loc[name]
        cells = []
        for key, _, pattern in _SUMMARY_COLUMNS:
            value = rec[key]
            if key == "max_drawdown":
                cells.append(f"<td>{fmt(value, pattern)}</td>")
            else:
                cells.append(signed_cell(key, value, fmt(value, pattern)))
        attrs = f" data-row='{esc(name)}'" if selectable else ""
        if selectable and name == default:
            attrs += " class='selected'"
        rows.append(f"<tr{attrs}><td class='name'>{esc(name)}</td>{''.join(cells)}</tr>")
    return "".join(rows)


def _summary_table(
    frame: pd.DataFrame, variants: Sequence[str], benchmarks: Sequence[str], ref: str | None, default: str
) -> str:
    head = "".join(f"<th>{esc(label.format(ref=ref or 'ref'))}</th>" for _, label, _ in _SUMMARY_COLUMNS)
    n_cols = len(_SUMMARY_COLUMNS) + 1
    body = (
        "<tbody class='variants'>"
        f"<tr class='group'><td colspan={n_cols}>Strategy variants (net of costs)</td></tr>"
        + _summary_rows(frame, variants, True, default)
        + "</tbody>"
    )
    if benchmarks:
        body += (
            f"<tbody><tr class='group'><td colspan={n_cols}>Benchmarks</td></tr>"
            + _summary_rows(frame, benchmarks, False, default)
            + "</tbody>"
        )
    return (
        f"<table id='summary-table'><thead><tr><th class='name'>series</th>{head}</tr></thead>{body}</table>"
    )


def _section(sid: str, title: str, body: str, chooser: bool = False) -> str:
    how = _HOW.get(sid)
    how_html = f"<p class='how'>{how}</p>" if how else ""
    cls = " class='dm-chooser'" if chooser else ""
    return f"<section id='{sid}'{cls}><h2>{esc(title)}</h2>{how_html}{body}</section>"


def render_html(an: Analysis, default: str, generated_at: str, head: Headline) -> str:
    """The complete HTML page of the report.

    Parameters
    ----------
    an : Analysis
        The run and its cached computations.
    default : str
        Variant shown first by the strategy chooser (at the headline's cost level).
    generated_at : str
        Timestamp printed in the header (ISO 8601 UTC).
    head : Headline
        The headline (cost level, families against the best benchmark).
    """
    bench = an.benchmarks()
    bench_names = [] if bench is None else [str(c) for c in bench.columns]
    cost_txt = "" if head.cost is None else f" at {head.cost:g} bp"
    parts = [
        _section(
            "headline", f"Headline{cost_txt}", headline_html(head) + significance_html(an.run.path, head.cost)
        ),
        _summary_section(an, bench_names, default),
        *_curve_sections(an, bench_names, default, head.cost),
        _exposure_section(an, default),
        _cost_section(an),
        *filter(None, [cost_curve_section(an.run), diagnostics_section(an.run), interpret_section(an.run)]),
        _contribution_section(an, default),
        *_search_sections(an),
        _quality_section(an),
        *_meta_sections(an),
    ]
    body_html = "".join(parts).replace(
        "<span class='variant-name'></span>", f"<span class='variant-name'>{esc(default)}</span>"
    )
    return _page(an, default, generated_at, body_html)


def _summary_section(an: Analysis, bench_names: list[str], default: str) -> str:
    """The summary table, and the ex-post rescaled series folded away."""
    ref = an.run.reference_name
    body = _summary_table(an.summary(), an.run.variants, bench_names, ref, default)
    if ref is None:
        body += "<p class='how'>No SPY column in benchmarks.csv: the correlation column is empty.</p>"
    ex_post = an.summary_ex_post()
    if ex_post is not None:
        body += (
            "<details id='summary-ex-post'><summary>Ex-post rescaled series (returns_ex_post.csv): "
            "scaled to the vol target with the full-sample vol, for comparison with published figures "
            "only, not implementable</summary>"
            + _summary_table(ex_post, list(ex_post.index), [], ref, "")
            + "</details>"
        )
    return _section("summary", "Summary", body)


def _curve_sections(an: Analysis, bench_names: list[str], default: str, cost: float | None) -> list[str]:
    """Equity, drawdowns, rolling Sharpe, vol and beta, tail risk, return distribution, monthly returns."""
    equity = rfigs.equity_figure(an, cost)
    parts = [
        _section("equity", "Equity curves", figure_div(equity, "fig-equity")),
        _section(
            "drawdowns", "Drawdowns", figure_div(figs.drawdown_figure(an, default), "fig-drawdowns"), True
        ),
        _section("worst-drawdowns", "Five worst drawdowns", drawdowns_html(an, default), True),
        _section(
            "rolling-sharpe",
            "Rolling one-year Sharpe ratio",
            figure_div(figs.rolling_sharpe_figure(an, default), "fig-rolling-sharpe"),
            True,
        ),
    ]
    beta_fig = rfigs.rolling_beta_figure(an, default)
    body = figure_div(rfigs.rolling_volatility_figure(an, default), "fig-rolling-vol")
    body += (
        figure_div(beta_fig, "fig-rolling-beta")
        if beta_fig is not None
        else ("<p class='how'>No reference (SPY) in benchmarks.csv: no rolling beta.</p>")
    )
    parts.append(_section("rolling-risk", "Rolling six-month vol and beta", body, True))
    risk = risk_html(an, an.run.variants, bench_names)
    parts.append(_section("risk", "Tail risk and risk relative to the reference", risk))
    parts.append(
        _section(
            "returns-distribution",
            "Distribution of monthly returns",
            figure_div(rfigs.returns_histogram_figure(an, default), "fig-returns-hist"),
            True,
        )
    )
    parts.append(
        _section(
            "monthly-returns",
            "Monthly and yearly returns",
            figure_div(figs.heatmap_figure(an, default), "fig-monthly-returns"),
            True,
        )
    )
    return parts


def _exposure_section(an: Analysis, default: str) -> str:
    run = an.run
    no_pos = variant_notes(
        run.variants,
        lambda v: None if run.strategy_of(v) else f"{layout.POSITIONS} has no positions for {v}.",
        default,
    )
    return _section(
        "exposure",
        "Exposure by asset class",
        no_pos + figure_div(figs.exposure_figure(an, default), "fig-exposure"),
        True,
    )


def _cost_section(an: Analysis) -> str:
    unparsed = an.unparsed_variants()
    body = figure_div(figs.cost_figure(an), "fig-cost")
    if unparsed:
        body += (
            "<p class='how'>Not on this chart (no <code>@&lt;cost&gt;bp</code> in the name): "
            + esc(", ".join(unparsed))
            + "</p>"
        )
    return _section("cost-sensitivity", "Sharpe ratio against cost", body)


def _contribution_section(an: Analysis, default: str) -> str:
    run = an.run
    if run.asset_returns is None:
        body = absent(
            layout.ASSET_RETURNS,
            "the return contribution per asset cannot be computed without the assets' returns. "
            "Shown instead: each asset's share of the average gross exposure mean_t(|w_t| / N_t), "
            "which says where the risk budget went, not what it earned.",
        )
    else:
        body = variant_notes(
            run.variants,
            lambda v: (
                None
                if (c := an.contribution(v)) is None or c.costs_included
                else f"No cost level in the name {v!r}: contributions are before costs."
            ),
            default,
        )
    body += figure_div(figs.contribution_figure(an, default), "fig-contribution")
    return _section("contribution", "Contribution by asset", body, True)


def _search_sections(an: Analysis) -> list[str]:
    """The walk-forward windows and the hyperparameter search."""
    run = an.run
    if run.windows is None:
        body = absent(layout.WINDOWS, "not a walk-forward (ML) run.")
    else:
        body = (
            "<p class='how'>Each walk-forward window: the model is trained on the training span, "
            "tuned on the validation span and traded out of sample on the test span only.</p>"
            + figure_div(figs.windows_figure(an), "fig-windows")
            + frame_table(run.windows, table_id="windows-table")
        )
    parts = [_section("walk-forward", "Walk-forward windows", body)]
    if run.trials is None:
        body = absent(layout.TRIALS, "no hyperparameter search in this run.")
    else:
        body = (
            f"<p class='how'>One row per hyperparameter trial ({layout.TRIALS}); the objective is "
            "measured on the validation span of its window.</p>"
            + figure_div(figs.trials_figure(an), "fig-trials")
            + frame_table(run.trials, table_id="trials-table")
        )
    parts.append(_section("hyperparameters", "Hyperparameter search", body))
    return parts


def _quality_section(an: Analysis) -> str:
    run = an.run
    if run.quality is None:
        body = absent(layout.QUALITY, "no data-quality findings were recorded.")
    elif run.quality.empty:
        body = f"<p class='how'>{layout.QUALITY} is empty: no findings.</p>"
    else:
        q = run.quality
        keys = [c for c in ("check", "action") if c in q.columns]
        counts = (
            q.groupby(keys).size().rename("findings").reset_index()
            if keys
            else pd.DataFrame({"findings": [len(q)]})
        )
        n_sym = q["symbol"].nunique() if "symbol" in q.columns else 0
        body = (
            f"<p class='how'>{len(q)} finding(s) on {n_sym} instrument(s), from the data checks run "
            "before the backtest; <em>action</em> says what was done about each.</p>"
            + frame_table(counts, table_id="quality-counts")
            + frame_table(q, table_id="quality-table")
        )
    return _section("data-quality", "Data quality", body)


def _meta_sections(an: Analysis) -> list[str]:
    """The resolved configuration, the package versions and the run's metadata."""
    config, versions = meta_bodies(an.run.config_text, an.run.meta)
    return [
        _section("configuration", "Resolved configuration (config.toml)", config),
        _section("versions", f"Versions and run metadata ({layout.META})", versions),
    ]


def _page(an: Analysis, default: str, generated_at: str, body_html: str) -> str:
    """The page around the sections: title, synthetic banner, facts, navigation, scripts."""
    run = an.run
    variants = run.variants
    meta = run.meta
    raw_data = meta.get("data")
    data_meta: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    synthetic = run.synthetic
    label = "SYNTHETIC DATA — " if synthetic else ""
    title = f"{label}deepmomentum report: {run.path.resolve().name}"
    banner = (
        "<div id='synthetic-banner' class='banner-synthetic'>SYNTHETIC DATA: these prices were generated, "
        "not observed in any market. The results say nothing about real-world performance.</div>"
        if synthetic
        else ""
    )
    idx = run.returns.index
    span = f"{idx[0].date()} to {idx[-1].date()}" if len(idx) else "empty"
    facts = {
        "data": ("SYNTHETIC" if synthetic else str(data_meta.get("source", "unknown"))),
        "span": span,
        "variants": str(len(variants)),
        "instruments": str(data_meta.get("n_instruments", run.universe.shape[0])),
        "command": str(meta.get("command", "?")),
        "version": str(meta.get("package_version", "?")),
        "generated": generated_at,
    }
    facts_html = "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in facts.items())
    options = "".join(
        f"<option value='{esc(v)}'{' selected' if v == default else ''}>{esc(v)}</option>" for v in variants
    )
    links = "".join(f"<a href='#{sid}'>{esc(t)}</a>" for sid, t in SECTIONS)
    nav = (
        f"<nav id='nav'>{links}<label class='chooser' for='variant-select'>Strategy:"
        f"<select id='variant-select' autocomplete='off'>{options}</select></label></nav>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"{banner}<header id='report-header'><h1>{esc(title)}</h1>"
        f"<div class='facts'>{facts_html}</div></header>\n"
        f"{nav}\n<main>\n{body_html}\n"
        "<footer>Written by <code>deepmomentum report</code>. Self-contained: opens offline.</footer>\n"
        f"</main>\n<script type='text/javascript'>{_CHOOSER_JS}</script>\n</body>\n</html>\n"
    )
