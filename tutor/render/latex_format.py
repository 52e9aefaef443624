"""LaTeX: a fragment for a problem sheet, or with ``--standalone`` a complete document.

Words are escaped and the few Unicode signs narration uses become LaTeX commands; math is the
formula's own LaTeX form, never converted from its Unicode one.
"""

from __future__ import annotations

import re
import unicodedata

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
from tutor.render.numbers import tex_value
from tutor.render.options import RenderOptions

PACKAGES = ("amsmath", "amssymb", "booktabs", "longtable")

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "✓": r"\checkmark{}",
    "…": r"\ldots{}",
    "—": "---",
    "–": "--",
    "−": "-",
    "’": "'",
    "‘": "`",
    "“": "``",
    "”": "''",
    "·": r"$\cdot$",
    "\u00a0": "~",
}
_MATH = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "η": r"\eta",
    "θ": r"\theta",
    "κ": r"\kappa",
    "λ": r"\lambda",
    "μ": r"\mu",
    "ν": r"\nu",
    "ρ": r"\rho",
    "σ": r"\sigma",
    "τ": r"\tau",
    "φ": r"\phi",
    "ψ": r"\psi",
    "ω": r"\omega",
    "Δ": r"\Delta",
    "Π": r"\Pi",
    "Σ": r"\Sigma",
    "∇": r"\nabla",
    "∂": r"\partial",
    "√": r"\surd",
    "∞": r"\infty",
    "→": r"\to",
    "←": r"\leftarrow",
    "≤": r"\leq",
    "≥": r"\geq",
    "≈": r"\approx",
    "≠": r"\neq",
    "×": r"\times",
    "✗": r"\times",
    "⊗": r"\otimes",
    "⊙": r"\odot",
    "‖": r"\|",
    "∑": r"\sum",
    "∈": r"\in",
    "ᵀ": r"^\top",
    "ℝ": r"\mathbb{R}",
    "⁻": "^{-}",
    "ᵗ": "^{t}",
    "ₜ": "_{t}",
    "⁺": "^{+}",
    "₊": "_{+}",
    "₋": "_{-}",
    "±": r"\pm",
    "½": r"\tfrac{1}{2}",
    "Φ": r"\Phi",
    "Γ": r"\Gamma",
    "Θ": r"\Theta",
    "Λ": r"\Lambda",
    "Ψ": r"\Psi",
    "Ω": r"\Omega",
    "ℓ": r"\ell",
    "π": r"\pi",
    "ₖ": "_{k}",
    "ᵢ": "_{i}",
    "ⱼ": "_{j}",
    "ᵏ": "^{k}",
    "′": r"^{\prime}",
    "″": r"^{\prime\prime}",
    "⌊": r"\lfloor",
    "⌋": r"\rfloor",
}
_MATH.update({c: f"_{{{d}}}" for c, d in zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True)})
_MATH.update({c: f"^{{{d}}}" for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True)})
UNMAPPED = r"\fbox{?}"  # a character with no LaTeX form here (tests check none is printed)
_ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar"}
# Accents of names in prose (Léon, Hüsken): text-mode accents on a Latin letter.
_TEXT_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0308": '"', "\u0327": "c"}


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """Each character of ``text`` (with its accent) and its text-mode LaTeX, or None where
    there is no mapping."""
    out: list[tuple[str, str | None]] = []
    text = unicodedata.normalize("NFD", text)  # ḡ is g and a combining macron
    text = text.replace("=\u0338", "≠")  # NFD splits ≠ into = and a combining slash
    i = 0
    while i < len(text):
        char = text[i]
        following = text[i + 1] if i + 1 < len(text) else ""
        if following in _TEXT_ACCENTS and char.isascii() and char.isalpha():
            out.append((text[i : i + 2], rf"\{_TEXT_ACCENTS[following]}{{{char}}}"))
            i += 2
            continue
        accent = _ACCENTS.get(following)
        if accent is not None:
            base = _MATH.get(char, char if char.isascii() and char.isalpha() else None)
            out.append((text[i : i + 2], None if base is None else rf"$\{accent}{{{base}}}$"))
            i += 2
            continue
        if char in _ESCAPES:
            out.append((char, _ESCAPES[char]))
        elif char in _MATH:
            out.append((char, f"${_MATH[char]}$"))
        elif char.isascii():
            out.append((char, char))
        else:
            out.append((char, None))
        i += 1
    return out


def unmapped(text: str) -> set[str]:
    """The characters of ``text`` that :func:`escape` cannot write in LaTeX."""
    return {source for source, piece in _pieces(text) if piece is None}


_SCRIPTS = re.compile(r"([_^])\{([^{}]*)\}\1\{([^{}]*)\}")


def escape(text: str) -> str:
    """Text-mode LaTeX for ``text``: specials escaped, Greek letters and math signs as math
    (adjacent sub- or superscript characters as one script: ``θₜ₋₁`` is ``\\theta_{t-1}``)."""
    out = "".join(UNMAPPED if piece is None else piece for _, piece in _pieces(text))
    out = out.replace("$$", "")
    previous = None
    while previous != out:
        previous, out = out, _SCRIPTS.sub(r"\1{\2\3}", out)
    return out


def inline(content: Inlines, options: RenderOptions) -> str:
    out = []
    for piece in content:
        if isinstance(piece, Text):
            text = escape(piece.text)
            out.append(rf"\textbf{{{text}}}" if piece.style in ("bold", "bad") and text else text)
        elif isinstance(piece, Math):
            out.append(f"${piece.tex}$" if piece.tex else "")
        elif isinstance(piece, Number):
            digits = 17 if piece.full else options.precision
            out.append(f"${tex_value(piece.value, digits, piece.layout)}$")
        elif isinstance(piece, Code):
            out.append(rf"\texttt{{{escape(piece.text)}}}")
    return "".join(out)


def _table(item: Table, options: RenderOptions) -> list[str]:
    spec = "".join("r" if c.align == "right" else "l" for c in item.columns)
    lines = []
    if item.title:
        lines += [rf"\noindent\textbf{{{inline(item.title, options)}}}", ""]
    lines += [
        rf"\begin{{longtable}}{{{spec}}}",
        r"\toprule",
        " & ".join(inline(c.header, options) for c in item.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(inline(cell, options) for cell in row) + r" \\" for row in item.rows]
    lines += [r"\bottomrule", r"\end{longtable}"]
    if item.caption:
        lines.append(inline(item.caption, options))
    return lines


def block(item: Block, options: RenderOptions) -> list[str]:
    if isinstance(item, Heading):
        command = "section" if item.level == 1 else "subsection"
        return [rf"\{command}*{{{inline(item.content, options)}}}"]
    if isinstance(item, Paragraph):
        return [inline(item.content, options)]
    if isinstance(item, Fields):
        lines = [r"\begin{itemize}"]
        lines += [
            rf"\item \textbf{{{escape(label)}:}} {inline(value, options)}"
            for label, value in item.items
        ]
        return [*lines, r"\end{itemize}"]
    if isinstance(item, Table):
        return _table(item, options)
    if isinstance(item, Bullets):
        lines = [r"\begin{itemize}"]
        lines += [rf"\item {inline(entry, options)}" for entry in item.items]
        return [*lines, r"\end{itemize}"]
    if isinstance(item, Preformatted):
        return [r"\begin{verbatim}", *item.text.splitlines(), r"\end{verbatim}"]
    raise TypeError(type(item).__name__)


def render(document: Document, options: RenderOptions) -> str:
    packages = ",".join(PACKAGES)
    lines = [f"% {escape(document.title)}"]
    if options.standalone:
        lines += [
            r"\documentclass{article}",
            r"\usepackage[T1]{fontenc}",
            rf"\usepackage{{{packages}}}",
            r"\begin{document}",
        ]
    else:
        lines.append(rf"% A fragment: it needs \usepackage{{{packages}}} (or use --standalone).")
    for item in document.blocks:
        lines.append("")
        lines.extend(block(item, options))
    if options.standalone:
        lines += ["", r"\end{document}"]
    return "\n".join(lines) + "\n"
