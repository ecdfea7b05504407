"""Stage 1, signals: positions per asset-day in [-1, 1].

Classical rules (long only, TSMOM, MACD) and the overlays of the managed-futures
system (economic regime with macro release lags, news sentiment). Learned
signals come from :mod:`deepmomentum.training` (walk-forward model positions).
"""

from deepmomentum.signals._classical import (
    TSMOM,
    LongOnly,
    MACDStrategy,
    Strategy,
    get_strategy,
    list_strategies,
)
from deepmomentum.signals._macro import RELEASE_LAGS, load_macro_dir, macro_asof, release_dates
from deepmomentum.signals._overlays import (
    COMPONENTS,
    combine_components,
    ml_signal,
    regime_frame,
    resolve_reversal,
)
from deepmomentum.signals._regime import (
    REGIMES,
    classify_growth,
    growth_indicator,
    macro_regime,
    market_regime,
)
from deepmomentum.signals._sentiment import load_sentiment
from deepmomentum.signals._sources import (
    ClassicalSignal,
    DmnSignal,
    SignalOutput,
    TrendModelSignal,
    oos_span,
)

__all__ = [
    "COMPONENTS",
    "REGIMES",
    "RELEASE_LAGS",
    "TSMOM",
    "ClassicalSignal",
    "DmnSignal",
    "LongOnly",
    "MACDStrategy",
    "SignalOutput",
    "Strategy",
    "TrendModelSignal",
    "classify_growth",
    "combine_components",
    "get_strategy",
    "growth_indicator",
    "list_strategies",
    "load_macro_dir",
    "load_sentiment",
    "macro_asof",
    "macro_regime",
    "market_regime",
    "ml_signal",
    "oos_span",
    "regime_frame",
    "release_dates",
    "resolve_reversal",
]
