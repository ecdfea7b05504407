"""Throughput of the changepoint (CPD) features, and the cost of the one-window-at-a-time reference.

For each lookback (21 and 126 days) fits a synthetic panel of ``--assets``
assets over ``--days`` scored days (the default settings: chunks of 63 days
fitted side by side, warm-started day by day) on the CPU with ``--threads``
torch threads, and on CUDA when present; prints asset-days per second, the
projected time for the full history of the ETFs in ``--data-dir`` (every
asset-day with a full window; the full history fits more chunks per batch,
so it runs faster than this projection), and the time of one scipy fit per
window (``reference_fit``, ``--ref-restarts`` random restarts) on
``--ref-windows`` windows. Never asserts times.

    .venv/bin/python benchmarks/bench_cpd.py [--data-dir ../shared/data/etf] [--assets 48] [--days 126]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from deepmomentum.features import cpd_features
from deepmomentum.features._cpd import _standardised
from deepmomentum.features._cpd_reference import reference_fit


def _panel(n_days: int, n_assets: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.01, (n_days, n_assets)) * rng.uniform(0.5, 2.0, n_assets)
    r[n_days // 2 :] *= 2.0  # a volatility break half-way
    return pd.DataFrame(r, index=pd.bdate_range("2000-01-03", periods=n_days))


def full_history_windows(data_dir: Path, lookback: int) -> int:
    """Tradable asset-days with a full window: sum over universe.csv's tradable CSVs of n_returns - l + 1."""
    universe = pd.read_csv(data_dir / "universe.csv")
    total = 0
    for sym in universe.loc[universe["role"] == "tradable", "symbol"]:
        n_prices = sum(1 for _ in (data_dir / f"{sym}.csv").open()) - 1
        total += max(0, n_prices - 1 - lookback + 1)
    return total


def time_features(lookback: int, n_assets: int, n_days: int, device: str, threads: int) -> float:
    """Asset-days per second of ``cpd_features`` on ``n_days`` scored days (cold first day included)."""
    returns = _panel(lookback - 1 + n_days, n_assets)
    t0 = time.perf_counter()
    out = cpd_features(returns, (lookback,), device=device, threads=threads)
    elapsed = time.perf_counter() - t0
    n = int(out[f"cpd_nu_{lookback}"].notna().to_numpy().sum())
    return n / elapsed


def time_reference(lookback: int, n_windows: int, restarts: int) -> float:
    """Seconds per window of the scipy reference (one fit per window, one window at a time)."""
    returns = _panel(lookback + n_windows, 1).to_numpy()
    t0 = time.perf_counter()
    for t in range(lookback, lookback + n_windows):
        y, _ = _standardised(returns, np.array([t]), np.array([0]), lookback)
        reference_fit(y[0], restarts=restarts)
    return (time.perf_counter() - t0) / n_windows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/etf"))
    p.add_argument("--assets", type=int, default=48)
    p.add_argument("--days", type=int, default=126)
    p.add_argument("--ref-windows", type=int, default=2)
    p.add_argument("--ref-restarts", type=int, default=1)
    p.add_argument("--lookbacks", default="21,126")
    p.add_argument("--threads", default="2", help="CPU thread counts to time, e.g. 1,2")
    a = p.parse_args(argv)
    print("command:", " ".join([".venv/bin/python", *sys.argv]))
    devices = [("cpu", int(t)) for t in a.threads.split(",")]
    devices += [("cuda", 1)] if torch.cuda.is_available() else []
    for lb in (int(x) for x in a.lookbacks.split(",")):
        n_full = full_history_windows(a.data_dir, lb) if a.data_dir.is_dir() else 0
        print(f"\nlookback {lb}: {a.assets} assets x {a.days} days; full ETF history = {n_full:,} asset-days")
        for device, threads in devices:
            rate = time_features(lb, a.assets, a.days, device, threads)
            hours = n_full / rate / 3600 if n_full else float("nan")
            print(f"  {device} threads={threads}: {rate:8.2f} asset-days/s  -> full history ~{hours:7.1f} h")
        per = time_reference(lb, a.ref_windows, a.ref_restarts)
        hours = n_full * per / 3600 if n_full else float("nan")
        print(
            f"  scipy reference ({a.ref_restarts} restarts): {per:6.2f} s/window"
            f" -> full history ~{hours:7.1f} h"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
