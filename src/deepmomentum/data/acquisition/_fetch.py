"""Fetch a list of series into the store: incremental, resumable, failure-tolerant.

Each series is written to the store as soon as it is complete, so an interrupted
run keeps everything finished so far; a rerun skips series already fetched today
(or already holding the last business day) and updates the others with only
their missing recent days where the source allows it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from deepmomentum.data.acquisition._errors import CacheCorruptError, InvalidApiKeyError, RateLimitError
from deepmomentum.data.acquisition._presets import proxy_spec
from deepmomentum.data.acquisition._spec import FetchResult, SeriesSpec, Source, SourceName, store_key
from deepmomentum.data.acquisition._store import SeriesMeta, SeriesStore, StoredSeries
from deepmomentum.exceptions import DeepMomentumError

__all__ = ["FetchStatus", "fetch_all", "with_proxies"]

Status = Literal["fetched", "updated", "up to date", "failed", "skipped"]

# Relative difference on overlapping days above which an adjusted history is
# considered re-adjusted (a dividend or split since the last fetch): refetch it all.
_READJUST_TOL = 1e-6


@dataclass
class FetchStatus:
    """Outcome of one series.

    Parameters
    ----------
    symbol : str
    key : str
        Store key.
    source : str
    status : {"fetched", "updated", "up to date", "failed", "skipped"}
    rows : int
        Prices held after the run.
    new_rows : int
        Prices added by the run.
    first, last : str
        Dates held (ISO), "" if none.
    message : str
        Why it failed, or notes.
    """

    symbol: str
    key: str
    source: str
    status: Status
    rows: int = 0
    new_rows: int = 0
    first: str = ""
    last: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        """Not failed nor skipped."""
        return self.status in ("fetched", "updated", "up to date")


def with_proxies(
    specs: Sequence[SeriesSpec], proxies: Mapping[str, str] | None, default_source: SourceName
) -> list[SeriesSpec]:
    """Attach configured proxies (``{"BNO": "BRENT"}``) and append a spec per proxy series to fetch.

    Returns
    -------
    list of SeriesSpec
        ``specs`` (with ``proxy`` set from ``proxies`` where given), then one
        ``role="proxy"`` spec for each proxy not already in the list.
    """
    proxies = dict(proxies or {})
    out = [replace(s, proxy=proxies[s.symbol]) if s.symbol in proxies else s for s in specs]
    keys = {s.key for s in out}
    for s in list(out):
        if s.proxy and store_key(s.proxy) not in keys:
            extra = proxy_spec(s.proxy, s.source or default_source)
            out.append(extra)
            keys.add(extra.key)
    return out


def _last_business_day(today: dt.date) -> dt.date:
    """The business day before ``today`` (the last close surely published)."""
    return (pd.Timestamp(today) - pd.offsets.BDay(1)).date()


def _needs_full(existing: StoredSeries, spec: SeriesSpec, source: str, start: dt.date | None) -> bool:
    meta = existing.meta
    if meta.source != source or meta.series != spec.source_series or existing.prices.empty:
        return True
    return meta.start is not None and (start is None or start < dt.date.fromisoformat(meta.start))


def _is_fresh(meta: SeriesMeta, now: dt.datetime) -> bool:
    fetched = meta.fetched_datetime.astimezone(dt.UTC).date()
    if fetched >= now.date():
        return True
    return bool(meta.last) and dt.date.fromisoformat(meta.last) >= _last_business_day(now.date())


def _merge(old: pd.Series, new: pd.Series) -> pd.Series:
    if new.empty:
        return old
    head = old[old.index < new.index[0]]
    return pd.concat([head, new]).astype("float64")


def _readjusted(old: pd.Series, new: pd.Series) -> bool:
    common = old.index.intersection(new.index)
    if common.empty:
        return False
    a, b = old.reindex(common).to_numpy(), new.reindex(common).to_numpy()
    return bool(np.nanmax(np.abs(a - b) / np.maximum(np.abs(a), 1e-12)) > _READJUST_TOL)


def _fetch_one(
    spec: SeriesSpec,
    source: Source,
    store: SeriesStore,
    start: dt.date | None,
    refresh: bool,
    now: dt.datetime,
) -> FetchStatus:
    key = spec.key
    existing: StoredSeries | None = None
    notes: list[str] = []
    if key in store and not refresh:
        try:
            existing = store.read(key)
        except CacheCorruptError as exc:
            notes.append(f"{exc}: refetched")
    if existing is not None and _needs_full(existing, spec, source.name, start):
        existing = None
    if existing is not None and _is_fresh(existing.meta, now):
        p = existing.prices
        return FetchStatus(
            spec.symbol, key, source.name, "up to date", len(p), 0, existing.meta.first, existing.meta.last
        )

    since = None if existing is None else existing.prices.index[-1].date()
    result: FetchResult = source.fetch(spec, start=start, since=since)
    complete = result.complete
    if existing is None:
        prices = result.prices
    elif result.adjusted and _readjusted(existing.prices, result.prices):
        notes.append("history re-adjusted since the last fetch (dividend or split): refetched in full")
        result = source.fetch(spec, start=start, since=None)
        prices, complete = result.prices, result.complete
    elif result.complete:
        prices = result.prices
    else:
        prices = _merge(existing.prices, result.prices)
        complete = existing.meta.complete
        if not result.prices.empty and result.prices.index[0] > existing.prices.index[-1]:
            notes.append("the update does not overlap the cache: days between may be missing")
    if start is not None:
        prices = prices[prices.index >= pd.Timestamp(start)]
    meta = SeriesMeta.for_spec(
        spec,
        source=source.name,
        endpoint=result.endpoint,
        adjusted=result.adjusted,
        fetched_at=now,
        start=start,
        complete=complete,
        notes=[*result.notes, *notes],
    )
    meta = dataclasses.replace(meta, proxy=store_key(spec.proxy) if spec.proxy else None)
    done = store.write(key, prices, meta)
    added = done.n_rows - (0 if existing is None else len(existing.prices))
    return FetchStatus(
        spec.symbol,
        key,
        source.name,
        "fetched" if existing is None else "updated",
        done.n_rows,
        max(added, 0),
        done.first,
        done.last,
        "; ".join(meta.notes),
    )


def fetch_all(
    specs: Sequence[SeriesSpec],
    sources: Mapping[str, Source],
    store: SeriesStore,
    start: dt.date | None = None,
    refresh: bool = False,
    default_source: SourceName = "alphavantage",
    now: Callable[[], dt.datetime] | None = None,
    on_start: Callable[[SeriesSpec], None] | None = None,
    on_done: Callable[[FetchStatus], None] | None = None,
) -> list[FetchStatus]:
    """Fetch every spec into ``store``, one series at a time, keeping each as it completes.

    Parameters
    ----------
    specs : sequence of SeriesSpec
        What to fetch (proxies included: see :func:`with_proxies`).
    sources : mapping of str to Source
        ``{"alphavantage": ..., "yahoo": ...}``; a spec's ``source`` (or
        ``default_source``) picks one.
    store : SeriesStore
    start : datetime.date, optional
        First date to keep; None: the whole history.
    refresh : bool, default False
        Refetch everything in full, ignoring the cache.
    default_source : {"alphavantage", "yahoo"}
    now : callable, optional
        The current UTC time (injected in tests).
    on_start, on_done : callable, optional
        Progress callbacks, called before and after each series.

    Returns
    -------
    list of FetchStatus
        One per spec, in order. A failed series does not stop the others; an
        invalid key or a spent quota skips the rest of that source's series.
        ``KeyboardInterrupt`` propagates after the finished series are stored.
    """
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    statuses: list[FetchStatus] = []
    fatal: dict[str, str] = {}
    for spec in specs:
        source_name = spec.source or default_source
        if on_start is not None:
            on_start(spec)
        source = sources.get(source_name)
        if source is None:
            status = FetchStatus(
                spec.symbol,
                spec.key,
                source_name,
                "failed",
                message=f"source {source_name!r} is not set up for this run (use --source {source_name})",
            )
        elif source_name in fatal:
            status = FetchStatus(spec.symbol, spec.key, source_name, "skipped", message=fatal[source_name])
        else:
            try:
                status = _fetch_one(spec, source, store, start, refresh, clock())
            except (InvalidApiKeyError, RateLimitError) as exc:
                fatal[source_name] = f"not tried: {type(exc).__name__} earlier in this run"
                status = FetchStatus(spec.symbol, spec.key, source_name, "failed", message=str(exc))
            except DeepMomentumError as exc:
                status = FetchStatus(spec.symbol, spec.key, source_name, "failed", message=str(exc))
            except Exception as exc:  # one bad series must not lose the others
                status = FetchStatus(
                    spec.symbol,
                    spec.key,
                    source_name,
                    "failed",
                    message=f"unexpected {type(exc).__name__}: {exc} (rerun with --debug and report it)",
                )
        statuses.append(status)
        if on_done is not None:
            on_done(status)
    return statuses
