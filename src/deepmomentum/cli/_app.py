"""The ``deepmomentum`` Typer application: registers every command group."""

from __future__ import annotations

import typer

from deepmomentum.cli._common import state

app = typer.Typer(
    name="deepmomentum",
    help=(
        "Machine-learning trend following: classical TSMOM, Deep Momentum Networks and "
        "ML-enhanced managed futures, backtested causally and after costs.\n\n"
        "Exit codes: 0 ok, 1 failed, 2 bad input."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    state.debug = debug


def _register() -> None:
    # Imported here so that each command module can import `app` helpers freely.
    from deepmomentum.cli import _backtest, _data, _report, _run, _signal

    _backtest.register(app)
    _run.register(app)
    _signal.register(app)
    _report.register(app)
    _backtest.register_compare(app)
    _data.register(app)


_register()


def main() -> None:
    """Entry point of the ``deepmomentum`` console script."""
    app()
