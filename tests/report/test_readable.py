"""A report a quant can read at a glance: headline, vol-matched view, axes, styles, colours, measures."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from deepmomentum import metrics
from deepmomentum.report import build_report, load_run
from deepmomentum.report._analysis import Analysis, parse_variant
from deepmomentum.report._axes import DIVERGING_NEUTRAL, log_ticks, percent_axis, percent_format
from deepmomentum.report._figures import contribution_figure, drawdown_figure, heatmap_figure, style_for
from deepmomentum.report._figures_risk import equity_figure
from deepmomentum.report._headline import choose_cost, headline
from tests.report.fixtures import make_run_folder

COSTS7 = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)


def _labels(tickformat: str, lo: float, hi: float, step: float) -> list[str]:
    """Tick labels plotly would print at multiples of ``step`` in [lo, hi] (d3 ``.N%`` / ``.N~%``)."""
    decimals = int(re.fullmatch(r"\.(\d+)~?%", tickformat).group(1))  # type: ignore[union-attr]
    ticks = np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step
    out = []
    for t in ticks:
        text = f"{t * 100:.{decimals}f}"
        if "~" in tickformat and "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append(text + "%")
    return out


def _plotly_step(lo: float, hi: float) -> float:
    """The finest step plotly's auto ticks use on a wide axis (about 10 ticks, 1-2-5 steps)."""
    raw = (hi - lo) / 10
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if raw <= m * power)


@pytest.fixture(scope="module")
def an(run_template: Path) -> Analysis:
    return Analysis(load_run(run_template))


# ------------------------------------------------------------ cost level
def test_choose_cost_nearest_with_note() -> None:
    names = ["a@0bp", "a@2bp", "a@10bp"]
    assert choose_cost(names, 2.0) == (2.0, None)
    cost, note = choose_cost(names, 3.0)
    assert cost == 2.0 and note is not None and "no variant at 3 bp" in note and "2 bp" in note
    assert choose_cost(names, 7.0)[0] == 10.0
    assert choose_cost(["x@universe"], 2.0)[0] is None


def test_default_variant_is_at_2bp_never_0bp(built_report: Path) -> None:
    text = built_report.read_text(encoding="utf-8")
    selected = re.findall(r"<option value='([^']+)' selected>", text)
    assert selected == ["long_only@2bp"]
    assert "<tr data-row='long_only@2bp' class='selected'>" in text


def test_cli_cost_bps(cli: typer.Typer, run_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--cost-bps", "10"])
    assert result.exit_code == 0, result.output
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    assert re.findall(r"<option value='([^']+)' selected>", text) == ["long_only@10bp"]
    assert "Headline at 10 bp" in text
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--cost-bps", "4"])
    assert result.exit_code == 0
    assert "no variant at 4 bp" in (run_dir / "report.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, ["report", str(run_dir), "--cost-bps", "-1"])
    assert bad.exit_code == 2 and "--cost-bps" in bad.output


# ------------------------------------------------------------- headline
def test_headline_families_against_best_benchmark(an: Analysis) -> None:
    head = headline(an, 2.0)
    assert head.cost == 2.0 and head.note is None
    # the fixture's models are dmn_sharpe and lstm; the rest are classical rules
    assert [r.family for r in head.rows] == ["dmn_sharpe", "lstm"]
    assert all(r.series.endswith("@2bp") for r in head.rows)
    candidates = [v for v in an.run.variants if v.endswith("@2bp") and not v.startswith(("dmn", "lstm"))]
    candidates += ["SPY", "AGG"]
    sharpe = {c: metrics.sharpe_ratio(an.series(c)) for c in candidates}
    assert head.best is not None and head.best.series == max(sharpe, key=lambda c: sharpe[c])
    for row in [*head.rows, head.best]:
        assert row.sharpe == pytest.approx(metrics.sharpe_ratio(an.series(row.series)), abs=1e-9)
        ci = metrics.sharpe_interval(an.series(row.series), 0.9)
        assert (row.low, row.high) == pytest.approx((ci.low, ci.high))
        assert row.low < row.sharpe < row.high
    assert head.rows[0].turnover == pytest.approx(an.turnover("dmn_sharpe@2bp"))


def test_headline_is_the_first_section(built_report: Path) -> None:
    text = built_report.read_text(encoding="utf-8")
    sections = re.findall(r"<section id='([^']+)'", text)
    assert sections[0] == "headline"
    block = text.split("<section id='headline'", 1)[1].split("</section>", 1)[0]
    assert "Headline at 2 bp" in block and "90% CI" in block and "Turnover/yr" in block
    assert "Mertens 2002" in block
    assert re.search(r"dmn_sharpe@2bp</b> Sharpe -?\d\.\d\d \[-?\d\.\d\d, -?\d\.\d\d\]", block)


def test_classical_run_compares_with_benchmarks_csv(tmp_path: Path) -> None:
    path = make_run_folder(tmp_path / "c", n_assets=5, n_years=2, strategies=("tsmom", "long_only"))
    head = headline(Analysis(load_run(path)))
    assert [r.family for r in head.rows] == ["long_only", "tsmom"]
    assert head.best is not None and head.best.kind == "benchmark"


# -------------------------------------------------------- equity curves
def test_equity_vol_matched_by_default(an: Analysis) -> None:
    fig = equity_figure(an, 2.0)
    on = [t for t in fig.data if t.visible is True]
    assert {t.meta["view"] for t in on} == {"matched"}
    names = {t.name for t in on}
    assert names == {v for v in an.run.variants if v.endswith("@2bp")} | {"SPY", "AGG"}
    legend_only = {t.name for t in fig.data if t.visible == "legendonly"}
    assert "tsmom@0bp" in legend_only and "tsmom@10bp" in legend_only  # one click away
    assert any("vol-matched to 10%: not implementable" in a.text for a in fig.layout.annotations)
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[0].startswith("vol-matched") and labels[1].startswith("raw")
    raw_vis = fig.layout.updatemenus[0].buttons[1].args[0]["visible"]
    n = len(fig.data) // 2
    assert not any(v is True for v in raw_vis[:n]) and raw_vis[n:].count(True) == len(on)
    # every vol-matched series runs at 10% a year
    wealth = an.vol_matched_wealth(0.10)
    for name in ("tsmom@2bp", "SPY", "lstm@2bp"):
        w = wealth[name].dropna()
        daily = np.diff(np.concatenate([[1.0], w.to_numpy()])) / np.concatenate([[1.0], w.to_numpy()[:-1]])
        assert metrics.annual_volatility(daily) == pytest.approx(0.10, rel=1e-6)


def test_log_axis_has_plain_ticks(an: Analysis) -> None:
    vals, text = log_ticks([0.62, 3.2])
    assert vals == [0.75, 1.0, 1.5, 2.0, 3.0] or {0.75, 1.0, 1.5, 2.0, 3.0} <= set(vals)
    assert text[vals.index(0.75)] == "0.75" and text[vals.index(1.5)] == "1.5"
    fig = equity_figure(an, 2.0)
    axis = fig.layout.yaxis
    assert axis.type == "log" and axis.tickvals and len(axis.ticktext) == len(axis.tickvals)
    assert len(set(axis.ticktext)) == len(axis.ticktext)
    assert all(re.fullmatch(r"\d+(\.\d+)?", t) for t in axis.ticktext)


# ------------------------------------------------------- percent axes
@pytest.mark.parametrize(("lo", "hi"), [(0.0, 0.0015), (-0.0004, 0.0011), (-0.3, 0.05), (-0.02, 0.0)])
def test_percent_axis_labels_never_repeat(lo: float, hi: float) -> None:
    axis = percent_axis([lo, hi])
    labels = _labels(str(axis["tickformat"]), lo, hi, float(axis["dtick"]))  # type: ignore[arg-type]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    fmt = percent_format([np.array([lo, hi])])
    fine = _labels(fmt, lo, hi, _plotly_step(lo, hi))
    assert len(set(fine)) == len(fine), fine


def test_report_axes_have_distinct_percent_labels(an: Analysis) -> None:
    contrib = contribution_figure(an, "long_only@2bp")
    fmt = contrib.layout.xaxis.tickformat
    for trace in contrib.data:
        x = np.asarray(trace.x, dtype="float64")
        lo, hi = min(0.0, x.min()), max(0.0, x.max())
        labels = _labels(fmt, lo, hi, _plotly_step(lo, hi))
        assert len(set(labels)) == len(labels), (trace.name, labels)
    heat = heatmap_figure(an, "long_only@2bp")
    for trace in heat.data:
        if trace.showscale is False:
            continue
        bar = trace.colorbar
        labels = _labels(bar.tickformat, trace.zmin, trace.zmax, bar.dtick)
        assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    dd = drawdown_figure(an, "long_only@2bp")
    for trace in dd.data:
        y = np.asarray(trace.y, dtype="float64")
        lo = float(np.nanmin(y))
        labels = _labels(dd.layout.yaxis.tickformat, lo, 0.0, _plotly_step(lo, 0.0))
        assert len(set(labels)) == len(labels), labels


# ------------------------------------------------------- line styles
def test_one_distinct_dash_per_cost_level() -> None:
    names = [f"{s}@{c:g}bp" for s in ("tsmom", "lstm") for c in COSTS7] + ["tsmom@universe"]
    styles = style_for(names, ["SPY"])
    dashes = [styles[f"tsmom@{c:g}bp"]["dash"] for c in COSTS7] + [styles["tsmom@universe"]["dash"]]
    assert len(set(dashes)) == len(dashes)
    for c in COSTS7:  # the same level looks the same in every strategy
        assert styles[f"tsmom@{c:g}bp"]["dash"] == styles[f"lstm@{c:g}bp"]["dash"]
        assert styles[f"tsmom@{c:g}bp"]["color"] != styles[f"lstm@{c:g}bp"]["color"]


@pytest.fixture(scope="module")
def many_costs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run_folder(tmp_path_factory.mktemp("costs") / "run", n_assets=5, n_years=2, costs=COSTS7)


def test_png_distinct_styles_and_complete_legends(many_costs: Path, tmp_path: Path, monkeypatch: Any) -> None:
    """Every legend lies inside the saved image; the PNG lines of one strategy differ per cost level."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from deepmomentum.report._png import write_pngs

    seen: list[dict[str, Any]] = []
    original = Figure.savefig

    def spy(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
        renderer = self.canvas.get_renderer()  # type: ignore[attr-defined]
        if kwargs.get("bbox_inches") == "tight":
            area = self.get_tightbbox(renderer).transformed(self.dpi_scale_trans)
        else:
            area = self.bbox
        legends = [*self.legends, *(ax.get_legend() for ax in self.axes if ax.get_legend())]
        inside = []
        for leg in legends:
            box = leg.get_window_extent(renderer)
            inside.append(
                box.x0 >= area.x0 - 1
                and box.y0 >= area.y0 - 1
                and box.x1 <= area.x1 + 1
                and box.y1 <= area.y1 + 1
            )
        lines = {ln.get_label(): ln for ax in self.axes for ln in ax.get_lines()}
        seen.append({"name": Path(fname).name, "inside": inside, "lines": lines})
        original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    write_pngs(Analysis(load_run(many_costs)), tmp_path / "figures")
    equity = next(s for s in seen if s["name"] == "equity.png")
    assert len(equity["lines"]) >= 7 * 7
    for record in seen:
        assert record["inside"] and all(record["inside"]), record["name"]
    # matplotlib has no public getter of the dash sequence; _dash_pattern is (offset, on/off lengths)
    dash_seqs = {c: repr(equity["lines"][f"tsmom@{c:g}bp"]._dash_pattern) for c in COSTS7}
    assert len(set(dash_seqs.values())) == len(COSTS7), dash_seqs


# ------------------------------------------------------- signed colours
def _is_reddish(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r > g + 40 and r > b + 40


def test_signed_measures_are_neutral(built_report: Path, an: Analysis) -> None:
    text = built_report.read_text(encoding="utf-8")
    summary = text.split("<table id='summary-table'>", 1)[1].split("</table>", 1)[0]
    skew = an.summary()["skew"]
    negative = next(v for v in an.run.variants if skew[v] < 0)
    row = re.search(rf"<tr data-row='{re.escape(negative)}'[^>]*>(.*?)</tr>", summary).group(1)  # type: ignore[union-attr]
    cells = re.findall(r"<td([^>]*)>", row)
    skew_cell = cells[1 + 9]  # name, then the 10 measures: skew is the 9th measure
    assert "neg" not in skew_cell and "signed" in skew_cell
    colour = re.search(r"background:(#[0-9a-f]{6})", skew_cell).group(1)  # type: ignore[union-attr]
    assert not _is_reddish(colour)
    risk = text.split("<table id='risk-table'>", 1)[1].split("</table>", 1)[0]
    for colour in re.findall(r"background:(#[0-9a-f]{6})", risk):
        assert not _is_reddish(colour)
    assert all(not _is_reddish(c) for _, c in DIVERGING_NEUTRAL)


# ----------------------------------------------------------- measures
def test_risk_table_matches_metrics(an: Analysis) -> None:
    table = an.risk_table()
    ref = an.run.reference
    assert ref is not None
    for name in ("tsmom@2bp", "AGG"):
        r = an.series(name)
        assert table.loc[name, "var95"] == pytest.approx(metrics.value_at_risk(r))
        assert table.loc[name, "cvar95"] == pytest.approx(metrics.conditional_value_at_risk(r))
        assert table.loc[name, "tail_ratio"] == pytest.approx(metrics.tail_ratio(r))
        assert table.loc[name, "kurtosis"] == pytest.approx(metrics.kurtosis(r))
        assert (table.loc[name, "alpha"], table.loc[name, "beta"]) == pytest.approx(
            metrics.alpha_beta(r, ref)
        )
        assert table.loc[name, "info_ratio"] == pytest.approx(metrics.information_ratio(r, ref))
    assert np.isnan(table.loc["SPY", "beta"])  # the reference against itself is left out


def test_report_shows_the_new_measures(built_report: Path, an: Analysis) -> None:
    text = built_report.read_text(encoding="utf-8")
    for fig_id in ("fig-rolling-vol", "fig-rolling-beta", "fig-returns-hist"):
        assert f'id="{fig_id}"' in text
    assert "VaR 95% (1 day)" in text and "CVaR 95% (1 day)" in text and "Tail ratio" in text
    assert "Excess kurtosis" in text and "Beta to SPY" in text and "Info ratio vs SPY" in text
    worst = an.top_drawdowns("long_only@2bp")
    block = text.split("<div data-variant='long_only@2bp'>", 1)[1].split("</div>", 1)[0]
    assert f"{worst['depth'].iloc[0]:.1%}" in block and str(worst["peak"].iloc[0].date()) in block
    assert block.count("<tr>") == 1 + len(worst)
    assert "<div data-variant='tsmom@2bp' hidden>" in text


def test_rolling_views(an: Analysis) -> None:
    vol = an.rolling_volatility()
    beta = an.rolling_beta()
    assert beta is not None and list(beta.columns) == an.run.variants
    r = an.series("tsmom@2bp")
    first = r.first_valid_index()
    expect = metrics.rolling_beta(r.loc[first:], an.run.reference)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(
        beta["tsmom@2bp"].dropna(), expect.dropna(), check_names=False, check_freq=False
    )
    assert vol["SPY"].dropna().iloc[-1] == pytest.approx(
        metrics.annual_volatility(an.series("SPY").iloc[-126:])
    )
    months = an.monthly_returns("tsmom@2bp")
    assert (1 + months).prod() == pytest.approx((1 + r.dropna()).prod())


def test_reference_from_meta_when_no_spy(run_dir: Path) -> None:
    bench = pd.read_csv(run_dir / "benchmarks.csv").rename(columns={"SPY": "SYN_EQ"})
    bench.to_csv(run_dir / "benchmarks.csv", index=False)
    meta = (run_dir / "meta.json").read_text().replace('"reference": "SPY"', '"reference": "SYN_EQ"')
    (run_dir / "meta.json").write_text(meta)
    assert load_run(run_dir).reference_name == "SYN_EQ"
    assert parse_variant("x@2bp") == ("x", 2.0)
    assert "Beta to SYN_EQ" in build_report(run_dir).read_text(encoding="utf-8")
