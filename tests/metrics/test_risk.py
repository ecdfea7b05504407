"""Tail, benchmark-relative and rolling measures against empyrical-reloaded, and the Sharpe interval."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepmomentum import metrics as m


@pytest.fixture(params=[0, 1, 2])
def pair(request: pytest.FixtureRequest) -> tuple[pd.Series, pd.Series]:
    """A fat-tailed strategy and a reference correlated with it, 1000 business days."""
    gen = np.random.default_rng(request.param)
    idx = pd.bdate_range("2015-01-01", periods=1000)
    ref = pd.Series(gen.standard_t(4, 1000) * 0.01, index=idx)
    strat = pd.Series(0.0003 + 0.4 * ref + gen.normal(0, 0.006, 1000), index=idx)
    return strat, ref


def test_tail_measures_against_empyrical(pair: tuple[pd.Series, pd.Series]) -> None:
    r, _ = pair
    assert m.value_at_risk(r) == pytest.approx(empyrical.value_at_risk(r), abs=1e-12)
    assert m.conditional_value_at_risk(r) == pytest.approx(empyrical.conditional_value_at_risk(r), abs=1e-12)
    assert m.tail_ratio(r) == pytest.approx(empyrical.tail_ratio(r), abs=1e-12)
    assert m.value_at_risk(r) < 0 and m.conditional_value_at_risk(r) < m.value_at_risk(r)


def test_kurtosis_is_excess_like_quantstats(pair: tuple[pd.Series, pd.Series]) -> None:
    r, _ = pair
    # quantstats.stats.kurtosis is pandas' kurt: bias-corrected excess kurtosis
    assert m.kurtosis(r) == pytest.approx(stats.kurtosis(r, fisher=True, bias=False), abs=1e-12)
    normal = np.random.default_rng(7).normal(size=200_000)
    assert abs(m.kurtosis(normal)) < 0.05  # excess: 0 for a normal law


def test_alpha_beta_ir_against_empyrical(pair: tuple[pd.Series, pd.Series]) -> None:
    r, ref = pair
    alpha, beta = m.alpha_beta(r, ref)
    e_alpha, e_beta = empyrical.alpha_beta(r, ref)
    assert beta == pytest.approx(e_beta, abs=1e-12) and beta == pytest.approx(0.4, abs=0.05)
    assert alpha == pytest.approx(e_alpha, abs=1e-12)
    assert m.information_ratio(r, ref) == pytest.approx(
        empyrical.excess_sharpe(r, ref) * np.sqrt(252), abs=1e-12
    )


def test_alpha_beta_align_on_dates(pair: tuple[pd.Series, pd.Series]) -> None:
    r, ref = pair
    shifted = r.copy()
    shifted.iloc[:100] = np.nan
    alpha, beta = m.alpha_beta(shifted, ref.iloc[50:])
    e_alpha, e_beta = empyrical.alpha_beta(r.iloc[100:], ref.iloc[100:])
    assert (alpha, beta) == pytest.approx((e_alpha, e_beta), abs=1e-12)


def test_rolling_against_empyrical(pair: tuple[pd.Series, pd.Series]) -> None:
    r, ref = pair
    vol = m.rolling_volatility(r)
    e_vol = empyrical.roll_annual_volatility(r, 126)
    assert vol.isna().sum() == 125 and vol.index.equals(r.index)
    np.testing.assert_allclose(vol.dropna().to_numpy(), np.asarray(e_vol), atol=1e-12)
    beta = m.rolling_beta(r, ref)
    e_beta = empyrical.roll_beta(r, ref, 126)
    np.testing.assert_allclose(beta.dropna().to_numpy(), np.asarray(e_beta), atol=1e-10)


def test_rolling_beta_is_causal(pair: tuple[pd.Series, pd.Series]) -> None:
    r, ref = pair
    full = m.rolling_beta(r, ref)
    cut = m.rolling_beta(r.iloc[:600], ref.iloc[:600])
    pd.testing.assert_series_equal(full.iloc[:600], cut)


def test_top_drawdowns_hand_example() -> None:
    idx = pd.bdate_range("2020-01-01", periods=9)
    # up, fall 20% over two days, recover, small dip (-5%), recover, fall -10% not recovered
    r = pd.Series([0.1, -0.1, -1 / 9, 0.25, -0.05, 0.06, -0.1, 0.0, 0.0], index=idx)
    table = m.top_drawdowns(r, n=5)
    assert list(table.columns) == ["peak", "trough", "recovery", "depth", "days", "recovered"]
    assert len(table) == 3
    worst = table.iloc[0]
    assert worst["peak"] == idx[0] and worst["trough"] == idx[2] and worst["recovery"] == idx[3]
    assert worst["depth"] == pytest.approx(-0.2) and worst["days"] == 3 and worst["recovered"]
    assert table.iloc[1]["depth"] == pytest.approx(-0.1)
    assert pd.isna(table.iloc[1]["recovery"]) and not table.iloc[1]["recovered"]
    assert table.iloc[1]["days"] == 3  # from the peak (day 5) to the last date (day 8)
    assert table.iloc[2]["depth"] == pytest.approx(-0.05) and table.iloc[2]["days"] == 2


def test_top_drawdowns_worst_is_max_drawdown(pair: tuple[pd.Series, pd.Series]) -> None:
    r, _ = pair
    table = m.top_drawdowns(r)
    assert len(table) == 5 and table["depth"].is_monotonic_increasing
    assert table["depth"].iloc[0] == pytest.approx(empyrical.max_drawdown(r), abs=1e-12)
    assert (table["peak"] <= table["trough"]).all()
    rec = table.dropna(subset=["recovery"])
    assert (rec["trough"] < rec["recovery"]).all()


# ---------------------------------------------------------------- Sharpe CI
def test_sharpe_interval_is_centred_on_empyrical(pair: tuple[pd.Series, pd.Series]) -> None:
    r, _ = pair
    ci = m.sharpe_interval(r, level=0.9)
    assert ci.sharpe == pytest.approx(empyrical.sharpe_ratio(r), abs=1e-9)
    assert ci.low < ci.sharpe < ci.high and ci.level == 0.9
    assert (ci.sharpe - ci.low) == pytest.approx(ci.high - ci.sharpe)


def test_sharpe_standard_error_normal_case() -> None:
    # for normal returns the formula reduces to Lo (2002): sqrt((1 + SR^2 / 2) / n)
    r = np.random.default_rng(3).normal(0.05, 1.0, 400_000)
    sr, se = m.sharpe_standard_error(r)
    assert se == pytest.approx(np.sqrt((1 + sr**2 / 2) / r.size), rel=1e-3)


def test_sharpe_standard_error_matches_monte_carlo() -> None:
    """Skewed, fat-tailed returns: the formula's SE equals the spread of SR over many samples."""
    gen = np.random.default_rng(11)
    n, n_sims = 500, 4000
    # a shifted log-normal: skew ~ 2, excess kurtosis ~ 9; per-period SR ~ 0.2
    draws = np.exp(gen.normal(0.0, 0.5, size=(n_sims, n)))
    draws = draws - np.exp(0.125) + 0.2 * np.sqrt((np.exp(0.25) - 1) * np.exp(0.25))
    sample_sr = draws.mean(axis=1) / draws.std(axis=1, ddof=1)
    mc_se = float(np.std(sample_sr))
    formula = np.median([m.sharpe_standard_error(row)[1] for row in draws[:400]])
    normal_se = np.sqrt((1 + 0.5 * 0.2**2) / n)
    assert formula == pytest.approx(mc_se, rel=0.1)
    assert abs(normal_se - mc_se) > 0.1 * mc_se  # the normal formula would miss it
    # coverage of the 90% interval
    true_sr = 0.2
    covered = [
        (ci.low <= true_sr * np.sqrt(252) <= ci.high)
        for ci in (m.sharpe_interval(row) for row in draws[:1000])
    ]
    assert np.mean(covered) == pytest.approx(0.9, abs=0.035)


def test_sharpe_interval_degenerate() -> None:
    ci = m.sharpe_interval(np.array([0.01, 0.01, 0.01, 0.01]))
    assert np.isnan(ci.sharpe) and np.isnan(ci.low)
