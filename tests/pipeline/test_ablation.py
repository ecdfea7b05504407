"""The ablation: every (layer, seed, span) row, baseline = a plain run, no-op layers, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.config import RunConfig
from deepmomentum.exceptions import ConfigError
from deepmomentum.pipeline._ablation import BASELINE, MEASURES, ablate
from deepmomentum.presets import load_preset

SPANS = {"design": ("2021-01-01", "2021-12-31"), "holdout": ("2022-01-01", None)}
LAYERS = ["sentiment_off", "blend_off"]


def _tiny(etf_dir: Path) -> RunConfig:
    cfg = load_preset("etf-managed-futures-quick")
    cfg.data.data_dir = etf_dir  # no macro or sentiment folder: market-implied regime, sentiment off
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 1  # 2 one-year windows
    cfg.training.last_test_year = 2022
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    tm = cfg.trend_model
    assert tm is not None and cfg.rebalance is not None
    tm.hidden_sizes = [8, 4]
    tm.max_epochs = 1
    tm.train_stride = 20
    tm.max_train_samples = 500
    cfg.rebalance.daily_variant = False  # the ablation measures the main variant only
    return cfg


@pytest.fixture(scope="module")
def ablation(tmp_path_factory, etf_dir):
    from deepmomentum.pipeline._run import run_pipeline

    cfg = _tiny(etf_dir)
    out = tmp_path_factory.mktemp("ablation")
    # a plain run of the second seed; its trained models seed the ablation's cache (one training less)
    plain_dir = tmp_path_factory.mktemp("plain")
    plain = run_pipeline(cfg.with_overrides({"seed": cfg.seed + 1}), plain_dir)
    shutil.copytree(plain_dir / "models" / "trend", out / "seed-1" / "models" / "trend")
    events: list[dict] = []
    res = ablate(
        cfg,
        out,
        seeds=(0, 1),
        layers=LAYERS,
        spans=SPANS,
        progress=lambda e, **i: events.append({"e": e, **i}),
    )
    return res, out, cfg, events, plain


def _markers(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in out.glob("seed-*/models/trend/*/*/result.json")}


def test_every_layer_seed_span_cost_and_measure(ablation):
    _, out, cfg, *_ = ablation
    table = pd.read_csv(out / "ablation.csv")
    assert list(table.columns) == ["layer", "seed", "span", "cost_bps", "measure", "value"]
    keys = table.set_index(["layer", "seed", "span", "cost_bps", "measure"]).index
    want = pd.MultiIndex.from_product(
        [[BASELINE, *LAYERS], [cfg.seed, cfg.seed + 1], list(SPANS), [0.0, 2.0], list(MEASURES)]
    )
    assert keys.is_unique and set(keys) == set(want)
    assert table["value"].notna().all()
    # costs cost: the Sharpe at 2 bp is below the one at 0 bp for every pair with trades
    sharpe = table[table["measure"] == "sharpe"].pivot_table(
        index=["layer", "seed", "span"], columns="cost_bps", values="value"
    )
    assert (sharpe[2.0] < sharpe[0.0]).all()
    summary = pd.read_csv(out / "ablation_summary.csv")
    assert len(summary) == 3 * 2 * 2 and (summary["n_seeds"] == 2).all()
    assert summary["sharpe_std"].notna().all()
    base = summary[summary["layer"] == BASELINE]
    assert np.allclose(base["sharpe_vs_baseline_mean"], 0.0)
    meta = json.loads((out / "ablation.json").read_text())
    assert set(meta["layers"]) == {BASELINE, *LAYERS} and "design" in meta["selection"]
    html = (out / "ablation.html").read_text()
    assert "plotly" in html and "blend_off" in html
    # one trend model per seed and window, shared by every layer
    assert len(_markers(out)) == 2 * 2


def test_progress_counts_every_pair(ablation):
    *_, events, _ = ablation
    steps = [e for e in events if e["e"] == "ablation"]
    assert steps[-1]["done"] == steps[-1]["total"] == 2 * 3
    assert any(e["e"] == "task" for e in events)  # the training events pass through


def test_baseline_equals_a_plain_run(ablation):
    res, _, cfg, _, plain = ablation
    returns = plain.result.portfolio_returns
    mine = res.returns[(BASELINE, cfg.seed + 1)]
    for cost in ("0bp", "2bp"):
        pd.testing.assert_series_equal(mine[cost], returns[f"mf@{cost}"], check_names=False)


def test_a_layer_that_changes_nothing_equals_the_baseline(ablation):
    res, _, cfg, *_ = ablation
    for seed in (cfg.seed, cfg.seed + 1):
        pd.testing.assert_frame_equal(res.returns[("sentiment_off", seed)], res.returns[(BASELINE, seed)])
        # and a layer that does change the book differs
        assert not res.returns[("blend_off", seed)].equals(res.returns[(BASELINE, seed)])


def test_resume_skips_finished_pairs_and_reuses_the_models(ablation):
    _, out, cfg, *_ = ablation
    before = pd.read_csv(out / "ablation.csv")
    markers = _markers(out)
    again = ablate(cfg, out, seeds=(0, 1), layers=LAYERS, spans=SPANS)
    assert again.computed == []
    pd.testing.assert_frame_equal(pd.read_csv(out / "ablation.csv"), before)
    more = ablate(cfg, out, seeds=(0,), layers=[*LAYERS, "model_only"], spans=SPANS)
    assert more.computed == [("model_only", cfg.seed)]
    assert _markers(out) == markers  # nothing retrained
    assert len(pd.read_csv(out / "ablation.csv")) == len(before) + 2 * 2 * len(MEASURES)


def test_resume_with_other_spans_or_settings_is_refused(ablation):
    _, out, cfg, *_ = ablation
    with pytest.raises(ConfigError, match="other spans or costs"):
        ablate(cfg, out, seeds=(0,), layers=LAYERS, spans={"design": ("2021-01-01", "2021-06-30")})
    other = cfg.with_overrides({"trend_model.max_epochs": 3})
    with pytest.raises(ConfigError, match="other settings"):
        ablate(other, out, seeds=(0,), layers=LAYERS, spans=SPANS)


def test_bad_input(tmp_path, etf_dir):
    with pytest.raises(ConfigError, match="unknown layer"):
        ablate(_tiny(etf_dir), tmp_path / "a", layers=["nope"])
    with pytest.raises(ConfigError, match=r"managed-futures configuration \(\[trend_model\]"):
        ablate(load_preset("dmn-quick"), tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "etf-managed-futures-quick", "--layers", "regime_off,nope"], "unknown layer(s) nope"),
        (["--preset", "dmn-quick"], "managed-futures configuration ([trend_model]"),
        (["--preset", "etf-managed-futures-quick", "--seeds", "0"], "--seeds"),
        ([], "--preset"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args, message, tmp_path):
    from typer.testing import CliRunner

    from deepmomentum.cli import app

    out = tmp_path / "never"
    result = CliRunner().invoke(app, ["ablate", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()
