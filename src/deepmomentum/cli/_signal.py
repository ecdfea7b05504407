"""``signal`` command: the target weights for the next session, from a finished run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from deepmomentum.cli._common import (
    JSON_HELP,
    QUIET_HELP,
    console,
    emit_json,
    handle_errors,
    set_output,
    show_warnings,
    state,
)

if TYPE_CHECKING:
    import pandas as pd

    from deepmomentum.pipeline._signal import NextTargets

__all__ = ["register"]

_EPILOG = (
    "Examples:\n\n"
    "  deepmomentum signal runs/dmn --data-dir ../shared/data/etf\n\n"
    "  deepmomentum signal runs/mf --data-dir data/etf --as-of 2024-06-28\n\n"
    "  deepmomentum signal runs/mf --data-dir data/etf --holdings book.csv --capital 1e6\n\n"
    "Holdings CSV: symbol, and quantity (shares; needs --capital) or weight\n"
    "(share of capital). Nothing is trained and RUN_DIR is not written; see\n"
    "docs/signal.md."
)


def _check(as_of: str | None, capital: float | None) -> pd.Timestamp | None:
    """The --as-of date; bad values raise (exit 2, one line)."""
    import pandas as pd

    from deepmomentum.exceptions import ConfigError

    if capital is not None and not capital > 0:
        raise ConfigError(f"--capital: must be > 0 (got {capital:g})")
    if as_of is None:
        return None
    try:
        return pd.Timestamp(as_of)
    except ValueError:
        raise ConfigError(f"--as-of: not a date: {as_of!r} (use YYYY-MM-DD)") from None


def _table(nt: NextTargets) -> Table:
    frame = nt.to_frame()
    table = Table(title=f"targets for the session after {nt.as_of.date()} ({nt.kind})")
    cols = [c for c in ("strategy", "symbol", "signal", "vol", "weight", "target") if c in frame]
    cols += [c for c in ("current", "trade", "shares") if c in frame]
    for c in cols:
        table.add_column(c, justify="left" if c in ("strategy", "symbol") else "right")
    for values in frame.to_dict(orient="records"):
        cells = [str(values[c]) if c in ("strategy", "symbol") else f"{values[c]:.4f}" for c in cols]
        if "shares" in values:
            cells[cols.index("shares")] = f"{values['shares']:.0f}"
        table.add_row(*cells)
    return table


def _print(nt: NextTargets) -> None:
    console.print(_table(nt))
    m = nt.model
    console.print(
        f"models: window {m['window']} (trained before {m['test_start']}, test to {m['test_end']}); "
        f"data to {nt.data_end.date()}",
        highlight=False,
    )
    for name, info in nt.rebalance.items():
        today = f"rebalance today ({info['triggers']})" if info["rebalance_today"] else "no rebalance today"
        console.print(f"{name}: {today}; last rebalance {info['last_rebalance']}", highlight=False)
    for note in nt.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Register ``signal`` on ``app``."""

    @app.command(epilog=_EPILOG)
    @handle_errors
    def signal(
        run_dir: Path = typer.Argument(..., help="Folder of a finished `deepmomentum run`."),
        data_dir: Path = typer.Option(..., "--data-dir", help="Data folder with the latest prices."),
        as_of: str | None = typer.Option(
            None, "--as-of", help="Close the targets are set at (YYYY-MM-DD). [default: last day]"
        ),
        holdings: Path | None = typer.Option(
            None, "--holdings", help="CSV of current holdings: symbol, quantity or weight."
        ),
        capital: float | None = typer.Option(
            None, "--capital", help="Account value: quantities to weights, trades to shares."
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Print the target weights for the next session from RUN_DIR's latest models."""
        from deepmomentum.pipeline._signal import next_targets

        set_output(quiet, as_json)
        show_warnings()
        # the run's own log warnings come back as notes: keep them off stderr
        logging.getLogger("deepmomentum").addHandler(logging.NullHandler())
        day = _check(as_of, capital)
        nt = next_targets(run_dir, data_dir, day, holdings, capital)
        if as_json:
            emit_json(nt.to_dict())
        elif not state.quiet:
            _print(nt)
