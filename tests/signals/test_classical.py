from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmomentum.exceptions import ConfigError
from deepmomentum.signals import TSMOM, LongOnly, get_strategy, list_strategies
from tests.conftest import random_prices


def test_long_only() -> None:
    p = random_prices()
    sig = LongOnly().signal(p)
    assert (sig.stack().dropna() == 1.0).all()
    assert sig["A3"].iloc[:300].isna().all()


def test_tsmom_sign_hand() -> None:
    p = pd.DataFrame({"a": [100.0, 90.0, 95.0, 120.0]})
    sig = TSMOM(lookback=2).signal(p)["a"]
    assert np.isnan(sig.iloc[1])
    assert sig.iloc[2] == -1.0  # 95 < 100
    assert sig.iloc[3] == 1.0  # 120 > 90


def test_registry() -> None:
    assert list_strategies() == ["long_only", "tsmom", "macd"]
    for name in list_strategies():
        s = get_strategy(name)
        sig = s.signal(random_prices())
        assert sig.abs().max().max() <= 1.0
    with pytest.raises(ConfigError, match="unknown strategy 'foo'; choose from long_only, tsmom, macd"):
        get_strategy("foo")
