"""The run-folder contract: the registry matches what runs write, and docs/run-folder.md shows it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from deepmomentum import _run_folder_reference as reference
from deepmomentum.config import RunConfig
from deepmomentum.exceptions import DataError
from deepmomentum.run import (
    METRICS,
    RETURNS,
    RUN_FILES,
    RunFile,
    declared_file,
    missing_files,
    read_metrics,
    render_markdown_table,
    run_backtest,
    run_file,
    undeclared_files,
)
from deepmomentum.run import _layout as layout
from deepmomentum.run._folder import RUN_KINDS
from deepmomentum.run._layout import columns_match

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-folder.md"
TABLE_SUFFIXES = (".csv", ".parquet", ".json")


def _written_columns(file: Path, spec: RunFile) -> list[list[str]]:
    """The column lists of a written table (one per entry for a JSON keyed by ``spec.index``)."""
    if file.suffix == ".json":
        data = json.loads(file.read_text())
        return [list(v) for v in data.values()] if spec.index else [list(data)]
    cols = [
        str(c)
        for c in (pd.read_csv(file, nrows=0) if file.suffix == ".csv" else pd.read_parquet(file)).columns
    ]
    if spec.index:
        assert cols[:1] == [spec.index], f"{file.name}: first column {cols[:1]}, declared {spec.index!r}"
        cols = cols[1:]
    return [cols]


def _check_folder(run_dir: Path, kind: str) -> None:
    """Every file is declared, every required file is there, every declared schema holds."""
    assert undeclared_files(run_dir) == [], "files written but not declared in deepmomentum.run._layout"
    assert missing_files(run_dir, kind) == [], f"required files of a {kind} run missing"
    checked = 0
    for file in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        spec = declared_file(file.relative_to(run_dir).as_posix())
        assert spec is not None and kind in spec.kinds, f"{file}: not declared for {kind}"
        if spec.columns and file.suffix in TABLE_SUFFIXES:
            for cols in _written_columns(file, spec):
                assert columns_match(spec, cols), f"{spec.path}: wrote {cols}, declared {spec.columns}"
            checked += 1
    assert checked >= 8  # returns, benchmarks, positions, metrics... were all compared


@pytest.fixture(scope="module")
def backtest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from deepmomentum.report import build_report

    out = tmp_path_factory.mktemp("layout") / "bt"
    run_backtest(RunConfig(), out=out)
    build_report(out)  # the CLI writes the report by default
    return out


def test_docs_table_is_generated_from_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert reference.TABLE_START in text and reference.TABLE_END in text, (
        f"docs/run-folder.md lost its table markers; put back {reference.TABLE_START} and "
        f"{reference.TABLE_END} around the file table, then run `{reference.REGENERATE}`"
    )
    assert text == reference.replace_docs_block(text), (
        f"the file table of docs/run-folder.md is stale: regenerate it with `{reference.REGENERATE}`"
    )


def test_every_registry_entry_is_in_the_docs_table() -> None:
    table = render_markdown_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{f.path}`" for f in RUN_FILES]


def test_generator_prints_and_rewrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reference._main([]) == 0
    assert capsys.readouterr().out == render_markdown_table()
    page = tmp_path / "page.md"
    page.write_text(f"intro\n\n{reference.TABLE_START}\nold table\n{reference.TABLE_END}\n\noutro\n")
    assert reference._main(["--write", str(page)]) == 0
    text = page.read_text()
    assert "old table" not in text and text.startswith("intro\n\n") and text.endswith("\n\noutro\n")
    assert render_markdown_table() in text
    with pytest.raises(ValueError, match="block to replace"):
        reference.replace_docs_block("no markers here")


def test_registry_is_consistent() -> None:
    paths = [f.path for f in RUN_FILES]
    assert len(paths) == len(set(paths))
    for f in RUN_FILES:
        assert f.kinds and set(f.kinds) <= set(RUN_KINDS), f.path
        assert bool(f.when) != f.required, f"{f.path}: an optional file says when it is written"
        assert "\n" not in f.description and f.description, f.path
    # every file-name constant (a string with a suffix) has its registry entry
    values = [getattr(layout, n) for n in layout.__all__ if n.isupper()]
    named = [v for v in values if isinstance(v, str) and "." in v]
    assert len(named) >= 20 and all(run_file(c).path == c for c in named)


def test_quality_columns_are_the_checkers() -> None:
    from deepmomentum.data.acquisition._quality import ISSUE_COLUMNS

    assert list(run_file(layout.QUALITY).columns) == ISSUE_COLUMNS


def test_paths_and_patterns_match() -> None:
    best = declared_file("models/lstm/window-03/best.pt")
    assert best is not None and best.kinds == ("dmn",) and best.is_pattern
    trial = declared_file("models/lstm/window-03/trial-007-seed-1/result.json")
    seed = declared_file("models/trend/window-03/seed-1/result.json")
    assert trial is not None and seed is not None and trial is not seed
    assert declared_file("models/lstm/best.pt") is None
    assert declared_file("returns.csv.bak") is None
    with pytest.raises(KeyError, match="not a run-folder file"):
        run_file("nope.csv")


def test_columns_match_rejects_what_differs() -> None:
    returns = run_file(RETURNS)
    assert columns_match(returns, ["tsmom@0bp", "macd@2.5bp"])
    assert not columns_match(returns, ["tsmom@0bp", "tsmom"])
    trials = run_file(layout.TRIALS)
    assert columns_match(
        trials, ["variant", "window", "trial", "val_sharpe", "pruned", "epochs_run", "param_lr", "value"]
    )
    assert not columns_match(trials, ["variant", "window", "trial", "val_sharpe", "param_lr"])
    metrics = run_file(METRICS)
    assert not columns_match(metrics, list(metrics.columns[:-1]))
    assert not columns_match(metrics, [*metrics.columns, "extra"])
    meta = run_file(layout.META)  # open: more keys may follow, in any order
    assert columns_match(meta, [*reversed(meta.columns), "notes"])
    assert not columns_match(meta, list(meta.columns[1:]))


def test_backtest_writes_exactly_the_declared_files(backtest_dir: Path) -> None:
    _check_folder(backtest_dir, "backtest")
    assert declared_file("report.html") is not None and (backtest_dir / "report.html").is_file()


def test_backtest_returns_and_metrics_have_the_declared_schema(backtest_dir: Path) -> None:
    header = (backtest_dir / RETURNS).read_text().splitlines()[0].split(",")
    assert header[0] == run_file(RETURNS).index == "date"
    assert all("@" in c and c.endswith("bp") for c in header[1:]) and len(header) > 1
    metrics = read_metrics(backtest_dir / METRICS)
    assert list(metrics) == header[1:]
    assert {tuple(v) for v in metrics.values()} == {run_file(METRICS).columns}


def test_a_stray_or_missing_file_is_reported(backtest_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(backtest_dir, copy)
    (copy / "notes.txt").write_text("x")
    (copy / METRICS).unlink()
    assert undeclared_files(copy) == ["notes.txt"]
    assert missing_files(copy, "backtest") == [METRICS]
    assert "models/windows.csv" in missing_files(copy, "dmn")


def test_read_metrics_names_the_damaged_file(tmp_path: Path) -> None:
    bad = tmp_path / METRICS
    bad.write_text('{"tsmom@0bp": 1.0}')
    with pytest.raises(DataError, match="not an object of measures"):
        read_metrics(bad)
    bad.write_text("{oops")
    with pytest.raises(DataError, match="not valid JSON"):
        read_metrics(bad)


def _real_config(etf_dir: Path, preset: str) -> RunConfig:
    from deepmomentum.presets import load_preset

    cfg = load_preset(preset)
    cfg.data.data_dir = etf_dir
    cfg.training.first_test_year = 2021
    cfg.training.retrain_years = 2
    cfg.training.max_epochs = 1
    cfg.training.n_trials = 2
    cfg.training.jobs = 1
    cfg.training.device = "cpu"
    return cfg


@pytest.mark.slow
def test_dmn_run_writes_exactly_the_declared_files(etf_dir: Path, tmp_path: Path) -> None:
    from deepmomentum.run import run_models

    cfg = _real_config(etf_dir, "dmn-quick")
    cfg.models = cfg.models[:1]
    cfg.backtest.cost_bps = [0.0, 2.0]
    run_models(cfg, tmp_path / "dmn")
    _check_folder(tmp_path / "dmn", "dmn")


@pytest.mark.slow
def test_managed_futures_run_writes_exactly_the_declared_files(
    etf_dir: Path, macro_dir: Path, tmp_path: Path
) -> None:
    from deepmomentum.run import run_managed_futures

    cfg = _real_config(etf_dir, "etf-managed-futures-quick")
    cfg.data.macro_dir = macro_dir
    cfg.training.retrain_years = 1
    cfg.training.last_test_year = 2022
    tm = cfg.trend_model
    assert tm is not None
    tm.hidden_sizes, tm.max_epochs, tm.train_stride, tm.max_train_samples = [8, 4], 2, 20, 2000
    run_managed_futures(cfg, tmp_path / "mf")
    _check_folder(tmp_path / "mf", "managed_futures")


def test_ablation_folders_are_a_declared_kind() -> None:
    assert "ablation" in RUN_KINDS
    for name in (layout.CONFIG, layout.META, layout.RUN_LOG, layout.REPORT):
        assert set(run_file(name).kinds) == set(RUN_KINDS), name  # every folder a command writes
    for name in (layout.RETURNS, layout.METRICS, layout.UNIVERSE):
        assert "ablation" not in run_file(name).kinds, name  # an ablation has no returns of its own
    assert [f.path for f in RUN_FILES if f.required and f.kinds == ("ablation",)] == [
        "ablation.csv",
        "ablation_summary.csv",
        "ablation.json",
        "ablation.html",
        "seed-<k>/layers/<layer>.csv",
    ]
    cached = {
        "seed-0/layers/daily.csv": True,
        "seed-2/models/trend/window-03/seed-1/predictions.npy": True,
        "seed-1/models/dmn_lstm/window-00/trial-002-seed-0/positions.npy": True,
        "seed-1/models/dmn_lstm/window-00/best.pt": True,
        "seed-1/optuna.db": True,
        "seed-1/.optuna.lock": True,
        "seed-1/notes.txt": False,
        "seed-1/models/windows.csv": False,
    }
    for path, declared in cached.items():
        spec = declared_file(path)
        assert (spec is not None and spec.kinds == ("ablation",)) is declared, path
    summary = run_file(layout.ABLATION_SUMMARY)
    from deepmomentum.pipeline._ablation import summarise

    table = pd.DataFrame(
        [
            (layer, seed, "design", 2.0, m, float(seed))
            for layer in ("baseline", "daily")
            for seed in (1, 2)
            for m in ("sharpe", "annual_vol", "max_drawdown", "turnover")
        ],
        columns=["layer", "seed", "span", "cost_bps", "measure", "value"],
    )
    assert columns_match(
        summary, list(summarise(table).columns)
    )  # the writer's columns are the declared ones
    assert "| `ablation.csv` | `ablation` | yes |" in render_markdown_table()
