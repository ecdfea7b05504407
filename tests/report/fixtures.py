"""Build a synthetic run folder that follows docs/run-folder.md.

Used by the report tests (small folders) and by benchmarks/bench_report.py
(48 assets, 20 years, ~20 variants). Returns are computed with the same
rules as the backtest engine: ``w_t`` decided at t earns ``r_{t+1}``, the cost
``c |w_t - w_{t-1}|`` is charged at t+1, the portfolio return is the average
over the ``N_t`` assets held at t.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.metrics import performance_summary

CLASSES = (
    ("equity", 12, 0.18),
    ("bond", 10, 0.06),
    ("commodity", 14, 0.25),
    ("fx", 8, 0.09),
    ("rate", 2, 0.03),
    ("managed_futures", 2, 0.12),
)
STRATEGIES = ("long_only", "tsmom", "macd_8_24", "macd_16_48", "macd_32_96", "dmn_sharpe", "lstm")


def _universe(n_assets: int) -> pd.DataFrame:
    rows = []
    total = sum(n for _, n, _ in CLASSES)
    for cls, n, vol in CLASSES:
        k = max(1, round(n * n_assets / total))
        for i in range(k):
            rows.append({"asset_class": cls, "vol": vol, "sector": f"{cls}_{i % 3}"})
    rows = rows[:n_assets]
    frame = pd.DataFrame(rows)
    symbols = [f"{r['asset_class'][:3].upper()}{i:02d}" for i, r in enumerate(rows)]
    symbols[0] = "SPY"  # the first equity is the reference
    if (frame["asset_class"] == "bond").any():
        bond_idx = frame.index[frame["asset_class"] == "bond"][0]
        symbols[bond_idx] = "AGG"
    frame.insert(0, "symbol", symbols)
    frame["role"] = "tradable"
    frame["cost_bps"] = np.where(frame["asset_class"] == "equity", 1.0, 3.0)
    frame["description"] = "synthetic " + frame["asset_class"]
    return frame


def _signals(prices: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    std63 = prices.rolling(63, min_periods=20).std()
    for s in STRATEGIES:
        if s == "long_only":
            out[s] = prices.notna().astype("float64").where(prices.notna())
        elif s == "tsmom":
            out[s] = np.sign(prices / prices.shift(252) - 1.0)
        elif s.startswith("macd"):
            short, long_ = (int(x) for x in s.split("_")[1:])
            q = (prices.ewm(halflife=short).mean() - prices.ewm(halflife=long_).mean()) / std63
            out[s] = np.tanh(q)
        else:
            noise = pd.DataFrame(rng.normal(size=prices.shape), index=prices.index, columns=prices.columns)
            out[s] = np.tanh(noise.ewm(span=40).mean() * 4).where(prices.notna())
    return out


def make_run_folder(
    path: Path,
    n_assets: int = 8,
    n_years: float = 3.0,
    costs: tuple[float, ...] = (0.0, 2.0, 10.0),
    strategies: tuple[str, ...] | None = None,
    synthetic: bool = True,
    with_optional: bool = True,
    with_asset_returns: bool = True,
    seed: int = 42,
) -> Path:
    """Write a complete synthetic run folder at ``path`` and return it."""
    rng = np.random.default_rng(seed)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    universe = _universe(n_assets)
    n_days = int(n_years * 252) + 300  # 300 days of warm-up before the span
    idx = pd.bdate_range("2004-01-01", periods=n_days, name="date")
    vol = universe["vol"].to_numpy() / np.sqrt(252)
    drift = rng.normal(0.0002, 0.0002, size=len(universe))
    trend = pd.DataFrame(rng.normal(size=(n_days, len(universe)))).ewm(span=120).mean().to_numpy() * 0.2
    rets = (drift + trend * vol + rng.normal(size=(n_days, len(universe))) * vol).astype("float64")
    late = len(universe) // 6
    rets[: n_days // 3, -late:] = np.nan  # late starters
    r = pd.DataFrame(rets, index=idx, columns=universe["symbol"])
    r.columns.name = None
    prices = 100 * (1 + r.fillna(0)).cumprod().where(r.notna())

    chosen = STRATEGIES if strategies is None else strategies
    signals = {k: v for k, v in _signals(prices, rng).items() if k in chosen}
    ann_vol = r.ewm(span=60, min_periods=20).std() * np.sqrt(252)
    span = idx[300:]
    r_np = np.nan_to_num(r.loc[span].to_numpy())
    returns: dict[str, np.ndarray] = {}
    turnover: dict[str, float] = {}
    positions = []
    for s, sig in signals.items():
        w = (sig * 0.15 / ann_vol).clip(-10, 10).loc[span]
        held = w.notna().to_numpy()
        w0 = np.nan_to_num(w.to_numpy())
        prev = np.vstack([np.zeros((1, w0.shape[1])), w0[:-1]])
        traded = np.abs(w0 - prev)
        denom = np.maximum(held.sum(axis=1), 1)
        daily_turn = np.where(held.sum(axis=1) > 0, traded.sum(axis=1) / denom, np.nan)
        for c in costs:
            port = np.full(len(span), np.nan)
            port[1:] = ((w0[:-1] * r_np[1:]).sum(axis=1) - (traded[:-1] * c * 1e-4).sum(axis=1)) / denom[:-1]
            name = f"{s}@{c:g}bp"
            returns[name] = port
            turnover[name] = float(np.nanmean(daily_turn) * 252)
        long = pd.DataFrame(
            {"signal": sig.loc[span].stack(future_stack=True), "weight": w.stack(future_stack=True)}
        )
        long = long[long["weight"].notna()]
        long.index.names = ["date", "symbol"]
        long = long.reset_index()
        long.insert(2, "strategy", s)
        positions.append(long)
    ret = pd.DataFrame(returns, index=span)
    ret.index.name = "date"
    ret.to_csv(path / "returns.csv", date_format="%Y-%m-%d", float_format="%.10g")
    ex_post = ret * (0.15 / (ret.std() * np.sqrt(252)))
    ex_post.to_csv(path / "returns_ex_post.csv", date_format="%Y-%m-%d", float_format="%.10g")
    bench_cols = [c for c in ("SPY", "AGG") if c in r.columns]
    bench = r.loc[span, bench_cols].iloc[1:]
    bench.to_csv(path / "benchmarks.csv", date_format="%Y-%m-%d", float_format="%.10g")
    pd.concat(positions, ignore_index=True).to_parquet(path / "positions.parquet", index=False)
    metrics = performance_summary(ret, reference=bench["SPY"], turnover=turnover)
    clean = {
        k: {m: (None if not np.isfinite(v) else float(v)) for m, v in row.items()}
        for k, row in metrics.to_dict(orient="index").items()
    }
    (path / "metrics.json").write_text(json.dumps(clean, indent=2))
    (path / "metrics_ex_post.json").write_text(json.dumps(clean, indent=2))
    universe.drop(columns="vol").to_csv(path / "universe.csv", index=False)
    if with_asset_returns:
        ar = r.loc[span].stack(future_stack=True).dropna().rename("return").reset_index()
        ar.columns = ["date", "symbol", "return"]
        ar.to_parquet(path / "asset_returns.parquet", index=False)
    (path / "config.toml").write_text(
        'seed = 42\n\n[data]\nstart = "2005-03-01"\nmin_history = 300\n\n'
        '[backtest]\nstrategies = ["tsmom", "macd"]\ncost_bps = [0.0, 2.0, 10.0]\nvol_target = 0.15\n'
    )
    meta = {
        "package_version": "0.1.0",
        "versions": {"python": "3.11.9", "numpy": np.__version__, "pandas": pd.__version__},
        "seed": seed,
        "command": "backtest",
        "reference": "SPY",
        "data": {
            "source": "synthetic" if synthetic else "/data/etf",
            "synthetic": synthetic,
            "fingerprint": "0" * 64,
            "first_date": str(idx[0].date()),
            "last_date": str(idx[-1].date()),
            "n_instruments": len(universe),
        },
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
    }
    (path / "meta.json").write_text(json.dumps(meta, indent=2))
    (path / "run.log").write_text("2026-01-01 INFO deepmomentum: synthetic fixture\n")
    if with_optional:
        models = path / "models"
        models.mkdir(exist_ok=True)
        bounds = pd.date_range(span[0], span[-1], periods=4)
        windows = pd.DataFrame(
            {
                "window": range(3),
                "train_start": [str(idx[0].date())] * 3,
                "train_end": [str((b - pd.Timedelta(days=60)).date()) for b in bounds[:-1]],
                "valid_start": [str((b - pd.Timedelta(days=59)).date()) for b in bounds[:-1]],
                "valid_end": [str(b.date()) for b in bounds[:-1]],
                "test_start": [str((b + pd.Timedelta(days=1)).date()) for b in bounds[:-1]],
                "test_end": [str(b.date()) for b in bounds[1:]],
            }
        )
        windows.to_csv(models / "windows.csv", index=False)
        trials = pd.DataFrame(
            {
                "window": np.repeat(range(3), 5),
                "number": np.tile(range(5), 3),
                "value": rng.normal(0.5, 0.3, 15),
                "hidden_size": rng.choice([5, 10, 20, 40], 15),
                "dropout": rng.choice([0.1, 0.3, 0.5], 15),
                "state": "COMPLETE",
            }
        )
        trials.to_csv(models / "trials.csv", index=False)
        quality = pd.DataFrame(
            {
                "symbol": [universe["symbol"].iloc[1], universe["symbol"].iloc[2]],
                "check": ["stale_price", "jump"],
                "start": ["2006-01-03", "2007-05-01"],
                "end": ["2006-01-10", "2007-05-01"],
                "detail": ["price unchanged for 6 days", "return of +35% in one day"],
                "action": ["carried", "kept"],
            }
        )
        quality.to_csv(path / "quality.csv", index=False)
    return path
