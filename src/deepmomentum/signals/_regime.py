"""Economic regimes: growth level against its trend, and its direction.

=============  ==============  ===========
regime         level vs trend  direction
=============  ==============  ===========
expansion      above           rising
slowdown       above           falling
contraction    below           falling
recovery       below           rising
=============  ==============  ===========

The macro version works on reference months and maps each month's regime to
the day its inputs were released (:func:`~deepmomentum.signals.macro_asof`),
so the regime dated t uses only data published by t. The market-implied
fallback uses the equity trend and the yield-curve slope from the price data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmomentum.exceptions import DataError
from deepmomentum.signals._macro import macro_asof

__all__ = [
    "REGIMES",
    "classify_growth",
    "growth_indicator",
    "macro_regime",
    "market_regime",
]

REGIMES: tuple[str, ...] = ("expansion", "slowdown", "contraction", "recovery")
UNKNOWN = "unknown"

_SERIES = {"cfnai": "CFNAI", "indpro": "INDPRO"}


def classify_growth(level: pd.Series, trend: pd.Series | float, direction_periods: int = 3) -> pd.Series:
    """Regime per observation from a growth indicator.

    Parameters
    ----------
    level : pd.Series of shape (n_obs,)
        The indicator (e.g. CFNAI 3-month average), oldest first.
    trend : pd.Series or float
        Its trend (0 for CFNAI, which is a deviation from trend growth).
    direction_periods : int, default 3
        Rising if the level is above its value this many observations ago.

    Returns
    -------
    pd.Series of str
        One of :data:`REGIMES`, or ``"unknown"`` where the inputs are missing.
    """
    change = level - level.shift(direction_periods)
    above = level > trend
    rising = change > 0
    known = level.notna() & change.notna()
    if isinstance(trend, pd.Series):
        known &= trend.notna()
    out = np.where(
        above, np.where(rising, "expansion", "slowdown"), np.where(rising, "recovery", "contraction")
    )
    return pd.Series(np.where(known, out, UNKNOWN), index=level.index, name="regime")


def growth_indicator(series: pd.Series, kind: str) -> tuple[pd.Series, pd.Series | float]:
    """The growth indicator and its trend, by reference month.

    ``cfnai``: the 3-month average of CFNAI against 0. ``indpro``: INDPRO's
    year-on-year change against its trailing 36-month mean (min 12 months).
    Both use only months <= the month they are dated.
    """
    if kind == "cfnai":
        return series.rolling(3, min_periods=3).mean(), 0.0
    if kind == "indpro":
        yoy = series / series.shift(12) - 1.0
        return yoy, yoy.rolling(36, min_periods=12).mean()
    raise DataError(f"unknown growth indicator {kind!r}; use cfnai or indpro")


def macro_regime(
    macro: dict[str, pd.Series],
    index: pd.DatetimeIndex,
    kind: str = "cfnai",
    inflation: bool = True,
) -> pd.DataFrame:
    """Daily regime from macro data, each value used only after its release.

    Parameters
    ----------
    macro : dict of str to pd.Series
        Series by reference date (:func:`load_macro_dir`); needs CFNAI or
        INDPRO (and CPIAUCSL for the inflation axis).
    index : pd.DatetimeIndex of shape (n_days,)
        Trading days.
    kind : {"cfnai", "indpro"}
    inflation : bool, default True
        Add the column ``inflation`` (``rising``/``falling``: CPI y/y above
        or below its value 3 months earlier).

    Returns
    -------
    pd.DataFrame
        Columns ``regime``, ``growth`` (the indicator as known at t), and
        optionally ``inflation``; ``unknown`` before the first release.
    """
    name = _SERIES.get(kind)
    if name is None:
        raise DataError(f"unknown growth indicator {kind!r}; use cfnai or indpro")
    if name not in macro:
        raise DataError(f"macro series {name} is missing from the macro folder (needed by {kind!r})")
    level, trend = growth_indicator(macro[name], kind)
    regime = classify_growth(level, trend)
    regime.name = name
    daily = macro_asof(regime, index, name).fillna(UNKNOWN)
    growth = level.copy()
    growth.name = name
    out = pd.DataFrame({"regime": daily.astype(str), "growth": macro_asof(growth, index, name)}, index=index)
    if inflation and "CPIAUCSL" in macro:
        cpi = macro["CPIAUCSL"]
        yoy = cpi / cpi.shift(12) - 1.0
        d = yoy - yoy.shift(3)
        label = pd.Series(np.where(d > 0, "rising", "falling"), index=yoy.index, name="CPIAUCSL")
        label = label[d.notna()]
        out["inflation"] = macro_asof(label, index, "CPIAUCSL").fillna(UNKNOWN).astype(str)
    out.index.name = "date"
    return out


def _confirm(raw: pd.Series, days: int) -> pd.Series:
    """Switch to a new label only after it held ``days`` days in a row (causal)."""
    values = raw.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    current, run_label, run = UNKNOWN, None, 0
    for i, v in enumerate(values):
        if v == run_label:
            run += 1
        else:
            run_label, run = v, 1
        if current == UNKNOWN or (v != current and run >= days):
            current = v
        out[i] = current
    return pd.Series(out, index=raw.index, name=raw.name)


def market_regime(
    prices: pd.DataFrame,
    equity: str | None = None,
    trend_days: int = 200,
    direction_days: int = 63,
    confirm_days: int = 5,
) -> pd.DataFrame:
    """Market-implied regime: equity trend and yield-curve slope (no macro data).

    - level: the equity above its ``trend_days`` simple moving average;
    - direction: its ``direction_days`` return is positive, and the yield
      curve (TNX - IRX, when both are in the data) is not inverted. An
      inverted curve counts as falling growth (late cycle).

    A new label must hold ``confirm_days`` days before the regime switches.

    Parameters
    ----------
    prices : pd.DataFrame of shape (n_days, n_instruments)
        The data's price panel (TNX, IRX as yields in percent when present).
    equity : str, optional
        The equity column; SPY if present, else the first column.

    Returns
    -------
    pd.DataFrame
        Columns ``regime``, ``growth`` (price / SMA - 1), ``curve`` (TNX - IRX, pp).
    """
    if equity is None:
        equity = "SPY" if "SPY" in prices.columns else str(prices.columns[0])
    if equity not in prices.columns:
        raise DataError(f"equity {equity!r} for the market-implied regime is not in the data")
    p = prices[equity]
    sma = p.rolling(trend_days, min_periods=trend_days).mean()
    level = p / sma - 1.0
    mom = p / p.shift(direction_days) - 1.0
    if {"TNX", "IRX"} <= set(prices.columns):
        curve = prices["TNX"] - prices["IRX"]
        inverted = (curve < 0).to_numpy()
    else:
        curve = pd.Series(np.nan, index=prices.index)
        inverted = np.zeros(len(prices), dtype=bool)
    above = (level > 0).to_numpy()
    rising = (mom > 0).to_numpy() & ~inverted
    known = (level.notna() & mom.notna()).to_numpy()
    raw = np.where(
        above, np.where(rising, "expansion", "slowdown"), np.where(rising, "recovery", "contraction")
    )
    raw_s = pd.Series(np.where(known, raw, UNKNOWN), index=prices.index, name="regime")
    out = pd.DataFrame(
        {"regime": _confirm(raw_s, confirm_days).astype(str), "growth": level, "curve": curve},
        index=prices.index,
    )
    out.index.name = "date"
    return out
