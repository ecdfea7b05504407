"""Assemble the network inputs and targets from a price panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.features._features import (
    DEFAULT_HORIZONS,
    DEFAULT_MACD_PAIRS,
    daily_returns,
    ex_ante_volatility,
    feature_names,
    macd_indicator,
    normalised_returns,
    winsorise_prices,
)

__all__ = ["FeatureSet", "build_features", "features_to_long"]


@dataclass(frozen=True)
class FeatureSet:
    """Features of every asset-day, plus what the backtest and losses need.

    Attributes
    ----------
    features : dict of str to pd.DataFrame
        Each of shape (n_days, n_assets); keys in :attr:`names` order.
    returns : pd.DataFrame of shape (n_days, n_assets)
        Raw daily returns r_t (not winsorised), decimal: what a position earns.
    daily_vol : pd.DataFrame of shape (n_days, n_assets)
        Ex-ante daily vol sigma_t of the raw returns (EWM span 60).
    names : list of str
        Feature names in order.
    """

    features: dict[str, pd.DataFrame]
    returns: pd.DataFrame
    daily_vol: pd.DataFrame
    names: list[str] = field(default_factory=list)

    def to_array(self) -> np.ndarray:
        """Stack the features, shape (n_days, n_assets, n_features), float32."""
        return np.stack([self.features[n].to_numpy(dtype="float32") for n in self.names], axis=-1)

    @property
    def index(self) -> pd.DatetimeIndex:
        """Trading days."""
        return pd.DatetimeIndex(self.returns.index)

    @property
    def symbols(self) -> list[str]:
        """Assets, in column order."""
        return [str(c) for c in self.returns.columns]


def build_features(
    prices: pd.DataFrame,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    macd_pairs: Sequence[tuple[int, int]] = DEFAULT_MACD_PAIRS,
    vol_span: int = 60,
    winsorise: bool = True,
    winsorise_halflife: int = 252,
    winsorise_n_std: float = 5.0,
    *,
    cpd_lookbacks: Sequence[int] = (),
    cpd_cache_dir: Path | str | None = None,
    cpd_device: str = "auto",
    cpd_progress: Callable[[int, int, int], None] | None = None,
    cpd_every: int = 1,
) -> FeatureSet:
    """Compute the normalised returns and MACD indicators of every asset-day.

    Parameters
    ----------
    prices : pd.DataFrame of shape (n_days, n_assets)
        Adjusted closes.
    horizons : sequence of int, default (1, 21, 63, 126, 252)
        Horizons k of the normalised returns, trading days.
    macd_pairs : sequence of (int, int), default ((8, 24), (16, 48), (32, 96))
        (S, L) timescales of the MACD indicators.
    vol_span : int, default 60
        EWM span of the ex-ante volatility.
    winsorise : bool, default True
        Clip prices causally at EWM(half-life 252) mean +- 5 std before
        computing the features, as the reference code does. The returns and
        vol used for P&L are always the raw ones.
    winsorise_halflife, winsorise_n_std : int, float
        Parameters of the winsorisation.
    cpd_lookbacks : sequence of int, default ()
        Also append the changepoint severity and location ``cpd_nu_<l>``,
        ``cpd_gamma_<l>`` of each lookback ``l`` (Wood, Roberts & Zohren, 2021),
        fitted on the (winsorised) daily returns; empty: the eight inputs only.
    cpd_cache_dir : path, optional
        Resumable cache of the CPD fits (see
        :func:`deepmomentum.features.cpd_features`); None: no cache.
    cpd_device : str, default "auto"
        Torch device of the CPD fits.
    cpd_progress : callable, optional
        Called as ``cpd_progress(lookback, chunks_done, n_chunks)`` while the CPD fits run.
    cpd_every : int, default 1
        Fit the CPD features every this many days and hold them in between
        (see :class:`deepmomentum.features.CPDSettings`).

    Returns
    -------
    FeatureSet
    """
    raw_returns = daily_returns(prices)
    raw_vol = ex_ante_volatility(raw_returns, span=vol_span)
    src = winsorise_prices(prices, winsorise_halflife, winsorise_n_std) if winsorise else prices
    vol = ex_ante_volatility(daily_returns(src), span=vol_span) if winsorise else raw_vol
    feats: dict[str, pd.DataFrame] = {}
    for k in horizons:
        feats[f"norm_ret_{k}"] = normalised_returns(src, vol, k)
    for s, long in macd_pairs:
        feats[f"macd_{s}_{long}"] = macd_indicator(src, s, long)
    # A zero vol (a constant price) gives inf; treat it as missing, never as a signal.
    names = feature_names(horizons, macd_pairs)
    if cpd_lookbacks:
        cpd = _cpd_features(
            daily_returns(src), list(cpd_lookbacks), cpd_cache_dir, cpd_device, cpd_progress, cpd_every
        )
        cpd_cols = [f"cpd_{kind}_{lb}" for lb in cpd_lookbacks for kind in ("nu", "gamma")]
        feats |= {n: cpd[n].reindex(index=prices.index, columns=prices.columns) for n in cpd_cols}
        names = [*names, *cpd_cols]
    feats = {k: v.replace([np.inf, -np.inf], np.nan) for k, v in feats.items()}
    return FeatureSet(features=feats, returns=raw_returns, daily_vol=raw_vol, names=names)


def _cpd_features(
    returns: pd.DataFrame,
    lookbacks: list[int],
    cache_dir: Path | str | None,
    device: str,
    progress: Callable[[int, int, int], None] | None,
    every: int,
) -> dict[str, pd.DataFrame]:
    """The CPD inputs (imported lazily: torch and the GP fits are only needed when asked for)."""
    from deepmomentum.features._cpd import CPDSettings, cpd_features

    out: dict[str, pd.DataFrame] = {}
    settings = CPDSettings(every=every)
    for lb in lookbacks:  # one call per lookback so the progress callback knows which
        hook = None if progress is None else (lambda d, t, lb=lb: progress(lb, d, t))
        out |= cpd_features(
            returns, (lb,), settings=settings, cache_dir=cache_dir, device=device, progress=hook
        )
    return out


def features_to_long(fs: FeatureSet, include_vol: bool = True) -> pd.DataFrame:
    """Long form: columns date, symbol, one column per feature (and returns, vol).

    Rows where every feature is missing are dropped.
    """
    parts = dict(fs.features)
    if include_vol:
        parts = {"return": fs.returns, "daily_vol": fs.daily_vol, **parts}
    stacked = pd.concat({k: v.stack(future_stack=True) for k, v in parts.items()}, axis=1)
    stacked.index.names = ["date", "symbol"]
    stacked = stacked.dropna(how="all", subset=fs.names)
    return stacked.reset_index()
