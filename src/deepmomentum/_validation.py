"""One readable line per pydantic validation error: the key (or CLI option), the rule, the value.

pydantic's own text ("1 validation error for RunConfig ... Input should be greater
than 0 [type=greater_than, input_value=-5.0, input_type=float] For further
information visit https://errors.pydantic.dev/...") is written for developers.
A user needs the option or TOML key at fault, what is allowed, and what they gave;
for an unknown key, the nearest known one.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

__all__ = ["allowed_range", "format_validation_error"]

_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def allowed_range(field: FieldInfo) -> str | None:
    """The numeric bounds of a field as text (``"> 0 and <= 2"``), or None without bounds."""
    parts = []
    for meta in field.metadata:
        for attr, op in _BOUNDS:
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(f"{op} {bound:g}" if isinstance(bound, int | float) else f"{op} {bound}")
    return " and ".join(parts) or None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _walk(root: type[BaseModel], loc: Sequence[Any]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that holds the last key of ``loc``, and that key's field (None if unknown)."""
    model: type[BaseModel] | None = root
    field: FieldInfo | None = None
    keys = [k for k in loc if isinstance(k, str)]
    for i, key in enumerate(keys):
        if model is None:
            return None, None
        field = model.model_fields.get(key)
        if i == len(keys) - 1:
            return model, field
        model = None if field is None else _model_of(field.annotation)
    return model, field


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one(err: Mapping[str, Any], root: type[BaseModel], names: Mapping[str, str]) -> str:
    loc = tuple(err["loc"])
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    label = names.get(dotted) or names.get(".".join(str(p) for p in loc if isinstance(p, str))) or dotted
    holder, field = _walk(root, loc)
    if err["type"] == "extra_forbidden":
        known = sorted(holder.model_fields) if holder is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        return f"{label}: unknown key; {hint}"
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    rng = allowed_range(field) if field is not None else None
    if rng and err["type"] in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        msg = f"must be {rng}"
    elif rng:
        msg = f"{msg} (allowed: {rng})"
    given = f" (got {_shown(err['input'])})" if "input" in err and err["type"] != "missing" else ""
    return f"{label}: {msg}{given}"


def format_validation_error(
    exc: ValidationError, root: type[BaseModel], names: Mapping[str, str] | None = None
) -> str:
    """One line per error, joined with ``"; "``.

    Parameters
    ----------
    exc : ValidationError
        Raised by validating ``root`` (or one of its nested models, whose
        ``loc`` is then relative to that model).
    root : type of BaseModel
        The model whose fields the error locations start from.
    names : mapping of str to str, optional
        Dotted key -> what the user typed (a CLI option such as ``--cost-bps``).

    Returns
    -------
    str
        E.g. ``"--vol-target: must be > 0 and <= 2 (got -0.1)"`` or
        ``"data.qualty: unknown key; did you mean 'quality'?"``.
    """
    names = names or {}
    return "; ".join(_one(err, root, names) for err in exc.errors())
