"""Mean +- std over seeds of each variant's measures, split into a design and a holdout span.

Usage::

    .venv/bin/python scripts/span_table.py RUN_DIR [RUN_DIR ...] [--split 2019-01-01]

Each RUN_DIR is a finished run folder (one seed each); the table prints as markdown.
Measures: Sharpe (implementable net returns), annual vol, turnover (mean daily
traded notional x 252, from positions or weights), max drawdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from deepmomentum.metrics import annual_volatility, max_drawdown, sharpe_ratio
from deepmomentum.run import _layout as layout


def _measures(returns: pd.Series) -> dict[str, float]:
    r = returns.dropna()
    return {"sharpe": sharpe_ratio(r), "vol": annual_volatility(r), "max_dd": max_drawdown(r)}


def _rows(run: Path, split: pd.Timestamp) -> list[dict[str, object]]:
    returns = pd.read_csv(run / layout.RETURNS, index_col=0, parse_dates=True)
    rows = []
    design, holdout = returns.loc[: split - pd.Timedelta(days=1)], returns.loc[split:]
    for span, part in (("design", design), ("holdout", holdout)):
        for col in part.columns:
            rows.append({"run": run.name, "variant": col, "span": span, **_measures(part[col])})
    return rows


def _fmt(mean: float, std: float, pct: bool) -> str:
    return f"{mean * 100:.1f}% ± {std * 100:.1f}" if pct else f"{mean:.2f} ± {std:.2f}"


def main() -> None:
    """Print the table for the run folders given on the command line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--split", default="2019-01-01")
    args = ap.parse_args()
    split = pd.Timestamp(args.split)
    table = pd.DataFrame([r for run in args.runs for r in _rows(run, split)])
    g = table.groupby(["variant", "span"])[["sharpe", "vol", "max_dd"]]
    mean, std, n = g.mean(), g.std(ddof=1).fillna(0.0), g.size()
    print("| variant | span | Sharpe | vol | max DD | seeds |\n|---|---|---|---|---|---|")
    for key, m in mean.iterrows():
        s = std.loc[key]
        cells = [_fmt(m[c], s[c], pct) for c, pct in (("sharpe", False), ("vol", True), ("max_dd", True))]
        print(f"| {key[0]} | {key[1]} | {' | '.join(cells)} | {int(n.loc[key])} |")
    runs = " ".join(map(str, args.runs))
    print(f"\n(reproduce: .venv/bin/python scripts/span_table.py {runs} --split {args.split})")


if __name__ == "__main__":
    main()
