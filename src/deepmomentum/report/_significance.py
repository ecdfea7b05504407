"""Report: is a difference real? PSR, DSR, bootstrap intervals, paired differences (``significance.json``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from deepmomentum.report._analysis import parse_variant
from deepmomentum.report._html_parts import esc, fmt
from deepmomentum.run._layout import SIGNIFICANCE

__all__ = ["significance_html"]


def _at(variant: str, cost: float | None) -> bool:
    if cost is None:
        return True
    parsed = parse_variant(variant)
    return parsed is not None and math.isclose(parsed[1], cost)


def _sharpe_rows(sig: dict[str, Any], cost: float | None) -> str:
    rows = []
    for name, s in sig.get("sharpe", {}).items():
        if not _at(name, cost):
            continue
        ci = f"[{fmt(s.get('boot_low'), '{:.2f}')}, {fmt(s.get('boot_high'), '{:.2f}')}]"
        trials = "" if s.get("n_trials") is None else f" ({s['n_trials']} trials)"
        rows.append(
            f"<tr><td class='name'>{esc(name)}</td><td>{fmt(s.get('sharpe'), '{:.2f}')}</td><td>{ci}</td>"
            f"<td>{fmt(s.get('psr'), '{:.2f}')}</td><td>{fmt(s.get('dsr'), '{:.2f}')}{esc(trials)}</td></tr>"
        )
    return "".join(rows)


def _difference_rows(sig: dict[str, Any], cost: float | None) -> str:
    rows = []
    for d in sig.get("differences", []):
        if not _at(str(d.get("series", "")), cost):
            continue
        lo, hi = d.get("boot_low"), d.get("boot_high")
        real = lo is not None and hi is not None and (lo > 0 or hi < 0)
        verdict = "<b>yes</b>" if real else "no: the interval holds 0"
        rows.append(
            f"<tr><td class='name'>{esc(d['series'])} − {esc(d['benchmark'])}</td>"
            f"<td>{fmt(d.get('difference'), '{:+.2f}')}</td>"
            f"<td>[{fmt(lo, '{:+.2f}')}, {fmt(hi, '{:+.2f}')}]</td><td>{verdict}</td></tr>"
        )
    return "".join(rows)


def significance_html(run_dir: Path, cost: float | None) -> str:
    """The significance block of the headline at ``cost`` bp; empty without ``significance.json``."""
    path = Path(run_dir) / SIGNIFICANCE
    if not path.is_file():
        return ""
    sig = json.loads(path.read_text())
    pct = f"{float(sig.get('level', 0.9)):.0%}"
    sharpe = _sharpe_rows(sig, cost)
    diffs = _difference_rows(sig, cost)
    if not sharpe:
        return ""
    out = (
        "<h3 id='significance'>Is the difference real?</h3>"
        "<table id='significance-table'><thead><tr><th class='name'>series</th><th>Sharpe</th>"
        f"<th>{pct} bootstrap CI</th><th>PSR</th><th>DSR</th></tr></thead><tbody>{sharpe}</tbody></table>"
    )
    if diffs:
        out += (
            "<table id='difference-table'><thead><tr><th class='name'>paired difference</th>"
            f"<th>Sharpe difference</th><th>{pct} bootstrap CI</th><th>real?</th></tr></thead>"
            f"<tbody>{diffs}</tbody></table>"
        )
    return out + (
        "<p class='how'>Stationary bootstrap over days (Politis &amp; Romano), so autocorrelation "
        "counts; a paired difference resamples the same days for both series. PSR: the probability "
        "that the true Sharpe ratio is above 0 given skew and kurtosis (Bailey &amp; López de Prado "
        "2012); DSR: the same against the best of the trials the search ran, had none any skill "
        "(2014). See docs/statistics.md.</p>"
    )
