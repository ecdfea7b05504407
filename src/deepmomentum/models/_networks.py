"""Networks that map feature sequences to one output per asset-day.

Every network takes inputs of shape (batch, time, n_inputs) and returns raw
outputs ``z`` of shape (batch, time). The loss decides how ``z`` becomes a
position: ``tanh(z)`` for the Sharpe and return losses, ``sign(z)`` for the
MSE and BCE losses. The output at time t depends only on inputs at times
<= t (all networks are causal).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MODEL_NAMES", "LSTMNet", "LinearNet", "MLPNet", "WaveNet", "build_network"]

MODEL_NAMES: tuple[str, ...] = ("lstm", "linear", "mlp", "wavenet")


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


def build_network(
    model: str, n_inputs: int, hidden_size: int = 10, dropout: float = 0.1, l1: float = 0.0
) -> nn.Module:
    """Build a network by name (``lstm``, ``linear``, ``mlp``, ``wavenet``)."""
    if model == "lstm":
        return LSTMNet(n_inputs, hidden_size, dropout)
    if model == "linear":
        return LinearNet(n_inputs, l1)
    if model == "mlp":
        return MLPNet(n_inputs, hidden_size, dropout)
    if model == "wavenet":
        return WaveNet(n_inputs, hidden_size, dropout)
    from deepmomentum.exceptions import ConfigError

    raise ConfigError(f"unknown model {model!r}; choose from {', '.join(MODEL_NAMES)}")
