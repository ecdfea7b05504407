"""Generate ``docs/configuration.md`` from the pydantic models of :mod:`deepmomentum.config`.

The reference walks :class:`~deepmomentum.config.RunConfig` recursively through
``model_fields``: every field gets its TOML path, type, default, constraints
and description, and every nested model its own table (``[data]``,
``[training.search]``, ``[[models]]``...). Nothing is hand-written per field,
so a field added to ``config.py`` appears after regenerating::

    python -m deepmomentum._config_reference > docs/configuration.md

``tests/test_docs.py`` fails when the committed page differs from this output.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import json
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from deepmomentum.config import RunConfig

__all__ = ["FieldDoc", "Section", "config_reference_markdown", "iter_sections"]

REGENERATE = "python -m deepmomentum._config_reference > docs/configuration.md"

_INTRO = """\
A run is configured by one TOML file, validated by the pydantic models in
`src/deepmomentum/config.py` (`RunConfig` and the models nested in it). Pass it
with `deepmomentum backtest --config FILE` (which uses `[data]`, `[backtest]`
and `features.vol_span`) or `deepmomentum run --config FILE`;
the presets in `src/deepmomentum/presets/*.toml` are files of the same form
(`deepmomentum presets` lists them). A missing key takes the default below
(keys marked *required* must be given), and the resolved configuration,
defaults filled in, is written to `config.toml` in the run folder.

- Unknown keys are rejected (`extra = "forbid"`), so a typo is an error, not a
  silent default; so is a value that breaks a constraint.
- Relative `data_dir`, `macro_dir` and `sentiment_dir` paths are resolved
  against the folder of the configuration file.
- Command-line options (`--data-dir`, `--start`, `--cost-bps`, `--seed`,
  `--jobs`...) override the file.
- TOML has no null: an *unset* default means "leave the key out".
- A `[[models]]` entry is one element of the `models` list; a table under it
  (`[models.search]`) belongs to the entry above it.

Pipelines and their tables. `[pipeline]` names one implementation per stage
(signal, portfolio, rebalance); without it the run is the managed-futures system
(`trend_model` / `constrained` / `hybrid`) when any of `[trend_model]`,
`[overlays]`, `[portfolio]`, `[rebalance]` is given, else the Deep Momentum
Network (`dmn` / `vol_scaling` / `daily`). Each stage reads its own table:

- `[[models]]`: read when `pipeline.signal = "dmn"`, or `"trend_model"` with
  `overlays.core_signal = "dmn"`; the DMN walk-forward.
- `[trend_model]`: read when `pipeline.signal = "trend_model"` with
  `overlays.core_signal = "model"`; builds `TrendParams` (`TrendModelConfig.params()`).
- `[overlays]`: read when `pipeline.signal = "trend_model"`, or (its regime keys)
  `pipeline.rebalance = "hybrid"`; the regime, sentiment and timeframe overlays.
- `[portfolio]`: read when `pipeline.portfolio = "constrained"`; builds
  `PortfolioConstraints` (`PortfolioConfig.constraints()`), plus the book's tilt,
  trend alignment, covariance and benchmark blend.
- `[rebalance]`: read when `pipeline.rebalance = "hybrid"`; builds
  `RebalanceRules` (`RebalanceConfig.rules()`).

```toml
# the managed-futures system: pipeline inferred as trend_model / constrained / hybrid
[trend_model]
max_epochs = 20

[overlays]
sentiment_overlay = false

[portfolio]
vol_target = 0.10

[rebalance]
min_days_between = 21
```

- A table the pipeline would not read is an error naming it, not a silent
  default; a table it reads but the file leaves out takes the defaults below.
- The DMN-only `[training]` keys (`seq_len`, `max_epochs`, `patience`,
  `n_trials`, `sampler`, `seeds_per_trial`, `ensemble_top_k`, `search`) are an
  error at a non-default value when no stage trains a DMN: the trend model's
  are `trend_model.max_epochs`, `trend_model.patience`... Its windows,
  `device`, `precision` and `jobs` come from `[training]`.
- The old flat `[managed_futures]` table (presets and run folders written
  before these tables) still loads, with a `ConfigWarning`: each key goes to
  its table above under the same name, nothing is refused, and the
  configuration is written back in that layout, so `--resume` of an old run
  folder sees the settings it recorded.

Units: returns, vols, weights and costs of the backtest are decimals unless the
key says `bps` (basis points, 1 bp = 0.0001); spans, horizons and lookbacks are
trading days unless the description says otherwise.

```toml
seed = 42

[data]
data_dir = "../shared/data/etf"   # relative to this file's folder
start = 2008-01-01

[backtest]
cost_bps = [0, 2, 10]

[training]
first_test_year = 2011
n_trials = 8

[[models]]
name = "lstm"
model = "lstm"
loss = "sharpe"

[[models]]
name = "lstm_cost10"
cost_bps = 10
```
"""

_CONSTRAINTS = (
    ("gt", ">"),
    ("ge", ">="),
    ("lt", "<"),
    ("le", "<="),
    ("multiple_of", "multiple of"),
    ("min_length", "min length"),
    ("max_length", "max length"),
    ("pattern", "pattern"),
)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class FieldDoc:
    """One documented field.

    Attributes
    ----------
    path : str
        Dotted TOML path; ``[]`` marks an array-of-tables element
        (``models[].search.lr``).
    type : str
        Readable type.
    default : str
        TOML text of the default, ``*required*``, ``*unset*`` or a pointer
        to the nested table.
    constraints : str
        Bounds and patterns enforced on validation, or ``""``.
    description : str
        The field's description, or ``""``.
    """

    path: str
    type: str
    default: str
    constraints: str
    description: str


@dataclass(frozen=True)
class Section:
    """One TOML table of the configuration.

    Attributes
    ----------
    header : str
        How the table is written in TOML: ``""`` for the top level, else
        ``[data]``, ``[[models]]``, ``[models.search]``...
    path : str
        Dotted path of the table (``""`` at the top level).
    model : type of BaseModel
    optional : bool
        The table may be absent (its field is optional and unset by default).
    fields : list of FieldDoc
    """

    header: str
    path: str
    model: type[BaseModel]
    optional: bool
    fields: list[FieldDoc]


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    """(annotation without ``None``, whether ``None`` was allowed)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return Union[tuple(args)], optional  # noqa: UP007 (rebuilding a union from a tuple)
    return annotation, False


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool, bool]:
    """(nested model, is a list of it, optional) for a field annotation."""
    inner, optional = _strip_none(annotation)
    if inspect.isclass(inner) and issubclass(inner, BaseModel):
        return inner, False, optional
    if get_origin(inner) in (list, tuple):
        args = [a for a in get_args(inner) if a is not Ellipsis]
        if len(args) == 1 and inspect.isclass(args[0]) and issubclass(args[0], BaseModel):
            return args[0], True, optional
    return None, False, optional


def _type_name(annotation: Any) -> str:
    """Readable name of a type annotation (TOML vocabulary)."""
    inner, optional = _strip_none(annotation)
    suffix = " or unset" if optional else ""
    origin = get_origin(inner)
    if origin is Literal:
        return "one of " + ", ".join(_toml(v) for v in get_args(inner)) + suffix
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(inner)) + suffix
    if origin in (list, set, frozenset):
        args = get_args(inner)
        return f"list of {_type_name(args[0]) if args else 'values'}" + suffix
    if origin is tuple:
        args = get_args(inner)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}" + suffix
        return "[" + ", ".join(_type_name(a) for a in args) + "]" + suffix
    if origin is dict:
        args = get_args(inner)
        value = _type_name(args[1]) if len(args) == 2 else "value"
        return f"table of {value}" + suffix
    if inspect.isclass(inner):
        if issubclass(inner, BaseModel):
            return "table" + suffix
        if issubclass(inner, enum.Enum):
            return "one of " + ", ".join(_toml(m.value) for m in inner) + suffix
        names = {
            bool: "bool",
            int: "int",
            float: "float",
            str: "string",
            dt.date: "date",
            dt.datetime: "datetime",
        }
        for cls, name in names.items():
            if inner is cls:
                return name + suffix
        if issubclass(inner, PurePath):
            return "path" + suffix
        return inner.__name__ + suffix
    if inner is Any:
        return "any" + suffix
    return str(inner).replace("typing.", "") + suffix


def _toml(value: Any) -> str:
    """A value as TOML text (inline forms only)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _toml(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, PurePath):
        return json.dumps(str(value))
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _toml(value.model_dump(mode="python", exclude_none=True))
    if isinstance(value, dict):
        items = [
            f"{k if _BARE_KEY.match(str(k)) else json.dumps(str(k))} = {_toml(v)}"
            for k, v in value.items()
            if v is not None
        ]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


def _default(field: FieldInfo) -> Any:
    """The default value (``PydanticUndefined`` when the field is required)."""
    if field.default_factory is not None:
        try:
            return field.default_factory()  # type: ignore[call-arg]
        except TypeError:  # a factory that takes the validated data
            return PydanticUndefined
    return field.default


def _default_text(field: FieldInfo, nested: type[BaseModel] | None, is_list: bool, header: str) -> str:
    value = _default(field)
    if value is PydanticUndefined:
        return "*required*" if field.is_required() else "*computed*"
    if value is None:
        return "*unset*"
    if nested is not None and not is_list:
        return f"table `{header}`"
    if nested is not None and is_list and not value:
        return "`[]` (none)"
    return f"`{_toml(value)}`"


def _constraints(field: FieldInfo) -> str:
    parts: list[str] = []
    for meta in field.metadata:
        for attr, label in _CONSTRAINTS:
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"`{label} {value}`" if attr != "pattern" else f"pattern `{value}`")
    return ", ".join(parts)


def _first_paragraph(model: type[BaseModel] | None) -> str:
    doc = model.__doc__ if model is not None else None
    if not doc:
        return ""
    text = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(text.split()).replace("``", "`")


def iter_sections(model: type[BaseModel] = RunConfig) -> Iterator[Section]:
    """Every table of ``model``, depth first in field order, the top level first.

    Parameters
    ----------
    model : type of BaseModel, default RunConfig
        The root model.

    Yields
    ------
    Section
    """
    yield from _walk(model, path="", header="", list_prefix="", optional=False, stack=())


def _walk(
    model: type[BaseModel],
    path: str,
    header: str,
    list_prefix: str,
    optional: bool,
    stack: tuple[type[BaseModel], ...],
) -> Iterator[Section]:
    if model in stack:  # a recursive model: document it once
        return
    fields: list[FieldDoc] = []
    children: list[tuple[type[BaseModel], str, str, str, bool]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        nested, is_list, field_optional = _model_of(field.annotation)
        child_path = f"{path}.{key}" if path else key
        toml_path = f"{list_prefix}{key}"
        doc_path = f"{child_path}[]" if is_list else child_path
        child_header = f"[[{toml_path}]]" if is_list else f"[{toml_path}]"
        if nested is None:
            type_text = _type_name(field.annotation)
        else:
            kind = "list of tables" if is_list else "table"
            type_text = f"{kind}{' or unset' if field_optional else ''} `{child_header}`"
        fields.append(
            FieldDoc(
                path=child_path,
                type=type_text,
                default=_default_text(field, nested, is_list, child_header),
                constraints=_constraints(field),
                description=" ".join((field.description or _first_paragraph(nested)).split()),
            )
        )
        if nested is not None:
            children.append((nested, doc_path, child_header, f"{toml_path}.", field_optional))
    yield Section(header=header, path=path, model=model, optional=optional, fields=fields)
    for nested, doc_path, child_header, prefix, field_optional in children:
        yield from _walk(nested, doc_path, child_header, prefix, field_optional, (*stack, model))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_reference_markdown() -> str:
    """The configuration reference as Markdown (the text of ``docs/configuration.md``).

    Returns
    -------
    str
        Deterministic text ending in one newline: an introduction, then one
        table per TOML table of :class:`~deepmomentum.config.RunConfig`.
    """
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from src/deepmomentum/config.py by src/deepmomentum/_config_reference.py;",
        f"     do not edit by hand. Regenerate with: {REGENERATE} -->",
        "",
        _INTRO,
    ]
    sections = list(iter_sections())
    out += ["## Tables", ""]
    for s in sections:
        title = s.header or "top level"
        out.append(f"- [`{title}`](#{_anchor(s)}): `{s.model.__name__}`")
    out.append("")
    for s in sections:
        title = f"`{s.header}`" if s.header else "Top level"
        out += [f'<a id="{_anchor(s)}"></a>', "", f"## {title} ({s.model.__name__})", ""]
        intro = _first_paragraph(s.model)
        if s.optional:
            intro += " Optional: the table is absent unless given." if intro else "Optional."
        if intro:
            out += [intro.strip(), ""]
        out += ["| key | type | default | constraints | description |", "|---|---|---|---|---|"]
        for f in s.fields:
            row = (f"`{f.path}`", f.type, f.default, f.constraints, f.description)
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _anchor(section: Section) -> str:
    if not section.path:
        return "top-level"
    return re.sub(r"[^a-z0-9]+", "-", section.path.lower()).strip("-")


if __name__ == "__main__":
    print(config_reference_markdown(), end="")
