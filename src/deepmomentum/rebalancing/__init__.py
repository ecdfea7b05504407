"""Stage 3, rebalancing: on which days the book trades to its targets (daily, or hybrid triggers)."""

from deepmomentum.rebalancing._schedule import TRIGGERS, RebalanceRules, daily_schedule, rebalance_schedule

__all__ = ["TRIGGERS", "RebalanceRules", "daily_schedule", "rebalance_schedule"]
