"""The managed-futures tables: library defaults, ignored tables refused, the old flat table still loads."""

from __future__ import annotations

import dataclasses
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from deepmomentum.config import (
    ConfigWarning,
    OverlaysConfig,
    PortfolioConfig,
    RebalanceConfig,
    RunConfig,
    TrendModelConfig,
    dump_config,
    load_config,
    parse_config,
    to_toml_dict,
)
from deepmomentum.exceptions import ConfigError
from deepmomentum.presets import list_presets, load_preset

_TABLES = ("trend_model", "overlays", "portfolio", "rebalance")


def _legacy_layout(cfg: RunConfig) -> dict[str, Any]:
    """``cfg`` as the code before the tables wrote it: one flat [managed_futures] with every key."""
    raw = to_toml_dict(cfg)
    flat: dict[str, Any] = {}
    for name, cls in zip(
        _TABLES, (TrendModelConfig, OverlaysConfig, PortfolioConfig, RebalanceConfig), strict=True
    ):
        raw.pop(name, None)
        flat |= to_toml_dict(getattr(cfg, name) or cls())
    raw["managed_futures"] = flat
    return raw


# --- one set of defaults -----------------------------------------------------------------------


def test_trend_model_defaults_are_the_library_defaults():
    from deepmomentum.training import TrendParams

    assert TrendModelConfig().params() == TrendParams()
    tm = TrendModelConfig(hidden_sizes=[8, 4], max_epochs=3, max_train_samples=500)
    p = tm.params()
    assert (p.hidden_sizes, p.max_epochs, p.max_train_samples) == ((8, 4), 3, 500)


def test_rebalance_defaults_are_the_library_defaults():
    from deepmomentum.rebalancing import RebalanceRules

    rules = RebalanceConfig().rules(["SPY", "TLT", "USO"])
    lib = RebalanceRules()
    for f in dataclasses.fields(RebalanceRules):
        if f.name != "reversal_assets":  # the system's choice; the library's default is none
            assert getattr(rules, f.name) == getattr(lib, f.name), f.name
    assert rules.reversal_assets == ("SPY", "TLT", "USO")  # BNO|USO resolved to the one present


def test_portfolio_defaults_are_the_library_defaults_except_the_system_choices():
    from deepmomentum.portfolio import PortfolioConstraints

    built, lib = PortfolioConfig().constraints(["equity", "bond"], [None, None]), PortfolioConstraints()
    differs = {f.name for f in dataclasses.fields(lib) if getattr(built, f.name) != getattr(lib, f.name)}
    # the managed-futures book's documented choices: budgets as gross shares, per class
    assert differs == {"class_caps", "class_budget", "sector_max_share"}
    nav = PortfolioConfig(class_budget="nav_cap").constraints(["commodity", "commodity"], ["energy", "metal"])
    assert nav.sector_caps == {"energy": 0.1, "metal": 0.1}  # 0.5 of the commodity cap 0.2


# --- presets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(list_presets()))
def test_every_preset_loads_without_the_old_table(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        cfg = load_preset(name)
    text = dump_config(cfg)
    assert "[managed_futures]" not in text
    assert parse_config(tomllib.loads(text)) == cfg  # the written config reads back the same


def test_mf_presets_infer_the_system_and_fill_the_tables():
    cfg = load_preset("tsmom-constrained-hybrid")
    assert (cfg.stages.signal, cfg.stages.portfolio, cfg.stages.rebalance) == (
        "tsmom",
        "constrained",
        "hybrid",
    )
    assert cfg.trend_model is None  # no stage reads it
    assert cfg.overlays == OverlaysConfig()  # the hybrid's regime keys: defaults, written out
    quick = load_preset("etf-managed-futures-quick")
    assert quick.pipeline is None and quick.stages.signal == "trend_model"
    assert quick.trend_model is not None and quick.trend_model.max_epochs == 6


# --- tables a pipeline ignores -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"pipeline": {"signal": "tsmom", "portfolio": "constrained"}, "trend_model": {"max_epochs": 3}},
            "trend_model: table would be ignored",
        ),
        ({"overlays": {"core_signal": "tsmom"}, "trend_model": {}}, "trend_model: table would be ignored"),
        ({"pipeline": {"signal": "tsmom"}, "portfolio": {}}, "portfolio: table would be ignored"),
        ({"pipeline": {"signal": "tsmom"}, "rebalance": {}}, "rebalance: table would be ignored"),
        ({"pipeline": {"signal": "tsmom"}, "overlays": {}}, "overlays: table would be ignored"),
        ({"trend_model": {}, "models": [{"name": "lstm"}]}, r"\[\[models\]\] would be ignored"),
        ({"trend_model": {}, "training": {"max_epochs": 5}}, "training.max_epochs: would be ignored.*use trend_model.max_epochs"),
        ({"portfolio": {}, "training": {"n_trials": 5}}, "training.n_trials: would be ignored.*remove it"),
        ({"pipeline": {"signal": "macd"}, "training": {"search": {"lr": [0.1]}}}, "training.search: would be ignored"),
        ({"overlays": {"core_signal": "dmn"}}, "core_signal = 'dmn' needs at least one"),
    ],
)  # fmt: skip
def test_a_table_the_pipeline_ignores_is_refused_in_one_line(raw, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(raw)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        {"overlays": {"core_signal": "dmn"}, "models": [{"name": "lstm"}], "training": {"max_epochs": 5}},
        {"pipeline": {"signal": "dmn"}, "models": [{"name": "lstm"}], "portfolio": {}, "rebalance": {}}
        | {"pipeline": {"signal": "dmn", "portfolio": "constrained", "rebalance": "hybrid"}},
        {"pipeline": {"signal": "tsmom", "rebalance": "hybrid"}, "overlays": {"growth_indicator": "indpro"}},
        {"training": {"max_epochs": 5}},  # the DMN pipeline, no [[models]]: the backtest's config
    ],
)
def test_tables_a_stage_reads_are_accepted(raw):
    parse_config(raw)


def test_an_override_that_changes_the_pipeline_drops_the_tables_it_no_longer_reads():
    cfg = load_preset("etf-managed-futures-quick")
    tsmom = cfg.with_overrides({"overlays.core_signal": "tsmom"})
    assert tsmom.trend_model is None and tsmom.portfolio == cfg.portfolio
    assert cfg.with_overrides({"managed_futures.max_epochs": 3}).trend_model.max_epochs == 3  # old key
    with pytest.raises(ConfigError, match="trend_model: table would be ignored"):
        cfg.with_overrides({"overlays.core_signal": "tsmom", "trend_model.max_epochs": 3})


# --- the old flat table --------------------------------------------------------------------------


def test_old_flat_table_is_split_into_the_tables_with_a_warning():
    raw = {
        "managed_futures": {"max_epochs": 3, "vol_target": 0.1, "quarterly": False, "timeframe_mix": False}
    }
    with pytest.warns(ConfigWarning, match=r"\[trend_model\]: max_epochs.*\[portfolio\]: vol_target"):
        cfg = parse_config(raw)
    assert cfg.trend_model is not None and cfg.trend_model.max_epochs == 3
    assert cfg.portfolio is not None and cfg.portfolio.vol_target == 0.1
    assert cfg.rebalance is not None and cfg.rebalance.quarterly is False
    assert cfg.overlays is not None and cfg.overlays.timeframe_mix is False
    assert cfg.stages.signal == "trend_model"
    mf = cfg.managed_futures
    assert mf is not None and (mf.max_epochs, mf.vol_target) == (3, 0.1)
    mf.patience = 4  # the flat view writes through to its table, validated
    assert cfg.trend_model.patience == 4
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        mf.patience = 0
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"managed_futures": {"max_epoch": 3}})


def test_old_table_reads_like_its_new_equivalent():
    new = load_preset("etf-managed-futures-quick")
    with pytest.warns(ConfigWarning):
        old = parse_config(_legacy_layout(new))
    for name in (*_TABLES, "training", "pipeline", "models"):
        assert getattr(old, name) == getattr(new, name), name
    assert old.stages == new.stages
    # written back in the layout it was read in (a run folder compares equal), with every key
    assert set(to_toml_dict(old)) == set(to_toml_dict(new)) - set(_TABLES) | {"managed_futures"}
    assert to_toml_dict(old) == _legacy_layout(new)


def test_old_table_keeps_what_the_new_layout_refuses():
    # an old ablation folder: TSMOM core, every trend-model key recorded, a DMN-only training key
    base = _legacy_layout(load_preset("etf-managed-futures-quick"))
    base["managed_futures"]["core_signal"] = "tsmom"
    base["training"]["n_trials"] = 7
    with pytest.warns(ConfigWarning):
        cfg = parse_config(base)
    assert cfg.trend_model is not None and cfg.core_signal == "tsmom"
    assert (
        to_toml_dict(cfg.with_overrides({"training.jobs": 2}))["managed_futures"] == base["managed_futures"]
    )


def test_resume_of_an_old_format_run_folder(tmp_path: Path):
    from deepmomentum.pipeline._run import volatile_keys
    from deepmomentum.run import RunFolder, resume_config

    run_dir = tmp_path / "old"
    run_dir.mkdir()
    old = _legacy_layout(load_preset("etf-managed-futures-quick"))
    (run_dir / "config.toml").write_text(tomli_w.dumps(old))
    (run_dir / "meta.json").write_text('{"kind": "managed_futures"}')
    with pytest.warns(ConfigWarning):
        cfg = resume_config(run_dir, jobs=4)  # a volatile setting may change
    assert cfg.trend_model is not None and cfg.trend_model.max_epochs == 6
    RunFolder.claim(run_dir, "managed_futures", cfg, volatile_keys(cfg))  # same settings: a resume
    RunFolder(run_dir).write_config(cfg)
    old["training"]["jobs"] = 4
    assert tomllib.loads((run_dir / "config.toml").read_text()) == old  # still the old layout
    with pytest.warns(ConfigWarning):
        changed = load_config(run_dir / "config.toml").with_overrides({"trend_model.max_epochs": 7})
    with pytest.raises(ConfigError, match=r"trend_model.max_epochs \(6 -> 7\)"):
        RunFolder.claim(run_dir, "managed_futures", changed, volatile_keys(changed))
