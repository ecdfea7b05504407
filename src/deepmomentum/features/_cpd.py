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
``t`` is the same asset's fit of day ``t - days_per_step``; chunks are anchored
at the first date, so truncating the input at ``D`` leaves every value dated
``<= D`` unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from deepmomentum._io import atomic_write_bytes
from deepmomentum.features._cpd_gp import CPD_BOUNDS, M32_BOUNDS, adam_fit, cpd_nlml, m32_nlml

__all__ = ["DEFAULT_CPD_LOOKBACKS", "CPDSettings", "cpd_features", "cpd_fingerprint", "cpd_names"]

DEFAULT_CPD_LOOKBACKS: tuple[int, ...] = (21, 126)


@dataclasses.dataclass(frozen=True)
class CPDSettings:
    """Settings of the CPD fit that change its output (all enter the cache fingerprint).

    Attributes
    ----------
    iters_cold : int
        Adam steps of a window without a warm start.
    iters_warm : int
        Adam steps of a warm-started window.
    lr : float
        Peak Adam step size (unconstrained units).
    days_per_step : int
        Days fitted together per step; day ``t`` is warm-started from day
        ``t - days_per_step`` (1: the previous day).
    chunk_days : int
        Days per cache chunk (rounded up to a multiple of ``days_per_step``).
    """

    iters_cold: int = 200
    iters_warm: int = 60
    lr: float = 0.05
    days_per_step: int = 1
    chunk_days: int = 252


def cpd_names(lookbacks: Sequence[int] = DEFAULT_CPD_LOOKBACKS) -> list[str]:
    """Column names, in order: ``cpd_nu_<l>``, ``cpd_gamma_<l>`` for each lookback."""
    return [f"cpd_{kind}_{lb}" for lb in lookbacks for kind in ("nu", "gamma")]


def cpd_fingerprint(returns: pd.DataFrame, lookback: int, settings: CPDSettings) -> str:
    """SHA-256 (16 hex digits) of the returns (values, dates, columns), the lookback and the settings."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(returns.to_numpy(dtype=np.float64)).tobytes())
    h.update(np.asarray(returns.index.asi8 if hasattr(returns.index, "asi8") else returns.index).tobytes())
    h.update(json.dumps([str(c) for c in returns.columns]).encode())
    h.update(json.dumps({"lookback": lookback, **dataclasses.asdict(settings)}, sort_keys=True).encode())
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
    th_m, f_m = adam_fit(lambda t: m32_nlml(t, yt), th_m0, it, M32_BOUNDS, s.lr)
    # Candidates: fresh starts from today's Matérn fit (location at the quarters when cold, mid-window
    # when warm), and the warm start; the best NLML of each window wins (the landscape is multimodal).
    fresh_m = th_m.cpu().numpy()
    owner, init, budget = [], [], []
    for frac in (0.25, 0.5, 0.75):
        use = ~has if frac != 0.5 else np.ones(b, bool)
        logit = math.log(frac / (1 - frac))
        start = np.c_[fresh_m[:, :2], fresh_m[:, :2], fresh_m[:, 2], np.full(b, logit), np.zeros(b)]
        owner.append(np.nonzero(use)[0])
        init.append(start[use])
        budget.append(np.where(has, s.iters_warm, s.iters_cold)[use])
    owner.append(np.nonzero(has)[0])
    init.append(warm_c[has])
    budget.append(np.full(int(has.sum()), s.iters_warm))
    own = np.concatenate(owner)
    yy = yt[torch.as_tensor(own, device=device)]
    th_c0 = torch.as_tensor(np.concatenate(init), device=device)
    it_c = torch.as_tensor(np.concatenate(budget), device=device)
    th_c, f_c = adam_fit(lambda t: cpd_nlml(t, yy), th_c0, it_c, CPD_BOUNDS, s.lr)
    f_all = np.full((4, b), np.inf)
    th_all = np.zeros((4, b, 7))
    pos = np.concatenate([np.full(len(o), j) for j, o in enumerate(owner)])
    f_all[pos, own], th_all[pos, own] = f_c.cpu().numpy(), th_c.cpu().numpy()
    pick = f_all.argmin(0)
    th_best, f_best = th_all[pick, np.arange(b)], f_all[pick, np.arange(b)]
    return fresh_m, th_best, f_m.cpu().numpy(), f_best


@dataclasses.dataclass
class _State:
    """Last fit of each (slot, asset): slot ``t % days_per_step`` warm-starts day ``t``."""

    theta_m: np.ndarray  # (K, N, 3)
    theta_c: np.ndarray  # (K, N, 7)
    has: np.ndarray  # (K, N) bool

    @classmethod
    def empty(cls, k: int, n: int) -> _State:
        return cls(np.zeros((k, n, 3)), np.zeros((k, n, 7)), np.zeros((k, n), bool))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, theta_m=self.theta_m, theta_c=self.theta_c, has=self.has)
        return buf.getvalue()

    @classmethod
    def from_file(cls, path: Path) -> _State:
        with np.load(path) as z:
            return cls(z["theta_m"], z["theta_c"], z["has"])


def _run_step(
    values: np.ndarray,
    valid: np.ndarray,
    days: np.ndarray,
    lookback: int,
    st: _State,
    s: CPDSettings,
    dev: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit every valid window of ``days`` (all assets) and update ``st``; returns nu, gamma (len(days), N)."""
    k = s.days_per_step
    n_assets = values.shape[1]
    nu = np.full((len(days), n_assets), np.nan)
    gamma = np.full((len(days), n_assets), np.nan)
    slots = days % k
    st.has[slots] &= valid[days]  # an invalid day breaks the warm chain
    d_idx, i_idx = np.nonzero(valid[days])
    t_idx = days[d_idx]
    if len(t_idx) == 0:
        return nu, gamma
    y, ok = _standardised(values, t_idx, i_idx, lookback)
    st.has[t_idx[~ok] % k, i_idx[~ok]] = False
    d_idx, i_idx, t_idx, y = d_idx[ok], i_idx[ok], t_idx[ok], y[ok]
    if len(t_idx) == 0:
        return nu, gamma
    sl = t_idx % k
    has = st.has[sl, i_idx]
    warm_c = _shift_location(st.theta_c[sl, i_idx], k, lookback)
    th_m, th_c, f_m, f_c = _fit_windows(y, st.theta_m[sl, i_idx], warm_c, has, s, dev)
    st.theta_m[sl, i_idx], st.theta_c[sl, i_idx], st.has[sl, i_idx] = th_m, th_c, True
    nu[d_idx, i_idx] = 1.0 / (1.0 + np.exp(np.clip(f_c - f_m, -50, 50)))
    gamma[d_idx, i_idx] = 1.0 / (1.0 + np.exp(-th_c[:, 5]))
    return nu, gamma


def _run_lookback(
    values: np.ndarray,
    lookback: int,
    s: CPDSettings,
    dev: torch.device,
    folder: Path | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nu and gamma (T, N) for one lookback, chunk by chunk, resuming from ``folder`` when given.

    A chunk is finished when its ``chunk_<j>.parquet`` exists; its
    ``state_<j>.npz`` (the warm starts after it) is written first, so a
    computation interrupted anywhere resumes from the last finished chunk.
    """
    n_days, n_assets = values.shape
    k = s.days_per_step
    chunk = max(k, -(-s.chunk_days // k) * k)
    n_chunks = -(-n_days // chunk)
    valid = _valid_windows(values, lookback)
    nu = np.full((n_days, n_assets), np.nan)
    gamma = np.full((n_days, n_assets), np.nan)
    st = _State.empty(k, n_assets)
    start = 0
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        while start < n_chunks and (folder / f"chunk_{start:05d}.parquet").exists():
            part = pd.read_parquet(folder / f"chunk_{start:05d}.parquet")
            lo = start * chunk
            nu[lo : lo + len(part) // n_assets] = part["nu"].to_numpy().reshape(-1, n_assets)
            gamma[lo : lo + len(part) // n_assets] = part["gamma"].to_numpy().reshape(-1, n_assets)
            start += 1
        if start > 0:
            st = _State.from_file(folder / f"state_{start - 1:05d}.npz")
    for j in range(start, n_chunks):
        lo, hi = j * chunk, min(n_days, (j + 1) * chunk)
        for d0 in range(lo, hi, k):
            days = np.arange(d0, min(hi, d0 + k))
            nu[days], gamma[days] = _run_step(values, valid, days, lookback, st, s, dev)
        if folder is not None:
            atomic_write_bytes(folder / f"state_{j:05d}.npz", st.to_bytes())
            part = pd.DataFrame({"nu": nu[lo:hi].ravel(), "gamma": gamma[lo:hi].ravel()})
            atomic_write_bytes(folder / f"chunk_{j:05d}.parquet", part.to_parquet(index=False) or b"")
        if progress is not None:
            progress(j + 1, n_chunks)
    return nu, gamma


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
        Optimiser budgets, warm-start stride and chunk size.
    cache_dir : path, optional
        Folder of the resumable cache; results go to
        ``<cache_dir>/cpd-l<l>-<fingerprint>/`` one Parquet file per chunk of days.
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
    values = returns.to_numpy(dtype=np.float64)
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
            nu, gamma = _run_lookback(values, lb, s, dev, folder, progress)
            out[f"cpd_nu_{lb}"] = pd.DataFrame(nu, index=returns.index, columns=returns.columns)
            out[f"cpd_gamma_{lb}"] = pd.DataFrame(gamma, index=returns.index, columns=returns.columns)
    finally:
        torch.set_num_threads(old_threads)
    return out
