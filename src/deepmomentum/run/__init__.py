"""Runs: the run folder and the pipelines that fill it."""

from deepmomentum.run._classical import (
    BacktestRun,
    load_market,
    run_backtest,
    settings_from_config,
    write_results,
)
from deepmomentum.run._compare import (
    RunSummary,
    compare_runs,
    comparison_label,
    comparison_markdown,
    run_differences,
    summarise_run,
)
from deepmomentum.run._dmn import run_models
from deepmomentum.run._folder import RunFolder, atomic_write_bytes, atomic_write_text, package_versions
from deepmomentum.run._managed_futures import ManagedFuturesRun, run_managed_futures

__all__ = [
    "BacktestRun",
    "ManagedFuturesRun",
    "RunFolder",
    "RunSummary",
    "atomic_write_bytes",
    "atomic_write_text",
    "compare_runs",
    "comparison_label",
    "comparison_markdown",
    "load_market",
    "package_versions",
    "run_backtest",
    "run_differences",
    "run_managed_futures",
    "run_models",
    "settings_from_config",
    "summarise_run",
    "write_results",
]
