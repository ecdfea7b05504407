"""Stage 3 implementations: :class:`Daily` (trade to target every day) and :class:`Hybrid` (triggers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from deepmomentum.rebalancing._schedule import RebalanceRules, daily_schedule, rebalance_schedule

if TYPE_CHECKING:
    from deepmomentum.pipeline import Context

__all__ = ["Daily", "Hybrid", "rules_from_config"]


@dataclass
class Daily:
    """Rebalance every trading day of the span (the paper's convention)."""

    name: str = "daily"

    def schedule(
        self, positions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, ctx: Context
    ) -> pd.DataFrame:
        """Every day of ``positions``' index in ``[start, end]``."""
        return daily_schedule(pd.DatetimeIndex(positions.index), start, end)


def rules_from_config(ctx: Context) -> RebalanceRules:
    """The hybrid triggers of ``[rebalance]`` (:meth:`RebalanceConfig.rules`), reversal assets resolved."""
    return ctx.rebalance.rules([str(c) for c in ctx.book_prices.columns])


@dataclass
class Hybrid:
    """Quarterly dates, direction reversals, signal changes and regime changes, with spacing and a cap."""

    name: str = "hybrid"

    def schedule(
        self, positions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, ctx: Context
    ) -> pd.DataFrame:
        """The triggered days from ``start`` (the first is ``initial``), none after ``end``."""
        regime, _ = ctx.regime
        sched = rebalance_schedule(positions, rules_from_config(ctx), regime["regime"], start=start)
        return sched[pd.to_datetime(sched["date"]) <= end].reset_index(drop=True)
