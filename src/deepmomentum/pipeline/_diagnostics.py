"""Diagnostics per walk-forward window: why a window went well or wrong, at a glance.

One row per (window, variant) for every model and every classical benchmark
of a backtest: the out-of-sample Sharpe at each cost level, the long bias, the
gross position, the turnover, how much the positions agree with TSMOM's and
long-only's, and the validation Sharpe that selected the model.

A window's returns are the returns its positions earn: the position decided at
the close of day t earns the return dated t+1 (``docs/architecture.md``), so a
window whose positions run from ``test_start`` to ``test_end`` is scored on the
returns dated from the trading day after ``test_start`` to the trading day
after ``test_end``, costs of its own trades included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.exceptions import ConfigError
from deepmomentum.metrics import sharpe_ratio

if TYPE_CHECKING:
    from deepmomentum.engine import BacktestResult

__all__ = ["REFERENCES", "diagnostic_columns", "window_diagnostics"]

#: Strategies the positions are compared with (column ``corr_<name>``).
REFERENCES: tuple[str, ...] = ("tsmom", "long_only")


def diagnostic_columns(cost_bps: Sequence[float]) -> list[str]:
    """Columns of :func:`window_diagnostics` for the given cost levels (bp), in order."""
    return [
        "window",
        "variant",
        "kind",
        "test_start",
        "test_end",
        "n_days",
        *(f"sharpe_{c:g}bp" for c in cost_bps),
        "mean_position",
        "mean_abs_position",
        "turnover",
        *(f"corr_{r}" for r in REFERENCES),
        "val_sharpe",
    ]


def _global_costs(result: BacktestResult) -> list[float]:
    """The global cost levels (bp) of the result's variants, in order (``@universe`` left out)."""
    out: list[float] = []
    for label in result.variants:
        tail = label.rsplit("@", 1)[-1]
        if tail.endswith("bp"):
            c = float(tail.removesuffix("bp"))
            if c not in out:
                out.append(c)
    return out


def _spans(windows: pd.DataFrame) -> pd.DataFrame:
    """One (window, test_start, test_end) per window index, dates as Timestamps."""
    missing = [c for c in ("window", "test_start", "test_end") if c not in windows.columns]
    if missing:
        raise ConfigError(f"the windows table lacks column(s) {', '.join(missing)}")
    spans = windows.drop_duplicates("window")[["window", "test_start", "test_end"]].copy()
    spans["test_start"] = pd.to_datetime(spans["test_start"])
    spans["test_end"] = pd.to_datetime(spans["test_end"])
    return spans.sort_values("window").reset_index(drop=True)


def _val_scores(windows: pd.DataFrame) -> dict[tuple[str, int], float]:
    """``{(variant, window): val_sharpe}`` of the models' windows."""
    if "variant" not in windows.columns or "val_sharpe" not in windows.columns:
        return {}
    return {
        (str(v), int(w)): float(s)
        for v, w, s in windows[["variant", "window", "val_sharpe"]].itertuples(index=False, name=None)
    }


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Uncentred correlation of two position arrays over the cells where both are finite.

    Uncentred because long-only's positions are a constant 1, whose Pearson
    correlation with anything is undefined; 1 when ``a`` is proportional to ``b``.
    """
    ok = np.isfinite(a) & np.isfinite(b)
    x, y = a[ok], b[ok]
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / norm) if norm > 0 else float("nan")


def _positions(result: BacktestResult, strategy: str, days: pd.DatetimeIndex) -> np.ndarray:
    """Positions X of ``strategy`` on ``days``, shape (n_days, n_assets), NaN where none."""
    return result.signals[strategy].reindex(days).to_numpy(dtype="float64")


def _row(
    result: BacktestResult,
    strategy: str,
    labels: dict[float, str],
    days: pd.DatetimeIndex,
    earned: pd.DatetimeIndex,
) -> dict[str, float]:
    """The measures of one strategy over one window (decision ``days``, returns dated ``earned``)."""
    pos = _positions(result, strategy, days)
    out: dict[str, float] = {"n_days": float(len(earned))}
    port = result.portfolio_returns
    for c, label in labels.items():
        out[f"sharpe_{c:g}bp"] = sharpe_ratio(port[label].reindex(earned)) if len(earned) else np.nan
    has = bool(np.isfinite(pos).any())
    out["mean_position"] = float(np.nanmean(pos)) if has else np.nan
    out["mean_abs_position"] = float(np.nanmean(np.abs(pos))) if has else np.nan
    turn = result.daily_turnover[strategy].reindex(days).to_numpy(dtype="float64")
    out["turnover"] = float(np.nanmean(turn)) * PERIODS_PER_YEAR if np.isfinite(turn).any() else np.nan
    for ref in REFERENCES:
        ok = ref in result.signals and has
        out[f"corr_{ref}"] = _cosine(pos, _positions(result, ref, days)) if ok else np.nan
    return out


def window_diagnostics(
    result: BacktestResult, windows: pd.DataFrame, cost_bps: Sequence[float] | None = None
) -> pd.DataFrame:
    """Per walk-forward window and strategy: Sharpe at each cost, long bias, turnover, agreement.

    Parameters
    ----------
    result : BacktestResult
        The backtest of the models beside the classical benchmarks (``signals``
        the positions X in [-1, 1], shape (n_days, n_assets) per strategy).
    windows : pd.DataFrame
        ``models/windows.csv``: at least ``window``, ``test_start``, ``test_end``
        (inclusive dates of the window's positions); ``variant`` and
        ``val_sharpe`` give the models' validation scores.
    cost_bps : sequence of float, optional
        Cost levels (bp of traded notional) to score; each must be a level of
        ``result``. Default: every global level of ``result``.

    Returns
    -------
    pd.DataFrame
        One row per (window, variant), windows in order and strategies in the
        order of ``result``; columns :func:`diagnostic_columns`: ``kind``
        (``model`` for a strategy of ``windows``' ``variant``, else
        ``benchmark``), the test span clipped to the backtest's, ``n_days``
        (returns scored), ``sharpe_<c>bp`` (annualised, of the daily net returns
        the window's positions earn), ``mean_position`` (long bias) and
        ``mean_abs_position`` over asset-days, ``turnover`` (mean daily
        turnover of the vol-scaled weights x 252), ``corr_tsmom`` and
        ``corr_long_only`` (uncentred correlation of the positions pooled over
        asset-days, see :func:`_cosine`), ``val_sharpe`` (NaN for benchmarks).

    Raises
    ------
    ConfigError
        A cost level is not one of ``result``'s, or ``windows`` lacks a column.
    """
    costs = _global_costs(result) if cost_bps is None else [float(c) for c in cost_bps]
    labels: dict[float, str] = {}
    for c in costs:
        label = f"{{}}@{c:g}bp"
        if label.format(result.strategies[0]) not in result.variants:
            raise ConfigError(f"cost level {c:g} bp was not backtested (levels: {_global_costs(result)})")
        labels[c] = label
    scores = _val_scores(windows)
    models = set(windows["variant"].astype(str)) if "variant" in windows.columns else set()
    index = pd.DatetimeIndex(result.portfolio_returns.index)
    rows: list[dict[str, object]] = []
    for _, span in _spans(windows).iterrows():
        lo, hi = max(span["test_start"], result.start), min(span["test_end"], result.end)
        days = index[(index >= lo) & (index <= hi)]
        # the returns those positions earn are dated one trading day later
        after = index.searchsorted(days, side="right")
        earned = index[after[after < len(index)]]
        for s in result.strategies:
            own = {c: lab.format(s) for c, lab in labels.items()}
            rows.append(
                {
                    "window": int(span["window"]),
                    "variant": s,
                    "kind": "model" if s in models else "benchmark",
                    "test_start": str(lo.date()) if len(days) else str(span["test_start"].date()),
                    "test_end": str(hi.date()) if len(days) else str(span["test_end"].date()),
                    **_row(result, s, own, days, earned),
                    "val_sharpe": scores.get((s, int(span["window"])), np.nan),
                }
            )
    out = pd.DataFrame(rows, columns=diagnostic_columns(costs))
    out["n_days"] = out["n_days"].astype("int64")
    return out
