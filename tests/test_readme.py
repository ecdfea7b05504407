"""The README's commands and code are the first thing a user runs: keep them working."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_commands_come_first() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    lines = first_block.group(1).splitlines()
    assert lines[0].startswith("make demo") and lines[1].startswith("make test")


def test_python_example_runs(
    etf_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = re.search(r"```python\n(.*?)```", README, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    assert os.path.samefile(ROOT / "../shared/data/etf", etf_dir)
    exec(compile(code.group(1), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "tsmom@10bp" in out and "annual_return" in out
