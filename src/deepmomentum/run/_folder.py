"""The run folder: atomic writes, resolved config, metadata, logs.

See ``docs/run-folder.md`` for the layout every command writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import json
import logging
import math
import platform
import shutil
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel

from deepmomentum._io import atomic_path as _atomic_path
from deepmomentum._io import atomic_write_bytes, atomic_write_text, free_sibling
from deepmomentum.run._layout import CONFIG, META, MODELS_DIR, RUN_LOG

if TYPE_CHECKING:
    from deepmomentum.data import MarketData

__all__ = [
    "RUN_KINDS",
    "RunFolder",
    "RunKind",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_out_path",
    "package_versions",
    "utc_now",
]

LOGGER_NAME = "deepmomentum"

RunKind = Literal["backtest", "dmn", "managed_futures", "ablation"]
RUN_KINDS: tuple[str, ...] = ("backtest", "dmn", "managed_futures", "ablation")
_KIND_LABEL = {
    "backtest": "classical backtest (`deepmomentum backtest`)",
    "dmn": "Deep Momentum Network run (`deepmomentum run`)",
    "managed_futures": "managed-futures run (`deepmomentum run`)",
    "ablation": "managed-futures ablation (`deepmomentum ablate`)",
}
# Files a run writes before it has produced anything: a failed run holding only these left nothing of value.
_BOOKKEEPING = frozenset({RUN_LOG, CONFIG, META})


def utc_now() -> str:
    """Current time, ISO 8601 UTC, seconds."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    return value


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of nested tables; lists of tables are compared as a whole."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def package_versions() -> dict[str, str]:
    """Versions of python and the packages that shape results."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("deepmomentum", "numpy", "pandas", "torch", "optuna", "pyarrow", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def recorded_kind(path: Path) -> str | None:
    """The kind of run a folder holds (``meta.json``'s ``kind``, else inferred), or None.

    Folders written before ``kind`` was recorded are read from ``meta.json``'s
    ``command`` / ``pipeline`` or, failing that, from ``config.toml``'s tables.
    """
    meta_path, cfg_path = path / META, path / CONFIG
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(meta_path.read_text())
    if meta.get("kind") in RUN_KINDS:
        return str(meta["kind"])
    if meta.get("command") == "ablate":
        return "ablation"
    if meta.get("pipeline") == "managed_futures":
        return "managed_futures"
    if meta.get("command") in ("backtest", "demo") and not (path / MODELS_DIR).is_dir():
        return "backtest"
    raw: dict[str, Any] | None = None
    with contextlib.suppress(OSError, ValueError):
        raw = tomllib.loads(cfg_path.read_text())
    if raw is not None:
        if raw.get("managed_futures"):
            return "managed_futures"
        return "dmn" if raw.get("models") else "backtest"
    if meta.get("command") == "run":
        return "dmn"
    return None


def check_out_path(path: Path) -> None:
    """Refuse a run-folder path that is an existing file (checked before any work starts)."""
    from deepmomentum.exceptions import ConfigError

    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{path} is a file, not a run folder; give --out a folder path such as {free_sibling(path)}"
        )


class RunFolder:
    """A run's output folder; every write is atomic.

    Parameters
    ----------
    path : str or Path
        The folder; created if missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._log_handler: logging.Handler | None = None
        self._created = False

    @classmethod
    def claim(
        cls,
        path: str | Path,
        kind: RunKind,
        cfg: BaseModel,
        volatile: tuple[str, ...] = (),
        force: bool = False,
        cache: tuple[str, ...] = (),
    ) -> RunFolder:
        """Open ``path`` for a run of ``kind``, refusing to mix it with another run.

        A folder that holds a different kind of run, or the same kind with other
        settings (see :meth:`check_same_config`), is refused with a message that
        names it and suggests a new one: writing into it would replace some of
        its files and leave others behind. The same kind with the same settings
        is a resume; for a backtest, which has nothing to resume, the folder is
        cleared and written again.

        Parameters
        ----------
        path : str or Path
            The run folder.
        kind : {"backtest", "dmn", "managed_futures", "ablation"}
            What is about to be written (recorded in ``meta.json``).
        cfg : BaseModel
            The configuration about to run.
        volatile : tuple of str
            Dotted configuration keys that may differ on a resume.
        force : bool, default False
            Clear a folder holding another run first, so that nothing stale
            survives. Folders that hold no run are never cleared.
        cache : tuple of str
            Glob patterns of entries a folder that holds no run yet may already
            have (a training cache put there before the first start, e.g.
            ``seed-*`` for an ablation); such a folder is taken as new.

        Raises
        ------
        ConfigError
            ``path`` is a file, a folder holding files of no run, or another run.
        """
        from deepmomentum.exceptions import ConfigError

        path = Path(path)
        check_out_path(path)
        created = not path.exists() or not any(path.iterdir())
        if not created:
            old_kind = recorded_kind(path)
            others = [
                p.name
                for p in path.iterdir()
                if p.name not in _BOOKKEEPING and not any(fnmatch.fnmatch(p.name, c) for c in cache)
            ]
            if old_kind is None and others:
                raise ConfigError(
                    f"{path} is not empty and holds no run ({len(others)} other entries, e.g. "
                    f"{sorted(others)[0]!r}); nothing was written. Give --out a new folder such as "
                    f"{free_sibling(path)}"
                )
            if force:
                _clear(path)
                created = True
            elif old_kind is not None and old_kind != kind:
                raise ConfigError(
                    f"{path} holds a {_KIND_LABEL[old_kind]}; writing a {_KIND_LABEL[kind]} there would "
                    f"replace some of its files and leave others behind. Use a new --out such as "
                    f"{free_sibling(path)}, or --force to clear the folder first"
                )
        folder = cls(path)
        folder._created = created
        if not created:
            folder.check_same_config(cfg, volatile)
            if kind == "backtest":  # nothing to resume: rewrite from scratch so no stale file survives
                _clear(path)
        return folder

    @contextlib.contextmanager
    def recording(self) -> Iterator[logging.Logger]:
        """Log to ``run.log`` while the body runs; record a failure there.

        On an error (or Ctrl-C) the message goes to ``run.log``, with the
        traceback for unexpected errors. A folder this run created that holds
        nothing but book-keeping files (``run.log``, ``config.toml``,
        ``meta.json``) is then removed, so a failed command leaves no empty
        run behind; a folder with results (finished walk-forward tasks) is kept
        so that a rerun resumes it.
        """
        from deepmomentum.exceptions import DeepMomentumError

        logger = self.start_log()
        try:
            yield logger
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                logger.warning("interrupted: progress so far is saved; rerun the same command to resume")
            else:
                unexpected = not isinstance(exc, DeepMomentumError)
                logger.error("failed: %s: %s", type(exc).__name__, exc, exc_info=unexpected)
            self.stop_log()
            if self._created and not self.produced():
                shutil.rmtree(self.path, ignore_errors=True)
            raise
        finally:
            self.stop_log()

    def produced(self) -> bool:
        """True when the folder holds anything beyond book-keeping files."""
        return any(p.name not in _BOOKKEEPING for p in self.path.iterdir() if not p.name.startswith("."))

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        """Write a text file atomically."""
        target = self.path / name
        atomic_write_text(target, text)
        return target

    def write_json(self, name: str, data: Any) -> Path:
        """Write JSON atomically; NaN and inf become null."""
        text = json.dumps(_nan_to_none(data), indent=2, default=_json_default, allow_nan=False)
        return self.write_text(name, text + "\n")

    def read_json(self, name: str) -> Any:
        """Read a JSON file of the folder."""
        return json.loads((self.path / name).read_text())

    def write_csv(self, name: str, frame: pd.DataFrame, index: bool = True) -> Path:
        """Write a CSV atomically (dates as YYYY-MM-DD)."""
        target = self.path / name
        with _atomic_path(target) as tmp:
            frame.to_csv(tmp, index=index, date_format="%Y-%m-%d", float_format="%.10g")
        return target

    def write_parquet(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a Parquet file atomically."""
        target = self.path / name
        with _atomic_path(target) as tmp:
            frame.to_parquet(tmp, index=False)
        return target

    def write_config(self, cfg: BaseModel) -> Path:
        """Write the resolved configuration as ``config.toml``."""
        from deepmomentum.config import dump_config

        return self.write_text(CONFIG, dump_config(cfg))

    def write_meta(self, **fields: Any) -> Path:
        """Merge ``fields`` into ``meta.json`` (versions are always recorded)."""
        meta: dict[str, Any] = {}
        if (self.path / META).is_file():
            meta = self.read_json(META)
        meta.setdefault("versions", package_versions())
        meta.setdefault("package_version", meta["versions"].get("deepmomentum", "unknown"))
        meta.update(fields)
        return self.write_json(META, meta)

    def check_same_config(self, cfg: BaseModel, volatile: tuple[str, ...] = ()) -> None:
        """Refuse to continue a run whose recorded ``config.toml`` differs from ``cfg``.

        A rerun into the same folder reads finished tasks back; with other
        settings it would mix results of two configurations without notice.

        Parameters
        ----------
        cfg : BaseModel
            The configuration about to run.
        volatile : tuple of str
            Dotted keys that may change between runs without changing results
            (e.g. ``training.jobs``).
        """
        import tomllib

        from deepmomentum.config import to_toml_dict
        from deepmomentum.exceptions import ConfigError

        path = self.path / CONFIG
        if not path.is_file():
            return
        raw = tomllib.loads(path.read_text())
        old = _flatten(raw)
        new = _flatten(to_toml_dict(cfg))
        if old != new:  # an older layout of the same settings (e.g. a flat [managed_futures]) is the same run
            old, new = _semantic(type(cfg), raw), _flatten(cfg.model_dump(mode="json"))
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k not in volatile)
        if keys:
            shown = ", ".join(f"{k} ({old.get(k)!r} -> {new.get(k)!r})" for k in keys[:4])
            more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
            raise ConfigError(
                f"{self.path} holds a run with other settings: {shown}{more}. Its results would be "
                f"mixed with this run's; use a new --out such as {free_sibling(self.path)}, --resume "
                f"{self.path} to continue that run unchanged, or --force to replace it"
            )

    def check_same_data(self, fingerprint: str, data: MarketData | None = None) -> None:
        """Refuse to continue a run on other data, unless ``data`` only appends days.

        With ``data``, prices that match the recorded ones up to the recorded
        last date (same per-symbol, per-year hashes) and go on after it extend
        the run: finished windows are read back, new days predicted or trained.
        """
        from deepmomentum.exceptions import ConfigError

        if not (self.path / META).is_file():
            return
        recorded = self.read_json(META).get("data") or {}
        old = recorded.get("fingerprint")
        if old is None or old == fingerprint:
            return
        why = f"price fingerprint {old[:12]}..., now {fingerprint[:12]}..."
        if data is not None and recorded.get("prefix") and recorded.get("last_date"):
            end, new_end = recorded["last_date"], str(data.prices.index[-1].date())
            diff = _first_difference(recorded["prefix"], data.prefix_fingerprints(end))
            if diff is None and new_end > end:
                logging.getLogger(LOGGER_NAME).info("extending the run from %s to %s", end, new_end)
                return
            why = (
                f"the prices of {diff[0]} dated in {diff[1]} differ from the run's"
                if diff is not None
                else f"the data ends {new_end}, not after the run's {end}"
            )
        raise ConfigError(
            f"{self.path} holds a run on other data ({why}); its finished models would be reused "
            f"for the wrong data. Use a new --out such as {free_sibling(self.path)}, or --force to replace it"
        )

    def start_log(self, level: int = logging.INFO) -> logging.Logger:
        """Send the package's log records to ``run.log`` (appending, so resumes keep history)."""
        logger = logging.getLogger(LOGGER_NAME)
        logger.setLevel(min(logger.level or level, level))
        handler = logging.FileHandler(self.path / RUN_LOG, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(level)
        logger.addHandler(handler)
        self._log_handler = handler
        return logger

    def stop_log(self) -> None:  # idempotent: recording() calls it on failure and on exit
        """Detach the log file handler."""
        if self._log_handler is not None:
            logging.getLogger(LOGGER_NAME).removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None


def _first_difference(
    old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]
) -> tuple[str, str] | None:
    """The first (symbol, year) whose recorded prefix hash differs; None when all match."""
    for sym in sorted(set(old) | set(new)):
        a, b = old.get(sym, {}), new.get(sym, {})
        for year in sorted(set(a) | set(b)):
            if a.get(year) != b.get(year):
                return sym, year
    return None


def _semantic(model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """The recorded settings as the current model reads them (old layouts migrated), flattened."""
    import warnings

    from pydantic import ValidationError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the migration warning is for users' own files
            return _flatten(model.model_validate(raw).model_dump(mode="json"))
    except ValidationError:
        return _flatten(raw)  # unreadable today: compare as written, which refuses


def _clear(path: Path) -> None:
    """Delete everything inside a run folder (``--force``), keeping the folder itself."""
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
