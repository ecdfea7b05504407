"""Exceptions and warnings of deepmomentum.

Every error raised for bad user input derives from :class:`DeepMomentumError`,
carries a message that names the file, column or date at fault and says what
to do, and maps to exit code 2 in the command line.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DataWarning",
    "DeepMomentumError",
    "QualityWarning",
    "ShortHistoryWarning",
]


class DeepMomentumError(Exception):
    """Base class of the package's own errors (bad input, bad configuration)."""

    exit_code: int = 2


class DataError(DeepMomentumError, ValueError):
    """Input data is missing, malformed or inconsistent.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.
    path : str, optional
        The file or folder at fault; prefixed to the message.
    """

    def __init__(self, message: str, path: object | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class ConfigError(DeepMomentumError, ValueError):
    """A configuration file or option is invalid."""


class DataWarning(UserWarning):
    """Input data has a problem that was worked around (named in the message)."""


class ShortHistoryWarning(DataWarning):
    """An instrument's history is too short for the longest lookback and is excluded."""


class QualityWarning(DataWarning):
    """The quality checks changed or kept suspect prices (e.g. dropped bad prints); the message lists them."""
