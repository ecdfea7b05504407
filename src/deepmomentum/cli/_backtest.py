"""``backtest``, ``features`` and ``demo`` commands."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import typer

from deepmomentum.cli._common import console, err_console, handle_errors, state
from deepmomentum.cli._tables import metrics_json, metrics_table

__all__ = ["default_run_dir", "register"]


def default_run_dir(command: str) -> Path:
    """``runs/<command>-<UTC timestamp>`` under the current folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{command}-{stamp}"


def _show_warnings() -> None:
    """Print warnings as one readable line each (not Python's two-line format)."""

    def show(message, category, filename, lineno, file=None, line=None):
        if not state.quiet:
            err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)

    warnings.showwarning = show


def _split(value: str, kind: type = str) -> list:
    try:
        return [kind(v.strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"cannot parse {value!r} as a comma-separated list of numbers") from None


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
            None, "--strategy", help="Comma-separated: long_only,tsmom,macd (default all)."
        ),
        cost_bps: str | None = typer.Option(None, "--cost-bps", help="Cost levels in bp, e.g. 0,2,10."),
        start: dt.datetime | None = typer.Option(None, "--start", formats=["%Y-%m-%d"], help="First day."),
        end: dt.datetime | None = typer.Option(None, "--end", formats=["%Y-%m-%d"], help="Last day."),
        vol_target: float | None = typer.Option(None, "--vol-target", help="Annual vol target, decimal."),
        max_weight: float | None = typer.Option(None, "--max-weight", help="Cap on |weight| per asset."),
        portfolio_vol_target: bool | None = typer.Option(
            None,
            "--portfolio-vol-target/--no-portfolio-vol-target",
            help="Also target portfolio vol ex ante from trailing portfolio returns.",
        ),
        config: Path | None = typer.Option(None, "--config", help="TOML configuration file."),
        out: Path | None = typer.Option(None, "--out", help="Run folder (default runs/backtest-<time>)."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html at the end."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors."),
        as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON on stdout."),
    ) -> None:
        """Backtest classical TSMOM strategies with vol targeting and costs; print metrics."""
        from deepmomentum.config import RunConfig, load_config

        state.quiet = quiet or as_json
        _show_warnings()
        cfg = load_config(config) if config else RunConfig()
        if data_dir is not None:
            cfg.data.data_dir = data_dir
        if strategy:
            cfg.backtest.strategies = _split(strategy)
        if cost_bps:
            cfg.backtest.cost_bps = _split(cost_bps, float)
        if start:
            cfg.data.start = start.date()
        if end:
            cfg.data.end = end.date()
        if vol_target is not None:
            cfg.backtest.vol_target = vol_target
        if max_weight is not None:
            cfg.backtest.max_weight = max_weight
        if portfolio_vol_target is not None:
            cfg.backtest.portfolio_vol_target = portfolio_vol_target
        _run_and_print(cfg, out or default_run_dir("backtest"), "backtest", report, as_json)

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
        quiet: bool = typer.Option(False, "--quiet", "-q"),
    ) -> None:
        """Write the features (date, symbol, one column per feature) as Parquet."""
        from deepmomentum.config import DataConfig
        from deepmomentum.features import build_features, features_to_long
        from deepmomentum.run import load_market

        state.quiet = quiet
        _show_warnings()
        _announce_data(data_dir)
        data = load_market(DataConfig(data_dir=data_dir))
        fs = build_features(data.tradable_prices, winsorise=winsorise)
        long = features_to_long(fs)
        if data.synthetic:
            long.attrs["source"] = "synthetic"
        out.parent.mkdir(parents=True, exist_ok=True)
        from deepmomentum.run import atomic_write_bytes

        atomic_write_bytes(out, long.to_parquet(index=False) or b"")
        if not quiet:
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
        quiet: bool = typer.Option(False, "--quiet", "-q"),
        as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON on stdout."),
    ) -> None:
        """Train the dmn-quick Deep Momentum Network on the SYNTHETIC demo data, against the benchmarks."""
        from deepmomentum.config import RunConfig
        from deepmomentum.presets import load_preset

        state.quiet = quiet or as_json
        _show_warnings()
        out = out or default_run_dir("demo")
        if classical:
            _run_and_print(RunConfig(), out, "demo", report, as_json)
            return
        from deepmomentum.cli._run import run_and_print_models

        cfg = load_preset("dmn-quick")
        cfg.backtest.cost_bps = [0.0, 2.0, 10.0]
        run_and_print_models(cfg, out, report, as_json)


def _run_and_print(cfg, out: Path, command: str, report: bool, as_json: bool) -> None:
    from deepmomentum.run import run_backtest

    _announce_data(cfg.data.data_dir)
    with console.status("backtesting...", spinner="dots") if not state.quiet else _null():
        run = run_backtest(cfg, out=out, command=command)
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
