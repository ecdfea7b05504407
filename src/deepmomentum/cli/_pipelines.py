"""Run a pipeline from the CLI: progress bars, the data notice, the report, the metrics table.

Shared by ``run``, ``backtest`` and ``demo``; the work itself is the library's
(:func:`deepmomentum.run.run`, :func:`deepmomentum.run.run_backtest`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from deepmomentum.cli._common import console, err_console, state
from deepmomentum.cli._tables import metrics_json, metrics_table

__all__ = [
    "RichProgress",
    "announce_data",
    "cpd_progress",
    "run_and_print_backtest",
    "run_and_print_models",
    "try_report",
]


class RichProgress:
    """Renders walk-forward events as rich progress bars (windows, trials, epochs) with ETA."""

    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.windows: TaskID | None = None
        self.trials: TaskID | None = None
        self.epochs: TaskID | None = None
        self.cpd: TaskID | None = None
        self.total_windows = 0

    def __call__(self, event: str, **info: Any) -> None:
        p = self.p
        if event == "variant":
            pass
        elif event == "cpd":
            if self.cpd is None:
                self.cpd = p.add_task("changepoint features", total=info["total"])
            p.update(
                self.cpd,
                completed=info["done"],
                total=info["total"],
                description=f"changepoint features (l={info['lookback']})",
            )
        elif event == "window":
            if self.windows is None:
                self.windows = p.add_task("windows", total=None)
            label = f"{info['variant']} window {info['window'] + 1}/{info['n_windows']}"
            p.update(self.windows, description=label)
            if self.trials is None:
                self.trials = p.add_task("trials", total=info["n_tasks"])
            p.reset(self.trials, total=info["n_tasks"], description=f"  trials ({info['variant']})")
        elif event == "task" and self.trials is not None:
            p.advance(self.trials)
            if self.windows is not None and p.tasks[self.trials].finished:
                p.advance(self.windows)
        elif event == "epoch":
            if self.epochs is None:
                self.epochs = p.add_task("  epochs", total=info["max_epochs"])
            if info["epoch"] == 0:
                p.reset(self.epochs, total=info["max_epochs"])
            p.update(
                self.epochs,
                completed=info["epoch"] + 1,
                description=f"  epochs (trial {info['trial']}, val Sharpe {info['val_sharpe']:.2f})",
            )


@contextlib.contextmanager
def cpd_progress() -> Iterator[Callable[[int, int, int], None]]:
    """A progress bar for the changepoint fits; yields the ``(lookback, done, total)`` callback."""
    with _progress() as p:
        bars = RichProgress(p)
        yield lambda lb, done, total: bars("cpd", lookback=lb, done=done, total=total)


def _progress(eta: bool = True) -> Progress:
    """The bars of long commands on stderr (none with ``--quiet``); ``eta`` adds the time left."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if eta:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, console=err_console, transient=False, disable=state.quiet)


def announce_data(data_dir: Path | None) -> None:
    """Say loudly that the synthetic demo data is used when no --data-dir was given."""
    if data_dir is None and not state.quiet:
        err_console.print(
            "[bold magenta]No --data-dir given: using the SYNTHETIC demo data[/] "
            "(generated, not market prices)."
        )


def try_report(out: Path) -> None:
    """Write ``report.html`` into ``out`` (skipped when the report extra is not installed)."""
    try:
        from deepmomentum.report import build_report
    except ImportError:
        return
    path = build_report(out)
    if not state.quiet:
        err_console.print(f"report: {path}")


def _print_metrics(run: Any, out: Path, as_json: bool, title: str, caption: str) -> None:
    """The run's metrics as JSON, or as a table titled ``title: <data>, <span>``."""
    label = "SYNTHETIC demo data" if run.data.synthetic else str(run.data.source)
    span = f"{run.result.start.date()} to {run.result.end.date()}"
    if as_json:
        console.print_json(
            metrics_json(run.metrics, data=label, synthetic=run.data.synthetic, span=span, run_dir=str(out))
        )
    elif not state.quiet:
        console.print(metrics_table(run.metrics, title=f"{title}: {label}, {span}", caption=caption))


def run_and_print_models(cfg: Any, out: Path, report: bool, as_json: bool, force: bool = False) -> None:
    """Run the configured pipeline (:func:`deepmomentum.run.run`) with progress bars; print the metrics."""
    from deepmomentum.run import run
    from deepmomentum.run._folder import check_out_path

    check_out_path(out)  # before anything is printed: one line for bad input
    announce_data(cfg.data.data_dir)
    with _progress() as progress:
        result = run(cfg, out, progress=RichProgress(progress), force=force)
    if report:
        try_report(out)
    if cfg.managed_futures is None:
        caption = f"net of costs; models: {', '.join(m.name for m in cfg.models)}; run folder {out}"
        _print_metrics(result, out, as_json, "out of sample", caption)
        return
    if not as_json and not state.quiet:
        for note in getattr(result, "notes", []):
            err_console.print(f"[yellow]note:[/] {escape(str(note))}")
    caption = f"net of costs; comparison.csv, rebalances.csv, weights.parquet in {out}"
    _print_metrics(result, out, as_json, "managed futures, out of sample", caption)


def run_and_print_backtest(
    cfg: Any, out: Path, command: str, report: bool, as_json: bool, force: bool = False
) -> None:
    """Run the classical backtest (:func:`deepmomentum.run.run_backtest`); print the metrics."""
    from deepmomentum.run import run_backtest
    from deepmomentum.run._folder import check_out_path

    check_out_path(out)  # before anything is printed: one line for bad input
    announce_data(cfg.data.data_dir)
    spinner = (
        console.status("backtesting...", spinner="dots") if not state.quiet else contextlib.nullcontext()
    )
    with spinner:
        run = run_backtest(cfg, out=out, command=command, force=force)
    if report:
        try_report(out)
    caption = f"net of costs; vol target {cfg.backtest.vol_target:.0%} per asset; run folder {out}"
    _print_metrics(run, out, as_json, command, caption)
