"""Build a system from its configuration: one implementation per stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deepmomentum.config import CLASSICAL_SIGNALS, RunConfig
from deepmomentum.exceptions import ConfigError
from deepmomentum.pipeline._stages import PortfolioStage, RebalanceStage, SignalStage
from deepmomentum.portfolio import ConstrainedBook, VolScaling
from deepmomentum.rebalancing import Daily, Hybrid
from deepmomentum.signals import ClassicalSignal, DmnSignal, TrendModelSignal

__all__ = ["Composition", "compose"]


@dataclass
class Composition:
    """A system: signal -> portfolio -> rebalancing (-> the engine, by the portfolio's convention)."""

    signal: SignalStage
    portfolio: PortfolioStage
    rebalance: RebalanceStage

    @property
    def kind(self) -> str:
        """The run-folder layout: ``dmn`` (paper engine) or ``managed_futures`` (the NAV book)."""
        return "managed_futures" if self.portfolio.convention == "nav" else "dmn"

    @property
    def paper_daily(self) -> bool:
        """The paper's own path: vol scaling traded to target every day."""
        return self.portfolio.convention == "paper" and self.rebalance.name == "daily"

    def describe(self) -> dict[str, Any]:
        """The stage names, for ``meta.json``."""
        return {
            "signal": self.signal.name,
            "portfolio": self.portfolio.name,
            "rebalance": self.rebalance.name,
        }


def _signal(cfg: RunConfig) -> SignalStage:
    name = cfg.stages.signal
    if name == "dmn":
        if not cfg.models:
            raise ConfigError("the configuration lists no [[models]]; add one or use --preset dmn-quick")
        return DmnSignal(list(cfg.models))
    if name in CLASSICAL_SIGNALS:
        return ClassicalSignal(name)
    core = cfg.core_signal
    if core == "dmn" and not cfg.models:  # the config validator refuses this; a mutated config may not
        raise ConfigError("overlays.core_signal = 'dmn' needs [[models]]")
    dmn = DmnSignal(list(cfg.models)) if core == "dmn" else None
    return TrendModelSignal(core=core, dmn=dmn)


def _check_names(cfg: RunConfig) -> None:
    names = [m.name for m in cfg.models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique, got {names}")
    clash = set(names) & set(cfg.backtest.strategies)
    if clash:
        raise ConfigError(f"model names clash with benchmark strategies: {sorted(clash)}")


def compose(cfg: RunConfig) -> Composition:
    """The composition ``cfg.stages`` names (see :class:`~deepmomentum.config.PipelineConfig`)."""
    _check_names(cfg)
    stages = cfg.stages
    portfolio: PortfolioStage = ConstrainedBook() if stages.portfolio == "constrained" else VolScaling()
    rebalance: RebalanceStage = Hybrid() if stages.rebalance == "hybrid" else Daily()
    return Composition(_signal(cfg), portfolio, rebalance)
