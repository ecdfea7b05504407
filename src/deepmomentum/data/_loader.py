"""Load a folder of price files into an aligned :class:`MarketData`.

The folder holds ``universe.csv`` (columns ``symbol``, ``asset_class`` and
optionally ``sector``, ``role``, ``cost_bps``, ``description``) and one file per
symbol, ``SYMBOL.csv`` or ``SYMBOL.parquet``, with a date column (``Date``) and
a price column (``Adj Close``, ``adjusted_close`` or ``Close``).

Bad input raises :class:`~deepmomentum.exceptions.DataError` with a message
that names the file, the column or date, and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from deepmomentum._warnings import warn
from deepmomentum.data._market import MarketData
from deepmomentum.data._price_formats import decimal_commas_to_points, parse_dates, sniff_separator
from deepmomentum.data._universe import Instrument, Role, Universe
from deepmomentum.exceptions import DataError, DataWarning, QualityWarning, ShortHistoryWarning

if TYPE_CHECKING:
    from deepmomentum.data.acquisition import QualityPolicy

__all__ = [
    "DEFAULT_MAX_CARRY_DAYS",
    "DEFAULT_MIN_HISTORY",
    "align_prices",
    "load_data_dir",
    "read_price_file",
    "read_universe",
]

#: Longest market holiday (trading days of the union calendar) over which a price is carried.
DEFAULT_MAX_CARRY_DAYS = 5
#: Longest lookback of the features (the 252-day return): shorter histories are excluded.
DEFAULT_MIN_HISTORY = 252

# Price columns in order of preference: adjusted first.
_PRICE_COLUMNS = ("adj close", "adj_close", "adjusted_close", "adjusted close", "close")
_DATE_COLUMNS = ("date", "timestamp", "datetime", "time")
_ROLE_VALUES = ", ".join(r.value for r in Role)


def read_universe(path: Path) -> Universe:
    """Read and validate ``universe.csv``.

    Parameters
    ----------
    path : Path
        The universe file.

    Returns
    -------
    Universe
    """
    if not path.is_file():
        raise DataError(
            "universe file not found; create universe.csv with at least the columns "
            "symbol,asset_class (optional: sector, role, cost_bps)",
            path,
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(
            "the file is empty; add a header symbol,asset_class and one row per instrument", path
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot parse as CSV ({exc}); fix the file", path) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for col in ("symbol", "asset_class"):
        if col not in frame.columns:
            raise DataError(
                f"missing column {col!r} (found: {', '.join(frame.columns)}); "
                "the universe needs symbol and asset_class",
                path,
            )
    if frame.empty:
        raise DataError("no instruments listed; add one row per instrument", path)
    instruments: list[Instrument] = []
    seen: set[str] = set()
    for row_no, row in enumerate(frame.to_dict("records"), start=2):
        symbol = str(row["symbol"]).strip()
        where = f"row {row_no} ({symbol or 'no symbol'})"
        if not symbol:
            raise DataError(f"{where}: empty symbol; fill it in or delete the row", path)
        if symbol in seen:
            raise DataError(f"{where}: symbol {symbol!r} is listed twice; keep one row", path)
        seen.add(symbol)
        try:
            asset_class = Instrument.parse_class(str(row["asset_class"]))
        except ValueError:
            raise DataError(
                f"{where}: unknown asset_class {row['asset_class']!r}; use one of "
                "equity, bond, commodity, fx, rates, managed_futures",
                path,
            ) from None
        role_text = str(row.get("role", "") or "tradable").strip().lower()
        try:
            role = Role(role_text)
        except ValueError:
            raise DataError(f"{where}: unknown role {role_text!r}; use one of {_ROLE_VALUES}", path) from None
        cost_text = str(row.get("cost_bps", "") or "").strip()
        cost: float | None = None
        if cost_text:
            try:
                cost = float(cost_text)
            except ValueError:
                raise DataError(
                    f"{where}: cost_bps {cost_text!r} is not a number; give basis points, e.g. 2",
                    path,
                ) from None
            if not np.isfinite(cost) or cost < 0:
                raise DataError(f"{where}: cost_bps must be a non-negative number, got {cost_text}", path)
        instruments.append(
            Instrument(
                symbol=symbol,
                asset_class=asset_class,
                sector=str(row.get("sector", "") or "").strip(),
                role=role,
                cost_bps=cost,
                description=str(row.get("description", "") or "").strip(),
            )
        )
    return Universe(tuple(instruments))


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for cand in candidates:
        if cand in lowered:
            return lowered[cand]
    return None


def read_price_file(path: Path, require_positive: bool = True) -> pd.Series:
    """Read one instrument's prices and validate them.

    Parameters
    ----------
    path : Path
        A ``.csv`` or ``.parquet`` file with a date column and a price column.
    require_positive : bool, default True
        Reject values <= 0. Off for rates (yields may be negative).

    Returns
    -------
    pd.Series
        Positive adjusted closes indexed by a sorted, unique DatetimeIndex.

    Notes
    -----
    A CSV file may be separated by ``,``, ``;`` or tabs, use decimal commas in a
    ``;`` or tab file, and write dates as ISO or day/month/year (see
    :mod:`deepmomentum.data._price_formats`); a non-ISO file says which format
    was read in one :class:`~deepmomentum.exceptions.DataWarning`.
    """
    frame, sep = _read_frame(path)
    date_col, price_col = _date_and_price_columns(frame, path)
    raw_dates = frame[date_col]
    if pd.api.types.is_datetime64_any_dtype(raw_dates):
        dates = pd.DatetimeIndex(raw_dates)
    else:
        dates = parse_dates(raw_dates.astype(str).str.strip(), date_col, path)
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    dates = dates.normalize()
    values, blank = _price_values(frame[price_col], sep, price_col, dates, path)
    _check_rows(dates, values, blank, price_col, require_positive, path)
    series = pd.Series(values[~blank], index=dates[~blank], name=path.stem, dtype="float64")
    series.index.name = "date"
    return series


def _read_frame(path: Path) -> tuple[pd.DataFrame, str | None]:
    """The file's table (CSV cells as text) and its CSV separator (None for parquet)."""
    if not path.is_file():
        raise DataError("price file not found", path)
    if path.stat().st_size == 0:
        raise DataError("the file is empty; refetch or export it again (expected Date,Close rows)", path)
    sep: str | None = None  # None: parquet
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            if not isinstance(frame.index, pd.RangeIndex):
                frame = frame.reset_index()
        else:
            sep = sniff_separator(path)
            frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(
            "the file is empty; refetch or export it again (expected Date,Close rows)", path
        ) from None
    except Exception as exc:  # pyarrow / parser errors vary by version
        raise DataError(
            f"cannot read the file ({type(exc).__name__}: {exc}); fix or refetch it", path
        ) from None
    return frame, sep


def _date_and_price_columns(frame: pd.DataFrame, path: Path) -> tuple[str, str]:
    """Names of the date and price columns (the frame's column names made str, in place)."""
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    date_col = _pick(columns, _DATE_COLUMNS)
    if date_col is None:
        raise DataError(f"no Date column (found: {', '.join(columns)}); name the date column 'Date'", path)
    price_col = _pick(columns, _PRICE_COLUMNS)
    if price_col is None:
        raise DataError(
            f"no Close column (found: {', '.join(columns)}); "
            "name the price column 'Close', 'Adj Close' or 'adjusted_close'",
            path,
        )
    if frame.empty:
        raise DataError("the file has a header but no rows; refetch or export it again", path)
    return date_col, price_col


def _price_values(
    raw_prices: pd.Series, sep: str | None, price_col: str, dates: pd.DatetimeIndex, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Prices as float64 and the mask of blank cells; a cell that is not a number raises."""
    if pd.api.types.is_numeric_dtype(raw_prices):
        values = raw_prices.to_numpy(dtype="float64")
        return values, np.isnan(values)
    text = raw_prices.astype(str).str.strip()
    if sep in (";", "\t"):
        text = decimal_commas_to_points(text, price_col, path)
    blank = text.isin(["", ".", "nan", "NaN", "null", "None"]).to_numpy()
    numeric = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(np.isnan(numeric) & ~blank)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"column {price_col!r} on {dates[i].date()}: {text.iloc[i]!r} is not a number; "
            "fix or delete that row",
            path,
        )
    return numeric, blank


def _check_rows(
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    blank: np.ndarray,
    price_col: str,
    require_positive: bool,
    path: Path,
) -> None:
    """Reject duplicate or unsorted dates and non-positive prices; warn about blank rows."""
    dup = dates.duplicated()
    if dup.any():
        d = dates[np.flatnonzero(dup)[0]]
        raise DataError(f"date {d.date()} appears more than once; keep one row per date", path)
    diffs = np.diff(dates.asi8)
    if (diffs < 0).any():
        i = int(np.flatnonzero(diffs < 0)[0]) + 1
        raise DataError(
            f"dates are not sorted: {dates[i].date()} (row {i + 2}) comes after "
            f"{dates[i - 1].date()}; sort the file by date, oldest first",
            path,
        )
    nonpos = np.flatnonzero(~blank & (values <= 0))
    if require_positive and nonpos.size:
        i = int(nonpos[0])
        raise DataError(
            f"column {price_col!r} on {dates[i].date()}: price {values[i]:g} is not positive; "
            "prices must be > 0 (fix the row, or give total-return prices, not returns)",
            path,
        )
    if blank.any():
        warn(
            f"{path}: {int(blank.sum())} rows without a price (first on "
            f"{dates[np.flatnonzero(blank)[0]].date()}) were dropped",
            DataWarning,
        )


def _find_file(folder: Path, symbol: str) -> Path | None:
    for suffix in (".csv", ".parquet", ".CSV", ".PARQUET"):
        candidate = folder / f"{symbol}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _nan_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of True runs in a boolean array."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def align_prices(
    series: dict[str, pd.Series],
    calendar: pd.DatetimeIndex | None = None,
    max_carry_days: int = DEFAULT_MAX_CARRY_DAYS,
) -> pd.DataFrame:
    """Align price series on one calendar, carrying prices over short holidays.

    Parameters
    ----------
    series : dict of str to pd.Series
        Prices per symbol, each on its own trading days.
    calendar : pd.DatetimeIndex, optional
        Trading days of the panel; default the union of all series' days.
    max_carry_days : int, default 5
        The last price is carried over a gap of at most this many calendar rows
        (so the holiday's return is 0). In a longer gap the instrument sits out
        (NaN) after the carry until its prices resume, with a warning.

    Returns
    -------
    pd.DataFrame of shape (n_days, n_symbols)
        NaN before each instrument's first price and after its last.
    """
    if calendar is None:
        calendar = pd.DatetimeIndex(sorted(set().union(*(s.index for s in series.values()))))
    calendar = pd.DatetimeIndex(calendar, name="date")
    columns: dict[str, np.ndarray] = {}
    for symbol, s in series.items():
        full_index = calendar.union(pd.DatetimeIndex(s.index))
        on_full = s.reindex(full_index)
        values = on_full.to_numpy()
        valid = ~np.isnan(values)
        if not valid.any():
            columns[symbol] = np.full(len(calendar), np.nan)
            continue
        first, last = np.flatnonzero(valid)[[0, -1]]
        inside = np.zeros(len(values), dtype=bool)
        inside[first : last + 1] = True
        for start, stop in _nan_runs(~valid & inside):
            if stop - start > max_carry_days:
                warn(
                    f"{symbol}: no prices from {full_index[start].date()} to "
                    f"{full_index[stop - 1].date()} ({stop - start} trading days); it sits out of "
                    f"the portfolio after {max_carry_days} days of carried prices until its "
                    "prices resume",
                    DataWarning,
                )
        # Carry after the last price too: whether a missing day is a holiday or the end of
        # a history is only known later, and the value at t must not depend on it.
        started = np.zeros(len(values), dtype=bool)
        started[first:] = True
        carried = on_full.ffill(limit=max_carry_days).where(started)
        columns[symbol] = carried.reindex(calendar).to_numpy()
    return pd.DataFrame(columns, index=calendar, dtype="float64")


def _apply_quality(
    folder: Path, universe: Universe, loaded: dict[str, pd.Series], quality: QualityPolicy | None
) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Check ``loaded`` with ``quality`` (None: the default policy); the cleaned series and findings."""
    from deepmomentum.data.acquisition import QualityPolicy, check_quality

    if quality is None:
        quality = QualityPolicy()
    elif not isinstance(quality, QualityPolicy):
        raise TypeError(
            f"quality= takes a QualityPolicy, None (the default policy) or False (no checks), not {quality!r}"
        )
    rates = [i.symbol for i in universe if i.role == Role.RATE and i.symbol in loaded]
    report = check_quality(loaded, quality, allow_non_positive=rates)
    report.raise_for_errors(str(folder))
    for notice in report.spike_notices():
        warn(notice, QualityWarning)
    return {s: report.cleaned[s].rename(s) for s in loaded}, report.issues


def load_data_dir(
    data_dir: str | Path,
    min_history: int = DEFAULT_MIN_HISTORY,
    max_carry_days: int = DEFAULT_MAX_CARRY_DAYS,
    quality: QualityPolicy | Literal[False] | None = None,
) -> MarketData:
    """Load a data folder into an aligned :class:`MarketData`.

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``universe.csv`` and one price file per symbol.
    min_history : int, default 252
        Tradable instruments with fewer prices are excluded with a
        :class:`~deepmomentum.exceptions.ShortHistoryWarning`.
    max_carry_days : int, default 5
        Longest holiday over which a price is carried (see :func:`align_prices`).
    quality : QualityPolicy, False or None, default None
        The data-quality checks (spikes, stale runs, gaps, calendar) run with
        this policy; None: the default ``QualityPolicy()``, which drops
        isolated spikes that revert the next day (bad prints) and flags the
        rest. Unresolved errors raise
        :class:`~deepmomentum.data.acquisition.QualityError` saying how to fix
        them; the drops and fills the policy asks for are applied (one
        :class:`~deepmomentum.exceptions.QualityWarning` per symbol lists the
        spikes dropped or kept), and the findings are kept in
        ``MarketData.quality``. False skips the checks (``MarketData.quality``
        is then None).

    Returns
    -------
    MarketData
        The calendar is the union of the tradable instruments' trading days;
        benchmarks and rates are sampled on it.
    """
    folder = Path(data_dir)
    if not folder.exists():
        raise DataError(
            "data folder not found; pass --data-dir with a folder holding universe.csv "
            "and one SYMBOL.csv per symbol (or omit it to use the synthetic demo data)",
            folder,
        )
    if not folder.is_dir():
        raise DataError("is a file, not a folder; pass the folder that holds universe.csv", folder)
    universe = read_universe(folder / "universe.csv")

    listed = set(universe.symbols)
    for extra in sorted(
        p.stem for p in folder.iterdir() if p.suffix.lower() in {".csv", ".parquet"} and p.stem != "universe"
    ):
        if extra not in listed:
            warn(
                f"{folder / extra}: file has no entry in universe.csv and is ignored; "
                "add a row for it to use it",
                DataWarning,
            )

    loaded: dict[str, pd.Series] = {}
    for inst in universe:
        path = _find_file(folder, inst.symbol)
        if path is None:
            raise DataError(
                f"symbol {inst.symbol!r} is listed in universe.csv but has no file "
                f"{inst.symbol}.csv or {inst.symbol}.parquet; add the file or remove the row",
                folder,
            )
        s = read_price_file(path, require_positive=inst.role != Role.RATE)
        if inst.role == Role.TRADABLE and len(s) < min_history:
            warn(
                f"{path}: only {len(s)} prices, fewer than the longest lookback ({min_history}); "
                f"{inst.symbol} is excluded",
                ShortHistoryWarning,
            )
            continue
        loaded[inst.symbol] = s.rename(inst.symbol)

    findings = None
    if quality is not False:
        loaded, findings = _apply_quality(folder, universe, loaded, quality)
    tradable = [s for s in universe.tradable if s in loaded]
    if not tradable:
        raise DataError(
            f"no tradable instrument with at least {min_history} prices; "
            "add longer histories or mark instruments role=tradable",
            folder,
        )
    calendar = pd.DatetimeIndex(sorted(set().union(*(loaded[s].index for s in tradable))))
    prices = align_prices(loaded, calendar=calendar, max_carry_days=max_carry_days)
    return MarketData(
        universe=universe.subset(loaded),
        prices=prices[[s for s in universe.symbols if s in loaded]],
        source=str(folder.resolve()),
        synthetic=False,
        quality=findings,
    )
