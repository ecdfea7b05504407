"""The four stages' interfaces, and what they share: the run's context.

signal (positions in [-1, 1]) -> portfolio (target weights) -> rebalancing
(which days trade) -> engine (held weights, costs, returns). A system is one
implementation per stage (see ``docs/architecture.md``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from deepmomentum.config import (
    ManagedFuturesConfig,
    OverlaysConfig,
    PortfolioConfig,
    RebalanceConfig,
    TrendModelConfig,
)
from deepmomentum.portfolio._targets import Targets

if TYPE_CHECKING:
    from deepmomentum._types import Convention
    from deepmomentum.config import RunConfig
    from deepmomentum.data import MarketData
    from deepmomentum.features import FeatureSet
    from deepmomentum.run import RunFolder
    from deepmomentum.signals import SignalOutput

__all__ = ["Context", "PortfolioStage", "RebalanceStage", "SignalStage", "Targets"]

log = logging.getLogger("deepmomentum")


@dataclass
class Context:
    """What every stage of one run may read: configuration, data, folder, workers.

    Market inputs are computed once, on first use, and shared by the stages.
    """

    cfg: RunConfig
    data: MarketData
    folder: RunFolder
    executor: Any = None
    progress: Callable[..., None] = field(default=lambda *a, **k: None)
    storage: str | None = None
    notes: list[str] = field(default_factory=list)
    max_windows: int | None = None  # signal: the run's trained windows only (see make_windows)

    @property
    def trend_model(self) -> TrendModelConfig:
        """The ``[trend_model]`` table (its defaults where absent: the features read its spans)."""
        return self.cfg.trend_model or TrendModelConfig()

    @property
    def overlays(self) -> OverlaysConfig:
        """The ``[overlays]`` table (its defaults where absent)."""
        return self.cfg.overlays or OverlaysConfig()

    @property
    def portfolio(self) -> PortfolioConfig:
        """The ``[portfolio]`` table: the constrained book's settings (its defaults where absent)."""
        return self.cfg.portfolio or PortfolioConfig()

    @property
    def rebalance(self) -> RebalanceConfig:
        """The ``[rebalance]`` table: the hybrid triggers (its defaults where absent)."""
        return self.cfg.rebalance or RebalanceConfig()

    @property
    def mf(self) -> ManagedFuturesConfig:
        """The managed-futures tables under the old flat ``[managed_futures]`` names."""
        return ManagedFuturesConfig(self.cfg)

    @property
    def prices(self) -> pd.DataFrame:
        """Tradable prices, shape (n_days, n_assets)."""
        return self.data.tradable_prices

    @cached_property
    def returns(self) -> pd.DataFrame:
        """Daily returns of :attr:`prices`, decimal, same shape."""
        from deepmomentum.features import daily_returns

        return daily_returns(self.prices)

    @cached_property
    def book_prices(self) -> pd.DataFrame:
        """Tradable prices from the first day any has a price (the book's calendar)."""
        p = self.prices
        return p.loc[p.notna().any(axis=1).idxmax() :]

    @cached_property
    def multiscale(self) -> FeatureSet:
        """The managed-futures features on :attr:`book_prices` (returns, vols, multi-horizon)."""
        from deepmomentum.features import multiscale_features

        f, tm = self.cfg.features, self.trend_model
        pairs = [(int(a), int(b)) for a, b in f.macd_pairs]
        return multiscale_features(
            self.book_prices, tm.return_horizons, tm.vol_spans, pairs, f.vol_span, f.winsorise
        )

    @cached_property
    def slow_trend(self) -> pd.DataFrame:
        """``tanh`` of the 252-day vol-normalised return: the slow, causal trend in [-1, 1]."""
        from deepmomentum.features import normalised_returns

        fs = self.multiscale
        return pd.DataFrame(np.tanh(normalised_returns(self.book_prices, fs.daily_vol, 252)))

    @cached_property
    def regime(self) -> tuple[pd.DataFrame, str]:
        """The economic regime per day of the book's calendar, and its source."""
        from deepmomentum.signals import regime_frame

        index = pd.DatetimeIndex(self.book_prices.index)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # regime_frame reads the regime keys of [overlays] by their old flat names
            frame, source = regime_frame(self.data, self.cfg.data.macro_dir, self.mf, index)
        for w in caught:
            self.note(str(w.message))
        return frame, source

    def note(self, text: str) -> None:
        """Record a warning of the run: in ``meta.json`` notes and the run log."""
        self.notes.append(text)
        log.warning("%s", text)


class SignalStage(Protocol):
    """Stage 1: positions per asset-day in [-1, 1], causal, out of sample."""

    name: str

    def compute(self, ctx: Context) -> SignalOutput:
        """Positions of every variant this signal produces, and its side tables."""
        ...


class PortfolioStage(Protocol):
    """Stage 2: sizes positions into target weights, for the engine's ``convention``."""

    name: str
    convention: Convention

    def targets(self, positions: pd.DataFrame, days: pd.DatetimeIndex, ctx: Context) -> Targets:
        """Target weights on ``days`` from ``positions`` (n_days, n_assets)."""
        ...


class RebalanceStage(Protocol):
    """Stage 3: on which days the book trades to its targets."""

    name: str

    def schedule(
        self, positions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, ctx: Context
    ) -> pd.DataFrame:
        """Columns ``date`` and ``triggers``, one row per rebalance in ``[start, end]``."""
        ...
