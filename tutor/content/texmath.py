"""The LaTeX subset that topic files write math in, and its Unicode rendering for terminals.

Topic files write every formula once, in LaTeX (``$\\hat{m}_t = \\frac{m_t}{1 - \\beta_1^t}$``).
LaTeX and Markdown output print that LaTeX; the terminal prints :func:`to_unicode` of it
(``m̂ₜ = mₜ/(1 − β₁ᵗ)``). Only the subset below is accepted, so that every formula converts and
compiles; :func:`to_unicode` raises :class:`TexError` (with the column) on anything else, and
``tutor explain --check`` reports it.

The subset: letters, digits and ``+ - = < > ( ) [ ] , . ; : / | ! ' *``; Greek letters
(``\\alpha`` … ``\\omega``, ``\\Gamma`` … ``\\Omega``) and ``\\nabla \\partial \\infty``;
``_`` and ``^`` with one character or a braced group; ``\\frac{a}{b}``, ``\\sqrt{x}``,
``\\hat{x} \\bar{x} \\tilde{x}``; ``\\cdot \\times \\odot \\otimes \\sum \\prod``; ``\\log \\exp
\\max \\min \\arg``; ``\\operatorname{name} \\mathrm{text} \\text{words}``; ``\\mathbb{R}
\\mathbb{E}``; ``\\top \\leq \\geq \\neq \\approx \\to \\leftarrow \\in``; ``\\| \\lVert \\rVert``,
``\\left`` and ``\\right`` before a delimiter, ``\\{ \\}``; spacing ``\\quad \\; \\,``. The letter
π is written ``\\text{π}`` (or ``\\pi``); :func:`normalize` turns it into ``\\pi`` so that pdflatex
compiles it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
SYMBOLS = {"nabla": "∇", "partial": "∂", "infty": "∞", "top": "ᵀ"}
BINARY = {"cdot": "·", "times": "×", "odot": "⊙", "otimes": "⊗"}
RELATIONS = {
    "leq": "≤",
    "geq": "≥",
    "neq": "≠",
    "approx": "≈",
    "to": "→",
    "leftarrow": "←",
    "in": "∈",
}
BIG = {"sum": "Σ", "prod": "∏"}
FUNCTIONS = {"log", "exp", "max", "min", "arg"}
ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}
TEXT_COMMANDS = {"text", "mathrm", "operatorname"}
BLACKBOARD = {"R": "ℝ", "E": "𝔼"}
SPACES = {"quad": "  ", ";": " ", ",": " "}
DELIMITERS = {"lVert": "‖", "rVert": "‖", "|": "‖", "{": "{", "}": "}"}
PLAIN_CHARS = set("+-=<>()[],.;:/|!'*")

_STRUCTURE = ("frac", "sqrt", "mathbb", "left", "right")
_NAMED = (*GREEK, *SYMBOLS, *BINARY, *RELATIONS, *BIG, *FUNCTIONS, *ACCENTS, *TEXT_COMMANDS)
COMMANDS = frozenset((*_NAMED, *_STRUCTURE, *SPACES, *DELIMITERS))
"""Every command of the subset (without the backslash)."""

_SUP = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχᵀ*",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡᵀ*",
        strict=True,
    )
)
_SUB = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)


class TexError(ValueError):
    """A formula outside the subset; ``column`` is 1-based within the formula."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"{reason} at column {column}")
        self.reason = reason
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # "command", "char", "open", "close", "space"
    text: str
    column: int


_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.DOTALL)


def _tokens(tex: str) -> list[_Token]:
    out = []
    for match in _TOKEN.finditer(tex):
        column = match.start() + 1
        if match.group(1) is not None:
            out.append(_Token("command", match.group(1), column))
        elif match.group(2) is not None:
            if match.group(2) not in COMMANDS:
                raise TexError(f"'\\{match.group(2)}' is not in the supported LaTeX subset", column)
            out.append(_Token("command", match.group(2), column))
        elif match.group(3) is not None:
            out.append(_Token("space", " ", column))
        else:
            char = match.group(4)
            kind = {"{": "open", "}": "close"}.get(char, "char")
            out.append(_Token(kind, char, column))
    return out


# Atoms of the rendered formula: (kind, text). Kinds: "ord" (a symbol or number), "bin" (a
# binary operator), "rel" (a relation), "punct" (a comma), "open"/"close" (brackets), "func" (a
# function name such as log), "frac" (a fraction written with /), "space".
_Atom = tuple[str, str]


class _Parser:
    def __init__(self, tex: str) -> None:
        self.tex = tex
        self.tokens = _tokens(tex)
        self.i = 0

    def peek(self) -> _Token | None:
        while self.i < len(self.tokens) and self.tokens[self.i].kind == "space":
            self.i += 1
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise TexError("the formula ends too early", len(self.tex) + 1)
        self.i += 1
        return token

    def end_column(self) -> int:
        return len(self.tex) + 1

    # --- groups --------------------------------------------------------------------------------

    def group_tokens(self) -> list[_Token]:
        """The raw tokens of a braced group (after ``{``), with the braces balanced."""
        opening = self.take()
        if opening.kind != "open":
            raise TexError("expected '{'", opening.column)
        depth, found = 1, list[_Token]()
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            if token.kind == "open":
                depth += 1
            elif token.kind == "close":
                depth -= 1
                if depth == 0:
                    return found
            found.append(token)
        raise TexError("'{' is never closed", opening.column)

    def argument(self) -> list[_Atom]:
        """One argument: a braced group or a single token."""
        token = self.peek()
        if token is None:
            raise TexError("an argument is missing", self.end_column())
        if token.kind == "open":
            return self.sub(self.group_tokens())
        return self.atoms(single=True)

    def sub(self, tokens: list[_Token]) -> list[_Atom]:
        parser = _Parser.__new__(_Parser)
        parser.tex, parser.tokens, parser.i = self.tex, tokens, 0
        atoms = parser.atoms()
        return atoms

    def text_argument(self) -> str:
        token = self.peek()
        if token is None or token.kind != "open":
            raise TexError("expected '{' after a text command", self.end_column())
        raw = self.group_tokens()
        if any(t.kind in ("open", "close") for t in raw):
            raise TexError("braces inside \\text are not supported", raw[0].column)
        out = []
        for t in raw:
            if t.kind == "command":
                raise TexError(f"'\\{t.text}' inside \\text is not supported", t.column)
            out.append(t.text)
        return "".join(out)

    # --- atoms ---------------------------------------------------------------------------------

    def atoms(self, single: bool = False) -> list[_Atom]:
        out: list[_Atom] = []
        while True:
            token = self.peek()
            if token is None:
                return out
            if token.kind == "close":
                raise TexError("'}' without a matching '{'", token.column)
            if token.kind == "open":
                out.extend(self.sub(self.group_tokens()))
            elif token.kind == "char" and token.text in "^_":
                self.take()
                if not out:
                    raise TexError(f"'{token.text}' has nothing before it", token.column)
                out[-1] = _script(out[-1], token.text, self.argument())
            else:
                out.extend(self.one(self.take()))
            if single:
                return out

    def one(self, token: _Token) -> list[_Atom]:
        if token.kind == "char":
            char = token.text
            if char in "+-":
                return [("bin", "−" if char == "-" else "+")]
            if char in "=<>":
                return [("rel", char)]
            if char in "([":
                return [("open", char)]
            if char in ")]":
                return [("close", char)]
            if char == ",":
                return [("punct", ",")]
            if char.isascii() and (char.isalnum() or char in PLAIN_CHARS):
                return [("ord", char)]
            raise TexError(
                f"{char!r} is not allowed in math (write it inside \\text)", token.column
            )
        name = token.text
        if name in GREEK:
            return [("ord", GREEK[name])]
        if name in SYMBOLS:
            return [("ord", SYMBOLS[name])]
        if name in BINARY:
            return [("bin", BINARY[name])]
        if name in RELATIONS:
            return [("rel", RELATIONS[name])]
        if name in BIG:
            return [("func", BIG[name])]
        if name in FUNCTIONS:
            return [("func", name)]
        if name in SPACES:
            return [("space", SPACES[name])]
        if name in DELIMITERS:
            return [("ord", DELIMITERS[name])]
        if name in TEXT_COMMANDS:
            text = self.text_argument()
            return [("func" if name == "operatorname" else "ord", text)]
        if name == "mathbb":
            letter = self.text_argument()
            if letter not in BLACKBOARD:
                raise TexError(f"\\mathbb{{{letter}}} is not supported (R or E)", token.column)
            return [("ord", BLACKBOARD[letter])]
        if name in ACCENTS:
            body = _join(self.argument())
            return [("ord", _accent(body, ACCENTS[name]))]
        if name == "sqrt":
            return [("ord", "√" + _bracketed(self.argument(), single=True))]
        if name == "frac":
            top, bottom = self.argument(), self.argument()
            return [("frac", f"{_bracketed(top)}/{_bracketed(bottom, single=True)}")]
        if name in ("left", "right"):
            delimiter = self.take()
            if delimiter.kind == "char" and delimiter.text in "()[]|.":
                text = "" if delimiter.text == "." else delimiter.text
                kind = (
                    "open"
                    if delimiter.text in "(["
                    else "close"
                    if delimiter.text in ")]"
                    else "ord"
                )
                return [(kind, text)] if text else []
            if delimiter.kind == "command" and delimiter.text in DELIMITERS:
                return [("ord", DELIMITERS[delimiter.text])]
            raise TexError(f"\\{name} needs a delimiter such as ( or \\|", delimiter.column)
        raise TexError(f"'\\{name}' is not in the supported LaTeX subset", token.column)


def _accent(body: str, mark: str) -> str:
    """``x̂``: the combining mark after the first character of a short body; a longer body
    keeps the mark after its last character."""
    if not body:
        return mark
    return body[0] + mark + body[1:]


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_CALL = re.compile(r"[^\s()]+\(.*\)")


def _top_level(text: str) -> str:
    """``text`` with everything inside brackets removed: what an operator would bind to."""
    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    return text


def _bracketed(atoms: list[_Atom], single: bool = False) -> str:
    """The atoms as one argument of ``/`` or ``√``, bracketed unless that is unambiguous: no
    operator outside brackets, and for a denominator (``single``) one symbol or one call
    (``mₜ/uₜ``, ``t/(2s)``, ``exp(z)/(Σⱼ exp(zⱼ))``)."""
    text = _join(atoms)
    loose = any(c in _top_level(text) for c in " +−-·/×=,<>≤≥≈≠→←∈")
    visible = [a for a in atoms if a[0] != "space" and a[1] not in ("∂", "∇")]
    if not loose and (not single or len(visible) == 1 or _CALL.fullmatch(text)):
        return text
    return f"({text})"


def _script(atom: _Atom, mark: str, argument: list[_Atom]) -> _Atom:
    """``atom`` with a sub- (``_``) or superscript: Unicode script characters when every
    character has one, else ``_x`` / ``^(…)``."""
    kind, text = atom
    body = _join(argument, compact=True)
    table = _SUB if mark == "_" else _SUP
    if body and all(c in table for c in body):
        return (kind, text + "".join(table[c] for c in body))
    if mark == "^" and body == "ᵀ":
        return (kind, text + "ᵀ")
    shown = body if len(body) == 1 or (body.isascii() and body.isalpha()) else f"({body})"
    return (kind, f"{text}{mark}{shown}")


def _join(atoms: list[_Atom], compact: bool = False) -> str:
    """The atoms as text: spaces around binary operators and relations (not around a unary
    minus), after commas and after function names followed by a symbol; fractions next to a
    symbol are bracketed, ``(1/2)(a + b)``."""
    out: list[str] = []
    previous: str | None = None  # kind of the previous visible atom
    pending_space = ""
    for index, (kind, text) in enumerate(atoms):
        if kind == "space":
            if not compact and len(text) > len(pending_space):
                pending_space = text
            continue
        following = next((k for k, _ in atoms[index + 1 :] if k != "space"), None)
        after = next((a for a in atoms[index + 1 :] if a[0] != "space"), None)
        if kind == "frac" and (
            previous in ("ord", "close", "frac", "func")
            or following in ("ord", "open", "frac", "func")
            or after == ("bin", "·")
        ):
            text = f"({text})"
        unary = kind == "bin" and previous in (None, "open", "bin", "rel", "punct", "func")
        if compact:
            out.append(text)
        elif kind in ("bin", "rel") and not unary and text != "·":
            out.append(f" {text} ")
            pending_space = ""
        elif kind == "punct":
            out.append(text)
            pending_space = " "
        else:
            if not pending_space and (
                (previous == "func" and kind in ("ord", "func", "frac"))
                or (kind == "func" and previous in ("ord", "close", "frac") and out[-1] not in "∂∇")
            ):
                pending_space = " "
            if out and pending_space and not out[-1].endswith(" "):
                out.append(pending_space)
            out.append(text)
            pending_space = ""
        previous = kind
    return "".join(out).strip() if not compact else "".join(out)


def to_unicode(tex: str) -> str:
    """The Unicode rendering of a formula of the subset, e.g. ``mₜ/(1 − β₁ᵗ)``.

    >>> to_unicode(r"\\hat{m}_t = \\frac{m_t}{1 - \\beta_1^t}")
    'm̂ₜ = mₜ/(1 − β₁ᵗ)'
    >>> to_unicode(r"\\theta_t = \\theta_{t-1} - \\eta \\, g_t")
    'θₜ = θₜ₋₁ − η gₜ'

    Raises:
        TexError: a command or character outside the subset, or unbalanced braces.
    """
    parser = _Parser(tex)
    atoms = parser.atoms()
    return _join(atoms)


def normalize(tex: str) -> str:
    """The formula as LaTeX output prints it: ``\\text{π}`` becomes ``\\pi`` (pdflatex has no
    Greek letters in text mode)."""
    return tex.replace(r"\text{π}", r"\pi").strip()


def check(tex: str) -> str | None:
    """None when ``tex`` is in the subset, else the reason (with its column)."""
    try:
        to_unicode(tex)
    except TexError as error:
        return str(error)
    return None
