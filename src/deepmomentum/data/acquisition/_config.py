"""Settings of the data commands (TOML table ``[acquisition]`` or ``[data.acquisition]``).

Example::

    [acquisition]
    premium = false                 # true: adjusted closes, full histories, 75/min
    requests_per_minute = 5         # default: 5 free, 75 premium
    requests_per_day = 25           # default: 25 free, none premium
    proxies = { BNO = "BRENT", FXE = "EUR/USD" }

    [acquisition.quality]
    spike = { action = "drop" }
    gap = { action = "ffill", limit = 10 }

The API key may be given as ``api_key`` here, but the environment variable
``ALPHAVANTAGE_API_KEY`` is safer (a config file is easily shared).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from deepmomentum.data.acquisition._alphavantage import AlphaVantageClient, AlphaVantageSource, RateLimiter
from deepmomentum.data.acquisition._quality import QualityPolicy
from deepmomentum.data.acquisition._yahoo import YahooSource
from deepmomentum.exceptions import ConfigError

__all__ = ["AcquisitionConfig", "load_acquisition_config"]


class AcquisitionConfig(BaseModel):
    """Where data comes from, how fast it may be asked for, and how it is checked."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(None, description="Alpha Vantage key; default $ALPHAVANTAGE_API_KEY.")
    base_url: str | None = Field(None, description="Alpha Vantage base URL; default $ALPHAVANTAGE_BASE_URL.")
    premium: bool = Field(False, description="A premium key: adjusted closes, full histories.")
    requests_per_minute: int | None = Field(None, ge=1, description="Default 5 (free) or 75 (premium).")
    requests_per_day: int | None = Field(None, ge=1, description="Default 25 (free) or none (premium).")
    timeout: float = Field(30.0, gt=0, description="Seconds per request.")
    max_retries: int = Field(4, ge=0)
    backoff: float = Field(15.0, ge=0, description="Seconds before the first retry, doubled after each.")
    yahoo_min_interval: float = Field(1.0, ge=0, description="Seconds between two Yahoo downloads.")
    cache_dir: Path | None = Field(None, description="Default cache folder.")
    proxies: dict[str, str] = Field(default_factory=dict, description='{ BNO = "BRENT", FXE = "EUR/USD" }')
    quality: QualityPolicy = Field(default_factory=QualityPolicy)

    def limiter(self) -> RateLimiter:
        """The rate limiter of the tier, with any overrides."""
        if self.premium:
            return RateLimiter(per_minute=self.requests_per_minute or 75, per_day=self.requests_per_day)
        return RateLimiter(per_minute=self.requests_per_minute or 5, per_day=self.requests_per_day or 25)

    def alphavantage(self) -> AlphaVantageSource:
        """The Alpha Vantage source these settings describe."""
        client = AlphaVantageClient(
            api_key=None if self.api_key is None else self.api_key.get_secret_value(),
            base_url=self.base_url,
            limiter=self.limiter(),
            timeout=self.timeout,
            max_retries=self.max_retries,
            backoff=self.backoff,
        )
        return AlphaVantageSource(client, premium=self.premium)

    def yahoo(self) -> YahooSource:
        """The Yahoo source these settings describe."""
        return YahooSource(
            min_interval=self.yahoo_min_interval, max_retries=self.max_retries, backoff=self.backoff
        )


def load_acquisition_config(path: str | Path | None) -> AcquisitionConfig:
    """Read the ``[acquisition]`` (or ``[data.acquisition]``) table of a TOML file.

    Parameters
    ----------
    path : str, Path or None
        None: the defaults.
    """
    if path is None:
        return AcquisitionConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    table: Any = raw.get("acquisition")
    if table is None:
        table = raw.get("data", {}).get("acquisition", {})
    try:
        cfg = AcquisitionConfig.model_validate(table)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: [acquisition] {detail}") from None
    if cfg.cache_dir is not None and not cfg.cache_dir.is_absolute():
        cfg.cache_dir = (path.parent / cfg.cache_dir).resolve()
    return cfg
