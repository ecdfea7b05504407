"""The model-selection experiment's table (README, issue 12): protocols x spans, over seeds.

Usage::

    .venv/bin/python scripts/research_table.py runs/research [--protocols A,B,C,D,E] [--seeds 1,2,3]
    .venv/bin/python scripts/research_table.py runs/successors --protocols lstm,lstm_cpd,tft,tft_cpd

Reads ``<root>/<P>-s<seed>/`` run folders; the model's columns are named
``lstm`` unless the run folder's name (``lstm_cpd``, ``tft``, ...) is one of
its strategies. Per protocol, span (design
2011-2018, holdout 2019 on) and cost (0, 2, 5 bp): the mean Sharpe over seeds
with the seeds' range, the 90% stationary-bootstrap interval of one seed's
Sharpe (bounds averaged over seeds), the deflated Sharpe ratio (trials the search
ran), and at 2 bp the paired difference to TSMOM with its interval (averaged
over seeds). Benchmarks come from the first run (they do not depend on the seed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.metrics import (
    deflated_sharpe_ratio,
    paired_sharpe_difference_interval,
    sharpe_bootstrap_interval,
    sharpe_ratio,
)
from deepmomentum.run._layout import RETURNS, TRIALS

SPANS = {"design": ("2011-01-01", "2018-12-31"), "holdout": ("2019-01-01", None)}
COSTS = (0, 2, 5)


def _span(frame: pd.DataFrame, span: str) -> pd.DataFrame:
    lo, hi = SPANS[span]
    return frame.loc[lo:hi] if hi else frame.loc[lo:]


def _model(run: Path) -> str:
    """The learned strategy's column: the protocol's name when it is a strategy of the run, else lstm."""
    name = run.name.rsplit("-s", 1)[0]
    cols = pd.read_csv(run / RETURNS, nrows=0).columns
    return name if f"{name}@0bp" in cols else "lstm"


def _turnover(run: Path, span: str) -> float:
    """Annualised turnover of the model in the span: mean daily sum |w_t - w_t-1| / N_t x 252."""
    pos = pd.read_parquet(run / "positions.parquet")
    w = pos[pos["strategy"] == _model(run)].pivot(index="date", columns="symbol", values="weight")
    w = _span(w.sort_index(), span)
    traded = w.fillna(0.0).diff().abs().sum(axis=1) / w.notna().sum(axis=1).replace(0, np.nan)
    return float(traded.iloc[1:].mean() * 252)


def _seed_row(run: Path, span: str, cost: int) -> dict[str, float]:
    ret = _span(pd.read_csv(run / RETURNS, index_col=0, parse_dates=True), span)
    r = ret[f"{_model(run)}@{cost}bp"].dropna()
    lo, hi = sharpe_bootstrap_interval(r, seed=1)
    n_trials = len(pd.read_csv(run / TRIALS)) if (run / TRIALS).is_file() else 1
    row = {"sharpe": sharpe_ratio(r), "lo": lo, "hi": hi, "dsr": deflated_sharpe_ratio(r, n_trials)}
    if cost == 2:
        t = ret["tsmom@2bp"]
        both = pd.concat([r, t], axis=1, sort=True).dropna()
        dlo, dhi = paired_sharpe_difference_interval(both.iloc[:, 0], both.iloc[:, 1], seed=1)
        row |= {"diff": sharpe_ratio(both.iloc[:, 0]) - sharpe_ratio(both.iloc[:, 1]), "dlo": dlo, "dhi": dhi}
    return row | {"turnover": _turnover(run, span)}


def _fmt(rows: pd.DataFrame, with_diff: bool) -> str:
    m = rows.mean()
    cells = [
        f"{m['sharpe']:.2f} [{rows['sharpe'].min():.2f}, {rows['sharpe'].max():.2f}]",
        f"({m['lo']:.2f}, {m['hi']:.2f})",
        f"{m['dsr']:.2f}",
    ]
    if with_diff:
        cells.append(f"{m['diff']:+.2f} ({m['dlo']:+.2f}, {m['dhi']:+.2f})")
    return " | ".join(cells)


def _benchmark_cells(run: Path, span: str, name: str) -> list[str]:
    ret = _span(pd.read_csv(run / RETURNS, index_col=0, parse_dates=True), span)
    out = []
    for c in COSTS:
        r = ret[f"{name}@{c}bp"].dropna()
        lo, hi = sharpe_bootstrap_interval(r, seed=1)
        out.append(f"{sharpe_ratio(r):.2f} ({lo:.2f}, {hi:.2f})")
    return out


def main() -> None:
    """Print the markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--protocols", default="A,B,C,D,E")
    ap.add_argument("--seeds", default="1,2,3")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        "| protocol | span | Sharpe 0 bp [seeds' range] | 90% CI | DSR | Sharpe 2 bp [range] | 90% CI | DSR "
        "| vs TSMOM at 2 bp (90% CI) | Sharpe 5 bp [range] | 90% CI | DSR | turnover/yr |"
    )
    print("|---" * 13 + "|")
    first = None
    for p in args.protocols.split(","):
        runs = [args.root / f"{p}-s{s}" for s in seeds if (args.root / f"{p}-s{s}" / RETURNS).is_file()]
        if not runs:
            continue
        first = first or runs[0]
        for span in SPANS:
            cells = []
            for c in COSTS:
                rows = pd.DataFrame([_seed_row(r, span, c) for r in runs])
                cells.append(_fmt(rows, with_diff=c == 2))
            turnover = np.mean([_turnover(r, span) for r in runs])
            print(f"| {p} (n={len(runs)}) | {span} | {' | '.join(cells)} | {turnover:.1f} |")
    if first is not None:
        print("\n| benchmark | span | Sharpe 0 bp (90% CI) | Sharpe 2 bp (90% CI) | Sharpe 5 bp (90% CI) |")
        print("|---|---|---|---|---|")
        for name in ("tsmom", "macd", "long_only"):
            for span in SPANS:
                print(f"| {name} | {span} | {' | '.join(_benchmark_cells(first, span, name))} |")
    print(
        f"\n(reproduce: .venv/bin/python scripts/research_table.py {args.root} --protocols {args.protocols})"
    )


if __name__ == "__main__":
    main()
