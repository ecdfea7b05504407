"""Whether a Sharpe ratio, or a difference of two, is real: PSR, DSR and bootstrap intervals.

* Probabilistic Sharpe ratio (Bailey & López de Prado 2012, "The Sharpe ratio
  efficient frontier", *Journal of Risk* 15(2), eq. 11): the probability that
  the true Sharpe ratio exceeds a benchmark ``SR*``, given the sample's length,
  skewness and kurtosis::

      PSR(SR*) = Phi((SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))

  with ``SR`` and ``SR*`` per period (not annualised), ``g3`` the skewness and
  ``g4`` the (non-excess) kurtosis of the returns.
* Deflated Sharpe ratio (Bailey & López de Prado 2014, "The deflated Sharpe
  ratio", *Journal of Portfolio Management* 40(5), eqs. 1-2): the PSR against
  the Sharpe ratio the best of ``N`` skill-less trials would show::

      SR0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))

  ``V`` the variance of the trials' Sharpe ratios, ``gamma`` Euler-Mascheroni.
* Stationary-bootstrap percentile intervals for each Sharpe ratio and for the
  paired difference of two (:mod:`deepmomentum.metrics._bootstrap`).

Moments are the sample (biased) ones, ``SR = mean / std(ddof=1)``, as
:func:`deepmomentum.metrics.sharpe_standard_error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.metrics._bootstrap import (
    DEFAULT_N_BOOT,
    _percentile,
    optimal_block_length,
    paired_days,
    resampled_sharpes,
    sharpe_influence,
)

__all__ = [
    "SharpeInference",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
    "psr_from_moments",
    "sharpe_inference",
]

BOOTSTRAP_METHOD = (
    "stationary bootstrap (Politis & Romano 1994), mean block from Politis & White (2004) on the "
    "Sharpe ratio's influence function, percentile interval"
)


def _sample_moments(returns: pd.Series | np.ndarray) -> tuple[float, int, float, float]:
    """Per-period Sharpe ratio, days, skewness and (non-excess) kurtosis; NaN days dropped."""
    r = np.asarray(returns, dtype="float64")
    r = r[np.isfinite(r)]
    sd = float(np.std(r, ddof=1)) if r.size > 1 else 0.0
    if r.size < 4 or sd == 0:
        return float("nan"), int(r.size), float("nan"), float("nan")
    g3 = float(stats.skew(r))
    g4 = float(stats.kurtosis(r, fisher=False))
    return float(np.mean(r)) / sd, int(r.size), g3, g4


def psr_from_moments(
    sharpe: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0, benchmark: float = 0.0
) -> float:
    """Probabilistic Sharpe ratio from summary statistics (all Sharpe ratios per period).

    Parameters
    ----------
    sharpe : float
        Observed Sharpe ratio, per period (annualised / sqrt(periods a year)).
    n_obs : int
        Number of returns.
    skew : float, default 0
        Skewness of the returns.
    kurtosis : float, default 3
        Kurtosis, **not** excess (3 for normal returns).
    benchmark : float, default 0
        ``SR*``, per period.

    Returns
    -------
    float
        Probability in [0, 1]; NaN when an input is NaN, ``n_obs < 2`` or the
        variance term is not positive.
    """
    var = 1.0 - skew * sharpe + 0.25 * (kurtosis - 1.0) * sharpe**2
    if n_obs < 2 or not var > 0:
        return float("nan")
    z = (sharpe - benchmark) * np.sqrt(n_obs - 1.0) / np.sqrt(var)
    return float(stats.norm.cdf(z))


def probabilistic_sharpe_ratio(
    returns: pd.Series | np.ndarray,
    benchmark_sharpe: float = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Probability that the true Sharpe ratio of ``returns`` exceeds ``benchmark_sharpe``.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily returns, decimal (excess of cash); NaN days dropped.
    benchmark_sharpe : float, default 0
        ``SR*``, **annualised**; divided by ``sqrt(periods_per_year)`` before use.
    periods_per_year : int, default 252

    Returns
    -------
    float
        PSR in [0, 1] (Bailey & López de Prado 2012); NaN with fewer than 4 days
        or no variance.
    """
    sr, n, g3, g4 = _sample_moments(returns)
    return psr_from_moments(sr, n, g3, g4, benchmark_sharpe / np.sqrt(periods_per_year))


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent skill-less trials.

    ``sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))``
    (Bailey & López de Prado 2014, eq. 1); 0 for a single trial.

    Parameters
    ----------
    n_trials : int
        ``N``, at least 1.
    sr_variance : float
        ``V``, the variance of the trials' Sharpe ratios, in the squared units
        wanted for the result (per period or annualised).

    Returns
    -------
    float
        In the units of ``sqrt(sr_variance)``.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1:
        return 0.0
    gamma = float(np.euler_gamma)
    z = (1.0 - gamma) * stats.norm.ppf(1.0 - 1.0 / n_trials) + gamma * stats.norm.ppf(
        1.0 - 1.0 / (n_trials * np.e)
    )
    return float(np.sqrt(sr_variance) * z)


def deflated_sharpe_ratio(
    returns: pd.Series | np.ndarray,
    n_trials: int,
    trial_sharpes: Sequence[float] | np.ndarray | None = None,
    sr_variance: float | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Deflated Sharpe ratio: the PSR against the best Sharpe ratio of ``n_trials`` skill-less trials.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily returns of the selected strategy, decimal; NaN days dropped.
    n_trials : int
        Number of configurations the search really tried (all of them, not
        only the ones kept), at least 1.
    trial_sharpes : array-like of shape (n_trials,), optional
        **Annualised** Sharpe ratios of the trials, over comparable samples;
        their variance (ddof=1) is ``V``.
    sr_variance : float, optional
        ``V`` directly: the variance of the trials' **annualised** Sharpe ratios.
    periods_per_year : int, default 252

    Returns
    -------
    float
        DSR in [0, 1]. Without ``trial_sharpes`` or ``sr_variance``, ``V`` is
        the sampling variance of a Sharpe ratio with no skill over the same
        days, ``1 / (n - 1)`` per period: the trials are taken as independent
        noise, which overstates ``N`` (and the deflation) when they are correlated.
    """
    sr, n, g3, g4 = _sample_moments(returns)
    if trial_sharpes is not None:
        ts = np.asarray(trial_sharpes, dtype="float64")
        ts = ts[np.isfinite(ts)]
        sr_variance = float(np.var(ts, ddof=1)) if ts.size > 1 else float("nan")
    if sr_variance is None:
        v = 1.0 / (n - 1.0) if n > 1 else float("nan")
    else:
        v = sr_variance / periods_per_year
    return psr_from_moments(sr, n, g3, g4, expected_max_sharpe(n_trials, v))


@dataclass(frozen=True)
class SharpeInference:
    """Everything :func:`sharpe_inference` computed: one row per series, one per (series, benchmark).

    Attributes
    ----------
    sharpe : pd.DataFrame
        Index ``series``; columns ``n_days``, ``sharpe`` (annualised), ``psr``
        (vs 0), ``n_trials``, ``dsr`` (NaN when ``n_trials`` unknown),
        ``boot_low``, ``boot_high`` (annualised), ``mean_block`` (days).
    differences : pd.DataFrame
        Long form, one row per pair; columns ``series``, ``benchmark``,
        ``n_days`` (common days), ``difference`` (``SR(series) - SR(benchmark)``
        on those days, annualised), ``boot_low``, ``boot_high``, ``mean_block``.
    level, n_boot, seed, method
        The settings and how the intervals were made.
    """

    sharpe: pd.DataFrame
    differences: pd.DataFrame
    level: float
    n_boot: int
    seed: int
    method: str = BOOTSTRAP_METHOD

    def to_json(self) -> dict[str, Any]:
        """``{level, n_boot, seed, method, sharpe: {series: {...}}, differences: [{...}]}`` (NaN kept)."""
        return {
            "level": self.level,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "method": self.method,
            "sharpe": {str(k): {c: _plain(v) for c, v in row.items()} for k, row in self.sharpe.iterrows()},
            "differences": [{c: _plain(v) for c, v in row.items()} for _, row in self.differences.iterrows()],
        }


def _plain(value: Any) -> Any:
    """A JSON-ready Python scalar (NaN stays a float NaN, which the run folder writes as null)."""
    if value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _series_rows(
    frame: pd.DataFrame, trials: Mapping[str, int], level: float, n_boot: int, seed: int, ppy: int
) -> dict[str, dict[str, Any]]:
    """One row per column of ``frame``, whose columns all have returns on the same days."""
    data = frame.dropna().to_numpy(dtype="float64")
    rows: dict[str, dict[str, Any]] = {}
    for j, c in enumerate(map(str, frame.columns)):
        sr, n, g3, g4 = _sample_moments(data[:, j])
        n_tr = trials.get(c)
        rows[c] = {"n_days": n, "sharpe": sr * np.sqrt(ppy), "psr": psr_from_moments(sr, n, g3, g4)}
        rows[c] |= {"n_trials": n_tr, "dsr": float("nan")}
        if n_tr is not None:
            rows[c]["dsr"] = deflated_sharpe_ratio(data[:, j], n_tr, periods_per_year=ppy)
        rows[c] |= {"boot_low": float("nan"), "boot_high": float("nan"), "mean_block": float("nan")}
    ok = [j for j, c in enumerate(map(str, frame.columns)) if np.isfinite(rows[c]["sharpe"])]
    if len(data) < 10 or not ok:
        return rows
    # the columns share resamples: the longest block any of them needs
    block = max(optimal_block_length(sharpe_influence(data[:, j])) for j in ok)
    draws = resampled_sharpes(data[:, ok], block, n_boot, seed, ppy)
    for k, j in enumerate(ok):
        low, high = _percentile(draws[:, k], level)
        rows[str(frame.columns[j])] |= {"boot_low": low, "boot_high": high, "mean_block": block}
    return rows


def _pair_row(a: pd.Series, b: pd.Series, level: float, n_boot: int, seed: int, ppy: int) -> dict[str, Any]:
    both = paired_days(a, b)
    out: dict[str, Any] = {"series": a.name, "benchmark": b.name, "n_days": len(both)}
    diff = low = high = block = float("nan")
    if len(both) >= 10:
        sa, sb = (_sample_moments(both[:, j])[0] for j in (0, 1))
        diff = (sa - sb) * np.sqrt(ppy)
        block = optimal_block_length(sharpe_influence(both[:, 0]) - sharpe_influence(both[:, 1]))
        draws = resampled_sharpes(both, block, n_boot, seed, ppy)
        low, high = _percentile(draws[:, 0] - draws[:, 1], level)
    return out | {"difference": diff, "boot_low": low, "boot_high": high, "mean_block": block}


def sharpe_inference(
    returns: pd.DataFrame,
    benchmarks: Sequence[str] = (),
    n_trials: Mapping[str, int] | None = None,
    level: float = 0.9,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    pairs: Sequence[tuple[str, str]] | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> SharpeInference:
    """Sharpe ratio, PSR, DSR and bootstrap intervals per column, and paired differences.

    Parameters
    ----------
    returns : pd.DataFrame of shape (n_days, n_series)
        Daily returns per strategy, decimal, on one date index; NaN where a
        series has no return (each series uses its own days, each pair the
        days both have).
    benchmarks : sequence of str, default ()
        Columns to compare against: every other column is paired with each.
    n_trials : mapping of str to int, optional
        Configurations the search tried, per column: its DSR (the other
        columns get NaN). Variance of the trials' Sharpe ratios as
        :func:`deflated_sharpe_ratio`'s default.
    level : float, default 0.9
        Two-sided coverage of every interval.
    n_boot : int, default 2000
    seed : int, default 0
        Every resampling restarts ``np.random.default_rng(seed)``: reproducible.
        Columns with returns on exactly the same days (a strategy at several
        costs) share their resamples, with the longest block length any of them
        needs; each pair is resampled on its own.
    pairs : sequence of (series, benchmark), optional
        The pairs to compare, replacing the ones ``benchmarks`` implies.
    periods_per_year : int, default 252

    Returns
    -------
    SharpeInference
        ``.sharpe`` (one row per column) and ``.differences`` (one row per pair).
    """
    trials = dict(n_trials or {})
    groups: dict[bytes, list[Any]] = {}  # columns with returns on the same days
    for c in returns.columns:
        groups.setdefault(returns[c].notna().to_numpy().tobytes(), []).append(c)
    rows: dict[str, dict[str, Any]] = {}
    for cols in groups.values():
        rows |= _series_rows(returns[cols], trials, level, n_boot, seed, periods_per_year)
    rows = {str(c): rows[str(c)] for c in returns.columns}
    if pairs is None:
        pairs = [(str(c), b) for c in returns.columns if c not in benchmarks for b in benchmarks]
    diffs = [_pair_row(returns[a], returns[b], level, n_boot, seed, periods_per_year) for a, b in pairs]
    sharpe = pd.DataFrame.from_dict(rows, orient="index")
    sharpe["n_trials"] = sharpe["n_trials"].astype("Int64")
    sharpe.index.name = "series"
    cols = ["series", "benchmark", "n_days", "difference", "boot_low", "boot_high", "mean_block"]
    return SharpeInference(sharpe, pd.DataFrame(diffs, columns=cols), level, n_boot, seed)
