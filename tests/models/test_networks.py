"""Every registered network: shapes, causal outputs, gradients; the registry itself."""

from __future__ import annotations

from typing import get_args

import pytest
import torch

from deepmomentum._types import ModelName
from deepmomentum.exceptions import ConfigError
from deepmomentum.models import MODEL_NAMES, NETWORK_NAMES, NETWORKS, TrendNet, build_network

N_INPUTS, DAYS, LOOKBACK, CUT = 8, 40, 10, 25


def _net(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_network(
        name, N_INPUTS, hidden_size=6, dropout=0.0, hidden_sizes=(6, 4) if NETWORKS[name].stacked else None
    )


def per_day(name: str, net: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Outputs of shape (batch, days, heads) for the days from the returned first day on.

    A window network gets, for each day t, the window of days t-L+1 ... t.
    """
    spec = NETWORKS[name]
    if spec.output == "sequence":
        return net(x).unsqueeze(-1), 0
    batch, days, n = x.shape
    # window j holds days j ... j+L-1 and belongs to day j+L-1
    windows = x.unfold(1, LOOKBACK, 1).permute(0, 1, 3, 2).reshape(-1, LOOKBACK, n)
    heads = torch.stack(net(windows)[: len(spec.heads)], dim=-1)
    return heads.reshape(batch, days - LOOKBACK + 1, len(spec.heads)), LOOKBACK - 1


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_shapes(name: str) -> None:
    net = _net(name).eval()
    spec = NETWORKS[name]
    if spec.output == "sequence":
        assert net(torch.randn(3, DAYS, N_INPUTS)).shape == (3, DAYS)
    else:
        out = net(torch.randn(3, LOOKBACK, N_INPUTS))
        assert len(out) >= len(spec.heads)
        assert all(h.shape == (3,) for h in out[: len(spec.heads)])
    z, first = per_day(name, net, torch.randn(3, DAYS, N_INPUTS))
    assert z.shape == (3, DAYS - first, len(spec.heads))
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_output_at_t_uses_inputs_up_to_t(name: str) -> None:
    torch.manual_seed(1)
    net = _net(name).eval()
    x = torch.randn(3, DAYS, N_INPUTS)
    x2 = x.clone()
    x2[:, CUT:] = torch.randn(3, DAYS - CUT, N_INPUTS) * 10  # change the future only
    z, first = per_day(name, net, x)
    z2, _ = per_day(name, net, x2)
    k = CUT - first  # position of day CUT
    torch.testing.assert_close(z[:, :k], z2[:, :k])
    assert not torch.allclose(z[:, k:], z2[:, k:])


@pytest.mark.parametrize("name", [n for n in NETWORK_NAMES if NETWORKS[n].output == "window"])
def test_window_output_uses_only_its_window(name: str) -> None:
    torch.manual_seed(2)
    net = _net(name).eval()
    x = torch.randn(2, DAYS, N_INPUTS)
    x2 = x.clone()
    x2[:, :5] += 5.0  # days 0-4 lie in the windows of days 4 ... 4+L-1 only
    z, first = per_day(name, net, x)
    z2, _ = per_day(name, net, x2)
    k = 5 + LOOKBACK - 1 - first  # first day whose window starts after day 4
    torch.testing.assert_close(z[:, k:], z2[:, k:])
    # both ways within the window: the oldest day of a window moves its output
    assert not torch.allclose(z[:, k - 1], z2[:, k - 1])


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_gradients_reach_every_parameter(name: str) -> None:
    torch.manual_seed(3)
    net = _net(name).train()
    z, _ = per_day(name, net, torch.randn(4, DAYS, N_INPUTS))
    (z**2).mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


def test_registry_names() -> None:
    assert MODEL_NAMES == get_args(ModelName)  # what a DMN variant may ask for
    assert set(NETWORK_NAMES) == {*MODEL_NAMES, "trend"}
    assert NETWORKS["trend"].output == "window"
    assert NETWORKS["trend"].heads == ("logit", "magnitude")


def test_trend_entry_builds_the_trend_model() -> None:
    torch.manual_seed(4)
    built = build_network("trend", N_INPUTS, dropout=0.2, hidden_sizes=(8, 4))
    torch.manual_seed(4)
    direct = TrendNet(N_INPUTS, (8, 4), 0.2)
    assert isinstance(built, TrendNet)
    for (k, a), (_, b) in zip(built.state_dict().items(), direct.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    x = torch.randn(5, LOOKBACK, N_INPUTS)
    logit, mag, attn = built.eval()(x)
    torch.testing.assert_close(attn.sum(dim=1), torch.ones(5))
    torch.testing.assert_close((logit, mag), direct.eval()(x)[:2])


def test_unknown_model() -> None:
    with pytest.raises(ConfigError, match="unknown model 'gru'"):
        build_network("gru", 8)


def test_single_layer_networks_refuse_stacked_sizes() -> None:
    with pytest.raises(ConfigError, match="one hidden layer"):
        build_network("lstm", 8, hidden_sizes=(8, 4))
