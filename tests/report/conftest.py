from __future__ import annotations

from pathlib import Path

import pytest
import typer

from tests.report.fixtures import make_run_folder


@pytest.fixture(scope="session")
def run_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete small run folder (8 assets, 3 years, 7 strategies x 3 costs); do not modify."""
    return make_run_folder(tmp_path_factory.mktemp("runs") / "small")


@pytest.fixture
def run_dir(run_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small run folder, free to modify."""
    import shutil

    target = tmp_path / "run"
    shutil.copytree(run_template, target)
    return target


@pytest.fixture(scope="session")
def built_report(run_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of a copy of the small run folder."""
    import shutil

    from deepmomentum.report import build_report

    target = tmp_path_factory.mktemp("built") / "run"
    shutil.copytree(run_template, target)
    return build_report(target)


@pytest.fixture
def cli() -> typer.Typer:
    """The `report` command on its own app (shared by the report CLI tests)."""
    from deepmomentum.cli._report import register

    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command so that `report` is a subcommand
        """Unused."""

    return app
