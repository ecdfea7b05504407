"""Readable axes and line styles shared by the plotly and matplotlib figures.

- :func:`percent_axis`: a tick step and a format with enough decimals that
  neighbouring labels never read the same ("0.0% 0.0% 0.1%");
- :func:`log_ticks`: explicit ticks for a log axis of growth of 1 (0.5, 0.75,
  1, 1.5, 2, 3, ...), never plotly's bare mantissas ("9 8 7 6 5");
- :func:`dash_pattern`: one distinct dash pattern per cost level, however
  many levels a run has;
- :data:`DIVERGING_NEUTRAL`: a colour scale for signed measures (skew,
  correlation, beta) whose sign is not good or bad.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DIVERGING_NEUTRAL",
    "dash_pattern",
    "diverging_colour",
    "log_ticks",
    "percent_axis",
    "percent_format",
    "plotly_dash",
]

#: Purple (negative) to white to teal (positive): no red or green, no verdict.
DIVERGING_NEUTRAL: tuple[tuple[float, str], ...] = (
    (0.0, "#6a51a3"),
    (0.25, "#bcbddc"),
    (0.5, "#f7f7f7"),
    (0.75, "#99d8c9"),
    (1.0, "#1c7f7a"),
)

_LOG_CANDIDATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5)


def _finite(values: object) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    return arr[np.isfinite(arr)]


def _nice_step(span: float, n_ticks: int) -> float:
    raw = span / max(n_ticks, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= mult * power:
            return mult * power
    return 10.0 * power


def percent_axis(values: object, n_ticks: int = 6) -> dict[str, object]:
    """Tick step and format for an axis of decimals shown as percentages.

    Parameters
    ----------
    values : array-like
        The data on the axis (decimals; NaN ignored).
    n_ticks : int, default 6
        About how many ticks to show.

    Returns
    -------
    dict
        ``{"dtick": step, "tickformat": ".<d>%"}`` for plotly, where ``d`` is
        the number of decimals needed to tell two ticks ``step`` apart.
    """
    arr = _finite(values)
    span = float(arr.max() - arr.min()) if arr.size else 0.0
    if span <= 0:
        span = max(abs(float(arr.max())) if arr.size else 0.0, 1e-4)
    step = _nice_step(span, n_ticks)
    decimals = max(0, math.ceil(-math.log10(step * 100) - 1e-9))
    # a step of 2.5 units of the last decimal needs one more decimal
    if abs(round(step * 100 * 10**decimals) - step * 100 * 10**decimals) > 1e-6:
        decimals += 1
    return {"dtick": step, "tickformat": f".{decimals}%"}


def percent_format(arrays: Sequence[object]) -> str:
    """A plotly ``tickformat`` for a percentage axis whose traces are switched by the chooser.

    Plotly picks the ticks (the range changes with the selected variant), so
    the format carries enough decimals for the narrowest trace at a fine tick
    spacing, with ``~`` dropping trailing zeros ("1.5%", "2%", never "0.0% 0.0%").

    Parameters
    ----------
    arrays : list of array-like
        The data of each trace, decimals.
    """
    decimals = 0
    for values in arrays:
        if _finite(values).size:
            fmt = str(percent_axis(values, n_ticks=12)["tickformat"])
            decimals = max(decimals, int(fmt[1:-1]))
    return f".{decimals}~%"


def log_ticks(values: object) -> tuple[list[float], list[str]]:
    """Tick values and labels for a log axis of growth of 1.

    Parameters
    ----------
    values : array-like
        The positive data on the axis (NaN ignored).

    Returns
    -------
    tickvals : list of float
        From the 1-2-3-5 family (0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, ...), within the data range.
    ticktext : list of str
        The same numbers, written plainly (``"0.75"``, ``"1.5"``, ``"20"``).
    """
    arr = _finite(values)
    arr = arr[arr > 0]
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.5, 2.0)
    ticks = [c * 10.0**k for k in range(-2, 5) for c in _LOG_CANDIDATES]
    inside = sorted({round(t, 6) for t in ticks if lo / 1.05 <= t <= hi * 1.05})
    # keep about eight: drop every other candidate while there are too many
    while len(inside) > 9:
        keep = inside[::2]
        if 1.0 in inside and 1.0 not in keep:
            keep = sorted({*keep, 1.0})
        inside = keep
    if not inside:
        inside = [round(lo, 3), round(hi, 3)]
    return inside, [f"{t:g}" for t in inside]


def dash_pattern(k: int) -> list[float]:
    """On/off lengths (in line widths) of the ``k``-th cost level's dash; ``[]`` is solid.

    The first eight are hand-picked and easy to tell apart; later ones grow
    the dash length, so that no two levels share a pattern.
    """
    fixed: tuple[list[float], ...] = (
        [],
        [6, 3],
        [1.5, 2.5],
        [8, 3, 1.5, 3],
        [14, 4],
        [14, 3, 1.5, 3, 1.5, 3],
        [3, 5],
        [10, 2, 3, 2],
    )
    if k < len(fixed):
        return list(fixed[k])
    return [float(4 + 2 * (k - len(fixed))), 2.0, 1.0, 2.0, 1.0, 2.0]


def plotly_dash(pattern: list[float], width: float = 1.8) -> str:
    """A :func:`dash_pattern` as plotly's ``dash`` string (``"solid"`` or ``"11px,5px"``)."""
    if not pattern:
        return "solid"
    return ",".join(f"{max(1, round(v * width))}px" for v in pattern)


def diverging_colour(value: float, limit: float) -> str:
    """Background colour of a signed measure on :data:`DIVERGING_NEUTRAL`, ``limit`` at the ends."""
    if not math.isfinite(value) or limit <= 0:
        return "#ffffff"
    pos = 0.5 + 0.5 * max(-1.0, min(1.0, value / limit))
    stops = DIVERGING_NEUTRAL
    for (p0, c0), (p1, c1) in itertools.pairwise(stops):
        if pos <= p1:
            t = (pos - p0) / (p1 - p0)
            rgb = [round(int(c0[i : i + 2], 16) * (1 - t) + int(c1[i : i + 2], 16) * t) for i in (1, 3, 5)]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return stops[-1][1]
