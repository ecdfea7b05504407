"""Library calls for what ``deepmomentum run`` does: run a configuration, resume a run folder.

The CLI parses flags, calls these and prints the result; a script or notebook
calls them directly and gets the same run folder::

    from deepmomentum.presets import load_preset
    from deepmomentum.run import resume, run

    run(load_preset("dmn-quick"), "runs/dmn")
    resume("runs/dmn", jobs=4)          # after an interruption; only volatile settings change
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from deepmomentum.config import RunConfig, load_config, parse_config
from deepmomentum.data import MarketData
from deepmomentum.exceptions import ConfigError
from deepmomentum.run._dmn import run_models
from deepmomentum.run._managed_futures import run_managed_futures

__all__ = ["RESUME_KEYS", "choose_pipeline", "load_run_config", "resume", "resume_config", "run"]

#: Settings a resume may change, keyword -> dotted configuration key. They change
#: where and how fast tasks run, not what they compute (in this order in messages).
RESUME_KEYS: dict[str, str] = {
    "jobs": "training.jobs",
    "executor": "training.executor",
    "ray_address": "training.ray_address",
    "storage": "training.storage",
    "device": "training.device",
}


def choose_pipeline(config: RunConfig) -> Callable[..., Any]:
    """The pipeline function that runs ``config``.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    callable
        :func:`~deepmomentum.run.run_managed_futures` when ``config`` has a
        ``[managed_futures]`` table, else :func:`~deepmomentum.run.run_models`
        (the Deep Momentum Network). Both take ``(config, out, data=, progress=,
        executor=, force=)``.
    """
    return run_managed_futures if config.managed_futures is not None else run_models


def run(
    config: RunConfig,
    out: str | Path,
    *,
    data: MarketData | None = None,
    progress: Callable[..., None] | None = None,
    executor: Any = None,
    force: bool = False,
) -> Any:
    """Run the pipeline that ``config`` describes into the run folder ``out``.

    Rerunning with the same ``out`` resumes: finished tasks are read back.

    Parameters
    ----------
    config : RunConfig
    out : path
        The run folder.
    data : MarketData, optional
        Loaded from ``config.data`` if None.
    progress : callable, optional
        ``progress(event, **info)`` (see :func:`~deepmomentum.run.run_models`).
    executor : Executor, optional
        Default: built from ``config.training``.
    force : bool, default False
        Clear ``out`` first when it holds another run.

    Returns
    -------
    BacktestRun or ManagedFuturesRun
        Whatever :func:`choose_pipeline`'s pipeline returns.
    """
    pipeline = choose_pipeline(config)
    return pipeline(config, out, data=data, progress=progress, executor=executor, force=force)


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The configuration of an earlier run, from ``RUN_DIR/config.toml``.

    Raises
    ------
    ConfigError
        ``run_dir`` has no ``config.toml``.
    """
    run_dir = Path(run_dir)
    path = run_dir / "config.toml"
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no config.toml: not a run folder, or the run never started")
    raw = tomllib.loads(path.read_text())
    data_dir = raw.get("data", {}).get("data_dir")
    if data_dir is not None and not Path(data_dir).is_absolute() and Path(data_dir).is_dir():
        # written as given on the command line: relative to where the run was started
        return parse_config(raw, source=str(path), base=Path.cwd())
    return load_config(path)


def resume_config(
    run_dir: str | Path, *, names: Mapping[str, str] | None = None, **overrides: Any
) -> RunConfig:
    """The configuration that resumes ``run_dir``: its own, with volatile settings changed.

    Parameters
    ----------
    run_dir : path
        A run folder holding ``config.toml``.
    names : mapping of str to str, optional
        Keyword -> what the user typed (``{"seed": "--seed"}``), for messages;
        the key ``"resume"`` names the resume itself.
    **overrides
        Keywords of :data:`RESUME_KEYS` (``jobs=2, device="cpu"``); None means
        not given. Any other keyword given a value (``seed``, ``config``,
        ``data_dir``...) would change the results and is refused.

    Raises
    ------
    ConfigError
        One line naming the refused options and what may change; or no
        ``config.toml``; or an invalid value.
    """
    names = names or {}
    fixed = [k for k, v in overrides.items() if v is not None and k not in RESUME_KEYS]
    if fixed:
        allowed = ", ".join(names.get(k, k) for k in RESUME_KEYS)
        raise ConfigError(
            f"{names.get('resume', 'resume')} takes the run's own config.toml; drop "
            f"{', '.join(names.get(k, k) for k in fixed)} (only {allowed} may change)"
        )
    cfg = load_run_config(run_dir)
    dotted = {RESUME_KEYS[k]: v for k, v in overrides.items() if k in RESUME_KEYS}  # others are None
    return cfg.with_overrides(dotted, {RESUME_KEYS[k]: names.get(k, k) for k in RESUME_KEYS})


def resume(
    run_dir: str | Path,
    *,
    data: MarketData | None = None,
    progress: Callable[..., None] | None = None,
    **overrides: Any,
) -> Any:
    """Continue the run in ``run_dir`` with its own ``config.toml``.

    Finished tasks are read back, not retrained, so the results equal an
    uninterrupted run's. To pass an Executor object, use
    ``run(resume_config(run_dir), run_dir, executor=...)``.

    Parameters
    ----------
    run_dir : path
        The run folder to continue.
    data, progress
        As :func:`run`.
    **overrides
        Volatile settings only (:data:`RESUME_KEYS`): ``jobs=4``,
        ``executor="ray"``, ``ray_address=``, ``storage=``, ``device="cpu"``;
        anything else raises :class:`~deepmomentum.exceptions.ConfigError`
        (see :func:`resume_config`).

    Returns
    -------
    BacktestRun or ManagedFuturesRun
    """
    cfg = resume_config(run_dir, **overrides)
    return run(cfg, run_dir, data=data, progress=progress)
