"""``deepmomentum signal``: next-session targets from a finished run, and extending a run with new data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from deepmomentum.cli import app

runner = CliRunner()
SYMBOLS = ["SPY", "EFA", "AGG", "IEF", "GLD", "DBC", "FXE", "FXY"]
D1, D2 = "2021-06-30", "2022-03-31"


def _write_data(src: Path, dst: Path, end: str, start: str = "2013-01-01") -> Path:
    """A truncated copy of a few ETFs: [start, end]."""
    dst.mkdir(parents=True, exist_ok=True)
    uni = pd.read_csv(src / "universe.csv")
    uni[uni["symbol"].isin(SYMBOLS)].to_csv(dst / "universe.csv", index=False)
    for sym in SYMBOLS:
        frame = pd.read_csv(src / f"{sym}.csv")
        day = pd.to_datetime(frame.iloc[:, 0])
        frame[(day >= start) & (day <= end)].to_csv(dst / f"{sym}.csv", index=False)
    return dst


def _tiny_training(cfg, retrain_years: int = 1) -> None:
    cfg.training.first_test_year = 2020
    cfg.training.retrain_years = retrain_years
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    cfg.backtest.cost_bps = [0.0]


@pytest.fixture(scope="module")
def dmn(tmp_path_factory, etf_dir):
    from deepmomentum.presets import load_preset
    from deepmomentum.run import run_models

    tmp = tmp_path_factory.mktemp("dmn")
    d1 = _write_data(etf_dir, tmp / "d1", D1)
    d2 = _write_data(etf_dir, tmp / "d2", D2)
    cfg = load_preset("dmn-quick")
    cfg.data.data_dir = d1
    _tiny_training(cfg)
    cfg.training.max_epochs = 1
    cfg.training.n_trials = 1
    cfg.models = cfg.models[:1]
    run_models(cfg, tmp / "run")
    return tmp / "run", d1, d2, cfg


@pytest.fixture(scope="module")
def mf(tmp_path_factory, etf_dir, macro_dir):
    from deepmomentum.presets import load_preset
    from deepmomentum.run import run_managed_futures

    tmp = tmp_path_factory.mktemp("mf")
    d1 = _write_data(etf_dir, tmp / "d1", D1, start="2014-01-01")
    cfg = load_preset("etf-managed-futures-quick")
    cfg.data.data_dir = d1
    cfg.data.macro_dir = macro_dir
    _tiny_training(cfg, retrain_years=2)
    tm = cfg.trend_model
    tm.hidden_sizes, tm.max_epochs, tm.train_stride, tm.max_train_samples = [8, 4], 1, 20, 1000
    cfg.rebalance.daily_variant = False
    run_managed_futures(cfg, tmp / "run")
    return tmp / "run", d1


def _listing(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def test_dmn_signal_is_the_backtests_weight_at_the_as_of_day(dmn) -> None:
    from deepmomentum.pipeline import next_targets

    run, d1, _, _ = dmn
    before = _listing(run)
    nt = next_targets(run, d1, as_of=D1)
    assert _listing(run) == before  # the run folder is read only
    held = pd.read_parquet(run / "positions.parquet")
    held = held[(held["date"] == D1) & (held["strategy"] == "lstm")].set_index("symbol")
    got = nt.to_frame().set_index("symbol")
    assert set(got["strategy"]) == {"lstm"} and set(got.index) == set(held.index)
    np.testing.assert_array_equal(got.loc[held.index, "weight"], held["weight"])
    np.testing.assert_array_equal(got.loc[held.index, "signal"], held["signal"])
    # the paper's average over assets: capital share = weight / N; weight = X * 15% / sigma
    np.testing.assert_allclose(got["target"], got["weight"] / len(got))
    np.testing.assert_allclose(got["weight"], got["signal"] * 0.15 / got["vol"], rtol=1e-9)
    assert any("averages over the N assets" in n for n in nt.notes)
    assert nt.warnings == []


def test_later_data_same_day_and_stale_warning(dmn) -> None:
    from deepmomentum.pipeline import next_targets

    run, d1, d2, _ = dmn
    pd.testing.assert_frame_equal(
        next_targets(run, d2, as_of=D1).to_frame(), next_targets(run, d1).to_frame()
    )
    with pytest.warns(UserWarning, match="stale models"):
        late = next_targets(run, d2)
    assert late.as_of == pd.Timestamp(D2) and late.to_frame()["weight"].notna().all()
    assert any("after the run's last test day" in n for n in late.notes)


def test_cli_json_and_trades_from_holdings(dmn, tmp_path) -> None:
    run, d1, _, _ = dmn
    hold = tmp_path / "book.csv"
    hold.write_text("symbol,quantity\nSPY,100\nGLD,-20\n")
    args = ["signal", str(run), "--data-dir", str(d1), "--holdings", str(hold), "--capital", "100000"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = pd.DataFrame(payload["targets"]).set_index("symbol")
    assert payload["as_of"] == D1 and payload["kind"] == "dmn"
    spy = rows.loc["SPY"]
    assert spy["current"] == pytest.approx(100 * spy["close"] / 1e5)
    assert spy["trade"] == pytest.approx(spy["target"] - spy["current"])
    assert spy["shares"] == pytest.approx(spy["trade"] * 1e5 / spy["close"])
    assert rows.loc["AGG", "current"] == 0.0
    quiet = runner.invoke(app, [*args, "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == ""


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--as-of", "2021-07-30"], "ends 2021-06-30"),
        (["--as-of", "someday"], "--as-of"),
        (["--capital", "-1"], "--capital"),
    ],
)
def test_bad_input_exits_2_in_one_line(dmn, extra, needle) -> None:
    run, d1, _, _ = dmn
    result = runner.invoke(app, ["signal", str(run), "--data-dir", str(d1), *extra])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


def test_unknown_holding_symbol_exits_2(dmn, tmp_path) -> None:
    run, d1, _, _ = dmn
    hold = tmp_path / "mine.csv"
    hold.write_text("symbol,weight\nSPY,0.1\nTSLA,0.2\n")
    result = runner.invoke(app, ["signal", str(run), "--data-dir", str(d1), "--holdings", str(hold)])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "TSLA" in line and str(hold) in line.replace("\n", "")


def test_extending_a_run_trains_only_new_windows(dmn, tmp_path) -> None:
    from deepmomentum.run import run_models

    run, _, d2, cfg = dmn
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    before = pd.read_parquet(copy / "positions.parquet")
    events: list[dict] = []
    cfg2 = cfg.model_copy(deep=True)
    cfg2.data.data_dir = d2
    run_models(cfg2, copy, progress=lambda e, **k: events.append(k) if e == "task" else None)
    trained = {(e["window"], e["reused"]) for e in events}
    assert trained == {(0, True), (1, True), (2, False)}  # window 1 grew: predicted, not retrained
    after = pd.read_parquet(copy / "positions.parquet")
    old = after[after["date"] <= D1].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before.reset_index(drop=True))
    assert after["date"].max() == pd.Timestamp(D2)
    assert "extending the run from 2021-06-30 to 2022-03-31" in (copy / "run.log").read_text()


def test_changed_old_price_is_refused(dmn, tmp_path) -> None:
    from deepmomentum.exceptions import ConfigError
    from deepmomentum.run import run_models

    run, _, d2, cfg = dmn
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    bad = tmp_path / "bad"
    shutil.copytree(d2, bad)
    gld = pd.read_csv(bad / "GLD.csv")
    gld.iloc[len(gld) // 2, 1] *= 1.01  # a revised price in 2017
    gld.to_csv(bad / "GLD.csv", index=False)
    cfg2 = cfg.model_copy(deep=True)
    cfg2.data.data_dir = bad
    with pytest.raises(ConfigError, match="prices of GLD dated in 2017 differ"):
        run_models(cfg2, copy)


def test_mf_signal_is_the_books_weight_and_says_rebalance(mf) -> None:
    from deepmomentum.pipeline import next_targets

    run, d1 = mf
    nt = next_targets(run, d1, as_of=D1)
    held = pd.read_parquet(run / "weights.parquet")
    held = held[(held["date"] == D1) & (held["strategy"] == "mf")].set_index("symbol")
    got = nt.to_frame().set_index("symbol")
    np.testing.assert_array_equal(got.loc[held.index, "weight"], held["weight"])
    assert (got.drop(held.index)["weight"] == 0).all()
    info = nt.rebalance["mf"]
    reb = pd.read_csv(run / "rebalances.csv")
    assert info["rebalance_today"] == (D1 in set(reb["date"]))
    assert info["last_rebalance"] == reb.loc[reb["date"] <= D1, "date"].iloc[-1]
    if not info["rebalance_today"]:
        assert any("drifted" in n for n in nt.notes)
