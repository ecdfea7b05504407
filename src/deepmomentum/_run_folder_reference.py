"""The generated file table of ``docs/run-folder.md``.

The table sits between two HTML-comment markers; the prose around it is
written by hand. ``python -m deepmomentum._run_folder_reference`` prints the
table; with ``--write PAGE`` it rewrites the marked block of ``PAGE``. (This
module, not :mod:`deepmomentum.run._layout`, is the entry point, because
``deepmomentum.run`` imports ``_layout`` and ``python -m`` would run it twice.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from deepmomentum.run._layout import render_markdown_table

__all__ = ["REGENERATE", "TABLE_END", "TABLE_START", "docs_block", "replace_docs_block"]

#: Command that rewrites the generated table of ``docs/run-folder.md``.
REGENERATE = "python -m deepmomentum._run_folder_reference --write docs/run-folder.md"
TABLE_START = "<!-- run-folder-table:start -->"
TABLE_END = "<!-- run-folder-table:end -->"


def docs_block() -> str:
    """The marked block of ``docs/run-folder.md``, markers included."""
    note = f"<!-- generated from deepmomentum.run._layout.RUN_FILES; do not edit by hand: {REGENERATE} -->"
    return f"{TABLE_START}\n{note}\n\n{render_markdown_table()}\n{TABLE_END}"


def replace_docs_block(text: str) -> str:
    """``text`` with its marked block replaced by :func:`docs_block`.

    Raises
    ------
    ValueError
        ``text`` has no start marker followed by an end marker.
    """
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"no {TABLE_START} ... {TABLE_END} block to replace")
    return text[:start] + docs_block() + text[end + len(TABLE_END) :]


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--write":
        page = Path(argv[1])
        page.write_text(replace_docs_block(page.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if argv:
        print(f"usage: {REGENERATE}  (no argument: print the table)", file=sys.stderr)
        return 2
    sys.stdout.write(render_markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
