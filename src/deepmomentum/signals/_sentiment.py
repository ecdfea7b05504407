"""News-sentiment scores per asset, usable from the next trading day.

File format (define once, fill from any source, e.g. a cached Alpha Vantage
``NEWS_SENTIMENT`` pull): a folder of ``SYMBOL.csv`` files with columns
``date,score``, ``score`` in [-1, 1], several rows per day allowed (averaged);
or one parquet file with columns ``date, symbol, score``. A score dated d
(publication date or time) is used from the first trading day after d, and
for at most ``max_age_days`` trading days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmomentum.exceptions import DataError

__all__ = ["load_sentiment"]


def _check(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if not {"date", "score"} <= set(frame.columns):
        raise DataError(f"{source}: needs columns date,score, got {list(frame.columns)}")
    dates = pd.to_datetime(frame["date"], errors="coerce", utc=False)
    if dates.isna().any():
        raise DataError(f"{source}: unreadable date {frame.loc[dates.isna(), 'date'].iloc[0]!r}")
    score = pd.to_numeric(frame["score"], errors="coerce")
    bad = score.isna() | (score.abs() > 1)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{source}: score {frame['score'].iloc[i]!r} on {frame['date'].iloc[i]} "
            "is not a number in [-1, 1]"
        )
    out = pd.DataFrame({"date": pd.DatetimeIndex(dates).tz_localize(None).normalize(), "score": score})
    if "symbol" in frame.columns:
        out["symbol"] = frame["symbol"].astype(str).to_numpy()
    return out


def load_sentiment(
    path: str | Path,
    symbols: list[str],
    index: pd.DatetimeIndex,
    max_age_days: int = 5,
) -> pd.DataFrame:
    """Daily sentiment score per asset, as usable at each day's close.

    Parameters
    ----------
    path : path
        A folder of ``SYMBOL.csv`` files, or a parquet file (``date, symbol, score``).
    symbols : list of str
        Columns of the result; symbols without a file stay NaN.
    index : pd.DatetimeIndex of shape (n_days,)
        Trading days.
    max_age_days : int, default 5
        A score is carried for at most this many trading days.

    Returns
    -------
    pd.DataFrame of shape (n_days, n_symbols)
        Scores in [-1, 1]; the value at t comes from news dated < t.
    """
    p = Path(path)
    parts: list[pd.DataFrame] = []
    if p.is_file() and p.suffix == ".parquet":
        frame = _check(pd.read_parquet(p), str(p))
        if "symbol" not in frame.columns:
            raise DataError(f"{p}: needs a symbol column")
        parts.append(frame)
    elif p.is_dir():
        for sym in symbols:
            file = p / f"{sym}.csv"
            if file.is_file():
                frame = _check(pd.read_csv(file), str(file))
                frame["symbol"] = sym
                parts.append(frame)
    else:
        raise DataError(f"{p}: sentiment folder or parquet file not found; fix --sentiment-dir")
    out = pd.DataFrame(np.nan, index=index, columns=symbols)
    if not parts:
        return out
    allrows = pd.concat(parts, ignore_index=True)
    days = pd.DatetimeIndex(index).normalize().to_numpy()
    # news dated d is used from the first trading day strictly after d
    pos = np.searchsorted(days, allrows["date"].to_numpy(dtype="datetime64[ns]"), side="right")
    allrows = allrows.assign(pos=pos)
    allrows = allrows[(allrows["pos"] < len(index)) & allrows["symbol"].isin(symbols)]
    daily = allrows.groupby(["pos", "symbol"])["score"].mean().unstack("symbol")
    arr = out.to_numpy(copy=True)
    for sym in daily.columns:
        j = symbols.index(str(sym))
        arr[daily.index.to_numpy(), j] = daily[sym].to_numpy()
    frame = pd.DataFrame(arr, index=index, columns=symbols)
    return frame.ffill(limit=max(max_age_days - 1, 0))
