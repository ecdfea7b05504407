"""The strategy interface shared by classical rules and learned models."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import pandas as pd

from deepmomentum.features import macd_signal

__all__ = ["TSMOM", "LongOnly", "MACDStrategy", "Strategy", "get_strategy", "list_strategies"]


class Strategy(ABC):
    """A rule or model that maps prices to positions.

    Subclasses implement :meth:`signal`. The position dated t must use only
    prices dated <= t; it earns the return from t to t+1.
    """

    #: Short name used in variant labels (``<name>@<cost>bp``).
    name: str = "strategy"

    @abstractmethod
    def signal(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Positions X in [-1, 1].

        Parameters
        ----------
        prices : pd.DataFrame of shape (n_days, n_assets)
            Adjusted closes of the tradable assets.

        Returns
        -------
        pd.DataFrame of shape (n_days, n_assets)
            Position per asset-day, NaN where the strategy has no view.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LongOnly(Strategy):
    """Always long: ``X = 1`` wherever a price exists."""

    name = "long_only"

    def signal(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Return 1 where the price is known, NaN elsewhere."""
        return pd.DataFrame(np.where(prices.notna(), 1.0, np.nan), index=prices.index, columns=prices.columns)


class TSMOM(Strategy):
    """Moskowitz, Ooi & Pedersen (2012): ``X = sign(p_t / p_{t-lookback} - 1)``.

    Parameters
    ----------
    lookback : int, default 252
        Trading days of the trailing return.
    """

    name = "tsmom"

    def __init__(self, lookback: int = 252) -> None:
        self.lookback = lookback

    def signal(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Return the sign of the trailing ``lookback``-day return."""
        past = prices / prices.shift(self.lookback) - 1.0
        return past.apply(np.sign)

    def __repr__(self) -> str:
        return f"TSMOM(lookback={self.lookback})"


class MACDStrategy(Strategy):
    """Baz et al. (2015): the average response ``phi(Y)`` over three (S, L) pairs."""

    name = "macd"

    def __init__(self, pairs: tuple[tuple[int, int], ...] = ((8, 24), (16, 48), (32, 96))) -> None:
        self.pairs = pairs

    def signal(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Return the combined MACD position, within [-1, 1] by construction."""
        return macd_signal(prices, self.pairs).clip(-1.0, 1.0)

    def __repr__(self) -> str:
        return f"MACDStrategy(pairs={self.pairs})"


_REGISTRY: dict[str, type[Strategy]] = {"long_only": LongOnly, "tsmom": TSMOM, "macd": MACDStrategy}


def list_strategies() -> list[str]:
    """Names of the built-in classical strategies."""
    return list(_REGISTRY)


def get_strategy(name: str) -> Strategy:
    """Build a classical strategy by name (``long_only``, ``tsmom``, ``macd``)."""
    from deepmomentum.exceptions import ConfigError

    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ConfigError(f"unknown strategy {name!r}; choose from {', '.join(_REGISTRY)}") from None
