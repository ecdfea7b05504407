"""The hard caps of a rebalance's weights: their limits, one projection, a check.

The hard caps are closed under shrinking: ``|w_i| <= max_position``, the
class caps (``nav_cap`` only), the commodity sector caps (decimals of NAV
under ``nav_cap``, shares of the commodity gross under ``gross_share``),
``sum |w| <= max_gross``, ``net = sum w`` within ``net_bounds`` (with ``lower
<= 0 <= upper``), and ex-ante vol ``<= vol_target``. One call of
:func:`project` satisfies all of them at once, because every step after the
position clip only shrinks weights or scales them toward zero. See
:mod:`deepmomentum.portfolio._construction` for the targets built on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "TOL",
    "PortfolioConstraints",
    "binding_caps",
    "check_constraints",
    "ex_ante_vol",
    "project",
]

TOL = 1e-9
_SHRINK = 1.0 - 1e-12  # land just inside each cap despite rounding


@dataclass(frozen=True)
class PortfolioConstraints:
    """Limits on one rebalance's weights (decimals of NAV; vol annual).

    Parameters
    ----------
    vol_target : float, default 0.15
        Ex-ante portfolio vol target, also a ceiling.
    class_caps : mapping of str to float
        The asset-class budgets, read as ``class_budget`` says.
    class_budget : {"nav_cap", "gross_share"}, default "nav_cap"
        How ``class_caps`` is read.

        - ``"nav_cap"``: a hard cap on the class's gross ``sum |w_i|``, a
          decimal of NAV; classes not listed are not capped.
        - ``"gross_share"``: the class's **target share** of the book's gross
          ``sum |w|``. The budgets are normalised to sum to 1 over the
          budgeted classes that have an investable, non-zero signal (a class
          without one gets nothing and its budget goes to the others, pro
          rata). Classes not listed keep the share of the gross their
          signals give them, and the budgeted classes split the rest. The
          shares are targets, not caps: budgets that sum to 1 read as caps
          are the same thing (every share ``<=`` its budget and the shares
          summing to 1 force each to equal its budget), except that a class
          unable to fill its share (too few assets under ``max_position``)
          would then drag every other class down with it, and a one-sided
          net trim could not keep them. So the shares are set when the book
          is built, the hard caps come after, and the realised shares may
          drift from the targets (see :func:`class_shares` and
          ``ConstructionResult.target_shares``).
    sector_caps : mapping of str to float
        ``nav_cap`` only: cap on the gross weight of each commodity sector, a
        decimal of NAV (``sector balance``).
    sector_max_share : float or None, default None
        ``gross_share`` only: cap on each commodity sector's share of the
        commodity class's gross, in (0, 1]. With ``n`` sectors holding a
        position the cap used is ``max(sector_max_share, 1 / n)``, so that an
        equal split always meets it.
    max_position : float, default 0.25
    max_gross : float, default 1.8
    net_bounds : (float, float) or None, default (-0.15, 0.15)
        Bounds on ``sum w``; must contain 0. None disables.
    min_active_classes : int, default 3
        Classes whose share of the gross is at least ``min_class_share``.
    min_class_share : float, default 0.05
    """

    vol_target: float = 0.15
    class_caps: Mapping[str, float] = field(default_factory=dict)
    sector_caps: Mapping[str, float] = field(default_factory=dict)
    max_position: float = 0.25
    max_gross: float = 1.8
    net_bounds: tuple[float, float] | None = (-0.15, 0.15)
    min_active_classes: int = 3
    min_class_share: float = 0.05
    class_budget: Literal["nav_cap", "gross_share"] = "nav_cap"
    sector_max_share: float | None = None

    def __post_init__(self) -> None:
        from deepmomentum.exceptions import ConfigError

        if self.net_bounds is not None and not self.net_bounds[0] <= 0 <= self.net_bounds[1]:
            raise ConfigError(f"net_bounds must contain 0, got {self.net_bounds}")
        if self.vol_target <= 0 or self.max_position <= 0 or self.max_gross <= 0:
            raise ConfigError("vol_target, max_position and max_gross must be > 0")
        if any(c < 0 for c in self.class_caps.values()) or any(c < 0 for c in self.sector_caps.values()):
            raise ConfigError("class and sector caps must be >= 0")
        if self.class_budget not in ("nav_cap", "gross_share"):
            raise ConfigError(f"class_budget must be 'nav_cap' or 'gross_share', got {self.class_budget!r}")
        if self.class_budget == "gross_share" and self.sector_caps:
            raise ConfigError(
                "sector_caps are decimals of NAV (nav_cap); with gross_share use sector_max_share"
            )
        if self.class_budget == "nav_cap" and self.sector_max_share is not None:
            raise ConfigError(
                "sector_max_share is a share of the class (gross_share); with nav_cap use sector_caps"
            )
        if self.sector_max_share is not None and not 0 < self.sector_max_share <= 1:
            raise ConfigError(f"sector_max_share must be in (0, 1], got {self.sector_max_share}")


def ex_ante_vol(w: np.ndarray, cov: np.ndarray) -> float:
    """Ex-ante annual vol ``sqrt(w' C w)`` of weights ``w`` under covariance ``cov``."""
    return float(np.sqrt(max(float(w @ cov @ w), 0.0)))


def _groups(
    classes: Sequence[str], sectors: Sequence[str], c: PortfolioConstraints
) -> list[tuple[str, np.ndarray, float]]:
    """NAV caps as ``(name, mask, cap)``; empty under ``gross_share``."""
    if c.class_budget != "nav_cap":
        return []
    cls = np.asarray(classes, dtype=object)
    sec = np.asarray(sectors, dtype=object)
    out: list[tuple[str, np.ndarray, float]] = []
    for s, cap in c.sector_caps.items():
        mask = (cls == "commodity") & (sec == s)
        if mask.any():
            out.append((f"sector:{s}", mask, float(cap)))
    for k, cap in c.class_caps.items():
        mask = cls == k
        if mask.any():
            out.append((f"class:{k}", mask, float(cap)))
    return out


def _sector_masks(classes: Sequence[str], sectors: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    cls = np.asarray(classes, dtype=object)
    sec = np.asarray(sectors, dtype=object)
    com = cls == "commodity"
    return [(f"sector:{s}", com & (sec == s)) for s in dict.fromkeys(sec[com])]


def _sector_share_cap(w: np.ndarray, masks: list[tuple[str, np.ndarray]], share: float) -> float:
    """The share cap in force for ``w``: ``max(share, 1 / sectors holding weight)``."""
    held = sum(1 for _, m in masks if np.abs(w[m]).sum() > 0)
    return max(share, 1.0 / held) if held else share


def _cap_sector_shares(w: np.ndarray, masks: list[tuple[str, np.ndarray]], share: float) -> np.ndarray:
    """Shrink the largest sectors to a common level ``L = m * sum_s min(g_s, L)``.

    ``w`` of shape (n_assets,); ``masks`` the commodity sectors. The level is
    the largest that keeps every sector within ``m`` of the class gross.
    """
    g = np.array([np.abs(w[m]).sum() for _, m in masks])
    if not (g > 0).sum():
        return w
    m = _sector_share_cap(w, masks, share)
    if g.max() <= m * g.sum():
        return w
    desc = np.sort(g[g > 0])[::-1]
    level = desc[-1]
    for j in range(1, len(desc)):  # cap the top j sectors at the level
        if m * j < 1:
            cand = m * desc[j:].sum() / (1 - m * j)
            if desc[j] <= cand <= desc[j - 1]:
                level = cand
                break
    for (_, mask), gs in zip(masks, g, strict=True):
        if gs > level:
            w[mask] *= level / gs * _SHRINK
    return w


def _trim_net(w: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Shrink the side in excess of the net bound (the other side is kept)."""
    lo, hi = bounds
    net = float(w.sum())
    if net > hi:
        pos = w > 0
        w[pos] *= max(1.0 - (net - hi) / float(w[pos].sum()), 0.0) * _SHRINK
    elif net < lo:
        neg = w < 0
        w[neg] *= max(1.0 - (lo - net) / float(-w[neg].sum()), 0.0) * _SHRINK
    return w


def _project_shares(
    w: np.ndarray, classes: Sequence[str], sectors: Sequence[str], c: PortfolioConstraints
) -> np.ndarray:
    """Sector shares and net bound together (``gross_share``), exactly.

    A one-sided net trim can push a sector's share back above its cap, so
    the two alternate; a last uniform scale toward 0 (which keeps every share)
    settles any residual net excess.
    """
    masks = _sector_masks(classes, sectors) if c.sector_max_share is not None else []
    share = float(c.sector_max_share or 1.0)
    lo, hi = c.net_bounds if c.net_bounds is not None else (-np.inf, np.inf)
    for _ in range(20):
        if masks:
            w = _cap_sector_shares(w, masks, share)
        net = float(w.sum())
        if lo <= net <= hi:
            return w
        w = _trim_net(w, (lo, hi))
    if masks:
        w = _cap_sector_shares(w, masks, share)
    net = float(w.sum())
    if not lo <= net <= hi:
        w = w * ((hi if net > 0 else lo) / net * _SHRINK)
    return w


def project(
    w: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    constraints: PortfolioConstraints,
) -> np.ndarray:
    """Enforce every hard cap in one call (each step after the clip only shrinks).

    Parameters
    ----------
    w : np.ndarray of shape (n_assets,)
        Decimal of NAV; modified in place.
    cov : np.ndarray of shape (n_assets, n_assets)
        Annualised covariance of daily returns.
    classes, sectors : sequence of str, length n_assets
    constraints : PortfolioConstraints

    Returns
    -------
    np.ndarray of shape (n_assets,)
    """
    c = constraints
    w = np.clip(w, -c.max_position, c.max_position)
    for _, mask, cap in _groups(classes, sectors, c):
        g = float(np.abs(w[mask]).sum())
        if g > cap:
            w[mask] *= cap / g * _SHRINK
    g = float(np.abs(w).sum())
    if g > c.max_gross:
        w = w * (c.max_gross / g * _SHRINK)
    if c.class_budget == "gross_share":  # after the gross: trim the net of the book as held
        w = _project_shares(w, classes, sectors, c)
    elif c.net_bounds is not None:
        w = _trim_net(w, c.net_bounds)
    v = ex_ante_vol(w, cov)
    if v > c.vol_target:
        w = w * (c.vol_target / v * _SHRINK)
    return w


def check_constraints(
    w: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    constraints: PortfolioConstraints,
    tol: float = TOL,
) -> dict[str, bool]:
    """Whether each hard cap of the active reading holds (``True``) for ``w``.

    Keys: ``max_position``, ``class:<c>`` and ``sector:<s>`` (NAV caps under
    ``nav_cap``; under ``gross_share``, ``sector:<s>`` is the sector's share
    of the commodity gross and class shares are targets, not checked),
    ``max_gross``, ``net_bounds``, ``vol_ceiling``.
    """
    c = constraints
    out = {"max_position": bool(np.all(np.abs(w) <= c.max_position + tol))}
    for name, mask, cap in _groups(classes, sectors, c):
        out[name] = bool(np.abs(w[mask]).sum() <= cap + tol)
    if c.class_budget == "gross_share" and c.sector_max_share is not None:
        masks = _sector_masks(classes, sectors)
        m = _sector_share_cap(w, masks, c.sector_max_share)
        com = float(sum(np.abs(w[mask]).sum() for _, mask in masks))
        for name, mask in masks:
            out[name] = bool(np.abs(w[mask]).sum() <= m * com + tol)
    out["max_gross"] = bool(np.abs(w).sum() <= c.max_gross + tol)
    if c.net_bounds is not None:
        net = float(w.sum())
        out["net_bounds"] = bool(c.net_bounds[0] - tol <= net <= c.net_bounds[1] + tol)
    out["vol_ceiling"] = bool(ex_ante_vol(w, cov) <= c.vol_target * (1 + 1e-7) + tol)
    return out


def binding_caps(
    w: np.ndarray, cov: np.ndarray, classes: Sequence[str], sectors: Sequence[str], c: PortfolioConstraints
) -> list[str]:
    """The caps ``w`` is at (within a relative 1e-6; the vol target within 1e-3)."""
    rel = 1e-6
    out = []
    if np.any(np.abs(w) >= c.max_position * (1 - rel)):
        out.append("max_position")
    for name, mask, cap in _groups(classes, sectors, c):
        if np.abs(w[mask]).sum() >= cap * (1 - rel):
            out.append(name)
    if c.class_budget == "gross_share" and c.sector_max_share is not None:
        masks = _sector_masks(classes, sectors)
        m = _sector_share_cap(w, masks, c.sector_max_share)
        com = float(sum(np.abs(w[mask]).sum() for _, mask in masks))
        out += [n for n, mask in masks if com > 0 and np.abs(w[mask]).sum() >= m * com * (1 - rel) and m < 1]
    if np.abs(w).sum() >= c.max_gross * (1 - rel):
        out.append("max_gross")
    if c.net_bounds is not None:
        net = float(w.sum())
        if c.net_bounds[1] < np.inf and net >= c.net_bounds[1] - rel and np.any(w > 0):
            out.append("net_upper")
        if net <= c.net_bounds[0] + rel and np.any(w < 0):
            out.append("net_lower")
    if ex_ante_vol(w, cov) >= c.vol_target * (1 - 1e-3):
        out.append("vol_target")
    return out
