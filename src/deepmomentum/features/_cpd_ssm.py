"""The same GP likelihoods as :mod:`._cpd_gp`, in O(l) per window by a Kalman filter.

A Matérn-3/2 GP on evenly spaced inputs is exactly a two-dimensional linear
state-space model, state ``z = (f, f')`` (Hartikainen & Särkkä 2010; Särkkä &
Solin 2019, "Applied Stochastic Differential Equations", Sec. 12.3)::

    dz/dx = F z + L w,   F = [[0, 1], [-lam^2, -2 lam]],   lam = sqrt(3) / ls,
    P_inf = diag(v, lam^2 v)                         (stationary covariance)
    A = expm(F) = exp(-lam) [[1 + lam, 1], [-lam^2, 1 - lam]]   (one-day step)
    Q = P_inf - A P_inf A'                          (process noise of one step)

The changepoint kernel ``k1 (1 - s)(1 - s') + k2 s s'`` is the covariance of
``(1 - s(x)) f1(x) + s(x) f2(x)`` with ``f1``, ``f2`` independent Matérn-3/2
GPs, so it is the four-dimensional model with block-diagonal ``A``, ``Q`` and
the time-varying observation row ``h_x = (1 - s(x), 0, s(x), 0)``. The Kalman
filter's prediction-error decomposition gives the exact negative log marginal
likelihood (Särkkä 2013, "Bayesian Filtering and Smoothing", eq. 12.9)::

    nlml = sum_x [ 1/2 log(2 pi S_x) + e_x^2 / (2 S_x) ],  e_x = y_x - h_x m_x,  S_x = h_x P_x h_x' + r

which equals the dense Cholesky form of :func:`._cpd_gp.nlml_from_cov` (the
tests check this to 1e-8), at O(l d^3) instead of O(l^3) per window.
"""

from __future__ import annotations

import math

import torch

from deepmomentum.features._cpd_gp import _FAILED, JITTER, MIN_NOISE

__all__ = ["cpd_nlml_ssm", "m32_nlml_ssm"]

_SQRT3 = math.sqrt(3.0)
_LOG2PI = math.log(2.0 * math.pi)


def _m32_blocks(log_ls: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One-day transition ``A`` and stationary covariance ``P_inf``, each (batch, 2, 2)."""
    lam = _SQRT3 / log_ls.exp()
    var = log_var.exp()
    decay = torch.exp(-lam)
    zero = torch.zeros_like(lam)
    a = decay[:, None, None] * torch.stack(
        [torch.stack([1.0 + lam, torch.ones_like(lam)], -1), torch.stack([-lam * lam, 1.0 - lam], -1)], -2
    )
    p_inf = torch.stack([torch.stack([var, zero], -1), torch.stack([zero, lam * lam * var], -1)], -2)
    return a, p_inf


def _block_diag(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(batch, 4, 4) from two (batch, 2, 2) blocks."""
    zero = torch.zeros_like(x)
    return torch.cat([torch.cat([x, zero], -1), torch.cat([zero, y], -1)], -2)


def _kalman_nlml(
    a: torch.Tensor, p_inf: torch.Tensor, h: torch.Tensor, r: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """Exact NLML of ``y`` under a stationary linear-Gaussian state-space model.

    Parameters
    ----------
    a, p_inf : torch.Tensor
        One-step transition and stationary state covariance, (batch, d, d).
    h : torch.Tensor
        Observation rows, (batch, n, d); ``y_x = h_x z_x + noise``.
    r : torch.Tensor
        Observation noise variance, (batch,), in units of ``y`` squared.
    y : torch.Tensor
        Observations, (batch, n).

    Returns
    -------
    torch.Tensor
        (batch,), nats; a window whose innovation variance is not positive gets a large constant.
    """
    at = a.transpose(-1, -2)
    q = p_inf - a @ p_inf @ at
    m = torch.zeros(y.shape[0], a.shape[-1], dtype=y.dtype, device=y.device)
    p = p_inf
    total = torch.zeros_like(r)
    ok = torch.ones_like(r, dtype=torch.bool)
    for x in range(y.shape[1]):
        if x > 0:
            m = (a @ m[..., None])[..., 0]
            p = a @ p @ at + q
        hx = h[:, x]
        ph = (p @ hx[..., None])[..., 0]  # (batch, d)
        s = (hx * ph).sum(-1) + r
        ok = ok & (s > 0)
        s = s.clamp(min=1e-300)
        e = y[:, x] - (hx * m).sum(-1)
        total = total + 0.5 * (torch.log(s) + e * e / s)
        gain = ph / s[:, None]
        m = m + gain * e[:, None]
        p = p - gain[:, :, None] * ph[:, None, :]
        p = 0.5 * (p + p.transpose(-1, -2))  # keep it symmetric in floating point
    out = total + 0.5 * y.shape[1] * _LOG2PI
    return torch.where(ok & torch.isfinite(out), out, torch.full_like(out, _FAILED))


def m32_nlml_ssm(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Matérn-3/2 + noise NLML by Kalman filter; same arguments and value as ``_cpd_gp.m32_nlml``."""
    a, p_inf = _m32_blocks(theta[:, 0], theta[:, 1])
    h = torch.zeros(*y.shape, 2, dtype=y.dtype, device=y.device)
    h[..., 0] = 1.0
    return _kalman_nlml(a, p_inf, h, MIN_NOISE + theta[:, 2].exp() + JITTER, y)


def cpd_nlml_ssm(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Changepoint-kernel + noise NLML by Kalman filter; same arguments and value as ``_cpd_gp.cpd_nlml``."""
    n = y.shape[-1]
    x = torch.arange(1, n + 1, dtype=y.dtype, device=y.device)
    c = n * torch.sigmoid(theta[:, 5])
    sig = torch.sigmoid(theta[:, 6].exp()[:, None] * (x[None, :] - c[:, None]))  # (batch, n)
    a1, p1 = _m32_blocks(theta[:, 0], theta[:, 1])
    a2, p2 = _m32_blocks(theta[:, 2], theta[:, 3])
    zero = torch.zeros_like(sig)
    h = torch.stack([1.0 - sig, zero, sig, zero], -1)
    return _kalman_nlml(
        _block_diag(a1, a2), _block_diag(p1, p2), h, MIN_NOISE + theta[:, 4].exp() + JITTER, y
    )
