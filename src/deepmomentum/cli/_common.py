"""Shared command-line plumbing: console, error handling, exit codes.

Exit codes: 0 ok, 1 failed (an unexpected error), 2 bad input (a
:class:`~deepmomentum.exceptions.DeepMomentumError`, or a usage error).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from deepmomentum.exceptions import DeepMomentumError

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "console", "err_console", "state"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# Outside a terminal (CI logs, pipes) rich would assume 80 columns and truncate tables.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


class _State:
    """Global CLI flags set by the top-level callback."""

    debug: bool = False
    quiet: bool = False


state = _State()

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn package errors into one readable line and the documented exit code.

    ``--debug`` re-raises so that the full traceback is shown.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except DeepMomentumError as exc:
            if state.debug:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted: progress so far is saved; rerun to resume[/]")
            raise typer.Exit(130) from None
        except Exception as exc:
            if state.debug:
                raise
            err_console.print(
                f"[bold red]failed:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                "(rerun with --debug for the traceback)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]


def is_tty() -> bool:
    """Return True when stderr is an interactive terminal."""
    return sys.stderr.isatty()
