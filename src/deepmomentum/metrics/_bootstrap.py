"""Stationary-bootstrap intervals for the Sharpe ratio and for paired Sharpe differences.

The stationary bootstrap (Politis & Romano 1994, "The stationary bootstrap",
*JASA* 89) resamples a series in blocks that start at a uniformly drawn day
and have geometric lengths of mean ``mean_block`` days, wrapping around the
end of the sample; the resampled series is stationary and keeps the serial
dependence up to about the block length.

The mean block length, unless given, is the Politis & White (2004) automatic
rule with the Patton, Politis & White (2009) correction, applied to the
estimated influence function of the statistic (see :func:`sharpe_influence`):
the series whose mean drives the Sharpe ratio's sampling error, so both serial
correlation of returns and (through the squared term) volatility clustering
count.

Intervals are percentile intervals of the resampled annualised Sharpe ratios
(not BCa: the jackknife acceleration does not carry over to dependent data).
A paired interval resamples the *same days* for both series, so what the two
share (market moves, common positions) cancels in the difference.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR

__all__ = [
    "DEFAULT_N_BOOT",
    "optimal_block_length",
    "paired_sharpe_difference_interval",
    "resampled_sharpes",
    "sharpe_bootstrap_interval",
    "sharpe_influence",
    "stationary_bootstrap_indices",
]

#: Resamples per interval: the 5% and 95% quantiles rest on ~100 resamples each.
DEFAULT_N_BOOT = 2000
# Resamples drawn at once: bounds memory to a few tens of MB for long series.
_CHUNK_ELEMENTS = 2_000_000


def stationary_bootstrap_indices(
    n: int, mean_block: float, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Day indices of ``n_boot`` stationary-bootstrap resamples (Politis & Romano 1994).

    Each resample is a chain of blocks: day 0 starts a block; each later day
    starts a new block with probability ``1 / mean_block`` (so block lengths
    are geometric with mean ``mean_block``), otherwise it follows the previous
    day. A block starts at a uniformly drawn day and wraps from ``n - 1`` to 0.

    Parameters
    ----------
    n : int
        Length of the series (days), at least 1.
    mean_block : float
        Expected block length in days, at least 1 (1 is the i.i.d. bootstrap).
    n_boot : int
        Number of resamples.
    rng : numpy.random.Generator
        Source of randomness (e.g. ``np.random.default_rng(seed)``).

    Returns
    -------
    np.ndarray of shape (n_boot, n), integer (int32 unless ``2 n n_boot >= 2**31``)
        Row ``b`` indexes the days of resample ``b``.
    """
    if n < 1 or n_boot < 0:
        raise ValueError(f"need n >= 1 and n_boot >= 0, got n={n}, n_boot={n_boot}")
    if not mean_block >= 1:
        raise ValueError(f"mean_block must be >= 1 day, got {mean_block}")
    # 16-bit uniforms: p resolved to 1/65536, four times cheaper than floats
    new_block = rng.integers(0, 65536, size=(n_boot, n), dtype=np.uint16) < round(65536 / mean_block)
    new_block[:, 0] = True
    flat = new_block.ravel()
    itype = np.int32 if 2 * flat.size < 2**31 else np.int64  # int32 halves the memory traffic
    block = np.cumsum(flat, dtype=itype) - 1  # block number of each cell (rows never share one)
    first_cell: np.ndarray = np.flatnonzero(flat).astype(itype)
    first_day: np.ndarray = rng.integers(0, n, size=first_cell.size, dtype=itype)
    shift = first_day - first_cell
    # a block's k-th cell is day first_day + k, wrapped once at most (blocks are <= n days)
    idx = (np.arange(flat.size, dtype=itype) + shift[block]).reshape(n_boot, n)
    idx[idx >= n] -= n
    return idx


def optimal_block_length(x: np.ndarray | pd.Series) -> float:
    """Politis & White (2004) automatic mean block length for the stationary bootstrap.

    With the Patton, Politis & White (2009) correction: ``b = (2 G^2 / D)^(1/3) n^(1/3)``,
    ``G = sum_k h(k/M) |k| R(k)``, ``D = 2 (sum_k h(k/M) R(k))^2``, sums over
    ``|k| <= M``, ``h`` the flat-top kernel ``min(1, 2 (1 - |t|))``, ``R`` the
    sample autocovariances (divisor ``n``). ``M = 2 m``, ``m`` the first lag after
    which ``K = max(5, log10 n)`` autocorrelations in a row lie inside
    ``±2 sqrt(log10(n) / n)``; ``M <= sqrt(n) + K``.

    Parameters
    ----------
    x : array-like of shape (n_observations,)
        The series (NaN dropped).

    Returns
    -------
    float
        Mean block length in days, in ``[1, min(3 sqrt(n), n / 3)]``; 1 for a
        series too short (< 10 days) or without variance.
    """
    arr = np.asarray(x, dtype="float64")
    arr = arr[np.isfinite(arr)]
    n = arr.size
    if n < 10:
        return 1.0
    dev = arr - arr.mean()
    k_n = max(5, int(np.log10(n)))
    m_max = min(int(np.ceil(np.sqrt(n))) + k_n, n - 1)
    acov = np.array([dev[k:] @ dev[: n - k] / n for k in range(m_max + 1)])
    if acov[0] <= 0:
        return 1.0
    inside = np.abs(acov[1:] / acov[0]) < 2.0 * np.sqrt(np.log10(n) / n)  # lags 1 .. m_max
    # first lag that starts K insignificant autocorrelations in a row (Patton's code: at least 1)
    runs = [m for m in range(1, m_max - k_n + 2) if inside[m - 1 : m - 1 + k_n].all()]
    big_m = min(2 * runs[0], m_max) if runs else m_max
    lags = np.arange(1, big_m + 1)
    h = np.minimum(1.0, 2.0 * (1.0 - lags / big_m))
    g = 2.0 * np.sum(h * lags * acov[1 : big_m + 1])
    s2 = acov[0] + 2.0 * np.sum(h * acov[1 : big_m + 1])
    if s2 <= 0:
        return 1.0
    b = (2.0 * g**2 / (2.0 * s2**2)) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    b_max = float(np.ceil(min(3.0 * np.sqrt(n), n / 3.0)))
    return float(np.clip(b, 1.0, b_max))


def sharpe_influence(returns: np.ndarray) -> np.ndarray:
    """Estimated influence function of the Sharpe ratio, per day.

    ``psi_t = z_t - SR / 2 (z_t^2 - 1)``, ``z_t = (r_t - mean) / std``, ``SR`` per
    period: the sample Sharpe ratio is, to first order, ``SR + mean(psi)``, so
    the dependence of ``psi`` is what a block bootstrap must keep.

    Parameters
    ----------
    returns : np.ndarray of shape (n_observations,)
        Daily returns, decimal, no NaN.

    Returns
    -------
    np.ndarray of shape (n_observations,)
        Dimensionless; zeros when the returns have no variance.
    """
    sd = float(np.std(returns, ddof=1)) if returns.size > 1 else 0.0
    if sd == 0:
        return np.zeros_like(returns, dtype="float64")
    z = (returns - returns.mean()) / sd
    sr = float(returns.mean()) / sd
    return np.asarray(z - 0.5 * sr * (z**2 - 1.0), dtype="float64")


def _index_chunks(n: int, mean_block: float, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """:func:`stationary_bootstrap_indices` in chunks of rows (one generator, so reproducible)."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n_boot, per_chunk):
        yield stationary_bootstrap_indices(n, mean_block, min(per_chunk, n_boot - start), rng)


def _row_sharpe(x: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of each row (ddof=1); NaN for a row without variance."""
    sd = x.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, x.mean(axis=1) / sd, np.nan)


def resampled_sharpes(
    series: np.ndarray,
    mean_block: float,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> np.ndarray:
    """Annualised Sharpe ratio of each column on each stationary-bootstrap resample.

    All columns are resampled on the same days, so differences of columns are
    paired.

    Parameters
    ----------
    series : np.ndarray of shape (n_days, n_series)
        Daily returns, decimal, no NaN.
    mean_block : float
        Mean block length in days.
    n_boot : int, default 2000
    seed : int, default 0
        Seeds ``np.random.default_rng``: same seed and length, same resamples.
    periods_per_year : int, default 252

    Returns
    -------
    np.ndarray of shape (n_boot, n_series)
        Annualised; NaN for a resample without variance.
    """
    n, k = series.shape
    columns = np.ascontiguousarray(series.T)  # a contiguous source makes the gathers cheap
    out = np.empty((n_boot, k))
    row = 0
    for idx in _index_chunks(n, mean_block, n_boot, seed):
        for j in range(k):
            out[row : row + len(idx), j] = _row_sharpe(columns[j][idx])
        row += len(idx)
    return out * np.sqrt(periods_per_year)


def _percentile(draws: np.ndarray, level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    ok = draws[np.isfinite(draws)]
    if ok.size < 2:
        return float("nan"), float("nan")
    low, high = np.quantile(ok, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(low), float(high)


def sharpe_bootstrap_interval(
    returns: pd.Series | np.ndarray,
    level: float = 0.9,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    mean_block: float | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> tuple[float, float]:
    """Stationary-bootstrap percentile interval for the annualised Sharpe ratio.

    Parameters
    ----------
    returns : array-like of shape (n_observations,)
        Daily returns, decimal (excess of cash); NaN days dropped.
    level : float, default 0.9
        Two-sided coverage.
    n_boot : int, default 2000
    seed : int, default 0
    mean_block : float, optional
        Mean block length in days; default :func:`optimal_block_length` of
        :func:`sharpe_influence`.
    periods_per_year : int, default 252

    Returns
    -------
    (low, high) : tuple of float
        Annualised; NaN when fewer than 10 days remain.
    """
    r = np.asarray(returns, dtype="float64")
    r = r[np.isfinite(r)]
    if r.size < 10:
        return float("nan"), float("nan")
    block = optimal_block_length(sharpe_influence(r)) if mean_block is None else mean_block
    draws = resampled_sharpes(r[:, None], block, n_boot, seed, periods_per_year)[:, 0]
    return _percentile(draws, level)


def paired_days(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """The days both series have, as an array of shape (n_common, 2) (pandas aligned on the index)."""
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        both = pd.concat([a, b], axis=1).to_numpy(dtype="float64")
    else:
        both = np.column_stack([np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")])
    return both[np.isfinite(both).all(axis=1)]


def paired_sharpe_difference_interval(
    a: pd.Series | np.ndarray,
    b: pd.Series | np.ndarray,
    level: float = 0.9,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    mean_block: float | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> tuple[float, float]:
    """Stationary-bootstrap percentile interval for ``SR(a) - SR(b)`` over the same days.

    Days where either series is NaN are dropped; each resample draws the same
    days for both series, and the difference is taken on each resample.

    Parameters
    ----------
    a, b : array-like of shape (n_observations,)
        Daily returns, decimal; pandas Series are aligned on their index,
        arrays must have the same length.
    level, n_boot, seed, periods_per_year
        As :func:`sharpe_bootstrap_interval`.
    mean_block : float, optional
        Default: :func:`optimal_block_length` of the difference of the two
        series' :func:`sharpe_influence`.

    Returns
    -------
    (low, high) : tuple of float
        Annualised Sharpe difference; NaN when fewer than 10 common days.
    """
    both = paired_days(a, b)
    if len(both) < 10:
        return float("nan"), float("nan")
    if mean_block is None:
        mean_block = optimal_block_length(sharpe_influence(both[:, 0]) - sharpe_influence(both[:, 1]))
    draws = resampled_sharpes(both, mean_block, n_boot, seed, periods_per_year)
    return _percentile(draws[:, 0] - draws[:, 1], level)
