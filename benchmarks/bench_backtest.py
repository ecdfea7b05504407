"""Time loading, features, 3 strategies and 3 cost levels.

Two panels: the 48 tradable ETFs of ../shared/data/etf, and a synthetic
panel of 500 instruments x 30 years. Prints seconds per stage and peak
memory (tracemalloc, Python allocations incl. numpy). Never asserts times.

    .venv/bin/python benchmarks/bench_backtest.py [--data-dir ../shared/data/etf]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

from deepmomentum.data import load_data_dir, make_synthetic_market
from deepmomentum.engine import backtest
from deepmomentum.features import build_features
from deepmomentum.signals import get_strategy

STRATEGIES = ("long_only", "tsmom", "macd")
COSTS = (0.0, 2.0, 10.0)


def run(label: str, load) -> None:  # type: ignore[no-untyped-def]
    _timed(label, load)
    # Peak memory in a second pass: tracemalloc slows Python-heavy code (CSV parsing) a lot.
    tracemalloc.start()
    _pipeline(load)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak memory {peak / 2**20:.0f} MiB (tracemalloc, separate pass)")


def _pipeline(load) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load()
    prices = data.tradable_prices
    build_features(prices)
    signals = {s: get_strategy(s).signal(prices) for s in STRATEGIES}
    backtest(prices, signals, cost_bps=COSTS).metrics()


def _timed(label: str, load) -> None:  # type: ignore[no-untyped-def]
    t = {}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load()
    t["load"] = time.perf_counter() - t0
    prices = data.tradable_prices
    t1 = time.perf_counter()
    build_features(prices)
    t["features"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    signals = {s: get_strategy(s).signal(prices) for s in STRATEGIES}
    t["signals"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    res = backtest(prices, signals, cost_bps=COSTS)
    res.metrics()
    t["backtest+metrics"] = time.perf_counter() - t3
    total = time.perf_counter() - t0
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in t.items())
    print(f"{label}: {prices.shape[1]} instruments x {prices.shape[0]} days")
    print(f"  total {total:.2f} s ({stages})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/etf"
    )
    args = parser.parse_args()
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    if (args.data_dir / "universe.csv").is_file():
        run("ETF panel", lambda: load_data_dir(args.data_dir))
    else:
        print(f"ETF panel skipped: {args.data_dir} not found")
    run(
        "synthetic 500 x 30y",
        lambda: make_synthetic_market(n_per_class=125, start="1995-01-02", end="2024-12-31"),
    )


if __name__ == "__main__":
    main()
