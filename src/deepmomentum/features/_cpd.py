"""Changepoint-detection (CPD) features: severity and location of a regime change, causal.

For each asset-day ``t`` and lookback ``l`` the returns in ``(t - l, t]`` are
standardised with that window's own mean and standard deviation, then two
Gaussian processes are fitted by exact marginal likelihood (see
:mod:`deepmomentum.features._cpd_gp`): a Matérn-3/2 kernel and a changepoint
kernel joining two Matérn-3/2 kernels with a sigmoid at location ``c``.
Following Wood, Roberts & Zohren (2021), "Slow Momentum with Fast Reversion",
Sec. "Changepoint detection" (the severity and location definitions)::

    nu_t    = 1 - 1 / (1 + exp(-(nlml_cpd - nlml_m32)))  = sigmoid(nlml_m32 - nlml_cpd)
    gamma_t = (c - (t - l)) / l                          in (0, 1)

``nu`` near 1 means the changepoint kernel explains the window much better
(a regime change); ``gamma`` near 1 means the change is recent.

Causality: a window only reads returns dated ``<= t``; the warm start of day
``t`` is the same asset's fit of day ``t - 1``; chunks (independent chains of
warm starts) are anchored at the first date, so truncating the input at ``D``
leaves every value dated ``<= D`` unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import torch

from deepmomentum._io import atomic_write_bytes
from deepmomentum.features._cpd_gp import CPD_BOUNDS, M32_BOUNDS, adam_fit, cpd_nlml, m32_nlml
from deepmomentum.features._cpd_ssm import cpd_nlml_ssm, m32_nlml_ssm

__all__ = ["DEFAULT_CPD_LOOKBACKS", "CPDSettings", "cpd_features", "cpd_fingerprint", "cpd_names"]

DEFAULT_CPD_LOOKBACKS: tuple[int, ...] = (21, 126)
CPD_VERSION = 1  # of the fitting algorithm; enters the cache fingerprint from 2 on
KALMAN_FROM_DAYS = 42  # measured by benchmarks/bench_cpd.py: dense Cholesky is faster for shorter windows


@dataclasses.dataclass(frozen=True)
class CPDSettings:
    """Settings of the CPD fit.

    All but ``batch_windows`` change the output and enter the cache fingerprint.

    Attributes
    ----------
    iters_cold : int
        Adam steps of a window without a warm start.
    iters_warm : int
        Adam steps of a window warm-started from the previous day's fit.
    refresh_fraction : float
        Every ``max(1, round(refresh_fraction * l))`` days of a chain (when the
        window has moved by this fraction of itself), a warm-started
        changepoint fit also tries fresh starts with the location at the
        window's quarters: a warm start can stay in a basin the data has left.
    iters_refresh : int
        Adam steps of each fresh start on such a day.
    lr : float
        Peak Adam step size (unconstrained units).
    every : int
        Fit every ``every``-th row of a chunk (from its first) and hold the
        value until the next fitted row (causal: the value shown on day t was
        fitted on a day <= t); 1: every day. 5 is about five times faster.
    chunk_days : int
        Rows per chunk (rounded up to a multiple of ``every``). Chunks are
        independent warm-start chains (each starts cold), fitted side by side
        in one batch and cached one file each.
    likelihood : {"auto", "kalman", "dense"}
        ``"kalman"``: the exact likelihood by a state-space filter, O(l) per
        window but one small step per day of the window (:mod:`._cpd_ssm`);
        ``"dense"``: the same value by a batched Cholesky, O(l^3)
        (:mod:`._cpd_gp`); ``"auto"``: dense below ``KALMAN_FROM_DAYS``
        (where its few large operations are faster), Kalman from there.
    batch_windows : int
        Most windows fitted in one batch (memory; does not change the output).
    """

    iters_cold: int = 200
    iters_warm: int = 20
    refresh_fraction: float = 0.1
    iters_refresh: int = 60
    lr: float = 0.05
    every: int = 1
    chunk_days: int = 63
    likelihood: Literal["auto", "kalman", "dense"] = "auto"
    batch_windows: int = 2048

    def __post_init__(self) -> None:
        for name in ("iters_cold", "iters_warm", "iters_refresh", "every", "chunk_days", "batch_windows"):
            if getattr(self, name) < 1:
                raise ValueError(f"CPDSettings.{name} must be >= 1, got {getattr(self, name)}")
        if self.likelihood not in ("auto", "kalman", "dense"):
            raise ValueError(f"CPDSettings.likelihood must be auto, kalman or dense, got {self.likelihood!r}")

    def refresh_every(self, lookback: int) -> int:
        """Days between fresh starts of the changepoint fit on windows of ``lookback`` days."""
        return max(1, round(self.refresh_fraction * lookback))

    def uses_kalman(self, lookback: int) -> bool:
        """Whether windows of ``lookback`` days are fitted with the Kalman likelihood."""
        return self.likelihood == "kalman" or (self.likelihood == "auto" and lookback >= KALMAN_FROM_DAYS)

    def fingerprint_fields(self) -> dict[str, object]:
        """The fields that change the output (the cache key).

        Fields added after the first release enter only when they differ from
        their default, so caches written before them stay valid.
        """
        fields = dataclasses.asdict(self)
        del fields["batch_windows"]
        if self.every == 1:
            del fields["every"]
        if CPD_VERSION != 1:  # bump when the fit changes: old caches are not reused
            fields["version"] = CPD_VERSION
        return fields


def cpd_names(lookbacks: Sequence[int] = DEFAULT_CPD_LOOKBACKS) -> list[str]:
    """Column names, in order: ``cpd_nu_<l>``, ``cpd_gamma_<l>`` for each lookback."""
    return [f"cpd_{kind}_{lb}" for lb in lookbacks for kind in ("nu", "gamma")]


def cpd_fingerprint(returns: pd.DataFrame, lookback: int, settings: CPDSettings) -> str:
    """SHA-256 (16 hex digits) of the symbols, the lookback and the output-changing settings.

    It names the cache folder; each chunk's file inside is named after the
    hash of the returns that chunk reads.
    """
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in returns.columns]).encode())
    h.update(json.dumps({"lookback": lookback, **settings.fingerprint_fields()}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _valid_windows(values: np.ndarray, lookback: int) -> np.ndarray:
    """(T, N) bool: the window ``(t - l, t]`` exists and holds ``l`` finite returns."""
    finite = np.isfinite(values).astype(np.int64)
    csum = np.vstack([np.zeros((1, values.shape[1]), np.int64), finite.cumsum(0)])
    count = np.zeros_like(finite)
    count[lookback - 1 :] = csum[lookback:] - csum[:-lookback]
    return count == lookback


def _standardised(
    values: np.ndarray, t: np.ndarray, i: np.ndarray, lookback: int
) -> tuple[np.ndarray, np.ndarray]:
    """Windows ending at rows ``t`` of columns ``i``, each z-scored on itself: (B, l) and a (B,) ok mask."""
    rows = t[:, None] + np.arange(-lookback + 1, 1)[None, :]
    y = values[rows, i[:, None]]
    sd = y.std(axis=1, ddof=1)
    ok = sd > 1e-12  # a flat window has no scale: no feature
    z = (y - y.mean(axis=1, keepdims=True)) / np.where(ok, sd, 1.0)[:, None]
    return z, ok


def _shift_location(theta_c: np.ndarray, days: int, lookback: int) -> np.ndarray:
    """Move the changepoint ``days`` earlier in the window (same calendar date), clipped inside."""
    out = theta_c.copy()
    frac = 1.0 / (1.0 + np.exp(-out[:, 5])) - days / lookback
    frac = np.clip(frac, 1e-3, 1 - 1e-3)
    out[:, 5] = np.log(frac / (1 - frac))
    return out


def _fit_windows(
    y: np.ndarray,
    warm_m: np.ndarray,
    warm_c: np.ndarray,
    has: np.ndarray,
    s: CPDSettings,
    device: torch.device,
    refresh: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit both models to a batch of windows.

    Parameters
    ----------
    y : numpy.ndarray
        Standardised windows, (B, l).
    warm_m, warm_c : numpy.ndarray
        Warm starts, (B, 3) and (B, 7); used where ``has``.
    has : numpy.ndarray
        (B,) bool, a warm start exists.
    s : CPDSettings
        Iteration budgets and step size.
    device : torch.device
        Where to fit.
    refresh : bool
        Also try the fresh starts (location at the window's quarters) where a
        warm start exists; they are always tried where it does not.

    Returns
    -------
    tuple of numpy.ndarray
        Matérn parameters (B, 3), changepoint parameters (B, 7), their NLMLs (B,), (B,).
    """
    b, n = y.shape
    yt = torch.as_tensor(y, dtype=torch.float64, device=device)
    cold_m = np.tile([math.log(n / 5), math.log(0.5), math.log(0.5)], (b, 1))
    th_m0 = torch.as_tensor(np.where(has[:, None], warm_m, cold_m), device=device)
    it = torch.as_tensor(np.where(has, s.iters_warm, s.iters_cold), device=device)
    f_m32, f_cpd = (m32_nlml_ssm, cpd_nlml_ssm) if s.uses_kalman(n) else (m32_nlml, cpd_nlml)
    th_m, f_m = adam_fit(lambda t: f_m32(t, yt), th_m0, it, M32_BOUNDS, s.lr)
    # Candidates: fresh starts from today's Matérn fit (location at the quarters of the window
    # when cold or refreshing), and the warm start; the best NLML of each window wins (multimodal).
    fresh_m = th_m.cpu().numpy()
    owner, init, budget = [], [], []
    use = ~has | refresh
    fresh_budget = np.where(has, s.iters_refresh, s.iters_cold)[use]
    for frac in (0.25, 0.5, 0.75):
        logit = math.log(frac / (1 - frac))
        start = np.c_[fresh_m[:, :2], fresh_m[:, :2], fresh_m[:, 2], np.full(b, logit), np.zeros(b)]
        owner.append(np.nonzero(use)[0])
        init.append(start[use])
        budget.append(fresh_budget)
    owner.append(np.nonzero(has)[0])
    init.append(warm_c[has])
    budget.append(np.full(int(has.sum()), s.iters_warm))
    own = np.concatenate(owner)
    yy = yt[torch.as_tensor(own, device=device)]
    th_c0 = torch.as_tensor(np.concatenate(init), device=device)
    it_c = torch.as_tensor(np.concatenate(budget), device=device)
    th_c, f_c = adam_fit(lambda t: f_cpd(t, yy), th_c0, it_c, CPD_BOUNDS, s.lr)
    f_all = np.full((4, b), np.inf)
    th_all = np.zeros((4, b, 7))
    pos = np.concatenate([np.full(len(o), j) for j, o in enumerate(owner)])
    f_all[pos, own], th_all[pos, own] = f_c.cpu().numpy(), th_c.cpu().numpy()
    pick = f_all.argmin(0)
    th_best, f_best = th_all[pick, np.arange(b)], f_all[pick, np.arange(b)]
    return fresh_m, th_best, f_m.cpu().numpy(), f_best


@dataclasses.dataclass
class _State:
    """Last fit of each (chain, asset); chain ``g`` warm-starts its next day from it."""

    theta_m: np.ndarray  # (G, N, 3)
    theta_c: np.ndarray  # (G, N, 7)
    has: np.ndarray  # (G, N) bool

    @classmethod
    def empty(cls, g: int, n: int) -> _State:
        return cls(np.zeros((g, n, 3)), np.zeros((g, n, 7)), np.zeros((g, n), bool))


def _run_step(
    values: np.ndarray,
    valid: np.ndarray,
    days: np.ndarray,
    chains: np.ndarray,
    lookback: int,
    st: _State,
    s: CPDSettings,
    dev: torch.device,
    refresh: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit every valid window of ``days`` (all assets), day ``days[k]`` on chain ``chains[k]``.

    Updates ``st`` and returns nu, gamma, each (len(days), N).
    """
    n_assets = values.shape[1]
    nu = np.full((len(days), n_assets), np.nan)
    gamma = np.full((len(days), n_assets), np.nan)
    st.has[chains] &= valid[days]  # an invalid day breaks the warm chain
    d_idx, i_idx = np.nonzero(valid[days])
    t_idx = days[d_idx]
    if len(t_idx) == 0:
        return nu, gamma
    y, ok = _standardised(values, t_idx, i_idx, lookback)
    st.has[chains[d_idx[~ok]], i_idx[~ok]] = False
    d_idx, i_idx, t_idx, y = d_idx[ok], i_idx[ok], t_idx[ok], y[ok]
    if len(t_idx) == 0:
        return nu, gamma
    g = chains[d_idx]
    has = st.has[g, i_idx]
    warm_c = _shift_location(st.theta_c[g, i_idx], s.every, lookback)
    th_m, th_c, f_m, f_c = _fit_windows(y, st.theta_m[g, i_idx], warm_c, has, s, dev, refresh)
    st.theta_m[g, i_idx], st.theta_c[g, i_idx], st.has[g, i_idx] = th_m, th_c, True
    nu[d_idx, i_idx] = 1.0 / (1.0 + np.exp(np.clip(f_c - f_m, -50, 50)))
    gamma[d_idx, i_idx] = 1.0 / (1.0 + np.exp(-th_c[:, 5]))
    return nu, gamma


def _run_chains(
    values: np.ndarray,
    valid: np.ndarray,
    spans: Sequence[tuple[int, int]],
    lookback: int,
    s: CPDSettings,
    dev: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """Nu and gamma (T, N) on the rows of ``spans``, each span an independent warm-started chain.

    The chains advance together, ``every`` days per step, so a step fits
    ``len(spans) * N`` windows in one batch; each chain starts cold.
    """
    nu = np.full(values.shape, np.nan)
    gamma = np.full(values.shape, np.nan)
    st = _State.empty(len(spans), values.shape[1])
    lo = np.array([a for a, _ in spans])
    hi = np.array([b for _, b in spans])
    k = s.every
    refresh_steps = max(1, round(s.refresh_every(lookback) / k))
    for step in range(-(-int((hi - lo).max()) // k)):
        live = np.nonzero(lo + step * k < hi)[0]
        days = lo[live] + step * k
        refresh = step % refresh_steps == 0  # the same day of every chain: batch-independent
        nu_d, gamma_d = _run_step(values, valid, days, live, lookback, st, s, dev, refresh)
        for j in range(k):  # held until the chain's next fitted day, where the day's own window is valid
            keep = days + j < hi[live]
            rows = days[keep] + j
            nu[rows] = np.where(valid[rows], nu_d[keep], np.nan)
            # the same changepoint, j days further back in day t + j's window
            held = np.clip(gamma_d[keep] - j / lookback, 0.0, 1.0)
            gamma[rows] = np.where(valid[rows], held, np.nan)
    return nu, gamma


def _chunk_key(returns: pd.DataFrame, lo: int, hi: int, lookback: int) -> str:
    """Hash (16 hex digits) of what chunk ``[lo, hi)`` reads: rows ``lo - l + 1 .. hi - 1``, dates, names."""
    part = returns.iloc[max(0, lo - lookback + 1) : hi]
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(part.to_numpy(dtype=np.float64)).tobytes())
    # Dates in the index's own unit: another unit is a cache miss, never a wrong hit.
    if isinstance(part.index, pd.DatetimeIndex):
        h.update(np.asarray(part.index.astype("int64")).tobytes())
    else:  # by value: the bytes of an object array would be addresses
        h.update(json.dumps([str(d) for d in part.index]).encode())
    h.update(json.dumps([str(c) for c in returns.columns]).encode())
    h.update(str(lo - max(0, lo - lookback + 1)).encode())
    return h.hexdigest()[:16]


@dataclasses.dataclass
class _Chunks:
    """One lookback's chunks: their rows, the values read back from the cache, and what is left to fit."""

    values: np.ndarray  # (T, N) returns
    valid: np.ndarray  # (T, N) bool, a full window ends here
    spans: list[tuple[int, int]]  # [lo, hi) rows of each chunk
    nu: np.ndarray  # (T, N), NaN where not yet fitted
    gamma: np.ndarray  # (T, N)
    todo: list[tuple[tuple[int, int], Path | None]]  # (span, cache file) of each chunk to fit


def _plan_chunks(returns: pd.DataFrame, lookback: int, s: CPDSettings, folder: Path | None) -> _Chunks:
    """Cut the rows into chunks anchored at the first date and read back the cached ones.

    Chunks of ``chunk_days`` rows are independent (each starts cold), so a
    chunk's values depend only on the returns it reads; its file is named
    after their hash. Appending new days therefore reuses every finished
    chunk, and an interrupted computation resumes from the chunks written.
    """
    values = returns.to_numpy(dtype=np.float64)
    n_days, n_assets = values.shape
    size = -(-s.chunk_days // s.every) * s.every  # whole strides: a chunk's first row is fitted
    spans = [(lo, min(n_days, lo + size)) for lo in range(0, n_days, size)]
    c = _Chunks(values, _valid_windows(values, lookback), spans, np.full(values.shape, np.nan),
                np.full(values.shape, np.nan), [])  # fmt: skip
    for lo, hi in spans:
        path = None
        if folder is not None:
            path = folder / f"chunk_{lo:05d}_{_chunk_key(returns, lo, hi, lookback)}.parquet"
        if path is not None and path.exists():
            part = pd.read_parquet(path)
            c.nu[lo:hi] = part["nu"].to_numpy().reshape(hi - lo, n_assets)
            c.gamma[lo:hi] = part["gamma"].to_numpy().reshape(hi - lo, n_assets)
        elif c.valid[lo:hi].any():
            c.todo.append(((lo, hi), path))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return c


def _fit_chunks(
    c: _Chunks,
    todo: Sequence[tuple[tuple[int, int], Path | None]],
    lookback: int,
    s: CPDSettings,
    dev: torch.device,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Fit the chunks of ``todo`` side by side, ``batch_windows`` at a time; fill ``c`` and write each file.

    ``progress(done, n_chunks)`` counts the chunks read back as done.
    """
    per_group = max(1, s.batch_windows // max(1, c.values.shape[1]))
    done = len(c.spans) - len(todo)
    for g0 in range(0, len(todo), per_group):
        group = todo[g0 : g0 + per_group]
        g_nu, g_gamma = _run_chains(c.values, c.valid, [span for span, _ in group], lookback, s, dev)
        for (lo, hi), path in group:
            c.nu[lo:hi], c.gamma[lo:hi] = g_nu[lo:hi], g_gamma[lo:hi]
            if path is not None:
                part = pd.DataFrame({"nu": c.nu[lo:hi].ravel(), "gamma": c.gamma[lo:hi].ravel()})
                atomic_write_bytes(path, part.to_parquet(index=False) or b"")
        done += len(group)
        if progress is not None:
            progress(done, len(c.spans))
    if not todo and progress is not None:
        progress(len(c.spans), len(c.spans))  # all read back: the bar still completes


def _run_lookback(
    returns: pd.DataFrame,
    lookback: int,
    s: CPDSettings,
    dev: torch.device,
    folder: Path | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nu and gamma (T, N) for one lookback: cached chunks read back from ``folder``, the others fitted."""
    c = _plan_chunks(returns, lookback, s, folder)
    _fit_chunks(c, c.todo, lookback, s, dev, progress)
    return c.nu, c.gamma


def _device(device: str | torch.device) -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpd_features(
    returns: pd.DataFrame,
    lookbacks: Sequence[int] = DEFAULT_CPD_LOOKBACKS,
    *,
    settings: CPDSettings | None = None,
    cache_dir: Path | str | None = None,
    device: str | torch.device = "auto",
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Changepoint severity and location per asset-day (Wood, Roberts & Zohren 2021).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily simple returns, (n_days, n_assets), dates ascending.
    lookbacks : sequence of int
        Window lengths ``l`` in trading days.
    settings : CPDSettings, optional
        Optimiser budgets, chunk size and likelihood.
    cache_dir : path, optional
        Folder of the resumable cache; results go to
        ``<cache_dir>/cpd-l<l>-<fingerprint>/``, one Parquet file per chunk of
        days named after the hash of the returns it reads.
    device : str or torch.device
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ...
    threads : int, optional
        Torch CPU threads during the fit (default: leave torch's setting).
    progress : callable, optional
        Called as ``progress(chunks_done, n_chunks)`` after each chunk.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``cpd_nu_<l>`` (severity in (0, 1)) and ``cpd_gamma_<l>`` (location in
        (0, 1), the fraction of the window before the changepoint), each
        (n_days, n_assets) like ``returns``; NaN before ``l`` returns exist,
        where the window has a missing return, or where it is flat.
    """
    s = settings or CPDSettings()
    dev = _device(device)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    out: dict[str, pd.DataFrame] = {}
    try:
        for lb in lookbacks:
            if lb < 3:
                raise ValueError(f"CPD lookback must be >= 3 days, got {lb}")
            folder = None
            if cache_dir is not None:
                folder = Path(cache_dir) / f"cpd-l{lb}-{cpd_fingerprint(returns, lb, s)}"
            nu, gamma = _run_lookback(returns, lb, s, dev, folder, progress)
            out[f"cpd_nu_{lb}"] = pd.DataFrame(nu, index=returns.index, columns=returns.columns)
            out[f"cpd_gamma_{lb}"] = pd.DataFrame(gamma, index=returns.index, columns=returns.columns)
    finally:
        torch.set_num_threads(old_threads)
    return out
