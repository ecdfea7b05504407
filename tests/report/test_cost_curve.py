"""The cost curve: Sharpe by cost in the loss and cost in the backtest, its heatmap and report section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.exceptions import ConfigError
from deepmomentum.report._cost_curve import (
    EVAL_AXIS,
    TRAIN_AXIS,
    cost_curve,
    cost_curve_figure,
    cost_curve_models,
    cost_curve_section,
    training_costs,
)
from deepmomentum.report._load import RunData

TRAIN = {"lstm_c0": 0.0, "lstm_c2": 2.0, "lstm_c10": 10.0}
EVAL = (0.0, 2.0, 10.0)


def _sharpe(c_train: float, c_eval: float) -> float:
    """Trained-at-cost pays less for costs: a distinct, known value per cell."""
    return 1.0 - 0.1 * c_eval * (1.0 - c_train / 20.0) + 0.01 * c_train


def _metrics() -> pd.DataFrame:
    rows = {
        f"{n}@{e:g}bp": {"sharpe": _sharpe(c, e), "turnover": 5.0} for n, c in TRAIN.items() for e in EVAL
    }
    rows |= {f"tsmom@{e:g}bp": {"sharpe": 0.5, "turnover": 9.0} for e in EVAL}
    rows["lstm_c0@universe"] = {"sharpe": 9.9, "turnover": 1.0}
    return pd.DataFrame.from_dict(rows, orient="index")


def _config(costs: dict[str, float]) -> dict[str, object]:
    return {
        "models": [{"name": n, "model": "lstm", "loss": "sharpe", "cost_bps": c} for n, c in costs.items()]
    }


def _run(config: dict[str, object], metrics: pd.DataFrame) -> RunData:
    """A run holding only what the section reads: the configuration and metrics.json."""
    empty = pd.DataFrame()
    return RunData(
        path=Path("."), config=config, config_text="", meta={}, returns=empty, returns_ex_post=None,
        benchmarks=None, positions=empty, metrics=metrics.to_dict(orient="index"), universe=empty,
    )  # fmt: skip


def test_matrix_from_metrics():
    curve = cost_curve(_metrics(), TRAIN)
    assert list(curve.index) == [0.0, 2.0, 10.0] and list(curve.columns) == list(EVAL)
    for c in TRAIN.values():
        for e in EVAL:
            assert curve.loc[c, e] == pytest.approx(_sharpe(c, e))
    # benchmarks and @universe variants are not on the curve
    assert curve.to_numpy().max() < 9.0


def test_missing_pair_is_nan_and_duplicate_cost_refused():
    metrics = _metrics().drop(index="lstm_c2@10bp")
    curve = cost_curve(metrics, TRAIN)
    assert np.isnan(curve.loc[2.0, 10.0]) and curve.loc[10.0, 10.0] == pytest.approx(_sharpe(10, 10))
    with pytest.raises(ConfigError, match="both train at 0 bp"):
        cost_curve(_metrics(), {**TRAIN, "lstm": 0.0})


def test_training_costs_from_the_config():
    config = _config(TRAIN)
    config["models"].append({"name": "linear", "model": "linear", "loss": "sharpe"})  # type: ignore[attr-defined]
    assert training_costs(config) == {**TRAIN, "linear": 0.0}
    assert cost_curve_models(config) == TRAIN  # the linear model is another network
    assert cost_curve_models(_config({"lstm": 0.0})) == {}


def test_figure_axes_and_values():
    curve = cost_curve(_metrics(), TRAIN)
    fig = cost_curve_figure(curve)
    (trace,) = fig.data
    assert trace.type == "heatmap"
    assert fig.layout.xaxis.title.text == EVAL_AXIS == "cost in the backtest (bp)"
    assert fig.layout.yaxis.title.text == TRAIN_AXIS == "cost in the loss (bp)"
    assert list(trace.x) == ["0", "2", "10"] and list(trace.y) == ["0", "2", "10"]
    np.testing.assert_allclose(np.asarray(trace.z, dtype=float), curve.to_numpy())
    assert trace.zmid == 0.0 and trace.zmin == -trace.zmax
    # annotated values; the best training cost of each column in bold
    text = np.asarray(trace.text)
    assert text[0, 0] == f"{_sharpe(0, 0):.2f}"
    assert text[2, 2] == f"<b>{_sharpe(10, 10):.2f}</b>"  # training at 10 bp wins at 10 bp
    assert text[2, 0] == f"<b>{_sharpe(10, 0):.2f}</b>"


def test_section_and_none_for_a_single_training_cost():
    html = cost_curve_section(_run(_config(TRAIN), _metrics()))
    assert html is not None and html.startswith("<section id='cost-curve'>")
    assert "fig-cost-curve" in html and "lstm_c10" in html
    one = {"lstm": 0.0, "lstm_b": 0.0}
    metrics = pd.DataFrame.from_dict(
        {"lstm@0bp": {"sharpe": 1.0}, "lstm@2bp": {"sharpe": 0.8}}, orient="index"
    )
    assert cost_curve_section(_run(_config(one), metrics)) is None
    assert cost_curve_section(_run({}, metrics)) is None
