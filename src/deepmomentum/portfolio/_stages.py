"""Stage 2 implementations: from positions to target weights.

:class:`VolScaling` is the paper's per-asset sizing (engine convention
``paper``); :class:`ConstrainedBook` is the managed-futures construction
(engine convention ``nav``: weights are decimals of NAV).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepmomentum._types import Convention
from deepmomentum.portfolio._targets import Targets

if TYPE_CHECKING:
    from deepmomentum.pipeline import Context
    from deepmomentum.portfolio._construction import ConstructionResult, PortfolioConstraints

__all__ = ["ConstrainedBook", "VolScaling", "constraints_from_config"]


@dataclass
class VolScaling:
    """``w = clip(X sigma_tgt / sigma, +-max_weight)`` per asset, optionally a portfolio vol target."""

    name: str = "vol_scaling"
    convention: Convention = "paper"

    def targets(self, positions: pd.DataFrame, days: pd.DatetimeIndex, ctx: Context) -> Targets:
        """Vol-scaled weights on ``days`` (NaN: the asset is not held)."""
        from deepmomentum.features import ex_ante_volatility
        from deepmomentum.portfolio._vol_scaling import scaled_weights, settings_from_config

        settings = settings_from_config(ctx.cfg)
        prices, returns = ctx.prices, ctx.returns
        pos = positions.reindex(index=prices.index, columns=prices.columns).clip(-1.0, 1.0)
        daily_vol = ex_ante_volatility(returns, span=settings.vol_span)
        w = scaled_weights(pos.where(prices.notna()), returns, daily_vol, settings)
        rows = w.reindex(days)
        arr = rows.to_numpy(dtype="float64")
        return Targets(dict(zip(pd.DatetimeIndex(rows.index), arr, strict=True)))


def constraints_from_config(ctx: Context) -> PortfolioConstraints:
    """The book's constraints from ``[portfolio]`` (:meth:`PortfolioConfig.constraints`), for its assets."""
    classes, sectors = _classes(ctx)
    return ctx.portfolio.constraints(classes, sectors)


def _classes(ctx: Context) -> tuple[list[str], list[Any]]:
    symbols = [str(c) for c in ctx.book_prices.columns]
    uni = ctx.data.universe
    return [uni[s].asset_class.value for s in symbols], [uni[s].sector for s in symbols]


@dataclass
class ConstrainedBook:
    """The managed-futures book: class tilt, trend alignment, benchmark blend, then the constraints.

    Each rebalance solves :func:`~deepmomentum.portfolio.construct_weights` on the
    day's signal, EWMA covariance, class tilt and slow trend; the result is
    checked against every constraint (a violation raises).
    """

    name: str = "constrained"
    convention: Convention = "nav"

    def targets(self, positions: pd.DataFrame, days: pd.DatetimeIndex, ctx: Context) -> Targets:
        """Constrained NAV weights on ``days``, with one record per day."""
        from deepmomentum.portfolio._risk import class_tilt, ewma_covariances

        book, fs = ctx.portfolio, ctx.multiscale
        index = pd.DatetimeIndex(ctx.book_prices.index)
        inputs = _BookInputs.of(ctx)
        pos = positions.reindex(index=index, columns=ctx.book_prices.columns)
        tilt = class_tilt(pos, fs.returns, inputs.classes, book.tilt_lookback, book.tilt_strength)
        rows = sorted(int(index.searchsorted(d)) for d in days)
        covs = ewma_covariances(fs.returns, book.cov_span, set(rows))
        sig, tilt_arr, slow = (x.to_numpy(dtype="float64") for x in (pos, tilt, ctx.slow_trend))
        out = Targets({})
        for t in rows:
            res = inputs.solve(sig[t], covs[t], tilt_arr[t], slow[t], index[t])
            out.weights[index[t]] = res.weights
            out.records.append(_record(index[t], res, inputs.classes))
        return out


@dataclass(frozen=True)
class _BookInputs:
    """What every construction day of one book shares: assets' classes, constraints, the blend."""

    classes: list[str]
    sectors: list[Any]
    constraints: PortfolioConstraints
    benchmark: np.ndarray  # (n_assets,) static allocation, decimal of NAV
    trend_alignment: float
    benchmark_blend: float

    @classmethod
    def of(cls, ctx: Context) -> _BookInputs:
        book = ctx.portfolio
        classes, sectors = _classes(ctx)
        symbols = [str(c) for c in ctx.book_prices.columns]
        bench = np.array([book.benchmark_weights.get(s, 0.0) for s in symbols])
        constraints = book.constraints(classes, sectors)
        return cls(classes, sectors, constraints, bench, book.trend_alignment, book.benchmark_blend)

    def solve(
        self, signal: np.ndarray, cov: np.ndarray, tilt: np.ndarray, slow: np.ndarray, day: pd.Timestamp
    ) -> ConstructionResult:
        """One day's constrained weights, checked against every constraint (a violation raises)."""
        from deepmomentum.portfolio._construction import check_constraints, construct_weights

        res = construct_weights(
            signal,
            cov,
            self.classes,
            self.sectors,
            self.constraints,
            class_tilt=tilt,
            slow_trend=slow,
            trend_alignment=self.trend_alignment,
            benchmark=self.benchmark,
            benchmark_blend=self.benchmark_blend,
        )
        cov0 = np.nan_to_num(cov)
        checks = check_constraints(res.weights, cov0, self.classes, self.sectors, self.constraints)
        failed = [k for k, ok in checks.items() if not ok]
        if failed:  # cannot happen by construction; fail loudly if it ever does
            raise RuntimeError(f"{day.date()}: constraints violated after projection: {failed}")
        return res


def _record(day: pd.Timestamp, res: ConstructionResult, classes: list[str]) -> dict[str, Any]:
    from deepmomentum.portfolio._construction import class_shares

    w = res.weights
    shares = {f"share_{k}": v for k, v in class_shares(w, classes).items()}
    return {
        "date": day,
        "vol_ex_ante": res.vol,
        "gross": float(np.abs(w).sum()),
        "net": float(w.sum()),
        "binding": ";".join(res.binding),
        "unmet": ";".join(res.unmet),
        "message": res.message,
        **shares,
    }
