"""The run-folder contract: every file a run folder can hold, in one table.

Writers (``run/``, ``training/``) and readers (``report/``, ``compare``, the
CLI) name files through the constants below; :data:`RUN_FILES` declares, for
each, which kinds of run write it, whether every such run does, what it holds
and its columns (tables) or keys (JSON). ``docs/run-folder.md``'s table is
rendered from it (:mod:`deepmomentum._run_folder_reference`).

Paths are relative to the run folder, ``/``-separated; ``<name>`` in a path or a column
stands for a family of names (``<variant>``, ``<NN>`` a two-digit window number...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deepmomentum.exceptions import DataError
from deepmomentum.run._layout_ablation import (
    ABLATION,
    ABLATION_CHART,
    ABLATION_JSON,
    ABLATION_SUMMARY,
    ablation_files,
)
from deepmomentum.run._layout_interpret import interpret_files

__all__ = [
    "ABLATION",
    "ABLATION_CHART",
    "ABLATION_JSON",
    "ABLATION_SUMMARY",
    "ASSET_RETURNS",
    "BENCHMARKS",
    "COMPARISON",
    "CONFIG",
    "CONSTRAINTS",
    "DIAGNOSTICS",
    "ENSEMBLE",
    "FIGURES_DIR",
    "FIGURE_NAMES",
    "META",
    "METRICS",
    "METRICS_EX_POST",
    "MODELS_DIR",
    "OPTUNA_DB",
    "OPTUNA_LOCK",
    "POSITIONS",
    "QUALITY",
    "REBALANCES",
    "REGIMES",
    "REPORT",
    "RETURNS",
    "RETURNS_EX_POST",
    "RUN_FILES",
    "RUN_LOG",
    "SIGNIFICANCE",
    "TRIALS",
    "UNIVERSE",
    "WEIGHTS",
    "WINDOWS",
    "RunFile",
    "columns_match",
    "declared_file",
    "missing_files",
    "read_json_object",
    "read_metrics",
    "render_markdown_table",
    "run_file",
    "undeclared_files",
    "window_dir",
]

# --- every run
CONFIG = "config.toml"
META = "meta.json"
RUN_LOG = "run.log"
RETURNS = "returns.csv"
RETURNS_EX_POST = "returns_ex_post.csv"
BENCHMARKS = "benchmarks.csv"
POSITIONS = "positions.parquet"
ASSET_RETURNS = "asset_returns.parquet"
METRICS = "metrics.json"
METRICS_EX_POST = "metrics_ex_post.json"
SIGNIFICANCE = "significance.json"
UNIVERSE = "universe.csv"
QUALITY = "quality.csv"
REPORT = "report.html"
FIGURES_DIR = "figures"
#: PNG files ``report --png`` writes into :data:`FIGURES_DIR`.
FIGURE_NAMES = ("equity.png", "drawdowns.png", "rolling_sharpe.png", "sharpe_vs_cost.png")
# --- walk-forward (ML) runs
MODELS_DIR = "models"
WINDOWS = f"{MODELS_DIR}/windows.csv"
TRIALS = f"{MODELS_DIR}/trials.csv"
ENSEMBLE = f"{MODELS_DIR}/ensemble.csv"
DIAGNOSTICS = f"{MODELS_DIR}/diagnostics.csv"
OPTUNA_DB = "optuna.db"
OPTUNA_LOCK = ".optuna.lock"
# --- managed-futures runs
WEIGHTS = "weights.parquet"
REBALANCES = "rebalances.csv"
CONSTRAINTS = "constraints.csv"
REGIMES = "regimes.csv"
COMPARISON = "comparison.csv"

_ALL = ("backtest", "dmn", "managed_futures")  # every run ("all" in the docs table)
_ANY = (*_ALL, "ablation")  # every folder a command writes (ablations: see run/_layout_ablation.py)
_ML = ("dmn", "managed_futures")
_DMN = ("dmn",)
_MF = ("managed_futures",)
_WINDOW = f"{MODELS_DIR}/<variant>/window-<NN>"
_TRIAL = f"{_WINDOW}/trial-<NNN>-seed-<S>"
_SEED = f"{MODELS_DIR}/<name>/window-<NN>/seed-<S>"
_TRIAL_COLUMNS = (
    *("variant", "window", "trial", "fold_<f>_sharpe", "val_sharpe"),
    *("pruned", "epochs_run", "param_<name>", "value"),
)  # models/trials.csv
_PLACEHOLDER = re.compile(r"<[^<>/]+>")


@dataclass(frozen=True)
class RunFile:
    """One file (or family of files) of the run-folder contract.

    Attributes
    ----------
    path : str
        Relative to the run folder, ``/``-separated; ``<name>`` stands for any
        one path component part (e.g. ``models/<variant>/window-<NN>/best.pt``).
    kinds : tuple of str
        The kinds of run (``meta.json``'s ``kind``) that write it.
    required : bool
        Every finished run of those kinds holds it (for a pattern: at least one file).
    description : str
        What it holds (one line of Markdown).
    when : str
        For an optional file: when it is written.
    index : str or None
        Tables: the first (index) column; JSON: what the top-level keys are
        (e.g. ``<variant>``), None when the keys below are top-level.
    columns : tuple of str
        Tables: the columns after ``index``; JSON: the keys (of each entry
        when ``index`` is set). ``<name>`` stands for one or more columns.
    more : bool
        Other columns or keys may follow the declared ones.
    """

    path: str
    kinds: tuple[str, ...]
    required: bool
    description: str
    when: str = ""
    index: str | None = None
    columns: tuple[str, ...] = ()
    more: bool = False

    @property
    def is_pattern(self) -> bool:
        """True when :attr:`path` names a family of files."""
        return _PLACEHOLDER.search(self.path) is not None

    def matches(self, relpath: str) -> bool:
        """True when ``relpath`` (``/``-separated, relative to the run folder) is this file."""
        return _path_regex(self.path).fullmatch(relpath) is not None


_METRIC_KEYS = tuple(
    "annual_return annual_vol sharpe sortino calmar max_drawdown pct_positive turnover skew corr_ref "
    "holding_days".split()
)
_META_KEYS = tuple(
    "kind command package_version versions seed reference data span started_at finished_at elapsed_s".split()
)
_COMPARISON = tuple(
    "annual_return annual_vol sharpe max_drawdown calmar corr_spy beta_spy worst10_mean worst10_hit n_days "
    "span".split()
)
_SIGNIFICANCE_KEYS = ("level", "n_boot", "seed", "method", "sharpe", "differences")
_VARIANT = "<strategy>@<cost>bp"
_CONSTRUCTION = ("vol_ex_ante", "gross", "net", "binding", "unmet", "message")
_DIAGNOSTIC_COLUMNS = tuple(
    "window variant kind test_start test_end n_days sharpe_<cost>bp mean_position mean_abs_position turnover "
    "corr_tsmom corr_long_only val_sharpe".split()
)

#: Every file a run folder can hold; the order of ``docs/run-folder.md``.
RUN_FILES: tuple[RunFile, ...] = (
    RunFile(CONFIG, _ANY, True, "the resolved configuration (defaults filled in); `--resume` reads it back"),
    RunFile(
        META,
        _ANY,
        True,
        "what ran: `kind` (`backtest`, `dmn`, `managed_futures` or `ablation`), `versions` (python, numpy, "
        "pandas, torch...), `data` (`source`, `synthetic` bool, `fingerprint` sha256 of the price panel, "
        "`first_date`, `last_date`, `n_instruments`), `span` (first and last out-of-sample day), times in "
        'ISO 8601 UTC; managed-futures runs add `weight_convention = "nav"`, `regime_source`, '
        "`rebalances`, `notes`...; ablations add `ablation` (`spans`, `costs`) and their `span` covers every "
        "measured span",
        columns=_META_KEYS,
        more=True,
    ),
    RunFile(
        RUN_LOG,
        _ANY,
        True,
        "the log of the run; a failed run ends it with `failed: <error>` (and the traceback for an "
        "unexpected error), an interrupted one with `interrupted`",
    ),
    RunFile(
        RETURNS,
        _ALL,
        True,
        "portfolio daily **net** returns per strategy variant, decimal; empty before a variant's "
        "first position",
        index="date",
        columns=(_VARIANT,),
    ),
    RunFile(
        RETURNS_EX_POST,
        _ALL,
        True,
        "the same series rescaled **ex post** to the vol target over the whole sample, for comparison "
        "with published figures only (not implementable)",
        index="date",
        columns=(_VARIANT,),
    ),
    RunFile(
        BENCHMARKS,
        _ALL,
        True,
        "daily returns of the benchmark instruments (`role=benchmark`, plus SPY/AGG/60-40 when present "
        "in the data); only `date` when the data has none",
        index="date",
        columns=("<series>",),
    ),
    RunFile(
        POSITIONS,
        _ALL,
        True,
        "held positions, long form: `signal` X in [-1, 1]; `weight` vol-scaled, before the 1/N average, "
        'or for managed-futures runs (`meta.json` `weight_convention = "nav"`) a fraction of NAV, '
        "drifted daily",
        columns=("date", "symbol", "strategy", "signal", "weight"),
    ),
    RunFile(
        ASSET_RETURNS,
        _ALL,
        True,
        "daily simple return of each instrument over the span, long form (the report's contribution "
        "per asset)",
        columns=("date", "symbol", "return"),
    ),
    RunFile(
        METRICS,
        _ALL,
        True,
        "measures of `returns.csv` per variant (NaN written as `null`; `corr_ref` is the correlation to "
        "the reference equity, SPY on real data; `holding_days` the average holding period in trading days)",
        index="<variant>",
        columns=_METRIC_KEYS,
    ),
    RunFile(
        METRICS_EX_POST,
        _ALL,
        True,
        "the same measures of `returns_ex_post.csv`",
        index="<variant>",
        columns=_METRIC_KEYS,
    ),
    RunFile(
        SIGNIFICANCE,
        _ALL,
        True,
        "whether Sharpe ratios and their differences are real (docs/statistics.md): per variant `sharpe`, "
        "`psr` (vs 0), `dsr` (with `n_trials` of `models/trials.csv`), a stationary-bootstrap interval "
        "`boot_low`/`boot_high` at `level`; `differences` lists each model variant minus each classical "
        "benchmark at the same cost, over the days both have",
        columns=_SIGNIFICANCE_KEYS,
    ),
    RunFile(
        UNIVERSE,
        _ALL,
        True,
        "the instruments used",
        columns=("symbol", "asset_class", "sector", "role", "cost_bps", "description"),
    ),
    RunFile(
        QUALITY,
        _ALL,
        False,
        "data-quality findings (`deepmomentum data check`)",
        when="real data, quality checks on",
        columns=("symbol", "issue", "severity", "start", "end", "n_days", "detail", "action", "resolved"),
    ),
    RunFile(
        REPORT,
        _ANY,
        False,
        "the self-contained tearsheet; an ablation's shows its summary table and chart",
        when="after `report` (and at the end of the commands, unless `--no-report`)",
    ),
    RunFile(
        f"{FIGURES_DIR}/<figure>.png",
        _ALL,
        False,
        "static copies of the main figures: " + ", ".join(f"`{n}`" for n in FIGURE_NAMES),
        when="after `report --png`",
    ),
    RunFile(
        WINDOWS,
        _ML,
        True,
        "one row per walk-forward window (and variant); DMN runs add the best trial, its validation "
        "Sharpe and its `param_*` hyperparameters",
        columns=("window", "train_start", "val_start", "test_start", "test_end"),
        more=True,
    ),
    RunFile(
        TRIALS,
        _DMN,
        True,
        "one row per hyperparameter trial; `value` is the objective (the validation Sharpe); "
        "`training.validation` blocked adds each fold's Sharpe, `val_sharpe` their mean; `pruned` when "
        "`training.pruner` stopped one of its tasks early, `epochs_run` summed over its tasks",
        columns=_TRIAL_COLUMNS,
    ),
    RunFile(
        ENSEMBLE,
        _DMN,
        True,
        "one row per window and ensemble member (one trained task: trial, seed, fold; `fold` empty with "
        "validation last): its own and its trial's validation Sharpe, its weight in the window's "
        "positions",
        columns=(
            "variant",
            "window",
            "trial",
            "seed",
            "fold",
            "val_sharpe",
            "trial_val_sharpe",
            "best_epoch",
            "weight",
            "folder",
        ),
    ),
    RunFile(
        DIAGNOSTICS,
        _DMN,
        False,
        "one row per walk-forward window and variant, models and classical benchmarks: Sharpe of the "
        "returns the window's positions earn at each cost, long bias, mean |position|, turnover/yr, "
        "uncentred correlation of positions with TSMOM's and long-only's, the model's validation Sharpe "
        "(docs/costs.md)",
        when="the paper's engine (`vol_scaling` + `daily`)",
        columns=_DIAGNOSTIC_COLUMNS,
    ),
    RunFile(
        OPTUNA_DB,
        _DMN,
        False,
        "the Optuna studies of the hyperparameter search (SQLite)",
        when="unless `training.storage` names a shared database",
    ),
    RunFile(
        OPTUNA_LOCK,
        _DMN,
        False,
        "lock: one process at a time uses the folder's own study",
        when="as `optuna.db`",
    ),
    RunFile(f"{_WINDOW}/best.pt", _DMN, True, "the weights of the window's best trial (PyTorch)"),
    RunFile(
        f"{_WINDOW}/best.json",
        _DMN,
        True,
        "the window's spans, best trial, its validation Sharpe and hyperparameters, the ensemble's trials, "
        "its `members` (trial, seed, fold, scores, weight), the `validation` scheme and its `folds`",
    ),
    *interpret_files(RunFile, _WINDOW, _DMN),
    RunFile(f"{_TRIAL}/model.pt", _DMN, True, "one trained trial's weights"),
    RunFile(
        f"{_TRIAL}/positions.npy",
        _DMN,
        True,
        "its out-of-sample positions (test days x assets, NaN where none)",
    ),
    RunFile(
        f"{_TRIAL}/result.json",
        _DMN,
        True,
        "its scores and spans, written last: a resume reuses a task that has it",
    ),
    RunFile(f"{_SEED}/model.pt", _MF, True, "one trained trend-model seed's weights"),
    RunFile(
        f"{_SEED}/predictions.npy",
        _MF,
        True,
        "its out-of-sample predictions (test days x assets x (probability, magnitude))",
    ),
    RunFile(
        f"{_SEED}/result.json",
        _MF,
        True,
        "its losses and spans, written last: a resume reuses a task that has it",
    ),
    RunFile(
        WEIGHTS,
        _MF,
        True,
        "NAV weights per day (non-zero ones), `rebalance` true on the days the portfolio was rebuilt",
        columns=("date", "symbol", "strategy", "weight", "rebalance"),
    ),
    RunFile(
        REBALANCES,
        _MF,
        True,
        "rebalance dates and their triggers, with the ex-ante vol, the binding constraints and the "
        "class shares",
        columns=("date", "triggers", *_CONSTRUCTION),
        more=True,
    ),
    RunFile(
        CONSTRAINTS,
        _MF,
        True,
        "every portfolio construction (rebalances, and every day for the daily variant): binding and "
        "unmet constraints, and each class's realised share of the gross (`share_<class>`)",
        columns=("strategy", "date", *_CONSTRUCTION, "rebalance"),
        more=True,
    ),
    RunFile(
        REGIMES,
        _MF,
        False,
        "the daily economic regime over the out-of-sample span (macro, or market-implied without "
        "`--macro-dir`)",
        when="a stage uses the regime (the trend model's timeframe mix, the hybrid triggers)",
        index="date",
        columns=("regime",),
        more=True,
    ),
    RunFile(
        COMPARISON,
        _MF,
        False,
        "the benchmark comparison: full out-of-sample span (`span = oos`) and DBMF's life (`dbmf_life`)",
        when="the data has a reference equity",
        index="series",
        columns=_COMPARISON,
    ),
    *ablation_files(
        RunFile, f"{_SEED}/<file>", f"{_WINDOW}/<file>", f"{_TRIAL}/<file>", OPTUNA_DB, OPTUNA_LOCK
    ),
)


def window_dir(variant: str, window: int) -> str:
    """``models/<variant>/window-<NN>``: the folder of one variant's walk-forward window."""
    return f"{MODELS_DIR}/{variant}/window-{window:02d}"


@cache
def _path_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("[^/]+".join(re.escape(p) for p in _PLACEHOLDER.split(pattern)))


@cache
def _column_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".+".join(re.escape(p) for p in _PLACEHOLDER.split(pattern)))


def run_file(path: str) -> RunFile:
    """The entry of :data:`RUN_FILES` whose path is ``path`` (a constant such as :data:`RETURNS`).

    Raises
    ------
    KeyError
        No entry has this path.
    """
    for f in RUN_FILES:
        if f.path == path:
            return f
    raise KeyError(f"{path!r} is not a run-folder file; see deepmomentum.run._layout.RUN_FILES")


def declared_file(relpath: str) -> RunFile | None:
    """The entry of :data:`RUN_FILES` that declares ``relpath`` (``/``-separated), or None."""
    return next((f for f in RUN_FILES if f.matches(relpath)), None)


def _relpaths(run_dir: Path) -> list[str]:
    return sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())


def undeclared_files(run_dir: str | Path) -> list[str]:
    """Files of a run folder that :data:`RUN_FILES` does not declare (relative paths)."""
    return [p for p in _relpaths(Path(run_dir)) if declared_file(p) is None]


def missing_files(run_dir: str | Path, kind: str) -> list[str]:
    """Paths (or patterns) of the files every run of ``kind`` holds that ``run_dir`` lacks."""
    present = _relpaths(Path(run_dir))
    return [
        f.path for f in RUN_FILES if f.required and kind in f.kinds and not any(f.matches(p) for p in present)
    ]


def columns_match(spec: RunFile, found: Sequence[str]) -> bool:
    """True when ``found`` (a table's columns after the index, or JSON keys) fits ``spec``.

    Declared names must appear in order; a ``<name>`` column stands for any
    number of columns that fit it. With :attr:`RunFile.more`, the declared
    names (not patterns) must all appear, in any order, among others.
    """
    found = [str(c) for c in found]
    if spec.more:
        return all(c in found for c in spec.columns if _PLACEHOLDER.search(c) is None)
    i = 0
    for k, col in enumerate(spec.columns):
        if _PLACEHOLDER.search(col) is None:
            if i >= len(found) or found[i] != col:
                return False
            i += 1
            continue
        nxt = spec.columns[k + 1] if k + 1 < len(spec.columns) else None
        regex = _column_regex(col)
        while i < len(found) and found[i] != nxt and regex.fullmatch(found[i]):
            i += 1
    return i == len(found)


def read_json_object(file: Path) -> dict[str, Any]:
    """Read a JSON object of a run folder.

    Raises
    ------
    DataError
        The file is unreadable, not JSON, or not an object at the top level (names the file).
    """
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc}); rerun the command that wrote it", path=file) from None
    if not isinstance(data, dict):
        raise DataError("expected a JSON object at the top level", path=file)
    return data


def read_metrics(file: Path) -> dict[str, dict[str, Any]]:
    """Read ``metrics.json`` (or ``metrics_ex_post.json``): ``{variant: {measure: value or None}}``.

    Raises
    ------
    DataError
        As :func:`read_json_object`, or an entry is not an object of measures.
    """
    out: dict[str, dict[str, Any]] = {}
    for variant, values in read_json_object(file).items():
        if not isinstance(values, dict):
            raise DataError(f"entry {variant!r} is not an object of measures", path=file)
        out[str(variant)] = values
    return out


def _schema_cell(f: RunFile) -> str:
    if not f.columns:
        return "-"
    cols = ", ".join(f"`{c}`" for c in f.columns) + (", ..." if f.more else "")
    if f.path.endswith(".json"):
        return f"per `{f.index}`: {cols}" if f.index else cols
    if f.index:
        return f"`{f.index}` (index), {cols}"
    return cols


def _kinds_cell(kinds: tuple[str, ...]) -> str:
    if kinds == _ANY:
        return "all, `ablation`"
    return "all" if kinds == _ALL else ", ".join(f"`{k}`" for k in kinds)


def render_markdown_table() -> str:
    """The file table of ``docs/run-folder.md``, rendered from :data:`RUN_FILES`."""
    lines = [
        "| file | written by | always | columns / keys | content |",
        "|---|---|---|---|---|",
    ]
    for f in RUN_FILES:
        always = "yes" if f.required else f"no: {f.when}"
        cells = (f"`{f.path}`", _kinds_cell(f.kinds), always, _schema_cell(f), f.description)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
