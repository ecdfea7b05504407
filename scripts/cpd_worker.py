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

import numpy as np
import pandas as pd
import torch

from deepmomentum._io import atomic_write_bytes
from deepmomentum.config import DataConfig, RunConfig
from deepmomentum.features import CPDSettings, cpd_fingerprint, daily_returns, winsorise_prices
from deepmomentum.features._cpd import _chunk_key, _run_chains, _valid_windows
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
    s = CPDSettings()
    folder = args.cache / f"cpd-l{args.lookback}-{cpd_fingerprint(returns, args.lookback, s)}"
    folder.mkdir(parents=True, exist_ok=True)
    values = returns.to_numpy(dtype=np.float64)
    valid = _valid_windows(values, args.lookback)
    a, b = (int(x) for x in args.chunks.split(":"))
    todo = []
    for j in range(a, b):
        lo, hi = j * s.chunk_days, min(len(values), (j + 1) * s.chunk_days)
        if lo >= len(values):
            break
        path = folder / f"chunk_{lo:05d}_{_chunk_key(returns, lo, hi, args.lookback)}.parquet"
        if not path.exists() and valid[lo:hi].any():
            todo.append(((lo, hi), path))
    t0 = time.perf_counter()
    for g in range(0, len(todo), args.group):
        group = todo[g : g + args.group]
        nu, gamma = _run_chains(
            values, valid, [span for span, _ in group], args.lookback, s, torch.device("cpu")
        )
        for (lo, hi), path in group:
            part = pd.DataFrame({"nu": nu[lo:hi].ravel(), "gamma": gamma[lo:hi].ravel()})
            atomic_write_bytes(path, part.to_parquet(index=False) or b"")
        print(f"{g + len(group)}/{len(todo)} chunks, {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
