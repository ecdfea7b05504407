"""The ablation folder: a declared run kind, refused by other commands, and its report.html."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from deepmomentum.cli import app
from deepmomentum.exceptions import ConfigError, DataError
from deepmomentum.pipeline._ablation import MEASURES, TABLE_COLUMNS, ablate, chart_html, summarise
from deepmomentum.presets import load_preset
from deepmomentum.report import build_report, is_ablation, load_run
from deepmomentum.run import RunFolder, declared_file, missing_files, undeclared_files
from deepmomentum.run import _layout as layout
from deepmomentum.run._folder import recorded_kind
from deepmomentum.run._layout import columns_match

LAYERS = ("baseline", "regime_off", "blend_off")
SPANS = {"design": ["2012-01-01", "2018-12-31"], "holdout": ["2019-01-01", None]}
SEEDS = (42, 43)


def _table() -> pd.DataFrame:
    """A tidy ablation.csv: every (layer, seed, span, cost, measure), Sharpe lower at 2 bp."""
    rng = np.random.default_rng(0)
    rows = []
    for layer in LAYERS:
        for seed in SEEDS:
            for span in SPANS:
                sharpe = rng.normal(0.3, 0.2)
                for cost in (0.0, 2.0):
                    values = {
                        "sharpe": sharpe - 0.05 * cost,
                        "annual_vol": 0.1 + 0.01 * rng.random(),
                        "max_drawdown": -0.2 * rng.random(),
                        "turnover": 8.0 + rng.random(),
                    }
                    rows += [(layer, seed, span, cost, m, values[m]) for m in MEASURES]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _write_folder(path: Path) -> Path:
    """What `deepmomentum ablate` writes, synthesised (no training): the files of the contract."""
    folder = RunFolder(path)
    folder.write_config(load_preset("etf-managed-futures-quick"))
    folder.write_meta(
        kind="ablation",
        command="ablate",
        seed=42,
        reference="SPY",
        span=["2012-01-03", "2022-12-30"],
        started_at="2026-01-01T00:00:00+00:00",
        ablation={"spans": SPANS, "costs": [0.0, 2.0]},
        data={"source": "synthetic", "synthetic": True},
        finished_at="2026-01-01T00:01:00+00:00",
        elapsed_s=60.0,
    )
    (path / layout.RUN_LOG).write_text("ok\n")
    table = _table()
    summary = summarise(table, LAYERS)
    folder.write_csv(layout.ABLATION, table, index=False)
    folder.write_csv(layout.ABLATION_SUMMARY, summary, index=False)
    folder.write_json(
        layout.ABLATION_JSON,
        {
            "layers": {n: f"what {n} changes" for n in LAYERS},
            "seeds": list(SEEDS),
            "spans": SPANS,
            "costs_bps": [0.0, 2.0],
            "selection": "choose defaults on the design span only",
            "summary": summary.to_dict(orient="records"),
        },
    )
    folder.write_text(layout.ABLATION_CHART, chart_html(summary))
    days = pd.bdate_range("2012-01-02", periods=5, name="date")
    for k in range(len(SEEDS)):
        for layer in LAYERS:
            returns = pd.DataFrame({"0bp": 0.001, "2bp": 0.0009}, index=days)
            RunFolder(path / f"seed-{k}").write_csv(f"layers/{layer}.csv", returns)
    (path / "seed-0/models/trend/window-00/seed-0").mkdir(parents=True)
    (path / "seed-0/models/trend/window-00/seed-0/result.json").write_text("{}")
    return path


@pytest.fixture(scope="module")
def ablation_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_folder(tmp_path_factory.mktemp("ablation") / "abl")


@pytest.fixture
def abl(ablation_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "abl"
    shutil.copytree(ablation_template, target)
    return target


@pytest.fixture(scope="module")
def report_html(ablation_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("built") / "abl"
    shutil.copytree(ablation_template, target)
    path = build_report(target)
    assert path == target / layout.REPORT
    return path.read_text(encoding="utf-8")


def _pm(mean: float, std: float, pattern: str) -> str:
    return pattern.format(mean) + " ± " + pattern.format(std).lstrip("+")


def _row(html: str, layer: str, span: str) -> str:
    match = re.search(rf"<tr data-layer='{layer}' data-span='{span}'>(.*?)</tr>", html)
    assert match is not None, f"no row for {layer}/{span}"
    return match.group(1)


# --- the run kind and the contract


def test_the_folder_is_an_ablation_and_holds_exactly_the_declared_files(ablation_template: Path) -> None:
    assert recorded_kind(ablation_template) == "ablation" and is_ablation(ablation_template)
    assert undeclared_files(ablation_template) == []
    assert missing_files(ablation_template, "ablation") == []
    checked = 0
    for file in sorted(p for p in ablation_template.rglob("*") if p.is_file()):
        spec = declared_file(file.relative_to(ablation_template).as_posix())
        assert spec is not None and "ablation" in spec.kinds, file
        if spec.columns and file.suffix in (".csv", ".json"):
            if file.suffix == ".json":
                cols = list(json.loads(file.read_text()))
            else:
                cols = [str(c) for c in pd.read_csv(file, nrows=0).columns]
                if spec.index:
                    assert cols[0] == spec.index
                    cols = cols[1:]
            assert columns_match(spec, cols), f"{spec.path}: wrote {cols}, declared {spec.columns}"
            checked += 1
    assert checked >= 5  # ablation.csv, the summary, ablation.json, meta.json, the layers' returns


def test_an_older_ablation_without_kind_is_read_from_its_command(abl: Path) -> None:
    meta = json.loads((abl / layout.META).read_text())
    del meta["kind"]
    (abl / layout.META).write_text(json.dumps(meta))
    assert recorded_kind(abl) == "ablation"


def test_a_run_into_an_ablation_folder_is_refused(abl: Path) -> None:
    before = sorted(p.name for p in abl.iterdir())
    cfg = load_preset("etf-managed-futures-quick")
    with pytest.raises(ConfigError, match=r"holds a managed-futures ablation .*`deepmomentum ablate`"):
        RunFolder.claim(abl, "managed_futures", cfg)
    result = CliRunner().invoke(
        app, ["run", "--preset", "etf-managed-futures-quick", "--out", str(abl), "--no-report", "-q"]
    )
    assert result.exit_code == 2, result.output
    assert "ablation" in result.output and "--force" in result.output
    assert sorted(p.name for p in abl.iterdir()) == before  # nothing written, nothing removed


def test_ablate_into_a_run_folder_is_refused(tmp_path: Path) -> None:
    dmn = tmp_path / "dmn"
    RunFolder(dmn).write_meta(kind="dmn", command="run")
    (dmn / "returns.csv").write_text("date\n")
    cfg = load_preset("etf-managed-futures-quick")
    with pytest.raises(
        ConfigError, match=r"holds a Deep Momentum Network run.*writing a managed-futures ablation"
    ):
        ablate(cfg, dmn, seeds=(0,), layers=["blend_off"])
    assert sorted(p.name for p in dmn.iterdir()) == ["meta.json", "returns.csv"]


def test_a_folder_holding_only_a_seed_cache_may_start_an_ablation(tmp_path: Path) -> None:
    cfg = load_preset("etf-managed-futures-quick")
    out = tmp_path / "cache"
    (out / "seed-1" / "models").mkdir(parents=True)
    folder = RunFolder.claim(out, "ablation", cfg, cache=("seed-*",))
    assert folder.path == out and (out / "seed-1" / "models").is_dir()
    with pytest.raises(ConfigError, match="holds no run"):  # without the cache pattern: files of no run
        RunFolder.claim(out, "managed_futures", cfg)


# --- the report


def test_report_has_the_headline_rule_and_the_baseline(report_html: str, ablation_template: Path) -> None:
    assert "Defaults are chosen on the design span only" in report_html
    summary = pd.read_csv(ablation_template / layout.ABLATION_SUMMARY)
    base = summary[
        (summary["layer"] == "baseline") & (summary["span"] == "holdout") & (summary["cost_bps"] == 2)
    ]
    lead = re.search(r"<p id='headline-baseline'>(.*?)</p>", report_html)
    assert lead is not None
    assert f"holdout {_pm(base['sharpe_mean'].item(), base['sharpe_std'].item(), '{:.2f}')}" in lead.group(1)


def test_report_table_has_every_layer_and_span_with_mean_and_std(
    report_html: str, ablation_template: Path
) -> None:
    summary = pd.read_csv(ablation_template / layout.ABLATION_SUMMARY)
    stats = {(r["layer"], r["span"], float(r["cost_bps"])): r for r in summary.to_dict(orient="records")}
    table = report_html[report_html.index("<table id='ablation-table'>") :]
    rows = re.findall(r"<tr data-layer='([^']+)' data-span='([^']+)'>", table)
    assert rows == [(layer, span) for layer in LAYERS for span in SPANS]
    for layer in LAYERS:
        for span in SPANS:
            cells = re.findall(r"<td[^>]*>([^<]*)</td>", _row(table, layer, span))
            at0, at2 = stats[(layer, span, 0.0)], stats[(layer, span, 2.0)]
            assert cells[:2] == [layer, span]
            assert cells[2] == _pm(at0["sharpe_mean"], at0["sharpe_std"], "{:.2f}")
            assert cells[3] == _pm(at2["sharpe_mean"], at2["sharpe_std"], "{:.2f}")
            delta = _pm(at2["sharpe_vs_baseline_mean"], at2["sharpe_vs_baseline_std"], "{:+.2f}")
            assert cells[4] == delta
            assert cells[5] == _pm(at2["annual_vol_mean"], at2["annual_vol_std"], "{:.1%}")
            assert cells[6] == _pm(at2["turnover_mean"], at2["turnover_std"], "{:.1f}")
            assert cells[7] == _pm(at2["max_drawdown_mean"], at2["max_drawdown_std"], "{:.1%}")
    # a layer that beats the baseline on design differs from it; the baseline's own difference is zero
    assert re.findall(r"<td[^>]*>([^<]*)</td>", _row(table, "baseline", "design"))[4] == "+0.00 ± 0.00"


def test_report_has_the_chart_self_contained(report_html: str) -> None:
    chart = report_html[report_html.index("<section id='ablation-chart'>") :]
    chart = chart[: chart.index("</section>")]
    assert 'id="ablation-chart-plot"' in chart or "id='ablation-chart-plot'" in chart
    assert '"name":"design"' in chart and '"name":"holdout"' in chart
    assert '"error_y"' in chart and "Sharpe at 2 bp" in chart
    # plotly.js inlined exactly once; no script loaded from anywhere; our own scripts fetch nothing
    assert report_html.count(get_plotlyjs()[:80]) == 1
    assert not re.search(r"<script[^>]*\ssrc=", report_html) and not re.search(
        r"<(link|iframe|img)\b", report_html
    )
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", report_html, flags=re.S)
    ours = [t for t in scripts if "plotly.js v" not in t[:200]]
    assert ours and not any(re.search(r"https?://|fetch\(|XMLHttpRequest", t) for t in ours)
    assert "id='synthetic-banner'" in report_html  # the data were synthetic
    for sid in ("headline", "ablation-summary", "ablation-chart", "layers", "configuration", "versions"):
        assert f"<section id='{sid}'>" in report_html


def test_report_cli_writes_the_ablation_report_and_json(abl: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(abl), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["kind"] == "ablation" and out["synthetic"] is True
    assert [(r["layer"], r["span"]) for r in out["summary"]] == [(n, s) for n in LAYERS for s in SPANS]
    assert (abl / layout.REPORT).is_file()
    png = CliRunner().invoke(app, ["report", str(abl), "--png"])
    assert png.exit_code == 2 and "no PNG figures" in png.output
    assert not (abl / layout.FIGURES_DIR).exists()


def test_a_damaged_or_missing_summary_names_the_file(abl: Path) -> None:
    (abl / layout.ABLATION_SUMMARY).write_text("layer,span\nbaseline,design\n")
    with pytest.raises(DataError, match=r"ablation_summary\.csv.*missing column"):
        build_report(abl)
    (abl / layout.ABLATION_SUMMARY).unlink()
    with pytest.raises(DataError, match=r"missing required file ablation_summary\.csv"):
        build_report(abl)
    (abl / layout.ABLATION_SUMMARY).write_text("layer\nbaseline\n")
    with pytest.raises(DataError, match="an ablation folder"):  # the run reader points to the right one
        load_run(abl)


def test_ablate_cli_has_report_and_force_flags() -> None:
    result = CliRunner().invoke(app, ["ablate", "--help"], terminal_width=80, env={"COLUMNS": "80"})
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "--no-report" in text and "--force" in text
