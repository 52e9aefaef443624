"""Rich: documents as terminal tables and styled text."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text as RichText

from tutor.render.blocks import (
    Block,
    Bullets,
    Code,
    Document,
    Fields,
    Heading,
    Inlines,
    Math,
    Number,
    Paragraph,
    Preformatted,
    Table,
    Text,
)
from tutor.render.numbers import value_text
from tutor.render.options import RenderOptions

STYLES = {
    "": "",
    "bold": "bold",
    "good": "green",
    "bad": "red",
    "dim": "dim",
    "highlight": "bold yellow",
    "note": "yellow",
}


def inline(content: Inlines, options: RenderOptions, base: str = "") -> RichText:
    text = RichText(style=base)
    for piece in content:
        if isinstance(piece, Text):
            text.append(piece.text, style=STYLES[piece.style] or None)
        elif isinstance(piece, Math):
            if piece.styled:
                for run, style in piece.styled:
                    text.append(run, style=STYLES[style] or None)
            else:
                text.append(piece.plain)
        elif isinstance(piece, Number):
            digits = 17 if piece.full else options.precision
            text.append(value_text(piece.value, digits, piece.layout))
        elif isinstance(piece, Code):
            text.append(piece.text, style="cyan")
    return text


def _table(block: Table, options: RenderOptions) -> RenderableType:
    table = RichTable(title=inline(block.title, options), title_justify="left")
    for i, column in enumerate(block.columns):
        table.add_column(
            inline(column.header, options),
            justify=column.align,
            style="bold cyan" if i == 0 else None,
            no_wrap=i == 0,
            overflow="fold",  # a long number wraps; it is never cut short with "…"
        )
    for row in block.rows:
        table.add_row(*(inline(cell, options) for cell in row))
    if not block.caption:
        return table
    return Group(table, inline(block.caption, options, "dim"))


def block(item: Block, options: RenderOptions) -> RenderableType:
    if isinstance(item, Heading):
        return inline(item.content, options, "bold" if item.level == 1 else "bold underline")
    if isinstance(item, Paragraph):
        return inline(item.content, options, STYLES[item.style])
    if isinstance(item, Fields):
        text = RichText()
        for i, (label, value) in enumerate(item.items):
            if i:
                text.append("\n")
            text.append(f"{label}: ", style="bold").append_text(inline(value, options))
        return text
    if isinstance(item, Table):
        return _table(item, options)
    if isinstance(item, Bullets):
        text = RichText()
        for i, entry in enumerate(item.items):
            text.append(("\n" if i else "") + "• ").append_text(inline(entry, options))
        return text
    if isinstance(item, Preformatted):
        return RichText(item.text)
    raise TypeError(type(item).__name__)


def render(document: Document, options: RenderOptions) -> RenderableType:
    parts: list[RenderableType] = []
    for i, item in enumerate(document.blocks):
        if i:
            parts.append(RichText())
        parts.append(block(item, options))
    return Group(*parts)
