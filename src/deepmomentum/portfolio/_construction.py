"""From signals to constrained portfolio weights (numpy, no solver).

Two readings of the asset-class budgets (``PortfolioConstraints.class_budget``):

- ``"nav_cap"``: each budget caps the class's gross ``sum |w_i|`` as a decimal
  of NAV. With the write-up's budgets the caps sum to 0.8 gross, which with a
  net bound of +-15% leaves the vol target out of reach (about 4% ex ante).
- ``"gross_share"``: the budgets are the classes' shares of the book's gross,
  normalised to sum to 1; the book is then scaled to the vol target within the
  hard caps.

The constraints split in two kinds:

- **hard caps**, closed under shrinking: ``|w_i| <= max_position``, the class
  caps (``nav_cap`` only), the commodity sector caps (decimals of NAV under
  ``nav_cap``, shares of the commodity gross under ``gross_share``), ``sum
  |w| <= max_gross``, ``net = sum w`` within ``net_bounds`` (with ``lower <=
  0 <= upper``), and ex-ante vol ``<= vol_target``. One call of
  :func:`project` satisfies all of them at once, because every step after the
  position clip only shrinks weights or scales them toward zero. They hold in
  every output, exactly (up to 1e-9).
- **targets** that may conflict with the caps: the vol target from below, a
  minimum number of active classes, and (``gross_share``) the class shares.
  The weights are scaled up toward the vol target and projected again,
  repeatedly (a water-filling: capped positions stay at their caps while the
  others grow). When the vol target is still missed, the result names the
  caps that bind: those are the constraints that cannot be met together
  with it.

The hard caps and their projection live in
:mod:`deepmomentum.portfolio._projection` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from deepmomentum.portfolio._projection import (
    TOL,
    PortfolioConstraints,
    binding_caps,
    check_constraints,
    ex_ante_vol,
    project,
)

__all__ = [
    "ConstructionResult",
    "PortfolioConstraints",
    "check_constraints",
    "class_shares",
    "construct_weights",
    "project",
]


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
    target_shares : mapping of str to float
        ``gross_share`` only: each class's target share of the gross (sums
        to 1 over the classes holding weight); empty under ``nav_cap``.
    """

    weights: np.ndarray
    vol: float
    binding: tuple[str, ...]
    unmet: tuple[str, ...]
    message: str = ""
    target_shares: Mapping[str, float] = field(default_factory=dict)


def class_shares(weights: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """Each class's share of the book's gross exposure.

    Parameters
    ----------
    weights : np.ndarray of shape (n_assets,)
        Decimal of NAV; NaN counts as 0.
    classes : sequence of str, length n_assets

    Returns
    -------
    dict of str to float
        ``sum_{i in k} |w_i| / sum_i |w_i|`` per class, in order of first
        appearance; sums to 1, or all 0 for an empty book.
    """
    a = np.abs(np.nan_to_num(np.asarray(weights, dtype="float64")))
    cls = np.asarray(classes, dtype=object)
    gross = float(a.sum())
    return {str(k): float(a[cls == k].sum()) / gross if gross > 0 else 0.0 for k in dict.fromkeys(cls)}


def _active_classes(w: np.ndarray, classes: np.ndarray, share: float) -> list[str]:
    gross = float(np.abs(w).sum())
    if gross <= 0:
        return []
    return [str(k) for k in dict.fromkeys(classes) if np.abs(w[classes == k]).sum() >= share * gross - TOL]


def _risk_weights(
    signal: np.ndarray,
    cov: np.ndarray,
    class_tilt: np.ndarray | None,
    slow_trend: np.ndarray | None,
    trend_alignment: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Signals to risk weights ``s_i / sigma_i`` (times the tilt).

    Returns ``(w, s, cov, ok)``: weights and clipped, trend-aligned signals of
    shape (n_assets,); the covariance with non-investable rows zeroed; the
    investable mask.
    """
    n = len(signal)
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
    return w, s, cov, ok


def _raise_inactive(w: np.ndarray, s: np.ndarray, cls: np.ndarray, c: PortfolioConstraints) -> np.ndarray:
    """Minimum active classes: raise inactive classes with a signal to ``1.25 x min_class_share``."""
    if c.min_active_classes <= 0 or np.abs(w).sum() <= 0:
        return w
    active = _active_classes(w, cls, c.min_class_share)
    need = c.min_active_classes - len(active)
    if need <= 0:
        return w
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
    return w


def _allocate_shares(
    w: np.ndarray, cls: np.ndarray, c: PortfolioConstraints, class_tilt: np.ndarray | None
) -> tuple[np.ndarray, dict[str, float]]:
    """``gross_share``: rescale each class to its share of the gross.

    ``w`` of shape (n_assets,). A budgeted class's share is its budget times
    its mean tilt (a uniform tilt within the class would otherwise cancel),
    normalised over the budgeted classes holding weight; unbudgeted classes
    keep their share. Returns the weights (gross unchanged) and the shares.
    """
    a = np.abs(w)
    gross = float(a.sum())
    if gross <= 0:
        return w, {}
    held = {str(k): float(a[cls == k].sum()) for k in dict.fromkeys(cls) if a[cls == k].sum() > 0}
    free = {k: g / gross for k, g in held.items() if k not in c.class_caps}
    raw = {k: float(c.class_caps[k]) for k in held if k in c.class_caps}
    if class_tilt is not None:
        tilt = np.where(np.isfinite(class_tilt), class_tilt, 1.0)
        raw = {k: b * float(tilt[(cls == k) & (a > 0)].mean()) for k, b in raw.items()}
    total = sum(raw.values())
    room = 1.0 - sum(free.values())
    shares = dict(free)
    shares.update({k: room * b / total if total > 0 else 0.0 for k, b in raw.items()})
    out = w.copy()
    for k, share in shares.items():
        out[cls == k] *= share * gross / held[k]
    return out, shares


def _scale_to_target(
    w: np.ndarray,
    cov: np.ndarray,
    classes: Sequence[str],
    sectors: Sequence[str],
    c: PortfolioConstraints,
    max_iter: int,
) -> np.ndarray:
    """Scale up toward the vol target and project, until met or stalled."""
    w = project(w.copy(), cov, classes, sectors, c)
    for _ in range(max_iter):
        v = ex_ante_vol(w, cov)
        if v <= 0 or v >= c.vol_target * (1 - 1e-4):
            break
        w_new = project(w * (c.vol_target / v), cov, classes, sectors, c)
        if ex_ante_vol(w_new, cov) <= v * (1 + 1e-6):
            w = w_new
            break
        w = w_new
    return w


def _diagnose(
    w: np.ndarray,
    cov: np.ndarray,
    s: np.ndarray,
    ok: np.ndarray,
    cls: np.ndarray,
    binding: list[str],
    c: PortfolioConstraints,
) -> tuple[list[str], list[str]]:
    """Targets missed (``unmet``) and why, in words (``notes``)."""
    unmet: list[str] = []
    notes: list[str] = []
    vol = ex_ante_vol(w, cov)
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
                + (
                    f" (class caps sum to {total:.2f} gross)"
                    if np.isfinite(total) and c.class_budget == "nav_cap"
                    else ""
                )
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
    return unmet, notes


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
    min_class_share`` of the gross; (4) ``gross_share`` only: each class is
    rescaled to its budget's share of the gross; (5) scaled to the vol target
    and blended with the static ``benchmark`` allocation; (6) scale up to the
    vol target and :func:`project`, repeatedly, until the vol target is met
    or no progress is made.

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
        Under ``gross_share`` the class's mean tilt multiplies its budget.
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
    cls = np.asarray(classes, dtype=object)
    w, s, cov, ok = _risk_weights(signal, cov, class_tilt, slow_trend, trend_alignment)
    w = _raise_inactive(w, s, cls, c)
    shares: dict[str, float] = {}
    if c.class_budget == "gross_share":
        w, shares = _allocate_shares(w, cls, c, class_tilt)
    v0 = ex_ante_vol(w, cov)
    if v0 > 0:
        w = w * (c.vol_target / v0)
    if benchmark is not None and benchmark_blend > 0:
        b = np.where(ok, np.nan_to_num(benchmark), 0.0)
        w = (1 - benchmark_blend) * w + benchmark_blend * b
    w = _scale_to_target(w, cov, classes, sectors, c, max_iter)
    binding = binding_caps(w, cov, classes, sectors, c)
    unmet, notes = _diagnose(w, cov, s, ok, cls, binding, c)
    return ConstructionResult(
        weights=w,
        vol=ex_ante_vol(w, cov),
        binding=tuple(binding),
        unmet=tuple(unmet),
        message="; ".join(notes),
        target_shares=shares,
    )
