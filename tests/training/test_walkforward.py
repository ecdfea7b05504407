from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.data import make_synthetic_market
from deepmomentum.features import build_features
from deepmomentum.training import LocalExecutor, SerialExecutor, build_panel, make_windows, walk_forward

PRICES = make_synthetic_market(
    n_per_class=2, start="2000-01-03", end="2007-12-31", late_starters=False
).tradable_prices
TRAINING = TrainingConfig(
    first_test_year=2005,
    retrain_years=1,
    seq_len=21,
    max_epochs=2,
    patience=2,
    n_trials=2,
    device="cpu",
    search=SearchSpace(dropout=[0.1], hidden_size=[4, 6], batch_size=[32], lr=[1e-2], max_grad_norm=[1.0]),
)
LSTM = ModelVariant(name="lstm", model="lstm", loss="sharpe")


def _panel(prices: pd.DataFrame = PRICES):
    return build_panel(build_features(prices))


class Interrupt(Exception):
    pass


def test_windows_expand_and_cover() -> None:
    windows = make_windows(_panel().dates, 2005, 1)
    assert [w.test_start[:4] for w in windows] == ["2005", "2006", "2007"]
    for w in windows:
        assert w.split < w.test_lo < w.test_hi
        assert w.train_start == "2000-01-03"  # expanding
    assert windows[0].test_hi == windows[1].test_lo
    five = make_windows(_panel().dates, 2003, 5)
    assert [(w.test_start[:4], w.test_end[:4]) for w in five] == [("2003", "2007")]


def test_walk_forward_end_to_end_and_deterministic(tmp_path: Path) -> None:
    res = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "a", seed=3, executor=SerialExecutor())
    pos = res.positions
    assert res.trained == 6 and res.reused == 0
    oos = pos.loc["2005":"2007"]
    assert oos.notna().mean().mean() > 0.95
    assert pos.loc[:"2004"].isna().all().all()
    assert oos.abs().max().max() <= 1.0
    assert list(res.windows["window"]) == [0, 1, 2]
    assert len(res.trials) == 6
    for w in range(3):
        folder = tmp_path / "a" / "models" / "lstm" / f"window-{w:02d}"
        assert (folder / "best.pt").is_file() and (folder / "best.json").is_file()
    again = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "b", seed=3, executor=SerialExecutor())
    pd.testing.assert_frame_equal(pos, again.positions)
    other = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "c", seed=4, executor=SerialExecutor())
    assert not pos.equals(other.positions)


def test_resume_skips_finished_window_and_is_identical(tmp_path: Path) -> None:
    full = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "full", seed=1, executor=SerialExecutor())

    def stop_at_second_window(event: str, **info: object) -> None:
        if event == "window" and info["window"] == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        walk_forward(LSTM, _panel(), TRAINING, tmp_path / "cut", 1, SerialExecutor(), stop_at_second_window)
    events: list[dict] = []
    resumed = walk_forward(
        LSTM,
        _panel(),
        TRAINING,
        tmp_path / "cut",
        1,
        SerialExecutor(),
        lambda e, **i: events.append(i) if e == "task" else None,
    )
    first = [e for e in events if e["window"] == 0]
    assert first and all(e["reused"] for e in first)  # window 0 was not retrained
    assert resumed.trained == 4 and resumed.reused == 2
    pd.testing.assert_frame_equal(full.positions, resumed.positions)


def test_truncation_leaves_oos_positions_unchanged(tmp_path: Path) -> None:
    cut = pd.Timestamp("2006-07-14")
    full = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "full", seed=2, executor=SerialExecutor())
    short = walk_forward(
        LSTM, _panel(PRICES.loc[:cut]), TRAINING, tmp_path / "short", seed=2, executor=SerialExecutor()
    )
    pd.testing.assert_frame_equal(full.positions.loc[:cut], short.positions)


@pytest.mark.slow
def test_parallel_executor_matches_serial(tmp_path: Path) -> None:
    serial = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "s", seed=5, executor=SerialExecutor())
    parallel = walk_forward(LSTM, _panel(), TRAINING, tmp_path / "p", seed=5, executor=LocalExecutor(2))
    np.testing.assert_array_equal(serial.positions.to_numpy(), parallel.positions.to_numpy())


@pytest.mark.parametrize("model", ["linear", "mlp", "wavenet"])
def test_other_models_run(tmp_path: Path, model: str) -> None:
    variant = ModelVariant(name=model, model=model, loss="sharpe")
    cfg = TRAINING.model_copy(update={"n_trials": 1, "first_test_year": 2007})
    res = walk_forward(
        variant, build_panel(build_features(PRICES), lags=variant.n_lags), cfg, tmp_path, 0, SerialExecutor()
    )
    assert res.positions.loc["2007"].notna().mean().mean() > 0.95


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_sign_losses_trade_the_sign(tmp_path: Path, loss: str) -> None:
    variant = ModelVariant(name=f"lstm_{loss}", model="lstm", loss=loss)
    cfg = TRAINING.model_copy(update={"n_trials": 1, "first_test_year": 2007})
    res = walk_forward(variant, _panel(), cfg, tmp_path, 0, SerialExecutor())
    values = set(np.unique(res.positions.loc["2007"].dropna().to_numpy()))
    assert values <= {-1.0, 0.0, 1.0}
