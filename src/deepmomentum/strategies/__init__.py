"""Strategies: the position interface, and the classical benchmarks."""

from deepmomentum.strategies._base import (
    TSMOM,
    LongOnly,
    MACDStrategy,
    Strategy,
    get_strategy,
    list_strategies,
)

__all__ = ["TSMOM", "LongOnly", "MACDStrategy", "Strategy", "get_strategy", "list_strategies"]
