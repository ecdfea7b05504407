"""The Kalman-filter likelihoods equal the dense Cholesky ones (same model, O(l) instead of O(l^3))."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmomentum.features._cpd_gp import _FAILED, CPD_BOUNDS, cpd_nlml, m32_nlml
from deepmomentum.features._cpd_ssm import cpd_nlml_ssm, m32_nlml_ssm


def _theta(n_windows: int, seed: int) -> torch.Tensor:
    """Changepoint parameters spread over the middle 60% of each bound."""
    g = torch.Generator().manual_seed(seed)
    lo = torch.tensor([b[0] for b in CPD_BOUNDS], dtype=torch.float64)
    hi = torch.tensor([b[1] for b in CPD_BOUNDS], dtype=torch.float64)
    u = torch.rand(n_windows, len(CPD_BOUNDS), generator=g, dtype=torch.float64)
    return lo + (hi - lo) * (0.2 + 0.6 * u)


@pytest.mark.parametrize("n", [5, 21, 63])
def test_kalman_equals_dense_likelihood(n: int) -> None:
    theta = _theta(40, seed=n)
    y = torch.randn(40, n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    dense_c, kalman_c = cpd_nlml(theta, y), cpd_nlml_ssm(theta, y)
    ok = dense_c < _FAILED / 2
    assert ok.sum() >= 30
    np.testing.assert_allclose(kalman_c[ok].numpy(), dense_c[ok].numpy(), rtol=1e-9, atol=1e-7)
    m = theta[:, [0, 1, 4]]
    np.testing.assert_allclose(m32_nlml_ssm(m, y).numpy(), m32_nlml(m, y).numpy(), rtol=1e-9, atol=1e-7)


def test_kalman_gradients_equal_dense_gradients() -> None:
    theta = _theta(10, seed=3)
    y = torch.randn(10, 21, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    grads = []
    for fn in (cpd_nlml, cpd_nlml_ssm):
        th = theta.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(th, y).sum(), th)
        grads.append(g.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6, atol=1e-6)


def test_a_changepoint_is_a_switch_between_two_kernels() -> None:
    """A very steep sigmoid between days 10 and 11: the likelihood is that of two independent halves."""
    n = 20
    y = torch.randn(1, n, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    theta = torch.tensor(
        [[np.log(3.0), 0.0, np.log(8.0), np.log(2.0), np.log(0.3), np.log(0.525 / 0.475), np.log(100.0)]]
    )
    theta = theta.to(torch.float64)
    halves = m32_nlml_ssm(theta[:, [0, 1, 4]], y[:, :10]) + m32_nlml_ssm(theta[:, [2, 3, 4]], y[:, 10:])
    np.testing.assert_allclose(cpd_nlml_ssm(theta, y).numpy(), halves.numpy(), rtol=1e-6)
