"""``significance.json``: PSR, DSR and bootstrap intervals of a run's variants.

Each variant ``<strategy>@<cost>`` of ``returns.csv`` gets its Sharpe ratio,
PSR, DSR (walk-forward variants, with the number of trials of
``models/trials.csv``) and a bootstrap interval; each variant that is not a
classical benchmark is compared, over the days both have, with each classical
benchmark (:data:`BENCHMARK_STRATEGIES`) present at the same cost.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import deepmomentum.run._layout as layout
from deepmomentum.metrics import SharpeInference, sharpe_inference

__all__ = ["BENCHMARK_STRATEGIES", "benchmark_pairs", "run_inference", "trial_counts"]

#: The classical strategies a model is compared with.
BENCHMARK_STRATEGIES = ("tsmom", "long_only", "macd")


def _split(variant: str) -> tuple[str, str]:
    strategy, _, cost = variant.partition("@")
    return strategy, cost


def benchmark_pairs(variants: list[str]) -> list[tuple[str, str]]:
    """``(variant, benchmark)`` for each non-benchmark variant and each benchmark at its cost."""
    present = set(variants)
    pairs = []
    for v in variants:
        strategy, cost = _split(v)
        if strategy in BENCHMARK_STRATEGIES:
            continue
        pairs += [(v, f"{b}@{cost}") for b in BENCHMARK_STRATEGIES if f"{b}@{cost}" in present]
    return pairs


def trial_counts(run_dir: Path, variants: list[str]) -> dict[str, int]:
    """Trials the search ran for each variant (all windows), from ``models/trials.csv`` when present.

    A variant ``<name>@<cost>`` (or ``<name>_daily@<cost>``) counts the rows of
    ``trials.csv`` whose ``variant`` is ``<name>``.
    """
    path = run_dir / layout.TRIALS
    if not path.is_file():
        return {}
    counts = pd.read_csv(path, usecols=["variant"])["variant"].astype(str).value_counts()
    out = {}
    for v in variants:
        strategy = _split(v)[0]
        name = strategy if strategy in counts.index else strategy.removesuffix("_daily")
        if name in counts.index:
            out[v] = int(counts[name])
    return out


def run_inference(returns: pd.DataFrame, run_dir: Path, seed: int = 0) -> SharpeInference:
    """:func:`deepmomentum.metrics.sharpe_inference` of a run's ``returns.csv`` frame, as written."""
    variants = [str(c) for c in returns.columns]
    return sharpe_inference(
        returns,
        n_trials=trial_counts(run_dir, variants),
        pairs=benchmark_pairs(variants),
        seed=seed,
    )
