from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def etf_dir() -> Path:
    path = SHARED_DATA / "etf"
    if not (path / "universe.csv").is_file():
        pytest.skip(f"shared ETF data not found at {path} (CI always has it)")
    return path


@pytest.fixture(scope="session")
def macro_dir() -> Path:
    path = SHARED_DATA / "macro"
    if not path.is_dir():
        pytest.skip(f"shared macro data not found at {path}")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


def random_prices(n_days: int = 800, n_assets: int = 4, seed: int = 42) -> pd.DataFrame:
    """Random-walk prices on business days, with a late starter."""
    gen = np.random.default_rng(seed)
    idx = pd.bdate_range("2010-01-01", periods=n_days, name="date")
    rets = gen.normal(0.0003, 0.01, size=(n_days, n_assets))
    prices = 100 * np.cumprod(1 + rets, axis=0)
    frame = pd.DataFrame(prices, index=idx, columns=[f"A{i}" for i in range(n_assets)])
    frame.iloc[:300, -1] = np.nan
    return frame
