"""Current holdings -> the trades to the targets of :func:`~deepmomentum.pipeline.next_targets`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.exceptions import DataError

__all__ = ["apply_holdings", "read_holdings"]


def read_holdings(path: Path) -> pd.DataFrame:
    """Holdings CSV: ``symbol`` and ``quantity`` (shares) or ``weight`` (share of capital).

    Returns
    -------
    pd.DataFrame
        Indexed by symbol, one column ``quantity`` or ``weight``.
    """
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read holdings {path}: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    kinds = [c for c in ("quantity", "weight") if c in raw.columns]
    if "symbol" not in raw.columns or len(kinds) != 1:
        raise DataError(f"{path}: holdings need the columns symbol and one of quantity or weight")
    value = pd.to_numeric(raw[kinds[0]], errors="coerce")
    if value.isna().any():
        bad = raw.loc[value.isna(), "symbol"].iloc[0]
        raise DataError(f"{path}: the {kinds[0]} of {bad} is not a number")
    out = pd.DataFrame({kinds[0]: value.to_numpy()}, index=raw["symbol"].astype(str).str.strip())
    if out.index.duplicated().any():
        raise DataError(f"{path}: symbol {out.index[out.index.duplicated()][0]} is listed twice")
    return out


def apply_holdings(
    targets: pd.DataFrame, path: Path, capital: float | None, closes: pd.Series
) -> pd.DataFrame:
    """Add ``current``, ``trade`` (target - current, share of capital) and, with capital, ``shares``.

    Parameters
    ----------
    targets : pd.DataFrame
        Rows of :attr:`NextTargets.targets`.
    path : Path
        The holdings CSV (see :func:`read_holdings`).
    capital : float, optional
        Account value, in the prices' currency.
    closes : pd.Series
        As-of close of every tradable symbol: the universe holdings may name.
    """
    held = read_holdings(path)
    unknown = [s for s in held.index if s not in closes.index]
    if unknown:
        raise DataError(f"{path}: unknown symbol {unknown[0]} (not a tradable instrument of the run)")
    if "quantity" in held:
        if capital is None:
            raise DataError(f"{path} gives quantities: add --capital to turn them into weights")
        current = held["quantity"] * closes.reindex(held.index) / capital
    else:
        current = held["weight"]
    parts = []
    for name, part in targets.groupby("strategy", sort=False):
        extra = [s for s in held.index if s not in set(part["symbol"])]
        add = pd.DataFrame({"strategy": name, "symbol": extra, "target": 0.0, "weight": 0.0})
        add["close"] = closes.reindex(extra).to_numpy()
        part = pd.concat([part, add], ignore_index=True) if extra else part.copy()
        part["current"] = part["symbol"].map(current).fillna(0.0)
        part["trade"] = part["target"].fillna(0.0) - part["current"]
        if capital is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                part["shares"] = part["trade"] * capital / part["close"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
