"""``ablate``: the managed-futures system with one layer changed at a time, over seeds.

The work is the library's (:func:`deepmomentum.pipeline._ablation.ablate`);
this module parses the flags, shows progress and prints the summary table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

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
from deepmomentum.cli._options import FORCE_HELP
from deepmomentum.cli._pipelines import _progress

__all__ = ["ablate_command", "register"]

_EPILOG = (
    "Examples:\n\n"
    "  deepmomentum ablate --preset etf-managed-futures-quick --data-dir ../shared/data/etf "
    "--macro-dir ../shared/data/macro --out runs/ablation\n\n"
    "  deepmomentum ablate --config my.toml --seeds 1 --layers regime_off,blend_off\n\n"
    "Layers: regime_off, sentiment_off, model_only, core_tsmom, core_dmn (slowest: trains a DMN), "
    "loose_constraints, daily, blend_off; the baseline always runs. Spans: design 2012-2018, "
    "holdout 2019 on; choose defaults on the design span only. Rerun with the same --out to "
    "resume: finished layers are read back, trained models reused. Writes report.html (the "
    "summary table and chart) unless --no-report; `deepmomentum report OUT` rewrites it."
)


class _AblationProgress:
    """A bar over (seed, layer) pairs and one over the training tasks of the current model."""

    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.pairs: TaskID | None = None
        self.tasks: TaskID | None = None

    def __call__(self, event: str, **info: Any) -> None:
        p = self.p
        if event == "ablation":
            if self.pairs is None:
                self.pairs = p.add_task("ablation", total=info["total"])
            label = "ablation" if info["layer"] is None else f"ablation: seed {info['seed']}, {info['layer']}"
            p.update(self.pairs, completed=info["done"], description=label)
        elif event == "window":
            if self.tasks is None:
                self.tasks = p.add_task("  training", total=info["n_tasks"])
            p.reset(self.tasks, total=info["n_tasks"], description=f"  training ({info['variant']})")
        elif event == "task" and self.tasks is not None:
            p.advance(self.tasks)


def _out_dir(out: Path | None) -> Path:
    """``--out``, or ``runs/ablate-<UTC time>`` (never an existing folder)."""
    import datetime as dt

    from deepmomentum._io import free_sibling

    if out is not None:
        return out
    path = Path("runs") / f"ablate-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S')}"
    return free_sibling(path) if path.exists() else path


def _config(config: Path | None, preset: str | None, **overrides: Any) -> Any:
    from deepmomentum.config import load_config
    from deepmomentum.exceptions import ConfigError
    from deepmomentum.presets import load_preset

    if config and preset:
        raise ConfigError("give --config or --preset, not both")
    if not config and not preset:
        raise ConfigError("give --preset NAME (e.g. etf-managed-futures-quick) or --config FILE")
    cfg = load_config(config) if config else load_preset(str(preset))
    if cfg.managed_futures is None:
        raise ConfigError(
            "ablate needs a managed-futures configuration ([trend_model], [overlays], [portfolio], "
            "[rebalance] tables); "
            "try --preset etf-managed-futures-quick"
        )
    names = {k: f"--{k.split('.')[-1].replace('_', '-')}" for k in overrides}  # errors name the flag
    return cfg.with_overrides(overrides, names)


def _table(summary: Any, out: Path) -> Table:
    """One row per (layer, span): Sharpe at each cost, vol, turnover, max drawdown (mean ± std)."""
    costs = sorted(summary["cost_bps"].unique())
    top = costs[-1]
    table = Table(
        title="ablation, mean ± std over seeds (choose defaults on the design span only)",
        caption=f"vol and max drawdown at {top:g} bp; ablation_summary.csv, ablation.html in {out}",
        header_style="bold",
    )
    for col in ("layer", "span", *(f"Sharpe {c:g}bp" for c in costs), "vs base", "vol", "turnover", "max DD"):
        table.add_column(col, justify="left" if col in ("layer", "span") else "right", no_wrap=True)

    def pm(row: Any, m: str, fmt: str) -> str:
        mean, std = row[f"{m}_mean"], row[f"{m}_std"]
        return format(mean, fmt) + ("" if std != std else " ± " + format(std, fmt))  # std NaN: one seed

    for (layer, span), part in summary.groupby(["layer", "span"], sort=False):
        by = part.set_index("cost_bps")
        last = by.loc[top]
        table.add_row(
            str(layer),
            str(span),
            *(pm(by.loc[c], "sharpe", ".2f") for c in costs),
            pm(last, "sharpe_vs_baseline", "+.2f") if "sharpe_vs_baseline_mean" in by else "",
            pm(last, "annual_vol", ".1%"),
            pm(last, "turnover", ".1f"),
            pm(last, "max_drawdown", ".1%"),
        )
    return table


@handle_errors
def ablate_command(
    config: Path | None = typer.Option(None, "--config", help="TOML configuration, managed futures."),
    preset: str | None = typer.Option(
        None, "--preset", help="A shipped preset, e.g. etf-managed-futures-quick."
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Data folder; default synthetic."),
    macro_dir: Path | None = typer.Option(
        None, "--macro-dir", help="Macro series folder; default market-implied regime."
    ),
    out: Path | None = typer.Option(None, "--out", help="Ablation folder (default runs/ablate-<time>)."),
    sentiment_dir: Path | None = typer.Option(
        None, "--sentiment-dir", help="Sentiment SYMBOL.csv folder; default off."
    ),
    seeds: int = typer.Option(3, "--seeds", help="Seeds: the base seed, +1, +2...  [default: 3]"),
    layers: str | None = typer.Option(None, "--layers", help="Comma-separated layers (default all)."),
    jobs: int | None = typer.Option(None, "--jobs", help="Parallel local workers.  [default: the preset's]"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress, only errors."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run the managed-futures system with one layer changed at a time, over seeds."""
    from deepmomentum.exceptions import ConfigError
    from deepmomentum.pipeline._ablation import ablate, check_layers
    from deepmomentum.run._folder import check_out_path

    set_output(quiet, as_json)
    show_warnings()
    if seeds < 1:
        raise ConfigError(f"--seeds: must be >= 1 (got {seeds})")
    names = check_layers([n.strip() for n in layers.split(",") if n.strip()] if layers is not None else None)
    cfg = _config(
        config,
        preset,
        **{
            "data.data_dir": None if data_dir is None else data_dir.resolve(),
            "data.macro_dir": None if macro_dir is None else macro_dir.resolve(),
            "data.sentiment_dir": None if sentiment_dir is None else sentiment_dir.resolve(),
            "training.jobs": jobs,
        },
    )
    out = _out_dir(out)
    check_out_path(out)
    if cfg.data.data_dir is None and not state.quiet:
        err_console.print("[bold magenta]No --data-dir given: using the SYNTHETIC demo data[/]")
    with _progress(eta=False) as progress:
        res = ablate(
            cfg,
            out,
            seeds=tuple(range(seeds)),
            layers=names,
            progress=_AblationProgress(progress),
            force=force,
        )
    report_path = None
    if report:
        from deepmomentum.report import build_report

        report_path = build_report(out)
    if as_json:
        emit_json(
            {
                "out": str(out),
                "report": None if report_path is None else str(report_path),
                "summary": res.summary.to_dict(orient="records"),
            }
        )
    elif not state.quiet:
        console.print(_table(res.summary, out))
        if report_path is not None:
            console.print(f"report: {report_path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Register ``ablate`` on ``app``."""
    app.command(name="ablate", epilog=_EPILOG)(ablate_command)
