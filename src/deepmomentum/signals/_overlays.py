"""The managed-futures signal: ML direction x magnitude, sentiment, and regime-weighted timeframes.

``short`` is the trend model's signal (with the sentiment adjustment), ``medium``
the MACD signal, ``long`` the slow 252-day trend; each regime weighs the three
(DOMAIN.md part B, "timeframe diversification with regime-specific weights").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepmomentum._warnings import warn
from deepmomentum.exceptions import DataWarning

if TYPE_CHECKING:
    from deepmomentum.config import ManagedFuturesConfig
    from deepmomentum.data import MarketData

__all__ = ["COMPONENTS", "combine_components", "ml_signal", "regime_frame", "resolve_reversal"]

COMPONENTS = ("short", "medium", "long")


def ml_signal(probability: pd.DataFrame, magnitude: pd.DataFrame, span: int = 63) -> pd.DataFrame:
    """Direction times magnitude, normalised causally, in [-1, 1].

    ``raw = (2p - 1) |m|``; ``signal = clip(raw / EWM(|raw|, span), -1, 1)``
    (EWM over past and current values only, min 10 observations).

    Parameters
    ----------
    probability, magnitude : pd.DataFrame of shape (n_days, n_assets)
        P(forward return > 0) and the predicted vol-normalised forward return.
    span : int, default 63
        EWM span of the normalisation, trading days.
    """
    raw = (2.0 * probability - 1.0) * magnitude.abs()
    scale = raw.abs().ewm(span=span, min_periods=10).mean()
    out: pd.DataFrame = (raw / scale.where(scale > 0)).clip(-1.0, 1.0)
    return out


def combine_components(
    components: dict[str, pd.DataFrame], regime: pd.Series, table: dict[str, list[float]]
) -> pd.DataFrame:
    """Regime-weighted sum of the (short, medium, long) components, shape of ``components["short"]``.

    Missing components count as 0; an ``unknown`` regime uses the average row.
    Weights of each row are normalised to sum to 1, so the result stays in [-1, 1].
    """
    rows = {k: np.asarray(v, dtype="float64") / float(np.sum(v)) for k, v in table.items()}
    avg = np.mean(np.stack(list(rows.values())), axis=0)
    labels = regime.reindex(components["short"].index).fillna("unknown").to_numpy()
    w = np.stack([rows[str(lbl)] if str(lbl) in rows else avg for lbl in labels])  # (n_days, 3)
    total = None
    for j, name in enumerate(COMPONENTS):
        part = components[name].fillna(0.0).mul(w[:, j], axis=0)
        total = part if total is None else total + part
    assert total is not None
    return total.clip(-1.0, 1.0)


def regime_frame(
    data: MarketData, macro_dir: Path | None, mf: ManagedFuturesConfig, index: pd.DatetimeIndex
) -> tuple[pd.DataFrame, str]:
    """The economic regime per day (column ``regime``) and where it came from.

    Macro (growth indicator after its release lag) with ``macro_dir``; else the
    market-implied regime, with a :class:`~deepmomentum.exceptions.DataWarning`.
    """
    from deepmomentum.signals._macro import load_macro_dir
    from deepmomentum.signals._regime import macro_regime, market_regime

    if macro_dir is None:
        msg = (
            "no --macro-dir: the economic regime is market-implied (equity 200-day trend and the "
            "TNX-IRX curve), not macro"
        )
        warn(msg, DataWarning)
        frame = market_regime(data.prices, data.reference_symbol, confirm_days=mf.regime_confirm_days)
        return frame.reindex(index), "market-implied"
    names = ["CFNAI" if mf.growth_indicator == "cfnai" else "INDPRO"]
    if mf.inflation_axis and (Path(macro_dir) / "CPIAUCSL.csv").is_file():
        names.append("CPIAUCSL")
    macro = load_macro_dir(macro_dir, names)
    return macro_regime(macro, index, mf.growth_indicator, mf.inflation_axis), f"macro:{names[0]}"


def resolve_reversal(assets: list[str], symbols: list[str]) -> tuple[str, ...]:
    """The reversal assets present: for each ``"A|B"`` spec, the first symbol in ``symbols``."""
    out = []
    for spec in assets:
        for cand in spec.split("|"):
            if cand in symbols:
                out.append(cand)
                break
    return tuple(out)
