"""Command-line interface (typer + rich); a thin layer over the library."""

from deepmomentum.cli._app import app, main

__all__ = ["app", "main"]
