"""Data-quality checks: gaps, stale runs, spikes, non-positive values, calendar mismatches.

Each issue type has an action: ``drop`` (remove the bad prices), ``ffill`` (carry
the last good price, up to ``limit`` days), ``keep`` (keep the prices, report
them), ``error`` (refuse the data) or ``flag`` (report only). Spikes and
non-positive values are *errors*: a flagged one is unresolved, and
:func:`require_clean` refuses data that has any, with a message saying how to fix
it. The others are warnings unless their action is ``error``.

Defaults: an isolated spike that the next day undoes is a vendor's bad print and
is dropped (``spike = drop``); everything else is flagged. The spike test looks
at the next day's return, so it uses hindsight by nature: it is a correction of
vendor errors applied before any feature or signal, never a trading input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from deepmomentum.data.acquisition._errors import QualityError
from deepmomentum.exceptions import DataError

__all__ = [
    "ACTIONS",
    "ISSUE_TYPES",
    "IssueRule",
    "QualityPolicy",
    "QualityReport",
    "check_data_dir",
    "check_quality",
    "require_clean",
]

IssueType = Literal["gap", "stale", "spike", "non_positive", "calendar"]
Action = Literal["flag", "drop", "ffill", "keep", "error"]
ACTIONS: tuple[str, ...] = ("drop", "keep", "error", "ffill", "flag")
ISSUE_TYPES: tuple[str, ...] = ("non_positive", "spike", "stale", "gap", "calendar")
ERROR_TYPES = frozenset({"non_positive", "spike"})
#: Issue types whose default action is not ``flag``.
DEFAULT_ACTIONS: dict[str, Action] = {"spike": "drop"}
ISSUE_COLUMNS = ["symbol", "issue", "severity", "start", "end", "n_days", "detail", "action", "resolved"]


class IssueRule(BaseModel):
    """What to do with one type of issue.

    Parameters
    ----------
    action : {"flag", "drop", "ffill", "keep", "error"}, default "flag"
        ``flag``: report only (for the error types, spikes and non-positive
        values, that leaves them unresolved, so the data is refused, as with
        ``error``). ``drop``: remove the affected prices (for a gap: the history
        before it). ``ffill``: carry the last good price over the affected days,
        at most ``limit`` of them (longer spans stay flagged). ``keep``: keep the
        prices and report them; never refuse (not for non-positive values).
        ``error``: report and refuse the data, whatever the issue type.
    limit : int, default 5
        Most days carried by ``ffill``.
    """

    model_config = ConfigDict(extra="forbid")

    action: Action = "flag"
    limit: int = Field(5, ge=0)


class QualityPolicy(BaseModel):
    """Thresholds and the rule for each issue type (TOML: ``[acquisition.quality]``).

    Parameters
    ----------
    gap_days : int, default 5
        A gap is more than this many business days without a price.
    stale_days : int, default 5
        A stale run is a price unchanged for at least this many days in a row.
    spike_sigma : float, default 10
        A spike is a log return beyond this many robust standard deviations
        (1.4826 x the rolling median absolute return)...
    spike_min_move : float, default 0.10
        ...and beyond this size (decimal log return; real crisis days in bond
        ETFs can reach 10 sigma but rarely 10%)...
    spike_revert : float, default 0.5
        ...that the next day's return undoes to within this fraction.
    spike_window : int, default 63
        Days in the centred window of the robust standard deviation.
    calendar_quorum : float, default 0.5
        A day is on the common calendar when at least this fraction of the assets
        trading at the time have a price.
    calendar_min_days : int, default 5
        Report a calendar mismatch from this many differing days.
    gap, stale, spike, non_positive, calendar : IssueRule
        The rule per issue type (default: drop spikes, flag the others). A
        table without ``action`` keeps the type's default action.
    """

    model_config = ConfigDict(extra="forbid")

    gap_days: int = Field(5, ge=1)
    stale_days: int = Field(5, ge=2)
    spike_sigma: float = Field(10.0, gt=0)
    spike_min_move: float = Field(0.10, ge=0)
    spike_revert: float = Field(0.5, gt=0, le=1)
    spike_window: int = Field(63, ge=5)
    calendar_quorum: float = Field(0.5, gt=0, le=1)
    calendar_min_days: int = Field(5, ge=1)
    gap: IssueRule = Field(default_factory=IssueRule)
    stale: IssueRule = Field(default_factory=IssueRule)
    spike: IssueRule = Field(default_factory=lambda: IssueRule(action="drop"))
    non_positive: IssueRule = Field(default_factory=IssueRule)
    calendar: IssueRule = Field(default_factory=IssueRule)

    @model_validator(mode="before")
    @classmethod
    def _default_actions(cls, data: Any) -> Any:
        """``spike = { limit = 3 }`` changes the limit, not the default action."""
        if isinstance(data, dict):
            data = dict(data)
            for issue, action in DEFAULT_ACTIONS.items():
                rule = data.get(issue)
                if isinstance(rule, dict) and "action" not in rule:
                    data[issue] = {**rule, "action": action}
        return data

    @model_validator(mode="after")
    def _no_kept_non_positive(self) -> QualityPolicy:
        if self.non_positive.action == "keep":
            raise ValueError(
                "non_positive=keep is not allowed: a price <= 0 makes returns impossible; "
                "use drop, ffill or error"
            )
        return self

    def rule(self, issue: str) -> IssueRule:
        """The rule of issue type ``issue``."""
        rule: IssueRule = getattr(self, issue)
        return rule

    def with_actions(self, actions: Mapping[str, str]) -> QualityPolicy:
        """A copy with the given ``{issue: action}`` rules (e.g. from ``--policy spike=drop``)."""
        update: dict[str, Any] = {}
        for issue, action in actions.items():
            if issue not in ISSUE_TYPES:
                raise ValueError(f"unknown issue type {issue!r}; use one of {', '.join(ISSUE_TYPES)}")
            if action not in ACTIONS:
                raise ValueError(f"{issue}: unknown action {action!r}; use one of {', '.join(ACTIONS)}")
            update[issue] = {"action": action, "limit": self.rule(issue).limit}
        # validate the whole policy again: some combinations are refused (non_positive=keep)
        return QualityPolicy.model_validate({**self.model_dump(), **update})


@dataclass
class QualityReport:
    """Result of :func:`check_quality`.

    Parameters
    ----------
    issues : pd.DataFrame
        One row per issue, columns ``symbol, issue, severity, start, end, n_days,
        detail, action, resolved``.
    cleaned : dict of str to pd.Series
        The series after the policy's drops and fills.
    spike_moves : dict of str to list of (str, float)
        Per symbol, each spike's ISO date and its simple return (decimal).
    """

    issues: pd.DataFrame
    cleaned: dict[str, pd.Series] = field(default_factory=dict)
    spike_moves: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    @property
    def unresolved_errors(self) -> pd.DataFrame:
        """Errors (spikes, non-positive values) that the policy left in place."""
        mask = (self.issues["severity"] == "error") & ~self.issues["resolved"].astype(bool)
        return self.issues[mask]

    @property
    def ok(self) -> bool:
        """No unresolved errors."""
        return self.unresolved_errors.empty

    def spike_notices(self) -> list[str]:
        """One message per symbol whose spikes the policy dropped, filled or kept (dates and sizes).

        Refused spikes (``flag``, ``error``) have none: :meth:`raise_for_errors` names them.
        """
        notices = []
        spikes = self.issues[self.issues["issue"] == "spike"]
        for symbol, rows in spikes.groupby("symbol", sort=False):
            action = str(rows["action"].iloc[0])
            moves = self.spike_moves.get(str(symbol), [])
            if action not in _SPIKE_VERBS or not moves:
                continue
            n = len(moves)
            what = f"{n} isolated spike{'s' if n > 1 else ''} that revert{'' if n > 1 else 's'} next day"
            listed = ", ".join(f"{day} {move:+.1%}" for day, move in moves)
            verb, hint = _SPIKE_VERBS[action]
            prints = "bad prints" if n > 1 else "a bad print"
            notices.append(f"{symbol}: {verb} {what} ({prints}): {listed}; {hint}")
        return notices

    def to_csv(self, path: str | Path) -> Path:
        """Write the issues table to ``path`` (CSV); return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.issues.to_csv(path, index=False)
        return path

    def raise_for_errors(self, where: str = "the data") -> None:
        """Raise :class:`QualityError` when errors are unresolved, saying how to fix them."""
        bad = self.unresolved_errors
        if bad.empty:
            return
        shown = "; ".join(f"{r.symbol} {r.issue} {r.start}: {r.detail}" for r in bad.head(5).itertuples())
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        kinds = sorted(set(bad["issue"]))
        keep = " (or spike=keep to trade on them)" if kinds[0] == "spike" else ""
        raise QualityError(
            f"{where}: {len(bad)} unresolved data error(s): {shown}{more}. Fix or refetch the prices, or "
            f"let a policy resolve them: --quality {kinds[0]}=drop{keep} for backtest/run "
            f'(config: [data] quality = {{ {kinds[0]} = "drop" }}), --policy {kinds[0]}=drop for data '
            "check; list them all with: deepmomentum data check"
        )


_SPIKE_VERBS = {
    "drop": ("dropped", "keep them with --quality spike=keep"),
    "ffill": ("carried the previous price over", "keep them with --quality spike=keep"),
    "keep": ("kept", "drop them with --quality spike=drop"),
}


def _day(ts: Any) -> str:
    return pd.Timestamp(ts).date().isoformat()


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) pairs of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


class _Checker:
    def __init__(self, policy: QualityPolicy) -> None:
        self.policy = policy
        self.rows: list[dict[str, Any]] = []
        self.spike_moves: dict[str, list[tuple[str, float]]] = {}

    def add(
        self, symbol: str, issue: str, start: Any, end: Any, n_days: int, detail: str, resolved: bool
    ) -> None:
        rule = self.policy.rule(issue)
        severity = "error" if issue in ERROR_TYPES or rule.action == "error" else "warning"
        if rule.action == "keep":
            resolved = True  # accepted as is
        self.rows.append(
            {
                "symbol": symbol,
                "issue": issue,
                "severity": severity,
                "start": _day(start),
                "end": _day(end),
                "n_days": int(n_days),
                "detail": detail,
                "action": rule.action,
                "resolved": bool(resolved) and rule.action not in ("flag", "error"),
            }
        )

    # each step returns the cleaned series

    def non_positive(self, symbol: str, s: pd.Series) -> pd.Series:
        rule = self.policy.non_positive
        bad = (s <= 0).to_numpy()
        for a, b in _runs(bad):
            n = b - a
            fixable = rule.action == "drop" or (rule.action == "ffill" and n <= rule.limit and a > 0)
            self.add(
                symbol,
                "non_positive",
                s.index[a],
                s.index[b - 1],
                n,
                f"{n} value(s) <= 0 (first {s.iloc[a]:g})",
                fixable,
            )
        if bad.any() and rule.action == "drop":
            s = s[~bad]
        elif bad.any() and rule.action == "ffill":
            s = s.where(~bad).ffill(limit=rule.limit).dropna()
        return s

    def spike(self, symbol: str, s: pd.Series) -> pd.Series:
        p = self.policy
        rule = p.spike
        if len(s) < 3 or (s <= 0).any():
            return s
        r = np.log(s).diff()
        sigma = 1.4826 * r.abs().rolling(p.spike_window, center=True, min_periods=10).median()
        sigma = sigma.fillna(1.4826 * float(r.abs().median()))
        floor = max(float(1.4826 * r.abs().median()) * 0.1, 1e-6)
        sigma = sigma.clip(lower=floor)
        nxt = r.shift(-1)
        is_spike = (
            (r.abs() > p.spike_sigma * sigma)
            & (r.abs() > p.spike_min_move)
            & (np.sign(r) == -np.sign(nxt))
            & ((r + nxt).abs() < p.spike_revert * r.abs())
        ).fillna(False)
        where = np.flatnonzero(is_spike.to_numpy())
        for i in where.tolist():
            self.add(
                symbol,
                "spike",
                s.index[i],
                s.index[i],
                1,
                f"{np.expm1(r.iloc[i]):+.1%} then {np.expm1(nxt.iloc[i]):+.1%} "
                f"({abs(r.iloc[i]) / sigma.iloc[i]:.0f} sigma)",
                rule.action != "flag",
            )
            self.spike_moves.setdefault(symbol, []).append((_day(s.index[i]), float(np.expm1(r.iloc[i]))))
        if where.size and rule.action == "drop":
            s = s.drop(s.index[where])
        elif where.size and rule.action == "ffill":
            s = s.where(~is_spike).ffill()
        return s

    def stale(self, symbol: str, s: pd.Series) -> pd.Series:
        rule = self.policy.stale
        same = (s.diff() == 0).to_numpy()
        drop = np.zeros(len(s), dtype=bool)
        for a, b in _runs(same):
            n = b - a  # days on which the price did not change
            if n < self.policy.stale_days:
                continue
            self.add(
                symbol,
                "stale",
                s.index[a],
                s.index[b - 1],
                n,
                f"price {s.iloc[a]:g} unchanged for {n} days",
                rule.action != "flag",
            )
            drop[a:b] = True
        if drop.any() and rule.action == "drop":
            s = s[~drop]
        return s

    def gap(self, symbol: str, s: pd.Series) -> pd.Series:
        rule = self.policy.gap
        if len(s) < 2:
            return s
        days = pd.DatetimeIndex(s.index).values.astype("datetime64[D]")
        missing = np.busday_count(days[:-1] + 1, days[1:])
        cut: pd.Timestamp | None = None
        fills: list[pd.DatetimeIndex] = []
        for i in np.flatnonzero(missing > self.policy.gap_days):
            first = pd.Timestamp(days[i]) + pd.offsets.BDay(1)
            last = pd.Timestamp(days[i + 1]) - pd.offsets.BDay(1)
            n = int(missing[i])
            fixable = rule.action == "drop" or (rule.action == "ffill" and n <= rule.limit)
            self.add(symbol, "gap", first, last, n, f"no prices for {n} business days", fixable)
            if rule.action == "drop":
                cut = pd.Timestamp(days[i + 1])
            elif rule.action == "ffill" and n <= rule.limit:
                fills.append(pd.bdate_range(first, last))
        if cut is not None:
            s = s[s.index >= cut]
        for extra in fills:
            s = s.reindex(s.index.union(extra)).ffill(limit=rule.limit)
        return s

    def calendar(self, series: dict[str, pd.Series]) -> dict[str, pd.Series]:
        p = self.policy
        rule = p.calendar
        if len(series) < 2:
            return series
        frame = pd.DataFrame({k: v[~v.index.duplicated()] for k, v in series.items()}).sort_index()
        present = frame.notna()
        first = {k: v.index.min() for k, v in series.items() if len(v)}
        last = {k: v.index.max() for k, v in series.items() if len(v)}
        active = pd.DataFrame(
            {k: (frame.index >= first[k]) & (frame.index <= last[k]) for k in first}, index=frame.index
        )
        share = (present & active).sum(axis=1) / active.sum(axis=1).clip(lower=1)
        common = share >= p.calendar_quorum
        out = dict(series)
        for k in first:
            missing = common & active[k] & ~present[k]
            extra = ~common & present[k]
            n_missing, n_extra = int(missing.sum()), int(extra.sum())
            if n_missing + n_extra < p.calendar_min_days:
                continue
            dates = frame.index[missing | extra]
            parts = []
            if n_missing:
                parts.append(
                    f"no price on {n_missing} day(s) the others trade (first {_day(frame.index[missing][0])})"
                )
            if n_extra:
                parts.append(
                    f"prices on {n_extra} day(s) the others do not (first {_day(frame.index[extra][0])})"
                )
            self.add(
                k,
                "calendar",
                dates[0],
                dates[-1],
                n_missing + n_extra,
                "; ".join(parts),
                rule.action != "flag",
            )
            if rule.action == "drop" and n_extra:
                out[k] = out[k].drop(frame.index[extra], errors="ignore")
            elif rule.action == "ffill" and n_missing:
                s = out[k]
                out[k] = s.reindex(s.index.union(frame.index[missing])).ffill(limit=rule.limit).dropna()
        return out


def check_quality(
    prices: Mapping[str, pd.Series] | pd.DataFrame,
    policy: QualityPolicy | None = None,
    allow_non_positive: Iterable[str] = (),
) -> QualityReport:
    """Check price series for gaps, stale runs, spikes, non-positive values and calendar mismatches.

    Parameters
    ----------
    prices : mapping of str to pd.Series, or pd.DataFrame of shape (n_days, n_assets)
        Prices per symbol indexed by date (NaN = no price that day).
    policy : QualityPolicy, optional
        Thresholds and per-issue actions; default ``QualityPolicy()`` (drop
        isolated spikes, flag the rest).
    allow_non_positive : iterable of str
        Symbols whose values may be <= 0 (rates, yields): not checked for
        non-positive values or spikes.

    Returns
    -------
    QualityReport
        The issues and the cleaned series.
    """
    policy = policy or QualityPolicy()
    if isinstance(prices, pd.DataFrame):
        series = {str(c): prices[c] for c in prices.columns}
    else:
        series = dict(prices)
    skip = set(allow_non_positive)
    checker = _Checker(policy)
    cleaned: dict[str, pd.Series] = {}
    for symbol, raw in series.items():
        s = pd.Series(raw, dtype="float64").dropna().sort_index()
        s.index = pd.DatetimeIndex(s.index)
        if symbol not in skip:
            s = checker.non_positive(symbol, s)
            s = checker.spike(symbol, s)
        s = checker.stale(symbol, s)
        s = checker.gap(symbol, s)
        cleaned[symbol] = s.rename(symbol)
    cleaned = checker.calendar(cleaned)
    issues = pd.DataFrame(checker.rows, columns=ISSUE_COLUMNS)
    issues["resolved"] = issues["resolved"].astype(bool)
    return QualityReport(issues=issues, cleaned=cleaned, spike_moves=checker.spike_moves)


def require_clean(
    prices: Mapping[str, pd.Series] | pd.DataFrame,
    policy: QualityPolicy | None = None,
    allow_non_positive: Iterable[str] = (),
    where: str = "the data",
) -> pd.DataFrame:
    """Check prices and refuse them if errors are unresolved; the backtest's gate.

    Parameters
    ----------
    prices, policy, allow_non_positive
        As :func:`check_quality`.
    where : str
        Named in the message (e.g. the data folder).

    Returns
    -------
    pd.DataFrame of shape (n_days, n_assets)
        The cleaned prices on the union of their dates, NaN where a symbol has none.

    Raises
    ------
    QualityError
        With the first unresolved errors and how to fix them.
    """
    report = check_quality(prices, policy, allow_non_positive)
    report.raise_for_errors(where)
    columns = list(prices.columns) if isinstance(prices, pd.DataFrame) else list(prices)
    frame = pd.DataFrame(report.cleaned).sort_index()
    frame.index.name = "date"
    return frame[[str(c) for c in columns]]


def check_data_dir(data_dir: str | Path, policy: QualityPolicy | None = None) -> QualityReport:
    """Run :func:`check_quality` on a data folder (``universe.csv`` + ``SYMBOL.csv``).

    Rates (``role=rate``) are not checked for non-positive values or spikes.
    """
    from deepmomentum.data import read_price_file, read_universe  # lazy: avoids an import cycle

    folder = Path(data_dir)
    universe = read_universe(folder / "universe.csv")
    series: dict[str, pd.Series] = {}
    rates: list[str] = []
    for inst in universe:
        path = next(
            (
                folder / f"{inst.symbol}{ext}"
                for ext in (".csv", ".parquet")
                if (folder / f"{inst.symbol}{ext}").is_file()
            ),
            None,
        )
        if path is None:
            raise DataError(f"{inst.symbol} is listed in universe.csv but has no price file", folder)
        series[inst.symbol] = read_price_file(path, require_positive=False)
        if inst.role.value == "rate":
            rates.append(inst.symbol)
    return check_quality(series, policy, allow_non_positive=rates)
