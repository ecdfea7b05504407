"""The ablation folder's part of the run-folder contract (``deepmomentum ablate``).

:mod:`deepmomentum.run._layout` adds these entries to ``RUN_FILES`` (kind
``"ablation"``); the writer is :mod:`deepmomentum.pipeline._ablation`, the
reader :mod:`deepmomentum.report._ablation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "ABLATION",
    "ABLATION_CHART",
    "ABLATION_JSON",
    "ABLATION_SUMMARY",
    "ABLATION_SUMMARY_COLUMNS",
    "ablation_files",
]

ABLATION = "ablation.csv"
ABLATION_SUMMARY = "ablation_summary.csv"
ABLATION_JSON = "ablation.json"
ABLATION_CHART = "ablation.html"
_SEED_DIR = "seed-<k>"
_MEASURES = ("annual_vol", "max_drawdown", "sharpe", "turnover", "sharpe_vs_baseline")
#: Columns of ``ablation_summary.csv``.
ABLATION_SUMMARY_COLUMNS = (
    "layer",
    "span",
    "cost_bps",
    "n_seeds",
    *(f"{m}_{s}" for m in _MEASURES for s in ("mean", "std")),
)

T = TypeVar("T")


def ablation_files(
    make: Callable[..., T], trend: str, dmn_window: str, dmn_trial: str, *optuna: str
) -> tuple[T, ...]:
    """The entries of an ablation folder, built by ``make`` (:class:`~deepmomentum.run._layout.RunFile`).

    Parameters
    ----------
    make : callable
        ``make(path, kinds, required, description, when=..., index=..., columns=...)``.
    trend, dmn_window, dmn_trial : str
        A run's paths of one trained trend-model seed's files, a DMN window's and a
        DMN trial's (``.../<file>``); each seed folder caches them.
    *optuna : str
        The Optuna database and its lock.

    Returns
    -------
    tuple
        One entry per file (or family) of the folder, beyond ``config.toml``,
        ``meta.json``, ``run.log`` and ``report.html``.
    """

    def one(path: str, description: str, **kw: Any) -> T:
        return make(path, ("ablation",), not kw.get("when"), description, **kw)

    dmn = "the `core_dmn` layer runs"
    cache = (
        (trend, "a layer uses the trend model (the baseline does)"),
        (dmn_window, dmn),
        (dmn_trial, dmn),
        (optuna[0], f"{dmn}, unless `training.storage` names a shared database"),
        *((p, f"as `{optuna[0]}`") for p in optuna[1:]),
    )
    return (
        one(
            ABLATION,
            "one value per (layer, seed, span, cost, measure): `measure` is `sharpe`, `annual_vol`, "
            "`max_drawdown` or `turnover` of the layer's main variant; `seed` is the seed used (base + k); "
            "rewritten after each (layer, seed) pair, so a rerun resumes",
            columns=("layer", "seed", "span", "cost_bps", "measure", "value"),
        ),
        one(
            ABLATION_SUMMARY,
            "mean and std (ddof 1) over seeds per (layer, span, cost); `sharpe_vs_baseline` is the Sharpe "
            "minus the baseline's of the same seed",
            columns=ABLATION_SUMMARY_COLUMNS,
        ),
        one(
            ABLATION_JSON,
            "the layers and what each changes, the seeds, spans and costs, the selection rule (defaults "
            "chosen on the design span only) and the summary's rows",
            columns=("layers", "seeds", "spans", "costs_bps", "selection", "summary"),
        ),
        one(ABLATION_CHART, "the chart alone: Sharpe at 2 bp per layer, design vs holdout, std over seeds"),
        one(
            f"{_SEED_DIR}/layers/<layer>.csv",
            "the daily net returns of each layer computed with seed offset k, one column per cost",
            index="date",
            columns=("<cost>bp",),
        ),
        *(one(f"{_SEED_DIR}/{p}", f"the seed's training cache: as `{p}` of a run", when=w) for p, w in cache),
    )
