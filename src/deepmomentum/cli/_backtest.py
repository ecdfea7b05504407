"""``backtest``, ``features`` and ``demo`` commands."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

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
from deepmomentum.cli._options import (
    FORCE_HELP,
    OPTION_NAMES,
    QUALITY_HELP,
    apply_quality_options,
    default_run_dir,
    parse_quality,
    split_list,
    with_default,
)
from deepmomentum.cli._pipelines import (
    announce_data,
    cpd_progress,
    run_and_print_backtest,
    run_and_print_models,
)
from deepmomentum.config import BacktestConfig

__all__ = ["register", "register_compare"]


@handle_errors
def backtest_command(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with universe.csv and SYMBOL.csv; default: synthetic demo data."
    ),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        help=with_default("Comma-separated: long_only,tsmom,macd.", BacktestConfig, "strategies"),
    ),
    cost_bps: str | None = typer.Option(
        None,
        "--cost-bps",
        help=with_default("Cost levels, bp of traded notional, >= 0.", BacktestConfig, "cost_bps"),
    ),
    start: dt.datetime | None = typer.Option(None, "--start", formats=["%Y-%m-%d"], help="First day."),
    end: dt.datetime | None = typer.Option(None, "--end", formats=["%Y-%m-%d"], help="Last day."),
    vol_target: float | None = typer.Option(
        None,
        "--vol-target",
        help=with_default("Annual vol target per asset, decimal, in (0, 2].", BacktestConfig, "vol_target"),
    ),
    max_weight: float | None = typer.Option(
        None,
        "--max-weight",
        help=with_default("Cap on |weight| per asset, > 0.", BacktestConfig, "max_weight", "{:g}"),
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
            "backtest.strategies": split_list(strategy) if strategy else None,
            "backtest.cost_bps": split_list(cost_bps, float) if cost_bps else None,
            "data.start": None if start is None else start.date(),
            "data.end": None if end is None else end.date(),
            "backtest.vol_target": vol_target,
            "backtest.max_weight": max_weight,
            "backtest.portfolio_vol_target": portfolio_vol_target,
        },
        OPTION_NAMES,
    )
    apply_quality_options(cfg, quality, quality_check)
    run_and_print_backtest(cfg, out or default_run_dir("backtest"), "backtest", report, as_json, force)


@handle_errors
def features_command(
    out: Path = typer.Option(..., "--out", help="Output Parquet file (long form)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Data folder; default synthetic."),
    winsorise: bool = typer.Option(True, "--winsorise/--no-winsorise", help="Causal price winsorisation."),
    quality: str | None = typer.Option(None, "--quality", help=QUALITY_HELP),
    cpd: str | None = typer.Option(
        None, "--cpd", help="Add changepoint features for these lookbacks, e.g. 21,126 (slow: GP fits)."
    ),
    cpd_every: int = typer.Option(
        1,
        "--cpd-every",
        min=1,
        help="Fit the changepoint features every N days and hold them (N times faster).",
    ),
    cpd_cache: Path | None = typer.Option(
        None, "--cpd-cache", help="Resumable CPD cache folder; default <out folder>/.cpd-cache."
    ),
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
    announce_data(data_dir)
    data = load_market(DataConfig(data_dir=data_dir, quality=parse_quality(quality)))
    lookbacks = _cpd_lookbacks(cpd) if cpd else []
    with cpd_progress() as hook:
        fs = build_features(
            data.tradable_prices, winsorise=winsorise, cpd_lookbacks=lookbacks,
            cpd_cache_dir=cpd_cache or out.parent / ".cpd-cache", cpd_progress=hook, cpd_every=cpd_every,
        )  # fmt: skip
    long = features_to_long(fs)
    names = list(fs.names)
    if data.synthetic:
        long.attrs["source"] = "synthetic"
    out.parent.mkdir(parents=True, exist_ok=True)
    from deepmomentum._io import atomic_write_bytes

    atomic_write_bytes(out, long.to_parquet(index=False) or b"")
    if as_json:
        emit_json({"path": str(out), "rows": len(long), "features": names, "synthetic": data.synthetic})
    elif not state.quiet:
        label = " (SYNTHETIC data)" if data.synthetic else ""
        console.print(f"wrote {len(long):,} rows x {len(names)} features to {out}{label}")


def _cpd_lookbacks(spec: str) -> list[int]:
    """``--cpd 21,126`` as [21, 126]; a bad value is a ConfigError naming the flag."""
    from deepmomentum.exceptions import ConfigError

    try:
        lookbacks = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--cpd takes lookbacks in days such as 21,126, got {spec!r}") from None
    if not lookbacks or min(lookbacks) < 3:
        raise ConfigError(f"--cpd lookbacks must be integers >= 3, got {spec!r}")
    return lookbacks


@handle_errors
def demo_command(
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
        run_and_print_backtest(RunConfig(), out, "demo", report, as_json, force)
        return
    cfg = load_preset("dmn-quick")
    cfg.backtest.cost_bps = [0.0, 2.0, 10.0]
    run_and_print_models(cfg, out, report, as_json, force=force)


@handle_errors
def compare_command(
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
        keep = tuple(f"@{c:g}bp" for c in split_list(cost_bps, float))
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


def register(app: typer.Typer) -> None:
    """Register ``backtest``, ``features`` and ``demo`` on ``app``."""
    app.command(
        name="backtest",
        epilog=(
            "Examples:\n\n"
            "  deepmomentum backtest --data-dir ../shared/data/etf --start 2008-01-01 --out runs/etf\n\n"
            "  deepmomentum backtest --strategy tsmom --cost-bps 0,1,2,3,5,10 --json\n\n"
            "  deepmomentum backtest --config my.toml --out runs/mine"
        ),
    )(backtest_command)
    app.command(
        name="features",
        epilog="Examples:\n\n  deepmomentum features --data-dir ../shared/data/etf --out features.parquet",
    )(features_command)
    app.command(
        name="demo",
        epilog=(
            "Examples:\n\n  deepmomentum demo\n\n  deepmomentum demo --out runs/demo\n\n"
            "  deepmomentum demo --classical   # the classical backtest only (seconds)"
        ),
    )(demo_command)


def register_compare(app: typer.Typer) -> None:
    """Register ``compare`` on ``app``."""
    app.command(
        name="compare",
        epilog=(
            "Examples:\n\n"
            "  deepmomentum compare runs/dmn-s1 runs/dmn-s2 runs/dmn-s3 --cost-bps 0,2,10 --markdown"
        ),
    )(compare_command)


def _finite(value: Any) -> Any:
    """A plain Python number for JSON; JSON has no NaN, so a missing measure is null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value
