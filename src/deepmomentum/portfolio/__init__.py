"""Stage 2, portfolio: sizing positions into target weights.

The paper's per-asset vol scaling (:func:`vol_scale`), and the managed-futures
constrained construction (class budgets, caps, net bounds, vol target).
"""

from deepmomentum.portfolio._construction import (
    ConstructionResult,
    PortfolioConstraints,
    check_constraints,
    class_shares,
    construct_weights,
    project,
)
from deepmomentum.portfolio._evaluate import comparison_table
from deepmomentum.portfolio._risk import class_tilt, ewma_covariances
from deepmomentum.portfolio._stages import ConstrainedBook, VolScaling, constraints_from_config
from deepmomentum.portfolio._targets import Targets
from deepmomentum.portfolio._vol_scaling import (
    BacktestSettings,
    portfolio_scaler,
    settings_from_config,
    vol_scale,
)

__all__ = [
    "BacktestSettings",
    "ConstrainedBook",
    "ConstructionResult",
    "PortfolioConstraints",
    "Targets",
    "VolScaling",
    "check_constraints",
    "class_shares",
    "class_tilt",
    "comparison_table",
    "constraints_from_config",
    "construct_weights",
    "ewma_covariances",
    "portfolio_scaler",
    "project",
    "settings_from_config",
    "vol_scale",
]
