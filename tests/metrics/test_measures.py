from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

from deepmomentum import metrics as m


@pytest.fixture(params=[0, 1, 2])
def returns(request: pytest.FixtureRequest) -> pd.Series:
    gen = np.random.default_rng(request.param)
    idx = pd.bdate_range("2015-01-01", periods=1000)
    return pd.Series(gen.normal(0.0004, 0.011, 1000), index=idx)


def test_against_empyrical(returns: pd.Series) -> None:
    assert m.sharpe_ratio(returns) == pytest.approx(empyrical.sharpe_ratio(returns), abs=1e-9)
    assert m.sharpe_ratio(returns, risk_free=0.0001) == pytest.approx(
        empyrical.sharpe_ratio(returns, risk_free=0.0001), abs=1e-9
    )
    assert m.annual_return(returns) == pytest.approx(empyrical.annual_return(returns), abs=1e-9)
    assert m.annual_volatility(returns) == pytest.approx(empyrical.annual_volatility(returns), abs=1e-9)
    assert m.sortino_ratio(returns) == pytest.approx(empyrical.sortino_ratio(returns), abs=1e-9)
    assert m.max_drawdown(returns) == pytest.approx(empyrical.max_drawdown(returns), abs=1e-9)
    assert m.calmar_ratio(returns) == pytest.approx(empyrical.calmar_ratio(returns), abs=1e-9)


def test_nan_ignored_like_empyrical(returns: pd.Series) -> None:
    r = returns.copy()
    r.iloc[:50] = np.nan
    assert m.sharpe_ratio(r) == pytest.approx(empyrical.sharpe_ratio(r), abs=1e-9)
    assert m.annual_return(r) == pytest.approx(empyrical.annual_return(r.dropna()), abs=1e-9)


def test_hand_values() -> None:
    r = pd.Series([0.1, -0.5, 0.2])
    assert m.max_drawdown(r) == pytest.approx(-0.5)
    assert m.pct_positive(r) == pytest.approx(2 / 3)
    assert m.max_drawdown(pd.Series([-0.1])) == pytest.approx(-0.1)  # counts from the start
    dd = m.drawdown_series(pd.Series([0.1, -0.5, 0.2]))
    assert dd.tolist() == pytest.approx([0.0, -0.5, -0.4])


def test_summary_columns_and_corr(returns: pd.Series) -> None:
    frame = pd.DataFrame({"a": returns, "b": -returns})
    out = m.performance_summary(frame, reference=returns, turnover={"a": 3.0})
    assert list(out.columns) == list(m.METRIC_NAMES)
    assert out.loc["a", "corr_ref"] == pytest.approx(1.0)
    assert out.loc["b", "corr_ref"] == pytest.approx(-1.0)
    assert out.loc["a", "turnover"] == 3.0
    assert np.isnan(out.loc["b", "turnover"])
