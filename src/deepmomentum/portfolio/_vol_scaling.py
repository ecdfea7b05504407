"""The paper's sizing: per-asset vol scaling, optionally a causal portfolio vol target.

``w_{i,t} = clip(X_{i,t} * sigma_tgt / sigma_{i,t}, -max_weight, max_weight)`` with
``sigma_{i,t}`` the annualised ex-ante vol (Lim, Zohren & Roberts, 2019, eq. 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.exceptions import ConfigError

if TYPE_CHECKING:
    from deepmomentum.config import RunConfig

__all__ = ["BacktestSettings", "portfolio_scaler", "scaled_weights", "settings_from_config", "vol_scale"]


@dataclass(frozen=True)
class BacktestSettings:
    """How signals become weights, and how the portfolio is formed.

    Parameters
    ----------
    vol_target : float, default 0.15
        Annualised volatility target per asset, decimal.
    max_weight : float, default 10.0
        Cap on ``|w|`` per asset (leverage of one asset).
    vol_span : int, default 60
        EWM span of the ex-ante asset vol, trading days.
    portfolio_vol_target : bool, default False
        Also scale the whole portfolio so that its ex-ante vol, estimated
        causally from trailing portfolio returns, hits ``vol_target``.
    portfolio_vol_span : int, default 60
        EWM span of the portfolio vol estimate.
    max_leverage : float, default 10.0
        Cap on the portfolio scaling factor.
    """

    vol_target: float = 0.15
    max_weight: float = 10.0
    vol_span: int = 60
    portfolio_vol_target: bool = False
    portfolio_vol_span: int = 60
    max_leverage: float = 10.0

    def __post_init__(self) -> None:
        if not self.vol_target > 0:
            raise ConfigError(f"vol_target must be > 0 (a decimal, e.g. 0.15), got {self.vol_target}")
        if not self.max_weight > 0:
            raise ConfigError(f"max_weight must be > 0, got {self.max_weight}")
        if self.vol_span < 2 or self.portfolio_vol_span < 2:
            raise ConfigError("vol spans must be at least 2 days")


def vol_scale(signal: pd.DataFrame, daily_vol: pd.DataFrame, settings: BacktestSettings) -> pd.DataFrame:
    """Weights ``X sigma_tgt / sigma`` clipped to ``max_weight``, shape of ``signal``.

    Parameters
    ----------
    signal : pd.DataFrame of shape (n_days, n_assets)
        Positions X in [-1, 1].
    daily_vol : pd.DataFrame of shape (n_days, n_assets)
        Ex-ante daily vol, decimal (annualised here with 252 days).
    """
    annual_vol = daily_vol * np.sqrt(PERIODS_PER_YEAR)
    w = signal * settings.vol_target / annual_vol.where(annual_vol > 0)
    return w.clip(-settings.max_weight, settings.max_weight)


def scaled_weights(
    signal: pd.DataFrame, returns: pd.DataFrame, daily_vol: pd.DataFrame, settings: BacktestSettings
) -> pd.DataFrame:
    """:func:`vol_scale`, then the causal portfolio vol target when ``settings`` asks for it.

    Parameters
    ----------
    signal, returns, daily_vol : pd.DataFrame of shape (n_days, n_assets)
        Positions X in [-1, 1] (NaN: not held), daily returns and ex-ante daily vol, decimal.
    settings : BacktestSettings
    """
    w = vol_scale(signal, daily_vol, settings)
    if settings.portfolio_vol_target:
        w = w.mul(portfolio_scaler(w, returns, settings), axis=0)
    return w


def portfolio_scaler(weights: pd.DataFrame, returns: pd.DataFrame, settings: BacktestSettings) -> pd.Series:
    """Causal factor k_t so the portfolio's ex-ante vol hits the target."""
    held = weights.notna()
    n = held.sum(axis=1).replace(0, np.nan)
    base = (weights.fillna(0.0).shift(1) * returns.fillna(0.0)).sum(axis=1) / n.shift(1)
    base = base.where(n.shift(1).notna())
    vol = base.ewm(span=settings.portfolio_vol_span, min_periods=settings.portfolio_vol_span).std()
    k = settings.vol_target / (vol * np.sqrt(PERIODS_PER_YEAR))
    return k.clip(upper=settings.max_leverage)


def settings_from_config(cfg: RunConfig) -> BacktestSettings:
    """The sizing settings of a run configuration (``[backtest]`` and the feature vol span)."""
    b = cfg.backtest
    return BacktestSettings(
        vol_target=b.vol_target,
        max_weight=b.max_weight,
        vol_span=cfg.features.vol_span,
        portfolio_vol_target=b.portfolio_vol_target,
        max_leverage=b.max_leverage,
    )
