"""Performance measures (definitions equal to empyrical-reloaded's)."""

from deepmomentum.metrics._measures import (
    METRIC_NAMES,
    annual_return,
    annual_volatility,
    beta,
    calmar_ratio,
    correlation,
    drawdown_series,
    max_drawdown,
    pct_positive,
    performance_summary,
    rolling_sharpe,
    sharpe_ratio,
    skewness,
    sortino_ratio,
)

__all__ = [
    "METRIC_NAMES",
    "annual_return",
    "annual_volatility",
    "beta",
    "calmar_ratio",
    "correlation",
    "drawdown_series",
    "max_drawdown",
    "pct_positive",
    "performance_summary",
    "rolling_sharpe",
    "sharpe_ratio",
    "skewness",
    "sortino_ratio",
]
