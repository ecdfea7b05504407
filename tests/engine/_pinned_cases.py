"""The cases pinned by ``test_pinned.py``: both systems' numbers, before and after the one engine.

``python -m tests.engine._pinned_cases`` rewrites ``pinned.json`` from the code as it is.
Run it only when a bug fix is meant to move the numbers, and say so in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PINNED = Path(__file__).with_name("pinned.json")
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def summarise(series: pd.Series) -> dict[str, float]:
    """Order-sensitive fingerprint of a daily series: count, sum, sum of squares, index-weighted sum."""
    x = series.to_numpy(dtype="float64")
    ok = np.isfinite(x)
    pos = np.arange(len(x), dtype="float64")
    return {
        "n": float(ok.sum()),
        "sum": float(x[ok].sum()),
        "sumsq": float((x[ok] ** 2).sum()),
        "wsum": float((x[ok] * pos[ok]).sum() / max(len(x), 1)),
        "first": str(series.index[np.argmax(ok)].date()) if ok.any() else "",
    }


def summarise_frame(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {str(c): summarise(frame[c]) for c in frame.columns}


def _prices() -> pd.DataFrame:
    from deepmomentum.data import load_data_dir

    return load_data_dir(SHARED / "etf").tradable_prices


def _signals(prices: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from deepmomentum.signals import get_strategy

    return {s: get_strategy(s).signal(prices) for s in ("long_only", "tsmom", "macd")}


def case_paper(portfolio_vol_target: bool) -> dict[str, Any]:
    """The paper's convention: vol-scaled classical signals, traded to target daily."""
    from deepmomentum.engine import BacktestSettings, backtest

    prices = _prices()
    res = backtest(
        prices,
        _signals(prices),
        cost_bps=(0.0, 2.0),
        settings=BacktestSettings(portfolio_vol_target=portfolio_vol_target),
        start="2012-01-03",
    )
    return {
        "returns": summarise_frame(res.portfolio_returns),
        "ex_post": summarise_frame(res.ex_post_rescaled),
        "turnover": res.turnover,
    }


def _month_end_targets(prices: pd.DataFrame, daily: bool) -> dict[pd.Timestamp, np.ndarray]:
    from deepmomentum.features import daily_returns, ex_ante_volatility

    sig = _signals(prices)["tsmom"]
    vol = ex_ante_volatility(daily_returns(prices), span=60) * np.sqrt(252)
    w = (sig * 0.15 / vol / prices.shape[1]).loc["2012-01-03":]
    if not daily:
        w = w.groupby(pd.DatetimeIndex(w.index).to_period("M")).tail(1)
    return {pd.Timestamp(d): row.fillna(0.0).to_numpy() for d, row in w.iterrows()}


def case_nav() -> dict[str, Any]:
    """The NAV convention: weights set at rebalances drift in between, cost on traded notional."""
    from deepmomentum.engine import simulate

    prices = _prices()
    from deepmomentum.features import daily_returns

    returns = daily_returns(prices)
    res = simulate(
        {"monthly": _month_end_targets(prices, False), "daily": _month_end_targets(prices, True)},
        returns,
        cost_bps=(0.0, 2.0),
        start=pd.Timestamp("2012-01-03"),
    )
    return {
        "returns": summarise_frame(res.portfolio_returns),
        "ex_post": summarise_frame(res.ex_post_rescaled),
        "turnover": res.turnover,
    }


def _run_summary(run: Any) -> dict[str, Any]:
    return {
        "returns": summarise_frame(run.result.portfolio_returns),
        "turnover": run.result.turnover,
        "span": [str(run.result.start.date()), str(run.result.end.date())],
    }


def case_dmn(out: Path) -> dict[str, Any]:
    """The DMN pipeline at tiny settings: LSTM walk-forward positions -> the paper's engine."""
    from deepmomentum.presets import load_preset
    from deepmomentum.run import run_models

    cfg = load_preset("dmn-quick")
    cfg.data.data_dir = SHARED / "etf"
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 2
    cfg.training.max_epochs = 1
    cfg.training.n_trials = 1
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    # the pinned protocol is the paper's, whatever the preset's defaults become
    cfg.training.validation = "last"
    cfg.training.ensemble_top_k = 1
    cfg.models = cfg.models[:1]
    cfg.models[0].cost_bps = 0.0
    cfg.backtest.cost_bps = [0.0, 2.0]
    return _run_summary(run_models(cfg, out))


def mf_config() -> Any:
    from deepmomentum.presets import load_preset

    cfg = load_preset("etf-managed-futures-quick")
    cfg.data.data_dir = SHARED / "etf"
    cfg.data.macro_dir = SHARED / "macro"
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 1
    cfg.training.last_test_year = 2022
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    cfg.backtest.cost_bps = [0.0, 2.0]
    return cfg


def case_mf(out: Path) -> dict[str, Any]:
    """The managed-futures pipeline at tiny settings: trend model, overlays, constrained hybrid book."""
    from deepmomentum.run import run_managed_futures

    cfg = mf_config()
    tm = cfg.trend_model
    tm.hidden_sizes = [8, 4]
    tm.max_epochs = 2
    tm.train_stride = 20
    tm.max_train_samples = 2000
    return _run_summary(run_managed_futures(cfg, out))


class one_thread:
    """Train with one torch thread: parallel float sums differ in the last bits between thread counts."""

    def __enter__(self) -> None:
        import torch

        self.before = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self.before)


def all_cases(tmp: Path) -> dict[str, Any]:
    with one_thread():
        return {
            "paper": case_paper(False),
            "paper_portfolio_vol": case_paper(True),
            "nav": case_nav(),
            "dmn": case_dmn(tmp / "dmn"),
            "mf": case_mf(tmp / "mf"),
        }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        PINNED.write_text(json.dumps(all_cases(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PINNED}")
