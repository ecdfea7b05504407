"""Formats of price files: the separator, the date format and the decimal mark, detected per file.

A file is read as it was written, or rejected with one message that names the
rows at fault and the format to use; dates are never guessed row by row.

- Separator: from the header line, ``,`` ``;`` or tab (the most fields wins).
- Dates: ISO (``2015-01-31``, with or without a time) or day/month/year fields
  (``31/01/2015``, ``31.01.2015``, ``31-01-2015``; or month-first ``01/31/2015``).
  A day field above 12 makes a file day-first, a second field above 12
  month-first. When every field is 12 or less, the one reading whose dates are in
  order wins; if both or neither are, the file is ambiguous.
- Decimal commas (``1,5`` and ``1.234,5``) in ``;`` or tab files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum._warnings import warn
from deepmomentum.exceptions import DataError, DataWarning

__all__ = ["decimal_commas_to_points", "parse_dates", "sniff_separator"]

_SEPARATORS = (",", ";", "\t")
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$"
_FIELDS = r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T].*)?$"
_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+"
_USE_ISO = "write every date in one format, ISO (YYYY-MM-DD) preferred"


def sniff_separator(path: Path) -> str:
    """The field separator of a CSV file, from its header line.

    Returns
    -------
    str
        ``","``, ``";"`` or a tab: the one that splits the header into the
        most fields (``","`` on a tie or when none occurs).
    """
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    return max(counts, key=lambda sep: counts[sep])


def _row_ranges(rows: np.ndarray) -> str:
    """File row numbers as runs: ``"rows 2-3, 7"`` (at most 5 runs shown)."""
    runs: list[tuple[int, int]] = []
    for r in rows.tolist():
        if runs and r == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    shown = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs[:5])
    more = f" and {len(runs) - 5} more runs" if len(runs) > 5 else ""
    return f"{'rows' if rows.size > 1 else 'row'} {shown}{more}"


def _rows_with_text(rows: np.ndarray, text: pd.Series) -> str:
    """File row numbers with their text: ``"rows 4 '31/01/2015', 5 '01/02/2015'"`` (at most 5)."""
    shown = ", ".join(f"{r} {text.iloc[r - 2]!r}" for r in rows[:5].tolist())
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    return f"{'rows' if rows.size > 1 else 'row'} {shown}{more}"


def _side(rows: np.ndarray, text: pd.Series, label: str, with_text: bool) -> str:
    where = _rows_with_text(rows, text) if with_text else _row_ranges(rows)
    return f"{where} {'are' if rows.size > 1 else 'is'} {label}"


def _cannot_parse(column: str, i: int, text: pd.Series, path: Path) -> DataError:
    return DataError(
        f"column {column!r}, row {i + 2}: cannot parse date {text.iloc[i]!r}; "
        "use ISO dates such as 2020-01-31",
        path,
    )


def _from_fields(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> pd.DatetimeIndex:
    """Dates from integer fields; NaT where the date does not exist (31/02)."""
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.DatetimeIndex(pd.to_datetime(parts, errors="coerce"))


def _in_order(dates: pd.DatetimeIndex) -> bool:
    """Every date valid and later than the one before."""
    return not dates.isna().any() and bool((np.diff(dates.asi8) > 0).all())


def _parse_fields(text: pd.Series, fields: pd.DataFrame, column: str, path: Path) -> pd.DatetimeIndex:
    """Read ``a/b/yyyy`` dates day-first or month-first, whichever the file shows."""
    first = fields[0].astype(int).to_numpy()
    second = fields[2].astype(int).to_numpy()
    year = fields[3].astype(int).to_numpy()
    sep = str(fields[1].iloc[0])
    dmy, mdy = f"DD{sep}MM{sep}YYYY", f"MM{sep}DD{sep}YYYY"
    day_rows, month_rows = np.flatnonzero(first > 12) + 2, np.flatnonzero(second > 12) + 2
    if day_rows.size and month_rows.size:
        raise DataError(
            f"column {column!r} mixes date formats: {_side(day_rows[:1], text, f'day-first ({dmy})', True)} "
            f"but {_side(month_rows[:1], text, f'month-first ({mdy})', True)}; {_USE_ISO}",
            path,
        )
    day_first, month_first = _from_fields(year, second, first), _from_fields(year, first, second)
    impossible = np.flatnonzero(
        np.asarray(day_first.isna()) & np.asarray(month_first.isna())
    )  # 00/01, 31/02: no reading fits
    if impossible.size:
        raise _cannot_parse(column, int(impossible[0]), text, path)
    how = ""
    if month_rows.size:
        dates, label = month_first, f"month-first dates ({mdy})"
    elif day_rows.size or (first == second).all():
        dates, label = day_first, f"day-first dates ({dmy})"
    else:
        ordered = (_in_order(day_first), _in_order(month_first))
        if ordered[0] == ordered[1]:
            i = int(np.flatnonzero(first != second)[0])
            raise DataError(
                f"column {column!r}: the dates are ambiguous (every day and month is 12 or less, and "
                f"{'both readings are' if ordered[0] else 'neither reading is'} in date order), so "
                f"{text.iloc[i]!r} could be {day_first[i].day} {day_first[i]:%B} or "
                f"{month_first[i].day} {month_first[i]:%B}; write ISO dates (YYYY-MM-DD) such as "
                f"{day_first[i]:%Y-%m-%d}",
                path,
            )
        dates, label = (
            (day_first, f"day-first dates ({dmy})")
            if ordered[0]
            else (month_first, f"month-first dates ({mdy})")
        )
        how = "; every day and month is 12 or less, and this is the only reading in date order"
    bad = np.flatnonzero(dates.isna())
    if bad.size:
        raise _cannot_parse(column, int(bad[0]), text, path)
    warn(f"{path}: parsed {label}{how}", DataWarning)
    return dates


def _to_datetime(text: pd.Series, fmt: str, column: str, path: Path) -> pd.DatetimeIndex:
    """Parse with pandas, NaT where a text does not fit; different zone offsets are a DataError."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, errors="coerce", format=fmt))
    except ValueError:  # "Mixed timezones detected": some rows +01:00, others +02:00 or none
        raise DataError(
            f"column {column!r}: the dates carry different time-zone offsets (row 2: {text.iloc[0]!r}); "
            "write plain dates (YYYY-MM-DD) or one offset throughout",
            path,
        ) from None


def parse_dates(text: pd.Series, column: str, path: Path) -> pd.DatetimeIndex:
    """Parse a date column in the one format its file uses.

    Parameters
    ----------
    text : pd.Series of str, shape (n_rows,)
        The stripped date texts, row ``i`` being row ``i + 2`` of the file.
    column : str
        The column's name, for messages.
    path : Path
        The file, for messages.

    Returns
    -------
    pd.DatetimeIndex of shape (n_rows,)
        As written (times kept, zones kept); not yet checked for order.

    Raises
    ------
    DataError
        For a date that cannot be read, ISO and day/month/year rows in one file,
        or day/month/year dates that fit both readings.

    Warns
    -----
    DataWarning
        Once per file that is not ISO, naming the format read.
    """
    dates = _to_datetime(text, "ISO8601", column, path)
    if not dates.isna().any():  # the common case: every row year-first
        return dates
    iso = text.str.match(_ISO).to_numpy(dtype=bool)
    fields = text.str.extract(_FIELDS)
    has_fields = fields[0].notna().to_numpy()
    if has_fields.any() and iso.any():
        iso_rows, field_rows = np.flatnonzero(iso) + 2, np.flatnonzero(has_fields) + 2
        probe = _field_label(fields[has_fields])
        iso_minority = iso_rows.size < field_rows.size
        raise DataError(
            f"column {column!r} mixes date formats: "
            f"{_side(iso_rows, text, 'ISO (YYYY-MM-DD)', iso_minority)} but "
            f"{_side(field_rows, text, probe, not iso_minority)}; {_USE_ISO}",
            path,
        )
    if has_fields.any():
        if not has_fields.all():
            raise _cannot_parse(column, int(np.flatnonzero(~has_fields)[0]), text, path)
        return _parse_fields(text, fields, column, path)
    dates = _to_datetime(text, "mixed", column, path)
    bad = np.flatnonzero(dates.isna())
    if bad.size:
        raise _cannot_parse(column, int(bad[0]), text, path)
    return dates


def _field_label(fields: pd.DataFrame) -> str:
    """``DD/MM/YYYY``, ``MM/DD/YYYY`` or both, as the rows' fields show."""
    sep = str(fields[1].iloc[0])
    if (fields[0].astype(int) > 12).any():
        return f"DD{sep}MM{sep}YYYY"
    if (fields[2].astype(int) > 12).any():
        return f"MM{sep}DD{sep}YYYY"
    return f"DD{sep}MM{sep}YYYY or MM{sep}DD{sep}YYYY"


def decimal_commas_to_points(text: pd.Series, column: str, path: Path) -> pd.Series:
    """Turn decimal commas (``1,5``, ``1.234,5``) into points; leave other texts as they are.

    Parameters
    ----------
    text : pd.Series of str, shape (n_rows,)
        Stripped number texts of a ``;`` or tab separated file.
    column, path
        For messages.

    Returns
    -------
    pd.Series of str
        ``1.5`` and ``1234.5`` for the examples; unchanged when no value has a comma.

    Raises
    ------
    DataError
        When some values use a decimal comma and others a decimal point.
    """
    comma = text.str.contains(",", regex=False).to_numpy(dtype=bool)
    if not comma.any():
        return text
    point = text.str.contains(".", regex=False).to_numpy(dtype=bool) & ~comma
    if point.any():
        i, j = int(np.flatnonzero(comma)[0]), int(np.flatnonzero(point)[0])
        raise DataError(
            f"column {column!r} mixes decimal commas (row {i + 2} {text.iloc[i]!r}) and decimal points "
            f"(row {j + 2} {text.iloc[j]!r}); use one decimal mark throughout",
            path,
        )
    convert = text.str.fullmatch(_DECIMAL_COMMA).to_numpy(dtype=bool)
    points = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return text.where(~convert, points)
