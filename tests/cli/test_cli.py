from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from deepmomentum.cli import app

runner = CliRunner()

CONTRACT = {"config.toml", "meta.json", "returns.csv", "positions.parquet", "metrics.json"}
METRIC_KEYS = {
    "sharpe",
    "annual_return",
    "annual_vol",
    "sortino",
    "calmar",
    "max_drawdown",
    "pct_positive",
    "turnover",
}


def test_backtest_on_shared_etf(etf_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "backtest",
            "--data-dir",
            str(etf_dir),
            "--strategy",
            "long_only,tsmom,macd",
            "--cost-bps",
            "0,2,10",
            "--start",
            "2008-01-01",
            "--end",
            "2026-08-03",
            "--out",
            str(out),
            "--no-report",
            "--quality",
            "spike=drop",
        ],
    )
    assert result.exit_code == 0, result.output
    quality = pd.read_csv(out / "quality.csv")
    assert ((quality["symbol"] == "CPER") & (quality["issue"] == "spike") & quality["resolved"]).sum() == 2
    assert "tsmom@10bp" in result.output and "Sharpe" in result.output
    assert CONTRACT <= {p.name for p in out.iterdir()}
    returns = pd.read_csv(out / "returns.csv", parse_dates=["date"])
    assert list(returns.columns) == ["date"] + [
        f"{s}@{c}bp" for s in ("long_only", "tsmom", "macd") for c in (0, 2, 10)
    ]
    assert returns["date"].min() >= pd.Timestamp("2008-01-01")
    assert returns["date"].max() == pd.Timestamp("2026-08-03")
    metrics = json.loads((out / "metrics.json").read_text())
    assert METRIC_KEYS <= set(metrics["tsmom@2bp"])
    # costs only hurt
    assert metrics["tsmom@0bp"]["sharpe"] > metrics["tsmom@2bp"]["sharpe"] > metrics["tsmom@10bp"]["sharpe"]
    pos = pd.read_parquet(out / "positions.parquet")
    assert list(pos.columns) == ["date", "symbol", "strategy", "signal", "weight"]
    assert pos["signal"].between(-1, 1).all()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["data"]["synthetic"] is False and len(meta["data"]["fingerprint"]) == 64
    assert "pandas" in meta["versions"]
    assert "[backtest]" in (out / "config.toml").read_text()


def test_demo_labels_synthetic(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert meta["data"]["synthetic"] is True and meta["data"]["label"] == "SYNTHETIC"


def test_backtest_json_output(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "backtest",
            "--json",
            "--strategy",
            "tsmom",
            "--cost-bps",
            "0",
            "--out",
            str(tmp_path / "j"),
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["synthetic"] is True
    assert set(payload["metrics"]) == {"tsmom@0bp"}


def test_features_command(tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert list(frame.columns[:2]) == ["date", "symbol"]
    assert "macd_32_96" in frame.columns and "norm_ret_252" in frame.columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "--data-dir", "/no/such/dir"], "data folder not found"),
        (["backtest", "--strategy", "foo"], "unknown strategy 'foo'"),
        (["backtest", "--cost-bps", "a,b"], "comma-separated list of numbers"),
        (["backtest", "--start", "2100-01-01"], "has no data"),
    ],
)
def test_bad_input_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "x"), "--no-report"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[backtest]\nvol_targt = 0.1\n")
    result = runner.invoke(app, ["backtest", "--config", str(cfg), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "backtest.vol_targt: unknown key; did you mean 'vol_target'?" in result.output


def test_backtest_refuses_unresolved_quality_errors(etf_dir: Path, tmp_path: Path) -> None:
    args = ["backtest", "--data-dir", str(etf_dir), "--quality", "spike=error", "--out", str(tmp_path / "q")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "CPER spike 2014-12-04" in result.output
    assert "--quality spike=drop" in result.output
    assert not (tmp_path / "q" / "returns.csv").exists()
