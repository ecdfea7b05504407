"""Batched exact Gaussian-process likelihoods for changepoint detection (torch).

Two models of a standardised return window ``y`` (length ``l``, inputs
``x_j = j`` for ``j = 1..l``, in trading days), each with Gaussian noise:

* Matérn-3/2 (Wood, Roberts & Zohren 2021, Sec. "Changepoint detection", the
  Matérn kernel; Rasmussen & Williams 2006, eq. 4.17)::

      k(x, x') = v (1 + sqrt(3) r / ls) exp(-sqrt(3) r / ls),  r = |x - x'|

* changepoint kernel (Wood et al. 2021, same section; GPflow ``ChangePoints``
  with one changepoint; Lloyd et al. 2014)::

      k(x, x') = k1(x, x') (1 - s(x)) (1 - s(x')) + k2(x, x') s(x) s(x'),
      s(x) = 1 / (1 + exp(-steep (x - c)))

The negative log marginal likelihood (Rasmussen & Williams, eq. 2.30) is::

    nlml = 1/2 y' K^-1 y + sum_i log L_ii + (l/2) log(2 pi),  K = L L'

Hyperparameters live in an unconstrained box (log scales, logit location) and
are optimised for many windows at once by a masked, per-window Adam: the
loss is a sum of independent terms, so each window's update only sees its
own gradient and the result does not depend on the other windows in the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = [
    "CPD_BOUNDS",
    "M32_BOUNDS",
    "adam_fit",
    "cpd_nlml",
    "m32_nlml",
    "nlml_from_cov",
]

_SQRT3 = math.sqrt(3.0)
_LOG2PI = math.log(2.0 * math.pi)
JITTER = 1e-6
MIN_NOISE = 1e-4
_FAILED = 1e10  # loss of a window whose Cholesky failed: never preferred

# (low, high) of each unconstrained parameter; lengthscales in days.
# Matérn: log ls, log var, log noise.
M32_BOUNDS: tuple[tuple[float, float], ...] = (
    (math.log(0.1), math.log(1e4)),
    (math.log(1e-4), math.log(1e2)),
    (math.log(1e-4), math.log(1e1)),
)
# Changepoint: log ls1, log var1, log ls2, log var2, log noise, logit(c/l), log steepness.
CPD_BOUNDS: tuple[tuple[float, float], ...] = (
    *M32_BOUNDS[:2],
    *M32_BOUNDS[:2],
    M32_BOUNDS[2],
    (-8.0, 8.0),
    (math.log(1e-2), math.log(1e2)),
)


def _distance(n: int, like: torch.Tensor) -> torch.Tensor:
    """``|x_i - x_j|`` for ``x = 1..n``, shape (n, n), days."""
    x = torch.arange(1, n + 1, dtype=like.dtype, device=like.device)
    return (x[:, None] - x[None, :]).abs()


def _matern(r: torch.Tensor, log_ls: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Matérn-3/2 covariance, (batch, n, n) from distances (n, n) and (batch,) log parameters."""
    z = _SQRT3 * r[None] / log_ls.exp()[:, None, None]
    return log_var.exp()[:, None, None] * (1.0 + z) * torch.exp(-z)


def nlml_from_cov(cov: torch.Tensor, noise: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Negative log marginal likelihood of ``y`` under ``N(0, cov + noise I)``.

    Parameters
    ----------
    cov : torch.Tensor
        Signal covariance, shape (batch, n, n).
    noise : torch.Tensor
        Noise variance, shape (batch,), in units of ``y`` squared.
    y : torch.Tensor
        Observations, shape (batch, n).

    Returns
    -------
    torch.Tensor
        Shape (batch,), nats; windows whose Cholesky fails get a large constant.
    """
    n = y.shape[-1]
    eye = torch.eye(n, dtype=y.dtype, device=y.device)
    k = cov + (noise + JITTER)[:, None, None] * eye
    chol, info = torch.linalg.cholesky_ex(k)
    alpha = torch.cholesky_solve(y[..., None], chol)[..., 0]
    fit = 0.5 * (y * alpha).sum(-1)
    logdet = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    out = fit + logdet + 0.5 * n * _LOG2PI
    return torch.where(info == 0, out, torch.full_like(out, _FAILED))


def m32_nlml(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Matérn-3/2 + noise NLML, ``theta`` (batch, 3) as in ``M32_BOUNDS``, ``y`` (batch, n)."""
    r = _distance(y.shape[-1], y)
    cov = _matern(r, theta[:, 0], theta[:, 1])
    return nlml_from_cov(cov, MIN_NOISE + theta[:, 2].exp(), y)


def cpd_nlml(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Changepoint-kernel + noise NLML, ``theta`` (batch, 7) as in ``CPD_BOUNDS``, ``y`` (batch, n).

    The location is ``c = n * sigmoid(theta[:, 5])`` in days from the window start,
    so it stays inside the window ``(0, n)``.
    """
    n = y.shape[-1]
    r = _distance(n, y)
    x = torch.arange(1, n + 1, dtype=y.dtype, device=y.device)
    c = n * torch.sigmoid(theta[:, 5])
    sig = torch.sigmoid(theta[:, 6].exp()[:, None] * (x[None, :] - c[:, None]))  # (batch, n)
    before = (1.0 - sig)[:, :, None] * (1.0 - sig)[:, None, :]
    after = sig[:, :, None] * sig[:, None, :]
    cov = _matern(r, theta[:, 0], theta[:, 1]) * before + _matern(r, theta[:, 2], theta[:, 3]) * after
    return nlml_from_cov(cov, MIN_NOISE + theta[:, 4].exp(), y)


def _box(bounds: tuple[tuple[float, float], ...], like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lo = torch.tensor([b[0] for b in bounds], dtype=like.dtype, device=like.device)
    hi = torch.tensor([b[1] for b in bounds], dtype=like.dtype, device=like.device)
    return lo, hi


def adam_fit(
    loss_fn: Callable[[torch.Tensor], torch.Tensor],
    theta0: torch.Tensor,
    iters: torch.Tensor,
    bounds: tuple[tuple[float, float], ...],
    lr: float = 0.05,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimise a sum of per-window losses with a projected, per-window Adam.

    Window ``b`` takes ``iters[b]`` steps with a cosine-decayed step size
    ``lr_k = lr (0.1 + 0.9 (1 + cos(pi k / iters[b])) / 2)`` (Kingma & Ba 2015,
    Algorithm 1, then clipped into ``bounds``); the best point seen is returned.

    Parameters
    ----------
    loss_fn : callable
        Maps ``theta`` (batch, p) to losses (batch,).
    theta0 : torch.Tensor
        Start, shape (batch, p).
    iters : torch.Tensor
        Step budget per window, shape (batch,), integer.
    bounds : tuple of (float, float)
        Box of each parameter, length p.
    lr : float
        Peak step size in unconstrained units.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Best parameters (batch, p) and their loss (batch,).
    """
    lo, hi = _box(bounds, theta0)
    theta = theta0.detach().clamp(lo, hi).clone()
    m = torch.zeros_like(theta)
    v = torch.zeros_like(theta)
    best, best_loss = (
        theta.clone(),
        torch.full(theta.shape[:1], math.inf, dtype=theta.dtype, device=theta.device),
    )
    b1, b2, eps = 0.9, 0.999, 1e-8
    budget = iters.to(theta.dtype)
    for k in range(int(iters.max().item()) if iters.numel() else 0):
        th = theta.requires_grad_(True)
        loss = loss_fn(th)
        (grad,) = torch.autograd.grad(loss.sum(), th)
        theta = th.detach()
        loss = loss.detach()
        better = loss < best_loss
        best = torch.where(better[:, None], theta, best)
        best_loss = torch.where(better, loss, best_loss)
        grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        step = lr * (0.1 + 0.45 * (1.0 + torch.cos(math.pi * k / budget.clamp(min=1.0))))
        upd = step[:, None] * (m / (1 - b1 ** (k + 1))) / ((v / (1 - b2 ** (k + 1))).sqrt() + eps)
        active = (k < iters)[:, None]
        theta = torch.where(active, (theta - upd).clamp(lo, hi), theta)
    with torch.no_grad():
        loss = loss_fn(theta)
    better = loss < best_loss
    return torch.where(better[:, None], theta, best), torch.where(better, loss, best_loss)
