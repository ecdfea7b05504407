"""Deterministic synthetic demo universe.

A multi-asset panel generated from a fixed seed, so that every command runs
offline. It is *synthetic*: every output built on it says so.

The generator has, per instrument and day:

- GARCH(1, 1) volatility clustering around a class-specific annual vol;
- a factor structure: a global risk factor, one factor per asset class and
  an idiosyncratic part (cross-asset correlation, bonds hedging equities);
- regimes per asset class from a two-state Markov chain: *trending* (a slowly
  varying drift, an AR(1) with a half-life of months) and *mean-reverting*
  (returns pulled back against the last weeks' move);
- crisis episodes: weeks of falling equities and commodities with high vol,
  while bonds rally and the safe-haven currency strengthens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmomentum.data._market import MarketData
from deepmomentum.data._universe import AssetClass, Instrument, Role, Universe

__all__ = ["SYNTHETIC_SEED", "make_synthetic_market"]

#: The seed of the demo data; changing it changes every demo figure.
SYNTHETIC_SEED = 20190101


@dataclass(frozen=True)
class _ClassSpec:
    asset_class: AssetClass
    prefix: str
    sectors: tuple[str, ...]
    annual_vol: float
    global_beta: float  # loading on the global risk factor
    crisis_drift: float  # annualised drift during crises


_CLASSES = (
    _ClassSpec(AssetClass.EQUITY, "EQ", ("us", "europe", "japan", "emerging"), 0.18, 0.8, -0.9),
    _ClassSpec(AssetClass.BOND, "BD", ("short", "medium", "long"), 0.06, -0.3, 0.25),
    _ClassSpec(AssetClass.COMMODITY, "CM", ("energy", "metals", "agriculture"), 0.24, 0.5, -0.7),
    _ClassSpec(AssetClass.FX, "FX", ("g10", "em"), 0.09, 0.3, -0.2),
)

# Crisis episodes as (start, trading days), placed inside the default 2000-2025 span.
_CRISES = (("2002-06-03", 70), ("2008-09-02", 130), ("2011-08-01", 45), ("2020-02-24", 25))


def make_synthetic_market(
    n_per_class: int = 7,
    start: str = "2000-01-03",
    end: str = "2025-12-31",
    seed: int = SYNTHETIC_SEED,
    late_starters: bool = True,
) -> MarketData:
    """Generate the deterministic synthetic demo universe.

    Parameters
    ----------
    n_per_class : int, default 7
        Instruments per asset class (four classes: equity, bond, commodity, fx).
    start, end : str
        First and last business day.
    seed : int
        Random seed; the same seed gives identical prices.
    late_starters : bool, default True
        Let a few instruments start years later (NaN before their first price),
        as real ETFs do.

    Returns
    -------
    MarketData
        ``synthetic=True``; ``source`` names the generator and seed. Includes
        one benchmark (``SYN_MF``, a managed-futures-like index).
    """
    if n_per_class < 1:
        raise ValueError("n_per_class must be at least 1")
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, end, name="date")
    instruments, cls = _instruments(n_per_class)
    log_ret = _log_returns(rng, dates, cls)
    log_prices = np.cumsum(log_ret, axis=0)
    prices = 100.0 * np.exp(log_prices - log_prices[0])
    frame = pd.DataFrame(prices, index=dates, columns=[i.symbol for i in instruments])
    if late_starters:
        _delay_late_starters(frame, cls)
    frame["SYN_MF"] = _benchmark(frame, rng)
    instruments.append(
        Instrument(
            symbol="SYN_MF",
            asset_class=AssetClass.MANAGED_FUTURES,
            sector="trend",
            role=Role.BENCHMARK,
            description="synthetic managed-futures benchmark",
        )
    )
    return MarketData(
        universe=Universe(tuple(instruments)),
        prices=frame,
        source=f"synthetic (seed={seed})",
        synthetic=True,
    )


def _instruments(n_per_class: int) -> tuple[list[Instrument], np.ndarray]:
    """The tradable instruments, class by class, and each one's index into ``_CLASSES``."""
    instruments: list[Instrument] = []
    class_of: list[int] = []
    for k, spec in enumerate(_CLASSES):
        for j in range(n_per_class):
            sector = spec.sectors[j % len(spec.sectors)]
            instruments.append(
                Instrument(
                    symbol=f"SYN_{spec.prefix}{j + 1:02d}",
                    asset_class=spec.asset_class,
                    sector=sector,
                    role=Role.TRADABLE,
                    description=f"synthetic {spec.asset_class.value} ({sector})",
                )
            )
            class_of.append(k)
    return instruments, np.asarray(class_of)


def _crisis_days(dates: pd.DatetimeIndex) -> np.ndarray:
    """Boolean mask of shape (n_days,): the days inside a crisis episode."""
    crisis = np.zeros(len(dates), dtype=bool)
    for first, length in _CRISES:
        i0 = int(dates.searchsorted(pd.Timestamp(first)))
        crisis[i0 : i0 + length] = True
    return crisis


def _log_returns(rng: np.random.Generator, dates: pd.DatetimeIndex, cls: np.ndarray) -> np.ndarray:
    """Daily log returns of shape (n_days, n): factors, GARCH, regimes and crises (draws in a fixed order)."""
    n_days, n, n_cls = len(dates), len(cls), len(_CLASSES)
    vol = np.array([_CLASSES[c].annual_vol for c in cls]) * rng.uniform(0.7, 1.3, n) / np.sqrt(252)
    beta_g = np.array([_CLASSES[c].global_beta for c in cls]) * rng.uniform(0.6, 1.2, n)
    beta_c = rng.uniform(0.4, 0.8, n)
    idio = np.sqrt(np.clip(1.0 - beta_g**2 * 0.5 - beta_c**2 * 0.5, 0.1, None))
    crisis_drift = np.array([_CLASSES[c].crisis_drift for c in cls]) / 252
    premium = np.array([0.06, 0.02, 0.01, 0.0])[cls] / 252  # risk premia: equity, bond, commodity, fx
    # In each class one instrument in three is a safe haven that rallies in crises.
    crisis_drift = np.where((np.arange(n) % 3 == 2) & (cls != 1), -0.5 * crisis_drift, crisis_drift)
    crisis = _crisis_days(dates)

    # Regime chain per class: 0 trending, 1 mean-reverting; mean stay ~ 1.5 years.
    switch = rng.random((n_days, n_cls)) < 1.0 / 500
    regime = np.cumsum(switch, axis=0) % 2
    regime ^= rng.integers(0, 2, n_cls)

    shocks = rng.standard_normal((n_days, 1 + n_cls + n))
    trend_noise = rng.standard_normal((n_days, n))
    phi = 0.998  # AR(1) of the drift: half-life ~ 350 days
    trend_scale = 0.12 / 252  # stationary std of the annualised drift ~ 12% x vol ratio
    trend_sd = trend_scale * np.sqrt(1 - phi**2) * (vol * np.sqrt(252) / 0.15)

    omega, alpha, beta_garch = 0.02, 0.07, 0.91  # unit-variance GARCH(1,1)
    h = np.ones(n)
    eps_prev = np.zeros(n)
    drift = rng.standard_normal(n) * trend_scale
    recent = np.zeros(n)  # EWM of recent returns, for mean reversion
    log_ret = np.empty((n_days, n))
    for t in range(n_days):
        h = omega + alpha * eps_prev**2 + beta_garch * h
        z = (beta_g * shocks[t, 0] + beta_c * shocks[t, 1 + cls] + idio * shocks[t, 1 + n_cls :]) / np.sqrt(
            beta_g**2 + beta_c**2 + idio**2
        )
        stress = 2.5 if crisis[t] else 1.0
        eps = np.sqrt(h) * z
        drift = phi * drift + trend_sd * trend_noise[t]
        mr = regime[t, cls] == 1
        mu = premium + np.where(mr, -0.1 * recent + 0.3 * drift, drift)
        if crisis[t]:
            mu = mu + crisis_drift
        r = mu + vol * stress * eps
        log_ret[t] = r
        recent = 0.8 * recent + 0.2 * r
        eps_prev = eps
    return log_ret


def _delay_late_starters(frame: pd.DataFrame, cls: np.ndarray) -> None:
    """Two instruments per class after the first start later, at most 7 years in (in place)."""
    n_days = len(frame)
    for k in range(len(_CLASSES)):
        members = np.flatnonzero(cls == k)[1:3]
        for m, idx in enumerate(members):
            delay = int((2 + 3 * m + k) * 252) % (7 * 252)
            if delay and delay < n_days - 3 * 252:
                frame.iloc[:delay, idx] = np.nan


def _benchmark(frame: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """A managed-futures-like benchmark: 12-month trend on the equal-weight classes, lagged a day."""
    rets = frame.pct_change(fill_method=None)
    trend = (frame / frame.shift(252) - 1.0).apply(np.sign).shift(1)
    mf = (trend * rets).mean(axis=1).fillna(0.0) * 0.5 + rng.normal(0.0, 0.002, len(frame))
    return pd.Series(100.0 * np.cumprod(1.0 + mf.to_numpy()), index=frame.index)
