"""PSR, DSR and stationary-bootstrap intervals: published example, independent computations, simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.signal import lfilter

from deepmomentum.metrics import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    optimal_block_length,
    paired_sharpe_difference_interval,
    probabilistic_sharpe_ratio,
    psr_from_moments,
    sharpe_bootstrap_interval,
    sharpe_inference,
    sharpe_standard_error,
    stationary_bootstrap_indices,
)
from deepmomentum.run._folder import RunFolder
from deepmomentum.run._significance import benchmark_pairs, run_inference, trial_counts


def _ar1(n: int, phi: float, rng: np.random.Generator, burn: int = 100) -> np.ndarray:
    """Unit-innovation AR(1) noise of length ``n`` (stationary after the burn-in)."""
    return np.asarray(lfilter([1.0], [1.0, -phi], rng.standard_normal(n + burn))[burn:])


# --- PSR and DSR -----------------------------------------------------------------------------


def test_dsr_matches_the_published_numerical_example() -> None:
    # Bailey & López de Prado (2014), "The deflated Sharpe ratio", numerical example: N = 100 trials,
    # V[SR_n] = 1/2 annualised, T = 1250 daily returns (5 years of 250 days), annualised SR 2.5,
    # skewness -3, kurtosis 10 -> SR0 = 0.1132 per day and DSR = 0.9004 (4 digits as printed).
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    assert sr0 * np.sqrt(250) == pytest.approx(1.7894, abs=5e-4)  # annualised
    dsr = psr_from_moments(2.5 / np.sqrt(250), 1250, skew=-3.0, kurtosis=10.0, benchmark=sr0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_max_sharpe_against_monte_carlo() -> None:
    # E[max of N standard normals] by simulation; the paper's approximation is within ~1% at N >= 10
    rng = np.random.default_rng(42)
    for n_trials in (10, 100, 1000):
        sims = rng.standard_normal((4000, n_trials)).max(axis=1).mean()
        assert expected_max_sharpe(n_trials, 1.0) == pytest.approx(sims, rel=0.02)
    assert expected_max_sharpe(100, 4.0) == pytest.approx(2.0 * expected_max_sharpe(100, 1.0))
    assert expected_max_sharpe(1, 1.0) == 0.0
    with pytest.raises(ValueError, match="n_trials"):
        expected_max_sharpe(0, 1.0)


def test_psr_equals_an_independent_computation() -> None:
    # 1 - g3 SR + (g4 - 1)/4 SR^2 == 1 + SR^2/2 - g3 SR + (g4 - 3)/4 SR^2 (Mertens 2002), so the PSR is
    # Phi((SR - SR*) / se) with the existing standard error rescaled from n to n - 1
    rng = np.random.default_rng(42)
    r = 0.0006 + 0.01 * rng.standard_t(4, 1500) + 0.004 * rng.standard_normal(1500) ** 2
    sr, se = sharpe_standard_error(r)
    se_n1 = se * np.sqrt(r.size / (r.size - 1.0))
    for bench_annual in (0.0, 0.5, 1.5):
        expected = stats.norm.cdf((sr - bench_annual / np.sqrt(252)) / se_n1)
        assert probabilistic_sharpe_ratio(r, bench_annual) == pytest.approx(expected, rel=1e-10)
    # the benchmark is annualised with the given periods a year
    assert probabilistic_sharpe_ratio(r, 1.0, periods_per_year=12) == pytest.approx(
        stats.norm.cdf((sr - 1.0 / np.sqrt(12)) / se_n1), rel=1e-10
    )


def test_psr_is_calibrated_under_the_null() -> None:
    # true SR equal to the benchmark: PSR is ~uniform, so P(PSR > 0.9) ~ 0.1
    # (400 series: binomial s.e. 0.015; bounds are 4 s.e.)
    rng = np.random.default_rng(42)
    true_annual = 1.0
    r = true_annual / np.sqrt(252) * 0.01 + 0.01 * rng.standard_normal((400, 500))
    psr = np.array([probabilistic_sharpe_ratio(row, true_annual) for row in r])
    assert 0.04 < np.mean(psr > 0.9) < 0.16
    assert 0.4 < np.mean(psr) < 0.6


def test_psr_degenerate_inputs_are_nan() -> None:
    assert np.isnan(probabilistic_sharpe_ratio(np.zeros(50)))
    assert np.isnan(probabilistic_sharpe_ratio(np.array([0.01, np.nan, -0.01])))
    assert np.isnan(psr_from_moments(0.1, 1))


def test_dsr_variants_agree_and_deflate() -> None:
    rng = np.random.default_rng(42)
    r = 0.001 + 0.01 * rng.standard_normal(1000)
    psr = probabilistic_sharpe_ratio(r)
    assert deflated_sharpe_ratio(r, 1) == pytest.approx(psr)  # one trial: no deflation
    trials = rng.normal(0.5, 0.7, size=50)  # annualised trial Sharpe ratios
    by_sharpes = deflated_sharpe_ratio(r, 50, trial_sharpes=trials)
    by_var = deflated_sharpe_ratio(r, 50, sr_variance=float(np.var(trials, ddof=1)))
    assert by_sharpes == pytest.approx(by_var)
    # the same from summary statistics, in per-period units
    sr, n = r.mean() / r.std(ddof=1), r.size
    sr0 = expected_max_sharpe(50, float(np.var(trials, ddof=1)) / 252)
    expected = psr_from_moments(sr, n, stats.skew(r), stats.kurtosis(r, fisher=False), sr0)
    assert by_var == pytest.approx(expected)
    # default variance: skill-less trials over the same days, 1 / (n - 1) per period
    default = deflated_sharpe_ratio(r, 50)
    assert default == pytest.approx(deflated_sharpe_ratio(r, 50, sr_variance=252 / (n - 1)))
    assert default < psr and deflated_sharpe_ratio(r, 500) < default


# --- the stationary bootstrap ----------------------------------------------------------------


def test_stationary_indices_have_geometric_blocks_and_uniform_days() -> None:
    rng = np.random.default_rng(42)
    n, block = 1000, 8.0
    idx = stationary_bootstrap_indices(n, block, 400, rng)
    assert idx.shape == (400, n) and idx.min() >= 0 and idx.max() == n - 1
    step = np.diff(idx, axis=1)
    breaks = (step != 1) & ~((idx[:, :-1] == n - 1) & (idx[:, 1:] == 0))  # a wrap is no break
    assert breaks.mean() == pytest.approx(1.0 / block, rel=0.03)
    counts = np.bincount(idx.ravel(), minlength=n)
    assert counts.min() > 0.6 * counts.mean()  # every day drawn about equally often
    iid = stationary_bootstrap_indices(n, 1.0, 50, rng)
    assert np.mean(np.diff(iid, axis=1) == 1) < 0.01  # mean block 1: the i.i.d. bootstrap
    again = stationary_bootstrap_indices(n, block, 5, np.random.default_rng(7))
    assert np.array_equal(again, stationary_bootstrap_indices(n, block, 5, np.random.default_rng(7)))
    with pytest.raises(ValueError, match="mean_block"):
        stationary_bootstrap_indices(n, 0.5, 5, rng)


def test_stationary_bootstrap_matches_arch() -> None:
    arch = pytest.importorskip("arch.bootstrap")
    rng = np.random.default_rng(42)
    x = _ar1(1000, 0.5, rng)
    ref = arch.StationaryBootstrap(10.0, x, seed=np.random.default_rng(1))
    ref_means = np.array([data[0][0].mean() for data in ref.bootstrap(2000)])
    ours = x[stationary_bootstrap_indices(x.size, 10.0, 2000, np.random.default_rng(2))].mean(axis=1)
    # bootstrap variance of the mean: 2000 draws each, s.e. ~3% apiece; 12% is ~3 combined s.e.
    assert ours.var() == pytest.approx(ref_means.var(), rel=0.12)
    assert ours.mean() == pytest.approx(x.mean(), abs=3 * ours.std() / np.sqrt(2000))


def test_block_length_matches_arch_politis_white() -> None:
    arch = pytest.importorskip("arch.bootstrap")
    rng = np.random.default_rng(42)
    for phi in (0.1, 0.3, 0.6, 0.9):
        for n in (200, 1000, 4000):
            x = _ar1(n, phi, rng)
            ref = float(arch.optimal_block_length(x)["stationary"].iloc[0])
            assert optimal_block_length(x) == pytest.approx(max(ref, 1.0), rel=1e-9), (phi, n)


def test_block_length_grows_with_dependence() -> None:
    rng = np.random.default_rng(42)
    lengths = [optimal_block_length(_ar1(2000, phi, rng)) for phi in (0.0, 0.3, 0.6, 0.9)]
    assert lengths == sorted(lengths) and lengths[0] < 3 < 20 < lengths[-1]
    assert optimal_block_length(np.ones(100)) == 1.0 and optimal_block_length(np.arange(5.0)) == 1.0


def test_interval_covers_the_true_sharpe_at_about_the_nominal_rate() -> None:
    # 200 AR(1) series (phi 0.4, n 500) with a known Sharpe ratio. Binomial s.e. of a 90% coverage
    # over 200 series is 2.1 pp; percentile block bootstraps under-cover by a few pp at n = 500, so
    # accept 80-97%. The i.i.d. bootstrap ignores the autocorrelation (variance of the mean x2.3)
    # and must cover clearly less.
    rng = np.random.default_rng(42)
    phi, mu = 0.4, 0.1
    true = mu * np.sqrt(1 - phi**2) * np.sqrt(252)
    hit_block = hit_iid = 0
    for i in range(200):
        x = mu + _ar1(500, phi, rng)
        lo, hi = sharpe_bootstrap_interval(x, n_boot=500, seed=i)
        hit_block += lo <= true <= hi
        lo, hi = sharpe_bootstrap_interval(x, n_boot=500, seed=i, mean_block=1.0)
        hit_iid += lo <= true <= hi
    assert 0.80 <= hit_block / 200 <= 0.97
    assert hit_iid / 200 <= 0.80 and hit_block - hit_iid >= 16


def test_paired_interval_is_narrower_for_correlated_series() -> None:
    rng = np.random.default_rng(42)
    common = 0.01 * rng.standard_normal(2000)
    a = 0.0004 + common + 0.003 * rng.standard_normal(2000)
    b = 0.0002 + common + 0.003 * rng.standard_normal(2000)
    lo, hi = paired_sharpe_difference_interval(a, b)
    diff = (a.mean() / a.std(ddof=1) - b.mean() / b.std(ddof=1)) * np.sqrt(252)
    assert lo < diff < hi
    wa = np.subtract(*sharpe_bootstrap_interval(a, seed=1)[::-1])
    wb = np.subtract(*sharpe_bootstrap_interval(b, seed=2)[::-1])
    assert hi - lo < 0.5 * np.hypot(wa, wb)  # an unpaired interval would be this wide


def test_intervals_are_reproducible_and_use_common_days() -> None:
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2020-01-01", periods=800)
    a = pd.Series(0.0005 + 0.01 * rng.standard_normal(800), idx)
    b = pd.Series(0.0003 + 0.01 * rng.standard_normal(800), idx)
    assert sharpe_bootstrap_interval(a, seed=3) == sharpe_bootstrap_interval(a, seed=3)
    assert sharpe_bootstrap_interval(a, seed=3) != sharpe_bootstrap_interval(a, seed=4)
    lo90, hi90 = sharpe_bootstrap_interval(a, level=0.9)
    lo50, hi50 = sharpe_bootstrap_interval(a, level=0.5)
    assert lo90 < lo50 < hi50 < hi90
    holed = b.copy()
    holed.iloc[:100] = np.nan
    # NaN days of either series are dropped from both
    assert paired_sharpe_difference_interval(a, holed, seed=1) == paired_sharpe_difference_interval(
        a.iloc[100:].to_numpy(), b.iloc[100:].to_numpy(), seed=1
    )
    assert np.isnan(sharpe_bootstrap_interval(a.iloc[:5])).all()
    with pytest.raises(ValueError, match="level"):
        sharpe_bootstrap_interval(a, level=1.5)


def test_resampling_is_fast_enough() -> None:
    import time

    r = 0.01 * np.random.default_rng(42).standard_normal(4000)
    t0 = time.perf_counter()
    sharpe_bootstrap_interval(r, n_boot=2000, mean_block=5.0)
    assert time.perf_counter() - t0 < 1.0  # ~0.1 s here: 2000 resamples x 4000 days


# --- sharpe_inference and significance.json --------------------------------------------------


def _frame(rng: np.random.Generator) -> pd.DataFrame:
    idx = pd.bdate_range("2015-01-01", periods=1500)
    common = 0.008 * rng.standard_normal(1500)
    cols = {
        "lstm@2bp": 0.0008 + common + 0.004 * rng.standard_normal(1500),
        "tsmom@2bp": 0.0003 + common + 0.004 * rng.standard_normal(1500),
        "long_only@2bp": 0.0002 + 0.01 * rng.standard_normal(1500),
        "tsmom@0bp": 0.0004 + common + 0.004 * rng.standard_normal(1500),
    }
    frame = pd.DataFrame(cols, index=idx)
    frame.iloc[:200, 0] = np.nan  # the model starts later
    return frame


def test_sharpe_inference_rows_pairs_and_json(tmp_path: Path) -> None:
    frame = _frame(np.random.default_rng(42))
    inf = sharpe_inference(frame, benchmarks=["tsmom@2bp"], n_trials={"lstm@2bp": 40}, n_boot=500)
    s = inf.sharpe
    assert list(s.index) == list(frame.columns)
    assert s.loc["lstm@2bp", "n_days"] == 1300 and s.loc["tsmom@2bp", "n_days"] == 1500
    assert s.loc["tsmom@2bp", "sharpe"] == pytest.approx(
        frame["tsmom@2bp"].mean() / frame["tsmom@2bp"].std() * np.sqrt(252)
    )
    assert (s["dsr"] < s["psr"]).tolist() == [True, False, False, False]  # NaN compares False
    assert s["dsr"].isna().sum() == 3 and s.loc["lstm@2bp", "n_trials"] == 40
    low, mid, high = (s[c].to_numpy(dtype=float) for c in ("boot_low", "sharpe", "boot_high"))
    assert ((low < mid) & (mid < high)).all()
    d = inf.differences
    assert list(zip(d["series"], d["benchmark"], strict=True)) == [
        (c, "tsmom@2bp") for c in frame.columns if c != "tsmom@2bp"
    ]
    first = d.iloc[0]
    assert first["n_days"] == 1300  # common days only
    common = frame.iloc[200:]
    sr = common.mean() / common.std() * np.sqrt(252)
    assert first["difference"] == pytest.approx(sr["lstm@2bp"] - sr["tsmom@2bp"])
    assert first["boot_low"] < first["difference"] < first["boot_high"]
    # explicit pairs replace the implied ones
    only = sharpe_inference(frame, pairs=[("lstm@2bp", "long_only@2bp")], n_boot=200)
    assert len(only.differences) == 1
    RunFolder(tmp_path).write_json("significance.json", inf.to_json())
    data = json.loads((tmp_path / "significance.json").read_text())
    assert list(data) == ["level", "n_boot", "seed", "method", "sharpe", "differences"]
    assert data["sharpe"]["tsmom@2bp"]["dsr"] is None and data["sharpe"]["lstm@2bp"]["n_trials"] == 40
    assert data["differences"][0]["series"] == "lstm@2bp"


def test_run_inference_pairs_same_cost_and_counts_trials(tmp_path: Path) -> None:
    frame = _frame(np.random.default_rng(42))
    cols = list(frame.columns)
    assert benchmark_pairs(cols) == [("lstm@2bp", "tsmom@2bp"), ("lstm@2bp", "long_only@2bp")]
    assert trial_counts(tmp_path, cols) == {}
    (tmp_path / "models").mkdir()
    trials = pd.DataFrame({"variant": ["lstm"] * 12 + ["mlp"] * 3, "window": 0, "trial": range(15)})
    trials.to_csv(tmp_path / "models" / "trials.csv", index=False)
    assert trial_counts(tmp_path, [*cols, "lstm_daily@2bp"]) == {"lstm@2bp": 12, "lstm_daily@2bp": 12}
    inf = run_inference(frame, tmp_path)
    assert inf.sharpe["dsr"].notna().tolist() == [True, False, False, False]
    assert len(inf.differences) == 2
