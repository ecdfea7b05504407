"""The aligned price panel and its universe."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from deepmomentum.data._universe import AssetClass, Role, Universe

__all__ = ["MarketData"]


@dataclass(frozen=True)
class MarketData:
    """A universe and its price panel on one trading calendar.

    Parameters
    ----------
    universe : Universe
        Every instrument in ``prices`` (tradable, benchmark and rate).
    prices : pd.DataFrame of shape (n_days, n_instruments)
        Adjusted close per trading day (DatetimeIndex named ``date``) and
        symbol. NaN before an instrument's first price, and where it sits out
        after a gap longer than the holiday carry.
    source : str
        Where the data came from: a folder path, or ``"synthetic"``.
    synthetic : bool
        True for generated demo data; every output says so.
    quality : pd.DataFrame, optional
        Findings of the data-quality check (one row per issue), when it ran.
    """

    universe: Universe
    prices: pd.DataFrame
    source: str
    synthetic: bool = False
    quality: pd.DataFrame | None = None

    @property
    def tradable_prices(self) -> pd.DataFrame:
        """Prices of the tradable instruments, shape (n_days, n_tradable)."""
        cols = [s for s in self.universe.tradable if s in self.prices.columns]
        return self.prices[cols]

    def prices_with_role(self, role: Role | str) -> pd.DataFrame:
        """Prices of instruments with ``role``."""
        cols = [s for s in self.universe.with_role(role) if s in self.prices.columns]
        return self.prices[cols]

    @property
    def reference_symbol(self) -> str | None:
        """The equity reference for correlations: SPY if present, else the first equity."""
        if "SPY" in self.prices.columns:
            return "SPY"
        for inst in self.universe:
            if inst.asset_class == AssetClass.EQUITY and inst.symbol in self.prices.columns:
                return inst.symbol
        return None

    def truncate(self, end: str | pd.Timestamp) -> MarketData:
        """Data dated <= ``end`` only (for causality checks)."""
        return replace(self, prices=self.prices.loc[: pd.Timestamp(end)])

    def fingerprint(self) -> str:
        """SHA-256 of the price panel (dates, symbols and values)."""
        h = hashlib.sha256()
        h.update(",".join(map(str, self.prices.columns)).encode())
        h.update(pd.DatetimeIndex(self.prices.index).asi8.tobytes())
        h.update(np.ascontiguousarray(self.prices.to_numpy(dtype="float64")).tobytes())
        return h.hexdigest()

    def prefix_fingerprints(self, end: str | pd.Timestamp | None = None) -> dict[str, dict[str, str]]:
        """Per symbol and calendar year, a short hash of the prices dated <= ``end``.

        A run records them so that data which only appends days can extend it:
        the old years hash the same, and a change is located to a symbol and year.
        """
        prices = self.prices if end is None else self.prices.loc[: pd.Timestamp(end)]
        years = pd.DatetimeIndex(prices.index).year
        out: dict[str, dict[str, str]] = {}
        for sym in prices.columns:
            col = prices[sym]
            out[str(sym)] = {}
            for year, part in col.groupby(years):
                h = hashlib.sha256(pd.DatetimeIndex(part.index).asi8.tobytes())
                h.update(np.ascontiguousarray(part.to_numpy(dtype="float64")).tobytes())
                out[str(sym)][str(year)] = h.hexdigest()[:12]
        return out

    def meta(self) -> dict[str, object]:
        """What ``meta.json`` records about the data: source, label, fingerprint, span, counts."""
        return {
            "source": self.source,
            "synthetic": self.synthetic,
            "label": "SYNTHETIC" if self.synthetic else "real",
            "fingerprint": self.fingerprint(),
            "first_date": str(self.prices.index[0].date()),
            "last_date": str(self.prices.index[-1].date()),
            "n_instruments": len(self.universe),
            "n_tradable": len(self.universe.tradable),
            "prefix": self.prefix_fingerprints(),
        }

    def describe(self) -> str:
        """One line saying what the data is (labelled synthetic when it is)."""
        label = "SYNTHETIC demo data" if self.synthetic else f"data from {self.source}"
        idx = self.prices.index
        first = idx[0].date() if len(idx) else "-"
        last = idx[-1].date() if len(idx) else "-"
        return (
            f"{label}: {len(self.universe.tradable)} tradable instruments, "
            f"{len(self.universe)} in all, {first} to {last}"
        )
