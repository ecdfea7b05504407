from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from deepmomentum.exceptions import DataError
from deepmomentum.metrics import METRIC_NAMES, performance_summary
from deepmomentum.report import SECTIONS, RunData, build_report, load_run, summary_table
from deepmomentum.report._analysis import Analysis, parse_variant
from tests.report.fixtures import make_run_folder

REQUIRED = ("config.toml", "meta.json", "returns.csv", "positions.parquet", "metrics.json", "universe.csv")


class _Page(HTMLParser):
    """Tags with their attributes, and the text of each <script> (HTMLParser keeps script bodies raw)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.ids: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id"):
            self.ids.add(str(d["id"]))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return text, page


# ------------------------------------------------------------------ load_run
def test_load_run_reads_every_file(run_template: Path) -> None:
    run = load_run(run_template)
    assert isinstance(run, RunData)
    assert len(run.variants) == 21 and run.variants[0] == "long_only@0bp"
    assert isinstance(run.returns.index, pd.DatetimeIndex) and run.returns.index.name == "date"
    assert run.returns_ex_post is not None and list(run.returns_ex_post.columns) == run.variants
    assert run.benchmarks is not None and run.reference_name == "SPY"
    assert {"date", "symbol", "strategy", "weight"} <= set(run.positions.columns)
    assert run.asset_returns is not None and run.asset_returns.shape[1] == 8
    assert run.windows is not None and run.trials is not None and run.quality is not None
    assert run.synthetic is True
    assert run.config["backtest"]["vol_target"] == 0.15
    assert run.strategy_of("tsmom@10bp") == "tsmom"
    assert run.strategy_of("nothing@2bp") is None


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_required_file_names_it(run_dir: Path, name: str) -> None:
    (run_dir / name).unlink()
    with pytest.raises(DataError, match=re.escape(name)) as info:
        load_run(run_dir)
    assert info.value.path == str(run_dir / name)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="run folder not found"):
        load_run(tmp_path / "nope")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("metrics.json", "{not json", "not valid JSON"),
        ("meta.json", "[1, 2]", "JSON object"),
        ("config.toml", "a = = 1", "not valid TOML"),
        ("returns.csv", "day,x@1bp\n2020-01-01,0.1\n", "missing column"),
        ("returns.csv", "date,x@1bp\nnot-a-date,0.1\n", "not dates"),
        ("returns.csv", "date,x@1bp\n2020-01-01,abc\n", "non-numeric"),
        ("returns.csv", "", "empty"),
        ("universe.csv", "symbol,sector\nA,x\n", "asset_class"),
        ("positions.parquet", "this is not parquet", "Parquet"),
    ],
)
def test_malformed_file_names_it(run_dir: Path, name: str, content: str, message: str) -> None:
    (run_dir / name).write_text(content)
    with pytest.raises(DataError, match=message) as info:
        load_run(run_dir)
    assert name in str(info.value)


def test_positions_without_weight(run_dir: Path) -> None:
    pos = pd.read_parquet(run_dir / "positions.parquet").drop(columns="weight")
    pos.to_parquet(run_dir / "positions.parquet")
    with pytest.raises(DataError, match=r"positions.parquet.*weight"):
        load_run(run_dir)


# -------------------------------------------------------------- the numbers
def test_summary_uses_performance_summary(run_template: Path) -> None:
    run = load_run(run_template)
    table = summary_table(run)
    assert list(table.columns) == list(METRIC_NAMES)
    assert list(table.index) == [*run.variants, "SPY", "AGG"]
    assert run.benchmarks is not None
    expected = performance_summary(run.returns, reference=run.benchmarks["SPY"])
    cols = [c for c in METRIC_NAMES if c != "turnover"]
    pd.testing.assert_frame_equal(table.loc[run.variants, cols], expected[cols])
    # turnover comes from metrics.json; SPY against itself has correlation 1
    assert table.loc["tsmom@2bp", "turnover"] == pytest.approx(run.metrics["tsmom@2bp"]["turnover"])
    assert table.loc["SPY", "corr_ref"] == pytest.approx(1.0)
    assert np.isnan(table.loc["SPY", "turnover"])


def test_turnover_recomputed_from_positions_when_metrics_lack_it(run_dir: Path) -> None:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    expected = metrics["tsmom@2bp"]["turnover"]
    for row in metrics.values():
        row["turnover"] = None
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    assert Analysis(load_run(run_dir)).turnover("tsmom@2bp") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tsmom@2bp", ("tsmom", 2.0)),
        ("macd_8_24@0bp", ("macd_8_24", 0.0)),
        ("dmn@2.5bp", ("dmn", 2.5)),
        ("a@b@10bp", ("a@b", 10.0)),
        ("tsmom@universe", None),
        ("tsmom", None),
    ],
)
def test_parse_variant(name: str, expected: tuple[str, float] | None) -> None:
    assert parse_variant(name) == expected


def test_sharpe_by_cost(run_template: Path) -> None:
    an = Analysis(load_run(run_template))
    curves = an.sharpe_by_cost()
    assert set(curves) == {
        "long_only",
        "tsmom",
        "macd_8_24",
        "macd_16_48",
        "macd_32_96",
        "dmn_sharpe",
        "lstm",
    }
    tsmom = curves["tsmom"]
    assert list(tsmom.index) == [0.0, 2.0, 10.0]
    assert tsmom.is_monotonic_decreasing  # costs only hurt
    assert tsmom[2.0] == pytest.approx(an.summary().loc["tsmom@2bp", "sharpe"])


@pytest.mark.parametrize("variant", ["tsmom@0bp", "tsmom@10bp", "lstm@2bp"])
def test_contribution_adds_up_to_the_mean_return(run_template: Path, variant: str) -> None:
    run = load_run(run_template)
    contrib = Analysis(run).contribution(variant)
    assert contrib is not None and contrib.kind == "return" and contrib.costs_included
    table = contrib.table
    assert set(table.index) == set(run.asset_returns.columns)  # type: ignore[union-attr]
    r = run.returns[variant].dropna()
    n_days = len(r) + 0  # span days minus the first (no return), as in the analysis
    total = table["value"].sum() * n_days / 252
    assert total == pytest.approx(r.sum(), rel=1e-9, abs=1e-12)
    assert table["value"].is_monotonic_decreasing
    np.testing.assert_allclose(table["value"], table["gross"] - table["cost"])


def test_contribution_falls_back_to_exposure_share(run_dir: Path) -> None:
    (run_dir / "asset_returns.parquet").unlink()
    contrib = Analysis(load_run(run_dir)).contribution("tsmom@2bp")
    assert contrib is not None and contrib.kind == "exposure_share"
    assert contrib.table["value"].sum() == pytest.approx(1.0)
    assert (contrib.table["value"] >= 0).all()


def test_exposure_by_class(run_template: Path) -> None:
    run = load_run(run_template)
    gross, net = Analysis(run).exposure("long_only")
    assert set(gross.columns) == set(run.universe["asset_class"])
    assert (gross.fillna(0) >= -1e-12).all().all()
    # long only: net equals gross
    pd.testing.assert_frame_equal(gross, net)
    tsmom_gross, tsmom_net = Analysis(run).exposure("tsmom")
    assert (tsmom_net.abs() <= tsmom_gross + 1e-12).all().all()


def test_calendar_returns_compound_to_the_total(run_template: Path) -> None:
    run = load_run(run_template)
    monthly, yearly = Analysis(run).calendar_returns("tsmom@2bp")
    assert list(monthly.columns) == list(range(1, 13))
    total = float(np.prod(1 + run.returns["tsmom@2bp"].dropna()) - 1)
    assert float(np.prod(1 + yearly.dropna()) - 1) == pytest.approx(total, rel=1e-9)
    assert float(np.nanprod(1 + monthly.to_numpy()) - 1) == pytest.approx(total, rel=1e-9)


def test_long_series_are_thinned_to_weekly(tmp_path: Path) -> None:
    run = load_run(
        make_run_folder(tmp_path / "long", n_assets=4, n_years=7, strategies=("tsmom",), costs=(2.0,))
    )
    an = Analysis(run)
    wealth, dd = an.wealth(), an.drawdowns()
    assert len(run.returns) > 1500 and len(wealth) < len(run.returns) / 4
    # the weekly minimum keeps the worst drawdown
    from deepmomentum.metrics import max_drawdown

    assert dd["tsmom@2bp"].min() == pytest.approx(max_drawdown(run.returns["tsmom@2bp"]), rel=1e-9)


# ------------------------------------------------------------------ the page
def test_report_has_every_section(built_report: Path) -> None:
    text, page = _parse(built_report)
    assert built_report.name == "report.html"
    for sid, _ in SECTIONS:
        assert sid in page.ids, f"section {sid!r} missing"
    for fig_id in (
        "fig-equity",
        "fig-drawdowns",
        "fig-rolling-sharpe",
        "fig-monthly-returns",
        "fig-exposure",
        "fig-cost",
        "fig-contribution",
        "fig-windows",
        "fig-trials",
    ):
        assert fig_id in page.ids, f"figure {fig_id!r} missing"
    assert {
        "summary-table",
        "windows-table",
        "trials-table",
        "quality-table",
        "config-toml",
        "versions-table",
    } <= page.ids
    assert "variant-select" in page.ids
    options = [a.get("value") for t, a in page.tags if t == "option"]
    assert options == load_run(built_report.parent).variants
    # the summary lists every variant and benchmark
    for name in ("tsmom@10bp", "long_only@0bp", "SPY", "AGG"):
        assert f"<td class='name'>{name}</td>" in text
    assert "Corr SPY" in text
    assert "vol_target = 0.15" in text  # the configuration, verbatim
    assert "stale_price" in text  # data quality
    assert "ex-post" in text.lower()


def test_report_is_self_contained(built_report: Path) -> None:
    from plotly.offline import get_plotlyjs

    text, page = _parse(built_report)
    # plotly.js inlined exactly once, no script or stylesheet loaded from anywhere
    assert text.count(get_plotlyjs()[:80]) == 1
    assert not [a for t, a in page.tags if t == "script" and a.get("src")]
    assert not [t for t, _ in page.tags if t in ("link", "iframe", "img", "object", "embed", "base")]
    external = [
        (t, k, v)
        for t, a in page.tags
        for k, v in a.items()
        if k in ("src", "href", "action", "data", "poster", "srcset")
        and v
        and re.match(r"\s*(https?:)?//", v)
    ]
    assert external == []
    # our own scripts (everything but the plotly.js bundle) fetch nothing
    ours = [s for s in page.scripts if "plotly.js v" not in s[:200]]
    assert len(ours) >= 8
    for script in ours:
        assert not re.search(r"https?://|fetch\(|import\(|XMLHttpRequest|WebSocket", script)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text.split("<script", 1)[0])


def test_synthetic_banner_and_title(built_report: Path) -> None:
    text, page = _parse(built_report)
    assert "synthetic-banner" in page.ids
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    assert title is not None and "SYNTHETIC DATA" in title.group(1)


def test_real_data_has_no_banner(tmp_path: Path) -> None:
    path = make_run_folder(tmp_path / "real", n_assets=5, n_years=2, strategies=("tsmom",), synthetic=False)
    text, page = _parse(build_report(path))
    assert "synthetic-banner" not in page.ids
    assert "SYNTHETIC" not in re.search(r"<title>(.*?)</title>", text, re.S).group(1)  # type: ignore[union-attr]


def test_optional_files_absent(tmp_path: Path) -> None:
    path = make_run_folder(
        tmp_path / "classic",
        n_assets=5,
        n_years=2,
        strategies=("tsmom", "long_only"),
        with_optional=False,
        with_asset_returns=False,
    )
    (path / "benchmarks.csv").unlink()
    (path / "returns_ex_post.csv").unlink()
    text, page = _parse(build_report(path))
    for sid, _ in SECTIONS:
        assert sid in page.ids
    assert "no <code>models/windows.csv</code>" in text
    assert "no <code>quality.csv</code>" in text
    assert "no <code>asset_returns.parquet</code>" in text and "share of the average gross exposure" in text
    assert "No SPY column" in text
    assert "fig-windows" not in page.ids


def test_variant_without_positions_and_universe_costs(run_dir: Path) -> None:
    returns = pd.read_csv(run_dir / "returns.csv")
    returns["ghost@2bp"] = returns["tsmom@2bp"]
    returns["tsmom@universe"] = returns["tsmom@2bp"]
    returns.to_csv(run_dir / "returns.csv", index=False)
    run = load_run(run_dir)
    an = Analysis(run)
    assert an.contribution("ghost@2bp") is None
    uni = an.contribution("tsmom@universe")
    assert uni is not None and uni.costs_included and (uni.table["cost"] > 0).all()
    text, _ = _parse(build_report(run))
    assert "positions.parquet has no positions for ghost@2bp" in text
    assert "Not on this chart" in text and "tsmom@universe" in text


def test_png_figures(run_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    build_report(run_dir, png=True)
    names = sorted(p.name for p in (run_dir / "figures").iterdir())
    assert names == ["drawdowns.png", "equity.png", "rolling_sharpe.png", "sharpe_vs_cost.png"]
    for p in (run_dir / "figures").iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5_000


# ----------------------------------------------------------------------- CLI


def test_cli_writes_report(cli: typer.Typer, run_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.html").is_file()
    assert "report.html" in result.output and "SYNTHETIC" in result.output


def test_cli_json(cli: typer.Typer, run_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["synthetic"] is True and data["reference"] == "SPY"
    assert set(data["metrics"]) == {*data["variants"], "SPY", "AGG"}
    assert set(data["metrics"]["tsmom@2bp"]) == set(METRIC_NAMES)
    assert data["metrics"]["SPY"]["turnover"] is None


def test_cli_quiet_and_png(cli: typer.Typer, run_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--png", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ""
    assert (run_dir / "figures" / "equity.png").is_file()


def test_cli_bad_input_exit_code(cli: typer.Typer, run_dir: Path) -> None:
    (run_dir / "returns.csv").unlink()
    result = CliRunner().invoke(cli, ["report", str(run_dir)])
    assert result.exit_code == 2
    assert "returns.csv" in result.output and "missing required file" in result.output


def test_cli_help_has_examples(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.output and "--png" in result.output and "--json" in result.output
