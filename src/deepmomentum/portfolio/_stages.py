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
        from deepmomentum.features import daily_returns, ex_ante_volatility
        from deepmomentum.portfolio._vol_scaling import portfolio_scaler, settings_from_config, vol_scale

        settings = settings_from_config(ctx.cfg)
        prices = ctx.prices
        returns = daily_returns(prices)
        pos = positions.reindex(index=prices.index, columns=prices.columns).clip(-1.0, 1.0)
        w = vol_scale(
            pos.where(prices.notna()), ex_ante_volatility(returns, span=settings.vol_span), settings
        )
        if settings.portfolio_vol_target:
            w = w.mul(portfolio_scaler(w, returns, settings), axis=0)
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
        classes, _ = _classes(ctx)
        pos = positions.reindex(index=index, columns=ctx.book_prices.columns)
        tilt = class_tilt(pos, fs.returns, classes, book.tilt_lookback, book.tilt_strength)
        rows = sorted(int(index.searchsorted(d)) for d in days)
        covs = ewma_covariances(fs.returns, book.cov_span, set(rows))
        arrays = (pos.to_numpy(dtype="float64"), tilt.to_numpy(dtype="float64"), ctx.slow_trend.to_numpy())
        constraints = constraints_from_config(ctx)
        out = Targets({})
        for t in rows:
            res = self._build(ctx, constraints, arrays, covs[t], t, index)
            out.weights[index[t]] = res.weights
            out.records.append(_record(index[t], res, classes))
        return out

    def _build(
        self,
        ctx: Context,
        constraints: PortfolioConstraints,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
        cov: np.ndarray,
        t: int,
        index: pd.DatetimeIndex,
    ) -> ConstructionResult:
        from deepmomentum.portfolio._construction import check_constraints, construct_weights

        book = ctx.portfolio
        classes, sectors = _classes(ctx)
        symbols = [str(c) for c in ctx.book_prices.columns]
        bench_w = np.array([book.benchmark_weights.get(s, 0.0) for s in symbols])
        sig, tilt, slow = arrays
        res = construct_weights(
            sig[t],
            cov,
            classes,
            sectors,
            constraints,
            class_tilt=tilt[t],
            slow_trend=slow[t],
            trend_alignment=book.trend_alignment,
            benchmark=bench_w,
            benchmark_blend=book.benchmark_blend,
        )
        checks = check_constraints(res.weights, np.nan_to_num(cov), classes, sectors, constraints)
        failed = [k for k, ok in checks.items() if not ok]
        if failed:  # cannot happen by construction; fail loudly if it ever does
            raise RuntimeError(f"{index[t].date()}: constraints violated after projection: {failed}")
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
