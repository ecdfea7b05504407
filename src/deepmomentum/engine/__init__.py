"""The engine: held weights -> returns net of costs (paper and NAV conventions), and benchmarks."""

from deepmomentum.engine._benchmarks import benchmark_returns, sixty_forty
from deepmomentum.engine._engine import (
    CONVENTIONS,
    BacktestResult,
    BacktestSettings,
    Convention,
    backtest,
    evaluate_weights,
    simulate,
    variant_name,
)
from deepmomentum.engine._holding import drift_weights, hold_weights

__all__ = [
    "CONVENTIONS",
    "BacktestResult",
    "BacktestSettings",
    "Convention",
    "backtest",
    "benchmark_returns",
    "drift_weights",
    "evaluate_weights",
    "hold_weights",
    "simulate",
    "sixty_forty",
    "variant_name",
]
