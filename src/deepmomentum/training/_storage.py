"""Optuna storage for the walk-forward search: URL handling, run lock, heartbeats.

Two modes:

* **own** (no ``storage`` given): the studies live in ``optuna.db`` (SQLite) in
  the run folder, and the run folder is locked for one process at a time. A
  trial left RUNNING by a killed process can only be this run's own, so the
  next run takes it over at once.
* **shared** (``storage`` is a URL, e.g. ``postgresql://host/db``): several
  processes or machines work on the same studies. Every claimed trial sends a
  heartbeat; a trial whose heartbeat is older than the grace period belongs to
  a dead worker and is failed by whoever notices, then retried (as a new
  trial of the same slot) up to ``max_retry`` times by Optuna's
  :class:`~optuna.storages.RetryFailedTrialCallback`. A failed trial is never
  counted as a result.

The heartbeat defaults can be changed with the environment variables
``DEEPMOMENTUM_HEARTBEAT_S`` (interval, seconds), ``DEEPMOMENTUM_GRACE_S``
(grace period, seconds) and ``DEEPMOMENTUM_MAX_RETRY``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from deepmomentum.exceptions import ConfigError

__all__ = [
    "Heartbeat",
    "SearchStorage",
    "default_heartbeat",
    "normalize_url",
    "open_storage",
    "quiet_optuna",
    "redact_url",
    "run_lock",
]

log = logging.getLogger("deepmomentum.training")

SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value}")
    return value


def default_heartbeat() -> tuple[int, int, int]:
    """Heartbeat interval, grace period (seconds) and max retries, from the environment.

    Returns
    -------
    tuple of int
        ``(interval, grace, max_retry)``; defaults 20 s, 120 s and 3.
    """
    interval = max(_env_int("DEEPMOMENTUM_HEARTBEAT_S", 20), 1)
    grace = max(_env_int("DEEPMOMENTUM_GRACE_S", 6 * interval), interval + 1)
    return interval, grace, _env_int("DEEPMOMENTUM_MAX_RETRY", 3)


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


def normalize_url(url: str) -> str:
    """Check a storage URL and pick the installed PostgreSQL driver.

    ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg2://``
    unless psycopg 3 is installed (SQLAlchemy 2.1 defaults to psycopg 3).

    Raises
    ------
    ConfigError
        For a URL that is not a database URL, or a missing driver.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    base = scheme.split("+", 1)[0]
    if base not in SCHEMES:
        raise ConfigError(
            f"storage {redact_url(url)!r} is not a database URL; use e.g. "
            "sqlite:///path/optuna.db or postgresql://user@host:5432/db"
        )
    if base in ("postgres", "postgresql"):
        rest = url.split("://", 1)[1]
        driver = scheme.split("+", 1)[1] if "+" in scheme else None
        if driver is None:
            driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        module = "psycopg2" if driver == "psycopg2" else driver
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"PostgreSQL storage needs the {module} driver: pip install 'deepmomentum[postgres]'"
            )
        url = f"postgresql+{driver}://{rest}"
    return url


@dataclass
class SearchStorage:
    """An opened Optuna storage and how the walk-forward must treat it.

    Attributes
    ----------
    storage : optuna.storages.RDBStorage
    shared : bool
        True when other processes may work on the same studies (heartbeats on).
    url : str
    heartbeat_interval, grace_period, max_retry : int
    """

    storage: Any
    shared: bool
    url: str
    heartbeat_interval: int
    grace_period: int
    max_retry: int


_CACHE: dict[tuple[str, bool, int, int, int], SearchStorage] = {}


def open_storage(
    url: str | None,
    run_dir: str | Path,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    max_retry: int | None = None,
) -> SearchStorage:
    """Open the storage of the walk-forward studies.

    Parameters
    ----------
    url : str, optional
        Database URL shared by several workers; None: ``optuna.db`` in ``run_dir``
        (not shared).
    run_dir : path
    heartbeat_interval, grace_period, max_retry : int, optional
        Heartbeat settings of shared storage; defaults from :func:`default_heartbeat`.

    Returns
    -------
    SearchStorage
    """
    import optuna
    from optuna.storages import RDBStorage

    d_int, d_grace, d_retry = default_heartbeat()
    interval = heartbeat_interval or d_int
    grace = grace_period or max(d_grace, interval + 1)
    retry = d_retry if max_retry is None else max_retry
    shared = url is not None
    if url is None:
        url = f"sqlite:///{(Path(run_dir) / 'optuna.db').resolve()}"
    url = normalize_url(url)
    key = (url, shared, interval, grace, retry)
    if key in _CACHE:
        return _CACHE[key]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    kwargs: dict[str, Any] = {}
    if shared:
        kwargs = {"heartbeat_interval": interval, "grace_period": grace}
        if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):  # optuna >= 4.9
            callback = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=retry)
            kwargs["heartbeat_stale_trial_callback"] = callback
        else:
            kwargs["failed_trial_callback"] = optuna.storages.RetryFailedTrialCallback(max_retry=retry)
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        engine_kwargs = {"connect_args": {"timeout": 60}}
    elif url.startswith(("postgresql", "mysql")):
        engine_kwargs = {"pool_pre_ping": True}
    for attempt in range(3):
        try:
            with quiet_optuna():
                storage = RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)
            break
        except Exception as exc:  # sqlalchemy raises many kinds
            if attempt < 2 and "already exists" in str(exc):
                time.sleep(1.0 + attempt)  # another worker is creating the tables right now
                continue
            raise _open_error(url, exc) from None
    out = SearchStorage(storage, shared, url, interval, grace, retry)
    _CACHE[key] = out
    return out


def _open_error(url: str, exc: Exception) -> ConfigError:
    return ConfigError(
        f"cannot open the study storage {redact_url(url)}: {type(exc).__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else ''}; check the URL, that the database "
        "server runs and accepts this user (password via PGPASSWORD or ~/.pgpass)"
    )


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's experimental/deprecation warnings about heartbeats outside ``optimize``."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message=".*Heartbeat.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*deprecated.*", category=FutureWarning)
        yield


class Heartbeat:
    """Records a heartbeat for some trials every ``interval`` seconds, in a thread.

    Used as a context manager around the training of a batch of claimed
    trials; other workers fail the trials if the heartbeats stop.

    Parameters
    ----------
    storage : optuna.storages.RDBStorage
    trial_ids : iterable of int
        Storage ids (``trial._trial_id``) of the claimed trials.
    interval : float
    """

    def __init__(self, storage: Any, trial_ids: Iterable[int], interval: float) -> None:
        self.storage = storage
        self.trial_ids = list(trial_ids)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Record one heartbeat for every trial (errors are logged, not raised)."""
        for tid in self.trial_ids:
            try:
                self.storage.record_heartbeat(tid)
            except Exception as exc:
                log.warning("heartbeat of trial id %s failed: %s", tid, exc)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="optuna-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@contextmanager
def run_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the run folder's own study database.

    Raises
    ------
    ConfigError
        If another process holds it (two runs writing one folder at once).
    """
    import fcntl

    path = Path(run_dir) / ".optuna.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # held for the duration of the context
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"run folder {run_dir} is in use by another deepmomentum process; wait for it to "
                "finish, or give several machines one study with --storage URL and their own --out"
            ) from None
        yield
    finally:
        fh.close()
