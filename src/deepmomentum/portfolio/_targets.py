"""What a portfolio stage gives the engine: target weights on rebalance days."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Targets"]


@dataclass
class Targets:
    """Target weights of one variant on its rebalance days, and per-day records.

    Attributes
    ----------
    weights : dict of pd.Timestamp to np.ndarray of shape (n_assets,)
        Weight set at the close of each rebalance day (decimal of NAV for the
        ``nav`` convention, of the asset's own risk budget for ``paper``).
    records : list of dict
        One row per construction day (ex-ante vol, gross, net, binding constraints).
    """

    weights: dict[pd.Timestamp, np.ndarray]
    records: list[dict[str, Any]] = field(default_factory=list)
