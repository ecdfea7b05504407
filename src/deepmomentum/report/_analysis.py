"""The numbers behind each section of the report, computed from a :class:`RunData`.

Everything here is plain pandas/numpy (no plotting), so it can be tested on
its own. Long daily series are thinned for display: weekly points beyond
:data:`MAX_DAILY_POINTS` days (the last value of the week for wealth and
rolling Sharpe, the lowest for drawdowns so that troughs survive), monthly
averages for exposures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from deepmomentum import metrics
from deepmomentum._types import PERIODS_PER_YEAR
from deepmomentum.metrics import drawdown_series, performance_summary, rolling_sharpe
from deepmomentum.report._load import RunData

__all__ = [
    "MAX_DAILY_POINTS",
    "RISK_COLUMNS",
    "Analysis",
    "Contribution",
    "parse_variant",
]

#: Columns of :meth:`Analysis.risk_table`.
RISK_COLUMNS = ("var95", "cvar95", "tail_ratio", "kurtosis", "alpha", "beta", "info_ratio")

#: Longer daily series are shown as weekly points.
MAX_DAILY_POINTS = 1500

UNKNOWN_CLASS = "unknown"

_VARIANT = re.compile(r"^(?P<strategy>.+)@(?P<cost>[0-9]*\.?[0-9]+)bp$")


def parse_variant(name: str) -> tuple[str, float] | None:
    """Split ``tsmom@2.5bp`` into ``("tsmom", 2.5)``; None for other names (``x@universe``)."""
    match = _VARIANT.match(name)
    if match is None:
        return None
    return match["strategy"], float(match["cost"])


def _thin(frame: pd.DataFrame, how: Literal["last", "min"]) -> pd.DataFrame:
    """Weekly points (Friday) when the series is longer than :data:`MAX_DAILY_POINTS`."""
    if len(frame) <= MAX_DAILY_POINTS:
        return frame
    weekly = frame.resample("W-FRI")
    out = weekly.last() if how == "last" else weekly.min()
    return out.dropna(how="all")


def _from_first(series: pd.Series) -> pd.Series:
    first = series.first_valid_index()
    return series.iloc[0:0] if first is None else series.loc[first:]


@dataclass(frozen=True)
class Contribution:
    """Per-asset contribution of one variant, or the fallback exposure share.

    Attributes
    ----------
    kind : {"return", "exposure_share"}
        ``"return"``: annualised contribution to the portfolio return,
        ``sum_t (w_i,t r_i,t+1 - c_i |w_i,t - w_i,t-1|) / N_t * 252 / n_days``,
        decimal per year (the assets add up to the arithmetic mean return x 252).
        ``"exposure_share"``: share of the average gross exposure
        ``mean_t |w_i,t| / N_t``, decimal, summing to 1 (no asset returns in
        the run folder).
    table : pd.DataFrame
        Index: symbols, sorted by ``value`` descending; columns ``value``,
        ``asset_class`` and, for ``"return"``, ``gross`` and ``cost``.
    costs_included : bool
        Whether a cost level was known for the variant (``@<cost>bp`` or
        ``@universe``).
    """

    kind: Literal["return", "exposure_share"]
    table: pd.DataFrame
    costs_included: bool = True


class Analysis:
    """Lazily computed, cached views of a run for the report.

    Parameters
    ----------
    run : RunData
    """

    def __init__(self, run: RunData) -> None:
        self.run = run
        self._weights: dict[str, pd.DataFrame] = {}
        self._summary: pd.DataFrame | None = None
        self._all_daily: pd.DataFrame | None = None

    # ----------------------------------------------------------------- inputs
    @property
    def classes(self) -> pd.Series:
        """Asset class per symbol (``unknown`` for symbols missing from universe.csv)."""
        return self.run.universe.set_index("symbol")["asset_class"].astype(str)

    def weights(self, strategy: str) -> pd.DataFrame:
        """Weights of a ``strategy`` of positions.parquet, shape (n_days, n_assets); NaN = not held."""
        if strategy not in self._weights:
            pos = self.run.positions
            part = pos.loc[pos["strategy"] == strategy, ["date", "symbol", "weight"]]
            wide = part.pivot_table(index="date", columns="symbol", values="weight", aggfunc="last")
            wide.columns.name = None
            self._weights[strategy] = wide.sort_index()
        return self._weights[strategy]

    def _class_of(self, symbols: pd.Index) -> np.ndarray:
        return self.classes.reindex(symbols).fillna(UNKNOWN_CLASS).to_numpy(dtype=str)

    # ---------------------------------------------------------------- summary
    def turnover(self, variant: str) -> float:
        """Annualised turnover of a variant: metrics.json, else recomputed from positions."""
        value = self.run.metrics.get(variant, {}).get("turnover")
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
        strategy = self.run.strategy_of(variant)
        if strategy is None:
            return math.nan
        w = self.weights(strategy)
        if w.empty:
            return math.nan
        held = w.notna().to_numpy()
        w0 = np.nan_to_num(w.to_numpy(dtype="float64"))
        prev = np.vstack([np.zeros((1, w0.shape[1])), w0[:-1]])
        n = held.sum(axis=1)
        traded = np.abs(w0 - prev).sum(axis=1)
        daily = traded[n > 0] / n[n > 0]
        return float(np.mean(daily) * PERIODS_PER_YEAR) if daily.size else math.nan

    def summary(self) -> pd.DataFrame:
        """Headline measures of every variant, then every benchmark.

        Computed with :func:`deepmomentum.metrics.performance_summary` on the
        returns of the folder; ``corr_ref`` is the correlation to SPY when
        benchmarks.csv has it; ``turnover`` is NaN for benchmarks.

        Returns
        -------
        pd.DataFrame
            Index: variants then benchmarks; columns: ``METRIC_NAMES``.
        """
        if self._summary is None:
            run = self.run
            ref = run.reference
            turnover = {v: self.turnover(v) for v in run.variants}
            parts = [performance_summary(run.returns, reference=ref, turnover=turnover)]
            bench = self.benchmarks()
            if bench is not None:
                parts.append(performance_summary(bench, reference=ref))
            self._summary = pd.concat(parts)
        return self._summary

    def summary_ex_post(self) -> pd.DataFrame | None:
        """The same measures on ``returns_ex_post.csv`` (ex-post rescaled, not implementable)."""
        if self.run.returns_ex_post is None:
            return None
        turnover = {v: self.turnover(v) for v in self.run.returns_ex_post.columns}
        return performance_summary(self.run.returns_ex_post, reference=self.run.reference, turnover=turnover)

    def benchmarks(self) -> pd.DataFrame | None:
        """Benchmark returns within the span of returns.csv."""
        bench = self.run.benchmarks
        if bench is None or self.run.returns.empty:
            return bench
        idx = self.run.returns.index
        return bench.loc[idx[0] : idx[-1]]

    # ----------------------------------------------------------------- curves
    def series(self, name: str) -> pd.Series:
        """Daily returns of a variant or benchmark over the span of returns.csv, decimal."""
        return self._daily(include_benchmarks=True)[name]

    def _daily(self, include_benchmarks: bool) -> pd.DataFrame:
        if include_benchmarks and self._all_daily is not None:
            return self._all_daily
        frame = self.run.returns
        bench = self.benchmarks() if include_benchmarks else None
        if bench is not None and bench.shape[1]:
            frame = pd.concat([frame, bench], axis=1).sort_index()
        if include_benchmarks:
            self._all_daily = frame
        return frame

    def wealth(self) -> pd.DataFrame:
        """Growth of 1 per variant and benchmark, NaN before a series' first return (thinned)."""
        out = {}
        for name, r in self._daily(include_benchmarks=True).items():
            r = _from_first(r)
            out[str(name)] = (1.0 + r.fillna(0.0)).cumprod()
        return _thin(pd.DataFrame(out), "last")

    def vol_matched_wealth(self, target: float = 0.10) -> pd.DataFrame:
        """Growth of 1 with every series rescaled ex post to ``target`` annual vol (thinned).

        Each series' daily returns from its first value on are multiplied by
        ``target / realised vol`` over that span: a comparison of shapes, not
        an implementable strategy (the scale uses the whole sample).
        """
        out = {}
        for name, r in self._daily(include_benchmarks=True).items():
            r = _from_first(r)
            vol = metrics.annual_volatility(r)
            scale = target / vol if vol > 0 else np.nan
            out[str(name)] = (1.0 + (r * scale).fillna(0.0)).cumprod()
        return _thin(pd.DataFrame(out), "last")

    def rolling_volatility(self, window: int = metrics.HALF_YEAR) -> pd.DataFrame:
        """Trailing 126-day annualised vol per variant and benchmark, decimal (thinned)."""
        out = {
            str(n): metrics.rolling_volatility(_from_first(r), window) for n, r in self._daily(True).items()
        }
        return _thin(pd.DataFrame(out), "last")

    def rolling_beta(self, window: int = metrics.HALF_YEAR) -> pd.DataFrame | None:
        """Trailing 126-day beta of every variant to the reference; None without one (thinned)."""
        ref = self.run.reference
        if ref is None:
            return None
        out = {
            v: metrics.rolling_beta(_from_first(self.run.returns[v]), ref, window) for v in self.run.variants
        }
        return _thin(pd.DataFrame(out), "last")

    def risk_table(self) -> pd.DataFrame:
        """Tail and reference-relative measures of every variant, then every benchmark.

        Returns
        -------
        pd.DataFrame
            Index: variants then benchmarks; columns :data:`RISK_COLUMNS`:
            daily 95% VaR and CVaR (decimal, negative), tail ratio, excess
            kurtosis, alpha (decimal a year), beta and information ratio
            (annualised) to the reference (NaN without one, and for the reference itself).
        """
        ref = self.run.reference
        rows = {}
        for name, r in self._daily(include_benchmarks=True).items():
            rel = ref is not None and name != self.run.reference_name
            alpha, beta = metrics.alpha_beta(r, ref) if rel and ref is not None else (np.nan, np.nan)
            rows[str(name)] = {
                "var95": metrics.value_at_risk(r),
                "cvar95": metrics.conditional_value_at_risk(r),
                "tail_ratio": metrics.tail_ratio(r),
                "kurtosis": metrics.kurtosis(r),
                "alpha": alpha,
                "beta": beta,
                "info_ratio": metrics.information_ratio(r, ref) if rel and ref is not None else np.nan,
            }
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(RISK_COLUMNS))

    def top_drawdowns(self, name: str, n: int = 5) -> pd.DataFrame:
        """The ``n`` worst drawdowns of a variant or benchmark (see ``metrics.top_drawdowns``)."""
        return metrics.top_drawdowns(self.series(name), n)

    def monthly_returns(self, name: str) -> pd.Series:
        """Compounded calendar-month returns of a variant or benchmark, decimal."""
        r = _from_first(self.series(name))
        out: pd.Series = np.expm1(np.log1p(r).resample("ME").sum(min_count=1)).dropna()
        return out

    def drawdowns(self) -> pd.DataFrame:
        """Drawdown of the compounded curve per variant and benchmark, decimal <= 0 (thinned)."""
        out = {str(n): drawdown_series(_from_first(r)) for n, r in self._daily(True).items()}
        return _thin(pd.DataFrame(out), "min")

    def rolling_sharpe(self, window: int = PERIODS_PER_YEAR) -> pd.DataFrame:
        """Trailing one-year Sharpe ratio per variant and benchmark (thinned)."""
        out = {str(n): rolling_sharpe(_from_first(r), window) for n, r in self._daily(True).items()}
        return _thin(pd.DataFrame(out), "last")

    # --------------------------------------------------------------- calendar
    def calendar_returns(self, variant: str) -> tuple[pd.DataFrame, pd.Series]:
        """Compounded monthly and yearly returns of a variant, decimal.

        Returns
        -------
        monthly : pd.DataFrame
            Index: years; columns: months 1..12 (NaN without any return).
        yearly : pd.Series
            Index: years.
        """
        r = _from_first(self.run.returns[variant])
        logs = np.log1p(r)
        monthly = np.expm1(logs.resample("ME").sum(min_count=1))
        yearly = np.expm1(logs.resample("YE").sum(min_count=1))
        index = pd.DatetimeIndex(monthly.index)
        table = pd.DataFrame({"year": index.year, "month": index.month, "value": monthly.to_numpy()})
        grid = table.pivot(index="year", columns="month", values="value").reindex(columns=range(1, 13))
        yearly.index = pd.DatetimeIndex(yearly.index).year
        return grid, yearly

    # --------------------------------------------------------------- exposure
    def exposure(self, strategy: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Monthly average exposure by asset class: gross ``sum |w| / N`` and net ``sum w / N``.

        Parameters
        ----------
        strategy : str
            A ``strategy`` value of positions.parquet (see :meth:`RunData.strategy_of`).

        Returns
        -------
        gross, net : pd.DataFrame
            Index: month ends; columns: asset classes; decimal of capital.
        """
        w = self.weights(strategy)
        if w.empty:
            empty = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
            return empty, empty
        n = w.notna().sum(axis=1).astype("float64")
        n = n.where(n > 0)
        classes = self._class_of(w.columns)
        values = w.to_numpy(dtype="float64")
        gross: dict[str, np.ndarray] = {}
        net: dict[str, np.ndarray] = {}
        for cls in sorted(set(classes)):
            block = values[:, classes == cls]
            gross[cls] = np.nansum(np.abs(block), axis=1)
            net[cls] = np.nansum(block, axis=1)
        g = pd.DataFrame(gross, index=w.index).div(n, axis=0)
        k = pd.DataFrame(net, index=w.index).div(n, axis=0)
        return g.resample("ME").mean().dropna(how="all"), k.resample("ME").mean().dropna(how="all")

    # ----------------------------------------------------------- contribution
    def _cost_per_asset(self, variant: str, symbols: pd.Index) -> np.ndarray | None:
        """Cost per unit of traded notional per asset (decimal), None when unknown."""
        parsed = parse_variant(variant)
        if parsed is not None:
            return np.full(len(symbols), parsed[1] * 1e-4)
        if variant.endswith("@universe") and "cost_bps" in self.run.universe.columns:
            bps = self.run.universe.set_index("symbol")["cost_bps"]
            return pd.to_numeric(bps, errors="coerce").reindex(symbols).fillna(0.0).to_numpy() * 1e-4
        return None

    def contribution(self, variant: str) -> Contribution | None:
        """Per-asset contribution of a variant (see :class:`Contribution`).

        Uses ``asset_returns.parquet`` when the folder has it; otherwise the
        share of gross exposure per asset. None when the variant has no positions.

        The weight ``w_t`` decided at day t earns ``r_{t+1}``; the cost of moving
        to ``w_t`` is charged in the return dated t+1, as in the backtest.
        Positions before the span are unknown, so the first trade is counted
        from zero.
        """
        strategy = self.run.strategy_of(variant)
        if strategy is None:
            return None
        w = self.weights(strategy)
        if w.empty:
            return None
        ar = self.run.asset_returns
        if ar is None:
            n = w.notna().sum(axis=1).astype("float64")
            share = w.abs().div(n.where(n > 0), axis=0).mean()
            total = float(share.sum())
            value = share / total if total > 0 else share
            table = pd.DataFrame({"value": value, "asset_class": self._class_of(w.columns)}, index=w.columns)
            return Contribution("exposure_share", table.sort_values("value", ascending=False))

        returns_index = _from_first(self.run.returns[variant]).index
        start = w.index[0]
        end = returns_index[-1] if len(returns_index) else w.index[-1]
        dates = ar.index[(ar.index >= start) & (ar.index <= end)].union(w.index[w.index <= end])
        symbols = w.columns
        wa = w.reindex(index=dates)
        held = wa.notna().to_numpy()
        w0 = np.nan_to_num(wa.to_numpy(dtype="float64"))
        r = np.nan_to_num(ar.reindex(index=dates, columns=symbols).to_numpy(dtype="float64"))
        nav_weights = self.run.meta.get("weight_convention") == "nav"
        if nav_weights:
            # weights are fractions of NAV (no 1/N average); they drift between rebalances, so
            # |w_t - w_{t-1}| is not a trade: contributions are shown before costs
            denom = np.ones((len(dates) - 1, 1))
        else:
            denom = np.maximum(held.sum(axis=1), 1).astype("float64")[:-1, None]
        prev = np.vstack([np.zeros((1, w0.shape[1])), w0[:-1]])
        traded = np.abs(w0 - prev)
        gross = (w0[:-1] * r[1:] / denom).sum(axis=0)
        cost_rate = None if nav_weights else self._cost_per_asset(variant, symbols)
        cost = (traded[:-1] * (cost_rate if cost_rate is not None else 0.0) / denom).sum(axis=0)
        n_days = max(len(dates) - 1, 1)
        scale = PERIODS_PER_YEAR / n_days
        table = pd.DataFrame(
            {
                "value": (gross - cost) * scale,
                "gross": gross * scale,
                "cost": cost * scale,
                "asset_class": self._class_of(symbols),
            },
            index=symbols,
        )
        return Contribution("return", table.sort_values("value", ascending=False), cost_rate is not None)

    # ------------------------------------------------------------------ costs
    def sharpe_by_cost(self) -> dict[str, pd.Series]:
        """Sharpe ratio against cost level (bp) per strategy, from the variant names."""
        sharpe = self.summary()["sharpe"]
        out: dict[str, dict[float, float]] = {}
        for variant in self.run.variants:
            parsed = parse_variant(variant)
            if parsed is not None:
                out.setdefault(parsed[0], {})[parsed[1]] = float(sharpe[variant])
        return {s: pd.Series(v, dtype="float64").sort_index() for s, v in out.items()}

    def unparsed_variants(self) -> list[str]:
        """Variants whose name carries no ``@<cost>bp`` (left out of the cost chart)."""
        return [v for v in self.run.variants if parse_variant(v) is None]

    # ----------------------------------------------------------- walk-forward
    def window_phases(self) -> tuple[pd.Series, dict[str, tuple[pd.Series, pd.Series]]] | None:
        """Labels and (start, end) dates per phase of models/windows.csv, for a timeline.

        Phases are detected from column pairs ``<phase>_start``/``<phase>_end``
        (for example ``train``, ``valid``, ``test``), or a bare ``start``/``end``.
        None when there is no such pair.
        """
        windows = self.run.windows
        if windows is None or windows.empty:
            return None
        phases: dict[str, tuple[pd.Series, pd.Series]] = {}
        for col in windows.columns:
            col = str(col)
            if col == "start" and "end" in windows.columns:
                phase, end_col = "window", "end"
            elif col.endswith("_start") and col[: -len("_start")] + "_end" in windows.columns:
                phase, end_col = col[: -len("_start")], col[: -len("_start")] + "_end"
            else:
                continue
            starts = pd.to_datetime(windows[col], errors="coerce")
            ends = pd.to_datetime(windows[end_col], errors="coerce")
            if starts.notna().any() and ends.notna().any():
                phases[phase] = (starts, ends)
        if not phases:
            return None
        label_col = next((c for c in ("window", "fold", "id") if c in windows.columns), None)
        labels = (
            windows[label_col].astype(str)
            if label_col is not None
            else pd.Series([f"window {i}" for i in range(len(windows))])
        )
        return labels, phases
