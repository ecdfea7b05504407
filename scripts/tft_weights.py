"""Mean variable-selection weight per input of the TFT runs (README, issue 13).

Usage::

    .venv/bin/python scripts/tft_weights.py runs/successors --protocols tft,tft_cpd [--seeds 1,2,3]

Reads ``<root>/<P>-s<seed>/models/<P>/window-*/variable_weights.csv`` (per test
day, each input's weight averaged over assets and ensemble members) and prints,
per protocol, each input's weight averaged over days, windows and seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from deepmomentum.run._layout_interpret import VARIABLE_WEIGHTS


def mean_weights(root: Path, protocol: str, seeds: list[int]) -> pd.Series:
    """Average weight per input over every test day of every window and seed."""
    frames = [
        pd.read_csv(f, index_col=0)
        for s in seeds
        for f in sorted(
            (root / f"{protocol}-s{s}" / "models" / protocol).glob(f"window-*/{VARIABLE_WEIGHTS}")
        )
    ]
    if not frames:
        raise SystemExit(f"no {VARIABLE_WEIGHTS} under {root}/{protocol}-s*/models/{protocol}/")
    return pd.concat(frames).mean().sort_values(ascending=False)


def main() -> None:
    """Print a markdown table: inputs x protocols."""
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--protocols", default="tft,tft_cpd")
    ap.add_argument("--seeds", default="1,2,3")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    table = pd.concat({p: mean_weights(args.root, p, seeds) for p in args.protocols.split(",")}, axis=1)
    print("| input | " + " | ".join(table.columns) + " |")
    print("|---" * (len(table.columns) + 1) + "|")
    for name, row in table.iterrows():
        print(f"| `{name}` | " + " | ".join("-" if pd.isna(v) else f"{v:.3f}" for v in row) + " |")
    print(f"\n(reproduce: .venv/bin/python scripts/tft_weights.py {args.root} --protocols {args.protocols})")


if __name__ == "__main__":
    main()
