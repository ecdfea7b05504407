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
    # The command modules by full name, not `from deepmomentum.cli import ...`:
    # importing the package from here would make cli <-> cli._app a cycle.
    from deepmomentum.cli._ablate import register as register_ablate
    from deepmomentum.cli._backtest import register as register_backtest
    from deepmomentum.cli._backtest import register_compare
    from deepmomentum.cli._data import register as register_data
    from deepmomentum.cli._report import register as register_report
    from deepmomentum.cli._run import register as register_run
    from deepmomentum.cli._signal import register as register_signal

    register_backtest(app)  # the order of the commands in --help
    register_run(app)
    register_signal(app)
    register_report(app)
    register_ablate(app)
    register_compare(app)
    register_data(app)


_register()


def main() -> None:
    """Entry point of the ``deepmomentum`` console script."""
    app()
