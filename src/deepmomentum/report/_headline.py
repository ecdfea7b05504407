"""The cost level of the report and its headline: each model family against the best benchmark.

A *family* is a variant name without its ``@<cost>bp`` suffix (``lstm``,
``tsmom``, ``macd_8_24``). *Classical* families are the built-in rules
(``long_only``, ``tsmom``, ``macd`` and their ``macd_...`` variants); the others
are models. The *best benchmark* is the series with the highest Sharpe ratio
among the classical variants at the chosen cost and the series of
benchmarks.csv. A run with no model family (a classical backtest) compares
its classical families with the benchmarks.csv series only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from deepmomentum.metrics import SharpeIntervalFunction, sharpe_interval
from deepmomentum.report._analysis import Analysis, parse_variant

__all__ = ["DEFAULT_COST_BPS", "Headline", "HeadlineRow", "choose_cost", "default_variant", "headline"]

#: Cost level of the headline and of every chooser's default selection, bp.
DEFAULT_COST_BPS = 2.0
CI_LEVEL = 0.9
_CLASSICAL = ("long_only", "tsmom", "macd")


def _is_classical(family: str) -> bool:
    return any(family == c or family.startswith(c + "_") for c in _CLASSICAL)


def choose_cost(variants: list[str], wanted: float) -> tuple[float | None, str | None]:
    """The cost level of the run closest to ``wanted`` (bp), and a note when it is not ``wanted``.

    Returns ``(None, note)`` when no variant carries an ``@<cost>bp`` suffix.
    Ties go to the higher cost (the more conservative one).
    """
    costs = sorted({p[1] for v in variants if (p := parse_variant(v)) is not None})
    if not costs:
        return None, "no variant name carries a cost level (@<cost>bp): all variants shown"
    best = min(costs, key=lambda c: (abs(c - wanted), -c))
    if math.isclose(best, wanted):
        return best, None
    levels = ", ".join(f"{c:g}" for c in costs)
    return best, f"the run has no variant at {wanted:g} bp (levels: {levels} bp): showing {best:g} bp"


def default_variant(variants: list[str], cost: float | None) -> str:
    """First variant at ``cost`` bp (in returns.csv order); the first variant when none is."""
    for v in variants:
        parsed = parse_variant(v)
        if parsed is not None and cost is not None and math.isclose(parsed[1], cost):
            return v
    return variants[0]


@dataclass(frozen=True)
class HeadlineRow:
    """One line of the headline.

    Attributes
    ----------
    family : str
        Variant name without the cost suffix, or the benchmark's name.
    series : str
        The column shown (``lstm@2bp``, ``SPY``).
    kind : {"model", "classical", "benchmark"}
    sharpe, low, high : float
        Annualised Sharpe ratio and its confidence interval.
    turnover : float
        One-way traded notional per year, multiple of capital (NaN for benchmarks).
    annual_vol : float
        Annualised vol, decimal.
    start : str
        First date with a return (benchmarks may start later than the run).
    """

    family: str
    series: str
    kind: str
    sharpe: float
    low: float
    high: float
    turnover: float
    annual_vol: float
    start: str


@dataclass(frozen=True)
class Headline:
    """Every model family at the chosen cost against the best benchmark.

    Attributes
    ----------
    requested, cost : float or None
        Cost level asked for and used, bp (``cost`` None when no name has one).
    note : str or None
        Why ``cost`` differs from ``requested``.
    rows : list of HeadlineRow
        The families compared (models; classical families when there is no model).
    best : HeadlineRow or None
        The best benchmark (None when there is no candidate).
    level : float
        Coverage of the Sharpe intervals.
    method : str
        How the intervals were computed.
    """

    requested: float
    cost: float | None
    note: str | None
    rows: list[HeadlineRow]
    best: HeadlineRow | None
    level: float
    method: str


def headline(
    an: Analysis,
    cost_bps: float = DEFAULT_COST_BPS,
    interval: SharpeIntervalFunction = sharpe_interval,
    level: float = CI_LEVEL,
) -> Headline:
    """Each model family against the best benchmark at the cost level closest to ``cost_bps``.

    Parameters
    ----------
    an : Analysis
    cost_bps : float, default 2
        Wanted cost level, bp per unit of traded notional.
    interval : callable, default :func:`deepmomentum.metrics.sharpe_interval`
        ``(returns, level, periods_per_year) -> SharpeInterval``; swap in a bootstrap here.
    level : float, default 0.9
        Coverage of the two-sided Sharpe intervals.
    """
    run = an.run
    cost, note = choose_cost(run.variants, cost_bps)
    summary = an.summary()
    turnover = {str(k): float(v) for k, v in summary["turnover"].items()}
    vols = {str(k): float(v) for k, v in summary["annual_vol"].items()}
    method = interval(run.returns.iloc[:, 0], level, 252).method if run.variants else ""

    def row(series: str, family: str, kind: str) -> HeadlineRow:
        r = an.series(series)
        ci = interval(r, level, 252)
        turn = turnover[series] if kind != "benchmark" else math.nan
        first = r.first_valid_index()
        start = "" if first is None else str(pd.Timestamp(str(first)).date())
        return HeadlineRow(family, series, kind, ci.sharpe, ci.low, ci.high, turn, vols[series], start)

    families = []
    for v in run.variants:
        parsed = parse_variant(v)
        if cost is not None and (parsed is None or not math.isclose(parsed[1], cost)):
            continue
        family = v.rsplit("@", 1)[0]
        families.append(row(v, family, "classical" if _is_classical(family) else "model"))
    models = [r for r in families if r.kind == "model"]
    frame = an.benchmarks()
    bench = [] if frame is None else [row(str(b), str(b), "benchmark") for b in frame.columns]
    if models:
        rows, candidates = models, [r for r in families if r.kind == "classical"] + bench
    else:
        rows, candidates = families, bench
    finite = [c for c in candidates if math.isfinite(c.sharpe)]
    best = max(finite, key=lambda c: c.sharpe) if finite else None
    return Headline(cost_bps, cost, note, rows, best, level, method)
