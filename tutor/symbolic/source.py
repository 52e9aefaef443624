"""The text of an expression: cheap checks before parsing, positions, and refusal messages.

Before ``ast.parse`` sees the text it is checked for length, blank text, control characters and
bracket nesting; a ``SyntaxError`` becomes a short, math-oriented reason; every refusal carries
the offset of the offending part in the original text (a column for the user), and refused
syntax (``^``, indexing, strings, ...) says what to write instead.
"""

from __future__ import annotations

import ast
import keyword
import re
import types
import warnings
from collections.abc import Mapping

MAX_LENGTH = 20_000
"""Longest accepted expression text, in characters (a sum of about 1,000 terms)."""
MAX_DEPTH = 40
"""Deepest accepted nesting, counted both as brackets in the text and as syntax-tree levels.
A chain of same-kind operators such as ``a + b - c + d`` counts as a single level."""
HINT = "use numbers, names, + - * / ** and functions such as exp(x)"

_NEWLINE = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # category Cc but \t \n \r
_BRACKET = re.compile(r"[()\[\]{}]")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_NUMBER_SYNTAX = re.compile(r"invalid (decimal|hexadecimal|octal|binary) literal")
_KEEP_SYNTAX_MESSAGES = (
    "was never closed",
    "unmatched ",
    "does not match opening parenthesis",
    "invalid character",
    "invalid non-printable character",
)


class Refusal(Exception):
    """The parser's internal refusal: a reason and a 0-based offset (``None``: global);
    :func:`~tutor.symbolic.parse.parse_expression` turns it into an ExpressionError."""

    def __init__(self, reason: str, offset: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.offset = reason, offset


class Source:
    """The text, checked (length, blank text, control characters, bracket nesting) and parsed
    without its leading whitespace, with the map from AST positions to offsets in the text."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise Refusal(f"too long ({len(text)} characters; the limit is {MAX_LENGTH})")
        if not text.strip():
            raise Refusal("empty expression")
        control = _CONTROL.search(text)
        if control:
            reason = f"control character U+{ord(control.group()):04X} is not allowed"
            raise Refusal(reason, control.start())
        depth = 0
        for match in _BRACKET.finditer(text):
            depth += 1 if match.group() in "([{" else -1
            if depth > MAX_DEPTH:
                raise Refusal(f"brackets are nested too deeply (more than {MAX_DEPTH} levels)")
        self.text, self.body = text, text.lstrip(" \t\r\n")
        self.lead = len(text) - len(self.body)
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.body)]

    def tree(self) -> ast.Expression:
        """``ast.parse`` in eval mode, with every failure turned into a refusal."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(self.body, mode="eval")
        except SyntaxError as error:
            raise self._syntax_refusal(error) from None
        except (RecursionError, MemoryError):
            raise Refusal("expression is too complex to parse") from None
        except ValueError as error:
            raise Refusal(f"cannot be parsed ({error})".replace("\n", " ")) from None

    def _syntax_refusal(self, error: SyntaxError) -> Refusal:
        """A SyntaxError from ``ast.parse`` as a short, math-oriented refusal."""
        for match in _IDENTIFIER.finditer(self.body):
            word = match.group()
            if keyword.iskeyword(word) and word not in ("True", "False", "None"):
                reason = f"'{word}' is a reserved word; choose another name"
                return Refusal(reason, self.lead + match.start())
        if not error.lineno or not error.offset or error.offset < 1:
            return Refusal("incomplete expression", len(self.text.rstrip()))
        line_start = self.line_starts[min(error.lineno, len(self.line_starts)) - 1]
        offset = min(self.lead + line_start + error.offset - 1, len(self.text))
        message, text = error.msg or "invalid syntax", self.text
        here, before = text[offset : offset + 1], text[:offset].rstrip()[-1:]
        if any(part in message for part in _KEEP_SYNTAX_MESSAGES):
            reason = message
        elif _NUMBER_SYNTAX.search(message):
            reason = "invalid number; write 2*x, not 2x"
        elif "string" in message:
            reason = "strings are not allowed"
        elif text[offset : offset + 2] == ":=":
            reason = "assignment with ':=' is not allowed; write only the expression"
        elif here == "=":
            reason = "'=' is not allowed; write only the expression, without an assignment"
        elif here == ";":
            reason = "';' is not allowed; write a single expression"
        elif (here.isalnum() or here in "(_.") and (before.isalnum() or before in ")_."):
            reason = "invalid syntax; is an operator such as * missing?"
        else:
            reason = "invalid syntax"
        return Refusal(reason, offset)

    def offset(self, lineno: int, byte_col: int) -> int:
        """0-based offset in the original text of an AST position (UTF-8 byte column)."""
        start = self.line_starts[lineno - 1]
        prefix = self.body[start:].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")
        return self.lead + start + len(prefix)

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def find(self, symbol: str, after: ast.AST, fallback: ast.AST) -> int:
        """Offset of ``symbol`` after the end of ``after``, or where ``fallback`` starts."""
        end = self.offset(after.end_lineno, after.end_col_offset)  # type: ignore[attr-defined]
        found = self.text.find(symbol, end)
        return found if found >= 0 else self.start(fallback)

    def where(self, node: ast.AST) -> int:
        """Where a problem with ``node`` is reported: its operator, ``.`` or ``[``, or its start."""
        if isinstance(node, ast.BinOp):
            return self.find(OPERATORS[type(node.op)][0], node.left, node)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self.find("." if isinstance(node, ast.Attribute) else "[", node.value, node)
        return self.start(node)


# --- Refused syntax -----------------------------------------------------------------------------

OPERATORS: Mapping[type[ast.AST], tuple[str, str | None]] = types.MappingProxyType(
    {
        **{ast.Add: ("+", None), ast.Sub: ("-", None), ast.Mult: ("*", None)},
        **{ast.Div: ("/", None), ast.Pow: ("**", None), ast.MatMult: ("@", None)},
        **{ast.BitXor: ("^", "use ** for powers"), ast.FloorDiv: ("//", "use / for division")},
        **{ast.Mod: ("%", "remainders are not supported"), ast.Not: ("not", HINT)},
        ast.BitAnd: ("&", "bit operations are not supported"),
        ast.BitOr: ("|", "bit operations are not supported"),
        **{ast.LShift: ("<<", "use * and ** instead"), ast.RShift: (">>", "use / and ** instead")},
        ast.Invert: ("~", "use - for negation"),
    }
)
"""Each operator's symbol (a problem with it is reported there) and, for refused operators,
what to use instead: ``'^' is not allowed; use ** for powers``."""
REFUSED_NODES: Mapping[type[ast.AST], str] = types.MappingProxyType(
    {
        ast.Attribute: "attribute access with '.' is not allowed",
        ast.Subscript: "indexing with [...] is not allowed",
        ast.Tuple: "tuples are not allowed (a comma outside a function call makes a tuple)",
        ast.IfExp: "conditional expressions (if/else) are not allowed",
        ast.NamedExpr: "assignment with ':=' is not allowed",
        ast.Starred: "'*' unpacking is not allowed in calls",
        **{ast.Compare: "comparisons are not allowed", ast.BoolOp: "'and'/'or' are not allowed"},
        **{ast.List: "lists are not allowed", ast.Set: "sets are not allowed"},
        **{ast.Dict: "dicts are not allowed", ast.Slice: "slices are not allowed"},
        **{ast.JoinedStr: "f-strings are not allowed", ast.Lambda: "'lambda' is not allowed"},
        **{ast.Await: "'await' is not allowed", ast.Yield: "'yield' is not allowed"},
        ast.YieldFrom: "'yield' is not allowed",
        **dict.fromkeys(
            (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
            "comprehensions are not allowed",
        ),
    }
)


def refused_node(node: ast.AST, source: Source) -> Refusal:
    reason = REFUSED_NODES.get(type(node), f"{type(node).__name__} expressions are not allowed")
    return Refusal(f"{reason}; {HINT}", source.where(node))


def refused_operator(op: ast.AST) -> str:
    symbol, advice = OPERATORS.get(type(op), ("", None))
    return f"'{symbol}' is not allowed; {advice}" if advice else "operator not allowed"
