"""Causal features: returns, ex-ante vol, normalised returns, MACD indicators."""

from deepmomentum.features._builder import FeatureSet, build_features, features_to_long
from deepmomentum.features._features import (
    DEFAULT_HORIZONS,
    DEFAULT_MACD_PAIRS,
    FEATURE_NAMES,
    daily_returns,
    ex_ante_volatility,
    feature_names,
    macd_halflife,
    macd_indicator,
    macd_response,
    macd_signal,
    normalised_returns,
    winsorise_prices,
)
from deepmomentum.features._multiscale import multiscale_features, multiscale_names

__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_MACD_PAIRS",
    "FEATURE_NAMES",
    "FeatureSet",
    "build_features",
    "daily_returns",
    "ex_ante_volatility",
    "feature_names",
    "features_to_long",
    "macd_halflife",
    "macd_indicator",
    "macd_response",
    "macd_signal",
    "multiscale_features",
    "multiscale_names",
    "normalised_returns",
    "winsorise_prices",
]
