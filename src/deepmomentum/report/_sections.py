"""HTML of the headline and of the risk tables (tail risk, worst drawdowns).

Signed measures whose sign is no verdict (skew, correlation, beta, excess
kurtosis) get a neutral diverging background (:data:`_axes.DIVERGING_NEUTRAL`),
never the red of a loss.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from deepmomentum.report._analysis import Analysis
from deepmomentum.report._axes import diverging_colour
from deepmomentum.report._headline import Headline, HeadlineRow

__all__ = ["NEUTRAL_SIGNED", "drawdowns_html", "headline_html", "risk_html", "signed_cell"]

#: Measures coloured on the neutral diverging scale, with the value at the ends of the scale.
NEUTRAL_SIGNED: dict[str, float] = {"skew": 2.0, "corr_ref": 1.0, "beta": 1.0, "kurtosis": 10.0}

_RISK_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("var95", "VaR 95% (1 day)", "{:.2%}"),
    ("cvar95", "CVaR 95% (1 day)", "{:.2%}"),
    ("tail_ratio", "Tail ratio", "{:.2f}"),
    ("kurtosis", "Excess kurtosis", "{:.1f}"),
    ("alpha", "Alpha/yr vs {ref}", "{:.2%}"),
    ("beta", "Beta to {ref}", "{:.2f}"),
    ("info_ratio", "Info ratio vs {ref}", "{:.2f}"),
)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: object, pattern: str) -> str:
    return pattern.format(value) if isinstance(value, int | float) and math.isfinite(value) else "–"


def signed_cell(key: str, value: object, text: str) -> str:
    """A ``<td>`` for a measure: neutral diverging background for :data:`NEUTRAL_SIGNED`, red for a loss."""
    if key in NEUTRAL_SIGNED and isinstance(value, int | float):
        colour = diverging_colour(float(value), NEUTRAL_SIGNED[key])
        return f"<td class='signed' style='background:{colour}'>{text}</td>"
    neg = isinstance(value, float) and math.isfinite(value) and value < 0
    return f"<td{' class=neg' if neg else ''}>{text}</td>"


def _ci(row: HeadlineRow) -> str:
    return f"[{_num(row.low, '{:.2f}')}, {_num(row.high, '{:.2f}')}]"


def _headline_row(row: HeadlineRow, best: HeadlineRow | None, css: str = "") -> str:
    diff = row.sharpe - best.sharpe if best is not None and row is not best else math.nan
    cells = [
        f"<td class='name'>{_esc(row.family)}</td>",
        f"<td class='name'>{_esc(row.series)}</td>",
        f"<td class='big'>{_num(row.sharpe, '{:.2f}')}</td>",
        f"<td>{_ci(row)}</td>",
        f"<td>{_num(diff, '{:+.2f}')}</td>",
        f"<td>{_num(row.turnover, '{:.1f}')}</td>",
        f"<td>{_num(row.annual_vol, '{:.1%}')}</td>",
        f"<td>{_esc(row.start)}</td>",
    ]
    return f"<tr{f' class={css}' if css else ''}>{''.join(cells)}</tr>"


def headline_html(head: Headline) -> str:
    """The headline block: a sentence and a table of each family against the best benchmark."""
    pct = f"{head.level:.0%}"
    cost = "all variants" if head.cost is None else f"{head.cost:g} bp"
    lead = []
    best = head.best
    best_txt = (
        f"best benchmark <b>{_esc(best.series)}</b> {_num(best.sharpe, '{:.2f}')} {_ci(best)}"
        if best is not None
        else "no benchmark to compare with"
    )
    for row in head.rows:
        lead.append(f"<b>{_esc(row.series)}</b> Sharpe {_num(row.sharpe, '{:.2f}')} {_ci(row)}")
    note = f"<p class='note' id='headline-cost-note'>{_esc(head.note)}</p>" if head.note else ""
    head_cells = "".join(
        f"<th{' class=name' if i < 2 else ''}>{_esc(t)}</th>"
        for i, t in enumerate(
            ("family", "series", "Sharpe", f"{pct} CI", "vs best", "Turnover/yr", "Vol", "from")
        )
    )
    body = "".join(_headline_row(r, best) for r in head.rows)
    if best is not None:
        body += _headline_row(best, best, "best")
    return (
        f"{note}<p class='lead' id='headline-lead'>At <b>{_esc(cost)}</b>: "
        + "; ".join(lead)
        + f" — against the {best_txt}.</p>"
        f"<table id='headline-table'><thead><tr>{head_cells}</tr></thead><tbody>{body}</tbody></table>"
        f"<p class='how'>Sharpe ratios annualised, zero risk-free rate, each over its own span "
        f"(<em>from</em>). {pct} two-sided confidence intervals: {_esc(head.method)}; they treat days as "
        "independent. <em>vs best</em> is the Sharpe difference to the best benchmark, the series with "
        "the highest Sharpe among the classical strategies at this cost and benchmarks.csv (the last "
        "row). Pick another level with <code>deepmomentum report RUN --cost-bps N</code>.</p>"
    )


def risk_html(an: Analysis, variants: Sequence[str], benchmarks: Sequence[str]) -> str:
    """Table of VaR, CVaR, tail ratio, kurtosis and the reference-relative measures."""
    table = an.risk_table()
    ref = an.run.reference_name or "ref"
    head = "".join(f"<th>{_esc(label.format(ref=ref))}</th>" for _, label, _ in _RISK_COLUMNS)

    def rows(names: Sequence[str], selectable: bool) -> str:
        out = []
        for name in names:
            rec = table.loc[name]
            cells = "".join(signed_cell(k, rec[k], _num(rec[k], p)) for k, _, p in _RISK_COLUMNS)
            attr = f" data-row='{_esc(name)}'" if selectable else ""
            out.append(f"<tr{attr}><td class='name'>{_esc(name)}</td>{cells}</tr>")
        return "".join(out)

    n = len(_RISK_COLUMNS) + 1
    group = "<tbody><tr class='group'><td colspan={n}>{title}</td></tr>{rows}</tbody>"
    body = group.format(n=n, title="Strategy variants", rows=rows(variants, True))
    if benchmarks:
        body += group.format(n=n, title="Benchmarks", rows=rows(benchmarks, False))
    return (
        "<div class='scroll'><table id='risk-table'><thead><tr><th class='name'>series</th>"
        f"{head}</tr></thead>{body}</table></div>"
    )


def _drawdown_table(frame: pd.DataFrame) -> str:
    labels = ("#", "depth", "peak", "trough", "recovery", "length (days)")
    head = "<tr>" + "".join(f"<th>{t}</th>" for t in labels) + "</tr>"
    rows = []
    for i, rec in enumerate(frame.to_dict(orient="records"), start=1):
        dates = ("peak", "trough", "recovery")
        day = {k: str(pd.Timestamp(rec[k]).date()) for k in dates if pd.notna(rec[k])}
        recovery = day.get("recovery", "not recovered")
        length = f"{rec['days']}" if rec["recovered"] else f"{rec['days']}+"
        rows.append(
            f"<tr><td>{i}</td><td class=neg>{float(rec['depth']):.1%}</td><td>{day['peak']}</td>"
            f"<td>{day['trough']}</td><td>{recovery}</td><td>{length}</td></tr>"
        )
    return f"<table class='drawdowns'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def drawdowns_html(an: Analysis, default: str) -> str:
    """The five worst drawdowns of each variant (only the selected one shown)."""
    out = []
    for v in an.run.variants:
        hidden = "" if v == default else " hidden"
        out.append(f"<div data-variant='{_esc(v)}'{hidden}>{_drawdown_table(an.top_drawdowns(v))}</div>")
    return "".join(out)
