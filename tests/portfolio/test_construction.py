import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepmomentum.portfolio import PortfolioConstraints, check_constraints, construct_weights, project
from deepmomentum.portfolio._construction import class_shares

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


BUDGETS = {"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1}
# the budgets normalised to sum to 1
SHARES = {"commodity": 0.25, "bond": 0.25, "equity": 0.375, "fx": 0.125}


def _constraints(**kw) -> PortfolioConstraints:
    base = dict(
        vol_target=0.15,
        class_caps=BUDGETS,
        sector_caps={"energy": 0.1, "metals": 0.1, "agriculture": 0.1},
    )
    if kw.get("class_budget") == "gross_share":
        base.update(sector_caps={}, sector_max_share=0.5)
    base.update(kw)
    return PortfolioConstraints(**base)


def _block_cov(seed: int) -> np.ndarray:
    """Realistic class vols (annual), 0.7 correlation within a class, little across."""
    rng = np.random.default_rng(seed)
    cls = np.array(CLASSES)
    vols = np.select([cls == "equity", cls == "bond", cls == "commodity"], [0.2, 0.08, 0.3], 0.1)
    vols = vols * rng.uniform(0.8, 1.25, N)
    corr = np.where(cls[:, None] == cls[None, :], 0.7, rng.uniform(-0.05, 0.1, (N, N)))
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(vols, vols)


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
    reading=st.sampled_from(["nav_cap", "gross_share"]),
    sector_share=st.floats(0.05, 1.0),
)
def test_every_hard_constraint_holds(
    seed, vol_target, max_pos, max_gross, net, scale_caps, blend, nan_share, reading, sector_share
):
    rng = np.random.default_rng(seed)
    cov = _cov(rng)
    signal = rng.uniform(-1, 1, N)
    signal[rng.random(N) < nan_share] = np.nan
    c = _constraints(
        vol_target=vol_target,
        max_position=max_pos,
        max_gross=max_gross,
        net_bounds=net,
        class_caps={k: v * scale_caps for k, v in BUDGETS.items()},
        class_budget=reading,
        **({"sector_max_share": sector_share} if reading == "gross_share" else {}),
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
    # each reading checks its own caps
    assert any(k.startswith("class:") for k in checks) == (reading == "nav_cap")
    assert np.all(res.weights[np.isnan(signal)] == 0)
    # soft targets: met, or named with a reason
    if res.vol < vol_target * (1 - 1e-3):
        assert "vol_target" in res.unmet and "vol target" in res.message
    else:
        assert "vol_target" not in res.unmet
    if "min_active_classes" in res.unmet:
        assert "min_active_classes" in res.message


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    k=st.floats(0.1, 20.0),
    reading=st.sampled_from(["nav_cap", "gross_share"]),
    zero_sectors=st.integers(0, 2),
)
def test_project_is_one_pass_feasible(seed, k, reading, zero_sectors):
    rng = np.random.default_rng(seed)
    cov = _cov(rng)
    w = rng.normal(0, 0.3, N) * k
    w[7 : 7 + zero_sectors] = 0.0  # fewer commodity sectors held: the share cap relaxes to 1/n
    c = _constraints(class_budget=reading)
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


# --- class budgets: nav_cap vs gross_share -------------------------------------

LONG_SHORT = np.select(
    [np.array(CLASSES) == "equity", np.array(CLASSES) == "bond", np.array(CLASSES) == "commodity"],
    [1.0, -1.0, 1.0],
    -1.0,
)


def test_default_reading_is_nav_cap():
    assert PortfolioConstraints().class_budget == "nav_cap"


def test_gross_share_reaches_the_vol_target_where_nav_cap_cannot():
    cov = _block_cov(0)
    nav = construct_weights(LONG_SHORT, cov, CLASSES, SECTORS, _constraints())
    share = construct_weights(LONG_SHORT, cov, CLASSES, SECTORS, _constraints(class_budget="gross_share"))
    # NAV caps: 0.8 gross at most, about half the vol target
    assert np.abs(nav.weights).sum() <= 0.8 + 1e-9
    assert nav.vol < 0.08 and "vol_target" in nav.unmet
    assert "class caps sum to 0.80 gross" in nav.message
    # shares of the gross: the book is scaled to 15% within gross 1.8, |w| 0.25, net +-15%
    assert share.vol == pytest.approx(0.15, rel=1e-3)
    assert share.unmet == () and share.message == ""
    assert np.abs(share.weights).sum() <= 1.8 + 1e-9
    assert abs(share.weights.sum()) <= 0.15 + 1e-9
    assert np.abs(share.weights).max() <= 0.25 + 1e-9
    assert share.target_shares == pytest.approx(SHARES)
    assert nav.target_shares == {}
    # the net bound trims the long side (equity and commodity), so shares drift a little
    realised = class_shares(share.weights, CLASSES)
    assert realised["commodity"] >= 0.2
    assert all(abs(realised[k] - SHARES[k]) < 0.06 for k in SHARES), realised


def test_gross_share_hits_the_budget_shares_when_no_cap_binds():
    cov = _block_cov(1)
    c = _constraints(
        class_budget="gross_share", net_bounds=None, max_position=5.0, max_gross=10.0, sector_max_share=None
    )
    res = construct_weights(LONG_SHORT, cov, CLASSES, SECTORS, c)
    assert class_shares(res.weights, CLASSES) == pytest.approx(SHARES, abs=1e-9)
    assert res.vol == pytest.approx(0.15, rel=1e-3)


def test_gross_share_renormalises_over_classes_with_a_signal():
    cov = _block_cov(2)
    signal = LONG_SHORT.copy()
    signal[np.array(CLASSES) == "fx"] = np.nan  # no FX: the other budgets sum to 0.7
    c = _constraints(
        class_budget="gross_share", net_bounds=None, max_position=5.0, max_gross=10.0, sector_max_share=None
    )
    res = construct_weights(signal, cov, CLASSES, SECTORS, c)
    got = class_shares(res.weights, CLASSES)
    assert got["fx"] == 0.0
    assert got == pytest.approx({"equity": 3 / 7, "bond": 2 / 7, "commodity": 2 / 7, "fx": 0.0})


def test_gross_share_unbudgeted_class_keeps_its_own_share():
    cov = np.diag(np.full(N, 0.2**2))  # equal vols: raw shares follow the asset counts
    c = _constraints(
        class_budget="gross_share",
        class_caps={"equity": 0.3, "bond": 0.1},
        net_bounds=None,
        max_position=5.0,
        max_gross=10.0,
        sector_max_share=None,
    )
    res = construct_weights(np.ones(N), cov, CLASSES, SECTORS, c)
    got = class_shares(res.weights, CLASSES)
    assert got["commodity"] == pytest.approx(4 / 14) and got["fx"] == pytest.approx(3 / 14)
    rest = 1 - 7 / 14  # split 3:1 between equity and bond
    assert got["equity"] == pytest.approx(0.75 * rest) and got["bond"] == pytest.approx(0.25 * rest)


def test_gross_share_class_tilt_moves_the_budgets():
    cov = _block_cov(3)
    c = _constraints(
        class_budget="gross_share", net_bounds=None, max_position=5.0, max_gross=10.0, sector_max_share=None
    )
    tilt = np.where(np.array(CLASSES) == "commodity", 1.25, 1.0)
    res = construct_weights(LONG_SHORT, cov, CLASSES, SECTORS, c, class_tilt=tilt)
    expected = {k: v * (1.25 if k == "commodity" else 1.0) for k, v in BUDGETS.items()}
    total = sum(expected.values())
    assert class_shares(res.weights, CLASSES) == pytest.approx({k: v / total for k, v in expected.items()})


def test_gross_share_sector_cap_is_a_share_of_the_commodity_gross():
    cov = np.diag(np.full(N, 0.2**2))
    signal = np.zeros(N)
    signal[7:11] = [1.0, 1.0, 0.1, 0.1]  # energy dominates the commodity book
    c = _constraints(
        class_budget="gross_share",
        sector_max_share=0.5,
        net_bounds=None,
        max_position=5.0,
        min_active_classes=0,
    )
    res = construct_weights(signal, cov, CLASSES, SECTORS, c)
    w = res.weights
    assert np.abs(w[7:9]).sum() == pytest.approx(0.5 * np.abs(w[7:11]).sum(), rel=1e-9)
    assert "sector:energy" in res.binding
    # a single sector held: balance is meaningless, the cap relaxes to 1 (no collapse to zero)
    signal[9:11] = 0.0
    res = construct_weights(signal, cov, CLASSES, SECTORS, c)
    assert res.vol == pytest.approx(0.15, rel=1e-3)
    assert all(check_constraints(res.weights, cov, CLASSES, SECTORS, c).values())


def test_check_constraints_flags_a_sector_share_breach():
    cov = np.diag(np.full(N, 0.2**2))
    c = _constraints(class_budget="gross_share", sector_max_share=0.5)
    w = np.zeros(N)
    w[7:11] = [0.1, 0.1, 0.05, 0.0]  # energy 0.2 of 0.25 commodity gross: share 0.8 > 0.5
    checks = check_constraints(w, cov, CLASSES, SECTORS, c)
    assert checks["sector:energy"] is False and checks["sector:metals"] is True
    assert not any(k.startswith("class:") for k in checks)


def test_class_shares():
    w = np.array([0.2, -0.2, 0.1, np.nan])
    assert class_shares(w, ["a", "a", "b", "c"]) == pytest.approx({"a": 0.8, "b": 0.2, "c": 0.0})
    assert class_shares(np.zeros(2), ["a", "b"]) == {"a": 0.0, "b": 0.0}


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"class_budget": "gross_share", "sector_caps": {"energy": 0.1}}, "sector_caps"),
        ({"class_budget": "nav_cap", "sector_max_share": 0.5}, "sector_max_share"),
        ({"class_budget": "gross_share", "sector_max_share": 0.0}, "sector_max_share"),
        ({"class_budget": "gross"}, "class_budget"),
    ],
)
def test_bad_budget_settings_rejected(kw, match):
    from deepmomentum.exceptions import ConfigError

    with pytest.raises(ConfigError, match=match):
        PortfolioConstraints(**kw)
