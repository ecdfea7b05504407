"""Vol-targeted backtest with transaction costs, and buy-and-hold benchmarks."""

from deepmomentum.backtest._benchmarks import benchmark_returns, sixty_forty
from deepmomentum.backtest._engine import (
    BacktestResult,
    BacktestSettings,
    backtest,
    evaluate_weights,
    variant_name,
)

__all__ = [
    "BacktestResult",
    "BacktestSettings",
    "backtest",
    "benchmark_returns",
    "evaluate_weights",
    "sixty_forty",
    "variant_name",
]
