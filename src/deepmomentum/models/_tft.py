"""A decoder-only Temporal Fusion Transformer: the Momentum Transformer's network.

After Lim et al. (2021), "Temporal Fusion Transformers for interpretable
multi-horizon time series forecasting", in the decoder-only form of Wood,
Giegerich, Roberts & Zohren (2022), "Trading with the Momentum Transformer":

1. static covariate encoders: four context vectors (variable selection ``c_s``,
   enrichment ``c_e``, LSTM initial state ``c_h``, ``c_c``) from a learned
   asset embedding, or from one learned static vector when no asset is given;
   an asset the network was not trained on (one listed after the training
   span) gets the mean embedding of the trained ones;
2. a variable selection network: one gated residual network (GRN) per input
   variable, softmax weights over the variables conditioned on ``c_s``;
3. an LSTM encoder started from ``(c_h, c_c)``, gated skip (GLU), layer norm;
4. static enrichment: a GRN conditioned on ``c_e``;
5. interpretable multi-head attention (per-head queries and keys, one shared
   value projection, heads averaged) with a causal mask, gated skip, layer norm;
6. a position-wise GRN, gated skip to the LSTM block's output, layer norm;
7. a linear head: raw outputs ``z`` of shape (batch, time).

Like every ``sequence`` network the module returns ``z``; the loss maps it to
a position (``tanh(z)`` for the Sharpe loss), so positions lie in [-1, 1].
The output at t depends only on inputs at times <= t.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "GatedLinearUnit",
    "GatedResidualNetwork",
    "InterpretableMultiHeadAttention",
    "TFTNet",
    "VariableSelectionNetwork",
]


class GatedLinearUnit(nn.Module):
    """Dropout, then ``sigmoid(W4 x + b4) * (W5 x + b5)``: (..., d_in) -> (..., d_out)."""

    def __init__(self, d_in: int, d_out: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(d_in, 2 * d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Gate ``x`` of shape (..., d_in) into (..., d_out)."""
        gate, value = self.proj(self.dropout(x)).chunk(2, dim=-1)
        return torch.sigmoid(gate) * value


class GateAddNorm(nn.Module):
    """``LayerNorm(residual + GLU(x))``: the TFT's gated skip connection."""

    def __init__(self, d_in: int, d_out: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.glu = GatedLinearUnit(d_in, d_out, dropout)
        self.norm = nn.LayerNorm(d_out)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """Map ``x`` (..., d_in) and ``residual`` (..., d_out) to (..., d_out)."""
        out: torch.Tensor = self.norm(residual + self.glu(x))
        return out


class GatedResidualNetwork(nn.Module):
    """``LayerNorm(skip(a) + GLU(W1 ELU(W2 a + W3 c + b2) + b1))``.

    Parameters
    ----------
    d_in, d_hidden, d_out : int
        Input, hidden and output widths; the skip is a linear map when
        ``d_in != d_out``.
    dropout : float
        Dropout before the gate.
    context : bool
        Takes a context vector ``c`` of width ``d_hidden`` (``W3``, no bias).
    """

    def __init__(
        self, d_in: int, d_hidden: int, d_out: int, dropout: float = 0.0, context: bool = False
    ) -> None:
        super().__init__()
        self.skip: nn.Module = nn.Linear(d_in, d_out) if d_in != d_out else nn.Identity()
        self.fc2 = nn.Linear(d_in, d_hidden)
        self.ctx = nn.Linear(d_hidden, d_hidden, bias=False) if context else None
        self.fc1 = nn.Linear(d_hidden, d_hidden)
        self.gate = GateAddNorm(d_hidden, d_out, dropout)

    def forward(self, a: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``a`` (batch, [time,] d_in) and context ``c`` (batch, d_hidden) to (batch, [time,] d_out)."""
        h = self.fc2(a)
        if self.ctx is not None:
            if c is None:
                raise ValueError("this GRN needs a context vector")
            ctx = self.ctx(c)
            # one context per sample, the same at every time step
            h = h + (ctx.unsqueeze(1) if a.dim() == 3 else ctx)
        out: torch.Tensor = self.gate(self.fc1(F.elu(h)), self.skip(a))
        return out


class VariableSelectionNetwork(nn.Module):
    """Per-variable embeddings and GRNs, mixed by softmax weights over the variables.

    Parameters
    ----------
    n_vars : int
        Input variables (features) per time step.
    hidden_size : int
    dropout : float
    """

    def __init__(self, n_vars: int, hidden_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        # a scalar input gets its own linear embedding per variable
        self.embed_w = nn.Parameter(torch.randn(n_vars, hidden_size) / math.sqrt(hidden_size))
        self.embed_b = nn.Parameter(torch.zeros(n_vars, hidden_size))
        self.weights = GatedResidualNetwork(n_vars * hidden_size, hidden_size, n_vars, dropout, context=True)
        self.per_var = nn.ModuleList(
            GatedResidualNetwork(hidden_size, hidden_size, hidden_size, dropout) for _ in range(n_vars)
        )

    def forward(self, x: torch.Tensor, c_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Select over ``x`` (batch, time, n_vars) given ``c_s`` (batch, hidden).

        Returns
        -------
        selected : torch.Tensor of shape (batch, time, hidden)
        weights : torch.Tensor of shape (batch, time, n_vars)
            Softmax over the variables: each row sums to one.
        """
        xi = x.unsqueeze(-1) * self.embed_w + self.embed_b  # (batch, time, n_vars, hidden)
        weights = torch.softmax(self.weights(xi.flatten(-2), c_s), dim=-1)
        processed = torch.stack([grn(xi[..., j, :]) for j, grn in enumerate(self.per_var)], dim=-2)
        selected = (weights.unsqueeze(-1) * processed).sum(dim=-2)
        return selected, weights


class InterpretableMultiHeadAttention(nn.Module):
    """Causal self-attention with per-head queries and keys and one shared value map.

    The heads' outputs are averaged before the output projection, so the
    averaged attention matrix explains the layer (Lim et al., 2021, sec. 4.4).

    Parameters
    ----------
    hidden_size : int
    n_heads : int
        Per-head width ``max(1, hidden_size // n_heads)``.
    dropout : float
        Dropout on the attention weights (training only) and on the output.
    """

    def __init__(self, hidden_size: int, n_heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        if n_heads < 1:
            raise ValueError(f"n_heads must be >= 1, got {n_heads}")
        self.n_heads = n_heads
        self.d_k = max(1, hidden_size // n_heads)
        self.query = nn.Linear(hidden_size, n_heads * self.d_k)
        self.key = nn.Linear(hidden_size, n_heads * self.d_k)
        self.value = nn.Linear(hidden_size, self.d_k)  # shared by every head
        self.out = nn.Linear(self.d_k, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend over ``x`` (batch, time, hidden), position t to positions <= t.

        Returns
        -------
        out : torch.Tensor of shape (batch, time, hidden)
        weights : torch.Tensor of shape (batch, n_heads, time, time)
            ``weights[b, h, t, s]``: weight of position s for position t; 0 for
            s > t, and each row sums to one.
        """
        batch, time, _ = x.shape
        q = self.query(x).view(batch, time, self.n_heads, self.d_k).transpose(1, 2)
        k = self.key(x).view(batch, time, self.n_heads, self.d_k).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_k)  # (batch, heads, time, time)
        future = torch.ones(time, time, dtype=torch.bool, device=x.device).triu(1)
        # exp(-inf) is exactly 0: the future adds nothing, not even rounding
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        v = self.value(x).unsqueeze(1)  # (batch, 1, time, d_k)
        heads = self.dropout(weights) @ v  # (batch, heads, time, d_k)
        out: torch.Tensor = self.dropout(self.out(heads.mean(dim=1)))
        return out, weights


class TFTNet(nn.Module):
    """Decoder-only Temporal Fusion Transformer (the Momentum Transformer).

    Parameters
    ----------
    n_inputs : int
        Features per time step (each one a variable of the selection network).
    hidden_size : int, default 10
        Width of every layer (``d_model``).
    dropout : float, default 0.1
        Dropout inside every GLU and on the attention.
    n_heads : int, default 4
        Attention heads (the paper searches {1, 4}).
    n_assets : int, default 0
        Assets of a learned static embedding; ``forward`` then needs ``asset``.
        0: one learned static vector shared by every sample. Call
        :meth:`mark_seen` with the training assets before training.
    record_weights : bool, default True
        Keep the last forward pass's weights in ``last_weights_``.

    Attributes
    ----------
    last_weights_ : dict of str to torch.Tensor
        From the last forward pass, detached: ``"variables"`` of shape
        (batch, time, n_inputs), the variable-selection weights, and
        ``"attention"`` of shape (batch, n_heads, time, time), the causal
        attention weights of each head (their mean over heads is the TFT's
        interpretable attention).
    """

    asset_seen: torch.Tensor | None

    def __init__(
        self,
        n_inputs: int,
        hidden_size: int = 10,
        dropout: float = 0.1,
        n_heads: int = 4,
        n_assets: int = 0,
        record_weights: bool = True,
    ) -> None:
        super().__init__()
        h = hidden_size
        self.n_assets = n_assets
        self.record_weights = record_weights
        if n_assets > 0:
            self.asset_embedding: nn.Embedding | None = nn.Embedding(n_assets, h)
            # the scale of the shared static vector, not nn.Embedding's N(0, 1)
            nn.init.normal_(self.asset_embedding.weight, std=1 / math.sqrt(h))
            self.static_vector: nn.Parameter | None = None
        else:
            self.asset_embedding = None
            self.static_vector = nn.Parameter(torch.randn(h) / math.sqrt(h))
        # c_s (selection), c_e (enrichment), c_h, c_c (LSTM initial state)
        self.static_contexts = nn.ModuleList(GatedResidualNetwork(h, h, h, dropout) for _ in range(4))
        self.selection = VariableSelectionNetwork(n_inputs, h, dropout)
        self.lstm = nn.LSTM(h, h, batch_first=True)
        self.lstm_gate = GateAddNorm(h, h, dropout)
        self.enrichment = GatedResidualNetwork(h, h, h, dropout, context=True)
        self.attention = InterpretableMultiHeadAttention(h, n_heads, dropout)
        self.attention_gate = GateAddNorm(h, h, dropout)
        self.feed_forward = GatedResidualNetwork(h, h, h, dropout)
        self.output_gate = GateAddNorm(h, h, 0.0)
        self.head = nn.Linear(h, 1)
        self.last_weights_: dict[str, torch.Tensor] = {}
        # saved with the weights: which embedding rows were trained (None: not saved)
        seen = torch.zeros(n_assets, dtype=torch.bool) if n_assets > 0 else None
        self.register_buffer("asset_seen", seen)

    def mark_seen(self, asset: torch.Tensor) -> None:
        """Record the assets the network is trained on (their embedding rows are learned).

        Parameters
        ----------
        asset : torch.Tensor of shape (n,), dtype long
            Asset indices in the training data.
        """
        if self.asset_seen is None:
            raise ValueError("this network has no asset embedding (n_assets = 0)")
        self.asset_seen[asset.to(self.asset_seen.device)] = True

    def _static(self, batch: int, asset: torch.Tensor | None) -> torch.Tensor:
        """The static covariate of every sample, shape (batch, hidden)."""
        if self.asset_embedding is not None:
            if asset is None:
                raise ValueError(f"this network embeds {self.n_assets} assets: pass asset, shape (batch,)")
            out: torch.Tensor = self.asset_embedding(asset)
            seen = self.asset_seen
            assert seen is not None
            # an untrained row is noise: use the mean of the trained rows instead (all rows
            # when none is marked); tensor ops only, so no device sync per step
            weight = self.asset_embedding.weight
            share = seen.to(weight.dtype).unsqueeze(-1)
            mean = (weight * share).sum(dim=0) / share.sum().clamp(min=1.0)
            own = seen[asset] | ~seen.any()
            return torch.where(own.unsqueeze(-1), out, mean)
        if asset is not None:
            raise ValueError("this network has no asset embedding (n_assets = 0): call it without asset")
        assert self.static_vector is not None
        return self.static_vector.expand(batch, -1)

    def forward(self, x: torch.Tensor, asset: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``x`` (batch, time, n_inputs) to raw outputs ``z`` (batch, time).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, time, n_inputs)
        asset : torch.Tensor of shape (batch,), dtype long, optional
            Asset index of each sample (only with ``n_assets > 0``).
        """
        static = self._static(x.shape[0], asset)
        c_s, c_e, c_h, c_c = (grn(static) for grn in self.static_contexts)
        selected, var_weights = self.selection(x, c_s)
        encoded, _ = self.lstm(selected, (c_h.unsqueeze(0).contiguous(), c_c.unsqueeze(0).contiguous()))
        temporal = self.lstm_gate(encoded, selected)
        enriched = self.enrichment(temporal, c_e)
        attended, attn_weights = self.attention(enriched)
        fused = self.feed_forward(self.attention_gate(attended, enriched))
        out = self.output_gate(fused, temporal)
        if self.record_weights:
            self.last_weights_ = {"variables": var_weights.detach(), "attention": attn_weights.detach()}
        z: torch.Tensor = self.head(out).squeeze(-1)
        return z
