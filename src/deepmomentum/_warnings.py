"""Warnings that point at the user's code, not at the line inside deepmomentum that raised them.

Python 3.11's :func:`warnings.warn` has no ``skip_file_prefixes``, so the
stacklevel is found by walking the stack (as pandas' ``find_stack_level``
does). Every data warning goes through :func:`warn`.
"""

from __future__ import annotations

import inspect
import os
import warnings

__all__ = ["find_stack_level", "warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def find_stack_level() -> int:
    """The ``stacklevel`` of the first frame outside the deepmomentum package.

    Returns
    -------
    int
        For :func:`warnings.warn` called by the function that calls this one.
    """
    frame = inspect.currentframe()
    level = 0
    try:
        while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
            frame = frame.f_back
            level += 1
    finally:
        del frame  # no reference cycle through the frame objects
    return level


def warn(message: str, category: type[Warning]) -> None:
    """Issue ``message`` as a ``category`` warning attributed to the caller's own code.

    Parameters
    ----------
    message : str
        What happened and what to do about it.
    category : type of Warning
        E.g. :class:`~deepmomentum.exceptions.DataWarning` or a subclass.
    """
    # find_stack_level counts its own frame, which offsets warn()'s frame at stacklevel 1
    warnings.warn(message, category, stacklevel=find_stack_level())
