"""Safe parsing of untrusted math text into SymPy expressions.

Losses come from command lines, exercise files and student answers, so the text is never
executed: no ``eval``, and no ``sympify``/``parse_expr`` (both run Python). Instead Python's own
parser turns the text into a syntax tree, a visitor walks it with a whitelist of node types, and
each handler builds the SymPy node directly. Anything outside the whitelist is refused with an
:class:`~tutor.errors.ExpressionError` naming the part and its column.

Allowed: int and float literals; parameter names; the constants ``pi`` and ``e``; ``+ - * / **``
and unary ``-``/``+``; calls of the functions in :data:`ALLOWED_FUNCTIONS` with positional
arguments. Resource guards refuse texts longer than :data:`MAX_LENGTH`, trees deeper than
:data:`MAX_DEPTH`, integer literals over 100 digits, and powers whose exponent or result would be
huge (``10**10**10``, ``x**100000``) before SymPy sees them.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import sympy

from tutor.errors import ExpressionError

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 1000
MAX_DIGITS = 100


@dataclass(frozen=True)
class ParsedExpression:
    """The result of parsing: the original text, the SymPy tree and the parameter names in it."""

    text: str
    expr: sympy.Expr
    names: tuple[str, ...]


def make_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol every layer uses for parameter ``name`` (real-valued)."""
    return sympy.Symbol(name, real=True)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Max(*args)


def _min(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Min(*args)


# name -> (minimum number of arguments, maximum (None: any), builder)
ALLOWED_FUNCTIONS: Mapping[str, tuple[int, int | None, Callable[..., sympy.Expr]]] = (
    MappingProxyType(
        {
            "exp": (1, 1, sympy.exp),
            "log": (1, 1, sympy.log),
            "sqrt": (1, 1, sympy.sqrt),
            "sin": (1, 1, sympy.sin),
            "cos": (1, 1, sympy.cos),
            "tan": (1, 1, sympy.tan),
            "sinh": (1, 1, sympy.sinh),
            "cosh": (1, 1, sympy.cosh),
            "tanh": (1, 1, sympy.tanh),
            "abs": (1, 1, sympy.Abs),
            "sigmoid": (1, 1, lambda x: 1 / (1 + sympy.exp(-x))),
            "softplus": (1, 1, lambda x: sympy.log(1 + sympy.exp(x))),
            "max": (2, None, _max),
            "min": (2, None, _min),
        }
    )
)

CONSTANTS: Mapping[str, sympy.Expr] = MappingProxyType({"pi": sympy.pi, "e": sympy.E})

_OPERATOR_HINTS: Mapping[type, str] = MappingProxyType(
    {
        ast.BitXor: "'^' is not allowed; use ** for powers",
        ast.FloorDiv: "'//' is not allowed; use /",
        ast.Mod: "'%' is not allowed",
        ast.MatMult: "'@' is not allowed",
        ast.BitAnd: "'&' is not allowed",
        ast.BitOr: "'|' is not allowed",
        ast.LShift: "'<<' is not allowed",
        ast.RShift: "'>>' is not allowed",
    }
)

_NODE_NAMES: Mapping[type, str] = MappingProxyType(
    {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "lambda",
        ast.Compare: "comparisons",
        ast.BoolOp: "'and'/'or'",
        ast.IfExp: "conditional expressions",
        ast.NamedExpr: "':='",
        ast.JoinedStr: "f-strings",
        ast.List: "lists",
        ast.Tuple: "tuples",
        ast.Dict: "dicts",
        ast.Set: "sets",
        ast.ListComp: "comprehensions",
        ast.SetComp: "comprehensions",
        ast.DictComp: "comprehensions",
        ast.GeneratorExp: "comprehensions",
        ast.Starred: "'*' unpacking",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.YieldFrom: "yield",
        ast.Slice: "slices",
    }
)


class _Builder:
    """Walks a syntax tree and builds the SymPy expression, refusing anything not whitelisted."""

    def __init__(self, text: str, params: tuple[str, ...] | None) -> None:
        self.text = text
        self.params = params
        self.names: set[str] = set()
        self.handlers: dict[type, Callable[[ast.AST, int], sympy.Expr]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.BinOp: self._binop,
            ast.UnaryOp: self._unary,
            ast.Call: self._call,
        }

    def fail(self, node: ast.AST | None, reason: str) -> ExpressionError:
        column = getattr(node, "col_offset", None)
        return ExpressionError(self.text, reason, None if column is None else column + 1)

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(None, f"nested more than {MAX_DEPTH} levels deep")
        handler = self.handlers.get(type(node))
        if handler is None:
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise self.fail(node, f"{what} not allowed")
        return handler(node, depth + 1)

    def _constant(self, node: ast.AST, depth: int) -> sympy.Expr:
        assert isinstance(node, ast.Constant)
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"{value!r} is not a number")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_DIGITS:
                raise self.fail(node, f"integer literal longer than {MAX_DIGITS} digits")
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise self.fail(node, "number too large")
        return sympy.Float(value)

    def _name(self, node: ast.AST, depth: int) -> sympy.Expr:
        assert isinstance(node, ast.Name)
        name = node.id
        if self.params is not None and name in self.params:
            self.names.add(name)
            return make_symbol(name)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in ALLOWED_FUNCTIONS:
            raise self.fail(node, f"function {name!r} needs an argument, e.g. {name}(x)")
        if self.params is not None:
            close = difflib.get_close_matches(name, self.params, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise self.fail(
                node, f"unknown name {name!r} ({hint}parameters: {', '.join(self.params)})"
            )
        self.names.add(name)
        return make_symbol(name)

    def _binop(self, node: ast.AST, depth: int) -> sympy.Expr:
        assert isinstance(node, ast.BinOp)
        hint = _OPERATOR_HINTS.get(type(node.op))
        if hint is not None:
            raise self.fail(node, hint)
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right.is_zero:
                raise self.fail(node, "division by zero")
            return left / right
        if isinstance(node.op, ast.Pow):
            return self._power(node, left, right)
        raise self.fail(node, f"operator {type(node.op).__name__} not allowed")

    def _power(self, node: ast.AST, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number:
            size = abs(complex(sympy.N(exponent, 15)))
            if size > MAX_EXPONENT:
                raise self.fail(node, f"exponent larger than {MAX_EXPONENT}")
            if base.is_number:
                magnitude = abs(complex(sympy.N(base, 15)))
                if magnitude > 1 and size * math.log10(magnitude) > MAX_EXPONENT:
                    raise self.fail(node, f"result would have more than {MAX_EXPONENT} digits")
                if base.is_zero and exponent.is_negative:
                    raise self.fail(node, "division by zero")
        return sympy.Pow(base, exponent)

    def _unary(self, node: ast.AST, depth: int) -> sympy.Expr:
        assert isinstance(node, ast.UnaryOp)
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.fail(node, f"operator {type(node.op).__name__} not allowed")

    def _call(self, node: ast.AST, depth: int) -> sympy.Expr:
        assert isinstance(node, ast.Call)
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only named functions can be called, e.g. exp(x)")
        name = node.func.id
        spec = ALLOWED_FUNCTIONS.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(ALLOWED_FUNCTIONS), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else (f"allowed: {', '.join(sorted(ALLOWED_FUNCTIONS))}")
            )
            raise self.fail(node, f"unknown function {name!r} ({hint})")
        if node.keywords:
            raise self.fail(node, f"{name} takes no keyword arguments")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(node, "'*' unpacking not allowed")
        low, high, builder = spec
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = str(low) if low == high else f"at least {low}"
            plural = "" if wanted == "1" else "s"
            raise self.fail(node, f"{name} takes {wanted} argument{plural}, got {count}")
        return builder(*(self.build(arg, depth) for arg in node.args))


def parse_expression(text: str, params: Sequence[str] | None = None) -> ParsedExpression:
    """Parse untrusted ``text`` into a SymPy expression without executing anything.

    Args:
        text: e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"``.
        params: the allowed parameter names; None allows any name (each becomes a real symbol).
            A parameter named ``e`` or ``pi`` shadows the constant.

    Raises:
        ExpressionError: the text is empty, too long or too deep, does not parse, or uses
            anything outside the whitelist.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), "empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        column = error.offset if error.offset is not None else None
        raise ExpressionError(text, "invalid syntax", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(text, f"nested more than {MAX_DEPTH} levels deep") from None
    builder = _Builder(text.strip(), None if params is None else tuple(params))
    try:
        expr = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError(text, f"nested more than {MAX_DEPTH} levels deep") from None
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(text, "the expression is not finite (division by zero?)")
    if expr.has(sympy.I):
        raise ExpressionError(text, "the expression has complex values; a loss must be real")
    return ParsedExpression(text, expr, tuple(sorted(builder.names)))
