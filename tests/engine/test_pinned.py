"""Both systems give today's numbers through the one engine (to 1e-10).

``pinned.json`` was written by ``_pinned_cases.py`` from commit 328bb64, the last
commit with the two old engines (``backtest/_engine.py`` and
``portfolio/_evaluate.py``), through a shim mapping the new names to the old
functions. A bug fix that moves a number rewrites the file and says so in its commit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.engine import _pinned_cases as cases

PINNED = json.loads(cases.PINNED.read_text())


def _assert_close(got: Any, want: Any, path: str = "") -> None:
    if isinstance(want, dict):
        assert set(got) == set(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            _assert_close(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert list(got) == want, path
    elif isinstance(want, float):
        if math.isnan(want):
            assert math.isnan(got), path
        else:
            assert got == pytest.approx(want, rel=1e-10, abs=1e-12), path
    else:
        assert got == want, path


@pytest.fixture(scope="module", autouse=True)
def _needs_data(etf_dir: Path) -> None:
    """Skip without the shared data (CI has it)."""


@pytest.mark.parametrize("portfolio_vol", [False, True], ids=["paper", "paper_portfolio_vol"])
def test_paper_convention(portfolio_vol: bool) -> None:
    key = "paper_portfolio_vol" if portfolio_vol else "paper"
    _assert_close(cases.case_paper(portfolio_vol), PINNED[key], key)


def test_nav_convention() -> None:
    _assert_close(cases.case_nav(), PINNED["nav"], "nav")


def test_dmn_pipeline(tmp_path: Path) -> None:
    with cases.one_thread():
        got = cases.case_dmn(tmp_path)
    _assert_close(got, PINNED["dmn"], "dmn")


def test_managed_futures_pipeline(tmp_path: Path) -> None:
    with cases.one_thread():
        got = cases.case_mf(tmp_path)
    _assert_close(got, PINNED["mf"], "mf")
