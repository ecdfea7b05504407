from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from deepmomentum.cli import app
from deepmomentum.data import make_synthetic_market
from deepmomentum.presets import list_presets, load_preset

runner = CliRunner()

TINY = """
description = "tiny test run"
seed = 7

[backtest]
strategies = ["long_only", "tsmom", "macd"]
cost_bps = [0, 1, 2, 3, 5, 10]

[training]
first_test_year = 2006
retrain_years = 1
seq_len = 21
max_epochs = 2
patience = 2
n_trials = 2
device = "cpu"

[training.search]
dropout = [0.1]
hidden_size = [4]
batch_size = [64]
lr = [1e-2]
max_grad_norm = [1.0]
l1 = [1e-4]

[[models]]
name = "lstm"
model = "lstm"

[[models]]
name = "linear"
model = "linear"
"""


def test_presets_ship_and_validate() -> None:
    names = list_presets()
    assert {"dmn-paper", "dmn-quick", "dmn-medium", "dmn-costs"} <= set(names)
    paper = load_preset("dmn-paper")
    assert paper.training.n_trials == 50 and paper.training.search.hidden_size == [5, 10, 20, 40, 80, 160]
    costs = load_preset("dmn-costs")
    assert [m.cost_bps for m in costs.models] == [0.0, 10.0]
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0 and "dmn-quick" in result.output


def _small_data_dir(folder: Path) -> Path:
    """A small synthetic data folder (8 instruments, 2000-2008) in the loader's layout."""
    data = make_synthetic_market(n_per_class=2, start="2000-01-03", end="2008-12-31", late_starters=False)
    folder.mkdir()
    data.universe.to_frame().to_csv(folder / "universe.csv", index=False)
    for sym in data.prices.columns:
        s = data.prices[sym].dropna()
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.to_numpy()}).to_csv(
            folder / f"{sym}.csv", index=False
        )
    return folder


def test_run_end_to_end_and_resume(tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    data_dir = _small_data_dir(tmp_path / "data")
    args = [
        "run",
        "--config",
        str(cfg),
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
        "--no-report",
        "--quiet",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    returns = pd.read_csv(out / "returns.csv", parse_dates=["date"])
    expected = [
        f"{m}@{c}bp" for m in ("lstm", "linear", "long_only", "tsmom", "macd") for c in (0, 1, 2, 3, 5, 10)
    ]
    assert list(returns.columns) == ["date", *expected]
    assert returns["date"].min() >= pd.Timestamp("2006-01-01")  # out of sample only
    for name in ("windows.csv", "trials.csv"):
        assert (out / "models" / name).is_file()
    assert (out / "optuna.db").is_file() and (out / "run.log").is_file()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 7 and meta["data"]["synthetic"] is False
    log = (out / "run.log").read_text()
    assert "lstm: 6 tasks trained, 0 reused" in log
    # rerun: nothing retrained, identical results
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "lstm: 0 tasks trained, 6 reused" in (out / "run.log").read_text()
    pd.testing.assert_frame_equal(returns, pd.read_csv(out / "returns.csv", parse_dates=["date"]))


def test_run_bad_preset_and_device(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--preset", "nope", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown preset 'nope'" in result.output
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY.replace('device = "cpu"', 'device = "tpu"'))
    result = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "training.device" in result.output


def test_rerun_with_other_settings_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        TINY.replace("n_trials = 2", "n_trials = 1").replace(
            "first_test_year = 2006", "first_test_year = 2008"
        )
    )
    out = tmp_path / "run"
    data_dir = _small_data_dir(tmp_path / "data")
    args = ["run", "--config", str(cfg), "--data-dir", str(data_dir), "--out", str(out), "--no-report", "-q"]
    assert runner.invoke(app, args).exit_code == 0
    # more workers: same results, allowed
    assert runner.invoke(app, [*args, "--jobs", "1"]).exit_code == 0
    result = runner.invoke(app, [*args, "--seed", "8"])
    assert result.exit_code == 2
    assert "holds a run with other settings: seed (7 -> 8)" in result.output
    result = runner.invoke(app, [*args, "--first-test-year", "2007"])
    assert result.exit_code == 2 and "training.first_test_year (2008 -> 2007)" in result.output
    # --resume: the run's own config.toml; volatile flags may change, the others are refused
    resume = ["run", "--resume", str(out), "--no-report", "-q"]
    result = runner.invoke(app, [*resume, "--jobs", "1", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    counts = [line for line in (out / "run.log").read_text().splitlines() if "lstm: " in line]
    assert "lstm: 0 tasks trained, 1 reused" in counts[-1]
    result = runner.invoke(app, [*resume, "--seed", "8", "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --resume takes the run's own config.toml; drop --seed, --out "
        "(only --jobs, --executor, --ray-address, --storage, --device may change)"
    )
