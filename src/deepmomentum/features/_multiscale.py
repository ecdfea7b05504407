"""Multi-timeframe inputs of the managed-futures trend model (returns, vol, MACD at several horizons)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from deepmomentum.features._builder import FeatureSet
from deepmomentum.features._features import (
    DEFAULT_MACD_PAIRS,
    daily_returns,
    ex_ante_volatility,
    macd_indicator,
    normalised_returns,
    winsorise_prices,
)

__all__ = ["multiscale_features", "multiscale_names"]

DEFAULT_RETURN_HORIZONS: tuple[int, ...] = (1, 5, 21, 63, 126, 252)
DEFAULT_VOL_SPANS: tuple[int, ...] = (21, 63, 252)


def multiscale_names(
    return_horizons: Sequence[int] = DEFAULT_RETURN_HORIZONS,
    vol_spans: Sequence[int] = DEFAULT_VOL_SPANS,
    macd_pairs: Sequence[tuple[int, int]] = DEFAULT_MACD_PAIRS,
) -> list[str]:
    """Feature names, in order: ``norm_ret_<k>``, ``vol_ratio_<a>_<b>``, ``macd_<S>_<L>``."""
    spans = list(vol_spans)
    return (
        [f"norm_ret_{k}" for k in return_horizons]
        + [f"vol_ratio_{a}_{b}" for a, b in pairwise(spans)]
        + [f"macd_{s}_{lg}" for s, lg in macd_pairs]
    )


def multiscale_features(
    prices: pd.DataFrame,
    return_horizons: Sequence[int] = DEFAULT_RETURN_HORIZONS,
    vol_spans: Sequence[int] = DEFAULT_VOL_SPANS,
    macd_pairs: Sequence[tuple[int, int]] = DEFAULT_MACD_PAIRS,
    vol_span: int = 60,
    winsorise: bool = True,
    clip: float = 10.0,
) -> FeatureSet:
    """Causal multi-timeframe features of every asset-day.

    - ``norm_ret_<k>``: the return over k days over ``sigma_t sqrt(k)``;
    - ``vol_ratio_<a>_<b>``: ``log(sigma_a / sigma_b)`` of EWM vols with spans a < b
      (vol regime at several horizons);
    - ``macd_<S>_<L>``: the normalised MACD indicators (Baz et al.).

    Parameters
    ----------
    prices : pd.DataFrame of shape (n_days, n_assets)
        Adjusted closes.
    return_horizons, vol_spans, macd_pairs : sequences
        Horizons in trading days.
    vol_span : int, default 60
        EWM span of the ex-ante vol ``sigma_t`` (returned as ``daily_vol``).
    winsorise : bool, default True
        Clip prices causally (EWM half-life 252, +-5 std) before the features.
    clip : float, default 10
        Features are clipped to [-clip, clip] (pointwise, causal).

    Returns
    -------
    FeatureSet
        ``returns`` and ``daily_vol`` are those of the raw prices.
    """
    raw_returns = daily_returns(prices)
    raw_vol = ex_ante_volatility(raw_returns, span=vol_span)
    src = winsorise_prices(prices) if winsorise else prices
    src_ret = daily_returns(src)
    vol = ex_ante_volatility(src_ret, span=vol_span)
    feats: dict[str, pd.DataFrame] = {}
    for k in return_horizons:
        feats[f"norm_ret_{k}"] = normalised_returns(src, vol, k)
    spans = list(vol_spans)
    vols = {s: ex_ante_volatility(src_ret, span=s) for s in spans}
    for a, b in pairwise(spans):
        with np.errstate(divide="ignore", invalid="ignore"):
            feats[f"vol_ratio_{a}_{b}"] = pd.DataFrame(np.log(vols[a] / vols[b]))
    for s, lg in macd_pairs:
        feats[f"macd_{s}_{lg}"] = macd_indicator(src, s, lg)
    feats = {k: v.replace([np.inf, -np.inf], np.nan).clip(-clip, clip) for k, v in feats.items()}
    return FeatureSet(
        features=feats,
        returns=raw_returns,
        daily_vol=raw_vol,
        names=multiscale_names(return_horizons, vol_spans, macd_pairs),
    )
