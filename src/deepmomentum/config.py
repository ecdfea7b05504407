"""Run configuration: TOML files validated by pydantic.

A configuration file has one table per part::

    seed = 42

    [data]
    data_dir = "../shared/data/etf"   # omit for the synthetic demo data
    start = 2008-01-01

    [features]
    winsorise = true

    [backtest]
    strategies = ["long_only", "tsmom", "macd"]
    cost_bps = [0, 2, 10]
    vol_target = 0.15

Unknown keys are rejected, so a typo is an error rather than a silent default.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deepmomentum._types import PortfolioName, RebalanceName
from deepmomentum._validation import format_validation_error
from deepmomentum.exceptions import ConfigError

__all__ = [
    "CLASSICAL_SIGNALS",
    "BacktestConfig",
    "DataConfig",
    "FeatureConfig",
    "ManagedFuturesConfig",
    "ModelVariant",
    "PipelineConfig",
    "RunConfig",
    "SearchSpace",
    "TrainingConfig",
    "dump_config",
    "load_config",
    "to_toml_dict",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_ACQUISITION_FIELD_DOC = (
    "The data commands' [acquisition] table (see docs/data.md), read by `deepmomentum data`; "
    "accepted here so that one file can serve both, and never written to a run folder "
    "(it may hold an API key)."
)


class DataConfig(_Strict):
    """Where the prices come from and which span is backtested."""

    data_dir: Path | None = Field(
        None, description="Folder with universe.csv and SYMBOL.csv files; None: synthetic demo data."
    )
    start: dt.date | None = Field(None, description="First day of the backtest (earlier data warms up).")
    end: dt.date | None = Field(None, description="Last day of the backtest.")
    min_history: int = Field(252, ge=2, description="Tradable instruments with fewer prices are excluded.")
    max_carry_days: int = Field(5, ge=0, description="Longest holiday over which a price is carried.")
    acquisition: dict[str, Any] | None = Field(
        None, exclude=True, repr=False, description="Same as the top-level [acquisition] table."
    )
    quality_check: bool = Field(True, description="Check data quality before use; refuse unresolved errors.")
    quality: dict[str, Literal["flag", "drop", "ffill", "keep", "error"]] = Field(
        default_factory=dict,
        description=(
            "Action per issue type (spike, non_positive, stale, gap, calendar): drop, keep, error, ffill "
            "or flag; default: spike = drop (isolated bad prints), the others flag."
        ),
    )
    macro_dir: Path | None = Field(
        None, description="Folder of macro series (SERIES.csv, date,value); None: market-implied regime."
    )
    sentiment_dir: Path | None = Field(
        None, description="Folder of SYMBOL.csv (date,score in [-1, 1]) or a sentiment parquet; None: off."
    )


class FeatureConfig(_Strict):
    """The network inputs of Deep Momentum Networks (Lim, Zohren & Roberts, 2019)."""

    horizons: list[int] = Field([1, 21, 63, 126, 252], description="Normalised-return horizons, days.")
    macd_pairs: list[tuple[int, int]] = Field(
        [(8, 24), (16, 48), (32, 96)], description="MACD (short, long) timescales."
    )
    vol_span: int = Field(60, ge=2, description="EWM span of the ex-ante vol, days.")
    winsorise: bool = Field(True, description="Causally clip prices at EWM mean +- n_std EWM std.")
    winsorise_halflife: int = Field(252, ge=2)
    winsorise_n_std: float = Field(5.0, gt=0)


class BacktestConfig(_Strict):
    """From positions to returns."""

    strategies: list[str] = Field(["long_only", "tsmom", "macd"], description="Classical strategies.")
    cost_bps: list[float] = Field([0.0, 2.0, 10.0], description="Cost levels, bp of traded notional.")
    universe_costs: bool = Field(False, description="Add a variant with per-asset costs from universe.csv.")
    vol_target: float = Field(0.15, gt=0, le=2, description="Annual vol target per asset, decimal.")
    max_weight: float = Field(10.0, gt=0, description="Cap on |weight| per asset.")
    portfolio_vol_target: bool = Field(False, description="Also target portfolio vol ex ante (causal).")
    max_leverage: float = Field(10.0, gt=0, description="Cap on the portfolio vol scaling factor.")

    @field_validator("cost_bps")
    @classmethod
    def _non_negative(cls, v: list[float]) -> list[float]:
        if any(c < 0 for c in v):
            raise ValueError("cost levels must be >= 0 bp")
        return v


class SearchSpace(_Strict):
    """Hyperparameter grid (the paper's by default); each trial draws one value per list."""

    dropout: list[float] = Field([0.1, 0.2, 0.3, 0.4, 0.5])
    hidden_size: list[int] = Field([5, 10, 20, 40, 80, 160])
    batch_size: list[int] = Field([64, 128, 256])
    lr: list[float] = Field([1e-4, 1e-3, 1e-2, 1e-1])
    max_grad_norm: list[float] = Field([0.01, 1.0, 100.0])
    l1: list[float] = Field([1e-5, 1e-4, 1e-3, 1e-2], description="L1 penalty grid (linear model only).")


class ModelVariant(_Strict):
    """One network + loss to train walk-forward; its name labels its results."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9_\-]+$", description="Label, e.g. lstm or lstm_cost10.")
    model: Literal["lstm", "linear", "mlp", "wavenet"] = "lstm"
    loss: Literal["sharpe", "avg_return", "mse", "bce"] = "sharpe"
    cost_bps: float = Field(0.0, ge=0, description="Cost inside the loss, bp (turnover regularisation).")
    lags: int | None = Field(
        None, ge=1, description="Days of features per input; default 1 (lstm, wavenet) or 5."
    )
    search: SearchSpace | None = Field(None, description="Overrides the training-level grid.")

    @property
    def n_lags(self) -> int:
        """Effective lags."""
        if self.lags is not None:
            return self.lags
        return 5 if self.model in ("linear", "mlp") else 1


class TrainingConfig(_Strict):
    """Walk-forward training and hyperparameter search."""

    first_test_year: int = Field(2011, description="First out-of-sample year.")
    last_test_year: int | None = Field(None, description="Last out-of-sample year (default: data end).")
    retrain_years: int = Field(5, ge=1, description="Years per test window (expanding training window).")
    seq_len: int = Field(63, ge=2, description="Sequence length, days.")
    val_fraction: float = Field(0.1, gt=0, lt=0.5, description="Time-ordered validation share of a window.")
    max_epochs: int = Field(100, ge=1)
    patience: int = Field(25, ge=1, description="Early-stopping patience, epochs.")
    n_trials: int = Field(50, ge=1, description="Hyperparameter trials per window and model.")
    sampler: Literal["random", "tpe"] = "random"
    seeds_per_trial: int = Field(1, ge=1, description="Seeds trained per trial (averaged).")
    ensemble_top_k: int = Field(1, ge=1, description="Average the positions of the top-k trials.")
    jobs: int = Field(1, ge=1, description="Parallel local workers (joblib); with Ray, tasks at once.")
    executor: Literal["local", "ray"] = Field("local", description="Where tasks run: local or ray.")
    ray_address: str | None = Field(None, description="Ray cluster address; None starts a local one.")
    storage: str | None = Field(
        None,
        description="Optuna storage URL shared by several machines (e.g. postgresql://...); "
        "None: optuna.db in the run folder.",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    search: SearchSpace = Field(default_factory=SearchSpace)


_REGIMES = ("expansion", "slowdown", "contraction", "recovery")


class ManagedFuturesConfig(_Strict):
    """ML-enhanced ETF managed futures (issue 5; see ``docs/portfolio.md``).

    Weights and caps are decimals of NAV; vols are annual decimals; spans and
    horizons are trading days; spacing is calendar days.
    """

    # trend model (BiLSTM-attention, two heads)
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
    # regime and sentiment
    growth_indicator: Literal["cfnai", "indpro"] = Field(
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
    core_signal: Literal["model", "tsmom", "dmn"] = Field(
        "model",
        description="The short-term component: the trend model, or (ablation) TSMOM or the [[models]] DMN.",
    )
    regime_overlay: bool = Field(True, description="Weigh the timeframes by regime (off: the average row).")
    sentiment_overlay: bool = Field(True, description="Adjust the short component by news sentiment.")
    timeframe_mix: bool = Field(True, description="Mix short/medium/long components (off: short only).")
    sentiment_max_adjust: float = Field(0.2, ge=0, le=1, description="Bound on the sentiment adjustment.")
    sentiment_max_age_days: int = Field(5, ge=1, description="A score is used for at most this many days.")
    # portfolio construction
    vol_target: float = Field(0.15, gt=0, le=1, description="Portfolio vol target, annual decimal.")
    cov_span: int = Field(63, ge=5, description="EWM span of the covariance, days.")
    class_caps: dict[str, float] = Field(
        {"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1},
        description="Asset-class budgets, read as class_budget says (absent class: no budget).",
    )
    class_budget: Literal["gross_share", "nav_cap"] = Field(
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
    # rebalancing
    quarterly: bool = True
    min_days_between: int = Field(14, ge=0, description="Calendar days between rebalances.")
    max_per_year: int | None = Field(12, ge=1, description="Cap on rebalances per calendar year.")
    signal_change: float = Field(0.15, gt=0, description="Trigger: |change| of one asset's signal.")
    mean_signal_change: float = Field(0.075, gt=0, description="Trigger: change of the mean |signal|.")
    reversal_assets: list[str] = Field(["SPY", "TLT", "BNO|USO"], description="'A|B': first present.")
    daily_variant: bool = Field(True, description="Also report daily rebalancing (mf_daily).")

    @field_validator("regime_weights")
    @classmethod
    def _regime_table(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        missing = [r for r in _REGIMES if r not in v]
        if missing:
            raise ValueError(f"regime_weights lacks {missing}; give all of {list(_REGIMES)}")
        for name, w in v.items():
            if name not in _REGIMES:
                raise ValueError(f"unknown regime {name!r}; use {list(_REGIMES)}")
            if len(w) != 3 or any(x < 0 for x in w) or sum(w) <= 0:
                raise ValueError(f"regime_weights.{name} must be 3 non-negative weights, got {w}")
        return v

    @field_validator("net_bounds")
    @classmethod
    def _net(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (v[0] <= 0 <= v[1]):
            raise ValueError(f"net_bounds must satisfy lower <= 0 <= upper, got {v}")
        return v


#: Signals that need no training: the classical rules.
CLASSICAL_SIGNALS = ("long_only", "tsmom", "macd")


class PipelineConfig(_Strict):
    """Which implementation runs each stage: signal -> portfolio -> rebalancing -> engine.

    The Deep Momentum Network is ``dmn`` / ``vol_scaling`` / ``daily``; the
    managed-futures system is ``trend_model`` / ``constrained`` / ``hybrid``.
    Any signal goes into any portfolio step with any schedule (see
    ``docs/architecture.md``).
    """

    signal: str = Field(
        "dmn",
        description="dmn (the [[models]], walk-forward), trend_model (the [managed_futures] BiLSTM "
        "with its overlays) or a classical rule: long_only, tsmom, macd.",
    )
    portfolio: PortfolioName = Field(
        "vol_scaling",
        description="vol_scaling (the paper's X * 15% / sigma, averaged over assets) or constrained "
        "(the managed-futures book: class budgets, caps, net bounds, vol target).",
    )
    rebalance: RebalanceName = Field(
        "daily", description="daily (trade to target every day) or hybrid (the managed-futures triggers)."
    )

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, v: str) -> str:
        known = ("dmn", "trend_model", *CLASSICAL_SIGNALS)
        if v not in known:
            raise ValueError(f"unknown signal {v!r}; use one of {list(known)}")
        return v


class RunConfig(_Strict):
    """A whole run: data, features, backtest, and the models trained walk-forward."""

    description: str = Field("", description="Free text shown by `deepmomentum presets`.")
    seed: int = Field(42, description="Seed of every random draw.")
    data: DataConfig = Field(default_factory=DataConfig)
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    backtest: BacktestConfig = Field(default_factory=BacktestConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    models: list[ModelVariant] = Field(default_factory=list, description="Models trained by `run`.")
    acquisition: dict[str, Any] | None = Field(
        None, exclude=True, repr=False, description=_ACQUISITION_FIELD_DOC
    )
    managed_futures: ManagedFuturesConfig | None = Field(
        None, description="ML-enhanced ETF managed futures (runs instead of [[models]])."
    )
    pipeline: PipelineConfig | None = Field(
        None,
        description="The stages to compose; default: the managed-futures system when "
        "[managed_futures] is given, else the Deep Momentum Network.",
    )

    @property
    def stages(self) -> PipelineConfig:
        """The pipeline to run: ``pipeline``, or the system the other tables describe."""
        if self.pipeline is not None:
            return self.pipeline
        if self.managed_futures is not None:
            return PipelineConfig(signal="trend_model", portfolio="constrained", rebalance="hybrid")
        return PipelineConfig()

    @model_validator(mode="after")
    def _stages_have_their_tables(self) -> RunConfig:
        p = self.pipeline
        if p is None:
            return self
        needs_mf = p.signal == "trend_model" or p.portfolio == "constrained" or p.rebalance == "hybrid"
        if needs_mf and self.managed_futures is None:
            raise ValueError(
                f"pipeline ({p.signal}, {p.portfolio}, {p.rebalance}) needs a [managed_futures] table "
                "for the trend model, the constrained book or the hybrid triggers"
            )
        if p.signal == "dmn" and not self.models:
            raise ValueError("pipeline.signal = 'dmn' needs at least one [[models]] table")
        if p.signal != "dmn" and self.models:
            raise ValueError(
                f"[[models]] would be ignored: pipeline.signal is {p.signal!r}; remove [[models]] or "
                "set pipeline.signal = 'dmn'"
            )
        return self

    def with_overrides(
        self, overrides: Mapping[str, Any], names: Mapping[str, str] | None = None
    ) -> RunConfig:
        """A validated copy with dotted keys replaced (``{"backtest.vol_target": 0.1}``).

        Parameters
        ----------
        overrides : mapping of str to Any
            Dotted key -> new value; None values are skipped (option not given).
        names : mapping of str to str, optional
            Dotted key -> what the user typed (e.g. ``--vol-target``), used in
            error messages instead of the key.

        Raises
        ------
        ConfigError
            One line per invalid value, naming the option or key and what is
            allowed (e.g. ``--cost-bps: cost levels must be >= 0 bp (got [-5.0])``).
        """
        data = self.model_dump(mode="python", exclude_none=False)
        data["acquisition"] = self.acquisition
        data["data"]["acquisition"] = self.data.acquisition
        for key, value in overrides.items():
            if value is None:
                continue
            *parents, last = key.split(".")
            node = data
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, type(self), names)) from None


def _format_errors(exc: ValidationError, model: type[BaseModel] = BaseModel) -> str:
    return format_validation_error(exc, model)


def load_config(path: str | Path, model: type[RunConfig] = RunConfig) -> RunConfig:
    """Read and validate a TOML configuration file.

    Relative ``data_dir`` paths are resolved against the file's folder.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    return parse_config(raw, model, source=str(path), base=path.parent)


def parse_config(
    raw: dict[str, Any],
    model: type[RunConfig] = RunConfig,
    source: str = "configuration",
    base: Path | None = None,
) -> RunConfig:
    """Validate a configuration dictionary (e.g. parsed TOML)."""
    try:
        cfg = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_format_errors(exc, model)}") from None
    if base is not None and cfg.data.data_dir is not None and not cfg.data.data_dir.is_absolute():
        cfg.data.data_dir = (base / cfg.data.data_dir).resolve()
    if base is not None:
        for key in ("macro_dir", "sentiment_dir"):
            value = getattr(cfg.data, key)
            if value is not None and not value.is_absolute():
                setattr(cfg.data, key, (base / value).resolve())
    return cfg


def to_toml_dict(cfg: BaseModel) -> dict[str, Any]:
    """The configuration as TOML-serialisable data (None dropped, paths as text)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    out: dict[str, Any] = clean(cfg.model_dump(mode="python"))
    return out


def dump_config(cfg: BaseModel) -> str:
    """The configuration as TOML text."""
    return tomli_w.dumps(to_toml_dict(cfg))
