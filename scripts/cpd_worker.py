"""Fit a range of CPD chunks into a shared cache, so several processes can split one history.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python scripts/cpd_worker.py --data-dir ../shared/data/etf \
        --cache runs/cpd-cache --lookback 126 --chunks 105:135 [--reverse]

Chunks are independent (each starts cold) and each file is named after the
returns it reads, so workers on disjoint chunk ranges write exactly the files
that one ``cpd_features`` call would, and a later call reads them all back.
The returns are those of a run with the default ``[features]`` (winsorised).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from deepmomentum.config import DataConfig, RunConfig
from deepmomentum.features import CPDSettings, cpd_fingerprint, daily_returns, winsorise_prices
from deepmomentum.features._cpd import _fit_chunks, _plan_chunks
from deepmomentum.run import load_market


def main() -> None:
    """Fit the chunks ``--chunks a:b`` of one lookback that are not cached yet."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--lookback", type=int, required=True)
    ap.add_argument("--chunks", required=True, help="a:b, chunk indices (63-day chunks from the first date)")
    ap.add_argument("--group", type=int, default=21, help="chunks fitted side by side per batch")
    args = ap.parse_args()
    f = RunConfig().features
    prices = load_market(DataConfig(data_dir=args.data_dir)).tradable_prices
    returns = daily_returns(winsorise_prices(prices, f.winsorise_halflife, f.winsorise_n_std))
    # one batch = --group chunks of every asset (batch_windows does not change the values)
    s = CPDSettings(batch_windows=args.group * returns.shape[1])
    folder = args.cache / f"cpd-l{args.lookback}-{cpd_fingerprint(returns, args.lookback, s)}"
    c = _plan_chunks(returns, args.lookback, s, folder)
    size = c.spans[0][1] - c.spans[0][0]
    a, b = (int(x) for x in args.chunks.split(":"))
    todo = [t for t in c.todo if a <= t[0][0] // size < b]
    t0 = time.perf_counter()

    def report(done: int, total: int) -> None:
        print(
            f"{done - (total - len(todo))}/{len(todo)} chunks, {time.perf_counter() - t0:.0f} s", flush=True
        )

    _fit_chunks(c, todo, args.lookback, s, torch.device("cpu"), report)


if __name__ == "__main__":
    main()
