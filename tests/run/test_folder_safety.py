"""A command never destroys or mixes another command's results; failures are recorded; modes follow umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deepmomentum.cli import app
from deepmomentum.config import RunConfig, dump_config
from deepmomentum.exceptions import ConfigError, DataError
from deepmomentum.presets import load_preset
from deepmomentum.run import RunFolder, run_backtest

runner = CliRunner()


def _finished_dmn_run(path: Path, with_kind: bool = True) -> dict[str, bytes]:
    """A folder laid out as `deepmomentum run` leaves it (config, meta, metrics, models/, optuna.db)."""
    (path / "models" / "lstm" / "window_0").mkdir(parents=True)
    (path / "models" / "lstm" / "window_0" / "best.pt").write_bytes(b"weights")
    (path / "optuna.db").write_bytes(b"sqlite")
    (path / "config.toml").write_text(dump_config(load_preset("dmn-quick")))
    meta = {"command": "run", "seed": 42}
    if with_kind:
        meta["kind"] = "dmn"
    (path / "meta.json").write_text(json.dumps(meta))
    (path / "metrics.json").write_text(json.dumps({"lstm@0bp": {"sharpe": 0.5}}))
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.mark.parametrize("with_kind", [True, False], ids=["kind-recorded", "legacy-folder"])
def test_backtest_refuses_a_dmn_run_folder(tmp_path: Path, with_kind: bool) -> None:
    run_dir = tmp_path / "dmn"
    before = _finished_dmn_run(run_dir, with_kind)
    result = runner.invoke(app, ["backtest", "--out", str(run_dir), "--no-report"])
    assert result.exit_code == 2, result.output
    assert str(run_dir) in result.output and "Deep Momentum Network run" in result.output
    assert f"{run_dir}-2" in result.output  # a free folder is suggested
    assert _snapshot(run_dir) == before  # nothing replaced, nothing added


def test_force_clears_the_old_run_first(tmp_path: Path) -> None:
    run_dir = tmp_path / "dmn"
    _finished_dmn_run(run_dir)
    result = runner.invoke(app, ["backtest", "--out", str(run_dir), "--no-report", "--force"])
    assert result.exit_code == 0, result.output
    assert not (run_dir / "models").exists() and not (run_dir / "optuna.db").exists()
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["kind"] == "backtest" and "[[models]]" not in (run_dir / "config.toml").read_text()


def test_backtest_with_other_settings_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "bt"
    assert runner.invoke(app, ["backtest", "--out", str(out), "--no-report"]).exit_code == 0
    before = _snapshot(out)
    result = runner.invoke(app, ["backtest", "--out", str(out), "--no-report", "--cost-bps", "5"])
    assert result.exit_code == 2
    assert "other settings" in result.output and "backtest.cost_bps" in result.output
    assert _snapshot(out) == before
    # the same settings again rewrite the folder (a backtest has nothing to resume)
    assert runner.invoke(app, ["backtest", "--out", str(out), "--no-report"]).exit_code == 0


def test_a_folder_holding_no_run_is_never_cleared(tmp_path: Path) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["backtest", "--out", str(folder), "--no-report", *extra])
        assert result.exit_code == 2 and "holds no run" in result.output
    assert (folder / "thesis.tex").read_text() == "precious"


def test_claim_refuses_another_kind_in_the_library(tmp_path: Path) -> None:
    run_dir = tmp_path / "dmn"
    _finished_dmn_run(run_dir)
    with pytest.raises(ConfigError, match="Deep Momentum Network run"):
        RunFolder.claim(run_dir, "managed_futures", RunConfig())
    # the same kind with the same settings is a resume
    folder = RunFolder.claim(run_dir, "dmn", load_preset("dmn-quick"))
    assert (folder.path / "optuna.db").is_file()


def test_failed_run_leaves_no_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "universe.csv").write_text("symbol,asset_class\nAAA,equity\n")  # AAA.csv is missing
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", "--data-dir", str(data), "--out", str(out), "--no-report"])
    assert result.exit_code == 2 and "AAA" in result.output
    assert not out.exists()


def test_failure_after_results_is_written_to_run_log(tmp_path: Path) -> None:
    folder = RunFolder.claim(tmp_path / "r", "dmn", RunConfig())
    with pytest.raises(DataError), folder.recording():
        (folder.path / "models").mkdir()
        (folder.path / "models" / "result.json").write_text("{}")  # a finished task: worth resuming
        raise DataError("prices vanished", "SPY.csv")
    log = (tmp_path / "r" / "run.log").read_text()
    assert "failed: DataError: SPY.csv: prices vanished" in log
    assert (tmp_path / "r" / "models" / "result.json").is_file()


def test_unexpected_failure_logs_the_traceback(tmp_path: Path) -> None:
    folder = RunFolder.claim(tmp_path / "r", "dmn", RunConfig())
    with pytest.raises(ZeroDivisionError), folder.recording():
        (folder.path / "returns.csv").write_text("date\n")
        _ = 1 / 0
    log = (tmp_path / "r" / "run.log").read_text()
    assert "failed: ZeroDivisionError" in log and "Traceback" in log


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_output_file_follows_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        out = tmp_path / "bt"
        result = runner.invoke(app, ["backtest", "--out", str(out)])  # with the report
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert "report.html" in {p.name for p in files} and "metrics.json" in {p.name for p in files}
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_library_backtest_without_out_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = run_backtest(RunConfig())
    assert run.path is None and list(tmp_path.iterdir()) == []
