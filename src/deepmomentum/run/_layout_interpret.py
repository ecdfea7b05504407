"""The run-folder entries of the CPD inputs and of the TFT's interpretability files.

:mod:`deepmomentum.run._layout` adds these entries to ``RUN_FILES`` (kind
``"dmn"``); the writers are :mod:`deepmomentum.features._cpd` (through
:class:`deepmomentum.signals.DmnSignal`) and
:mod:`deepmomentum.training._interpret`, the reader
:mod:`deepmomentum.report._interpret`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ATTENTION", "CPD_DIR", "VARIABLE_WEIGHTS", "interpret_files"]

#: The CPD cache of a run without ``features.cpd_cache_dir``.
CPD_DIR = "features/cpd"
VARIABLE_WEIGHTS = "variable_weights.csv"
ATTENTION = "attention.csv"

T = TypeVar("T")


def interpret_files(run_file: Callable[..., T], window: str, kinds: tuple[str, ...]) -> list[T]:
    """The entries, built with ``run_file`` (:class:`deepmomentum.run._layout.RunFile`).

    Parameters
    ----------
    run_file : callable
        The entry class.
    window : str
        The window folder pattern (``models/<variant>/window-<NN>``).
    kinds : tuple of str
        The run kinds that write them.
    """
    tft = "the variant's model is `tft`"
    spec: list[tuple[str, str, dict[str, Any]]] = [
        (
            f"{window}/{VARIABLE_WEIGHTS}",
            "TFT: per test day, each input's variable-selection weight, averaged over the assets and the "
            "ensemble members (rows sum to one)",
            {"when": tft, "index": "date", "columns": ("<input>",)},
        ),
        (
            f"{window}/{ATTENTION}",
            "TFT: attention weight by lag (0: the day itself) over the test window, averaged over the "
            "queries, heads and members (sums to one)",
            {"when": tft, "columns": ("lag", "weight")},
        ),
        (
            f"{CPD_DIR}/cpd-l<L>-<fingerprint>/chunk_<NNNNN>_<hash>.parquet",
            "changepoint fits (`nu`, `gamma`) of one lookback, one chunk of days, named after the hash of "
            "the returns it reads: a resume, or a later run on extended data, reads them back",
            {
                "when": "`features.cpd_lookbacks` is set and `features.cpd_cache_dir` is not",
                "columns": ("nu", "gamma"),
            },
        ),
    ]
    return [run_file(path, kinds, False, text, **extra) for path, text, extra in spec]
