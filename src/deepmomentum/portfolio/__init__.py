"""Portfolio construction under constraints, hybrid rebalancing, and NAV-weight evaluation."""

from deepmomentum.portfolio._construction import (
    ConstructionResult,
    PortfolioConstraints,
    check_constraints,
    construct_weights,
    project,
)
from deepmomentum.portfolio._evaluate import NavBacktestResult, comparison_table, evaluate_nav_weights
from deepmomentum.portfolio._rebalance import TRIGGERS, RebalanceRules, drift_weights, rebalance_schedule
from deepmomentum.portfolio._risk import class_tilt, ewma_covariances

__all__ = [
    "TRIGGERS",
    "ConstructionResult",
    "NavBacktestResult",
    "PortfolioConstraints",
    "RebalanceRules",
    "check_constraints",
    "class_tilt",
    "comparison_table",
    "construct_weights",
    "drift_weights",
    "evaluate_nav_weights",
    "ewma_covariances",
    "project",
    "rebalance_schedule",
]
