"""Export the store to a data folder that the ``--data-dir`` loader reads."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from deepmomentum._warnings import warn
from deepmomentum.data.acquisition._proxy import SpliceInfo, splice_proxy
from deepmomentum.data.acquisition._spec import store_key
from deepmomentum.data.acquisition._store import SeriesStore, atomic_write_bytes
from deepmomentum.exceptions import DataError, DataWarning

__all__ = ["ExportResult", "export_store"]

PROVENANCE_FILE = "provenance.json"


@dataclass
class ExportResult:
    """What :func:`export_store` wrote.

    Parameters
    ----------
    folder : Path
    symbols : list of str
        Symbols written, in universe order.
    splices : list of SpliceInfo
        Series extended with a proxy (the spliced spans).
    """

    folder: Path
    symbols: list[str] = field(default_factory=list)
    splices: list[SpliceInfo] = field(default_factory=list)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode()


def export_store(
    store: SeriesStore,
    out: str | Path,
    proxies: Mapping[str, str] | None = None,
    symbols: Sequence[str] | None = None,
    splice: bool = True,
) -> ExportResult:
    """Write ``universe.csv`` and one ``SYMBOL.csv`` (``Date,Close``, oldest first) per series.

    Parameters
    ----------
    store : SeriesStore
    out : str or Path
        The data folder to write (created; files are replaced atomically).
    proxies : mapping of str to str, optional
        ``{symbol: proxy name}``, overriding the proxies recorded at fetch time.
    symbols : sequence of str, optional
        Export only these; default every stored series except proxies.
    splice : bool, default True
        Extend series back before their first price with their proxy's returns.

    Returns
    -------
    ExportResult
        Also written as ``provenance.json``: source, endpoint, adjusted, fetched_at
        and the spliced span of each series.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = ExportResult(folder=folder)
    proxies = dict(proxies or {})
    wanted = None if symbols is None else {store_key(s) for s in symbols}
    rows: list[dict[str, object]] = []
    provenance: dict[str, dict[str, object]] = {}
    for key in store.keys():
        meta = store.read_meta(key)
        if (wanted is None and meta.role == "proxy") or (wanted is not None and key not in wanted):
            continue
        prices = store.read(key).prices  # CacheCorruptError: never export wrong numbers
        symbol = meta.symbol if store_key(meta.symbol) == key else key
        proxy_name = proxies.get(symbol) or meta.proxy
        info: SpliceInfo | None = None
        if splice and proxy_name:
            proxy_key = store_key(proxy_name)
            if proxy_key in store:
                proxy_prices = store.read(proxy_key).prices
                prices, info = splice_proxy(prices, proxy_prices, symbol=symbol, proxy_name=proxy_name)
                if info.n_spliced:
                    result.splices.append(info)
            else:
                warn(
                    f"{symbol}: proxy {proxy_name} is not in the cache, so the history is not extended; "
                    f"fetch it (deepmomentum data fetch --symbols {proxy_name})",
                    DataWarning,
                )
        frame = pd.DataFrame(
            {"Date": pd.DatetimeIndex(prices.index).strftime("%Y-%m-%d"), "Close": prices.to_numpy()}
        )
        atomic_write_bytes(folder / f"{symbol}.csv", _csv_bytes(frame))
        role = meta.role if meta.role in ("tradable", "benchmark", "rate") else "tradable"
        rows.append(
            {
                "symbol": symbol,
                "asset_class": meta.asset_class,
                "sector": meta.sector,
                "role": role,
                "cost_bps": "" if meta.cost_bps is None else meta.cost_bps,
            }
        )
        provenance[symbol] = {
            "source": meta.source,
            "endpoint": meta.endpoint,
            "series": meta.series,
            "adjusted": meta.adjusted,
            "fetched_at": meta.fetched_at,
            "first_own": meta.first,
            "last": meta.last,
            "splice": None if info is None or not info.n_spliced else info.as_dict(),
            "notes": meta.notes,
        }
        result.symbols.append(symbol)
    if not rows:
        raise DataError(
            "nothing to export: the cache holds no series; run deepmomentum data fetch first",
            store.root,
        )
    universe = pd.DataFrame(rows)
    if (universe["cost_bps"] == "").all():
        universe = universe.drop(columns="cost_bps")
    atomic_write_bytes(folder / "universe.csv", _csv_bytes(universe))
    atomic_write_bytes(folder / PROVENANCE_FILE, json.dumps(provenance, indent=2, sort_keys=True).encode())
    return result
