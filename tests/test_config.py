from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from deepmomentum.config import RunConfig, dump_config, load_config
from deepmomentum.exceptions import ConfigError


def test_roundtrip(tmp_path: Path) -> None:
    cfg = RunConfig()
    cfg.data.start = dt.date(2010, 1, 1)
    text = dump_config(cfg)
    (tmp_path / "c.toml").write_text(text)
    again = load_config(tmp_path / "c.toml")
    assert again == cfg
    assert "data_dir" not in tomllib.loads(text)["data"]  # None dropped


def test_relative_data_dir_resolved(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[data]\ndata_dir = "etf"\n')
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.data.data_dir == (tmp_path / "etf").resolve()


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[backtest\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path / "bad.toml")
    (tmp_path / "neg.toml").write_text("[backtest]\ncost_bps = [-1]\n")
    with pytest.raises(ConfigError, match="cost levels must be >= 0"):
        load_config(tmp_path / "neg.toml")


def test_acquisition_table_accepted_and_never_written(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[acquisition]\napi_key = "SECRET-KEY"\n\n[data]\nstart = 2010-01-01\n')
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.acquisition == {"api_key": "SECRET-KEY"}
    assert "SECRET-KEY" not in dump_config(cfg)
    assert "SECRET-KEY" not in repr(cfg)
