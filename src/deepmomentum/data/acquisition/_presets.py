"""Universe presets and universe files that name each series' source and endpoint.

``etf-26`` maps the ML-enhanced managed-futures universe of DOMAIN.md Part B to
concrete series: 7 commodities, 7 FX pairs, 5 bond ETFs along the curve and 7
equity indices. ``etf-48`` is the 48 tradables of the shared ``etf`` data folder.

A universe file is ``universe.csv`` with the loader's columns (``symbol,
asset_class[, sector, role, cost_bps, description]``) and optional ``source``,
``endpoint``, ``series`` and ``proxy`` columns, e.g.::

    symbol,asset_class,sector,source,endpoint,series,proxy
    FXE,fx,eur,alphavantage,TIME_SERIES_DAILY,FXE,EUR/USD
    EURUSD,fx,eur,alphavantage,FX_DAILY,EUR/USD,
    BNO,commodity,energy,,,,BRENT

``proxy`` names the proxy at the row's source (``BRENT``, ``EUR/USD``, ``BZ=F``);
it is fetched too and kept with role ``proxy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.data.acquisition._alphavantage import COMMODITY_ENDPOINTS, ECONOMIC_ENDPOINTS
from deepmomentum.data.acquisition._spec import SeriesSpec, SourceName, store_key
from deepmomentum.exceptions import ConfigError, DataError

__all__ = ["PRESETS", "preset_specs", "proxy_spec", "read_universe_specs", "resolve_universe", "symbol_specs"]


@dataclass(frozen=True)
class _Entry:
    symbol: str
    asset_class: str
    sector: str
    description: str
    yahoo: str | None = None  # Yahoo ticker; None: the symbol
    av_endpoint: str | None = None  # Alpha Vantage function; None: inferred
    av_series: str | None = None  # Alpha Vantage name; None: the symbol


_ETF26: tuple[_Entry, ...] = (
    # 7 commodities (energy, metals, agriculture)
    _Entry("USO", "commodity", "energy", "WTI crude oil futures fund"),
    _Entry("BNO", "commodity", "energy", "Brent crude oil futures fund"),
    _Entry("UNG", "commodity", "energy", "Natural gas futures fund"),
    _Entry("GLD", "commodity", "metals", "Gold trust"),
    _Entry("CPER", "commodity", "metals", "Copper futures fund"),
    _Entry("CORN", "commodity", "agriculture", "Corn futures fund"),
    _Entry("WEAT", "commodity", "agriculture", "Wheat futures fund"),
    # 7 FX pairs (quote per base: EURUSD is dollars per euro)
    _Entry("EURUSD", "fx", "eur", "Euro in US dollars", "EURUSD=X", "FX_DAILY", "EUR/USD"),
    _Entry("GBPUSD", "fx", "gbp", "British pound in US dollars", "GBPUSD=X", "FX_DAILY", "GBP/USD"),
    _Entry("USDJPY", "fx", "jpy", "US dollar in Japanese yen", "USDJPY=X", "FX_DAILY", "USD/JPY"),
    _Entry("AUDUSD", "fx", "aud", "Australian dollar in US dollars", "AUDUSD=X", "FX_DAILY", "AUD/USD"),
    _Entry("USDCAD", "fx", "cad", "US dollar in Canadian dollars", "USDCAD=X", "FX_DAILY", "USD/CAD"),
    _Entry("USDCHF", "fx", "chf", "US dollar in Swiss francs", "USDCHF=X", "FX_DAILY", "USD/CHF"),
    _Entry("NZDUSD", "fx", "nzd", "New Zealand dollar in US dollars", "NZDUSD=X", "FX_DAILY", "NZD/USD"),
    # 5 bond ETFs along the curve
    _Entry("SHY", "bond", "ust_1_3y", "1-3 year US Treasury ETF"),
    _Entry("IEI", "bond", "ust_3_7y", "3-7 year US Treasury ETF"),
    _Entry("IEF", "bond", "ust_7_10y", "7-10 year US Treasury ETF"),
    _Entry("TLH", "bond", "ust_10_20y", "10-20 year US Treasury ETF"),
    _Entry("TLT", "bond", "ust_20y_plus", "20+ year US Treasury ETF"),
    # 7 equity indices (US, international, emerging)
    _Entry("SPY", "equity", "us_large_cap", "S&P 500 ETF"),
    _Entry("QQQ", "equity", "us_tech", "Nasdaq-100 ETF"),
    _Entry("IWM", "equity", "us_small_cap", "Russell 2000 ETF"),
    _Entry("EFA", "equity", "developed_ex_us", "MSCI EAFE ETF"),
    _Entry("VGK", "equity", "europe", "FTSE Europe ETF"),
    _Entry("EWJ", "equity", "japan", "MSCI Japan ETF"),
    _Entry("EEM", "equity", "emerging", "MSCI Emerging Markets ETF"),
)

# Proxies that extend short commodity-fund histories (per source: the proxy's own name).
_ETF26_PROXIES: dict[str, dict[str, str]] = {
    "alphavantage": {"USO": "WTI", "BNO": "BRENT", "UNG": "NATURAL_GAS"},
    "yahoo": {"USO": "CL=F", "BNO": "BZ=F", "UNG": "NG=F"},
}

_ETF48_ROWS = """\
SPY,equity,us_large_cap,S&P 500 ETF
QQQ,equity,us_tech,Nasdaq-100 ETF
IWM,equity,us_small_cap,Russell 2000 ETF
EFA,equity,developed_ex_us,MSCI EAFE ETF
EEM,equity,emerging,MSCI Emerging Markets ETF
EWJ,equity,japan,MSCI Japan ETF
EWG,equity,germany,MSCI Germany ETF
EWU,equity,uk,MSCI United Kingdom ETF
EWZ,equity,brazil,MSCI Brazil ETF
FXI,equity,china,China large-cap ETF
VGK,equity,europe,FTSE Europe ETF
VNQ,equity,us_reit,US real estate ETF
SHY,bond,ust_1_3y,1-3 year US Treasury ETF
IEI,bond,ust_3_7y,3-7 year US Treasury ETF
IEF,bond,ust_7_10y,7-10 year US Treasury ETF
TLT,bond,ust_20y_plus,20+ year US Treasury ETF
TIP,bond,us_tips,US inflation-protected Treasury ETF
LQD,bond,us_ig_credit,US investment-grade corporate bond ETF
HYG,bond,us_hy_credit,US high-yield corporate bond ETF
EMB,bond,em_usd,Emerging-market USD sovereign bond ETF
AGG,bond,us_aggregate,US aggregate bond ETF
BWX,bond,intl_treasury,International treasury bond ETF
USO,commodity,energy,WTI crude oil futures fund
BNO,commodity,energy,Brent crude oil futures fund
UNG,commodity,energy,Natural gas futures fund
DBO,commodity,energy,Crude oil futures fund (optimum yield)
DBE,commodity,energy,Energy futures fund
GLD,commodity,metals,Gold trust
SLV,commodity,metals,Silver trust
CPER,commodity,metals,Copper futures fund
DBB,commodity,metals,Base metals futures fund
PALL,commodity,metals,Physical palladium
PPLT,commodity,metals,Physical platinum
DBA,commodity,agriculture,Agriculture futures fund
CORN,commodity,agriculture,Corn futures fund
WEAT,commodity,agriculture,Wheat futures fund
SOYB,commodity,agriculture,Soybean futures fund
DBC,commodity,broad,Broad commodity index futures fund
GSG,commodity,broad,S&P GSCI commodity index fund
UUP,fx,usd,US dollar index bullish fund
UDN,fx,usd,US dollar index bearish fund
FXE,fx,eur,Euro currency trust
FXY,fx,jpy,Japanese yen currency trust
FXB,fx,gbp,British pound currency trust
FXA,fx,aud,Australian dollar currency trust
FXC,fx,cad,Canadian dollar currency trust
FXF,fx,chf,Swiss franc currency trust
CEW,fx,em_fx,Emerging-market currency fund
"""

_ETF48: tuple[_Entry, ...] = tuple(_Entry(*line.split(",", 3)) for line in _ETF48_ROWS.strip().splitlines())

PRESETS: dict[str, tuple[_Entry, ...]] = {"etf-26": _ETF26, "etf-48": _ETF48}
_PRESET_PROXIES: dict[str, dict[str, dict[str, str]]] = {"etf-26": _ETF26_PROXIES, "etf-48": {}}


def _entry_spec(entry: _Entry, source: SourceName) -> SeriesSpec:
    if source == "yahoo":
        return SeriesSpec(
            symbol=entry.symbol,
            asset_class=entry.asset_class,
            sector=entry.sector,
            description=entry.description,
            source="yahoo",
            series=entry.yahoo or entry.symbol,
        )
    return SeriesSpec(
        symbol=entry.symbol,
        asset_class=entry.asset_class,
        sector=entry.sector,
        description=entry.description,
        source="alphavantage",
        endpoint=entry.av_endpoint,
        series=entry.av_series or entry.symbol,
    )


def proxy_spec(name: str, source: SourceName) -> SeriesSpec:
    """The spec of a proxy series named ``name`` at ``source`` (role ``proxy``, not exported).

    ``EUR/USD`` becomes key ``EURUSD`` via FX_DAILY; ``BRENT`` the BRENT commodity series.
    """
    return SeriesSpec(
        symbol=store_key(name),
        asset_class="fx" if "/" in name or name.endswith("=X") else "commodity",
        role="proxy",
        description=f"proxy series {name}",
        source=source,
        series=name,
    )


def preset_specs(name: str, source: SourceName) -> list[SeriesSpec]:
    """The specs of preset ``name`` for ``source``, with the preset's proxies attached.

    Parameters
    ----------
    name : {"etf-26", "etf-48"}
    source : {"alphavantage", "yahoo"}

    Returns
    -------
    list of SeriesSpec
        One per instrument, in universe order.
    """
    if name not in PRESETS:
        raise ConfigError(
            f"unknown universe preset {name!r}; use one of {', '.join(PRESETS)} or a universe.csv path"
        )
    proxies = _PRESET_PROXIES[name].get(source, {})
    return [replace(_entry_spec(e, source), proxy=proxies.get(e.symbol)) for e in PRESETS[name]]


def symbol_specs(symbols: list[str], source: SourceName) -> list[SeriesSpec]:
    """Specs for ``--symbols A,B``: known symbols take their preset details.

    ``EUR/USD`` is an FX pair (FX_DAILY at Alpha Vantage, ``EURUSD=X`` at Yahoo);
    a commodity name such as ``BRENT`` is that Alpha Vantage series; anything else
    is a stock or ETF ticker (asset class ``equity`` unless a preset knows better).
    """
    known = {e.symbol: e for preset in PRESETS.values() for e in preset}
    specs: list[SeriesSpec] = []
    for raw in symbols:
        name = raw.strip()
        if not name:
            continue
        if "/" in name:
            base, _, quote = name.upper().partition("/")
            entry = _Entry(
                f"{base}{quote}",
                "fx",
                base.lower(),
                f"{base} in {quote}",
                f"{base}{quote}=X",
                "FX_DAILY",
                f"{base}/{quote}",
            )
        elif name.upper() in known:
            entry = known[name.upper()]
        elif name.upper() in COMMODITY_ENDPOINTS:
            entry = _Entry(name.upper(), "commodity", "", f"Alpha Vantage {name.upper()} series")
        elif name.upper() in ECONOMIC_ENDPOINTS:
            entry = _Entry(name.upper(), "rates", "", f"Alpha Vantage {name.upper()} series")
        else:
            entry = _Entry(name.upper(), "equity", "", "")
        specs.append(_entry_spec(entry, source))
    if not specs:
        raise ConfigError("no symbols given; pass --symbols SPY,TLT or --universe etf-26")
    return specs


_SOURCES = ("alphavantage", "yahoo")


def read_universe_specs(path: str | Path, default_source: SourceName) -> list[SeriesSpec]:
    """Read a universe file with optional ``source, endpoint, series, proxy`` columns.

    Parameters
    ----------
    path : str or Path
        ``universe.csv`` (or its folder).
    default_source : {"alphavantage", "yahoo"}
        Used where a row names no source.

    Returns
    -------
    list of SeriesSpec
    """
    path = Path(path)
    if path.is_dir():
        path = path / "universe.csv"
    if not path.is_file():
        raise DataError(
            "universe file not found; give a preset (etf-26, etf-48) or a universe.csv path", path
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise DataError(f"cannot read as CSV ({type(exc).__name__}: {exc})", path) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for col in ("symbol", "asset_class"):
        if col not in frame.columns:
            raise DataError(f"missing column {col!r}; the universe needs symbol and asset_class", path)
    specs: list[SeriesSpec] = []
    for row_no, row in enumerate(frame.to_dict("records"), start=2):

        def cell(name: str, _row: Mapping[Any, Any] = row) -> str:
            return str(_row.get(name, "") or "").strip()

        symbol = cell("symbol")
        if not symbol:
            raise DataError(f"row {row_no}: empty symbol", path)
        source = cell("source").lower() or default_source
        if source not in _SOURCES:
            raise DataError(
                f"row {row_no} ({symbol}): unknown source {source!r}; use alphavantage or yahoo", path
            )
        cost = cell("cost_bps")
        try:
            cost_bps = float(cost) if cost else None
        except ValueError:
            raise DataError(f"row {row_no} ({symbol}): cost_bps {cost!r} is not a number", path) from None
        proxy = cell("proxy")
        specs.append(
            SeriesSpec(
                symbol=symbol,
                asset_class=cell("asset_class").lower(),
                sector=cell("sector"),
                role=cell("role").lower() or "tradable",
                cost_bps=cost_bps,
                description=cell("description"),
                source=source,  # type: ignore[arg-type]
                endpoint=cell("endpoint") or None,
                series=cell("series") or None,
                proxy=proxy or None,
            )
        )
    return specs


def resolve_universe(universe: str | None, symbols: str | None, source: SourceName) -> list[SeriesSpec]:
    """The specs named by ``--universe`` (a preset or a file) or ``--symbols``.

    Returns
    -------
    list of SeriesSpec
        Proxies named by a preset or a file's ``proxy`` column are in ``spec.proxy``.
    """
    if (universe is None) == (symbols is None):
        raise ConfigError(
            "give exactly one of --universe NAME (etf-26, etf-48, or a universe.csv) or --symbols A,B"
        )
    if symbols is not None:
        return symbol_specs(symbols.split(","), source)
    assert universe is not None
    if universe in PRESETS:
        return preset_specs(universe, source)
    if Path(universe).exists():
        return read_universe_specs(universe, source)
    raise ConfigError(f"unknown universe {universe!r}: not a preset ({', '.join(PRESETS)}) and no such file")
