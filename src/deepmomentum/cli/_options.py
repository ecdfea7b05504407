"""Option help texts, flag names and flag parsing shared by the run commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from deepmomentum._io import free_sibling

__all__ = [
    "FORCE_HELP",
    "OPTION_NAMES",
    "QUALITY_HELP",
    "RESUME_NAMES",
    "apply_quality_options",
    "default_run_dir",
    "parse_quality",
    "split_list",
    "with_default",
]

FORCE_HELP = "Replace an --out folder that holds another run (its old contents are deleted first)."

QUALITY_HELP = (
    "Data-quality actions, e.g. spike=keep,gap=ffill (issues: spike, non_positive, stale, gap, "
    "calendar; actions: drop, keep, error, ffill, flag). Default: spike=drop (isolated bad prints that "
    "revert next day are dropped, with a warning), the others flag. spike=error refuses such data; "
    "non-positive prices always stop the run."
)

# Dotted configuration key -> the flag that sets it, so that errors name what the user typed.
OPTION_NAMES = {
    "data.data_dir": "--data-dir",
    "data.start": "--start",
    "data.end": "--end",
    "data.macro_dir": "--macro-dir",
    "data.sentiment_dir": "--sentiment-dir",
    "backtest.strategies": "--strategy",
    "backtest.cost_bps": "--cost-bps",
    "backtest.vol_target": "--vol-target",
    "backtest.max_weight": "--max-weight",
    "backtest.portfolio_vol_target": "--portfolio-vol-target",
    "seed": "--seed",
    "training.jobs": "--jobs",
    "training.device": "--device",
    "training.precision": "--precision",
    "training.first_test_year": "--first-test-year",
    "training.executor": "--executor",
    "training.ray_address": "--ray-address",
    "training.storage": "--storage",
}

# Keyword of deepmomentum.run.resume_config -> the flag, for its messages.
RESUME_NAMES = {
    "resume": "--resume",
    "config": "--config",
    "preset": "--preset",
    "data_dir": "--data-dir",
    "seed": "--seed",
    "first_test_year": "--first-test-year",
    "out": "--out",
    "jobs": "--jobs",
    "executor": "--executor",
    "ray_address": "--ray-address",
    "storage": "--storage",
    "device": "--device",
}


def default_run_dir(command: str) -> Path:
    """``runs/<command>-<UTC timestamp>`` under the current folder, never an existing one.

    Two commands started in the same second get ``...-2``, so neither writes into
    the other's folder.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / f"{command}-{stamp}"
    return free_sibling(path) if path.exists() else path


def with_default(help_text: str, model: type[BaseModel], field: str, fmt: str = "{}") -> str:
    """``help_text`` and the configuration's default, as click shows defaults.

    The options default to None so that a --config file's values stand unless a
    flag is given; the default shown is the pydantic model's (one set of defaults).
    """
    value = model.model_fields[field].default
    if isinstance(value, list):
        shown = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    else:
        shown = fmt.format(value)
    return f"{help_text}  [default: {shown}]"


def split_list(value: str, kind: type = str) -> list:
    """``"a, b"`` -> ``["a", "b"]``, each converted by ``kind``; ConfigError if one does not parse."""
    try:
        return [kind(v.strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        from deepmomentum.exceptions import ConfigError

        raise ConfigError(f"cannot parse {value!r} as a comma-separated list of numbers") from None


def apply_quality_options(cfg: Any, quality: str | None, quality_check: bool | None) -> None:
    """Apply ``--quality`` and ``--quality-check/--no-quality-check`` to a RunConfig."""
    if quality_check is not None:
        cfg.data.quality_check = quality_check
    if quality:
        cfg.data.quality = {**cfg.data.quality, **parse_quality(quality)}


def parse_quality(text: str | None) -> dict[str, Any]:
    """``--quality spike=keep,gap=ffill`` -> ``{"spike": "keep", "gap": "ffill"}``."""
    from deepmomentum.data.acquisition._quality import ACTIONS
    from deepmomentum.exceptions import ConfigError

    actions: dict[str, Any] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        issue, sep, action = part.partition("=")
        if not sep or action.strip() not in ACTIONS:
            raise ConfigError(
                f"--quality: cannot parse {part!r}; write ISSUE=ACTION, e.g. spike=keep "
                f"(actions: {', '.join(ACTIONS)})"
            )
        actions[issue.strip()] = action.strip()
    return actions
