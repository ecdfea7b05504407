"""Atomic file writes: a reader sees the old file or the new one, never a partial one.

One module with no package imports, so that every layer (data store, run folder,
training tasks, report) shares the same implementation. Files get the mode that
``open()`` would give them (``0o666`` less the umask), not ``mkstemp``'s private
``0o600``, so that a team folder's permissions work as the user expects.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "current_umask",
    "default_file_mode",
    "free_sibling",
]


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows.

    Linux exposes it in ``/proc/self/status``; elsewhere it is read by setting
    and restoring it (not thread-safe, but only on those systems).
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """Mode of a new file created by ``open(path, "w")``: ``0o666 & ~umask``."""
    return 0o666 & ~current_umask()


def _new_temp(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, default_file_mode())
    return fd, tmp


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, then rename."""
    fd, tmp = _new_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path in the same folder; rename it onto ``path`` on success."""
    fd, tmp = _new_temp(path)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def free_sibling(path: Path) -> Path:
    """``path-2``, ``path-3``... : the first name beside ``path`` that does not exist."""
    k = 2
    while (candidate := path.with_name(f"{path.name}-{k}")).exists():
        k += 1
    return candidate
