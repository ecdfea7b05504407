"""The run folder: atomic writes, resolved config, metadata, logs.

See ``docs/run-folder.md`` for the layout every command writes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from deepmomentum._io import atomic_path as _atomic_path
from deepmomentum._io import atomic_write_bytes, atomic_write_text

__all__ = [
    "RunFolder",
    "atomic_write_bytes",
    "atomic_write_text",
    "package_versions",
    "utc_now",
]

LOGGER_NAME = "deepmomentum"


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

        return self.write_text("config.toml", dump_config(cfg))

    def write_meta(self, **fields: Any) -> Path:
        """Merge ``fields`` into ``meta.json`` (versions are always recorded)."""
        meta: dict[str, Any] = {}
        if (self.path / "meta.json").is_file():
            meta = self.read_json("meta.json")
        meta.setdefault("versions", package_versions())
        meta.setdefault("package_version", meta["versions"].get("deepmomentum", "unknown"))
        meta.update(fields)
        return self.write_json("meta.json", meta)

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

        path = self.path / "config.toml"
        if not path.is_file():
            return
        old = _flatten(tomllib.loads(path.read_text()))
        new = _flatten(to_toml_dict(cfg))
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k not in volatile)
        if keys:
            shown = ", ".join(f"{k} ({old.get(k)!r} -> {new.get(k)!r})" for k in keys[:4])
            more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
            raise ConfigError(
                f"{self.path} holds a run with other settings: {shown}{more}. Its finished models "
                "would be reused for the wrong settings; use a new --out, or --resume "
                f"{self.path} to continue that run unchanged"
            )

    def check_same_data(self, fingerprint: str) -> None:
        """Refuse to continue a run whose recorded data fingerprint differs."""
        from deepmomentum.exceptions import ConfigError

        if not (self.path / "meta.json").is_file():
            return
        old = (self.read_json("meta.json").get("data") or {}).get("fingerprint")
        if old is not None and old != fingerprint:
            raise ConfigError(
                f"{self.path} holds a run on other data (price fingerprint {old[:12]}..., now "
                f"{fingerprint[:12]}...); its finished models would be reused for the wrong data. "
                "Use a new --out"
            )

    def start_log(self, level: int = logging.INFO) -> logging.Logger:
        """Send the package's log records to ``run.log`` (appending, so resumes keep history)."""
        logger = logging.getLogger(LOGGER_NAME)
        logger.setLevel(min(logger.level or level, level))
        handler = logging.FileHandler(self.path / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(level)
        logger.addHandler(handler)
        self._log_handler = handler
        return logger

    def stop_log(self) -> None:
        """Detach the log file handler."""
        if self._log_handler is not None:
            logging.getLogger(LOGGER_NAME).removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None
