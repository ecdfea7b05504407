from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmomentum.exceptions import ConfigError
from deepmomentum.training import LossSpec, captured_returns


@pytest.fixture
def arrays(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = (3, 7)
    mask = rng.random(shape) > 0.2
    return {
        "z": rng.normal(0, 1, shape),
        "scale": rng.uniform(0.5, 3, shape),
        "r_next": rng.normal(0, 0.01, shape),
        "norm_ret": rng.normal(0, 1, shape),
        "mask": mask,
    }


def _t(a: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v) for k, v in a.items()}


def _np_sharpe(r: np.ndarray) -> float:
    return float(np.sqrt(252) * r.mean() / np.sqrt((r**2).mean() - r.mean() ** 2))


def test_sharpe_matches_numpy(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    got = LossSpec("sharpe")(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
    r = (np.tanh(arrays["z"]) * arrays["scale"] * arrays["r_next"])[arrays["mask"]]
    assert float(got) == pytest.approx(-_np_sharpe(r), rel=1e-6)


def test_avg_return_matches_numpy(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    got = LossSpec("avg_return")(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
    r = (np.tanh(arrays["z"]) * arrays["scale"] * arrays["r_next"])[arrays["mask"]]
    assert float(got) == pytest.approx(-r.mean(), rel=1e-9)


def test_mse_and_bce_match_numpy(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    m = arrays["mask"]
    mse = LossSpec("mse")(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
    assert float(mse) == pytest.approx(((arrays["z"] - arrays["norm_ret"]) ** 2)[m].mean(), rel=1e-9)
    bce = LossSpec("bce")(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
    p = 1 / (1 + np.exp(-arrays["z"]))
    y = (arrays["r_next"] > 0).astype(float)
    ref = -(y * np.log(p) + (1 - y) * np.log(1 - p))[m].mean()
    assert float(bce) == pytest.approx(ref, rel=1e-6)
    # MSE and BCE trade the sign
    assert torch.equal(LossSpec("mse").position(t["z"]), torch.sign(t["z"]))


def test_cost_adjusted_sharpe_matches_numpy(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    spec = LossSpec("sharpe", cost_bps=10)
    got = spec(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
    w = np.tanh(arrays["z"]) * arrays["scale"]
    m = arrays["mask"]
    ret = w * arrays["r_next"]
    cost = np.zeros_like(ret)
    both = m[:, 1:] & m[:, :-1]
    cost[:, 1:] = np.where(both, np.abs(w[:, 1:] - w[:, :-1]), 0.0) * 1e-3
    assert float(got) == pytest.approx(-_np_sharpe((ret - cost)[m]), rel=1e-6)
    assert float(got) > float(LossSpec("sharpe")(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"]))


def test_masked_entries_never_count(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    spoiled = {k: v.clone() for k, v in t.items()}
    spoiled["r_next"][~t["mask"]] = 1e6
    spoiled["z"][~t["mask"]] = -50.0
    for name in ("sharpe", "avg_return", "mse", "bce"):
        a = LossSpec(name)(t["z"], t["scale"], t["r_next"], t["norm_ret"], t["mask"])
        b = LossSpec(name)(spoiled["z"], spoiled["scale"], spoiled["r_next"], spoiled["norm_ret"], t["mask"])
        assert float(a) == pytest.approx(float(b), rel=1e-9), name


def test_gradients_flow(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    for name in ("sharpe", "avg_return", "mse", "bce"):
        z = t["z"].clone().requires_grad_(True)
        LossSpec(name, cost_bps=5 if name == "sharpe" else 0)(
            z, t["scale"], t["r_next"], t["norm_ret"], t["mask"]
        ).backward()
        assert z.grad is not None
        assert torch.isfinite(z.grad).all()
        assert z.grad[t["mask"]].abs().sum() > 0
        assert z.grad[~t["mask"]].abs().sum() == 0


def test_captured_returns_zero_where_masked(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    r = captured_returns(torch.tanh(t["z"]), t["scale"], t["r_next"], t["mask"])
    assert (r[~t["mask"]] == 0).all()


def test_unknown_loss() -> None:
    with pytest.raises(ConfigError, match="unknown loss 'foo'"):
        LossSpec("foo")


def test_weight_cap_matches_the_backtest(arrays: dict[str, np.ndarray]) -> None:
    t = _t(arrays)
    pos = torch.tanh(t["z"])
    got = captured_returns(pos, t["scale"] * 10, t["r_next"], t["mask"], max_weight=2.0)
    # the backtest: w = clip(X * sigma_tgt / sigma, -max_weight, max_weight)
    w = np.clip(np.tanh(arrays["z"]) * arrays["scale"] * 10, -2.0, 2.0)
    want = np.where(arrays["mask"], w * arrays["r_next"], 0.0)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
