"""``run`` and ``presets`` commands: walk-forward training and the OOS backtest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from deepmomentum.cli._backtest import _announce_data, _show_warnings, _try_report, default_run_dir
from deepmomentum.cli._common import console, err_console, handle_errors, state
from deepmomentum.cli._tables import metrics_json, metrics_table

__all__ = ["RichProgress", "register"]


class RichProgress:
    """Renders walk-forward events as rich progress bars (windows, trials, epochs) with ETA."""

    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.windows: TaskID | None = None
        self.trials: TaskID | None = None
        self.epochs: TaskID | None = None
        self.total_windows = 0

    def __call__(self, event: str, **info: Any) -> None:
        p = self.p
        if event == "variant":
            pass
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


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=state.quiet,
    )


def run_and_print_models(cfg: Any, out: Path, report: bool, as_json: bool) -> None:
    """Run :func:`deepmomentum.run.run_models` with progress bars, then print the metrics."""
    from deepmomentum.run import run_models

    _announce_data(cfg.data.data_dir)
    with _progress() as progress:
        result = run_models(cfg, out, progress=RichProgress(progress))
    if report:
        _try_report(out)
    label = "SYNTHETIC demo data" if result.data.synthetic else str(result.data.source)
    span = f"{result.result.start.date()} to {result.result.end.date()}"
    if as_json:
        console.print_json(
            metrics_json(
                result.metrics, data=label, synthetic=result.data.synthetic, span=span, run_dir=str(out)
            )
        )
        return
    if not state.quiet:
        console.print(
            metrics_table(
                result.metrics,
                title=f"out of sample: {label}, {span}",
                caption=f"net of costs; models: {', '.join(m.name for m in cfg.models)}; run folder {out}",
            )
        )


def register(app: typer.Typer) -> None:
    """Register ``run`` and ``presets`` on ``app``."""

    @app.command(
        epilog=(
            "Examples:\n\n"
            "  deepmomentum run --preset dmn-quick\n\n"
            "  deepmomentum run --preset dmn-medium --data-dir ../shared/data/etf --out runs/dmn --seed 1\n\n"
            "  deepmomentum run --config my.toml --jobs 2 --device auto\n\n"
            "Rerun with the same --out to resume an interrupted run: finished windows and\n"
            "trials are read back, not retrained."
        )
    )
    @handle_errors
    def run(
        config: Path | None = typer.Option(None, "--config", help="TOML configuration file."),
        preset: str | None = typer.Option(None, "--preset", help="A shipped preset (see `presets`)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Data folder; default synthetic."),
        out: Path | None = typer.Option(None, "--out", help="Run folder (default runs/run-<time>)."),
        seed: int | None = typer.Option(None, "--seed", help="Base seed of the run."),
        jobs: int | None = typer.Option(None, "--jobs", help="Parallel local workers."),
        device: str | None = typer.Option(None, "--device", help="auto, cpu or cuda."),
        precision: str | None = typer.Option(None, "--precision", help="fp32, bf16 or fp16 (CUDA only)."),
        first_test_year: int | None = typer.Option(None, "--first-test-year", help="First OOS year."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress, only errors."),
        as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON on stdout."),
    ) -> None:
        """Train models walk-forward, predict out of sample, backtest against the benchmarks."""
        from deepmomentum.config import load_config
        from deepmomentum.exceptions import ConfigError
        from deepmomentum.presets import load_preset

        state.quiet = quiet or as_json
        _show_warnings()
        if config and preset:
            raise ConfigError("give --config or --preset, not both")
        cfg = load_config(config) if config else load_preset(preset or "dmn-quick")
        if data_dir is not None:
            cfg.data.data_dir = data_dir
        if seed is not None:
            cfg.seed = seed
        if jobs is not None:
            cfg.training.jobs = jobs
        if device is not None:
            cfg.training.device = device  # type: ignore[assignment]
        if precision is not None:
            cfg.training.precision = precision  # type: ignore[assignment]
        if first_test_year is not None:
            cfg.training.first_test_year = first_test_year
        run_and_print_models(cfg, out or default_run_dir("run"), report, as_json)

    @app.command(epilog="Examples:\n\n  deepmomentum presets")
    @handle_errors
    def presets() -> None:
        """List the shipped run presets."""
        from deepmomentum.presets import list_presets

        table = Table(title="presets (use with: deepmomentum run --preset NAME)", header_style="bold")
        table.add_column("name", style="cyan", no_wrap=True)
        table.add_column("description")
        for name, desc in list_presets().items():
            table.add_row(name, desc)
        console.print(table)
