"""The ablation summary as a markdown table (mean ± std over seeds), design and holdout side by side.

Usage::

    .venv/bin/python scripts/ablation_table.py runs/ablation
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def _cell(row: pd.Series, measure: str, pct: bool = False) -> str:
    m, s = row[f"{measure}_mean"], row[f"{measure}_std"]
    return f"{m * 100:.1f}% ± {s * 100:.1f}" if pct else f"{m:.2f} ± {s:.2f}"


def main(folder: Path) -> None:
    """Print the table of ``folder/ablation_summary.csv``."""
    s = pd.read_csv(folder / "ablation_summary.csv").set_index(["layer", "span", "cost_bps"])
    cols = ["layer", "span", "Sharpe 0 bp", "Sharpe 2 bp", "Δ Sharpe 2 bp vs baseline", "vol", "turnover/yr"]
    print("| " + " | ".join([*cols, "max DD"]) + " |\n" + "|---" * (len(cols) + 1) + "|")
    for layer in dict.fromkeys(s.index.get_level_values(0)):
        for span in ("design", "holdout"):
            r0, r2 = s.loc[(layer, span, 0)], s.loc[(layer, span, 2)]
            print(
                f"| {layer} | {span} | {_cell(r0, 'sharpe')} | {_cell(r2, 'sharpe')} | "
                f"{_cell(r2, 'sharpe_vs_baseline')} | {_cell(r2, 'annual_vol', True)} | "
                f"{r2['turnover_mean']:.1f} | {_cell(r2, 'max_drawdown', True)} |"
            )
    n = int(s["n_seeds"].min())
    print(f"\n(n seeds = {n}; reproduce: .venv/bin/python scripts/ablation_table.py {folder})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
