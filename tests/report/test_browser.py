"""Open report.html in headless Chromium: charts render, no console errors, a screenshot.

Needs /usr/bin/chromium, /usr/bin/chromedriver (`.ci/install-browser.sh`) and
selenium (dev extra); skipped with the reason when any is missing. The
screenshot goes to test-artifacts/report.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,2200",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"headless browser test needs {CHROMIUM} and {CHROMEDRIVER}: run .ci/install-browser.sh")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium not installed (pip install -e '.[dev]')"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def _wait_for_plots(drv: object, n_expected: int) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 30).until(  # type: ignore[arg-type]
        lambda d: d.execute_script(
            "var p = document.querySelectorAll('.js-plotly-plot');"
            "return p.length >= arguments[0] && Array.prototype.every.call(p, function (g) {"
            "  return g._fullLayout !== undefined; });",
            n_expected,
        )
    )


def test_report_renders_in_chromium(driver: object, built_report: Path) -> None:
    drv = driver
    drv.get(built_report.resolve().as_uri())  # type: ignore[attr-defined]
    graph_divs = drv.execute_script("return document.querySelectorAll('.plotly-graph-div').length")  # type: ignore[attr-defined]
    assert graph_divs >= 12
    _wait_for_plots(drv, graph_divs)

    n_traces = drv.execute_script(  # type: ignore[attr-defined]
        "return Array.prototype.map.call(document.querySelectorAll('.js-plotly-plot'),"
        " function (g) { return [g.id, g.data ? g.data.length : 0]; });"
    )
    assert len(n_traces) == graph_divs
    for div_id, count in n_traces:
        assert count > 0, f"{div_id} has no data traces"

    # every chart drew something: lines, markers, bars or heatmap images
    drawn = drv.execute_script(  # type: ignore[attr-defined]
        "return Array.prototype.map.call(document.querySelectorAll('.js-plotly-plot'), function (g) {"
        " return [g.id, g.querySelectorAll('.scatterlayer path.js-line, .scatterlayer .point,"
        " .barlayer .point path, .heatmaplayer image').length]; });"
    )
    for div_id, count in drawn:
        assert count > 0, f"{div_id} drew nothing"

    # the strategy chooser switches the detail charts to another variant
    visible_before = drv.execute_script(  # type: ignore[attr-defined]
        "var g = document.getElementById('fig-drawdowns');"
        "return g.data.filter(function (t) { return t.visible === true && t.meta; })"
        ".map(function (t) { return t.name; });"
    )
    assert visible_before == ["long_only@2bp"]  # the default cost level, never 0 bp

    # the first screen: headline on top, the equity chart in its vol-matched view
    ARTIFACTS.mkdir(exist_ok=True)
    drv.set_window_size(1400, 900)  # type: ignore[attr-defined]
    drv.execute_script("window.scrollTo(0, 0);")  # type: ignore[attr-defined]
    first = ARTIFACTS / "report-first-screen.png"
    first.unlink(missing_ok=True)
    assert drv.save_screenshot(str(first))  # type: ignore[attr-defined]
    top = drv.execute_script(  # type: ignore[attr-defined]
        "return document.querySelector('main section').id;"
    )
    assert top == "headline"
    eq = drv.execute_script(  # type: ignore[attr-defined]
        "var g = document.getElementById('fig-equity');"
        "var ticks = Array.prototype.map.call(g.querySelectorAll('.ytick text'), function (t) {"
        " return t.textContent; });"
        "var on = g.data.filter(function (t) { return t.visible === true; });"
        "return {ticks: ticks, views: on.map(function (t) { return t.meta.view; }),"
        " names: on.map(function (t) { return t.name; }),"
        " note: Array.prototype.map.call(g.querySelectorAll('.annotation-text'),"
        " function (a) { return a.textContent; })};"
    )
    assert set(eq["views"]) == {"matched"}
    assert all(n.endswith("@2bp") or "@" not in n for n in eq["names"])
    assert any("vol-matched to 10%: not implementable" in a for a in eq["note"])
    assert "1" in eq["ticks"] and len(set(eq["ticks"])) == len(eq["ticks"])
    assert all(float(t) >= 0.1 for t in eq["ticks"])  # plain numbers, no bare mantissas
    # one click to the raw curves
    drv.execute_script(  # type: ignore[attr-defined]
        "var b = document.querySelectorAll('#fig-equity .updatemenu-button');"
        "b[1].dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    )
    raw = drv.execute_script(  # type: ignore[attr-defined]
        "return document.getElementById('fig-equity').data.filter(function (t) {"
        " return t.visible === true; }).map(function (t) { return t.meta.view; });"
    )
    assert raw and set(raw) == {"raw"}
    drv.set_window_size(1400, 2200)  # type: ignore[attr-defined]
    drv.execute_script(  # type: ignore[attr-defined]
        "var s = document.getElementById('variant-select'); s.value = 'tsmom@10bp';"
        "s.dispatchEvent(new Event('change'));"
    )
    state = drv.execute_script(  # type: ignore[attr-defined]
        "function vis(id) { return document.getElementById(id).data.filter(function (t) {"
        " return t.visible === true && t.meta; }).map(function (t) { return t.name; }); }"
        "return {dd: vis('fig-drawdowns'), rs: vis('fig-rolling-sharpe'), hm: vis('fig-monthly-returns'),"
        " ct: vis('fig-contribution'), ex: vis('fig-exposure').length,"
        " label: document.querySelector('.variant-name').textContent};"
    )
    assert state["dd"] == ["tsmom@10bp"] and state["rs"] == ["tsmom@10bp"]
    assert state["hm"] == ["tsmom@10bp", "tsmom@10bp"] and state["ct"] == ["tsmom@10bp"]
    assert state["ex"] > 0 and state["label"] == "tsmom@10bp"

    # back to the first variant for the screenshot
    drv.execute_script(  # type: ignore[attr-defined]
        "var s = document.getElementById('variant-select'); s.value = 'long_only@2bp';"
        "s.dispatchEvent(new Event('change'));"
    )
    errors = [
        e
        for e in drv.get_log("browser")  # type: ignore[attr-defined]
        if e.get("level") in ("SEVERE", "ERROR")
    ]
    assert errors == [], errors

    # the whole page in one screenshot
    height = drv.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    drv.set_window_size(1400, min(int(height) + 40, 16000))  # type: ignore[attr-defined]
    _wait_for_plots(drv, graph_divs)
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report.png"
    target.unlink(missing_ok=True)
    assert drv.save_screenshot(str(target))  # type: ignore[attr-defined]
    assert target.stat().st_size > 10_000
    shutil.copy(built_report, ARTIFACTS / "report.html")
