"""``data`` commands: fetch, list, check and export real market data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from deepmomentum.cli._common import (
    EXIT_FAILED,
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
from deepmomentum.exceptions import ConfigError

__all__ = ["data_app", "register"]

data_app = typer.Typer(
    name="data",
    help=(
        "Fetch real market data (Alpha Vantage or Yahoo) into a local cache, check its quality, "
        "and export it as a --data-dir folder. See docs/data.md."
    ),
    no_args_is_help=True,
)

_SOURCES = ("alphavantage", "yahoo")


def _cache_dir(cache_dir: Path | None, cfg: Any) -> Path:
    from deepmomentum.data.acquisition import default_cache_dir

    return cache_dir or cfg.cache_dir or default_cache_dir()


def _parse_pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ConfigError(f"cannot parse {what} {value!r}; write NAME=VALUE, e.g. BNO=BRENT")
        out[left.strip()] = right.strip()
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates as text, missing values as null)."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        out.append(
            {
                str(k): None if _fmt_cell(v) == "" else (v.item() if hasattr(v, "item") else v)
                for k, v in row.items()
            }
        )
    return out


def _status_record(st: Any) -> dict[str, Any]:
    fields = ("symbol", "source", "status", "rows", "new_rows", "first", "last", "message")
    return {f: getattr(st, f) for f in fields} | {"ok": bool(st.ok)}


def _fmt_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


@data_app.command(
    epilog=(
        "Examples:\n\n"
        "  export ALPHAVANTAGE_API_KEY=...   # free key: https://www.alphavantage.co/support/#api-key\n\n"
        "  deepmomentum data fetch --source alphavantage --symbols SPY,TLT,EUR/USD,BRENT\n\n"
        "  deepmomentum data fetch --source yahoo --universe etf-48 --start 2005-01-01 --cache-dir cache\n\n"
        "  deepmomentum data fetch --source yahoo --universe etf-26 --proxy BNO=BZ=F --cache-dir cache\n\n"
        "  deepmomentum data fetch --universe my_universe.csv --config data.toml\n\n"
        "Rerunning continues where an interrupted run stopped: series fetched today are not fetched again."
    )
)
@handle_errors
def fetch(
    source: str = typer.Option(
        "alphavantage",
        "--source",
        help="alphavantage (needs ALPHAVANTAGE_API_KEY) or yahoo (needs the yahoo extra).",
    ),
    universe: str | None = typer.Option(
        None,
        "--universe",
        help="A preset (etf-26, etf-48) or a universe.csv (optional source,endpoint,series,proxy).",
    ),
    symbols: str | None = typer.Option(None, "--symbols", help="Comma-separated: SPY,TLT,EUR/USD,BRENT."),
    start: dt.datetime | None = typer.Option(
        None, "--start", formats=["%Y-%m-%d"], help="First date to keep (default: all history)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default: the user cache dir)."
    ),
    refresh: bool = typer.Option(False, "--refresh", help="Refetch everything in full, ignoring the cache."),
    premium: bool | None = typer.Option(
        None, "--premium/--free", help="Alpha Vantage tier (default: the config's, else free)."
    ),
    proxy: list[str] | None = typer.Option(
        None,
        "--proxy",
        help="SYMBOL=PROXY, e.g. BNO=BRENT or FXE=EUR/USD (repeatable); the proxy is fetched too.",
    ),
    config: Path | None = typer.Option(None, "--config", help="TOML file with an \\[acquisition] table."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fetch daily prices into the local cache, one Parquet file per series."""
    from deepmomentum.data.acquisition import (
        SeriesStore,
        fetch_all,
        load_acquisition_config,
        open_sources,
        resolve_universe,
        with_proxies,
    )

    set_output(quiet, as_json)
    show_warnings()
    if source not in _SOURCES:
        raise ConfigError(f"unknown --source {source!r}; use alphavantage or yahoo")
    cfg = load_acquisition_config(config)
    if premium is not None:
        cfg.premium = premium
    specs = resolve_universe(universe, symbols, source)  # type: ignore[arg-type]
    specs = with_proxies(specs, {**cfg.proxies, **_parse_pairs(proxy, "--proxy")}, source)  # type: ignore[arg-type]
    folder = _cache_dir(cache_dir, cfg)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=state.quiet,
    )
    with open_sources(cfg, {s.source or source for s in specs}) as sources, progress:
        task = progress.add_task("fetching", total=len(specs))
        statuses = fetch_all(
            specs,
            sources,
            SeriesStore(folder),
            start=None if start is None else start.date(),
            refresh=refresh,
            default_source=source,  # type: ignore[arg-type]
            on_start=lambda spec: progress.update(task, description=f"fetching {spec.symbol}"),
            on_done=lambda status: progress.advance(task),
        )
    _print_fetch(folder, statuses, as_json)


def _print_fetch(folder: Path, statuses: list[Any], as_json: bool) -> None:
    """The fetch table (or JSON), then a failure line (exit 1) or the next steps."""
    table = Table(title=f"data fetch: {folder}", header_style="bold", padding=(0, 1), pad_edge=False)
    for col, justify in (
        ("symbol", "left"),
        ("source", "left"),
        ("status", "left"),
        ("rows", "right"),
        ("new", "right"),
        ("first", "left"),
        ("last", "left"),
        ("message", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    colours = {
        "fetched": "green",
        "updated": "green",
        "up to date": "cyan",
        "failed": "red",
        "skipped": "yellow",
    }
    for st in statuses:
        table.add_row(
            st.symbol,
            st.source,
            f"[{colours[st.status]}]{st.status}[/]",
            str(st.rows),
            str(st.new_rows),
            st.first,
            st.last,
            st.message,
        )
    if as_json:
        emit_json({"cache_dir": str(folder), "series": [_status_record(st) for st in statuses]})
    elif not state.quiet:
        console.print(table)
    bad = [s for s in statuses if not s.ok]
    if bad:
        err_console.print(
            f"[bold red]{len(bad)} of {len(statuses)} series failed or were skipped[/]; the "
            f"{len(statuses) - len(bad)} others are kept in {folder}: rerun to retry the rest.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED)
    if not state.quiet:
        err_console.print(
            f"next: deepmomentum data check --cache-dir {folder}; "
            f"deepmomentum data export --cache-dir {folder} --out DATA_DIR",
            highlight=False,
            soft_wrap=True,
        )


@data_app.command(
    name="list",
    epilog=("Examples:\n\n  deepmomentum data list\n\n  deepmomentum data list --cache-dir data/cache"),
)
@handle_errors
def list_(
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default: the user cache dir)."
    ),
    config: Path | None = typer.Option(None, "--config", help="TOML file with an \\[acquisition] table."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List the cached series: source, endpoint, span, rows and when they were fetched."""
    from deepmomentum.data.acquisition import SeriesStore, load_acquisition_config

    set_output(quiet, as_json)
    cfg = load_acquisition_config(config)
    folder = _cache_dir(cache_dir, cfg)
    summary = SeriesStore(folder).summary()
    if as_json:
        emit_json({"cache_dir": str(folder), "series": _records(summary)})
        return
    if state.quiet:
        return
    if summary.empty:
        err_console.print(
            f"no cached series in {folder}; fetch some with: deepmomentum data fetch --symbols SPY",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(title=f"cached series: {folder}", header_style="bold", padding=(0, 1), pad_edge=False)
    columns = [
        "symbol",
        "source",
        "endpoint",
        "adjusted",
        "role",
        "first",
        "last",
        "n_rows",
        "fetched_at",
        "proxy",
    ]
    for col in columns:
        table.add_column(col, justify="right" if col == "n_rows" else "left")
    table.add_column("status")
    for row in summary.to_dict("records"):
        status = str(row["status"])
        table.add_row(
            *(_fmt_cell(row.get(c)) for c in columns),
            "[green]ok[/]" if status == "ok" else f"[red]{status}[/]",
        )
    console.print(table)


@data_app.command(
    epilog=(
        "Examples:\n\n"
        "  deepmomentum data check --data-dir ../shared/data/etf --out quality.csv\n\n"
        "  deepmomentum data check --cache-dir data/cache\n\n"
        "  deepmomentum data check --data-dir data/etf-26 --policy spike=error --policy gap=ffill\n\n"
        "Isolated spikes that revert next day (bad prints) are dropped by default (spike=drop);\n"
        "exit code 2 when errors (non-positive prices, spikes under spike=error or flag) are left\n"
        "unresolved by the policy."
    )
)
@handle_errors
def check(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="A data folder (universe.csv + SYMBOL.csv)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="A cache folder (default: the user cache dir)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write every issue to this CSV."),
    policy: list[str] | None = typer.Option(
        None,
        "--policy",
        help=(
            "ISSUE=ACTION, e.g. spike=keep, gap=ffill, stale=error "
            "(repeatable; actions: drop, keep, error, ffill, flag)."
        ),
    ),
    config: Path | None = typer.Option(
        None, "--config", help="TOML file with an \\[acquisition.quality] table."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Report gaps, stale runs, spikes, non-positive values and calendar mismatches."""
    from deepmomentum.data.acquisition import check_data_dir, check_store, load_acquisition_config

    set_output(quiet, as_json)
    show_warnings()
    if data_dir is not None and cache_dir is not None:
        raise ConfigError("give --data-dir or --cache-dir, not both")
    cfg = load_acquisition_config(config)
    try:
        rules = cfg.quality.with_actions(_parse_pairs(policy, "--policy"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if data_dir is not None:
        where = str(data_dir)
        report = check_data_dir(data_dir, rules)
    else:
        folder = _cache_dir(cache_dir, cfg)
        where = str(folder)
        checked = check_store(folder, rules)
        for message in checked.skipped:
            err_console.print(f"[red]skipped:[/] {message}", highlight=False, soft_wrap=True)
        report = checked.report
    _print_check(report, where, as_json)
    if out is not None:
        report.to_csv(out)
        if not state.quiet:
            err_console.print(f"wrote {out}", highlight=False)
    report.raise_for_errors(where)


def _print_check(report: Any, where: str, as_json: bool) -> None:
    """The issues table and summary (or JSON) of a quality check."""
    issues = report.issues
    if as_json:
        emit_json({"checked": where, "ok": report.ok, "issues": _records(issues)})
    elif state.quiet:
        pass
    elif issues.empty:
        console.print(f"[green]no issues found[/] in {where}", highlight=False)
    else:
        table = Table(title=f"data quality: {where}", header_style="bold", padding=(0, 1), pad_edge=False)
        for col in ("symbol", "issue", "severity", "start", "end", "n_days", "action", "resolved", "detail"):
            table.add_column(col, justify="right" if col == "n_days" else "left")
        shown = issues.head(200)
        for row in shown.to_dict("records"):
            severity = f"[red]{row['severity']}[/]" if row["severity"] == "error" else str(row["severity"])
            table.add_row(
                str(row["symbol"]),
                str(row["issue"]),
                severity,
                str(row["start"]),
                str(row["end"]),
                str(row["n_days"]),
                str(row["action"]),
                "yes" if row["resolved"] else "no",
                str(row["detail"]),
            )
        if len(issues) > len(shown):
            table.caption = f"{len(issues) - len(shown)} more rows: see --out"
        console.print(table)
        counts = issues.groupby(["issue", "severity"]).size().reset_index(name="n")
        console.print(
            "summary: "
            + ", ".join(f"{r['n']} {r['issue']} ({r['severity']})" for r in counts.to_dict("records")),
            highlight=False,
        )


@data_app.command(
    epilog=(
        "Examples:\n\n"
        "  deepmomentum data export --out data/etf-26\n\n"
        "  deepmomentum data export --cache-dir data/cache --out data/etf-26 --proxy FXE=EUR/USD\n\n"
        "  deepmomentum backtest --data-dir data/etf-26   # then use the export"
    )
)
@handle_errors
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write universe.csv and SYMBOL.csv files to."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default: the user cache dir)."
    ),
    symbols: str | None = typer.Option(None, "--symbols", help="Only these (comma-separated); default all."),
    proxy: list[str] | None = typer.Option(
        None, "--proxy", help="SYMBOL=PROXY overriding the proxies recorded at fetch time (repeatable)."
    ),
    splice: bool = typer.Option(
        True, "--splice/--no-splice", help="Extend short histories with their proxy."
    ),
    config: Path | None = typer.Option(None, "--config", help="TOML file with an \\[acquisition] table."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Export the cache as a data folder: universe.csv and one Date,Close file per series, oldest first."""
    from deepmomentum.data.acquisition import SeriesStore, export_store, load_acquisition_config

    set_output(quiet, as_json)
    show_warnings()
    cfg = load_acquisition_config(config)
    folder = _cache_dir(cache_dir, cfg)
    result = export_store(
        SeriesStore(folder),
        out,
        proxies={**cfg.proxies, **_parse_pairs(proxy, "--proxy")},
        symbols=None if symbols is None else [s.strip() for s in symbols.split(",") if s.strip()],
        splice=splice,
    )
    if as_json:
        emit_json(
            {
                "out": str(out),
                "symbols": list(result.symbols),
                "splices": [i.as_dict() for i in result.splices],
            }
        )
        return
    if state.quiet:
        return
    if result.splices:
        table = Table(
            title="spliced histories (proxy returns before the first own price)", header_style="bold"
        )
        for col in ("symbol", "proxy", "spliced from", "spliced to", "days", "own prices from"):
            table.add_column(col)
        for info in result.splices:
            d = info.as_dict()
            table.add_row(
                info.symbol,
                info.proxy,
                str(d["spliced_start"]),
                str(d["spliced_end"]),
                str(info.n_spliced),
                str(d["first_own"]),
            )
        console.print(table)
    console.print(
        f"wrote {len(result.symbols)} series, universe.csv and provenance.json to {out}; "
        f"use it with: deepmomentum backtest --data-dir {out}",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Register the ``data`` command group on ``app``."""
    app.add_typer(data_app, name="data")
