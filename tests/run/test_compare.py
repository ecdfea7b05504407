"""`compare` averages seeds of one experiment, and refuses (or labels) anything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deepmomentum.cli import app
from deepmomentum.exceptions import DataError
from deepmomentum.run import compare_runs, comparison_markdown

runner = CliRunner()

SPAN = {"start": "2011-01-03", "end": "2026-08-03"}


def _run(
    path: Path,
    sharpe: float,
    fingerprint: str = "a" * 64,
    synthetic: bool = False,
    span: dict[str, str] = SPAN,
    variants: tuple[str, ...] = ("lstm@0bp", "lstm@2bp", "tsmom@2bp"),
) -> Path:
    path.mkdir(parents=True)
    meta = {"kind": "dmn", "data": {"fingerprint": fingerprint, "synthetic": synthetic}, "span": span}
    (path / "meta.json").write_text(json.dumps(meta))
    metrics = {v: {"sharpe": sharpe + i, "turnover": 10.0} for i, v in enumerate(variants)}
    (path / "metrics.json").write_text(json.dumps(metrics))
    return path


def test_seeds_of_one_experiment_are_averaged(tmp_path: Path) -> None:
    runs = [_run(tmp_path / f"s{k}", 0.1 * k) for k in (1, 2, 3)]
    table = compare_runs(runs)
    assert table.loc["lstm@0bp", ("sharpe", "mean")] == pytest.approx(0.2)
    assert table.loc["lstm@0bp", ("sharpe", "n")] == 3
    assert table.attrs["mixed"] is False and table.attrs["synthetic"] is False


@pytest.mark.parametrize(
    ("other", "what"),
    [
        ({"fingerprint": "b" * 64}, "data:"),
        ({"synthetic": True, "fingerprint": "c" * 64}, "SYNTHETIC"),
        ({"span": {"start": "2015-01-02", "end": "2026-08-03"}}, "span:"),
        ({"variants": ("lstm@0bp", "tsmom@2bp")}, "lacks lstm@2bp"),
    ],
    ids=["data", "synthetic", "span", "variants"],
)
def test_unrelated_runs_are_refused(tmp_path: Path, other: dict, what: str) -> None:
    a = _run(tmp_path / "a", 0.3)
    b = _run(tmp_path / "b", 0.5, **other)
    with pytest.raises(DataError, match="--allow-mixed") as info:
        compare_runs([a, b])
    assert what in str(info.value) and str(b) in str(info.value)
    result = runner.invoke(app, ["compare", str(a), str(b)])
    assert result.exit_code == 2 and what in result.output


def test_allow_mixed_labels_the_output(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", 0.3)
    b = _run(tmp_path / "b", 0.5, synthetic=True, fingerprint="c" * 64)
    result = runner.invoke(app, ["compare", str(a), str(b), "--allow-mixed", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("**MIXED, SYNTHETIC** inputs")
    payload = json.loads(runner.invoke(app, ["compare", str(a), str(b), "--allow-mixed", "--json"]).stdout)
    assert payload["mixed"] is True and payload["synthetic"] is True
    assert payload["variants"]["lstm@0bp"]["sharpe_mean"] == pytest.approx(0.4)
    assert payload["variants"]["lstm@0bp"]["sharpe_n"] == 2


def test_a_synthetic_comparison_is_labelled(tmp_path: Path) -> None:
    runs = [_run(tmp_path / f"s{k}", 0.1 * k, synthetic=True) for k in (1, 2)]
    result = runner.invoke(app, ["compare", *map(str, runs)])
    assert result.exit_code == 0 and "SYNTHETIC" in result.stdout


def test_compare_quiet_prints_nothing_but_still_checks(tmp_path: Path) -> None:
    a, b = _run(tmp_path / "a", 0.3), _run(tmp_path / "b", 0.4)
    ok = runner.invoke(app, ["compare", str(a), str(b), "--quiet"])
    assert ok.exit_code == 0 and ok.stdout == ""
    c = _run(tmp_path / "c", 0.4, fingerprint="d" * 64)
    assert runner.invoke(app, ["compare", str(a), str(c), "--quiet"]).exit_code == 2


def test_statistics_of_significance_json_are_averaged(tmp_path: Path) -> None:
    runs = [_run(tmp_path / f"s{k}", 0.1 * k) for k in (1, 2)]
    for k, run in enumerate(runs):
        sig = {
            "sharpe": {"lstm@2bp": {"psr": 0.6 + 0.2 * k, "dsr": 0.1, "boot_low": -0.2, "boot_high": 0.5}},
            "differences": [
                {"series": "lstm@2bp", "benchmark": "tsmom@2bp", "difference": -0.1 * (k + 1),
                 "boot_low": -0.5, "boot_high": 0.3},
                {"series": "lstm@2bp", "benchmark": "macd@2bp", "difference": 9.0},
            ],
        }  # fmt: skip
        (run / "significance.json").write_text(json.dumps(sig))
    table = compare_runs(runs)
    assert table.loc["lstm@2bp", ("psr", "mean")] == pytest.approx(0.7)
    assert table.loc["lstm@2bp", ("diff_vs_tsmom", "mean")] == pytest.approx(-0.15)
    assert table.loc["lstm@2bp", ("diff_vs_tsmom_high", "mean")] == pytest.approx(0.3)
    assert "psr" in comparison_markdown(table) and "diff_vs_tsmom" in comparison_markdown(table)
