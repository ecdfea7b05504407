"""The book's own run-folder files: weights, rebalances, constraints, regimes, comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

import deepmomentum.run._layout as layout

if TYPE_CHECKING:
    from deepmomentum.engine import BacktestResult
    from deepmomentum.pipeline._stages import Context

__all__ = ["write_book_outputs"]


def _weights_long(result: BacktestResult, schedules: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long form: date, symbol, strategy, weight, rebalance (non-zero held weights in the span)."""
    parts = []
    for name, frame in result.weights.items():
        span = (frame.index >= result.start) & (frame.index <= result.end)
        part = frame.loc[span].stack(future_stack=True).dropna().rename("weight").reset_index()  # type: ignore[call-overload]
        part.columns = pd.Index(["date", "symbol", "weight"])
        part.insert(2, "strategy", name)
        part["rebalance"] = part["date"].isin(set(schedules[name]["date"]))
        parts.append(part[part["weight"] != 0])
    return pd.concat(parts, ignore_index=True)


def _comparison(result: BacktestResult, bench: pd.DataFrame, reference: pd.Series | None) -> pd.DataFrame:
    """The benchmark table over the test span, and over DBMF's life when it is in the data."""
    from deepmomentum.portfolio import comparison_table

    if reference is None:
        return pd.DataFrame()
    table_in = pd.concat([result.portfolio_returns, bench], axis=1)
    parts = [comparison_table(table_in, reference).assign(span="oos")]
    if "DBMF" in bench and bench["DBMF"].notna().any():
        dbmf_start = pd.Timestamp(str(bench["DBMF"].first_valid_index()))
        parts.append(comparison_table(table_in, reference, start=dbmf_start).assign(span="dbmf_life"))
    comparison = pd.concat(parts)
    comparison.index.name = "series"
    return comparison


def _unmet(ctx: Context, cons: pd.DataFrame) -> dict[str, int]:
    """How often each soft target went unmet; a note per target with an example."""
    counts = {}
    for u in ("vol_target", "min_active_classes"):
        hit = cons["unmet"].str.contains(u, regex=False) if len(cons) else pd.Series(dtype=bool)
        counts[u] = int(hit.sum())
        if counts[u]:
            example = cons.loc[hit, "message"].iloc[-1]
            ctx.note(f"{u} unmet on {counts[u]} of {len(cons)} construction days, e.g.: {example}")
    return counts


def write_book_outputs(
    ctx: Context,
    result: BacktestResult,
    bench: pd.DataFrame,
    reference: pd.Series | None,
    schedules: dict[str, pd.DataFrame],
    records: list[dict[str, Any]],
    span: tuple[pd.Timestamp, pd.Timestamp],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write the book's files and meta fields; return the comparison and the rebalances tables."""
    folder = ctx.folder
    folder.write_parquet(layout.WEIGHTS, _weights_long(result, schedules))
    cons = pd.DataFrame(records)
    first = next(iter(schedules))
    reb = schedules[first]
    if len(cons):  # the constrained book records each construction; vol scaling has none
        own = cons[cons["strategy"] == first].drop(columns=["rebalance", "strategy"])
        reb = reb.merge(own, on="date", how="left")
    folder.write_csv(layout.REBALANCES, reb, index=False)
    folder.write_csv(layout.CONSTRAINTS, cons, index=False)
    if "regime" in ctx.__dict__:  # computed by a stage that used it
        folder.write_csv(layout.REGIMES, ctx.regime[0].loc[span[0] : span[1]])
    comparison = _comparison(result, bench, reference)
    if len(comparison):
        folder.write_csv(layout.COMPARISON, comparison)
    years = max((span[1] - span[0]).days / 365.25, 1e-9)
    share_cols = [c for c in cons.columns if str(c).startswith("share_")]
    shares = cons.loc[cons["rebalance"], share_cols] if len(cons) else cons
    folder.write_meta(
        rebalances={"count": len(reb), "per_year": round(len(reb) / years, 2)},
        # the write-up's objective: commodities >= 20% of the book (mean over rebalance days)
        class_shares={c.removeprefix("share_"): round(float(shares[c].mean()), 4) for c in share_cols},
        constraints_unmet=_unmet(ctx, cons) if len(cons) and "unmet" in cons else {},
    )
    return comparison, reb
