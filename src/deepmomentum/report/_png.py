"""Static PNG copies of the main figures, drawn with matplotlib (optional dependency).

matplotlib is imported lazily with the non-interactive Agg backend, so that
``import deepmomentum.report`` never needs it (install the ``png`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from deepmomentum.exceptions import DeepMomentumError
from deepmomentum.report._analysis import Analysis
from deepmomentum.report._figures import style_for

__all__ = ["PNG_NAMES", "write_pngs"]

#: File names written into ``RUN_DIR/figures/``.
PNG_NAMES = ("equity.png", "drawdowns.png", "rolling_sharpe.png", "sharpe_vs_cost.png")


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


def _lines(ax: Any, frame: pd.DataFrame, styles: dict[str, dict[str, str]]) -> None:
    dash = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-.", "longdash": "--", "longdashdot": "-."}
    for name in frame.columns:
        st = styles.get(str(name), {"color": "black", "dash": "solid"})
        ax.plot(
            frame.index,
            frame[name].to_numpy(dtype="float64"),
            label=str(name),
            color=st["color"],
            linestyle=dash.get(st["dash"], "-"),
            linewidth=1.0,
        )


def _finish(fig: Any, ax: Any, title: str, path: Path, legend: bool = True) -> None:
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_pngs(an: Analysis, folder: Path, title_prefix: str = "") -> list[Path]:
    """Write the equity, drawdown, rolling-Sharpe and Sharpe-vs-cost figures as PNG.

    Parameters
    ----------
    an : Analysis
    folder : Path
        Output folder (created), normally ``RUN_DIR/figures``.
    title_prefix : str
        Prepended to every title (``"SYNTHETIC DATA - "`` for generated data).

    Returns
    -------
    list of Path
        The files written.
    """
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    bench = an.benchmarks()
    styles = style_for(an.run.variants, [] if bench is None else [str(c) for c in bench.columns])
    written: list[Path] = []
    specs = (
        ("equity.png", an.wealth(), "Equity curves, net of costs (log scale)", True),
        ("drawdowns.png", an.drawdowns(), "Drawdowns", False),
        ("rolling_sharpe.png", an.rolling_sharpe(), "Rolling one-year Sharpe ratio", False),
    )
    for name, frame, title, log in specs:
        fig, ax = plt.subplots(figsize=(11, 5))
        try:
            _lines(ax, frame, styles)
            if log:
                ax.set_yscale("log")
                plain = plt.FuncFormatter(lambda y, _: f"{y:g}")
                ax.yaxis.set_major_formatter(plain)
                ax.yaxis.set_minor_formatter(plain)
            if name == "drawdowns.png":
                ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda y, _: f"{y:.0%}"))
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
        _finish(fig, ax, title_prefix + "Sharpe ratio against cost", folder / "sharpe_vs_cost.png")
    finally:
        plt.close(fig)
    written.append(folder / "sharpe_vs_cost.png")
    return written
