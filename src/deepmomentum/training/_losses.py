"""Training losses of Deep Momentum Networks (DOMAIN.md, Part A).

All losses take raw network outputs ``z`` of shape (batch, time), the
targets of the same shape and a boolean ``mask`` of valid asset-days;
masked entries (padding, missing days, purged labels) never contribute.

- ``sharpe``: ``-sqrt(252) mean(R) / std(R)``, with captured returns
  ``R = tanh(z) * scale * r_next`` and ``scale = sigma_tgt / sigma_t``;
  with ``cost_bps > 0`` it is the Sharpe of the cost-adjusted return
  ``R~ = R - c |w_t - w_{t-1}|`` (turnover-regularised).
- ``avg_return``: ``-mean(R)``.
- ``mse``: regress ``r_next / sigma_t`` on ``z``; trade ``sign(z)``.
- ``bce``: classify ``r_next > 0`` from ``sigmoid(z)``; trade ``sign(z)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["LOSS_NAMES", "LossSpec", "captured_returns", "masked_sharpe"]

LOSS_NAMES: tuple[str, ...] = ("sharpe", "avg_return", "mse", "bce")
_EPS = 1e-12


def captured_returns(
    position: torch.Tensor,
    scale: torch.Tensor,
    r_next: torch.Tensor,
    mask: torch.Tensor,
    cost: float = 0.0,
    max_weight: float = float("inf"),
) -> torch.Tensor:
    """Vol-scaled captured returns, net of costs, zero where masked.

    Parameters
    ----------
    position : torch.Tensor of shape (batch, time)
        Positions X in [-1, 1].
    scale : torch.Tensor of shape (batch, time)
        ``sigma_tgt / sigma_t`` (annualised vols), i.e. the weight per unit position.
    r_next : torch.Tensor of shape (batch, time)
        Next-day returns, decimal.
    mask : torch.Tensor of shape (batch, time), bool
    cost : float
        Cost per unit traded notional, decimal (10 bp = 1e-3).
    max_weight : float, default inf
        Cap on ``|weight|``, exactly as the backtest clips ``X * sigma_tgt / sigma``.
    """
    weight = (position * scale).clamp(-max_weight, max_weight)
    ret = weight * r_next
    if cost > 0:
        traded = (weight[:, 1:] - weight[:, :-1]).abs()
        both = mask[:, 1:] & mask[:, :-1]
        charge = torch.zeros_like(ret)
        charge[:, 1:] = torch.where(both, traded, torch.zeros_like(traded)) * cost
        ret = ret - charge
    return torch.where(mask, ret, torch.zeros_like(ret))


def masked_sharpe(returns: torch.Tensor, mask: torch.Tensor, periods_per_year: int = 252) -> torch.Tensor:
    """Annualised Sharpe ``sqrt(252) mean(R) / sqrt(mean(R^2) - mean(R)^2)`` over masked entries."""
    n = mask.sum().clamp(min=1)
    mean = returns.sum() / n
    mean_sq = (returns**2).sum() / n
    return mean / torch.sqrt((mean_sq - mean**2).clamp(min=0) + _EPS) * periods_per_year**0.5


@dataclass(frozen=True)
class LossSpec:
    """A training loss and the cost it includes.

    Parameters
    ----------
    name : {"sharpe", "avg_return", "mse", "bce"}
    cost_bps : float, default 0
        Cost inside the loss (``sharpe`` and ``avg_return`` only), bp of traded notional.
    """

    name: str = "sharpe"
    cost_bps: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in LOSS_NAMES:
            from deepmomentum.exceptions import ConfigError

            raise ConfigError(f"unknown loss {self.name!r}; choose from {', '.join(LOSS_NAMES)}")

    @property
    def cost(self) -> float:
        """Cost as a decimal per unit traded notional."""
        return self.cost_bps * 1e-4

    def position(self, z: torch.Tensor) -> torch.Tensor:
        """Trading position from raw outputs: ``tanh`` or ``sign``."""
        if self.name in ("mse", "bce"):
            return torch.sign(z)
        return torch.tanh(z)

    def __call__(
        self,
        z: torch.Tensor,
        scale: torch.Tensor,
        r_next: torch.Tensor,
        norm_ret: torch.Tensor,
        mask: torch.Tensor,
        max_weight: float = float("inf"),
    ) -> torch.Tensor:
        """Loss value (scalar) over the masked entries; weights capped at ``max_weight``."""
        if self.name == "mse":
            err = torch.where(mask, (z - norm_ret) ** 2, torch.zeros_like(z))
            return err.sum() / mask.sum().clamp(min=1)
        if self.name == "bce":
            label = (r_next > 0).to(z.dtype)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(z, label, reduction="none")
            return torch.where(mask, bce, torch.zeros_like(bce)).sum() / mask.sum().clamp(min=1)
        ret = captured_returns(torch.tanh(z), scale, r_next, mask, self.cost, max_weight)
        if self.name == "avg_return":
            return -ret.sum() / mask.sum().clamp(min=1)
        return -masked_sharpe(ret, mask)

    def validation_sharpe(
        self,
        z: torch.Tensor,
        scale: torch.Tensor,
        r_next: torch.Tensor,
        mask: torch.Tensor,
        max_weight: float = float("inf"),
    ) -> float:
        """Sharpe of the traded positions (net of the loss's cost): the early-stopping score."""
        ret = captured_returns(self.position(z), scale, r_next, mask, self.cost, max_weight)
        return float(masked_sharpe(ret, mask))
