"""Networks that map feature sequences to outputs per asset-day, and their registry.

Every network is registered in :data:`NETWORKS` with a builder and its output
kind:

- ``sequence`` (the DMN networks ``lstm``, ``linear``, ``mlp``, ``wavenet``,
  and ``tft``, the Momentum Transformer of :mod:`deepmomentum.models._tft`):
  inputs of shape (batch, time, n_inputs) give raw outputs ``z`` of shape
  (batch, time). The loss decides how ``z`` becomes a position: ``tanh(z)``
  for the Sharpe and return losses, ``sign(z)`` for the MSE and BCE losses.
  The output at time t depends only on inputs at times <= t.
- ``window`` (the managed-futures ``trend`` network): one window of shape
  (batch, L, n_inputs), days t-L+1 ... t, gives one value per head for day t
  (a tuple of tensors of shape (batch,), heads first). The network may look
  both ways inside the window; the window ends at t, so it stays causal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from deepmomentum.models._tft import TFTNet
from deepmomentum.models._trend import TrendNet

__all__ = [
    "MODEL_NAMES",
    "NETWORKS",
    "NETWORK_NAMES",
    "TFT_HEADS",
    "LSTMNet",
    "LinearNet",
    "MLPNet",
    "NetworkSpec",
    "WaveNet",
    "build_network",
    "embedded_assets",
    "network_spec",
]

OutputKind = Literal["sequence", "window"]


class LSTMNet(nn.Module):
    """The Deep Momentum Network: LSTM, dropout, time-distributed dense.

    Parameters
    ----------
    n_inputs : int
        Features per time step.
    hidden_size : int
        LSTM state size.
    dropout : float
        Dropout on the LSTM outputs.
    """

    def __init__(self, n_inputs: int, hidden_size: int = 10, dropout: float = 0.1) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_inputs, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, time, n_inputs) to (batch, time)."""
        h, _ = self.lstm(x)
        out: torch.Tensor = self.head(self.dropout(h)).squeeze(-1)
        return out


class LinearNet(nn.Module):
    """``w'u + b`` on the features of the last few days (lags are in the inputs).

    The L1 penalty is applied by the trainer through :meth:`penalty`.
    """

    def __init__(self, n_inputs: int, l1: float = 0.0) -> None:
        super().__init__()
        self.dense = nn.Linear(n_inputs, 1)
        self.l1 = l1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, time, n_inputs) to (batch, time)."""
        out: torch.Tensor = self.dense(x).squeeze(-1)
        return out

    def penalty(self) -> torch.Tensor:
        """L1 norm of the weights times ``l1``."""
        return self.l1 * self.dense.weight.abs().sum()


class MLPNet(nn.Module):
    """One tanh hidden layer on the features of the last few days."""

    def __init__(self, n_inputs: int, hidden_size: int = 10, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_inputs, hidden_size), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden_size, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, time, n_inputs) to (batch, time)."""
        out: torch.Tensor = self.net(x).squeeze(-1)
        return out


class _CausalConv(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, dilation: int, kernel: int = 2) -> None:
        super().__init__()
        self.pad = (kernel - 1) * dilation
        self.conv = nn.Conv1d(channels_in, channels_out, kernel, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # left padding only: the output at t sees inputs <= t
        out: torch.Tensor = self.conv(nn.functional.pad(x, (self.pad, 0)))
        return out


class WaveNet(nn.Module):
    """WaveNet-style stack of dilated causal convolutions with gated residual blocks.

    Parameters
    ----------
    n_inputs : int
    hidden_size : int
        Channels of the residual stream.
    dropout : float
    dilations : tuple of int, default (1, 2, 4, 8, 16, 32)
        Receptive field ``1 + sum(dilations)`` days (64 by default).
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_size: int = 10,
        dropout: float = 0.1,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
    ) -> None:
        super().__init__()
        self.inp = nn.Conv1d(n_inputs, hidden_size, 1)
        self.filters = nn.ModuleList(_CausalConv(hidden_size, hidden_size, d) for d in dilations)
        self.gates = nn.ModuleList(_CausalConv(hidden_size, hidden_size, d) for d in dilations)
        self.res = nn.ModuleList(nn.Conv1d(hidden_size, hidden_size, 1) for _ in dilations)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Conv1d(hidden_size, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, time, n_inputs) to (batch, time)."""
        h = self.inp(x.transpose(1, 2))
        skip = torch.zeros_like(h)
        for f, g, r in zip(self.filters, self.gates, self.res, strict=True):
            z = torch.tanh(f(h)) * torch.sigmoid(g(h))
            z = r(z)
            skip = skip + z
            h = h + z
        out: torch.Tensor = self.head(self.dropout(torch.relu(skip))).squeeze(1)
        return out


#: ``builder(n_inputs, hidden_sizes, dropout, l1)``; an attention network also takes
#: ``n_heads=``, and one that embeds assets ``n_assets=``.
Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class NetworkSpec:
    """A registered network: how to build it and what its outputs mean.

    Attributes
    ----------
    name : str
    builder : callable
        ``builder(n_inputs, hidden_sizes, dropout, l1)`` returns the module.
    output : {"sequence", "window"}
        The output kind (see the module docstring).
    heads : tuple of str
        Names of the outputs: ``("z",)`` for a sequence network; for a window
        network, the leading elements of the tuple that ``forward`` returns.
    stacked : bool
        Takes several hidden sizes (one per stacked layer); else exactly one.
    attention : bool
        Has attention heads: the builder takes ``n_heads``.
    embeds_assets : bool
        Can learn a per-asset embedding: the builder takes ``n_assets`` and
        ``forward(x, asset)`` then needs the asset index of each sequence.
    """

    name: str
    builder: Builder
    output: OutputKind
    heads: tuple[str, ...] = ("z",)
    stacked: bool = False
    attention: bool = False
    embeds_assets: bool = False


def _lstm(n: int, sizes: tuple[int, ...], dropout: float, l1: float) -> nn.Module:
    return LSTMNet(n, sizes[0], dropout)


def _linear(n: int, sizes: tuple[int, ...], dropout: float, l1: float) -> nn.Module:
    return LinearNet(n, l1)


def _mlp(n: int, sizes: tuple[int, ...], dropout: float, l1: float) -> nn.Module:
    return MLPNet(n, sizes[0], dropout)


def _wavenet(n: int, sizes: tuple[int, ...], dropout: float, l1: float) -> nn.Module:
    return WaveNet(n, sizes[0], dropout)


#: Default attention heads of the registered ``tft`` (the search draws from
#: ``training.search.n_heads``, the paper's {1, 4}).
TFT_HEADS = 4


def _tft(
    n: int, sizes: tuple[int, ...], dropout: float, l1: float, n_heads: int = TFT_HEADS, n_assets: int = 0
) -> nn.Module:
    return TFTNet(n, sizes[0], dropout, n_heads=n_heads, n_assets=n_assets)


def _trend(n: int, sizes: tuple[int, ...], dropout: float, l1: float) -> nn.Module:
    return TrendNet(n, sizes, dropout)


#: Every network by name.
NETWORKS: dict[str, NetworkSpec] = {
    s.name: s
    for s in (
        NetworkSpec("lstm", _lstm, "sequence"),
        NetworkSpec("linear", _linear, "sequence"),
        NetworkSpec("mlp", _mlp, "sequence"),
        NetworkSpec("wavenet", _wavenet, "sequence"),
        NetworkSpec("tft", _tft, "sequence", attention=True, embeds_assets=True),
        NetworkSpec("trend", _trend, "window", heads=("logit", "magnitude"), stacked=True),
    )
}

#: Every registered network.
NETWORK_NAMES: tuple[str, ...] = tuple(NETWORKS)

#: The DMN models (sequence networks), as ``ModelVariant.model`` accepts them.
MODEL_NAMES: tuple[str, ...] = tuple(k for k, s in NETWORKS.items() if s.output == "sequence")


def network_spec(model: str) -> NetworkSpec:
    """The registry entry of ``model``; a ConfigError names the choices if it is unknown."""
    if model not in NETWORKS:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"unknown model {model!r}; choose from {', '.join(NETWORK_NAMES)}")
    return NETWORKS[model]


def build_network(
    model: str,
    n_inputs: int,
    hidden_size: int = 10,
    dropout: float = 0.1,
    l1: float = 0.0,
    *,
    hidden_sizes: Sequence[int] | None = None,
    n_heads: int | None = None,
    n_assets: int = 0,
) -> nn.Module:
    """Build a registered network by name.

    Parameters
    ----------
    model : str
        A key of :data:`NETWORKS` (``lstm``, ``linear``, ``mlp``, ``wavenet``, ``tft``, ``trend``).
    n_inputs : int
        Features per day.
    hidden_size : int, default 10
        State size (of the single layer when ``hidden_sizes`` is not given).
    dropout : float, default 0.1
    l1 : float, default 0
        L1 penalty (``linear`` only).
    hidden_sizes : sequence of int, optional
        One size per stacked layer, for a stacked network (``trend``).
    n_heads : int, optional
        Attention heads of a network with attention (``tft``); ignored by the others.
    n_assets : int, default 0
        Assets of a learned per-asset embedding (``tft`` only); 0 for none.

    Returns
    -------
    torch.nn.Module
    """
    spec = network_spec(model)
    sizes = (int(hidden_size),) if hidden_sizes is None else tuple(int(h) for h in hidden_sizes)
    if not spec.stacked and len(sizes) != 1:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"model {model!r} has one hidden layer; give hidden_size, not {len(sizes)} sizes")
    extra: dict[str, int] = {}
    if spec.attention and n_heads is not None:
        extra["n_heads"] = int(n_heads)
    if n_assets:
        if not spec.embeds_assets:
            from deepmomentum.exceptions import ConfigError

            embedders = ", ".join(k for k, v in NETWORKS.items() if v.embeds_assets)
            raise ConfigError(f"model {model!r} has no asset embedding; only {embedders} do")
        extra["n_assets"] = int(n_assets)
    return spec.builder(n_inputs, sizes, dropout, l1, **extra)


def embedded_assets(state_dict: dict[str, torch.Tensor]) -> int:
    """Assets of the per-asset embedding in saved weights; 0 when they have none."""
    weight = state_dict.get("asset_embedding.weight")
    return 0 if weight is None else int(weight.shape[0])
