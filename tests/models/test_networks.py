from __future__ import annotations

import pytest
import torch

from deepmomentum.exceptions import ConfigError
from deepmomentum.models import MODEL_NAMES, build_network


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shapes_and_causality(name: str) -> None:
    torch.manual_seed(0)
    net = build_network(name, 8, hidden_size=6, dropout=0.0).eval()
    x = torch.randn(3, 40, 8)
    z = net(x)
    assert z.shape == (3, 40)
    x2 = x.clone()
    x2[:, 25:] = torch.randn(3, 15, 8) * 10  # change the future only
    z2 = net(x2)
    torch.testing.assert_close(z[:, :25], z2[:, :25])
    assert not torch.allclose(z[:, 25:], z2[:, 25:])


def test_unknown_model() -> None:
    with pytest.raises(ConfigError, match="unknown model 'gru'"):
        build_network("gru", 8)
