"""Macro series with their release lags: a value is used only once it was published.

A monthly value is dated at the first day of its reference month, but it was
not known then. It becomes usable on the day after ``period end + lag`` (see
``shared/data/README.md``); daily series are known at the close of their date.
Nothing here fills backwards: a trading day before a series' first release
has no value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.exceptions import DataError

__all__ = ["RELEASE_LAGS", "load_macro_dir", "macro_asof", "release_dates"]

#: Series id -> (frequency, release lag in calendar days after the period's end).
#: Frequencies: ``M`` monthly, ``Q`` quarterly, ``W`` weekly, ``D`` daily.
RELEASE_LAGS: dict[str, tuple[str, int]] = {
    "CFNAI": ("M", 25),
    "INDPRO": ("M", 16),
    "CPIAUCSL": ("M", 15),
    "CPILFESL": ("M", 15),
    "UNRATE": ("M", 7),
    "PAYEMS": ("M", 7),
    "UMCSENT": ("M", 0),
    "FEDFUNDS": ("M", 1),
    "GDPC1": ("Q", 30),
    "ICSA": ("W", 5),
    "DGS10": ("D", 0),
    "DGS2": ("D", 0),
    "T10Y2Y": ("D", 0),
    "T10YIE": ("D", 0),
    "VIXCLS": ("D", 0),
    "BAMLH0A0HYM2": ("D", 0),
    "DTWEXBGS": ("D", 0),
}

#: Series that must never be a live input (known only long after the fact).
NEVER_LIVE = frozenset({"USREC"})


def release_dates(ref_dates: pd.DatetimeIndex, freq: str, lag_days: int) -> pd.DatetimeIndex:
    """First calendar day on which each value may be used (at that day's close).

    Parameters
    ----------
    ref_dates : pd.DatetimeIndex
        Reference dates as stored (start of the month/quarter for ``M``/``Q``,
        the observation date for ``W``/``D``).
    freq : {"M", "Q", "W", "D"}
    lag_days : int
        Calendar days from the period's end to the release.

    Returns
    -------
    pd.DatetimeIndex
        ``period_end + lag + 1 day`` (``M``, ``Q``, ``W``), or the date itself (``D``).
    """
    idx = pd.DatetimeIndex(ref_dates).normalize()
    if freq == "D":
        return idx
    if freq == "M":
        end = idx + pd.offsets.MonthEnd(0)
    elif freq == "Q":
        end = idx + pd.offsets.QuarterEnd(0)
    elif freq == "W":
        end = idx
    else:
        raise ValueError(f"unknown frequency {freq!r}")
    return pd.DatetimeIndex(end + pd.Timedelta(days=lag_days + 1))


def load_macro_dir(path: str | Path, names: list[str] | None = None) -> dict[str, pd.Series]:
    """Read ``SERIES.csv`` files (``date,value``), indexed by reference date.

    Parameters
    ----------
    path : path
        The folder (e.g. ``../shared/data/macro``).
    names : list of str, optional
        Series to read; all files of known series if None. A missing one is
        a :class:`DataError`.

    Returns
    -------
    dict of str to pd.Series
        Values (NaN rows dropped), oldest first, by reference date.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{folder}: macro folder not found; pass --macro-dir with SERIES.csv files")
    wanted = names if names is not None else sorted(p.stem for p in folder.glob("*.csv"))
    out: dict[str, pd.Series] = {}
    for name in wanted:
        if name in NEVER_LIVE:
            if names is not None:
                raise DataError(
                    f"{name} is revised long after the fact (NBER dates recessions later); "
                    "it cannot be a live input"
                )
            continue
        file = folder / f"{name}.csv"
        if not file.is_file():
            raise DataError(f"{file}: macro series not found; add it or choose another indicator")
        if name not in RELEASE_LAGS:
            if names is not None:
                raise DataError(f"{file}: no release lag is known for {name}; add it to RELEASE_LAGS")
            continue
        try:
            frame = pd.read_csv(file)
        except (OSError, ValueError) as exc:
            raise DataError(f"{file}: cannot read ({exc})") from None
        if not {"date", "value"} <= set(frame.columns):
            raise DataError(f"{file}: needs columns date,value, got {list(frame.columns)}")
        dates = pd.to_datetime(frame["date"], errors="coerce")
        if dates.isna().any():
            bad = frame.loc[dates.isna(), "date"].iloc[0]
            raise DataError(f"{file}: unreadable date {bad!r} in column date")
        values = pd.to_numeric(frame["value"], errors="coerce")
        series = pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(dates), name=name)
        series = series.dropna().sort_index()
        series = series[~series.index.duplicated(keep="last")]
        out[name] = series
    return out


def macro_asof(series: pd.Series, index: pd.DatetimeIndex, name: str | None = None) -> pd.Series:
    """The latest released value of a series on each trading day.

    Parameters
    ----------
    series : pd.Series
        Values by reference date (as loaded), or derived values on the same
        reference dates (e.g. a regime per month).
    index : pd.DatetimeIndex of shape (n_days,)
        Trading days.
    name : str, optional
        Series id for the lag lookup (default ``series.name``).

    Returns
    -------
    pd.Series of shape (n_days,)
        Missing before the first release.
    """
    key = str(name if name is not None else series.name)
    if key in NEVER_LIVE:
        raise DataError(f"{key} cannot be a live input (known only long after the fact)")
    if key not in RELEASE_LAGS:
        raise DataError(f"no release lag known for macro series {key!r}; add it to RELEASE_LAGS")
    freq, lag = RELEASE_LAGS[key]
    s = series.dropna() if series.dtype.kind == "f" else series[series.notna()]
    released = pd.Series(s.to_numpy(), index=release_dates(pd.DatetimeIndex(s.index), freq, lag))
    released = released[~released.index.duplicated(keep="last")].sort_index()
    pos = (
        np.searchsorted(released.index.to_numpy(), pd.DatetimeIndex(index).normalize().to_numpy(), "right")
        - 1
    )
    values = released.to_numpy()
    out = np.empty(len(index), dtype=object if values.dtype == object else "float64")
    out[:] = None if values.dtype == object else np.nan
    ok = pos >= 0
    out[ok] = values[pos[ok]]
    return pd.Series(out, index=index, name=key)
