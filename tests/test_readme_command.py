"""The README's first real-data command runs exactly as written, on the shared ETF data."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SHARED = ROOT.parent / "shared"


def first_real_data_command() -> list[str]:
    """The first ``deepmomentum backtest --data-dir ../shared/data/etf`` command of "Five minutes"."""
    section = README.split("## Five minutes", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "README: no bash block under 'Five minutes to a real-data run'"
    joined = block.group(1).replace("\\\n", " ")  # shell line continuations
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0].endswith("deepmomentum") and "../shared/data/etf" in words:
            assert words[1] == "backtest", f"README: the first real-data command is not a backtest: {line}"
            return words
    raise AssertionError("README: no real-data command in the 'Five minutes' block")


def test_first_command_needs_no_quality_option() -> None:
    words = first_real_data_command()
    assert "--quality" not in words  # the default policy handles the shared data's bad prints


def test_readme_first_real_data_command_succeeds(tmp_path: Path) -> None:
    if not (SHARED / "data" / "etf" / "universe.csv").is_file():
        pytest.skip(f"shared ETF data not found at {SHARED / 'data' / 'etf'} (CI always has it)")
    words = first_real_data_command()
    exe = Path(sys.executable).with_name("deepmomentum")
    assert exe.is_file(), f"no deepmomentum executable beside {sys.executable}"
    # a fresh project folder beside a `shared` link, so that ../shared/data/etf resolves as in the README
    (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    proc = subprocess.run(
        [str(exe), *words[1:]], cwd=project, capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "unresolved" not in proc.stderr and "Traceback" not in proc.stderr
    out = project / words[words.index("--out") + 1] if "--out" in words else None
    assert out is not None and out.is_dir(), "README command should name its run folder with --out"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics, "metrics.json is empty"
    assert "CPER: dropped 2 isolated spikes" in proc.stderr  # the bad prints are dropped, and said so


def test_readme_python_example_drops_the_bad_prints(
    etf_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The library example applies the same default as the CLI: it no longer trades on CPER's bad prints."""
    from deepmomentum.exceptions import QualityWarning

    code = re.search(r"```python\n(.*?)```", README, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    with pytest.warns(QualityWarning, match="CPER: dropped 2 isolated spikes"):
        exec(compile(code.group(1), "README.md", "exec"), namespace)
    prices = namespace["prices"]
    assert hasattr(prices, "loc")
    cper = prices["CPER"]  # type: ignore[index]
    assert float(cper.pct_change().abs().max()) < 0.2  # the -33% and -29% one-day prints are gone
    assert "tsmom@10bp" in capsys.readouterr().out
