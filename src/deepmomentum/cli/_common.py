"""Shared command-line plumbing: console, error handling, exit codes.

Exit codes: 0 ok, 1 failed (an unexpected error), 2 bad input (a
:class:`~deepmomentum.exceptions.DeepMomentumError`, or a usage error).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from deepmomentum.exceptions import DeepMomentumError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "JSON_HELP",
    "QUIET_HELP",
    "console",
    "emit_json",
    "err_console",
    "set_output",
    "show_warnings",
    "state",
]

QUIET_HELP = "Print only errors."
JSON_HELP = "Print the result as JSON on stdout (nothing else goes to stdout)."

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
    json: bool = False


def set_output(quiet: bool, as_json: bool = False) -> None:
    """Apply ``--quiet`` / ``--json``: JSON output implies quiet (stdout holds only the JSON)."""
    state.quiet = quiet or as_json
    state.json = as_json


def show_warnings() -> None:
    """Print warnings as one readable line each (not Python's two-line format); none with --quiet."""

    def show(
        message: Any, category: Any, filename: Any, lineno: Any, file: Any = None, line: Any = None
    ) -> None:
        if not state.quiet:
            err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)

    warnings.showwarning = show


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout, unwrapped (rich would fold long lines)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


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
        except ValidationError as exc:  # a model validated outside the config loaders: still bad input
            if state.debug:
                raise
            from deepmomentum._validation import format_validation_error

            root = exc.title if isinstance(exc.title, str) else "configuration"
            text = f"{root}: {format_validation_error(exc, _model_named(root))}"
            err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
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


def _model_named(name: str) -> Any:
    """The configuration model class called ``name`` (for locating fields in messages)."""
    from pydantic import BaseModel

    from deepmomentum import config

    found = getattr(config, name, None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else BaseModel


def is_tty() -> bool:
    """Return True when stderr is an interactive terminal."""
    return sys.stderr.isatty()
