"""``run`` and ``presets`` commands: walk-forward training and the OOS backtest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from deepmomentum.cli._common import (
    JSON_HELP,
    console,
    emit_json,
    handle_errors,
    set_output,
    show_warnings,
    state,
)
from deepmomentum.cli._options import (
    FORCE_HELP,
    OPTION_NAMES,
    QUALITY_HELP,
    RESUME_NAMES,
    apply_quality_options,
    default_run_dir,
)
from deepmomentum.cli._pipelines import run_and_print_models

if TYPE_CHECKING:
    from deepmomentum.config import RunConfig

__all__ = ["register"]


_RUN_EPILOG = (
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


@handle_errors
def run_command(
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
    seed: int | None = typer.Option(None, "--seed", help="Base seed of the run.  [default: the preset's]"),
    jobs: int | None = typer.Option(None, "--jobs", help="Parallel local workers.  [default: the preset's]"),
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
    set_output(quiet, as_json)
    show_warnings()
    flags = {
        "config": config,
        "preset": preset,
        "data_dir": data_dir,
        "macro_dir": macro_dir,
        "sentiment_dir": sentiment_dir,
        "seed": seed,
        "jobs": jobs,
        "device": device,
        "precision": precision,
        "first_test_year": first_test_year,
        "executor": executor,
        "ray_address": ray_address,
        "storage": storage,
    }
    cfg = _run_config(resume, out, **flags)
    apply_quality_options(cfg, quality, quality_check)
    run_and_print_models(cfg, resume or out or default_run_dir("run"), report, as_json, force=force)


def _run_config(resume: Path | None, out: Path | None, **flags: Any) -> RunConfig:
    """The configuration the ``run`` flags describe: a file, a preset or the resumed run's, plus overrides."""
    from deepmomentum.config import load_config
    from deepmomentum.exceptions import ConfigError
    from deepmomentum.presets import load_preset
    from deepmomentum.run import resume_config

    config, preset, data_dir = flags["config"], flags["preset"], flags["data_dir"]
    if config and preset:
        raise ConfigError("give --config or --preset, not both")
    if resume is not None:
        # the library refuses the flags that would change the results, naming them
        cfg = resume_config(
            resume,
            names=RESUME_NAMES,
            **{k: flags[k] for k in ("config", "preset", "data_dir", "seed", "first_test_year")},
            out=out,
            **{k: flags[k] for k in ("jobs", "executor", "ray_address", "storage", "device")},
        )
    else:
        cfg = load_config(config) if config else load_preset(preset or "dmn-quick")
    return cfg.with_overrides(
        {
            "data.data_dir": None if data_dir is None else data_dir.resolve(),  # replays from any folder
            "data.macro_dir": flags["macro_dir"],
            "data.sentiment_dir": flags["sentiment_dir"],
            "seed": flags["seed"],
            "training.jobs": flags["jobs"],
            "training.device": flags["device"],
            "training.precision": flags["precision"],
            "training.first_test_year": flags["first_test_year"],
            "training.executor": flags["executor"],
            "training.ray_address": flags["ray_address"],
            "training.storage": flags["storage"],
        },
        OPTION_NAMES,
    )


@handle_errors
def presets_command(
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


def register(app: typer.Typer) -> None:
    """Register ``run`` and ``presets`` on ``app``."""
    app.command(name="run", epilog=_RUN_EPILOG)(run_command)
    app.command(
        name="presets", epilog="Examples:\n\n  deepmomentum presets\n\n  deepmomentum presets --json"
    )(presets_command)
