"""Names shared by the library, the configuration and the CLI: one definition each.

Conventions: daily data, ``PERIODS_PER_YEAR = 252`` trading days a year for every
annualisation (vol, Sharpe, turnover), risk-free rate per period.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "PERIODS_PER_YEAR",
    "ClassBudget",
    "Convention",
    "CoreSignal",
    "Device",
    "ExecutorName",
    "GrowthIndicator",
    "LossName",
    "ModelName",
    "PortfolioName",
    "Precision",
    "QualityAction",
    "RebalanceName",
    "SamplerName",
    "SignalName",
]

#: Trading days a year: the one annualisation factor.
PERIODS_PER_YEAR = 252

#: The Deep Momentum Networks (``tft``: the Momentum Transformer).
ModelName = Literal["lstm", "linear", "mlp", "wavenet", "tft"]
LossName = Literal["sharpe", "avg_return", "mse", "bce"]
Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["fp32", "bf16", "fp16"]
SamplerName = Literal["random", "tpe"]
ExecutorName = Literal["local", "ray"]
QualityAction = Literal["flag", "drop", "ffill", "keep", "error"]
#: How the engine aggregates and trades: the paper's (average over assets, trade to
#: target) or NAV weights (sum, drift between rebalances, cost on traded notional).
Convention = Literal["paper", "nav"]
#: Stage 2: the paper's per-asset vol scaling, or the constrained managed-futures book.
PortfolioName = Literal["vol_scaling", "constrained"]
#: Stage 3: trade every day, or on the hybrid triggers.
RebalanceName = Literal["daily", "hybrid"]
#: Stage 1: the Deep Momentum Networks, the managed-futures trend model, or a classical rule.
SignalName = Literal["dmn", "trend_model", "long_only", "tsmom", "macd"]
#: The short-term component of the trend-model signal: the model, or (ablation) TSMOM or the DMN.
CoreSignal = Literal["model", "tsmom", "dmn"]
#: The macro growth series of the economic regime.
GrowthIndicator = Literal["cfnai", "indpro"]
#: How class budgets read: shares of the book's gross, or caps in decimals of NAV.
ClassBudget = Literal["gross_share", "nav_cap"]
