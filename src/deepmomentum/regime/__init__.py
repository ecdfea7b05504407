"""Economic regimes (macro with release lags, or market-implied) and news sentiment."""

from deepmomentum.regime._macro import RELEASE_LAGS, load_macro_dir, macro_asof, release_dates
from deepmomentum.regime._regime import (
    REGIMES,
    classify_growth,
    growth_indicator,
    macro_regime,
    market_regime,
)
from deepmomentum.regime._sentiment import load_sentiment

__all__ = [
    "REGIMES",
    "RELEASE_LAGS",
    "classify_growth",
    "growth_indicator",
    "load_macro_dir",
    "load_sentiment",
    "macro_asof",
    "macro_regime",
    "market_regime",
    "release_dates",
]
