from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from deepmomentum.run import RunFolder, atomic_write_text


def test_atomic_write_leaves_no_temp(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.txt", "hello")
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_json_nan_as_null_and_meta_merge(tmp_path: Path) -> None:
    f = RunFolder(tmp_path / "r")
    f.write_json("m.json", {"x": math.nan, "y": 1.5})
    assert json.loads((tmp_path / "r" / "m.json").read_text()) == {"x": None, "y": 1.5}
    f.write_meta(seed=1)
    f.write_meta(finished_at="now")
    meta = f.read_json("meta.json")
    assert meta["seed"] == 1 and meta["finished_at"] == "now" and "numpy" in meta["versions"]


def test_csv_and_parquet(tmp_path: Path) -> None:
    f = RunFolder(tmp_path)
    frame = pd.DataFrame({"a": [1.0]}, index=pd.DatetimeIndex(["2020-01-02"], name="date"))
    f.write_csv("r.csv", frame)
    assert (tmp_path / "r.csv").read_text().splitlines() == ["date,a", "2020-01-02,1"]
    f.write_parquet("p.parquet", frame.reset_index())
    assert pd.read_parquet(tmp_path / "p.parquet").shape == (1, 2)


def test_old_layout_of_the_same_settings_is_the_same_run(tmp_path):
    """A folder whose config.toml has the flat [managed_futures] table accepts the same settings."""
    import pytest as _pytest

    from deepmomentum.exceptions import ConfigError
    from deepmomentum.presets import load_preset
    from deepmomentum.run import RunFolder

    old = Path(__file__).resolve().parents[1] / "fixtures" / "old_mf_config.toml"
    folder = RunFolder(tmp_path)
    (tmp_path / "config.toml").write_text(old.read_text())
    cfg = load_preset("etf-managed-futures-quick")
    folder.check_same_config(cfg)  # same settings, new layout: accepted
    changed = cfg.with_overrides({"trend_model.max_epochs": 7})
    with _pytest.raises(ConfigError, match="max_epochs"):
        folder.check_same_config(changed)
