"""Instruments and universes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

__all__ = ["AssetClass", "Instrument", "Role", "Universe"]


class AssetClass(StrEnum):
    """Asset class of an instrument."""

    EQUITY = "equity"
    BOND = "bond"
    COMMODITY = "commodity"
    FX = "fx"
    RATES = "rates"
    MANAGED_FUTURES = "managed_futures"


class Role(StrEnum):
    """What an instrument is used for: traded, compared against, or a rate."""

    TRADABLE = "tradable"
    BENCHMARK = "benchmark"
    RATE = "rate"


# Spellings seen in real universe files that mean the same class.
_CLASS_ALIASES = {"rate": "rates", "bonds": "bond", "equities": "equity", "commodities": "commodity"}


@dataclass(frozen=True)
class Instrument:
    """One instrument of a universe.

    Parameters
    ----------
    symbol : str
        Ticker, also the file stem of its price file.
    asset_class : AssetClass
    sector : str, default ""
    role : Role, default Role.TRADABLE
    cost_bps : float or None
        Per-instrument transaction cost in basis points of traded notional,
        or None to use the run's global cost.
    description : str, default ""
    """

    symbol: str
    asset_class: AssetClass
    sector: str = ""
    role: Role = Role.TRADABLE
    cost_bps: float | None = None
    description: str = ""

    @staticmethod
    def parse_class(value: str) -> AssetClass:
        """Parse an asset class, accepting common aliases; raise ValueError if unknown."""
        key = value.strip().lower()
        return AssetClass(_CLASS_ALIASES.get(key, key))


@dataclass(frozen=True)
class Universe:
    """An ordered collection of instruments, looked up by symbol."""

    instruments: tuple[Instrument, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for inst in self.instruments:
            if inst.symbol in seen:
                raise ValueError(f"symbol {inst.symbol!r} appears twice in the universe")
            seen.add(inst.symbol)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.instruments)

    def __len__(self) -> int:
        return len(self.instruments)

    def __contains__(self, symbol: object) -> bool:
        return any(i.symbol == symbol for i in self.instruments)

    def __getitem__(self, symbol: str) -> Instrument:
        for inst in self.instruments:
            if inst.symbol == symbol:
                return inst
        raise KeyError(symbol)

    @property
    def symbols(self) -> list[str]:
        """All symbols, in order."""
        return [i.symbol for i in self.instruments]

    def with_role(self, role: Role | str) -> list[str]:
        """Symbols with the given role, in order."""
        return [i.symbol for i in self.instruments if i.role == Role(role)]

    @property
    def tradable(self) -> list[str]:
        """Symbols that strategies may trade."""
        return self.with_role(Role.TRADABLE)

    def subset(self, symbols: Iterable[str]) -> Universe:
        """The universe restricted to ``symbols`` (kept in universe order)."""
        keep = set(symbols)
        return Universe(tuple(i for i in self.instruments if i.symbol in keep))

    def costs_bps(self, default: float) -> pd.Series:
        """Per-symbol cost in bp, ``default`` where the universe gives none."""
        return pd.Series(
            {i.symbol: default if i.cost_bps is None else i.cost_bps for i in self.instruments},
            dtype="float64",
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per instrument: symbol, asset_class, sector, role, cost_bps, description."""
        return pd.DataFrame(
            [
                {
                    "symbol": i.symbol,
                    "asset_class": i.asset_class.value,
                    "sector": i.sector,
                    "role": i.role.value,
                    "cost_bps": i.cost_bps,
                    "description": i.description,
                }
                for i in self.instruments
            ],
            columns=["symbol", "asset_class", "sector", "role", "cost_bps", "description"],
        )
