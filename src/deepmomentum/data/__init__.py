"""Instruments, price panels, loaders and the synthetic demo data."""

from deepmomentum.data._loader import (
    DEFAULT_MAX_CARRY_DAYS,
    DEFAULT_MIN_HISTORY,
    align_prices,
    load_data_dir,
    read_price_file,
    read_universe,
)
from deepmomentum.data._market import MarketData
from deepmomentum.data._synthetic import SYNTHETIC_SEED, make_synthetic_market
from deepmomentum.data._universe import AssetClass, Instrument, Role, Universe

__all__ = [
    "DEFAULT_MAX_CARRY_DAYS",
    "DEFAULT_MIN_HISTORY",
    "SYNTHETIC_SEED",
    "AssetClass",
    "Instrument",
    "MarketData",
    "Role",
    "Universe",
    "align_prices",
    "load_data_dir",
    "make_synthetic_market",
    "read_price_file",
    "read_universe",
]
