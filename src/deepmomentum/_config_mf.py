"""The managed-futures tables: ``[trend_model]``, ``[overlays]``, ``[portfolio]``, ``[rebalance]``.

Each table builds the library's own parameter class (:meth:`TrendModelConfig.params`,
:meth:`PortfolioConfig.constraints`, :meth:`RebalanceConfig.rules`), so the stage
builders copy nothing by hand. The defaults here are those of the library classes
(``TrendParams``, ``RebalanceRules``, ``PortfolioConstraints``; ``tests/test_config.py``
pins them equal) except where the managed-futures system chooses otherwise, which
the field says: the classes are not imported at module level because importing
them costs torch / scipy on every CLI start and ``training`` imports this package.

The old flat ``[managed_futures]`` table still loads: :func:`split_legacy` moves
each key to its new table, and :class:`ManagedFuturesConfig` reads the tables
under the old flat names.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

from deepmomentum._config_base import ConfigWarning, Strict
from deepmomentum._types import ClassBudget, CoreSignal, GrowthIndicator

if TYPE_CHECKING:
    from deepmomentum.portfolio import PortfolioConstraints
    from deepmomentum.rebalancing import RebalanceRules
    from deepmomentum.training import TrendParams

__all__ = [
    "MF_TABLES",
    "REGIMES",
    "TABLE_OF",
    "ManagedFuturesConfig",
    "OverlaysConfig",
    "PortfolioConfig",
    "RebalanceConfig",
    "TrendModelConfig",
    "raw_stages",
    "split_legacy",
    "used_tables",
]

REGIMES = ("expansion", "slowdown", "contraction", "recovery")


class TrendModelConfig(Strict):
    """The managed-futures trend model: a BiLSTM-attention network with direction and magnitude heads.

    Used when ``pipeline.signal = "trend_model"`` with ``overlays.core_signal = "model"``;
    :meth:`params` gives its :class:`~deepmomentum.training.TrendParams`. ``[training]``
    gives its windows (``first_test_year``, ``retrain_years``, ``val_fraction``),
    ``device``, ``precision`` and ``jobs``; the DMN's ``training.max_epochs``,
    ``patience`` and search do not apply to it.
    """

    horizon: int = Field(21, ge=1, description="Forward horizon h of the labels, trading days.")
    lookback: int = Field(20, ge=2, description="Input window, days (the sample for day t is [t-L+1, t]).")
    hidden_sizes: list[int] = Field([64, 32, 16], min_length=1, description="Stacked BiLSTM sizes.")
    dropout: float = Field(0.2, ge=0, lt=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0)
    max_grad_norm: float = Field(1.0, gt=0)
    max_epochs: int = Field(50, ge=1)
    patience: int = Field(10, ge=1, description="Early-stopping patience on the validation loss, epochs.")
    magnitude_weight: float = Field(1.0, ge=0, description="Weight of the magnitude (Huber) loss.")
    train_stride: int = Field(1, ge=1, description="Days between training samples of one asset.")
    max_train_samples: int | None = Field(None, ge=100, description="Cap on training samples (latest kept).")
    seeds: int = Field(1, ge=1, description="Models per window (their signals are averaged).")
    return_horizons: list[int] = Field([1, 5, 21, 63, 126, 252], min_length=1)
    vol_spans: list[int] = Field([21, 63, 252], min_length=2, description="Vol-ratio feature spans.")
    signal_span: int = Field(63, ge=2, description="EWM span of |signal| for causal normalisation.")

    def params(self) -> TrendParams:
        """The network and training settings as the library's :class:`~deepmomentum.training.TrendParams`."""
        from deepmomentum.training import TrendParams

        return TrendParams(
            hidden_sizes=tuple(self.hidden_sizes),
            dropout=self.dropout,
            batch_size=self.batch_size,
            lr=self.lr,
            max_grad_norm=self.max_grad_norm,
            max_epochs=self.max_epochs,
            patience=self.patience,
            lookback=self.lookback,
            horizon=self.horizon,
            magnitude_weight=self.magnitude_weight,
            train_stride=self.train_stride,
            max_train_samples=self.max_train_samples,
        )


class OverlaysConfig(Strict):
    """What turns the core signal into the trend-model signal: regime, sentiment, timeframe mix.

    Used when ``pipeline.signal = "trend_model"``; the regime keys
    (``growth_indicator``, ``inflation_axis``, ``regime_confirm_days``) also
    drive the regime trigger of ``pipeline.rebalance = "hybrid"``.
    """

    core_signal: CoreSignal = Field(
        "model",
        description="The short-term component: the [trend_model], or (ablation) TSMOM or the [[models]] DMN.",
    )
    growth_indicator: GrowthIndicator = Field(
        "cfnai", description="Macro growth indicator (market-implied fallback without --macro-dir)."
    )
    inflation_axis: bool = Field(True, description="Record an inflation axis (CPI y/y vs trend).")
    regime_confirm_days: int = Field(5, ge=1, description="Market-implied regime must persist this long.")
    regime_weights: dict[str, list[float]] = Field(
        {
            "expansion": [0.3, 0.3, 0.4],
            "slowdown": [0.45, 0.35, 0.2],
            "contraction": [0.5, 0.3, 0.2],
            "recovery": [0.4, 0.4, 0.2],
        },
        description="Per regime, weights of the (short, medium, long) signal components.",
    )
    regime_overlay: bool = Field(True, description="Weigh the timeframes by regime (off: the average row).")
    sentiment_overlay: bool = Field(True, description="Adjust the short component by news sentiment.")
    sentiment_max_adjust: float = Field(0.2, ge=0, le=1, description="Bound on the sentiment adjustment.")
    sentiment_max_age_days: int = Field(5, ge=1, description="A score is used for at most this many days.")
    timeframe_mix: bool = Field(True, description="Mix short/medium/long components (off: short only).")

    @field_validator("regime_weights")
    @classmethod
    def _regime_table(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        missing = [r for r in REGIMES if r not in v]
        if missing:
            raise ValueError(f"regime_weights lacks {missing}; give all of {list(REGIMES)}")
        for name, w in v.items():
            if name not in REGIMES:
                raise ValueError(f"unknown regime {name!r}; use {list(REGIMES)}")
            if len(w) != 3 or any(x < 0 for x in w) or sum(w) <= 0:
                raise ValueError(f"regime_weights.{name} must be 3 non-negative weights, got {w}")
        return v


class PortfolioConfig(Strict):
    """The constrained book (``pipeline.portfolio = "constrained"``): weights are decimals of NAV.

    :meth:`constraints` gives its :class:`~deepmomentum.portfolio.PortfolioConstraints`;
    the alignment, tilt, blend and covariance keys are the book's own steps.
    """

    vol_target: float = Field(0.15, gt=0, le=1, description="Portfolio vol target, annual decimal.")
    cov_span: int = Field(63, ge=5, description="EWM span of the covariance, days.")
    class_caps: dict[str, float] = Field(
        {"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1},
        description="Asset-class budgets, read as class_budget says (absent class: no budget).",
    )
    class_budget: ClassBudget = Field(
        "gross_share",
        description="gross_share: budgets are shares of the book's gross, normalised to sum to 1 "
        "(the book can reach its vol target); nav_cap: caps on each class's gross, decimal of NAV.",
    )
    max_position: float = Field(0.25, gt=0, description="Cap on |weight| per position.")
    max_gross: float = Field(1.8, gt=0, description="Cap on the gross leverage sum |w|.")
    net_bounds: tuple[float, float] | None = Field(
        (-0.15, 0.15), description="Bounds on the net exposure sum w; None disables."
    )
    min_active_classes: int = Field(3, ge=0, description="Classes whose gross share >= min_class_share.")
    min_class_share: float = Field(0.05, ge=0, lt=1)
    sector_max_share: float = Field(
        0.5, gt=0, le=1, description="Commodity sector cap, share of its class cap."
    )
    trend_alignment: float = Field(
        0.5, ge=0, le=1, description="Multiplier of signals against the slow trend."
    )
    tilt_strength: float = Field(0.25, ge=0, lt=1, description="Class tilt by trailing performance, +-.")
    tilt_lookback: int = Field(126, ge=5)
    benchmark_blend: float = Field(
        0.1, ge=0, le=1, description="Share of the static allocation in the blend."
    )
    benchmark_weights: dict[str, float] = Field({"SPY": 0.4, "IEF": 0.4, "GLD": 0.2})

    @field_validator("net_bounds")
    @classmethod
    def _net(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (v[0] <= 0 <= v[1]):
            raise ValueError(f"net_bounds must satisfy lower <= 0 <= upper, got {v}")
        return v

    def constraints(self, classes: list[str], sectors: list[Any]) -> PortfolioConstraints:
        """The constraints for a book of assets with these classes and (commodity) sectors.

        Parameters
        ----------
        classes : list of str
            Asset class per asset.
        sectors : list
            Sector per asset (None where it has none).

        Returns
        -------
        PortfolioConstraints
            With ``gross_share`` budgets the sector cap is a share of the class
            (like the budgets); with ``nav_cap`` it is ``sector_max_share`` times
            the commodity cap, per commodity sector.
        """
        from deepmomentum.portfolio import PortfolioConstraints

        if self.class_budget == "gross_share":
            sector: dict[str, Any] = {"sector_max_share": self.sector_max_share}
        else:
            cap = self.class_caps.get("commodity", self.max_gross)
            pairs = zip(sectors, classes, strict=True)
            sector = {"sector_caps": {s: self.sector_max_share * cap for s, k in pairs if k == "commodity"}}
        return PortfolioConstraints(
            vol_target=self.vol_target,
            class_caps=dict(self.class_caps),
            class_budget=self.class_budget,
            **sector,
            max_position=self.max_position,
            max_gross=self.max_gross,
            net_bounds=self.net_bounds,
            min_active_classes=self.min_active_classes,
            min_class_share=self.min_class_share,
        )


class RebalanceConfig(Strict):
    """The hybrid triggers (``pipeline.rebalance = "hybrid"``); spacing is calendar days.

    :meth:`rules` gives its :class:`~deepmomentum.rebalancing.RebalanceRules`.
    """

    quarterly: bool = Field(True, description="Rebalance on the first trading day of each quarter.")
    min_days_between: int = Field(14, ge=0, description="Calendar days between rebalances.")
    max_per_year: int | None = Field(12, ge=1, description="Cap on rebalances per calendar year.")
    signal_change: float = Field(0.15, gt=0, description="Trigger: |change| of one asset's signal.")
    mean_signal_change: float = Field(0.075, gt=0, description="Trigger: change of the mean |signal|.")
    reversal_assets: list[str] = Field(
        ["SPY", "TLT", "BNO|USO"], description="Direction flips that trigger; 'A|B': the first present."
    )
    daily_variant: bool = Field(True, description="Also report daily rebalancing (mf_daily).")

    def rules(self, symbols: list[str]) -> RebalanceRules:
        """The triggers for a book of ``symbols`` (reversal assets resolved against them)."""
        from deepmomentum.rebalancing import RebalanceRules
        from deepmomentum.signals import resolve_reversal

        return RebalanceRules(
            quarterly=self.quarterly,
            reversal_assets=resolve_reversal(self.reversal_assets, symbols),
            signal_change=self.signal_change,
            mean_signal_change=self.mean_signal_change,
            min_days_between=self.min_days_between,
            max_per_year=self.max_per_year,
        )


#: The managed-futures tables, by their key in the configuration.
MF_TABLES: dict[str, type[Strict]] = {
    "trend_model": TrendModelConfig,
    "overlays": OverlaysConfig,
    "portfolio": PortfolioConfig,
    "rebalance": RebalanceConfig,
}
#: Old ``[managed_futures]`` key -> its table now.
TABLE_OF: dict[str, str] = {key: table for table, cls in MF_TABLES.items() for key in cls.model_fields}


def used_tables(signal: str, portfolio: str, rebalance: str, core: str) -> set[str]:
    """The tables (and ``models``) a pipeline reads; the others would be ignored."""
    used = set()
    if signal == "trend_model" and core == "model":
        used.add("trend_model")
    if signal == "trend_model" or rebalance == "hybrid":  # the hybrid's regime trigger reads the regime keys
        used.add("overlays")
    if portfolio == "constrained":
        used.add("portfolio")
    if rebalance == "hybrid":
        used.add("rebalance")
    if signal == "dmn" or (signal == "trend_model" and core == "dmn"):
        used.add("models")
    return used


def _get(node: Any, key: str, default: Any) -> Any:
    """``node[key]`` of a TOML table or a model's attribute; ``default`` if unset."""
    if node is None:
        return default
    value = node.get(key) if isinstance(node, Mapping) else getattr(node, key, None)
    return default if value is None else value


def raw_stages(data: Mapping[str, Any], defaults: tuple[str, str, str]) -> tuple[str, str, str, str]:
    """(signal, portfolio, rebalance, core) of unvalidated data, as ``RunConfig.stages`` infers them."""
    core = str(_get(data.get("overlays"), "core_signal", "model"))
    p = data.get("pipeline")
    if p is not None:
        keys = ("signal", "portfolio", "rebalance")
        signal, portfolio, rebalance = (str(_get(p, k, d)) for k, d in zip(keys, defaults, strict=True))
        return signal, portfolio, rebalance, core
    if any(data.get(t) is not None for t in MF_TABLES):
        return "trend_model", "constrained", "hybrid", core
    return *defaults, core


def split_legacy(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the old flat ``[managed_futures]`` moved into the new tables (a ConfigWarning).

    Every key goes to its table, even one the pipeline ignores (old run folders
    hold every key; a resume must compare equal), and every table of the
    managed-futures system is present, so the pipeline is inferred as before.
    """
    out = dict(data)
    flat = out.pop("managed_futures")
    if isinstance(flat, ManagedFuturesConfig):
        flat = flat.flat()
    flat = dict(flat or {})
    unknown = sorted(k for k in flat if k not in TABLE_OF)
    if unknown:
        raise ValueError(f"managed_futures: unknown key(s) {', '.join(unknown)}")
    moved: dict[str, dict[str, Any]] = {t: {} for t in MF_TABLES}
    for key, value in flat.items():
        moved[TABLE_OF[key]][key] = value
    for table, values in moved.items():
        if out.get(table) is not None:
            raise ValueError(f"[managed_futures] and [{table}] are both given; move the keys to [{table}]")
        out[table] = values
    listed = "; ".join(f"[{t}]: {', '.join(v)}" for t, v in moved.items() if v)
    warnings.warn(
        "[managed_futures] is deprecated: its keys now go in [trend_model], [overlays], [portfolio] and "
        f"[rebalance] (see docs/configuration.md){'; here ' + listed if listed else ''}",
        ConfigWarning,
        stacklevel=2,
    )
    return out


class ManagedFuturesConfig:
    """The managed-futures tables under the old flat ``[managed_futures]`` names.

    ``view.max_epochs`` reads ``cfg.trend_model.max_epochs`` (the default when
    the table is absent); assigning sets it on the table, validated. For code
    written against the old table; new code reads the tables.

    Parameters
    ----------
    cfg : BaseModel
        The :class:`~deepmomentum.config.RunConfig` whose tables are read.
    """

    __slots__ = ("_cfg",)

    def __init__(self, cfg: BaseModel) -> None:
        object.__setattr__(self, "_cfg", cfg)

    def _table(self, key: str, create: bool = False) -> BaseModel:
        if key not in TABLE_OF:
            raise AttributeError(f"no managed-futures setting {key!r}")
        name = TABLE_OF[key]
        table = getattr(self._cfg, name)
        if table is None:
            table = MF_TABLES[name]()
            if create:
                setattr(self._cfg, name, table)
                table = getattr(self._cfg, name)
        return table

    def __getattr__(self, key: str) -> Any:
        return getattr(self._table(key), key)

    def __setattr__(self, key: str, value: Any) -> None:
        setattr(self._table(key, create=True), key, value)

    def flat(self) -> dict[str, Any]:
        """Every setting under its old name (defaults for absent tables)."""
        return {k: v for name in MF_TABLES for k, v in self._table_dump(name).items()}

    def _table_dump(self, name: str) -> dict[str, Any]:
        table = getattr(self._cfg, name) or MF_TABLES[name]()
        return table.model_dump(mode="python")
