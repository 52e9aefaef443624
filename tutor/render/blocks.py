"""A small document model that every text format prints in its own syntax.

Results (a solution, a comparison, an exercise) are turned into :data:`Block` lists by the
builders in :mod:`tutor.render.documents`; each format (:mod:`~tutor.render.rich_format`,
:mod:`~tutor.render.markdown_format`, :mod:`~tutor.render.latex_format`,
:mod:`~tutor.render.plain_format`) prints blocks. Inline content is typed: plain words, math
(with a Unicode and a LaTeX form), numbers (formatted by the format, at the requested precision),
code (commands and flags) and emphasis. So no format ever converts another format's text: a
sentence about "η = 0.05" is ``[Text("with "), Math("η", r"\\eta"), Text(" = "), Number(0.05)]``
and each format writes it its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# --- Inline pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Words, printed as they are (escaped as each format needs)."""

    text: str
    style: Literal["", "bold", "good", "bad", "dim", "highlight"] = ""


@dataclass(frozen=True)
class Math:
    """A formula or symbol: ``plain`` is Unicode for terminals, ``tex`` is LaTeX math.

    ``styled`` optionally splits ``plain`` into styled runs (the characters in which a formula
    differs from another, highlighted); formats without styles print ``tex``.
    """

    plain: str
    tex: str
    styled: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Number:
    """A value (a float, an array or a flag), formatted by the format at its precision.

    ``layout`` (names and shapes) lets a flat vector print as named matrices.
    """

    value: Any
    layout: Any = None
    full: bool = False  # every digit (to tell two close numbers apart)


@dataclass(frozen=True)
class Code:
    """A command, an option or an expression as typed (``--lr``, ``3*x**2``)."""

    text: str


Inline = Text | Math | Number | Code
Inlines = tuple[Inline, ...]


def inlines(*parts: Inline | str) -> Inlines:
    """Build a run of inline pieces; plain strings become :class:`Text`."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def join(items: Iterable[Inlines], separator: Inline | str = ", ") -> Inlines:
    out: list[Inline] = []
    for i, item in enumerate(items):
        if i:
            out.append(Text(separator) if isinstance(separator, str) else separator)
        out.extend(item)
    return tuple(out)


# --- Blocks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    content: Inlines


@dataclass(frozen=True)
class Paragraph:
    content: Inlines
    style: Literal["", "good", "bad", "note"] = ""


@dataclass(frozen=True)
class Fields:
    """``label: value`` lines (a header: loss, start, hyper-parameters)."""

    items: tuple[tuple[str, Inlines], ...]


@dataclass(frozen=True)
class Column:
    header: Inlines
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Table:
    title: Inlines
    columns: tuple[Column, ...]
    rows: tuple[tuple[Inlines, ...], ...]
    caption: Inlines = ()  # a line under the table (e.g. "and 480 more steps")


@dataclass(frozen=True)
class Bullets:
    items: tuple[Inlines, ...]


@dataclass(frozen=True)
class Preformatted:
    """Text whose layout matters (a terminal plot); formats keep it verbatim."""

    text: str


Block = Heading | Paragraph | Fields | Table | Bullets | Preformatted


@dataclass(frozen=True)
class Document:
    """What a text format prints: a title and blocks."""

    title: str
    blocks: tuple[Block, ...] = field(default=())


def table(
    title: Inlines,
    headers: Sequence[str | tuple[str, str]],
    rows: Iterable[Sequence[Inlines]],
    caption: Inlines = (),
) -> Table:
    """A :class:`Table` with plain-text headers; ``(name, "right")`` right-aligns a column."""
    columns = tuple(
        Column(inlines(h), "left") if isinstance(h, str) else Column(inlines(h[0]), h[1])  # type: ignore[arg-type]
        for h in headers
    )
    return Table(title, columns, tuple(tuple(r) for r in rows), caption)
