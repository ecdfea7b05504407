"""``backtest``, ``features`` and ``demo`` commands."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from deepmomentum._io import free_sibling
from deepmomentum.cli._common import (
    JSON_HELP,
    QUIET_HELP,
    console,
    emit_json,
    err_console,
    handle_errors,
    set_output,
    show_warnings,
    state,
)
from deepmomentum.cli._tables import metrics_json, metrics_table
from deepmomentum.config import BacktestConfig

__all__ = ["default_run_dir", "register", "register_compare"]


def default_run_dir(command: str) -> Path:
    """``runs/<command>-<UTC timestamp>`` under the current folder, never an existing one.

    Two commands started in the same second get ``...-2``, so neither writes into
    the other's folder.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / f"{command}-{stamp}"
    return free_sibling(path) if path.exists() else path


# Dotted configuration key -> the flag that sets it, so that errors name what the user typed.
OPTION_NAMES = {
    "data.data_dir": "--data-dir",
    "data.start": "--start",
    "data.end": "--end",
    "data.macro_dir": "--macro-dir",
    "data.sentiment_dir": "--sentiment-dir",
    "backtest.strategies": "--strategy",
    "backtest.cost_bps": "--cost-bps",
    "backtest.vol_target": "--vol-target",
    "backtest.max_weight": "--max-weight",
    "backtest.portfolio_vol_target": "--portfolio-vol-target",
    "seed": "--seed",
    "training.jobs": "--jobs",
    "training.device": "--device",
    "training.precision": "--precision",
    "training.first_test_year": "--first-test-year",
    "training.executor": "--executor",
    "training.ray_address": "--ray-address",
    "training.storage": "--storage",
}

FORCE_HELP = "Replace an --out folder that holds another run (its old contents are deleted first)."


def _with_default(help_text: str, model: type[BaseModel], field: str, fmt: str = "{}") -> str:
    """``help_text`` and the configuration's default, as click shows defaults.

    The options default to None so that a --config file's values stand unless a
    flag is given; the default shown is the pydantic model's (one set of defaults).
    """
    value = model.model_fields[field].default
    if isinstance(value, list):
        shown = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    else:
        shown = fmt.format(value)
    return f"{help_text}  [default: {shown}]"


def _split(value: str, kind: type = str) -> list:
    try:
        return [kind(v.strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"cannot parse {value!r} as a comma-separated list of numbers") from None


QUALITY_HELP = (
    "Data-quality actions, e.g. spike=keep,gap=ffill (issues: spike, non_positive, stale, gap, "
    "calendar; actions: drop, keep, error, ffill, flag). Default: spike=drop (isolated bad prints that "
    "revert next day are dropped, with a warning), the others flag. spike=error refuses such data; "
    "non-positive prices always stop the run."
)


def apply_quality_options(cfg: Any, quality: str | None, quality_check: bool | None) -> None:
    """Apply ``--quality`` and ``--quality-check/--no-quality-check`` to a RunConfig."""
    if quality_check is not None:
        cfg.data.quality_check = quality_check
    if quality:
        cfg.data.quality = {**cfg.data.quality, **_parse_quality(quality)}


def _parse_quality(text: str | None) -> dict[str, Any]:
    from deepmomentum.data.acquisition._quality import ACTIONS
    from deepmomentum.exceptions import ConfigError

    actions: dict[str, Any] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        issue, sep, action = part.partition("=")
        if not sep or action.strip() not in ACTIONS:
            raise ConfigError(
                f"--quality: cannot parse {part!r}; write ISSUE=ACTION, e.g. spike=keep "
                f"(actions: {', '.join(ACTIONS)})"
            )
        actions[issue.strip()] = action.strip()
    return actions


def _announce_data(data_dir: Path | None) -> None:
    if data_dir is None and not state.quiet:
        err_console.print(
            "[bold magenta]No --data-dir given: using the SYNTHETIC demo data[/] "
            "(generated, not market prices)."
        )


def register(app: typer.Typer) -> None:
    """Register ``backtest``, ``features`` and ``demo`` on ``app``."""

    @app.command(
        epilog=(
            "Examples:\n\n"
            "  deepmomentum backtest --data-dir ../shared/data/etf --start 2008-01-01 --out runs/etf\n\n"
            "  deepmomentum backtest --strategy tsmom --cost-bps 0,1,2,3,5,10 --json\n\n"
            "  deepmomentum backtest --config my.toml --out runs/mine"
        )
    )
    @handle_errors
    def backtest(
        data_dir: Path | None = typer.Option(
            None, "--data-dir", help="Folder with universe.csv and SYMBOL.csv; default: synthetic demo data."
        ),
        strategy: str | None = typer.Option(
            None,
            "--strategy",
            help=_with_default("Comma-separated: long_only,tsmom,macd.", BacktestConfig, "strategies"),
        ),
        cost_bps: str | None = typer.Option(
            None,
            "--cost-bps",
            help=_with_default("Cost levels, bp of traded notional, >= 0.", BacktestConfig, "cost_bps"),
        ),
        start: dt.datetime | None = typer.Option(None, "--start", formats=["%Y-%m-%d"], help="First day."),
        end: dt.datetime | None = typer.Option(None, "--end", formats=["%Y-%m-%d"], help="Last day."),
        vol_target: float | None = typer.Option(
            None,
            "--vol-target",
            help=_with_default(
                "Annual vol target per asset, decimal, in (0, 2].", BacktestConfig, "vol_target"
            ),
        ),
        max_weight: float | None = typer.Option(
            None,
            "--max-weight",
            help=_with_default("Cap on |weight| per asset, > 0.", BacktestConfig, "max_weight", "{:g}"),
        ),
        portfolio_vol_target: bool | None = typer.Option(
            None,
            "--portfolio-vol-target/--no-portfolio-vol-target",
            help="Also target portfolio vol ex ante from trailing portfolio returns.  [default: off]",
        ),
        config: Path | None = typer.Option(None, "--config", help="TOML configuration file."),
        quality: str | None = typer.Option(None, "--quality", help=QUALITY_HELP),
        quality_check: bool | None = typer.Option(
            None, "--quality-check/--no-quality-check", help="Check data quality first.  [default: on]"
        ),
        out: Path | None = typer.Option(None, "--out", help="Run folder.  [default: runs/backtest-<time>]"),
        force: bool = typer.Option(False, "--force", help=FORCE_HELP),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Backtest classical TSMOM strategies with vol targeting and costs; print metrics."""
        from deepmomentum.config import RunConfig, load_config

        set_output(quiet, as_json)
        show_warnings()
        cfg = load_config(config) if config else RunConfig()
        cfg = cfg.with_overrides(
            {
                "data.data_dir": None if data_dir is None else data_dir.resolve(),  # replays from any folder
                "backtest.strategies": _split(strategy) if strategy else None,
                "backtest.cost_bps": _split(cost_bps, float) if cost_bps else None,
                "data.start": None if start is None else start.date(),
                "data.end": None if end is None else end.date(),
                "backtest.vol_target": vol_target,
                "backtest.max_weight": max_weight,
                "backtest.portfolio_vol_target": portfolio_vol_target,
            },
            OPTION_NAMES,
        )
        apply_quality_options(cfg, quality, quality_check)
        _run_and_print(cfg, out or default_run_dir("backtest"), "backtest", report, as_json, force)

    @app.command(
        epilog="Examples:\n\n  deepmomentum features --data-dir ../shared/data/etf --out features.parquet"
    )
    @handle_errors
    def features(
        out: Path = typer.Option(..., "--out", help="Output Parquet file (long form)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Data folder; default synthetic."),
        winsorise: bool = typer.Option(
            True, "--winsorise/--no-winsorise", help="Causal price winsorisation."
        ),
        quality: str | None = typer.Option(None, "--quality", help=QUALITY_HELP),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Write the features (date, symbol, one column per feature) as Parquet."""
        from deepmomentum.config import DataConfig
        from deepmomentum.exceptions import ConfigError
        from deepmomentum.features import build_features, features_to_long
        from deepmomentum.run import load_market

        set_output(quiet, as_json)
        show_warnings()
        if out.is_dir():
            raise ConfigError(f"--out {out} is a folder; give a file path such as {out / 'features.parquet'}")
        _announce_data(data_dir)
        data = load_market(DataConfig(data_dir=data_dir, quality=_parse_quality(quality)))
        fs = build_features(data.tradable_prices, winsorise=winsorise)
        long = features_to_long(fs)
        if data.synthetic:
            long.attrs["source"] = "synthetic"
        out.parent.mkdir(parents=True, exist_ok=True)
        from deepmomentum.run import atomic_write_bytes

        atomic_write_bytes(out, long.to_parquet(index=False) or b"")
        if as_json:
            emit_json(
                {"path": str(out), "rows": len(long), "features": list(fs.names), "synthetic": data.synthetic}
            )
        elif not state.quiet:
            label = " (SYNTHETIC data)" if data.synthetic else ""
            console.print(f"wrote {len(long):,} rows x {len(fs.names)} features to {out}{label}")

    @app.command(
        epilog=(
            "Examples:\n\n  deepmomentum demo\n\n  deepmomentum demo --out runs/demo\n\n"
            "  deepmomentum demo --classical   # the classical backtest only (seconds)"
        )
    )
    @handle_errors
    def demo(
        out: Path | None = typer.Option(None, "--out", help="Run folder (default runs/demo-<time>)."),
        classical: bool = typer.Option(False, "--classical", help="Only the classical strategies."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
        force: bool = typer.Option(False, "--force", help=FORCE_HELP),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Train the dmn-quick Deep Momentum Network on the SYNTHETIC demo data, against the benchmarks."""
        from deepmomentum.config import RunConfig
        from deepmomentum.presets import load_preset

        set_output(quiet, as_json)
        show_warnings()
        out = out or default_run_dir("demo")
        if classical:
            _run_and_print(RunConfig(), out, "demo", report, as_json, force)
            return
        from deepmomentum.cli._run import run_and_print_models

        cfg = load_preset("dmn-quick")
        cfg.backtest.cost_bps = [0.0, 2.0, 10.0]
        run_and_print_models(cfg, out, report, as_json, force=force)


def register_compare(app: typer.Typer) -> None:
    """Register ``compare`` on ``app``."""

    @app.command(
        epilog=(
            "Examples:\n\n"
            "  deepmomentum compare runs/dmn-s1 runs/dmn-s2 runs/dmn-s3 --cost-bps 0,2,10 --markdown"
        )
    )
    @handle_errors
    def compare(
        run_dirs: list[Path] = typer.Argument(..., help="Run folders to aggregate (e.g. one per seed)."),
        cost_bps: str | None = typer.Option(
            None, "--cost-bps", help="Only variants at these costs, e.g. 0,2,10.  [default: all]"
        ),
        ex_post: bool = typer.Option(False, "--ex-post", help="Use the ex-post rescaled metrics."),
        allow_mixed: bool = typer.Option(
            False,
            "--allow-mixed",
            help="Average runs that differ in data, span or variants (labelled MIXED).",
        ),
        markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only check that the runs compare."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Mean and std of each variant's metrics across run folders (seeds)."""
        from deepmomentum.run import METRICS, METRICS_EX_POST, compare_runs, comparison_label, comparison_markdown

        set_output(quiet, as_json)
        metric_file = METRICS_EX_POST if ex_post else METRICS
        table = compare_runs(run_dirs, metric_file, allow_mixed=allow_mixed)
        if cost_bps:
            keep = tuple(f"@{c:g}bp" for c in _split(cost_bps, float))
            table = table[[str(v).endswith(keep) for v in table.index]]
        label = comparison_label(table)
        for diff in table.attrs["differences"]:
            if not state.quiet:
                err_console.print(f"[yellow]mixed:[/] {escape(diff)}", highlight=False, soft_wrap=True)
        if as_json:
            emit_json(
                {
                    "runs": table.attrs["runs"],
                    "mixed": table.attrs["mixed"],
                    "synthetic": table.attrs["synthetic"],
                    "differences": table.attrs["differences"],
                    "variants": {
                        str(v): {f"{c[0]}_{c[1]}": _finite(row[c]) for c in table.columns}
                        for v, row in table.iterrows()
                    },
                }
            )
        elif state.quiet:
            return
        elif markdown:
            if label:
                console.print(f"**{label}** inputs ({len(run_dirs)} runs)\n", markup=False, highlight=False)
            console.print(comparison_markdown(table), markup=False, highlight=False, soft_wrap=True)
        else:
            title = f"mean ± std over {len(run_dirs)} runs" + (f" [{label}]" if label else "")
            rich_table = Table(title=escape(title), header_style="bold")
            rich_table.add_column("variant", style="cyan")
            for m in ("sharpe", "annual_return", "annual_vol", "max_drawdown", "turnover"):
                rich_table.add_column(m, justify="right")
            for line in comparison_markdown(table).splitlines()[2:]:
                rich_table.add_row(*[c.strip() for c in line.strip("|").split("|")])
            console.print(rich_table)


def _finite(value: Any) -> Any:
    """A plain Python number for JSON; JSON has no NaN, so a missing measure is null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _run_and_print(cfg, out: Path, command: str, report: bool, as_json: bool, force: bool = False) -> None:
    from deepmomentum.run import run_backtest
    from deepmomentum.run._folder import check_out_path

    check_out_path(out)  # before anything is printed: one line for bad input
    _announce_data(cfg.data.data_dir)
    with console.status("backtesting...", spinner="dots") if not state.quiet else _null():
        run = run_backtest(cfg, out=out, command=command, force=force)
    label = "SYNTHETIC demo data" if run.data.synthetic else str(run.data.source)
    span = f"{run.result.start.date()} to {run.result.end.date()}"
    if report:
        _try_report(out)
    if as_json:
        console.print_json(
            metrics_json(run.metrics, data=label, synthetic=run.data.synthetic, span=span, run_dir=str(out))
        )
        return
    if state.quiet:
        return
    console.print(
        metrics_table(
            run.metrics,
            title=f"{command}: {label}, {span}",
            caption=(f"net of costs; vol target {cfg.backtest.vol_target:.0%} per asset; run folder {out}"),
        )
    )


def _try_report(out: Path) -> None:
    try:
        from deepmomentum.report import build_report
    except ImportError:
        return
    path = build_report(out)
    if not state.quiet:
        err_console.print(f"report: {path}")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
