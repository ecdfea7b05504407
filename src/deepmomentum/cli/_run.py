"""``run`` and ``presets`` commands: walk-forward training and the OOS backtest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
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
from rich.table import Table

from deepmomentum.cli._backtest import (
    FORCE_HELP,
    OPTION_NAMES,
    QUALITY_HELP,
    _announce_data,
    _try_report,
    apply_quality_options,
    default_run_dir,
)
from deepmomentum.cli._common import (
    JSON_HELP,
    console,
    emit_json,
    err_console,
    handle_errors,
    set_output,
    show_warnings,
    state,
)
from deepmomentum.cli._tables import metrics_json, metrics_table

if TYPE_CHECKING:
    from deepmomentum.config import RunConfig

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


def run_and_print_models(cfg: Any, out: Path, report: bool, as_json: bool, force: bool = False) -> None:
    """Run the configured pipeline with progress bars, then print the metrics.

    :func:`deepmomentum.run.run_managed_futures` when the configuration has a
    ``[managed_futures]`` table, else :func:`deepmomentum.run.run_models` (DMN).
    """
    from deepmomentum.run import run_managed_futures, run_models

    managed_futures = getattr(cfg, "managed_futures", None) is not None
    pipeline = run_managed_futures if managed_futures else run_models
    from deepmomentum.run._folder import check_out_path

    check_out_path(out)  # before anything is printed: one line for bad input
    _announce_data(cfg.data.data_dir)
    with _progress() as progress:
        result = pipeline(cfg, out, progress=RichProgress(progress), force=force)
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
    if state.quiet:
        return
    if managed_futures:
        for note in getattr(result, "notes", []):
            err_console.print(f"[yellow]note:[/] {escape(str(note))}")
        title = f"managed futures, out of sample: {label}, {span}"
        caption = f"net of costs; comparison.csv, rebalances.csv, weights.parquet in {out}"
    else:
        title = f"out of sample: {label}, {span}"
        caption = f"net of costs; models: {', '.join(m.name for m in cfg.models)}; run folder {out}"
    console.print(metrics_table(result.metrics, title=title, caption=caption))


def _resume_config(run_dir: Path) -> RunConfig:
    """The configuration of an earlier run, from ``RUN_DIR/config.toml``."""
    import tomllib

    from deepmomentum.config import load_config, parse_config
    from deepmomentum.exceptions import ConfigError

    path = run_dir / "config.toml"
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no config.toml: not a run folder, or the run never started")
    raw = tomllib.loads(path.read_text())
    data_dir = raw.get("data", {}).get("data_dir")
    if data_dir is not None and not Path(data_dir).is_absolute() and Path(data_dir).is_dir():
        # written as given on the command line: relative to where the run was started
        return parse_config(raw, source=str(path), base=Path.cwd())
    return load_config(path)


def register(app: typer.Typer) -> None:
    """Register ``run`` and ``presets`` on ``app``."""

    @app.command(
        epilog=(
            "Examples:\n\n"
            "  deepmomentum run --preset dmn-quick\n\n"
            "  deepmomentum run --preset dmn-medium --data-dir ../shared/data/etf --out runs/dmn --seed 1\n\n"
            "  deepmomentum run --config my.toml --jobs 2 --device auto\n\n"
            "  deepmomentum run --preset dmn-paper --executor ray --ray-address auto\n\n"
            "  deepmomentum run --preset dmn-paper --storage postgresql://dm@dbhost/dm --out runs/a\n\n"
            "  deepmomentum run --resume runs/dmn\n\n"
            "  deepmomentum run --preset etf-managed-futures-quick --data-dir ../shared/data/etf "
            "--macro-dir ../shared/data/macro --out runs/mf\n\n"
            "Rerun with the same --out, or --resume RUN_DIR (reads RUN_DIR/config.toml), to\n"
            "resume an interrupted run: finished trials are read back, not retrained.\n"
            "Several machines given the same --storage share each window's search\n"
            "(see docs/scaling.md)."
        )
    )
    @handle_errors
    def run(
        config: Path | None = typer.Option(None, "--config", help="TOML configuration file."),
        preset: str | None = typer.Option(
            None, "--preset", help="A shipped preset (see `presets`).  [default: dmn-quick]"
        ),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Data folder; default synthetic."),
        macro_dir: Path | None = typer.Option(
            None, "--macro-dir", help="Macro series folder (managed futures); default market-implied regime."
        ),
        sentiment_dir: Path | None = typer.Option(
            None, "--sentiment-dir", help="Sentiment SYMBOL.csv folder (managed futures); default off."
        ),
        out: Path | None = typer.Option(None, "--out", help="Run folder (default runs/run-<time>)."),
        seed: int | None = typer.Option(
            None, "--seed", help="Base seed of the run.  [default: the preset's]"
        ),
        jobs: int | None = typer.Option(
            None, "--jobs", help="Parallel local workers.  [default: the preset's]"
        ),
        device: str | None = typer.Option(
            None, "--device", help="auto, cpu or cuda.  [default: the preset's, auto]"
        ),
        precision: str | None = typer.Option(
            None, "--precision", help="fp32, bf16 or fp16 (CUDA only).  [default: fp32]"
        ),
        first_test_year: int | None = typer.Option(
            None, "--first-test-year", help="First out-of-sample year.  [default: the preset's]"
        ),
        executor: str | None = typer.Option(
            None, "--executor", help="Where tasks run: local (joblib, default) or ray."
        ),
        ray_address: str | None = typer.Option(
            None, "--ray-address", help="Ray cluster address (auto, host:6379); default: start a local one."
        ),
        storage: str | None = typer.Option(
            None,
            "--storage",
            help="Optuna storage URL shared by several machines (postgresql://user@host/db); "
            "default optuna.db in the run folder.",
        ),
        resume: Path | None = typer.Option(
            None, "--resume", help="Resume the run in this folder with its config.toml."
        ),
        force: bool = typer.Option(False, "--force", help=FORCE_HELP),
        quality: str | None = typer.Option(None, "--quality", help=QUALITY_HELP),
        quality_check: bool | None = typer.Option(
            None, "--quality-check/--no-quality-check", help="Check data quality first (default on)."
        ),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress, only errors."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Train models walk-forward, predict out of sample, backtest against the benchmarks."""
        from deepmomentum.config import load_config
        from deepmomentum.exceptions import ConfigError
        from deepmomentum.presets import load_preset

        set_output(quiet, as_json)
        show_warnings()
        if config and preset:
            raise ConfigError("give --config or --preset, not both")
        if resume is not None:
            fixed = {
                "--config": config,
                "--preset": preset,
                "--data-dir": data_dir,
                "--seed": seed,
                "--first-test-year": first_test_year,
                "--out": out,
            }
            given = [k for k, v in fixed.items() if v is not None]
            if given:
                raise ConfigError(
                    f"--resume takes the run's own config.toml; drop {', '.join(given)} "
                    "(only --jobs, --executor, --ray-address, --storage, --device may change)"
                )
            cfg = _resume_config(resume)
            out = resume
        else:
            cfg = load_config(config) if config else load_preset(preset or "dmn-quick")
        cfg = cfg.with_overrides(
            {
                "data.data_dir": None if data_dir is None else data_dir.resolve(),  # replays from any folder
                "data.macro_dir": macro_dir,
                "data.sentiment_dir": sentiment_dir,
                "seed": seed,
                "training.jobs": jobs,
                "training.device": device,
                "training.precision": precision,
                "training.first_test_year": first_test_year,
                "training.executor": executor,
                "training.ray_address": ray_address,
                "training.storage": storage,
            },
            OPTION_NAMES,
        )
        apply_quality_options(cfg, quality, quality_check)
        run_and_print_models(cfg, out or default_run_dir("run"), report, as_json, force=force)

    @app.command(epilog="Examples:\n\n  deepmomentum presets\n\n  deepmomentum presets --json")
    @handle_errors
    def presets(
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing (checks the presets load)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """List the shipped run presets."""
        from deepmomentum.presets import list_presets

        set_output(quiet, as_json)
        shipped = list_presets()
        if as_json:
            emit_json(shipped)
            return
        if state.quiet:
            return
        table = Table(title="presets (use with: deepmomentum run --preset NAME)", header_style="bold")
        table.add_column("name", style="cyan", no_wrap=True)
        table.add_column("description")
        for name, desc in shipped.items():
            table.add_row(name, desc)
        console.print(table)
