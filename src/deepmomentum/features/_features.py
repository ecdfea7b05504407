"""Causal features of Deep Momentum Networks (Lim, Zohren & Roberts, 2019).

Every function maps a panel of shape (n_days, n_assets) to a panel of the
same shape, and the value dated t reads only data dated <= t: there is no
backward fill, no centred window and no full-sample statistic. Missing values
(before inception, or while an instrument sits out) stay missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR

__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_MACD_PAIRS",
    "FEATURE_NAMES",
    "daily_returns",
    "ex_ante_volatility",
    "feature_names",
    "macd_halflife",
    "macd_indicator",
    "macd_response",
    "macd_signal",
    "normalised_returns",
    "winsorise_prices",
]

DEFAULT_HORIZONS: tuple[int, ...] = (1, 21, 63, 126, 252)
DEFAULT_MACD_PAIRS: tuple[tuple[int, int], ...] = ((8, 24), (16, 48), (32, 96))
TRADING_DAYS = PERIODS_PER_YEAR


def feature_names(
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    macd_pairs: Sequence[tuple[int, int]] = DEFAULT_MACD_PAIRS,
) -> list[str]:
    """Column names of the network inputs: ``norm_ret_<k>``, then ``macd_<S>_<L>``."""
    return [f"norm_ret_{k}" for k in horizons] + [f"macd_{s}_{lg}" for s, lg in macd_pairs]


#: The paper's eight inputs.
FEATURE_NAMES: tuple[str, ...] = tuple(feature_names())


def daily_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple daily returns ``r_t = p_t / p_{t-1} - 1``, decimal.

    NaN where either price is missing (no fill across gaps).
    """
    return prices / prices.shift(1) - 1.0


def ex_ante_volatility(returns: pd.DataFrame, span: int = 60, min_periods: int | None = None) -> pd.DataFrame:
    """Ex-ante daily volatility: EWM standard deviation of daily returns.

    Parameters
    ----------
    returns : pd.DataFrame of shape (n_days, n_assets)
        Daily returns, decimal.
    span : int, default 60
        EWM span in trading days.
    min_periods : int, optional
        Observations required before a value is given; default ``span``.

    Returns
    -------
    pd.DataFrame
        Daily (not annualised) volatility, decimal; multiply by sqrt(252) to
        annualise.
    """
    return returns.ewm(span=span, min_periods=span if min_periods is None else min_periods).std()


def normalised_returns(prices: pd.DataFrame, daily_vol: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Return over ``horizon`` days scaled by ex-ante vol: ``r(t-k, t) / (sigma_t sqrt(k))``."""
    return (prices / prices.shift(horizon) - 1.0) / (daily_vol * np.sqrt(horizon))


def macd_halflife(timescale: int) -> float:
    """EWM half-life of the MACD moving average with timescale S: ``log(0.5) / log(1 - 1/S)``."""
    return float(np.log(0.5) / np.log(1.0 - 1.0 / timescale))


def macd_indicator(
    prices: pd.DataFrame,
    short: int,
    long: int,
    price_window: int = 63,
    signal_window: int = 252,
) -> pd.DataFrame:
    """Baz et al. (2015) MACD indicator ``Y_t`` for one (S, L) pair.

    ``q_t = (m(S) - m(L)) / std(p over the last 63 days)`` and
    ``Y_t = q_t / std(q over the last 252 days)``; windows need full data.
    """
    m_short = prices.ewm(halflife=macd_halflife(short)).mean()
    m_long = prices.ewm(halflife=macd_halflife(long)).mean()
    q = (m_short - m_long) / prices.rolling(price_window, min_periods=price_window).std()
    return q / q.rolling(signal_window, min_periods=signal_window).std()


def macd_response(y: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
    """Response function ``phi(y) = y exp(-y^2 / 4) / 0.89``."""
    return y * np.exp(-(y**2) / 4.0) / 0.89


def macd_signal(prices: pd.DataFrame, pairs: Sequence[tuple[int, int]] = DEFAULT_MACD_PAIRS) -> pd.DataFrame:
    """Combined MACD position: the average of ``phi(Y)`` over the (S, L) pairs."""
    total: pd.DataFrame | None = None
    for short, long in pairs:
        part = macd_response(macd_indicator(prices, short, long))
        assert isinstance(part, pd.DataFrame)
        total = part if total is None else total + part
    assert total is not None
    return total / len(pairs)


def winsorise_prices(prices: pd.DataFrame, halflife: int = 252, n_std: float = 5.0) -> pd.DataFrame:
    """Clip prices causally to ``EWM mean +- n_std * EWM std`` (half-life 252).

    The EWM statistics at t include p_t itself and nothing later, as in the
    reference code. Where the bounds are not yet defined the price is kept.
    """
    ewm = prices.ewm(halflife=halflife)
    mean = ewm.mean()
    std = ewm.std()
    upper = mean + n_std * std
    lower = mean - n_std * std
    clipped = prices.where(~(prices > upper), upper)
    return clipped.where(~(clipped < lower), lower)
