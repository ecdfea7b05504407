"""CPD inputs for the networks, the TFT's interpretability files, their report section, the presets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import deepmomentum.features._builder as builder
from deepmomentum.features import build_features

CALLS: list[tuple[list[int], str]] = []


def _fake_cpd(returns, lookbacks, cache_dir, device, progress=None, every=1):
    """Causal stand-ins: nu from a rolling |mean| / std, gamma constant; NaN before l returns."""
    CALLS.append((list(lookbacks), str(cache_dir)))
    out = {}
    for lb in lookbacks:
        roll = returns.rolling(lb, min_periods=lb)
        z = (roll.mean() / roll.std()).abs()
        out[f"cpd_nu_{lb}"] = 1.0 - 1.0 / (1.0 + z)
        out[f"cpd_gamma_{lb}"] = z.where(z.isna(), 0.5)
    return out


@pytest.fixture
def fake_cpd(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(builder, "_cpd_features", _fake_cpd)
    return CALLS


def _prices(n_days: int = 400, n_assets: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.bdate_range("2015-01-02", periods=n_days)
    r = rng.normal(0.0003, 0.01, size=(n_days, n_assets))
    return pd.DataFrame(100 * np.exp(np.cumsum(r, axis=0)), index=idx, columns=list("ABC")[:n_assets])


def test_build_features_appends_two_inputs_per_lookback(fake_cpd, tmp_path):
    prices = _prices()
    base = build_features(prices)
    fs = build_features(prices, cpd_lookbacks=(21, 63), cpd_cache_dir=tmp_path)
    assert fs.names == [*base.names, "cpd_nu_21", "cpd_gamma_21", "cpd_nu_63", "cpd_gamma_63"]
    assert fs.to_array().shape == (len(prices), 3, len(base.names) + 4)
    for n in base.names:  # the eight inputs are unchanged
        pd.testing.assert_frame_equal(fs.features[n], base.features[n])
    assert fs.features["cpd_nu_63"].iloc[:63].isna().all().all()
    assert fs.features["cpd_nu_63"].iloc[70:].notna().all().all()
    assert fake_cpd == [([21, 63], str(tmp_path))]
    build_features(prices)
    assert len(fake_cpd) == 1  # no lookbacks: no CPD


def _tiny_cfg(etf_dir, preset: str):
    from deepmomentum.presets import load_preset

    cfg = load_preset(preset)
    cfg.data.data_dir = etf_dir
    cfg.data.start = None
    cfg.training.first_test_year, cfg.training.retrain_years, cfg.training.last_test_year = 2021, 1, 2022
    cfg.training.max_epochs, cfg.training.n_trials, cfg.training.jobs = 1, 1, 1
    cfg.training.validation, cfg.training.ensemble_top_k = "last", 1
    cfg.training.device = "cpu"
    cfg.training.search.hidden_size = [8]
    cfg.backtest.cost_bps = [0.0, 2.0]
    return cfg


def test_tiny_tft_run_with_cpd_writes_weights_and_report(tmp_path, etf_dir, fake_cpd):
    from deepmomentum.pipeline import run_pipeline
    from deepmomentum.report import build_report
    from deepmomentum.report._interpret import load_interpretation
    from deepmomentum.run import _layout as layout

    cfg = _tiny_cfg(etf_dir, "momentum-transformer-quick")
    cfg.features.cpd_lookbacks = [21]
    run = tmp_path / "mt"
    run_pipeline(cfg, run)
    assert fake_cpd[-1][1] == str(run / "features" / "cpd")
    windows = pd.read_csv(run / layout.WINDOWS)
    assert len(windows) == 2
    for w in windows["window"]:
        wdir = run / "models" / "tft_cpd" / f"window-{int(w):02d}"
        var = pd.read_csv(wdir / "variable_weights.csv", index_col="date")
        assert list(var.columns)[-2:] == ["cpd_nu_21", "cpd_gamma_21"] and var.shape[1] == 10
        assert len(var) > 100
        assert var.sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-4)
        assert (var.to_numpy() > 0).all()
        att = pd.read_csv(wdir / "attention.csv")
        assert list(att.columns) == ["lag", "weight"] and list(att["lag"]) == list(range(len(att)))
        assert att["weight"].sum() == pytest.approx(1.0, abs=1e-4)
        assert (att["weight"] >= 0).all()
        for f in ("variable_weights.csv", "attention.csv"):
            spec = layout.declared_file(f"models/tft_cpd/window-{int(w):02d}/{f}")
            assert spec is not None and not spec.required
    assert layout.undeclared_files(run) == []
    variables, lags = load_interpretation(run / "models" / "tft_cpd")
    assert len(variables) == sum(
        len(pd.read_csv(run / "models" / "tft_cpd" / f"window-{int(w):02d}" / "variable_weights.csv"))
        for w in windows["window"]
    )
    assert lags.sum() == pytest.approx(1.0, abs=1e-4)
    html = build_report(run).read_text()
    assert "id='interpretability'" in html
    assert "cpd_nu_21 (CPD)" in html and "tft-attention-tft_cpd" in html


def test_lstm_run_has_no_interpretability_section(tmp_path, etf_dir, fake_cpd):
    from deepmomentum.pipeline import run_pipeline
    from deepmomentum.report import build_report

    cfg = _tiny_cfg(etf_dir, "dmn-lstm-cpd-quick")
    cfg.training.last_test_year = 2021
    run = tmp_path / "lstm"
    run_pipeline(cfg, run)
    assert not list(run.glob("models/*/window-*/variable_weights.csv"))
    assert "id='interpretability'" not in build_report(run).read_text()


@pytest.mark.parametrize(
    ("name", "lookbacks", "models"),
    [
        ("dmn-lstm-cpd", [21, 126], {"lstm"}),
        ("dmn-lstm-cpd-quick", [21], {"lstm"}),
        ("momentum-transformer", [21, 126], {"tft", "lstm"}),
        ("momentum-transformer-nocpd", [], {"tft", "lstm"}),
        ("momentum-transformer-quick", [21], {"tft"}),
    ],
)
def test_presets_load(name, lookbacks, models):
    from deepmomentum.presets import list_presets, load_preset

    assert name in list_presets()
    cfg = load_preset(name)
    assert cfg.features.cpd_lookbacks == lookbacks
    assert {m.model for m in cfg.models} == models
    assert all(m.cost_bps == 2 for m in cfg.models)
    assert cfg.training.validation == "blocked"


def test_cpd_lookbacks_are_validated():
    from pydantic import ValidationError

    from deepmomentum.config import FeatureConfig

    assert FeatureConfig().cpd_lookbacks == []
    with pytest.raises(ValidationError):
        FeatureConfig(cpd_lookbacks=[2])
    with pytest.raises(ValidationError):
        FeatureConfig(cpd_lookbacks=[21, 21])
