"""Errors of the data-acquisition layer.

Each one derives from :class:`~deepmomentum.exceptions.DeepMomentumError`, so the
command line shows it as one readable line and exits with code 2. Messages never
contain the API key.
"""

from __future__ import annotations

from deepmomentum.exceptions import DataError, DeepMomentumError

__all__ = [
    "AlphaVantageError",
    "CacheCorruptError",
    "FetchError",
    "InvalidApiKeyError",
    "PremiumEndpointError",
    "QualityError",
    "RateLimitError",
    "UnknownSymbolError",
]


class FetchError(DeepMomentumError):
    """A download failed (network, server error, unreadable answer) after its retries."""


class AlphaVantageError(FetchError):
    """Alpha Vantage answered with an error body."""


class RateLimitError(AlphaVantageError):
    """The rate limit was hit and retries did not help (or the daily quota is spent)."""


class PremiumEndpointError(AlphaVantageError):
    """The endpoint or option (e.g. ``outputsize=full``) needs a premium key."""


class InvalidApiKeyError(AlphaVantageError):
    """The API key is missing, invalid, or the demo key."""


class UnknownSymbolError(FetchError):
    """The source does not know the symbol (or has no prices for it)."""


class CacheCorruptError(DataError):
    """A cached series is unreadable or fails its checksum; it is refetched."""


class QualityError(DataError):
    """Data has unresolved quality errors (spikes, non-positive prices, ...)."""
