"""docs/architecture.md names a real file for every stage and concept."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def test_every_named_file_exists():
    named = set(re.findall(r"src/deepmomentum/[\w/]+\.py", DOC))
    assert len(named) >= 20
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_every_stage_has_a_file():
    for package in ("signals", "portfolio", "rebalancing", "engine", "pipeline"):
        assert f"src/deepmomentum/{package}/" in DOC, package


def test_short_file_names_resolve():
    # `features/_builder.py`-style references are relative to src/deepmomentum
    short = set(re.findall(r"`(\w+/_\w+\.py)`", DOC))
    missing = sorted(p for p in short if not (ROOT / "src" / "deepmomentum" / p).is_file())
    assert not missing, missing
