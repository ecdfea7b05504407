"""Data acquisition: Alpha Vantage and Yahoo sources, a local Parquet store, proxy splicing, quality checks.

Typical use::

    from deepmomentum.data.acquisition import (
        AcquisitionConfig, SeriesStore, default_cache_dir, export_store, fetch_all,
        preset_specs, with_proxies,
    )

    cfg = AcquisitionConfig()                       # key from $ALPHAVANTAGE_API_KEY
    store = SeriesStore(default_cache_dir())
    specs = with_proxies(preset_specs("etf-26", "alphavantage"), cfg.proxies, "alphavantage")
    fetch_all(specs, {"alphavantage": cfg.alphavantage()}, store)
    export_store(store, "data/etf-26")              # then: deepmomentum backtest --data-dir data/etf-26
"""

from deepmomentum.data.acquisition._alphavantage import (
    COMMODITY_ENDPOINTS,
    DEFAULT_BASE_URL,
    ECONOMIC_ENDPOINTS,
    AlphaVantageClient,
    AlphaVantageSource,
    RateLimiter,
    parse_daily,
    parse_fx_daily,
    parse_news_sentiment,
    parse_value_series,
    resolve_endpoint,
)
from deepmomentum.data.acquisition._check import StoreCheck, check_store, open_sources
from deepmomentum.data.acquisition._config import AcquisitionConfig, load_acquisition_config
from deepmomentum.data.acquisition._errors import (
    AlphaVantageError,
    CacheCorruptError,
    FetchError,
    InvalidApiKeyError,
    PremiumEndpointError,
    QualityError,
    RateLimitError,
    UnknownSymbolError,
)
from deepmomentum.data.acquisition._export import ExportResult, export_store
from deepmomentum.data.acquisition._fetch import FetchStatus, fetch_all, with_proxies
from deepmomentum.data.acquisition._presets import (
    PRESETS,
    preset_specs,
    proxy_spec,
    read_universe_specs,
    resolve_universe,
    symbol_specs,
)
from deepmomentum.data.acquisition._proxy import SpliceInfo, splice_proxy
from deepmomentum.data.acquisition._quality import (
    ISSUE_TYPES,
    IssueRule,
    QualityPolicy,
    QualityReport,
    check_data_dir,
    check_quality,
    require_clean,
)
from deepmomentum.data.acquisition._spec import FetchResult, SeriesSpec, Source, store_key
from deepmomentum.data.acquisition._store import (
    SeriesMeta,
    SeriesStore,
    StoredSeries,
    atomic_write_bytes,
    default_cache_dir,
)
from deepmomentum.data.acquisition._yahoo import YahooSource, yfinance_history

__all__ = [
    "COMMODITY_ENDPOINTS",
    "DEFAULT_BASE_URL",
    "ECONOMIC_ENDPOINTS",
    "ISSUE_TYPES",
    "PRESETS",
    "AcquisitionConfig",
    "AlphaVantageClient",
    "AlphaVantageError",
    "AlphaVantageSource",
    "CacheCorruptError",
    "ExportResult",
    "FetchError",
    "FetchResult",
    "FetchStatus",
    "InvalidApiKeyError",
    "IssueRule",
    "PremiumEndpointError",
    "QualityError",
    "QualityPolicy",
    "QualityReport",
    "RateLimitError",
    "RateLimiter",
    "SeriesMeta",
    "SeriesSpec",
    "SeriesStore",
    "Source",
    "SpliceInfo",
    "StoreCheck",
    "StoredSeries",
    "UnknownSymbolError",
    "YahooSource",
    "atomic_write_bytes",
    "check_data_dir",
    "check_quality",
    "check_store",
    "default_cache_dir",
    "export_store",
    "fetch_all",
    "load_acquisition_config",
    "open_sources",
    "parse_daily",
    "parse_fx_daily",
    "parse_news_sentiment",
    "parse_value_series",
    "preset_specs",
    "proxy_spec",
    "read_universe_specs",
    "require_clean",
    "resolve_endpoint",
    "resolve_universe",
    "splice_proxy",
    "store_key",
    "symbol_specs",
    "with_proxies",
    "yfinance_history",
]
