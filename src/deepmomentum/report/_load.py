"""Read a run folder (``docs/run-folder.md``) into a :class:`RunData`.

Only this module reads the files of the contract (their names and schemas come
from :mod:`deepmomentum.run._layout`); the rest of the report works on the
frames it returns. Every problem raises
:class:`~deepmomentum.exceptions.DataError` naming the file at fault.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

import deepmomentum.run._layout as layout
from deepmomentum.exceptions import DataError
from deepmomentum.run._layout import read_json_object, read_metrics

__all__ = ["REFERENCE_SYMBOL", "RunData", "load_run"]

#: Benchmark column used as the reference for ``corr_ref``.
REFERENCE_SYMBOL = "SPY"

_POSITION_KEEP = layout.run_file(layout.POSITIONS).columns
# ``signal`` may be absent: folders written before it was recorded lack it.
_POSITION_COLUMNS = tuple(c for c in _POSITION_KEEP if c != "signal")
_ASSET_RETURN_COLUMNS = layout.run_file(layout.ASSET_RETURNS).columns


@dataclass(frozen=True)
class RunData:
    """The contents of one run folder, parsed.

    Attributes
    ----------
    path : Path
        The run folder.
    config : dict
        ``config.toml`` parsed.
    config_text : str
        ``config.toml`` as written (shown verbatim in the report).
    meta : dict
        ``meta.json``.
    returns : pd.DataFrame of shape (n_days, n_variants)
        Daily net returns per variant ``<strategy>@<cost>bp``, decimal,
        DatetimeIndex named ``date``; NaN before a variant's first position.
    returns_ex_post : pd.DataFrame or None
        The ex-post rescaled series (comparison only), same shape.
    benchmarks : pd.DataFrame or None
        Daily returns of the benchmark instruments, decimal.
    positions : pd.DataFrame
        Long form: ``date``, ``symbol``, ``strategy``, ``weight`` (and ``signal``
        when present); ``weight`` is vol-scaled, before the 1/N average.
    metrics : dict of str to dict
        ``metrics.json`` (``None`` for NaN).
    universe : pd.DataFrame
        ``universe.csv``: at least ``symbol`` and ``asset_class``.
    asset_returns : pd.DataFrame or None
        Daily simple returns of each instrument, shape (n_days, n_assets),
        from ``asset_returns.parquet`` when the folder has it.
    windows, trials, quality : pd.DataFrame or None
        ``models/windows.csv``, ``models/trials.csv``, ``quality.csv`` when present.
    """

    path: Path
    config: dict[str, Any]
    config_text: str
    meta: dict[str, Any]
    returns: pd.DataFrame
    returns_ex_post: pd.DataFrame | None
    benchmarks: pd.DataFrame | None
    positions: pd.DataFrame
    metrics: dict[str, dict[str, Any]]
    universe: pd.DataFrame
    asset_returns: pd.DataFrame | None = None
    windows: pd.DataFrame | None = None
    trials: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None

    @property
    def variants(self) -> list[str]:
        """Variant names, in the column order of ``returns.csv``."""
        return [str(c) for c in self.returns.columns]

    @property
    def synthetic(self) -> bool:
        """True when ``meta.json`` says the data were generated (``data.synthetic``)."""
        data = self.meta.get("data")
        return bool(data.get("synthetic", False)) if isinstance(data, dict) else False

    @property
    def reference_name(self) -> str | None:
        """Benchmark column used for correlation, beta and alpha.

        SPY when benchmarks.csv has it, else the ``reference`` of meta.json
        when benchmarks.csv has that column (synthetic runs), else None.
        """
        if self.benchmarks is None:
            return None
        declared = self.meta.get("reference")
        for name in (REFERENCE_SYMBOL, declared):
            if isinstance(name, str) and name in self.benchmarks.columns:
                return name
        return None

    @property
    def reference(self) -> pd.Series | None:
        """Daily returns of the reference benchmark (see :attr:`reference_name`)."""
        name = self.reference_name
        return None if name is None or self.benchmarks is None else self.benchmarks[name]

    def strategy_of(self, variant: str) -> str | None:
        """The ``strategy`` value of ``positions.parquet`` that holds ``variant``'s weights.

        Weights do not depend on the cost level, so ``tsmom@10bp`` uses the
        positions of ``tsmom``; a folder may also key positions by variant.
        Returns None when the folder has no positions for the variant.
        """
        held = self._strategies
        if variant in held:
            return variant
        base = variant.split("@", 1)[0]
        return base if base in held else None

    @cached_property
    def _strategies(self) -> frozenset[str]:
        return frozenset(str(s) for s in self.positions["strategy"].unique())


def _require(path: Path, name: str) -> Path:
    target = path / name
    if not target.is_file():
        raise DataError(
            f"missing required file {name}; is this a run folder written by "
            "`deepmomentum backtest`/`demo`/`run` (see docs/run-folder.md)?",
            path=target,
        )
    return target


def _optional(path: Path, name: str) -> Path | None:
    target = path / name
    return target if target.is_file() else None


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], file: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)} (found: {', '.join(map(str, frame.columns))})",
            path=file,
        )


def _read_csv(file: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", path=file) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", path=file) from None


def _parse_dates(values: pd.Series, file: Path, column: str = "date") -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(values, format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise DataError(f"column {column!r} has values that are not dates ({exc})", path=file) from None


def _read_series_csv(file: Path, require_columns: bool = True) -> pd.DataFrame:
    """A ``date`` column plus numeric columns, as a frame indexed by date."""
    raw = _read_csv(file)
    if "date" not in raw.columns:
        first = str(raw.columns[0]) if len(raw.columns) else ""
        if first.startswith("Unnamed") or first == "":
            raw = raw.rename(columns={raw.columns[0]: "date"})
        else:
            _check_columns(raw, ["date"], file)
    index = _parse_dates(raw["date"], file)
    if index.has_duplicates:
        raise DataError(f"duplicate dates, e.g. {index[index.duplicated()][0].date()}", path=file)
    frame = raw.drop(columns="date")
    if require_columns and frame.shape[1] == 0:
        raise DataError("no data column after 'date': expected one column per series", path=file)
    try:
        frame = frame.apply(pd.to_numeric).astype("float64")
    except (ValueError, TypeError) as exc:
        raise DataError(f"non-numeric return values ({exc})", path=file) from None
    frame.index = index.rename("date")
    frame.columns = [str(c) for c in frame.columns]
    return frame.sort_index()


def _read_parquet(file: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise DataError(f"cannot read as Parquet ({type(exc).__name__}: {exc})", path=file) from None
    _check_columns(frame, columns, file)
    return frame


def _read_positions(file: Path) -> pd.DataFrame:
    frame = _read_parquet(file, _POSITION_COLUMNS)
    keep = [c for c in _POSITION_KEEP if c in frame.columns]
    frame = frame[keep].copy()
    frame["date"] = _parse_dates(frame["date"], file)
    frame["symbol"] = frame["symbol"].astype(str)
    frame["strategy"] = frame["strategy"].astype(str)
    try:
        frame["weight"] = pd.to_numeric(frame["weight"]).astype("float64")
    except (ValueError, TypeError) as exc:
        raise DataError(f"column 'weight' is not numeric ({exc})", path=file) from None
    return frame


def _read_asset_returns(file: Path) -> pd.DataFrame:
    frame = _read_parquet(file, _ASSET_RETURN_COLUMNS)
    dates = _parse_dates(frame["date"], file)
    try:
        values = pd.to_numeric(frame["return"]).astype("float64")
    except (ValueError, TypeError) as exc:
        raise DataError(f"column 'return' is not numeric ({exc})", path=file) from None
    long = pd.DataFrame({"date": dates, "symbol": frame["symbol"].astype(str), "return": values.to_numpy()})
    if long.duplicated(["date", "symbol"]).any():
        raise DataError("duplicate (date, symbol) rows", path=file)
    wide = long.pivot(index="date", columns="symbol", values="return").sort_index()
    wide.columns.name = None
    return wide


def _read_table(file: Path | None) -> pd.DataFrame | None:
    if file is None:
        return None
    try:
        return pd.read_csv(file)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", path=file) from None


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder.

    Parameters
    ----------
    run_dir : str or Path
        A folder written by ``deepmomentum backtest``, ``demo`` or ``run``.

    Returns
    -------
    RunData

    Raises
    ------
    DataError
        When the folder or a required file (``config.toml``, ``meta.json``,
        ``returns.csv``, ``positions.parquet``, ``metrics.json``,
        ``universe.csv``) is missing or malformed; the message names the file.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise DataError(
            "run folder not found (give the folder a backtest wrote, e.g. runs/demo-...)", path=path
        )

    if not (path / layout.RETURNS).is_file() and (path / layout.ABLATION_SUMMARY).is_file():
        raise DataError(
            "an ablation folder (`deepmomentum ablate`) has no returns.csv; its report is "
            "`deepmomentum report` / build_report, which read it with load_ablation",
            path=path,
        )
    config_file = _require(path, layout.CONFIG)
    try:
        config_text = config_file.read_text(encoding="utf-8")
        config = tomllib.loads(config_text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"not valid TOML ({exc})", path=config_file) from None

    meta = read_json_object(_require(path, layout.META))
    returns = _read_series_csv(_require(path, layout.RETURNS))
    ex_post_file = _optional(path, layout.RETURNS_EX_POST)
    returns_ex_post = _read_series_csv(ex_post_file) if ex_post_file else None
    bench_file = _optional(path, layout.BENCHMARKS)
    benchmarks = _read_series_csv(bench_file, require_columns=False) if bench_file else None
    if benchmarks is not None and benchmarks.shape[1] == 0:
        benchmarks = None
    positions = _read_positions(_require(path, layout.POSITIONS))
    metrics = read_metrics(_require(path, layout.METRICS))
    universe_file = _require(path, layout.UNIVERSE)
    universe = _read_csv(universe_file)
    _check_columns(universe, ["symbol", "asset_class"], universe_file)
    universe["symbol"] = universe["symbol"].astype(str)
    if universe["symbol"].duplicated().any():
        dup = universe.loc[universe["symbol"].duplicated(), "symbol"].iloc[0]
        raise DataError(f"symbol {dup!r} appears twice", path=universe_file)

    ar_file = _optional(path, layout.ASSET_RETURNS)
    return RunData(
        path=path,
        config=config,
        config_text=config_text,
        meta=meta,
        returns=returns,
        returns_ex_post=returns_ex_post,
        benchmarks=benchmarks,
        positions=positions,
        metrics=metrics,
        universe=universe,
        asset_returns=_read_asset_returns(ar_file) if ar_file else None,
        windows=_read_table(_optional(path, layout.WINDOWS)),
        trials=_read_table(_optional(path, layout.TRIALS)),
        quality=_read_table(_optional(path, layout.QUALITY)),
    )
