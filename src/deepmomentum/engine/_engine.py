"""The one engine: held weights -> returns net of costs, turnover, measures.

Timing (the rule above all others): the weight ``w_t`` is decided at the close
of day t from data dated <= t and earns ``r_{t+1}``. The cost of a trade made
at the close of day t is charged in the return dated t+1.

Two conventions, options of the same engine (:func:`simulate`):

``paper`` (Lim, Zohren & Roberts, 2019)
    Trade to target every rebalance day, weights held constant in between;
    cost on the change of the weight, ``c_i |w_{i,t} - w_{i,t-1}|``; the
    portfolio return is the *average* over the ``N_t`` assets held::

        R~_{t+1} = (1/N_t) sum_i (w_{i,t} r_{i,t+1} - c_i |w_{i,t} - w_{i,t-1}|)

``nav``
    Weights are decimals of NAV that drift with prices between rebalances;
    cost on the traded notional ``|w_{i,t} - pre_{i,t}|`` (``pre`` the drifted
    weight before trading); the portfolio return is the *sum* over assets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from deepmomentum._types import PERIODS_PER_YEAR, Convention
from deepmomentum.engine._holding import hold_weights
from deepmomentum.exceptions import ConfigError
from deepmomentum.features import daily_returns, ex_ante_volatility
from deepmomentum.metrics import annual_volatility, performance_summary
from deepmomentum.portfolio._vol_scaling import BacktestSettings, scaled_weights

__all__ = [
    "CONVENTIONS",
    "BacktestResult",
    "BacktestSettings",
    "Convention",
    "backtest",
    "evaluate_weights",
    "simulate",
    "variant_name",
]

CONVENTIONS: tuple[Convention, ...] = ("paper", "nav")


def variant_name(strategy: str, cost: float | str) -> str:
    """Label of a strategy at a cost level: ``tsmom@2bp`` (``@universe`` for per-asset costs)."""
    if isinstance(cost, str):
        return f"{strategy}@{cost}"
    return f"{strategy}@{cost:g}bp"


@dataclass(frozen=True)
class _Variant:
    strategy: str
    label: str
    cost: np.ndarray  # (n_assets,) decimal per unit of traded notional


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`; measures are computed lazily and cached.

    Attributes
    ----------
    signals : dict of str to pd.DataFrame
        Positions X per strategy, shape (n_days, n_assets), NaN outside the
        backtest span or where the strategy has no view.
    weights : dict of str to pd.DataFrame
        Vol-scaled weights w per strategy, same shape.
    asset_returns : pd.DataFrame of shape (n_days, n_assets)
        Daily returns r_t of the assets, decimal.
    settings : BacktestSettings
    start, end : pd.Timestamp
        First and last day of the span.
    convention : {"paper", "nav"}
        How the portfolio return aggregates assets (average over those held,
        or sum of NAV weights) and what a trade is (see the module docstring).
    pre_trade : dict of str to pd.DataFrame
        Drifted weights before each day's trade (``nav`` convention); absent
        strategies trade from the previous day's weight.
    """

    signals: dict[str, pd.DataFrame]
    weights: dict[str, pd.DataFrame]
    asset_returns: pd.DataFrame
    settings: BacktestSettings
    start: pd.Timestamp
    end: pd.Timestamp
    _variants: tuple[_Variant, ...] = field(repr=False, default=())
    convention: Convention = "paper"
    pre_trade: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def strategies(self) -> list[str]:
        """Strategy names, in order."""
        return list(self.signals)

    @property
    def variants(self) -> list[str]:
        """Variant labels ``<strategy>@<cost>bp``, in order."""
        return [v.label for v in self._variants]

    @property
    def _index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.asset_returns.index)

    @property
    def _span(self) -> np.ndarray:
        idx = self._index
        return np.asarray((idx >= self.start) & (idx <= self.end))

    def _arrays(self, strategy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights with NaN -> 0, held mask, traded notional dated t)."""
        w = self.weights[strategy].to_numpy(dtype="float64")
        held = ~np.isnan(w)
        w0 = np.where(held, w, 0.0)
        pre = self.pre_trade.get(strategy)
        if pre is None:
            prev = np.vstack([np.zeros((1, w0.shape[1])), w0[:-1]])
        else:
            prev = np.nan_to_num(pre.reindex_like(self.weights[strategy]).to_numpy(dtype="float64"))
        return w0, held, np.abs(w0 - prev)

    def gross_returns(self, strategy: str) -> pd.DataFrame:
        """Per-asset captured return ``w_t r_{t+1}``, dated t+1, before costs."""
        w0, _, _ = self._arrays(strategy)
        r = np.nan_to_num(self.asset_returns.to_numpy(dtype="float64"))
        out = np.full_like(w0, np.nan)
        out[1:] = w0[:-1] * r[1:]
        frame = pd.DataFrame(out, index=self._index, columns=self.asset_returns.columns)
        return frame.where(self.weights[strategy].shift(1).notna())

    def trades(self, strategy: str) -> pd.DataFrame:
        """Traded notional ``|w_t - w_{t-1}|`` per asset, dated t (first position from zero)."""
        _, _, traded = self._arrays(strategy)
        return pd.DataFrame(traded, index=self._index, columns=self.asset_returns.columns)

    def costs(self, strategy: str, cost_bps: float) -> pd.DataFrame:
        """Per-asset cost ``c |w_t - w_{t-1}|`` charged in the return dated t+1."""
        traded = self.trades(strategy)
        return traded.shift(1).fillna(0.0) * (cost_bps * 1e-4)

    def net_returns(self, strategy: str, cost_bps: float) -> pd.DataFrame:
        """Per-asset net return, dated t+1."""
        return self.gross_returns(strategy) - self.costs(strategy, cost_bps)

    def _portfolio(self, strategy: str, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(portfolio net return dated t+1, turnover dated t) over the full index."""
        w0, held, traded = self._arrays(strategy)
        r = np.nan_to_num(self.asset_returns.to_numpy(dtype="float64"))
        pnl = (w0[:-1] * r[1:]).sum(axis=1) - (traded[:-1] * cost).sum(axis=1)
        port = np.full(len(w0), np.nan)
        if self.convention == "nav":  # sum of NAV weights, from the first trade on
            started = np.cumsum(held.any(axis=1)) > 0
            port[1:] = np.where(started[:-1], pnl, np.nan)
            return port, np.where(started, traded.sum(axis=1), np.nan)
        n_held = held.sum(axis=1)
        denom = np.maximum(n_held, 1)
        active = (n_held[:-1] > 0) | (traded[:-1].sum(axis=1) > 0)
        port[1:] = np.where(active, pnl / denom[:-1], np.nan)
        turnover = np.where(n_held > 0, traded.sum(axis=1) / denom, np.nan)
        return port, turnover

    @cached_property
    def _portfolio_cache(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {v.label: self._portfolio(v.strategy, v.cost) for v in self._variants}

    @cached_property
    def portfolio_returns(self) -> pd.DataFrame:
        """Portfolio daily net returns per variant, shape (n_days_in_span, n_variants).

        The first day of the span has no return (positions start there).
        """
        span = self._span
        data = {label: port[span] for label, (port, _) in self._portfolio_cache.items()}
        frame = pd.DataFrame(data, index=self._index[span])
        frame.index.name = "date"
        if len(frame):
            frame.iloc[0] = np.nan  # a position decided before the span is not ours
        return frame

    @cached_property
    def portfolio_gross(self) -> pd.DataFrame:
        """Portfolio daily returns before costs per strategy."""
        zero = np.zeros(self.asset_returns.shape[1])
        span = self._span
        frame = pd.DataFrame(
            {s: self._portfolio(s, zero)[0][span] for s in self.strategies},
            index=self._index[span],
        )
        if len(frame):
            frame.iloc[0] = np.nan
        return frame

    @cached_property
    def daily_turnover(self) -> pd.DataFrame:
        """Portfolio turnover ``sum_i |w_i,t - w_i,t-1| / N_t`` per strategy, dated t."""
        span = self._span
        zero = np.zeros(self.asset_returns.shape[1])
        return pd.DataFrame(
            {s: self._portfolio(s, zero)[1][span] for s in self.strategies},
            index=self._index[span],
        )

    @cached_property
    def turnover(self) -> dict[str, float]:
        """Annualised turnover per variant (mean daily turnover x 252)."""
        daily = self.daily_turnover
        return {
            v.label: float(np.nanmean(daily[v.strategy].to_numpy()) * PERIODS_PER_YEAR)
            if daily[v.strategy].notna().any()
            else float("nan")
            for v in self._variants
        }

    @cached_property
    def ex_post_rescaled(self) -> pd.DataFrame:
        """EX-POST rescaling of :attr:`portfolio_returns` to ``vol_target`` over the whole span.

        Uses the full-sample realised vol, so it is not implementable: it is
        only for comparison with published figures that are scaled this way.
        """
        out = {}
        for col in self.portfolio_returns.columns:
            r = self.portfolio_returns[col]
            vol = annual_volatility(r)
            out[col] = r * (self.settings.vol_target / vol) if vol and np.isfinite(vol) else r
        return pd.DataFrame(out, index=self.portfolio_returns.index)

    def metrics(self, reference: pd.Series | None = None, ex_post: bool = False) -> pd.DataFrame:
        """Every headline measure per variant (see :func:`deepmomentum.metrics.performance_summary`).

        Parameters
        ----------
        reference : pd.Series, optional
            Daily returns of a reference (e.g. SPY) for the correlation.
        ex_post : bool, default False
            Measure the ex-post rescaled series instead of the implementable one.
        """
        returns = self.ex_post_rescaled if ex_post else self.portfolio_returns
        out = performance_summary(returns, reference=reference, turnover=self.turnover)
        out["holding_days"] = pd.Series(self.holding_period)
        return out

    @cached_property
    def holding_period(self) -> dict[str, float]:
        """Average holding period per variant, trading days.

        ``mean_t(sum_i |w_i,t| / N_t) / mean_t(sum_i |w_i,t - w_i,t-1| / N_t)``: how many days
        it takes, on average, to trade the book's gross exposure once.
        """
        span = self._span
        out: dict[str, float] = {}
        for v in self._variants:
            w = self.weights[v.strategy].to_numpy(dtype="float64")[span]
            held = ~np.isnan(w)
            n = held.sum(axis=1)
            gross = np.where(n > 0, np.nansum(np.abs(w), axis=1) / np.maximum(n, 1), np.nan)
            traded = self.daily_turnover[v.strategy].to_numpy()
            mean_traded = np.nanmean(traded) if np.isfinite(traded).any() else np.nan
            out[v.label] = (
                float(np.nanmean(gross) / mean_traded) if mean_traded and np.isfinite(mean_traded) else np.nan
            )
        return out

    def positions_long(self) -> pd.DataFrame:
        """Long form: date, symbol, strategy, signal, weight (held positions in the span)."""
        parts = []
        span = self._span
        for s in self.strategies:
            sig = self.signals[s].loc[span]
            wts = self.weights[s].loc[span]
            stacked = pd.DataFrame(
                {"signal": sig.stack(future_stack=True), "weight": wts.stack(future_stack=True)}
            )
            stacked = stacked[stacked["weight"].notna()]
            stacked.index.names = ["date", "symbol"]
            stacked = stacked.reset_index()
            stacked.insert(2, "strategy", s)
            parts.append(stacked)
        if not parts:
            return pd.DataFrame(columns=["date", "symbol", "strategy", "signal", "weight"])
        out = pd.concat(parts, ignore_index=True)
        out["symbol"] = out["symbol"].astype(str)
        return out


def backtest(
    prices: pd.DataFrame,
    signals: Mapping[str, pd.DataFrame],
    cost_bps: Sequence[float] = (0.0,),
    settings: BacktestSettings | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    asset_cost_bps: pd.Series | None = None,
) -> BacktestResult:
    """Backtest strategies' positions with vol targeting and transaction costs.

    Parameters
    ----------
    prices : pd.DataFrame of shape (n_days, n_assets)
        Adjusted closes of the tradable assets (the whole history: data
        before ``start`` warms up the vol estimate).
    signals : mapping of str to pd.DataFrame
        Positions X in [-1, 1] per strategy, on the same index and columns as
        ``prices`` (values outside [-1, 1] are clipped).
    cost_bps : sequence of float, default (0,)
        Global cost levels, basis points of traded notional; one variant each.
    settings : BacktestSettings, optional
    start, end : date-like, optional
        Span of the backtest: positions before ``start`` or after ``end`` are
        dropped, so trading starts from zero at ``start``.
    asset_cost_bps : pd.Series, optional
        Per-asset costs in bp (e.g. from the universe); adds a variant
        ``<strategy>@universe`` per strategy.

    Returns
    -------
    BacktestResult
    """
    settings = settings or BacktestSettings()
    if prices.empty:
        raise ConfigError("no prices to backtest")
    index = pd.DatetimeIndex(prices.index)
    t0 = index[0] if start is None else pd.Timestamp(start)
    t1 = index[-1] if end is None else pd.Timestamp(end)
    if t0 > index[-1] or t1 < index[0]:
        raise ConfigError(
            f"the span {t0.date()} to {t1.date()} has no data (data runs {index[0].date()} "
            f"to {index[-1].date()}); choose --start/--end inside it"
        )
    if t0 > t1:
        raise ConfigError(f"start {t0.date()} is after end {t1.date()}")
    t0 = index[index >= t0][0]  # snap to trading days: the span is what was traded
    t1 = index[index <= t1][-1]
    returns = daily_returns(prices)
    daily_vol = ex_ante_volatility(returns, span=settings.vol_span)
    in_span = (index >= t0) & (index <= t1)

    sigs: dict[str, pd.DataFrame] = {}
    wts: dict[str, pd.DataFrame] = {}
    for name, raw in signals.items():
        if not raw.index.equals(prices.index) or list(raw.columns) != list(prices.columns):
            raw = raw.reindex(index=prices.index, columns=prices.columns)
        sig = raw.clip(-1.0, 1.0).where(prices.notna())
        sig = sig.where(pd.Series(in_span, index=index), np.nan, axis=0)
        w = scaled_weights(sig, returns, daily_vol, settings)
        sigs[name] = sig.where(w.notna())
        wts[name] = w

    return evaluate_weights(
        wts,
        returns,
        cost_bps=cost_bps,
        signals=sigs,
        settings=settings,
        start=t0,
        end=t1,
        asset_cost_bps=asset_cost_bps,
    )


def evaluate_weights(
    weights: Mapping[str, pd.DataFrame],
    asset_returns: pd.DataFrame,
    cost_bps: Sequence[float] = (0.0,),
    signals: Mapping[str, pd.DataFrame] | None = None,
    settings: BacktestSettings | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    asset_cost_bps: pd.Series | None = None,
    convention: Convention = "paper",
    pre_trade: Mapping[str, pd.DataFrame] | None = None,
) -> BacktestResult:
    """Evaluate given held weights: returns, costs, turnover, measures.

    The building block under :func:`backtest`, for weights built elsewhere
    (learned models, constrained portfolios).

    Parameters
    ----------
    weights : mapping of str to pd.DataFrame
        Weight ``w_t`` per strategy, shape (n_days, n_assets), NaN where the
        asset is not held; it earns ``asset_returns`` dated t+1.
    asset_returns : pd.DataFrame of shape (n_days, n_assets)
        Daily simple returns, decimal.
    cost_bps, settings, start, end, asset_cost_bps
        As in :func:`backtest`.
    signals : mapping of str to pd.DataFrame, optional
        Positions behind the weights (default: the sign of the weights).
    convention : {"paper", "nav"}, default "paper"
        Average over the assets held, or sum of NAV weights (module docstring).
    pre_trade : mapping of str to pd.DataFrame, optional
        Weights before each day's trade (drifted), per strategy; default: the
        previous day's held weight.
    """
    if convention not in CONVENTIONS:
        raise ConfigError(f"convention must be one of {list(CONVENTIONS)}, got {convention!r}")
    settings = settings or BacktestSettings()
    index = pd.DatetimeIndex(asset_returns.index)
    t0 = index[0] if start is None else pd.Timestamp(start)
    t1 = index[-1] if end is None else pd.Timestamp(end)
    wts = {k: v.reindex(index=asset_returns.index, columns=asset_returns.columns) for k, v in weights.items()}
    sigs = (
        {k: v.reindex(index=asset_returns.index, columns=asset_returns.columns) for k, v in signals.items()}
        if signals is not None
        else {k: v.apply(np.sign) for k, v in wts.items()}
    )
    n_assets = asset_returns.shape[1]
    variants: list[_Variant] = []
    for name in wts:
        for c in cost_bps:
            if not np.isfinite(c) or c < 0:
                raise ConfigError(f"cost levels must be non-negative bp, got {c}")
            variants.append(_Variant(name, variant_name(name, c), np.full(n_assets, c * 1e-4)))
        if asset_cost_bps is not None:
            per_asset = asset_cost_bps.reindex(asset_returns.columns).fillna(0.0).to_numpy() * 1e-4
            variants.append(_Variant(name, variant_name(name, "universe"), per_asset))
    return BacktestResult(
        signals=sigs,
        weights=wts,
        asset_returns=asset_returns,
        settings=settings,
        start=t0,
        end=t1,
        _variants=tuple(variants),
        convention=convention,
        pre_trade=dict(pre_trade or {}),
    )


def simulate(
    targets: Mapping[str, Mapping[pd.Timestamp, np.ndarray] | pd.DataFrame],
    asset_returns: pd.DataFrame,
    cost_bps: Sequence[float] = (0.0,),
    *,
    convention: Convention = "nav",
    drift: bool | None = None,
    signals: Mapping[str, pd.DataFrame] | None = None,
    settings: BacktestSettings | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    asset_cost_bps: pd.Series | None = None,
) -> BacktestResult:
    """Hold target weights set on rebalance days, then evaluate them: the one engine.

    Parameters
    ----------
    targets : mapping of str to (mapping of pd.Timestamp to np.ndarray, or pd.DataFrame)
        Per strategy, the target weights set at the close of each rebalance
        day (the schedule is the set of keys, or of the frame's rows), each of
        shape (n_assets,); NaN counts as 0.
    asset_returns : pd.DataFrame of shape (n_days, n_assets)
        Daily simple returns, decimal.
    cost_bps : sequence of float, default (0,)
        Cost levels, bp of traded notional; one variant each.
    convention : {"paper", "nav"}, default "nav"
        See the module docstring.
    drift : bool, optional
        Let weights drift with prices between rebalances (default: True for
        ``nav``, False for ``paper``).
    signals, settings, start, end, asset_cost_bps
        As in :func:`evaluate_weights`.

    Returns
    -------
    BacktestResult
        Held weights in ``weights``, drifted pre-trade weights in ``pre_trade``.
    """
    drift = (convention == "nav") if drift is None else drift
    weights: dict[str, pd.DataFrame] = {}
    pre: dict[str, pd.DataFrame] = {}
    for name, tgt in targets.items():
        if isinstance(tgt, pd.DataFrame):
            tgt = {pd.Timestamp(str(d)): row.to_numpy(dtype="float64") for d, row in tgt.iterrows()}
        weights[name], pre[name] = hold_weights(tgt, asset_returns.fillna(0.0), drift=drift)
        if not drift:  # the paper's convention: a trade is the change of the held weight
            del pre[name]
    return evaluate_weights(
        weights,
        asset_returns,
        cost_bps=cost_bps,
        signals=signals,
        settings=settings,
        start=start,
        end=end,
        asset_cost_bps=asset_cost_bps,
        convention=convention,
        pre_trade=pre,
    )
