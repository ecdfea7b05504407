"""The CLI's promises: exit 2 and one line for bad input, --json and --quiet everywhere, readable help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from deepmomentum.cli import app

runner = CliRunner()


def _commands() -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
        else:
            out.append(path)

    walk(get_command(app), ())
    return out


def _options(path: tuple[str, ...]) -> set[str]:
    cmd = get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


ALL_COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(c) for c in ALL_COMMANDS}
    assert {"backtest", "run", "demo", "features", "presets", "compare", "report", "data check"} <= names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_json_and_quiet(command: tuple[str, ...]) -> None:
    opts = _options(command)
    assert "--json" in opts and "--quiet" in opts


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_help_fits_80_columns(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0
    wide = [line for line in result.output.splitlines() if len(line) > 80]
    assert not wide, wide
    assert "…" not in result.output  # nothing truncated


@pytest.mark.parametrize(
    ("option", "shown"),
    [
        ("--cost-bps", "[default: 0,2,10]"),
        ("--vol-target", "[default: 0.15]"),
        ("--max-weight", "[default: 10]"),
    ],
)
def test_help_shows_defaults(option: str, shown: str) -> None:
    result = runner.invoke(app, ["backtest", "--help"], terminal_width=80, env={"COLUMNS": "80"})
    text = " ".join(result.output.split())  # wrapped lines joined
    after = text[text.index(option) :]
    assert shown in after[:200]


def test_presets_json_and_quiet() -> None:
    result = runner.invoke(app, ["presets", "--json"])
    assert result.exit_code == 0
    assert "dmn-quick" in json.loads(result.stdout)
    quiet = runner.invoke(app, ["presets", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_data_list_json_on_an_empty_cache(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "list", "--cache-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"cache_dir": str(tmp_path), "series": []}


def test_features_json(tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["path"] == str(out) and payload["rows"] > 0 and payload["synthetic"] is True


BAD_FLAGS = [
    (["backtest", "--cost-bps=-5"], "--cost-bps", ">= 0"),
    (["backtest", "--vol-target=-0.1"], "--vol-target", "> 0 and <= 2"),
    (["backtest", "--max-weight", "0"], "--max-weight", "> 0"),
    (["run", "--preset", "dmn-quick", "--jobs", "0"], "--jobs", ">= 1"),
    (["run", "--preset", "dmn-quick", "--device", "gpu"], "--device", "'cuda'"),
]


@pytest.mark.parametrize(("args", "flag", "rule"), BAD_FLAGS, ids=lambda v: str(v))
def test_bad_option_values_exit_2_with_one_line(
    args: list[str], flag: str, rule: str, tmp_path: Path
) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, [*args, "--out", str(out), "--no-report"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and flag in lines[0] and rule in lines[0]
    assert "pydantic" not in result.output and "validation error" not in result.output
    assert not out.exists()


def test_out_that_is_a_file_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me")
    result = runner.invoke(app, ["backtest", "--out", str(target), "--no-report"])
    assert result.exit_code == 2
    assert "is a file" in result.output and "FileExistsError" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert target.read_text() == "keep me"


def test_unknown_toml_key_suggests_the_nearest(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[data]\nmin_histroy = 100\n\n[trainig]\nmax_epochs = 2\n")
    result = runner.invoke(app, ["backtest", "--config", str(cfg), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "data.min_histroy: unknown key; did you mean 'min_history'?" in result.output
    assert "trainig: unknown key; did you mean 'training'?" in result.output


def test_toml_range_error_names_key_and_range(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[training]\nval_fraction = 0.7\n")
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "training.val_fraction: must be > 0 and < 0.5 (got 0.7)" in result.output
