"""``--quality`` on the command line: the spike actions and their exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from deepmomentum.cli import app

runner = CliRunner()


def test_backtest_drops_bad_prints_by_default(etf_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["backtest", "--data-dir", str(etf_dir), "--start", "2008-01-01", "--out", str(out)]
    result = runner.invoke(app, [*args, "--no-report", "--strategy", "tsmom", "--cost-bps", "0"])
    assert result.exit_code == 0, result.output
    (line,) = [ln for ln in result.output.splitlines() if "CPER: dropped" in ln]
    assert line.startswith("warning: CPER: dropped 2 isolated spikes")  # one line, no source line
    assert "load_data_dir(" not in result.output and "warn(" not in result.output
    quality = pd.read_csv(out / "quality.csv")
    spikes = quality[(quality["symbol"] == "CPER") & (quality["issue"] == "spike")]
    assert len(spikes) == 2 and set(spikes["action"]) == {"drop"}


def test_backtest_spike_error_exits_2(etf_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "q"
    args = ["backtest", "--data-dir", str(etf_dir), "--out", str(out), "--quality", "spike=error"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "CPER spike 2014-12-04" in result.output and "Traceback" not in result.output
    assert not (out / "returns.csv").exists()


def test_backtest_spike_keep_runs(etf_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "k"
    args = ["backtest", "--data-dir", str(etf_dir), "--out", str(out), "--quality", "spike=keep"]
    result = runner.invoke(app, [*args, "--no-report", "--strategy", "tsmom", "--cost-bps", "0"])
    assert result.exit_code == 0, result.output
    assert "CPER: kept 2 isolated spikes" in result.output
    assert set(pd.read_csv(out / "quality.csv").query("issue == 'spike'")["action"]) == {"keep"}


def test_bad_quality_action_is_one_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", "--quality", "spike=delete", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "--quality" in result.output and "keep" in result.output and "Traceback" not in result.output


def test_non_positive_keep_is_refused(etf_dir: Path, tmp_path: Path) -> None:
    args = ["backtest", "--data-dir", str(etf_dir), "--quality", "non_positive=keep"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "n")])
    assert result.exit_code == 2
    assert "non_positive=keep" in result.output and "Traceback" not in result.output


def test_help_examples_do_not_need_spike_drop() -> None:
    for command in ("backtest", "features", "run"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        examples = result.output.split("Examples", 1)[1]
        assert "--quality" not in examples
