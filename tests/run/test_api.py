"""The library calls behind ``deepmomentum run``: pipeline choice, run, resume; no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import deepmomentum
from deepmomentum.config import RunConfig, dump_config, load_config
from deepmomentum.data import make_synthetic_market
from deepmomentum.exceptions import ConfigError
from deepmomentum.presets import load_preset
from deepmomentum.run import _api, resume, resume_config, run, run_managed_futures, run_models

TINY = """
description = "tiny api run"
seed = 7

[backtest]
strategies = ["long_only", "tsmom"]
cost_bps = [0, 2]

[training]
first_test_year = 2008
retrain_years = 1
seq_len = 21
max_epochs = 1
patience = 1
n_trials = 1
device = "cpu"

[training.search]
dropout = [0.1]
hidden_size = [4]
batch_size = [64]
lr = [1e-2]
max_grad_norm = [1.0]
l1 = [1e-4]

[[models]]
name = "linear"
model = "linear"
"""


def _tiny(tmp_path: Path) -> RunConfig:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return load_config(path)


def _recorded_run(tmp_path: Path) -> Path:
    """A folder holding only the ``config.toml`` of a run (enough for :func:`resume_config`)."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text(dump_config(_tiny(tmp_path)))
    return run_dir


def test_choose_pipeline_dmn_unless_managed_futures() -> None:
    assert _api.choose_pipeline(RunConfig()) is run_models
    assert _api.choose_pipeline(load_preset("dmn-quick")) is run_models
    assert _api.choose_pipeline(load_preset("etf-managed-futures-quick")) is run_managed_futures


def test_run_calls_the_chosen_pipeline_with_every_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake(cfg: RunConfig, out: Path, **kwargs: Any) -> str:
        calls.append((cfg, out, kwargs))
        return "result"

    monkeypatch.setattr(_api, "choose_pipeline", lambda cfg: fake)
    cfg, progress = RunConfig(), (lambda *a, **k: None)
    assert run(cfg, tmp_path, progress=progress, force=True) == "result"
    assert calls == [(cfg, tmp_path, {"data": None, "progress": progress, "executor": None, "force": True})]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("config", Path("other.toml")),
        ("preset", "dmn-paper"),
        ("data_dir", Path("data")),
        ("seed", 8),
        ("first_test_year", 2007),
        ("out", Path("elsewhere")),
        ("precision", "bf16"),
    ],
)
def test_resume_refuses_settings_that_change_results(tmp_path: Path, option: str, value: Any) -> None:
    run_dir = _recorded_run(tmp_path)
    with pytest.raises(ConfigError) as info:
        resume_config(run_dir, jobs=2, **{option: value})
    message = str(info.value)
    assert "\n" not in message
    assert f"drop {option} (only jobs, executor, ray_address, storage, device may change)" in message


def test_resume_names_the_options_as_the_caller_spelt_them(tmp_path: Path) -> None:
    names = {"resume": "--resume", "seed": "--seed", "out": "--out", "jobs": "--jobs"}
    with pytest.raises(ConfigError, match=r"^--resume takes the run's own config\.toml; drop --seed, --out "):
        resume_config(_recorded_run(tmp_path), names=names, seed=1, out=Path("x"), jobs=None)


def test_resume_applies_volatile_settings_only(tmp_path: Path) -> None:
    run_dir = _recorded_run(tmp_path)
    # None means "not given", for the refused settings too (as the CLI passes every flag)
    cfg = resume_config(run_dir, jobs=3, device="cpu", executor="local", storage=None, seed=None)
    assert cfg.training.jobs == 3 and cfg.training.device == "cpu"
    recorded = resume_config(run_dir)
    assert recorded.seed == 7 and recorded.training.first_test_year == 2008
    assert cfg.model_copy(update={"training": recorded.training}) == recorded
    with pytest.raises(ConfigError, match="jobs"):  # invalid values are named by keyword
        resume_config(run_dir, jobs=0)


def test_resume_needs_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"has no config\.toml"):
        resume_config(tmp_path)


def test_run_then_resume_reuses_every_task(tmp_path: Path) -> None:
    market = make_synthetic_market(n_per_class=1, start="2003-01-02", end="2008-12-31", late_starters=False)
    out = tmp_path / "run"
    first = run(_tiny(tmp_path), out, data=market)
    assert "linear: 1 tasks trained, 0 reused" in (out / "run.log").read_text()
    returns = pd.read_csv(out / "returns.csv")
    again = resume(out, data=market, jobs=1, device="cpu")
    assert "linear: 0 tasks trained, 1 reused" in (out / "run.log").read_text()
    pd.testing.assert_frame_equal(returns, pd.read_csv(out / "returns.csv"))
    pd.testing.assert_frame_equal(first.metrics, again.metrics)
    with pytest.raises(ConfigError, match="drop seed"):
        resume(out, data=market, seed=8)


# --- import cycles -------------------------------------------------------------------------------

_SRC = Path(deepmomentum.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(_SRC.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def _imports() -> dict[str, set[str]]:
    """Module -> the deepmomentum modules it imports, at any level (function-level ones too)."""
    modules = {_module_name(p): p for p in _SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("deepmomentum"))
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("deepmomentum"):
                deps.add(node.module)
                # `from package import submodule` imports the submodule too
                deps.update(
                    f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules
                )
        graph[name] = deps & set(modules)
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str, within: str) -> bool:
    """Whether ``start`` imports ``goal``, directly or through modules under ``within``."""
    seen, todo = {start}, [start]
    while todo:
        for dep in graph[todo.pop()]:
            if dep == goal:
                return True
            if dep not in seen and dep.startswith(within):
                seen.add(dep)
                todo.append(dep)
    return False


@pytest.mark.parametrize(
    ("a", "b", "within"),
    [
        ("deepmomentum.cli._backtest", "deepmomentum.cli._run", "deepmomentum.cli"),
        ("deepmomentum.cli._app", "deepmomentum.cli", "deepmomentum.cli"),
        ("deepmomentum.training._executor", "deepmomentum.training._ray", "deepmomentum.training"),
    ],
)
def test_no_import_cycle(a: str, b: str, within: str) -> None:
    graph = _imports()
    assert not (_reaches(graph, a, b, within) and _reaches(graph, b, a, within)), f"{a} <-> {b}"


def test_training_does_not_import_the_run_folder() -> None:
    graph = _imports()
    training = {m: deps for m, deps in graph.items() if m.startswith("deepmomentum.training")}
    offending = {
        m: sorted(d for d in deps if d.startswith("deepmomentum.run")) for m, deps in training.items()
    }
    assert {m: d for m, d in offending.items() if d} == {}
