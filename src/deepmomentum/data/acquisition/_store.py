"""A durable local store: one Parquet file per series, written atomically.

Layout::

    CACHE_DIR/
        series/
            SPY.parquet      # columns date (datetime64), close (float64)
            EURUSD.parquet
            ...

Each file's Parquet schema metadata (key ``deepmomentum``) holds a JSON object:
the source, endpoint and series name, ``fetched_at`` (UTC), whether the closes are
adjusted, the universe fields (asset class, sector, role, cost, proxy), and a
SHA-256 checksum of the dates and values. A file that cannot be read or fails its
checksum raises :class:`CacheCorruptError`: it is refetched, never used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from deepmomentum._io import atomic_write_bytes
from deepmomentum.data.acquisition._errors import CacheCorruptError
from deepmomentum.data.acquisition._spec import SeriesSpec
from deepmomentum.exceptions import DataError

__all__ = [
    "FORMAT_VERSION",
    "SeriesMeta",
    "SeriesStore",
    "StoredSeries",
    "atomic_write_bytes",
    "default_cache_dir",
]

FORMAT_VERSION = 1
_META_KEY = b"deepmomentum"


def default_cache_dir() -> Path:
    """The default cache folder: the user's cache dir (platformdirs) / ``deepmomentum`` / ``data``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("deepmomentum")) / "data"


def _checksum(prices: pd.Series) -> str:
    digest = hashlib.sha256()
    digest.update(pd.DatetimeIndex(prices.index).as_unit("ns").asi8.astype("<i8").tobytes())
    digest.update(prices.to_numpy(dtype="<f8").tobytes())
    return digest.hexdigest()


@dataclass
class SeriesMeta:
    """What is known about a stored series.

    Parameters
    ----------
    symbol : str
        Universe symbol (the file stem is its store key).
    source : str
        ``alphavantage`` or ``yahoo``.
    endpoint : str
        The call that produced it (``TIME_SERIES_DAILY``, ``FX_DAILY``, ...).
    series : str
        The source's name for it (``EUR/USD``).
    fetched_at : str
        ISO time (UTC) of the last successful fetch.
    adjusted : bool
        Dividend- and split-adjusted closes (total-return prices).
    asset_class, sector, role, description : str
    cost_bps : float or None
    proxy : str or None
        Store key of the series spliced in before the first price on export.
    start : str or None
        First date requested (ISO); None: the whole history.
    complete : bool
        The source returned its whole history (from ``start``) at least once.
    notes : list of str
    n_rows : int
    first, last : str
        First and last date held (ISO).
    checksum : str
        SHA-256 of the dates (int64 ns) and closes (float64).
    format_version : int
    """

    symbol: str
    source: str
    endpoint: str
    series: str
    fetched_at: str
    adjusted: bool
    asset_class: str = "equity"
    sector: str = ""
    role: str = "tradable"
    description: str = ""
    cost_bps: float | None = None
    proxy: str | None = None
    start: str | None = None
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    n_rows: int = 0
    first: str = ""
    last: str = ""
    checksum: str = ""
    format_version: int = FORMAT_VERSION

    @classmethod
    def for_spec(
        cls,
        spec: SeriesSpec,
        source: str,
        endpoint: str,
        adjusted: bool,
        fetched_at: dt.datetime,
        start: dt.date | None = None,
        complete: bool = True,
        notes: list[str] | None = None,
    ) -> SeriesMeta:
        """Metadata for a freshly fetched ``spec``."""
        return cls(
            symbol=spec.symbol,
            source=source,
            endpoint=endpoint,
            series=spec.source_series,
            fetched_at=fetched_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            adjusted=adjusted,
            asset_class=spec.asset_class,
            sector=spec.sector,
            role=spec.role,
            description=spec.description,
            cost_bps=spec.cost_bps,
            proxy=spec.proxy,
            start=None if start is None else start.isoformat(),
            complete=complete,
            notes=list(notes or []),
        )

    @property
    def fetched_datetime(self) -> dt.datetime:
        """``fetched_at`` as an aware datetime."""
        return dt.datetime.fromisoformat(self.fetched_at)

    def to_json(self) -> str:
        """The metadata as JSON."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> SeriesMeta:
        """Parse :meth:`to_json`'s output, ignoring unknown fields."""
        raw = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass
class StoredSeries:
    """A series read back from the store.

    Parameters
    ----------
    prices : pd.Series
        Closes, float64, oldest first, indexed by a DatetimeIndex named ``date``.
    meta : SeriesMeta
    """

    prices: pd.Series
    meta: SeriesMeta


@dataclass(frozen=True)
class SeriesStore:
    """Parquet files, one per series, under ``root / "series"``.

    Parameters
    ----------
    root : Path
        The cache folder (``--cache-dir``).
    """

    root: Path

    @property
    def folder(self) -> Path:
        """The folder that holds the series files."""
        return Path(self.root) / "series"

    def path(self, key: str) -> Path:
        """File of series ``key``."""
        return self.folder / f"{key}.parquet"

    def keys(self) -> list[str]:
        """Keys of every stored series, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.parquet") if not p.name.startswith("."))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path(key).is_file()

    def write(self, key: str, prices: pd.Series, meta: SeriesMeta) -> SeriesMeta:
        """Store ``prices`` with ``meta`` atomically; return the completed metadata.

        Parameters
        ----------
        key : str
            Store key (file stem).
        prices : pd.Series
            Closes indexed by date; NaN values are dropped, dates sorted.
        meta : SeriesMeta
            ``n_rows``, ``first``, ``last`` and ``checksum`` are filled in here.
        """
        clean = pd.Series(prices, dtype="float64").dropna()
        index = pd.DatetimeIndex(clean.index).as_unit("ns")
        clean = pd.Series(clean.to_numpy(), index=index).sort_index()
        if clean.index.has_duplicates:
            clean = clean[~clean.index.duplicated(keep="last")]
        done = dataclasses.replace(
            meta,
            n_rows=len(clean),
            first="" if clean.empty else clean.index[0].date().isoformat(),
            last="" if clean.empty else clean.index[-1].date().isoformat(),
            checksum=_checksum(clean),
        )
        table = pa.table(
            {
                "date": pa.array(clean.index.to_numpy(dtype="datetime64[ns]"), type=pa.timestamp("ns")),
                "close": pa.array(clean.to_numpy(dtype="float64"), type=pa.float64()),
            }
        ).replace_schema_metadata({_META_KEY: done.to_json().encode()})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        atomic_write_bytes(self.path(key), sink.getvalue().to_pybytes())
        return done

    def read_meta(self, key: str) -> SeriesMeta:
        """Metadata of series ``key`` (without checking the values)."""
        path = self.path(key)
        try:
            raw = pq.read_schema(path).metadata or {}
            return SeriesMeta.from_json(raw[_META_KEY])
        except FileNotFoundError:
            raise DataError(f"no cached series {key!r}; fetch it first", path) from None
        except Exception as exc:
            raise CacheCorruptError(
                f"cache file is unreadable ({type(exc).__name__}); it will be refetched "
                "(or delete it and run deepmomentum data fetch again)",
                path,
            ) from None

    def read(self, key: str) -> StoredSeries:
        """Read series ``key`` and verify its checksum.

        Raises
        ------
        CacheCorruptError
            The file is truncated, unreadable, or its values do not match the checksum.
        """
        path = self.path(key)
        if not path.is_file():
            raise DataError(f"no cached series {key!r}; fetch it first", path)
        try:
            table = pq.read_table(path)
            meta = SeriesMeta.from_json((table.schema.metadata or {})[_META_KEY])
            dates = pd.DatetimeIndex(table.column("date").to_numpy(), name="date").as_unit("ns")
            values = np.asarray(table.column("close").to_numpy(), dtype="float64")
        except Exception as exc:
            raise CacheCorruptError(
                f"cache file is unreadable ({type(exc).__name__}): truncated or corrupt; it will be "
                "refetched (or delete it and run deepmomentum data fetch again)",
                path,
            ) from None
        prices = pd.Series(values, index=dates, name=meta.symbol)
        if meta.checksum != _checksum(prices) or meta.n_rows != len(prices):
            raise CacheCorruptError(
                "cache file fails its checksum (the values changed after they were written); "
                "it will be refetched (or delete it and run deepmomentum data fetch again)",
                path,
            )
        return StoredSeries(prices=prices, meta=meta)

    def delete(self, key: str) -> None:
        """Remove series ``key`` if present."""
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def summary(self) -> pd.DataFrame:
        """One row per stored series: metadata and a ``status`` (``ok`` or why not).

        Returns
        -------
        pd.DataFrame
            Columns ``key, symbol, source, endpoint, series, adjusted, role, asset_class,
            first, last, n_rows, fetched_at, proxy, status``.
        """
        rows: list[dict[str, Any]] = []
        for key in self.keys():
            try:
                meta = self.read(key).meta
                status = "ok"
            except CacheCorruptError as exc:
                status = f"corrupt: {exc}"
                try:
                    meta = self.read_meta(key)
                except CacheCorruptError:
                    rows.append({"key": key, "status": status})
                    continue
            rows.append(
                {
                    "key": key,
                    "symbol": meta.symbol,
                    "source": meta.source,
                    "endpoint": meta.endpoint,
                    "series": meta.series,
                    "adjusted": meta.adjusted,
                    "role": meta.role,
                    "asset_class": meta.asset_class,
                    "first": meta.first,
                    "last": meta.last,
                    "n_rows": meta.n_rows,
                    "fetched_at": meta.fetched_at,
                    "proxy": meta.proxy or "",
                    "status": status,
                }
            )
        columns = [
            "key",
            "symbol",
            "source",
            "endpoint",
            "series",
            "adjusted",
            "role",
            "asset_class",
            "first",
            "last",
            "n_rows",
            "fetched_at",
            "proxy",
            "status",
        ]
        return pd.DataFrame(rows, columns=columns)
