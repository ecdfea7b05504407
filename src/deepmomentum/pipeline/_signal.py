"""Trade the next day: the target weights of a finished run at the close of ``as_of``.

The run's pipeline is recomputed on the data cut at ``as_of``, with the
walk-forward reading the run's finished tasks back (nothing is trained): the
windows the run trained predict their test spans, and the latest one also
predicts the days after its span. The weights are then exactly what the run's
backtest holds on ``as_of`` (``positions.parquet`` / ``weights.parquet``)
when ``as_of`` lies in the run's span. Nothing is written into the run folder:
its task files are linked into a temporary folder, where rewritten files
replace the links.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.config import RunConfig, load_config
from deepmomentum.exceptions import DataError, DataWarning
from deepmomentum.pipeline._holdings import apply_holdings
from deepmomentum.pipeline._stages import Context

__all__ = ["NextTargets", "next_targets"]

log = logging.getLogger("deepmomentum")

PAPER_NOTE = (
    "DMN weights follow the paper's engine: weight = position * vol_target / sigma (annualised "
    "ex-ante vol), capped at max_weight; the portfolio return averages over the N assets held, "
    "so the share of capital per asset is target = weight / N."
)


@dataclass
class NextTargets:
    """The target weights for the session after ``as_of``.

    Attributes
    ----------
    run_dir : Path
    kind : {"dmn", "managed_futures"}
    as_of : pd.Timestamp
        The close the targets are set at (the last trading day <= the date asked).
    data_end : pd.Timestamp
        Last day of the data folder.
    targets : pd.DataFrame
        One row per (strategy, symbol): ``signal`` (position in [-1, 1]),
        ``vol`` (annualised ex-ante vol), ``weight`` (the engine's weight),
        ``target`` (share of capital), ``close``; with holdings also
        ``current``, ``trade`` (``target - current``) and, with capital, ``shares``.
    rebalance : dict
        Managed futures: per strategy, whether ``as_of`` is a rebalance day,
        its triggers and the last rebalance day.
    model : dict
        The latest trained window (train/test dates) the positions come from.
    notes, warnings : list of str
    """

    run_dir: Path
    kind: str
    as_of: pd.Timestamp
    data_end: pd.Timestamp
    targets: pd.DataFrame
    rebalance: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The targets (and trades) table, one row per (strategy, symbol)."""
        return self.targets.copy()

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready values (NaN as None)."""
        rows = self.targets.astype(object).where(self.targets.notna(), None).to_dict(orient="records")
        return {
            "run_dir": str(self.run_dir),
            "kind": self.kind,
            "as_of": str(self.as_of.date()),
            "data_end": str(self.data_end.date()),
            "model": self.model,
            "rebalance": self.rebalance,
            "notes": self.notes,
            "warnings": self.warnings,
            "targets": rows,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=2, default=str, allow_nan=False)


def _read_run(run_dir: Path) -> tuple[RunConfig, str]:
    """The run's configuration and kind; refuses folders without trained models."""
    from deepmomentum.run._folder import recorded_kind

    if not (run_dir / "config.toml").is_file():
        raise DataError(f"{run_dir} holds no run (no config.toml); give the folder `deepmomentum run` wrote")
    kind = recorded_kind(run_dir)
    if kind not in ("dmn", "managed_futures"):
        raise DataError(
            f"{run_dir} holds a {kind or 'unknown'} run; `signal` needs a `deepmomentum run` folder"
        )
    return load_config(run_dir / "config.toml"), str(kind)


def _trained_windows(run_dir: Path) -> tuple[int, dict[str, Any]]:
    """How many windows the run trained, and its latest window's dates."""
    path = run_dir / "models" / "windows.csv"
    if not path.is_file():
        raise DataError(f"{run_dir} has no models/windows.csv: the run did not finish; resume it first")
    table = pd.read_csv(path)
    last = table[table["window"] == table["window"].max()].iloc[0]
    keys = ("window", "train_start", "val_start", "test_start", "test_end")
    return int(table["window"].max()) + 1, {
        k: (str(last[k]) if k != "window" else int(last[k])) for k in keys
    }


def _as_of_day(index: pd.DatetimeIndex, as_of: str | pd.Timestamp | None, data_dir: Path) -> pd.Timestamp:
    """The last trading day <= ``as_of``; refuses data that ends before it."""
    last = pd.Timestamp(index[-1])
    if as_of is None:
        return last
    asked = pd.Timestamp(as_of)
    if asked > last:
        raise DataError(f"the data in {data_dir} ends {last.date()}, before --as-of {asked.date()}")
    day = index[index <= asked]
    if len(day) == 0:
        raise DataError(f"the data in {data_dir} starts {index[0].date()}, after --as-of {asked.date()}")
    return pd.Timestamp(day[-1])


def _staleness(cfg: RunConfig, model: dict[str, Any], day: pd.Timestamp) -> tuple[list[str], list[str]]:
    """Notes on which model predicts, and a warning when it is older than the retrain interval."""
    notes, warns = [], []
    test_start = pd.Timestamp(model["test_start"])
    if day > pd.Timestamp(model["test_end"]):
        notes.append(
            f"{day.date()} is after the run's last test day {model['test_end']}: the latest window's "
            f"models (window {model['window']}) predict it, nothing was retrained"
        )
    years = cfg.training.retrain_years
    if day >= test_start + pd.DateOffset(years=years):
        warns.append(
            f"stale models: the latest window ({model['window']}) was trained on data before "
            f"{test_start.date()}, more than the retrain interval ({years} years) before {day.date()}; "
            "rerun `deepmomentum run` on the new data to train the next window"
        )
    return notes, warns


def _mirror(run_dir: Path, tmp: Path) -> None:
    """Link the run's task files into ``tmp`` (real folders, linked files) and copy its studies."""
    src = run_dir / "models"
    for root, _, files in os.walk(src):
        dest = tmp / "models" / Path(root).relative_to(src)
        dest.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.symlink(Path(root, name).resolve(), dest / name)
    for db in run_dir.glob("optuna.db*"):
        shutil.copy2(db, tmp / db.name)


def _no_training(event: str, **info: Any) -> None:
    """Progress hook: a task trained here means the run lacks it (refuse rather than train)."""
    if event == "task" and not info.get("reused"):
        raise DataError(
            f"the run lacks the finished task of {info.get('variant')} window {info.get('window')}; "
            "resume the run first"
        )


def _signal_config(cfg: RunConfig, data_dir: Path) -> RunConfig:
    """The run's settings on ``data_dir``: serial, local, the test span open to the data's end."""
    cfg = cfg.model_copy(deep=True)
    cfg.data.data_dir = data_dir
    cfg.data.end = None
    cfg.training.last_test_year = None  # the latest window runs on to as-of
    cfg.training.jobs = 1
    cfg.training.executor = "local"
    return cfg


def next_targets(
    run_dir: str | Path,
    data_dir: str | Path,
    as_of: str | pd.Timestamp | None = None,
    holdings: str | Path | None = None,
    capital: float | None = None,
) -> NextTargets:
    """Target weights for the session after ``as_of``, from a finished run's models.

    Parameters
    ----------
    run_dir : path
        A folder ``deepmomentum run`` finished (DMN or managed futures).
    data_dir : path
        Data folder (``universe.csv`` and price files) holding the run's prices
        and, typically, newer days.
    as_of : date-like, optional
        Close at which the targets are set; default the data's last day.
    holdings : path, optional
        CSV with ``symbol`` and ``quantity`` or ``weight``: the trades to the targets are listed.
    capital : float, optional
        Account value: turns quantities into weights and trades into shares.

    Raises
    ------
    DataError
        The data ends before ``as_of``, ``as_of`` is before the run's first
        test day, the run is unfinished, or the holdings name an unknown symbol.
    """
    from deepmomentum.run._classical import load_market_logged

    run_dir, data_dir = Path(run_dir), Path(data_dir)
    cfg, kind = _read_run(run_dir)
    cfg = _signal_config(cfg, data_dir)
    full = load_market_logged(cfg.data)
    day = _as_of_day(pd.DatetimeIndex(full.prices.index), as_of, data_dir)
    data = full.truncate(day)
    n_windows, model = _trained_windows(run_dir)
    notes, warns = _staleness(cfg, model, day)
    for text in warns:
        warnings.warn(text, DataWarning, stacklevel=2)
    with tempfile.TemporaryDirectory(prefix="deepmomentum-signal-") as tmp:
        _mirror(run_dir, Path(tmp))
        frame, rebalance, more = _compute(cfg, data, Path(tmp), n_windows, day)
    notes += more
    if holdings is not None:
        closes = pd.Series(data.tradable_prices.loc[day])
        frame = apply_holdings(frame, Path(holdings), capital, closes)
    return NextTargets(
        run_dir, kind, day, pd.Timestamp(full.prices.index[-1]), frame, rebalance, model, notes, warns
    )


def _compute(
    cfg: RunConfig, data: Any, tmp: Path, n_windows: int, day: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]], list[str]]:
    """Signal -> portfolio -> rebalancing -> engine in ``tmp``; the rows of ``day``."""
    from deepmomentum.pipeline._compose import compose
    from deepmomentum.pipeline._run import _narrow, compute_book, compute_paper_daily
    from deepmomentum.run._folder import RunFolder
    from deepmomentum.training import make_executor

    comp = compose(cfg)
    ctx = Context(cfg, data, RunFolder(tmp), make_executor("local", 1), _no_training, cfg.training.storage)
    ctx.max_windows = n_windows
    sig = comp.signal.compute(ctx)
    span = _narrow(sig.span, cfg.data)
    if day < span[0]:
        raise DataError(f"--as-of {day.date()} is before the run's first test day {span[0].date()}")
    if comp.paper_daily:
        result = compute_paper_daily(ctx, sig, span)
        vol = _annual_vol(ctx.prices, cfg.features.vol_span)
        frame = _rows(result, list(sig.positions), day, vol, ctx.prices, per_asset_average=True)
        return frame, {}, [PAPER_NOTE, *ctx.notes]
    book = compute_book(ctx, comp, sig, span)
    prices = ctx.book_prices if comp.kind == "managed_futures" else ctx.prices
    vol = _annual_vol(prices, cfg.features.vol_span)
    average = comp.portfolio.convention == "paper"
    frame = _rows(book.result, list(book.result.weights), day, vol, prices, per_asset_average=average)
    rebalance = {name: _rebalance_day(s, day) for name, s in book.schedules.items()}
    notes = [PAPER_NOTE] if average else ["weights are decimals of NAV (the constrained book's convention)"]
    notes += ctx.notes
    for name, info in rebalance.items():
        if not info["rebalance_today"]:
            notes.append(
                f"{name}: {day.date()} is not a rebalance day; the weights held are the targets of the "
                f"last rebalance ({info['last_rebalance']}) drifted to {day.date()}"
            )
    return frame, rebalance, notes


def _annual_vol(prices: pd.DataFrame, span: int) -> pd.DataFrame:
    from deepmomentum.features import daily_returns, ex_ante_volatility

    return ex_ante_volatility(daily_returns(prices), span=span) * np.sqrt(PERIODS_PER_YEAR)


def _rows(
    result: Any,
    strategies: list[str],
    day: pd.Timestamp,
    vol: pd.DataFrame,
    prices: pd.DataFrame,
    per_asset_average: bool,
) -> pd.DataFrame:
    """One row per (strategy, symbol) held or signalled on ``day``."""
    parts = []
    for name in strategies:
        w = result.weights[name].loc[day]
        part = pd.DataFrame(
            {
                "signal": result.signals[name].loc[day].reindex(w.index),
                "vol": vol.loc[day].reindex(w.index),
                "weight": w,
                "close": prices.loc[day].reindex(w.index),
            }
        )
        part = part[part["weight"].notna()]
        n_held = max(len(part), 1)
        part.insert(3, "target", part["weight"] / n_held if per_asset_average else part["weight"])
        part.index.name = "symbol"
        parts.append(part.reset_index().assign(strategy=name))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    cols = ["strategy", "symbol", "signal", "vol", "weight", "target", "close"]
    return frame.reindex(columns=cols)


def _rebalance_day(schedule: pd.DataFrame, day: pd.Timestamp) -> dict[str, Any]:
    """Whether ``day`` is a rebalance day of ``schedule``, its triggers, the last rebalance."""
    dates = pd.DatetimeIndex(schedule["date"])
    past = schedule[dates <= day]
    today = bool(len(past)) and pd.Timestamp(past["date"].iloc[-1]) == day
    return {
        "rebalance_today": today,
        "triggers": str(past["triggers"].iloc[-1]) if today else "",
        "last_rebalance": str(pd.Timestamp(past["date"].iloc[-1]).date()) if len(past) else None,
    }
