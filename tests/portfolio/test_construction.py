import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepmomentum.portfolio import PortfolioConstraints, check_constraints, construct_weights, project

CLASSES = ["equity"] * 4 + ["bond"] * 3 + ["commodity"] * 4 + ["fx"] * 3
SECTORS = ["e"] * 4 + ["b"] * 3 + ["energy", "energy", "metals", "agriculture"] + ["usd"] * 3
N = len(CLASSES)


def _cov(rng: np.random.Generator, n: int = N) -> np.ndarray:
    vols = rng.uniform(0.03, 0.6, n)
    a = rng.normal(size=(n, n + 2))
    corr = a @ a.T
    d = np.sqrt(np.diag(corr))
    corr = corr / np.outer(d, d)
    return corr * np.outer(vols, vols)


def _constraints(**kw) -> PortfolioConstraints:
    base = dict(
        vol_target=0.15,
        class_caps={"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1},
        sector_caps={"energy": 0.1, "metals": 0.1, "agriculture": 0.1},
    )
    base.update(kw)
    return PortfolioConstraints(**base)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    vol_target=st.floats(0.01, 0.5),
    max_pos=st.floats(0.02, 0.5),
    max_gross=st.floats(0.1, 3.0),
    net=st.one_of(st.none(), st.tuples(st.floats(-0.5, 0.0), st.floats(0.0, 0.5))),
    scale_caps=st.floats(0.1, 10.0),
    blend=st.floats(0.0, 1.0),
    nan_share=st.floats(0.0, 0.5),
)
def test_every_hard_constraint_holds(seed, vol_target, max_pos, max_gross, net, scale_caps, blend, nan_share):
    rng = np.random.default_rng(seed)
    cov = _cov(rng)
    signal = rng.uniform(-1, 1, N)
    signal[rng.random(N) < nan_share] = np.nan
    c = _constraints(
        vol_target=vol_target,
        max_position=max_pos,
        max_gross=max_gross,
        net_bounds=net,
        class_caps={
            k: v * scale_caps for k, v in {"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1}.items()
        },
    )
    res = construct_weights(
        signal,
        cov,
        CLASSES,
        SECTORS,
        c,
        class_tilt=rng.uniform(0.75, 1.25, N),
        slow_trend=rng.uniform(-1, 1, N),
        trend_alignment=0.5,
        benchmark=np.abs(rng.uniform(0, 0.3, N)),
        benchmark_blend=blend,
    )
    checks = check_constraints(res.weights, cov, CLASSES, SECTORS, c)
    assert all(checks.values()), checks
    assert np.all(res.weights[np.isnan(signal)] == 0)
    # soft targets: met, or named with a reason
    if res.vol < vol_target * (1 - 1e-3):
        assert "vol_target" in res.unmet and "vol target" in res.message
    else:
        assert "vol_target" not in res.unmet
    if "min_active_classes" in res.unmet:
        assert "min_active_classes" in res.message


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.floats(0.1, 20.0))
def test_project_is_one_pass_feasible(seed, k):
    rng = np.random.default_rng(seed)
    cov = _cov(rng)
    w = rng.normal(0, 0.3, N) * k
    c = _constraints()
    out = project(w.copy(), cov, CLASSES, SECTORS, c)
    assert all(check_constraints(out, cov, CLASSES, SECTORS, c).values())
    # feasible weights are left alone (up to the tiny shrink margin)
    again = project(out.copy(), cov, CLASSES, SECTORS, c)
    np.testing.assert_allclose(again, out, rtol=1e-9, atol=1e-12)


def test_vol_target_met_when_caps_are_loose(rng):
    cov = _cov(rng)
    c = _constraints(class_caps={}, sector_caps={}, max_position=5, max_gross=10, net_bounds=None)
    res = construct_weights(rng.uniform(-1, 1, N), cov, CLASSES, SECTORS, c)
    assert res.vol == pytest.approx(0.15, rel=1e-3)
    assert res.unmet == ()
    assert "vol_target" in res.binding


def test_conflict_between_vol_target_and_class_caps_is_named(rng):
    cov = np.diag(np.full(N, 0.05**2))  # low-vol assets: the caps bind first
    c = _constraints(net_bounds=None)
    res = construct_weights(np.ones(N) * 0.5, cov, CLASSES, SECTORS, c)
    assert "vol_target" in res.unmet
    assert "class:equity" in res.binding and "class:bond" in res.binding
    assert "cannot be met together with" in res.message and "class:equity" in res.message


def test_net_exposure_bound_binds_for_all_long_signals(rng):
    cov = _cov(rng)
    c = _constraints()
    res = construct_weights(np.ones(N), cov, CLASSES, SECTORS, c)
    assert res.weights.sum() <= 0.15 + 1e-9
    assert "net_upper" in res.binding


def test_min_active_classes_raises_small_classes(rng):
    cov = _cov(rng)
    signal = np.zeros(N)
    signal[:4] = 1.0  # equity only strong
    signal[4:7] = [0.01, -0.01, 0.01]
    signal[7:11] = [0.01, 0.0, 0.0, 0.0]
    c = _constraints(net_bounds=None, min_active_classes=3, min_class_share=0.05)
    res = construct_weights(signal, cov, CLASSES, SECTORS, c)
    gross = np.abs(res.weights).sum()
    shares = {
        k: np.abs(res.weights[np.array(CLASSES) == k]).sum() / gross for k in ("equity", "bond", "commodity")
    }
    assert all(s >= 0.05 - 1e-9 for s in shares.values()), shares
    assert "min_active_classes" not in res.unmet


def test_min_active_classes_unmet_is_reported(rng):
    cov = _cov(rng)
    signal = np.zeros(N)
    signal[:4] = 1.0
    res = construct_weights(signal, cov, CLASSES, SECTORS, _constraints(min_active_classes=3))
    assert "min_active_classes" in res.unmet
    assert "classes with a signal: equity" in res.message


def test_trend_alignment_scales_disagreeing_signals(rng):
    cov = np.diag(np.full(N, 0.2**2))
    c = _constraints(class_caps={}, sector_caps={}, max_position=5, max_gross=10, net_bounds=None)
    s = np.full(N, 0.5)
    slow = np.ones(N)
    slow[0] = -1
    res = construct_weights(s, cov, CLASSES, SECTORS, c, slow_trend=slow, trend_alignment=0.5)
    assert res.weights[0] == pytest.approx(res.weights[1] * 0.5)


def test_bad_net_bounds_rejected():
    from deepmomentum.exceptions import ConfigError

    with pytest.raises(ConfigError, match="net_bounds"):
        PortfolioConstraints(net_bounds=(0.05, 0.2))
