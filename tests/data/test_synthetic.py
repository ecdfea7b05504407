from __future__ import annotations

import numpy as np

from deepmomentum.data import AssetClass, make_synthetic_market


def test_synthetic_is_deterministic_and_large_enough() -> None:
    a = make_synthetic_market()
    b = make_synthetic_market()
    assert a.fingerprint() == b.fingerprint()
    assert a.synthetic and "synthetic" in a.source
    assert "SYNTHETIC" in a.describe()
    tradable = a.universe.tradable
    assert len(tradable) >= 24
    classes = {a.universe[s].asset_class for s in tradable}
    assert classes == {AssetClass.EQUITY, AssetClass.BOND, AssetClass.COMMODITY, AssetClass.FX}
    years = (a.prices.index[-1] - a.prices.index[0]).days / 365.25
    assert years >= 20
    assert (a.prices.stack().dropna() > 0).all()


def test_synthetic_has_vol_clustering_and_correlation() -> None:
    data = make_synthetic_market()
    r = data.tradable_prices.pct_change(fill_method=None)
    eq = [s for s in data.universe.tradable if s.startswith("SYN_EQ")]
    # cross-asset correlation within equities
    assert r[eq].corr().to_numpy()[np.triu_indices(len(eq), 1)].mean() > 0.2
    # vol clustering: squared returns are autocorrelated
    sq = (r[eq[0]] ** 2).dropna()
    assert sq.autocorr(1) > 0.05


def test_other_seed_differs() -> None:
    assert make_synthetic_market(seed=1).fingerprint() != make_synthetic_market().fingerprint()
