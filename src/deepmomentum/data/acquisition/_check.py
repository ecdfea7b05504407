"""Quality check of a whole cache store, and the fetch sources a universe needs.

The ``data check`` and ``data fetch`` commands print what these return; the
library does the work so that scripts get the same results as the CLI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.data.acquisition._config import AcquisitionConfig
from deepmomentum.data.acquisition._errors import CacheCorruptError
from deepmomentum.data.acquisition._quality import QualityPolicy, QualityReport, check_quality
from deepmomentum.data.acquisition._store import SeriesStore
from deepmomentum.exceptions import ConfigError

__all__ = ["StoreCheck", "check_store", "open_sources"]


@dataclass(frozen=True)
class StoreCheck:
    """Result of :func:`check_store`.

    Attributes
    ----------
    folder : Path
        The cache folder checked (the store's root).
    report : QualityReport
        Issues of every readable series (proxies excluded).
    skipped : list of str
        One message per corrupt series that could not be read (left out of the check).
    """

    folder: Path
    report: QualityReport
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no error is left unresolved by the policy."""
        return self.report.ok


def check_store(store: SeriesStore | str | Path, policy: QualityPolicy | None = None) -> StoreCheck:
    """Check the quality of every cached series of a store.

    Proxy series are left out (they only extend other histories); rates may be
    non-positive. A corrupt series is skipped and named in ``skipped``.

    Parameters
    ----------
    store : SeriesStore or path
        The cache store, or its folder.
    policy : QualityPolicy, optional
        Actions per issue; default :class:`QualityPolicy` ``()``.

    Returns
    -------
    StoreCheck

    Raises
    ------
    ConfigError
        The store holds no series to check.
    """
    store = store if isinstance(store, SeriesStore) else SeriesStore(Path(store))
    series: dict[str, pd.Series] = {}
    rates: list[str] = []
    skipped: list[str] = []
    for key in store.keys():
        try:
            stored = store.read(key)
        except CacheCorruptError as exc:
            skipped.append(str(exc))
            continue
        if stored.meta.role == "proxy":
            continue
        series[stored.meta.symbol] = stored.prices
        if stored.meta.role == "rate" or stored.meta.asset_class == "rates":
            rates.append(stored.meta.symbol)
    if not series:
        raise ConfigError(f"{store.root}: no cached series to check; run deepmomentum data fetch first")
    report = check_quality(series, policy or QualityPolicy(), allow_non_positive=rates)
    return StoreCheck(Path(store.root), report, skipped)


@contextlib.contextmanager
def open_sources(cfg: AcquisitionConfig, used: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The fetch sources named in ``used`` (``alphavantage``, ``yahoo``), closed on exit.

    Alpha Vantage checks its API key first, so a missing key fails before any fetch.

    Parameters
    ----------
    cfg : AcquisitionConfig
    used : iterable of str
        Source names the universe needs.

    Yields
    ------
    dict of str to source
        Ready for :func:`~deepmomentum.data.acquisition.fetch_all`.
    """
    used = set(used)
    sources: dict[str, Any] = {}
    if "alphavantage" in used:
        av = cfg.alphavantage()
        av.client.require_key()
        sources["alphavantage"] = av
    if "yahoo" in used:
        sources["yahoo"] = cfg.yahoo()
    try:
        yield sources
    finally:
        for source in sources.values():
            close = getattr(getattr(source, "client", None), "close", None)
            if close is not None:
                close()
