"""Stage 3, rebalancing: on which days the book trades to its targets (daily, or hybrid triggers)."""

from deepmomentum.rebalancing._schedule import TRIGGERS, RebalanceRules, daily_schedule, rebalance_schedule
from deepmomentum.rebalancing._stages import Daily, Hybrid, rules_from_config

__all__ = [
    "TRIGGERS",
    "Daily",
    "Hybrid",
    "RebalanceRules",
    "daily_schedule",
    "rebalance_schedule",
    "rules_from_config",
]
