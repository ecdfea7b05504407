"""The managed-futures trend predictor: stacked BiLSTM with attention, two heads.

The input is one window of ``L`` days ``[t-L+1, t]`` for one asset; the
output belongs to day t. The LSTMs run both ways *within* that window, which
is causal because the window ends at t: nothing dated after t enters.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["TrendNet"]


class TrendNet(nn.Module):
    """Stacked (Bi)LSTM, additive attention over the window, direction and magnitude heads.

    Parameters
    ----------
    n_inputs : int
        Features per day.
    hidden_sizes : sequence of int, default (64, 32, 16)
        State size of each stacked LSTM (per direction).
    dropout : float, default 0.2
        Dropout between layers and before the heads.
    bidirectional : bool, default True
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_sizes: Sequence[int] = (64, 32, 16),
        dropout: float = 0.2,
        bidirectional: bool = True,
    ) -> None:
        super().__init__()
        k = 2 if bidirectional else 1
        layers = []
        size = n_inputs
        for h in hidden_sizes:
            layers.append(nn.LSTM(size, h, batch_first=True, bidirectional=bidirectional))
            size = h * k
        self.lstms = nn.ModuleList(layers)
        self.dropout = nn.Dropout(dropout)
        self.attn = nn.Linear(size, size)
        self.attn_v = nn.Linear(size, 1, bias=False)
        self.direction = nn.Linear(size, 1)
        self.magnitude = nn.Linear(size, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Map a window batch to the heads.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, L, n_inputs)
            Days t-L+1 ... t, oldest first.

        Returns
        -------
        logit : torch.Tensor of shape (batch,)
            Direction logit: ``sigmoid(logit)`` is P(forward h-day return > 0).
        magnitude : torch.Tensor of shape (batch,)
            Forward h-day vol-normalised return.
        attention : torch.Tensor of shape (batch, L)
            Attention weights over the window (sum to 1).
        """
        h = x
        for lstm in self.lstms:
            h, _ = lstm(h)
            h = self.dropout(h)
        score = self.attn_v(torch.tanh(self.attn(h))).squeeze(-1)
        weights = torch.softmax(score.float(), dim=-1)
        context = (weights.unsqueeze(-1) * h.float()).sum(dim=1)
        context = self.dropout(context)
        return self.direction(context).squeeze(-1), self.magnitude(context).squeeze(-1), weights
