"""Causal features: returns, ex-ante vol, normalised returns, MACD indicators, changepoint scores."""

from deepmomentum.features._builder import FeatureSet, build_features, features_to_long
from deepmomentum.features._cpd import (
    DEFAULT_CPD_LOOKBACKS,
    CPDSettings,
    cpd_features,
    cpd_fingerprint,
    cpd_names,
)
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
    "DEFAULT_CPD_LOOKBACKS",
    "DEFAULT_HORIZONS",
    "DEFAULT_MACD_PAIRS",
    "FEATURE_NAMES",
    "CPDSettings",
    "FeatureSet",
    "build_features",
    "cpd_features",
    "cpd_fingerprint",
    "cpd_names",
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
