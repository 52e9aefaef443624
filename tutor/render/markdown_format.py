"""Markdown (CommonMark with GitHub's tables): math in ``$…$``, expressions in code spans.

Everything that is not math or code is escaped, so ``3*x**2`` can never turn into italics, and
math never contains a bare ``|`` (which would split a table cell).
"""

from __future__ import annotations

import re

import numpy as np

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
from tutor.render.numbers import tex_value, value_text
from tutor.render.options import RenderOptions

_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~&])")
_BLOCK_START = re.compile(r"^(\s*)(\d*)([#+\-=>.)])")


def escape(text: str) -> str:
    """Backslash every character CommonMark could read as inline markup."""
    return _SPECIAL.sub(r"\\\1", text)


def _paragraph(text: str) -> str:
    """A paragraph's text, with a leading ``#``, ``-``, ``+`` or ``1.`` kept from starting a
    heading or a list."""
    match = _BLOCK_START.match(text)
    if match is None or (match.group(2) and match.group(3) not in ".)"):
        return text
    if not match.group(2) and match.group(3) in ".)":
        return text
    start = match.end(2)
    return text[:start] + "\\" + text[start:]


def math(tex: str) -> str:
    tex = tex.replace("|", r"\vert ").strip()
    return f"${tex}$"


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', '¦')}{pad}{fence}"


def inline(content: Inlines, options: RenderOptions) -> str:
    out = []
    for piece in content:
        if isinstance(piece, Text):
            text = escape(piece.text)
            out.append(f"**{text}**" if piece.style in ("bold", "bad") and text.strip() else text)
        elif isinstance(piece, Math):
            out.append(math(piece.tex) if piece.tex else "")
        elif isinstance(piece, Number):
            digits = 17 if piece.full else options.precision
            if np.size(piece.value) == 1 or isinstance(piece.value, (bool, str, type(None))):
                out.append(escape(value_text(piece.value, digits)))
            else:
                out.append(math(tex_value(piece.value, digits, piece.layout)))
        elif isinstance(piece, Code):
            out.append(code(piece.text))
    return "".join(out)


def _table(item: Table, options: RenderOptions) -> list[str]:
    lines = []
    if item.title:
        lines += [f"**{inline(item.title, options)}**", ""]
    lines.append("| " + " | ".join(inline(c.header, options) for c in item.columns) + " |")
    lines.append(
        "|" + "|".join("---:" if c.align == "right" else "---" for c in item.columns) + "|"
    )
    for row in item.rows:
        lines.append("| " + " | ".join(inline(cell, options) or " " for cell in row) + " |")
    if item.caption:
        lines += ["", inline(item.caption, options)]
    return lines


def block(item: Block, options: RenderOptions) -> list[str]:
    if isinstance(item, Heading):
        return ["#" * item.level + " " + inline(item.content, options)]
    if isinstance(item, Paragraph):
        return [_paragraph(inline(item.content, options))]
    if isinstance(item, Fields):
        return [f"- **{escape(label)}:** {inline(value, options)}" for label, value in item.items]
    if isinstance(item, Table):
        return _table(item, options)
    if isinstance(item, Bullets):
        return [f"- {inline(entry, options)}" for entry in item.items]
    if isinstance(item, Preformatted):
        return ["```text", *item.text.splitlines(), "```"]
    raise TypeError(type(item).__name__)


def render(document: Document, options: RenderOptions) -> str:
    lines: list[str] = []
    for item in document.blocks:
        if lines:
            lines.append("")
        lines.extend(block(item, options))
    return "\n".join(lines) + "\n"
