"""From signals to constrained portfolio weights (numpy, no solver).

The constraints split in two kinds:

- **hard caps**, closed under shrinking: ``|w_i| <= max_position``, the gross
  per asset class ``<= class cap``, the gross per commodity sector ``<=
  sector cap``, ``sum |w| <= max_gross``, ``net = sum w`` within
  ``net_bounds`` (with ``lower <= 0 <= upper``), and ex-ante vol ``<=
  vol_target``. One pass of :func:`project` (clip positions, scale sectors
  then classes, scale gross, trim the side in excess of the net bound, scale
  the vol down) satisfies all of them at once, because every later step only
  shrinks weights or scales them toward zero. They therefore hold in every
  output, exactly (up to 1e-9).
- **targets** that may conflict with the caps: the vol target from below, and
  a minimum number of active classes. The weights are scaled up toward the
  vol target and projected again, repeatedly (a water-filling: capped
  positions stay at their caps while the others grow). When the target is
  still missed, the result names the caps that bind: those are the
  constraints that cannot be met together with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ConstructionResult",
    "PortfolioConstraints",
    "check_constraints",
    "construct_weights",
    "project",
]

TOL = 1e-9


@dataclass(frozen=True)
class PortfolioConstraints:
    """Limits on one rebalance's weights (decimals of NAV; vol annual).

    Parameters
    ----------
    vol_target : float, default 0.15
        Ex-ante portfolio vol target, also a ceiling.
    class_caps : mapping of str to float
        Cap on the gross weight ``sum |w_i|`` of each asset class; classes
        not listed are not capped.
    sector_caps : mapping of str to float
        Cap on the gross weight of each commodity sector (``sector balance``).
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

    def __post_init__(self) -> None:
        from deepmomentum.exceptions import ConfigError

        if self.net_bounds is not None and not self.net_bounds[0] <= 0 <= self.net_bounds[1]:
            raise ConfigError(f"net_bounds must contain 0, got {self.net_bounds}")
        if self.vol_target <= 0 or self.max_position <= 0 or self.max_gross <= 0:
            raise ConfigError("vol_target, max_position and max_gross must be > 0")
        if any(c < 0 for c in self.class_caps.values()) or any(c < 0 for c in self.sector_caps.values()):
            raise ConfigError("class and sector caps must be >= 0")


@dataclass(frozen=True)
class ConstructionResult:
    """Weights of one rebalance and what constrained them.

    Attributes
    ----------
    weights : np.ndarray of shape (n_assets,)
        Decimal of NAV; 0 for assets without a signal or a vol.
    vol : float
        Ex-ante annual vol ``sqrt(w' C w)``.
    binding : tuple of str
        Constraints at their limit: ``max_position``, ``class:<c>``,
        ``sector:<s>``, ``max_gross``, ``net_upper``/``net_lower``, ``vol_target``.
    unmet : tuple of str
        Targets not reached: ``vol_target``, ``min_active_classes``.
    message : str
        Why, in words (empty when every target is met).
    """

    weights: np.ndarray
    vol: float
    binding: tuple[str, ...]
    unmet: tuple[str, ...]
    message: str = ""


def _vol(w: np.ndarray, cov: np.ndarray) -> float:
    return float(np.sqrt(max(float(w @ cov @ w), 0.0)))


def _groups(
    classes: Sequence[str], sectors: Sequence[str], c: PortfolioConstraints
) -> list[tuple[str, np.ndarray, float]]:
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


def project(
    w: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    constraints: PortfolioConstraints,
) -> np.ndarray:
    """Enforce every hard cap in one pass (each step only shrinks the weights).

    Parameters
    ----------
    w : np.ndarray of shape (n_assets,)
    cov : np.ndarray of shape (n_assets, n_assets)
        Annualised covariance of daily returns.
    classes, sectors : sequence of str, length n_assets
    constraints : PortfolioConstraints

    Returns
    -------
    np.ndarray of shape (n_assets,)
    """
    c = constraints
    shrink = 1.0 - 1e-12  # land just inside each cap despite rounding
    w = np.clip(w, -c.max_position, c.max_position)
    for _, mask, cap in _groups(classes, sectors, c):
        g = float(np.abs(w[mask]).sum())
        if g > cap:
            w[mask] *= cap / g * shrink
    g = float(np.abs(w).sum())
    if g > c.max_gross:
        w = w * (c.max_gross / g * shrink)
    if c.net_bounds is not None:
        lo, hi = c.net_bounds
        net = float(w.sum())
        if net > hi:
            pos = w > 0
            w[pos] *= max(1.0 - (net - hi) / float(w[pos].sum()), 0.0) * shrink
        elif net < lo:
            neg = w < 0
            w[neg] *= max(1.0 - (lo - net) / float(-w[neg].sum()), 0.0) * shrink
    v = _vol(w, cov)
    if v > c.vol_target:
        w = w * (c.vol_target / v * shrink)
    return w


def check_constraints(
    w: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    constraints: PortfolioConstraints,
    tol: float = TOL,
) -> dict[str, bool]:
    """Whether each hard cap holds (``True``) for weights ``w``.

    Keys: ``max_position``, ``class:<c>``, ``sector:<s>``, ``max_gross``,
    ``net_bounds``, ``vol_ceiling``.
    """
    c = constraints
    out = {"max_position": bool(np.all(np.abs(w) <= c.max_position + tol))}
    for name, mask, cap in _groups(classes, sectors, c):
        out[name] = bool(np.abs(w[mask]).sum() <= cap + tol)
    out["max_gross"] = bool(np.abs(w).sum() <= c.max_gross + tol)
    if c.net_bounds is not None:
        net = float(w.sum())
        out["net_bounds"] = bool(c.net_bounds[0] - tol <= net <= c.net_bounds[1] + tol)
    out["vol_ceiling"] = bool(_vol(w, cov) <= c.vol_target * (1 + 1e-7) + tol)
    return out


def _active_classes(w: np.ndarray, classes: np.ndarray, share: float) -> list[str]:
    gross = float(np.abs(w).sum())
    if gross <= 0:
        return []
    return [str(k) for k in dict.fromkeys(classes) if np.abs(w[classes == k]).sum() >= share * gross - TOL]


def _binding(
    w: np.ndarray, cov: np.ndarray, classes: Sequence[str], sectors: Sequence[str], c: PortfolioConstraints
) -> list[str]:
    rel = 1e-6
    out = []
    if np.any(np.abs(w) >= c.max_position * (1 - rel)):
        out.append("max_position")
    for name, mask, cap in _groups(classes, sectors, c):
        if np.abs(w[mask]).sum() >= cap * (1 - rel):
            out.append(name)
    if np.abs(w).sum() >= c.max_gross * (1 - rel):
        out.append("max_gross")
    if c.net_bounds is not None:
        net = float(w.sum())
        if c.net_bounds[1] < np.inf and net >= c.net_bounds[1] - rel and np.any(w > 0):
            out.append("net_upper")
        if net <= c.net_bounds[0] + rel and np.any(w < 0):
            out.append("net_lower")
    if _vol(w, cov) >= c.vol_target * (1 - 1e-3):
        out.append("vol_target")
    return out


def construct_weights(
    signal: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    constraints: PortfolioConstraints,
    class_tilt: np.ndarray | None = None,
    slow_trend: np.ndarray | None = None,
    trend_alignment: float = 1.0,
    benchmark: np.ndarray | None = None,
    benchmark_blend: float = 0.0,
    max_iter: int = 60,
) -> ConstructionResult:
    """Signals to weights that meet every hard cap, aiming at the vol target.

    Steps: (1) signals against the slow trend are multiplied by
    ``trend_alignment``; (2) risk weights ``s_i / sigma_i`` (each unit of
    signal brings the same vol) times the class tilt; (3) minimum active
    classes: inactive classes with a signal are raised to ``1.25 x
    min_class_share`` of the gross; (4) scaled to the vol target and blended
    with the static ``benchmark`` allocation; (5) scale up to the vol target
    and :func:`project`, repeatedly, until the vol target is met or no
    progress is made.

    Parameters
    ----------
    signal : np.ndarray of shape (n_assets,)
        In [-1, 1]; NaN means not investable (weight 0).
    cov : np.ndarray of shape (n_assets, n_assets)
        Annualised covariance (causal, e.g. EWMA of past returns); an asset
        with a NaN or non-positive variance gets weight 0.
    classes, sectors : sequence of str, length n_assets
    constraints : PortfolioConstraints
    class_tilt : np.ndarray of shape (n_assets,), optional
        Multiplier per asset (of its class), e.g. ``1 + 0.25 x score``.
    slow_trend : np.ndarray of shape (n_assets,), optional
        Slow causal trend signal; only its sign is used.
    trend_alignment : float, default 1.0
        Multiplier of signals whose sign disagrees with the slow trend.
    benchmark : np.ndarray of shape (n_assets,), optional
        Static allocation (decimal of NAV).
    benchmark_blend : float, default 0.0
        Its share in the blend ``(1 - b) active + b benchmark``.
    max_iter : int, default 60

    Returns
    -------
    ConstructionResult
    """
    c = constraints
    n = len(signal)
    cls = np.asarray(classes, dtype=object)
    var = np.diag(cov).astype("float64") if n else np.zeros(0)
    ok = np.isfinite(signal) & np.isfinite(var) & (var > 0)
    cov = np.where(np.outer(ok, ok), np.nan_to_num(cov), 0.0)
    s = np.where(ok, np.nan_to_num(signal), 0.0).clip(-1.0, 1.0)
    if slow_trend is not None:
        st = np.sign(np.nan_to_num(slow_trend))
        against = (np.sign(s) * st) < 0
        s = np.where(against, s * trend_alignment, s)
    sigma = np.sqrt(np.where(ok, var, 1.0))
    w = np.where(ok, s / sigma, 0.0)
    if class_tilt is not None:
        w = w * np.where(np.isfinite(class_tilt), class_tilt, 1.0)
    notes: list[str] = []

    # minimum number of active classes: raise inactive classes that have a signal
    if c.min_active_classes > 0 and np.abs(w).sum() > 0:
        active = _active_classes(w, cls, c.min_class_share)
        need = c.min_active_classes - len(active)
        if need > 0:
            candidates = [
                k
                for k in dict.fromkeys(cls)
                if k not in active and np.abs(w[cls == k]).sum() > 0 and c.class_caps.get(str(k), 1.0) > 0
            ]
            candidates.sort(key=lambda k: -float(np.abs(s[cls == k]).sum()))
            d = min(1.25 * c.min_class_share, 0.99)
            for k in candidates[:need]:
                mask = cls == k
                g_c = float(np.abs(w[mask]).sum())
                rest = float(np.abs(w).sum()) - g_c
                w[mask] *= d * rest / (1 - d) / g_c

    v0 = _vol(w, cov)
    if v0 > 0:
        w = w * (c.vol_target / v0)
    if benchmark is not None and benchmark_blend > 0:
        b = np.where(ok, np.nan_to_num(benchmark), 0.0)
        w = (1 - benchmark_blend) * w + benchmark_blend * b
    w = project(w.copy(), cov, classes, sectors, c)
    for _ in range(max_iter):
        v = _vol(w, cov)
        if v <= 0 or v >= c.vol_target * (1 - 1e-4):
            break
        w_new = project(w * (c.vol_target / v), cov, classes, sectors, c)
        if _vol(w_new, cov) <= v * (1 + 1e-6):
            w = w_new
            break
        w = w_new

    vol = _vol(w, cov)
    binding = _binding(w, cov, classes, sectors, c)
    unmet: list[str] = []
    if vol < c.vol_target * (1 - 1e-3):
        unmet.append("vol_target")
        caps = [b for b in binding if b != "vol_target"]
        if not np.any(w != 0):
            notes.append("vol target not met: no investable signal")
        else:
            total = sum(c.class_caps.get(str(k), np.inf) for k in dict.fromkeys(cls[ok]))
            notes.append(
                f"vol target {c.vol_target:.1%} not met (ex ante {vol:.1%}): it cannot be met together "
                f"with {', '.join(caps) or 'the signals (too few)'}"
                + (f" (class caps sum to {total:.2f} gross)" if np.isfinite(total) else "")
            )
    if c.min_active_classes > 0:
        active = _active_classes(w, cls, c.min_class_share)
        if len(active) < c.min_active_classes:
            unmet.append("min_active_classes")
            with_signal = sorted({str(k) for k in cls[ok & (s != 0)]})
            notes.append(
                f"min_active_classes {c.min_active_classes} not met: {len(active)} active "
                f"({', '.join(active) or 'none'}); classes with a signal: {', '.join(with_signal) or 'none'}"
                + (
                    "; the net bound or caps trimmed the rest"
                    if len(with_signal) >= c.min_active_classes
                    else ""
                )
            )
    return ConstructionResult(
        weights=w, vol=vol, binding=tuple(binding), unmet=tuple(unmet), message="; ".join(notes)
    )
