"""Run configuration: TOML files validated by pydantic.

A configuration file has one table per part (the managed-futures tables are in
:mod:`deepmomentum._config_mf`)::

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
from typing import Any, Literal, get_args

import tomli_w
from pydantic import (
    BaseModel,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from deepmomentum._config_base import ConfigWarning, Strict
from deepmomentum._config_mf import (
    MF_TABLES,
    TABLE_OF,
    ManagedFuturesConfig,
    OverlaysConfig,
    PortfolioConfig,
    RebalanceConfig,
    TrendModelConfig,
    raw_stages,
    split_legacy,
    used_tables,
)
from deepmomentum._types import (
    Device,
    ExecutorName,
    LossName,
    ModelName,
    PortfolioName,
    Precision,
    QualityAction,
    RebalanceName,
    SamplerName,
    SignalName,
)
from deepmomentum._validation import format_validation_error
from deepmomentum.exceptions import ConfigError

__all__ = [
    "CLASSICAL_SIGNALS",
    "BacktestConfig",
    "ConfigWarning",
    "DataConfig",
    "FeatureConfig",
    "ManagedFuturesConfig",
    "ModelVariant",
    "OverlaysConfig",
    "PipelineConfig",
    "PortfolioConfig",
    "RebalanceConfig",
    "RunConfig",
    "SearchSpace",
    "TrainingConfig",
    "TrendModelConfig",
    "dump_config",
    "load_config",
    "to_toml_dict",
]


_ACQUISITION_FIELD_DOC = (
    "The data commands' [acquisition] table (see docs/data.md), read by `deepmomentum data`; "
    "accepted here so that one file can serve both, and never written to a run folder "
    "(it may hold an API key)."
)


class DataConfig(Strict):
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
    quality: dict[str, QualityAction] = Field(
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


class FeatureConfig(Strict):
    """The network inputs of Deep Momentum Networks (Lim, Zohren & Roberts, 2019)."""

    horizons: list[int] = Field([1, 21, 63, 126, 252], description="Normalised-return horizons, days.")
    macd_pairs: list[tuple[int, int]] = Field(
        [(8, 24), (16, 48), (32, 96)], description="MACD (short, long) timescales."
    )
    vol_span: int = Field(60, ge=2, description="EWM span of the ex-ante vol, days.")
    winsorise: bool = Field(True, description="Causally clip prices at EWM mean +- n_std EWM std.")
    winsorise_halflife: int = Field(252, ge=2)
    winsorise_n_std: float = Field(5.0, gt=0)
    cpd_lookbacks: list[int] = Field(
        [],
        description="Changepoint (CPD) lookbacks, days: append `cpd_nu_<l>` and `cpd_gamma_<l>` per lookback "
        "(Wood, Roberts & Zohren, 2021); empty: the eight inputs only.",
    )
    cpd_every: int = Field(
        1,
        ge=1,
        description="Fit the changepoint features every this many days and hold them in between (causal); "
        "5 is about five times faster. 1: every day, as in the paper.",
    )
    cpd_cache_dir: str | None = Field(
        None,
        description="Folder of the CPD fits, shared by runs on the same data (keyed by a data fingerprint); "
        "default: the run folder's `features/cpd/`.",
    )

    @field_validator("cpd_lookbacks")
    @classmethod
    def _cpd_lookbacks(cls, v: list[int]) -> list[int]:
        if any(lb < 3 for lb in v) or len(set(v)) != len(v):
            raise ValueError("cpd_lookbacks must be distinct and >= 3 days")
        return v


class BacktestConfig(Strict):
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


class SearchSpace(Strict):
    """Hyperparameter grid (the paper's by default); each trial draws one value per list."""

    dropout: list[float] = Field([0.1, 0.2, 0.3, 0.4, 0.5])
    hidden_size: list[int] = Field([5, 10, 20, 40, 80, 160])
    batch_size: list[int] = Field([64, 128, 256])
    lr: list[float] = Field([1e-4, 1e-3, 1e-2, 1e-1])
    max_grad_norm: list[float] = Field([0.01, 1.0, 100.0])
    l1: list[float] = Field([1e-5, 1e-4, 1e-3, 1e-2], description="L1 penalty grid (linear model only).")
    n_heads: list[int] = Field([1, 4], description="Attention heads grid (tft only).")


class ModelVariant(Strict):
    """One network + loss to train walk-forward; its name labels its results."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9_\-]+$", description="Label, e.g. lstm or lstm_cost10.")
    model: ModelName = "lstm"
    loss: LossName = "sharpe"
    cost_bps: float = Field(0.0, ge=0, description="Cost inside the loss, bp (turnover regularisation).")
    lags: int | None = Field(
        None, ge=1, description="Days of features per input; default 1 (lstm, wavenet, tft) or 5."
    )
    search: SearchSpace | None = Field(None, description="Overrides the training-level grid.")
    ensemble_members: bool = Field(
        False, description="Also backtest each ensemble member as its own variant <name>_m<k>."
    )
    asset_embedding: bool = Field(
        False,
        description="tft only: static enrichment from a learned per-asset embedding (the paper's design); "
        "false: one learned static vector shared by all assets.",
    )

    @model_validator(mode="after")
    def _embedding_needs_tft(self) -> ModelVariant:
        # the networks that embed assets (models.NETWORKS, embeds_assets); config stays torch-free
        if self.asset_embedding and self.model != "tft":
            raise ValueError(
                f'models {self.name!r}: asset_embedding needs model = "tft", not {self.model!r}; '
                "remove asset_embedding or change the model"
            )
        return self

    @property
    def n_lags(self) -> int:
        """Effective lags."""
        if self.lags is not None:
            return self.lags
        return 5 if self.model in ("linear", "mlp") else 1


class TrainingConfig(Strict):
    """Walk-forward training and hyperparameter search."""

    first_test_year: int = Field(2011, description="First out-of-sample year.")
    last_test_year: int | None = Field(None, description="Last out-of-sample year (default: data end).")
    retrain_years: int = Field(5, ge=1, description="Years per test window (expanding training window).")
    seq_len: int = Field(63, ge=2, description="Sequence length, days.")
    val_fraction: float = Field(
        0.1, gt=0, lt=0.5, description="Time-ordered validation share of a window (validation last)."
    )
    validation: Literal["last", "blocked"] = Field(
        "last",
        description="last: validate on the last val_fraction of the training span (the paper's); "
        "blocked: n_folds purged, embargoed blocks across the span, scored by the mean fold Sharpe.",
    )
    n_folds: int = Field(4, ge=2, description="Validation blocks per window (validation blocked).")
    max_epochs: int = Field(100, ge=1)
    patience: int = Field(25, ge=1, description="Early-stopping patience, epochs.")
    n_trials: int = Field(50, ge=1, description="Hyperparameter trials per window and model.")
    sampler: SamplerName = "random"
    seeds_per_trial: int = Field(1, ge=1, description="Seeds trained per trial (averaged).")
    ensemble_top_k: int = Field(
        1, ge=1, description="Average the positions of the top-k trials (all their seeds and folds)."
    )
    pruner: Literal["none", "median", "halving"] = Field(
        "none",
        description="Stop trials whose per-epoch validation Sharpe trails the window's earlier trials: "
        "none, median (Optuna's MedianPruner) or halving (SuccessiveHalvingPruner, reduction factor 3).",
    )
    pruner_warmup: int = Field(
        3, ge=0, description="Epochs trained before pruning may stop a trial (halving: the first rung)."
    )
    pruner_startup: int = Field(
        2, ge=0, description="Finished earlier tasks (same window, fold) needed before pruning."
    )
    jobs: int = Field(1, ge=1, description="Parallel local workers (joblib); with Ray, tasks at once.")
    executor: ExecutorName = Field("local", description="Where tasks run: local or ray.")
    ray_address: str | None = Field(None, description="Ray cluster address; None starts a local one.")
    storage: str | None = Field(
        None,
        description="Optuna storage URL shared by several machines (e.g. postgresql://...); "
        "None: optuna.db in the run folder.",
    )
    device: Device = "auto"
    precision: Precision = "fp32"
    search: SearchSpace = Field(default_factory=SearchSpace)


#: Signals that need no training: the classical rules.
CLASSICAL_SIGNALS: tuple[str, ...] = tuple(s for s in get_args(SignalName) if s not in ("dmn", "trend_model"))


class PipelineConfig(Strict):
    """Which implementation runs each stage: signal -> portfolio -> rebalancing -> engine.

    The Deep Momentum Network is ``dmn`` / ``vol_scaling`` / ``daily``; the
    managed-futures system is ``trend_model`` / ``constrained`` / ``hybrid``.
    Any signal goes into any portfolio step with any schedule (see
    ``docs/architecture.md``).
    """

    signal: str = Field(
        "dmn",
        description="dmn (the [[models]], walk-forward), trend_model (the [trend_model] BiLSTM "
        "with its [overlays]) or a classical rule: long_only, tsmom, macd.",
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
        known = get_args(SignalName)
        if v not in known:
            raise ValueError(f"unknown signal {v!r}; use one of {list(known)}")
        return v


#: Training keys read only by the DMN's walk-forward search -> where the trend model's setting lives.
_DMN_ONLY_TRAINING = {
    "seq_len": "trend_model.lookback",
    "max_epochs": "trend_model.max_epochs",
    "patience": "trend_model.patience",
    "n_trials": None,
    "sampler": None,
    "seeds_per_trial": "trend_model.seeds",
    "ensemble_top_k": None,
    "validation": None,
    "n_folds": None,
    "pruner": None,
    "pruner_warmup": None,
    "pruner_startup": None,
    "search": "the [trend_model] keys (hidden_sizes, dropout, batch_size, lr, max_grad_norm)",
}
_MF_STAGES = PipelineConfig(signal="trend_model", portfolio="constrained", rebalance="hybrid")


class RunConfig(Strict):
    """A whole run: data, features, backtest, and the stages of the pipeline with their tables.

    The managed-futures tables (``[trend_model]``, ``[overlays]``, ``[portfolio]``,
    ``[rebalance]``) and ``[[models]]`` are read by the stages that need them; a
    table the pipeline would ignore is an error, and so is a non-default DMN-only
    ``[training]`` key when no stage trains a DMN. A table a stage needs but the
    file leaves out takes its defaults (written to the run folder's ``config.toml``).
    The old flat ``[managed_futures]`` table still loads (a :class:`ConfigWarning`);
    such a configuration keeps that layout when written back, so a run folder
    written before the change resumes unchanged.
    """

    description: str = Field("", description="Free text shown by `deepmomentum presets`.")
    seed: int = Field(42, description="Seed of every random draw.")
    data: DataConfig = Field(default_factory=DataConfig)
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    backtest: BacktestConfig = Field(default_factory=BacktestConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    models: list[ModelVariant] = Field(
        default_factory=list, description="The Deep Momentum Networks trained by `run` (signal dmn)."
    )
    acquisition: dict[str, Any] | None = Field(
        None, exclude=True, repr=False, description=_ACQUISITION_FIELD_DOC
    )
    pipeline: PipelineConfig | None = Field(
        None,
        description="The stages to compose; default: the managed-futures system when any of "
        "[trend_model], [overlays], [portfolio], [rebalance] is given, else the Deep Momentum Network.",
    )
    trend_model: TrendModelConfig | None = Field(
        None, description="The trend-model signal's network (signal trend_model, core_signal model)."
    )
    overlays: OverlaysConfig | None = Field(
        None, description="Regime, sentiment and timeframe overlays (signal trend_model; regime: hybrid)."
    )
    portfolio: PortfolioConfig | None = Field(
        None, description="The constrained book (portfolio constrained)."
    )
    rebalance: RebalanceConfig | None = Field(None, description="The hybrid triggers (rebalance hybrid).")

    _legacy: bool = PrivateAttr(False)  # read from [managed_futures]: written back in that layout

    @property
    def stages(self) -> PipelineConfig:
        """The pipeline to run: ``pipeline``, or the system the other tables describe."""
        if self.pipeline is not None:
            return self.pipeline
        if any(getattr(self, t) is not None for t in MF_TABLES):
            return _MF_STAGES
        return PipelineConfig()

    @property
    def core_signal(self) -> str:
        """The trend-model signal's short-term component (``overlays.core_signal``)."""
        return self.overlays.core_signal if self.overlays is not None else "model"

    @property
    def managed_futures(self) -> ManagedFuturesConfig | None:
        """The managed-futures tables under their old flat names; None when no stage is managed futures."""
        s = self.stages
        if s.signal == "trend_model" or s.portfolio == "constrained" or s.rebalance == "hybrid":
            return ManagedFuturesConfig(self)
        return None

    @model_validator(mode="wrap")
    @classmethod
    def _tables(
        cls, data: Any, handler: ModelWrapValidatorHandler[RunConfig], info: ValidationInfo
    ) -> RunConfig:
        legacy = bool(info.context and info.context.get("legacy"))
        if isinstance(data, Mapping) and "managed_futures" in data:
            data, legacy = split_legacy(data), True
        out = handler(data)
        legacy = legacy or out._legacy
        out._legacy = legacy
        _check_tables(out, strict=not legacy)
        s = out.stages
        for name in used_tables(s.signal, s.portfolio, s.rebalance, out.core_signal) & set(MF_TABLES):
            if getattr(out, name) is None:  # the stage's defaults, written out with the run
                out.__dict__[name] = MF_TABLES[name]()
        return out

    def with_overrides(
        self, overrides: Mapping[str, Any], names: Mapping[str, str] | None = None
    ) -> RunConfig:
        """A validated copy with dotted keys replaced (``{"backtest.vol_target": 0.1}``).

        Parameters
        ----------
        overrides : mapping of str to Any
            Dotted key -> new value; None values are skipped (option not given).
        An old key ``managed_futures.<key>`` means the key of its new table.
        When an override changes the pipeline, the managed-futures tables and
        ``[[models]]`` it no longer reads are dropped (unless overridden too).
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
        given = {_new_key(k): v for k, v in overrides.items() if v is not None}
        for key, value in given.items():
            *parents, last = key.split(".")
            node = data
            for part in parents:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
            node[last] = value
        if not self._legacy:  # a pipeline changed by an override drops the tables it no longer reads
            defaults = (PipelineConfig().signal, PipelineConfig().portfolio, PipelineConfig().rebalance)
            used = used_tables(*raw_stages(data, defaults))
            touched = {k.split(".")[0] for k in given}
            for name in (t for t in MF_TABLES if t not in used and t not in touched):
                data[name] = None
            if "models" not in used and "models" not in touched:
                data["models"] = []
        try:
            return type(self).model_validate(data, context={"legacy": self._legacy})
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, type(self), names)) from None


_USED_BY = {
    "trend_model": "it is read only with pipeline.signal = 'trend_model' and overlays.core_signal = 'model'",
    "overlays": "it is read only with pipeline.signal = 'trend_model' or pipeline.rebalance = 'hybrid'",
    "portfolio": "it is read only with pipeline.portfolio = 'constrained'",
    "rebalance": "it is read only with pipeline.rebalance = 'hybrid'",
}


def _new_key(key: str) -> str:
    """An old ``managed_futures.<key>`` override as the key of its new table."""
    head, _, rest = key.partition(".")
    if head == "managed_futures" and rest.split(".")[0] in TABLE_OF:
        return f"{TABLE_OF[rest.split('.')[0]]}.{rest}"
    return key


def _refuse(loc: tuple[str, ...], message: str, value: Any) -> None:
    """Raise a validation error at ``loc``, so that the message names the key or table at fault."""
    error = PydanticCustomError("config_table", "{message}", {"message": message})
    raise ValidationError.from_exception_data("RunConfig", [{"type": error, "loc": loc, "input": value}])


def _check_tables(cfg: RunConfig, strict: bool) -> None:
    """Refuse what the pipeline lacks and, if ``strict``, what it would ignore (one line each)."""
    s, core = cfg.stages, cfg.core_signal
    used = used_tables(s.signal, s.portfolio, s.rebalance, core)
    where = f"the pipeline ({s.signal}, {s.portfolio}, {s.rebalance})"
    if s.signal == "trend_model":
        where = f"{where[:-1]}, core_signal {core})"
    if "models" in used and not cfg.models and (cfg.pipeline is not None or s.signal == "trend_model"):
        what = "pipeline.signal = 'dmn'" if s.signal == "dmn" else "overlays.core_signal = 'dmn'"
        _refuse(("models",), f"{what} needs at least one [[models]] table", [])
    if not strict:  # an old [managed_futures] file: every key was accepted, keep it loading
        return
    for name in MF_TABLES:
        table = getattr(cfg, name)
        if table is not None and name not in used:
            why = f"table would be ignored by {where}: {_USED_BY[name]}; remove it"
            _refuse((name,), why, table.model_dump(exclude_defaults=True))
    if cfg.models and "models" not in used:
        why = (
            f"[[models]] would be ignored by {where}; remove [[models]], or set pipeline.signal = 'dmn' "
            "(or overlays.core_signal = 'dmn' with signal trend_model)"
        )
        _refuse(("models",), why, [m.name for m in cfg.models])
    if "models" in used:
        return
    defaults = TrainingConfig()
    for key, instead in _DMN_ONLY_TRAINING.items():
        value = getattr(cfg.training, key)
        if value != getattr(defaults, key):
            hint = f"use {instead}" if instead and "trend_model" in used else "remove it"
            why = f"would be ignored: no stage of {where} trains a Deep Momentum Network; {hint}"
            # one dotted key, not a path: the message is not about the key's own bounds
            _refuse((f"training.{key}",), why, value.model_dump() if isinstance(value, BaseModel) else value)


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
    """The configuration as TOML-serialisable data (None dropped, paths as text).

    A configuration read from the old flat ``[managed_futures]`` table is
    written in that layout (every key), as the run folders of that time hold it.
    """

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    data = cfg.model_dump(mode="python")
    if isinstance(cfg, RunConfig) and cfg._legacy:  # the layout it was read in: old run folders compare equal
        for name in MF_TABLES:
            data.pop(name, None)
        data["managed_futures"] = ManagedFuturesConfig(cfg).flat()
    out: dict[str, Any] = clean(data)
    return out


def dump_config(cfg: BaseModel) -> str:
    """The configuration as TOML text."""
    return tomli_w.dumps(to_toml_dict(cfg))
