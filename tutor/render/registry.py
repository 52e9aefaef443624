"""One registry from (kind of result, format) to a renderer.

Every result that a command prints has a ``kind`` (``solution``, ``comparison``, ``exercises`` …).
Block formats (rich, markdown, latex, plain text) print the :class:`~tutor.render.blocks.Document`
that :data:`~tutor.render.documents.BUILDERS` makes of a result; ``json`` has its own function
per kind. A format that cannot show a kind is refused before any computation
(:func:`check_format`), naming the formats that can.

Adding a format is one :class:`Format` line here and one module with ``render(document, options)``
(block formats) or one function per kind (data formats). Adding a command is one builder line in
:data:`~tutor.render.documents.BUILDERS` (and a JSON function).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tutor.errors import TutorError
from tutor.render.documents import BUILDERS
from tutor.render.options import RenderOptions


@dataclass(frozen=True)
class Format:
    """An output format.

    Attributes:
        name: what ``--format`` takes.
        module: the renderer module (imported when used).
        description: one line for ``--help``.
        blocks: True when the module prints documents; False when it has one function per kind
            (``json``), named after the kind with ``-`` written ``_``.
        kinds: for a data format, the kinds it has functions for.
    """

    name: str
    module: str
    description: str
    blocks: bool = True
    kinds: frozenset[str] = frozenset()


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rich", "tutor.render.rich_format", "tables for the terminal (the default)"),
        Format(
            "json",
            "tutor.render.json_format",
            "one JSON object, every number at full precision",
            blocks=False,
            kinds=frozenset(BUILDERS),
        ),
        Format("markdown", "tutor.render.markdown_format", "CommonMark with $…$ math"),
        Format("latex", "tutor.render.latex_format", "LaTeX (--standalone: a whole document)"),
        Format(
            "gradescope",
            "tutor.render.gradescope_format",
            "Gradescope's results.json (tutor grade)",
            blocks=False,
            kinds=frozenset({"grade-report"}),
        ),
    )
}


def formats_for(kind: str) -> list[str]:
    """The formats that can show results of ``kind``."""
    return [f.name for f in FORMATS.values() if (kind in BUILDERS if f.blocks else kind in f.kinds)]


def check_format(kind: str, name: str) -> Format:
    """The format ``name`` if it can show ``kind``; else a TutorError naming those that can."""
    fmt = FORMATS.get(name)
    able = formats_for(kind)
    if fmt is None or name not in able:
        what = kind.replace("-", " ")
        raise TutorError(f"format {name!r} cannot show {what} results (use {', '.join(able)})")
    return fmt


def _load(target: str) -> Any:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def document(result: Any, options: RenderOptions) -> Any:
    """The :class:`~tutor.render.blocks.Document` of a result."""
    return _load(BUILDERS[result.kind])(result, options)


def render(result: Any, name: str, options: RenderOptions | None = None) -> Any:
    """Render ``result`` in format ``name``.

    Returns a Rich renderable (``rich``), or an iterator of text chunks (every other format; long
    JSON runs are streamed chunk by chunk, never held whole).
    """
    options = options or RenderOptions()
    fmt = check_format(result.kind, name)
    module = importlib.import_module(fmt.module)
    if fmt.blocks:
        output = module.render(document(result, options), options)
    else:
        output = getattr(module, result.kind.replace("-", "_"))(result, options)
    return iter((output,)) if isinstance(output, str) else output


def render_text(
    result: Any, name: str, options: RenderOptions | None = None, width: int = 100
) -> str:
    """The whole rendering as one string (Rich without colour, at ``width`` columns)."""
    output = render(result, name, options)
    if isinstance(output, Iterator):
        return "".join(output)
    from io import StringIO

    from rich.console import Console

    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None, highlight=False, soft_wrap=False).print(
        output
    )
    return buffer.getvalue()
