"""Plain reference for the changepoint features: numpy likelihoods + scipy, one window at a time.

An independent twin of :mod:`deepmomentum.features._cpd_gp` (no torch): the same
kernels, noise floor, jitter and parameter box, written with numpy and scipy's
Cholesky, minimised by ``scipy.optimize.minimize`` (L-BFGS-B, finite-difference
gradients) from several starts. Slow by design; used by the tests and the
benchmark to check the batched fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.optimize import minimize
from scipy.special import expit

from deepmomentum.features._cpd_gp import CPD_BOUNDS, JITTER, M32_BOUNDS, MIN_NOISE

__all__ = ["reference_fit", "reference_nlml_cpd", "reference_nlml_m32"]


def _matern(n: int, ls: float, var: float) -> np.ndarray:
    x = np.arange(1, n + 1, dtype=float)
    z = math.sqrt(3.0) * np.abs(x[:, None] - x[None, :]) / ls
    return np.asarray(var * (1.0 + z) * np.exp(-z))


def _nlml(cov: np.ndarray, noise: float, y: np.ndarray) -> float:
    """``1/2 y'K^-1 y + 1/2 log|K| + n/2 log 2pi`` with ``K = cov + (noise + jitter) I``."""
    k = cov + (noise + JITTER) * np.eye(len(y))
    try:
        c, low = cho_factor(k, lower=True)
    except LinAlgError:
        return 1e10
    alpha = cho_solve((c, low), y)
    return float(0.5 * y @ alpha + np.log(np.diag(c)).sum() + 0.5 * len(y) * math.log(2 * math.pi))


def reference_nlml_m32(theta: np.ndarray, y: np.ndarray) -> float:
    """Matérn-3/2 + noise NLML; ``theta`` = (log ls, log var, log noise), ``y`` shape (n,)."""
    cov = _matern(len(y), math.exp(theta[0]), math.exp(theta[1]))
    return _nlml(cov, MIN_NOISE + math.exp(theta[2]), y)


def reference_nlml_cpd(theta: np.ndarray, y: np.ndarray) -> float:
    """Changepoint-kernel NLML; ``theta`` as ``CPD_BOUNDS``, location ``c = n sigmoid(theta[5])``."""
    n = len(y)
    x = np.arange(1, n + 1, dtype=float)
    c = n / (1.0 + math.exp(-theta[5]))
    s = expit(math.exp(theta[6]) * (x - c))
    k1 = _matern(n, math.exp(theta[0]), math.exp(theta[1]))
    k2 = _matern(n, math.exp(theta[2]), math.exp(theta[3]))
    cov = k1 * np.outer(1 - s, 1 - s) + k2 * np.outer(s, s)
    return _nlml(cov, MIN_NOISE + math.exp(theta[4]), y)


def _best(
    fun: Callable[[np.ndarray], float], starts: list[np.ndarray], bounds: tuple[tuple[float, float], ...]
) -> tuple[np.ndarray, float]:
    best_x, best_f = starts[0], math.inf
    for x0 in starts:
        res = minimize(fun, x0, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
        if res.fun < best_f:
            best_x, best_f = np.asarray(res.x), float(res.fun)
    return best_x, best_f


def reference_fit(y: np.ndarray, restarts: int = 4, seed: int = 0) -> dict[str, float]:
    """Fit both models to one standardised window and return the CPD outputs.

    Starts: a fixed default, then ``restarts`` random points in the box (seeded);
    the changepoint model also starts from the best Matérn fit with the
    location at each quarter of the window.

    Parameters
    ----------
    y : numpy.ndarray
        Standardised returns of one window, shape (l,).
    restarts : int
        Random starts per model.
    seed : int
        Seed of the random starts.

    Returns
    -------
    dict
        ``nlml_m32``, ``nlml_cpd`` (nats), ``nu`` (severity) and ``gamma``
        (location as a fraction of the window), as in :func:`cpd_features`.
    """
    rng = np.random.default_rng(seed)
    n = len(y)

    def rand(bounds: tuple[tuple[float, float], ...]) -> np.ndarray:
        return np.array([rng.uniform(lo, hi) for lo, hi in bounds])

    m_starts = [np.array([math.log(n / 5), math.log(0.5), math.log(0.5)])]
    m_starts += [rand(M32_BOUNDS) for _ in range(restarts)]
    tm, f_m = _best(lambda t: reference_nlml_m32(t, y), m_starts, M32_BOUNDS)
    c_starts = [np.r_[tm[:2], tm[:2], tm[2], logit, 0.0] for logit in (-1.1, 0.0, 1.1)]
    c_starts += [rand(CPD_BOUNDS) for _ in range(restarts)]
    tc, f_c = _best(lambda t: reference_nlml_cpd(t, y), c_starts, CPD_BOUNDS)
    return {
        "nlml_m32": f_m,
        "nlml_cpd": f_c,
        "nu": 1.0 / (1.0 + math.exp(f_c - f_m)),
        "gamma": 1.0 / (1.0 + math.exp(-tc[5])),
    }
