"""Static PNG copies of the main figures, drawn with matplotlib (optional dependency).

matplotlib is imported lazily with the non-interactive Agg backend, so that
``import deepmomentum.report`` never needs it (install the ``png`` extra).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.exceptions import DeepMomentumError
from deepmomentum.report._analysis import Analysis, parse_variant
from deepmomentum.report._axes import log_ticks, percent_axis
from deepmomentum.report._figures import style_for
from deepmomentum.report._figures_risk import VOL_TARGET
from deepmomentum.run._layout import FIGURE_NAMES

__all__ = ["PNG_NAMES", "write_pngs"]

#: File names written into ``RUN_DIR/figures/``.
PNG_NAMES = FIGURE_NAMES
EQUITY, DRAWDOWNS, ROLLING_SHARPE, SHARPE_VS_COST = FIGURE_NAMES


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise DeepMomentumError(
            "--png needs matplotlib: pip install 'deepmomentum[png]' (or drop --png)"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _at_cost(frame: pd.DataFrame, cost: float | None, keep: list[str]) -> pd.DataFrame:
    """Columns at the cost level, and ``keep`` (benchmarks): the same lines as the page shows first."""
    cols = []
    for c in frame.columns:
        parsed = parse_variant(str(c))
        if str(c) in keep or cost is None or parsed is None or math.isclose(parsed[1], cost):
            cols.append(c)
    return frame[cols]


def _lines(ax: Any, frame: pd.DataFrame, styles: dict[str, dict[str, Any]]) -> None:
    for name in frame.columns:
        st = styles.get(str(name), {"color": "black", "pattern": []})
        pattern = st.get("pattern") or []
        ax.plot(
            frame.index,
            frame[name].to_numpy(dtype="float64"),
            label=str(name),
            color=st["color"],
            linestyle=(0, tuple(pattern)) if pattern else "-",
            linewidth=1.1,
        )


def _finish(fig: Any, ax: Any, title: str, path: Path, legend: bool = True) -> None:
    """Title, grid, a legend below the axes, saved with every artist inside the image."""
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        ncol = min(4, max(1, len(labels)))
        ax.legend(
            handles,
            labels,
            fontsize=8,
            ncol=ncol,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            frameon=False,
            handlelength=4,
        )
    fig.savefig(path, dpi=120, bbox_inches="tight", pad_inches=0.15)


def _log_axis(ax: Any, frame: pd.DataFrame, plt: Any) -> None:
    ax.set_yscale("log")
    vals, text = log_ticks(frame.to_numpy())
    ax.yaxis.set_major_locator(plt.FixedLocator(vals))
    ax.yaxis.set_major_formatter(plt.FixedFormatter(text))
    ax.yaxis.set_minor_formatter(plt.NullFormatter())


def write_pngs(an: Analysis, folder: Path, title_prefix: str = "", cost: float | None = None) -> list[Path]:
    """Write the equity, drawdown, rolling-Sharpe and Sharpe-vs-cost figures as PNG.

    Parameters
    ----------
    an : Analysis
    folder : Path
        Output folder (created), normally ``RUN_DIR/figures``.
    title_prefix : str
        Prepended to every title (``"SYNTHETIC DATA - "`` for generated data).
    cost : float, optional
        Cost level (bp) of the variants drawn (with the benchmarks); all when None.

    Returns
    -------
    list of Path
        The files written.
    """
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    bench_frame = an.benchmarks()
    bench = [] if bench_frame is None else [str(c) for c in bench_frame.columns]
    styles = style_for(an.run.variants, bench)
    at = "" if cost is None else f" at {cost:g} bp"
    ref = [an.run.reference_name] if an.run.reference_name else []
    specs = (
        (
            EQUITY,
            _at_cost(an.vol_matched_wealth(VOL_TARGET), cost, bench),
            f"Equity curves{at}, ex post vol-matched to {VOL_TARGET:.0%}: not implementable (log scale)",
        ),
        (DRAWDOWNS, _at_cost(an.drawdowns(), cost, ref), f"Drawdowns{at}"),
        (ROLLING_SHARPE, _at_cost(an.rolling_sharpe(), cost, ref), f"Rolling 1-year Sharpe{at}"),
    )
    written: list[Path] = []
    for name, frame, title in specs:
        fig, ax = plt.subplots(figsize=(11, 5))
        try:
            _lines(ax, frame, styles)
            if name == EQUITY:
                _log_axis(ax, frame, plt)
            if name == DRAWDOWNS:
                fmt = percent_axis(frame.to_numpy())["tickformat"]
                ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda y, _, f=fmt: format(y, str(f)[1:])))
            _finish(fig, ax, title_prefix + title, folder / name)
        finally:
            plt.close(fig)
        written.append(folder / name)

    fig, ax = plt.subplots(figsize=(8, 5))
    try:
        for strategy, curve in an.sharpe_by_cost().items():
            first = next(v for v in an.run.variants if v.split("@", 1)[0] == strategy)
            ax.plot(curve.index, curve.to_numpy(), marker="o", label=strategy, color=styles[first]["color"])
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xlabel("cost per unit of traded notional (bp)")
        ax.set_ylabel("Sharpe ratio (net)")
        _finish(fig, ax, title_prefix + "Sharpe ratio against cost", folder / SHARPE_VS_COST)
    finally:
        plt.close(fig)
    written.append(folder / SHARPE_VS_COST)
    return written
