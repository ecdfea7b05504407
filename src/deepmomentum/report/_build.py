"""``build_report``: read a run folder, write ``report.html`` (and PNGs) into it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from deepmomentum._io import atomic_write_text
from deepmomentum.exceptions import ConfigError, DataError
from deepmomentum.report._ablation import build_ablation_report, is_ablation
from deepmomentum.report._analysis import Analysis
from deepmomentum.report._headline import DEFAULT_COST_BPS, default_variant, headline
from deepmomentum.report._html import render_html
from deepmomentum.report._load import RunData, load_run
from deepmomentum.run._layout import FIGURES_DIR, REPORT, RETURNS

__all__ = ["REPORT_NAME", "build_report", "summary_table"]

REPORT_NAME = REPORT


def _check_variants(run: RunData) -> None:
    if not run.variants:
        raise DataError("no strategy variant column after 'date'", path=run.path / RETURNS)


def summary_table(run: RunData | str | Path) -> pd.DataFrame:
    """The report's summary table: headline measures of every variant, then every benchmark.

    Parameters
    ----------
    run : RunData, str or Path
        A loaded run, or its folder.

    Returns
    -------
    pd.DataFrame
        Index: variants then benchmarks; columns: ``deepmomentum.metrics.METRIC_NAMES``
        (decimals; ``turnover`` per year; ``corr_ref`` the correlation to SPY).
    """
    data = run if isinstance(run, RunData) else load_run(run)
    return Analysis(data).summary()


def build_report(
    run_dir: str | Path | RunData, png: bool = False, cost_bps: float = DEFAULT_COST_BPS
) -> Path:
    """Write the self-contained tearsheet ``report.html`` into a run folder.

    Parameters
    ----------
    run_dir : str, Path or RunData
        A run folder (see ``docs/run-folder.md``), or one already read by :func:`load_run`;
        an ablation folder gets its own report (see Notes).
    png : bool, default False
        Also write the main figures as PNG into ``run_dir/figures/`` (needs matplotlib).
    cost_bps : float, default 2
        Cost level (bp) of the headline and of every chart's default selection; the
        nearest level of the run when it has no variant at this one (the headline says so).

    Returns
    -------
    Path
        The report file.

    Raises
    ------
    DataError
        When a required file of the run folder is missing or malformed.
    ConfigError
        ``png`` for an ablation folder, which has no such figures.

    Notes
    -----
    A folder written by ``deepmomentum ablate`` gets the ablation report
    (:func:`deepmomentum.report._ablation.build_ablation_report`): its summary
    table and chart.
    """
    if not isinstance(run_dir, RunData) and is_ablation(run_dir):
        if png:
            raise ConfigError("--png: an ablation report has no PNG figures; its chart is ablation.html")
        return build_ablation_report(run_dir, cost_bps)
    run = run_dir if isinstance(run_dir, RunData) else load_run(run_dir)
    _check_variants(run)
    if not (cost_bps >= 0):
        raise ConfigError(f"--cost-bps must be a cost level >= 0 in bp, got {cost_bps!r}")
    an = Analysis(run)
    head = headline(an, cost_bps)
    default = default_variant(run.variants, head.cost)
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    page = render_html(an, default, generated, head)
    target = run.path / REPORT_NAME
    atomic_write_text(target, page)
    if png:
        from deepmomentum.report._png import write_pngs

        write_pngs(an, run.path / FIGURES_DIR, "SYNTHETIC DATA - " if run.synthetic else "", head.cost)
    return target
