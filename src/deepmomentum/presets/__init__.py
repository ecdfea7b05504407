"""Run presets shipped with the package (TOML files in this folder)."""

from __future__ import annotations

import tomllib
from importlib import resources

from deepmomentum.config import RunConfig, parse_config
from deepmomentum.exceptions import ConfigError

__all__ = ["list_presets", "load_preset"]


def _files() -> dict[str, str]:
    root = resources.files(__name__)
    return {p.name.removesuffix(".toml"): p.read_text() for p in root.iterdir() if p.name.endswith(".toml")}


def list_presets() -> dict[str, str]:
    """Preset names and their descriptions, sorted by name."""
    out = {}
    for name, text in sorted(_files().items()):
        out[name] = str(tomllib.loads(text).get("description", ""))
    return out


def load_preset(name: str) -> RunConfig:
    """The configuration of a preset; ConfigError naming the choices if unknown."""
    files = _files()
    if name not in files:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(sorted(files))}")
    return parse_config(tomllib.loads(files[name]), source=f"preset {name}")
