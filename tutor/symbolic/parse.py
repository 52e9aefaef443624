"""Safe parsing of untrusted loss expressions into SymPy.

Loss expressions arrive from command lines, exercise files and student answers, so the text is
never executed or handed to SymPy's string parser. Instead:

1. Cheap text checks run first: length (``MAX_LENGTH``), blank text, control characters and
   bracket nesting (``MAX_DEPTH``).
2. ``ast.parse(text, mode="eval")`` builds a Python syntax tree. Parsing does not run anything.
3. A *shape check* walks the whole tree (iteratively) and refuses every construct that is not on
   the whitelist, reporting the leftmost one: attribute access, indexing, strings, comparisons,
   ``^``/``//``/``%``, lambdas, comprehensions, keyword arguments, calls of anything but a plain
   function name, and so on.
4. A visitor with a node-type -> handler dispatch table builds the SymPy tree directly from
   ``sympy.Symbol``/``Integer``/``Float``/``Add``/``Mul``/``Pow`` and the whitelisted functions.
   It counts nesting depth, resolves names, checks function arity and guards every power *before*
   SymPy builds it, so inputs such as ``9**9**9**9`` or ``2**(1/997)`` are refused in
   microseconds instead of making SymPy compute enormous numbers.

Every refusal is an :class:`~tutor.errors.ExpressionError` whose one-line reason names the bad part
and the fix; ``column`` is the 1-based character offset of the offending part in the original text
(counted across the whole text if it spans several lines), or ``None`` for global problems.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import keyword
import math
import re
import types
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import mpmath
import sympy

from tutor.errors import ExpressionError

__all__ = [
    "ALLOWED_FUNCTIONS",
    "CONSTANTS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_EXP_ARGUMENT",
    "MAX_LENGTH",
    "MAX_LITERAL_DIGITS",
    "MAX_ROOT_SIZE",
    "RESERVED_NAMES",
    "Arity",
    "FunctionSpec",
    "ParsedExpression",
    "make_symbol",
    "parse_expression",
]

MAX_LENGTH = 500
"""Longest accepted expression text, in characters."""

MAX_DEPTH = 40
"""Deepest accepted nesting, counted both as brackets in the text and as syntax-tree levels.
A chain of same-kind operators such as ``a + b - c + d`` counts as a single level."""

MAX_EXPONENT = 1000
"""Largest accepted absolute value of a numeric exponent, e.g. ``x**1000`` but not ``x**1001``."""

MAX_DIGITS = 1000
"""Largest accepted size of any number in the result, in decimal digits (or decimal exponent for
floats); powers of numbers are estimated before they are computed."""

MAX_LITERAL_DIGITS = 100
"""Longest accepted integer literal, in digits."""

MAX_ROOT_SIZE = 40
MAX_EXP_ARGUMENT = 700  # exp(709.8) is the largest float64
"""An exact root ``b**(p/q)`` of a number ``b`` is accepted only when ``q`` times the number of
digits of ``b`` is at most this (``sqrt`` of a 20-digit number, ``2**(1/40)``). SymPy factors the
base to simplify such roots, which becomes very slow for large bases or degrees; a decimal
exponent (``2**0.001``) gives a float instead and is always fast."""

_HINT = "use numbers, names, + - * / ** and functions such as exp(x)"


# --------------------------------------------------------------------------------------------
# Whitelisted functions and constants
# --------------------------------------------------------------------------------------------


class Arity(NamedTuple):
    """How many arguments a function takes: ``minimum`` up to ``maximum`` (``None``: no limit)."""

    minimum: int
    maximum: int | None

    def accepts(self, count: int) -> bool:
        """Whether a call with ``count`` arguments is allowed."""
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)

    def describe(self) -> str:
        """E.g. ``"1 argument"`` or ``"at least 2 arguments"``."""
        noun = "argument" if self.minimum == 1 else "arguments"
        if self.maximum is None:
            return f"at least {self.minimum} {noun}"
        if self.maximum == self.minimum:
            return f"{self.minimum} {noun}"
        return f"{self.minimum} to {self.maximum} arguments"


class FunctionSpec(NamedTuple):
    """A whitelisted function: its arity and a builder taking SymPy arguments."""

    arity: Arity
    build: Callable[..., sympy.Expr]


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    """The logistic function ``1/(1 + exp(-x))``."""
    return sympy.Pow(sympy.Add(sympy.Integer(1), sympy.exp(sympy.Mul(sympy.Integer(-1), x))), -1)


def _softplus(x: sympy.Expr) -> sympy.Expr:
    """``log(1 + exp(x))``."""
    return sympy.log(sympy.Add(sympy.Integer(1), sympy.exp(x)))


_ONE = Arity(1, 1)
_TWO_OR_MORE = Arity(2, None)

ALLOWED_FUNCTIONS: Mapping[str, FunctionSpec] = types.MappingProxyType(
    {
        "abs": FunctionSpec(_ONE, sympy.Abs),
        "cos": FunctionSpec(_ONE, sympy.cos),
        "cosh": FunctionSpec(_ONE, sympy.cosh),
        "exp": FunctionSpec(_ONE, sympy.exp),
        "log": FunctionSpec(_ONE, sympy.log),
        "max": FunctionSpec(_TWO_OR_MORE, sympy.Max),
        "min": FunctionSpec(_TWO_OR_MORE, sympy.Min),
        "sigmoid": FunctionSpec(_ONE, _sigmoid),
        "sin": FunctionSpec(_ONE, sympy.sin),
        "sinh": FunctionSpec(_ONE, sympy.sinh),
        "softplus": FunctionSpec(_ONE, _softplus),
        "sqrt": FunctionSpec(_ONE, sympy.sqrt),
        "tan": FunctionSpec(_ONE, sympy.tan),
        "tanh": FunctionSpec(_ONE, sympy.tanh),
    }
)
"""The functions an expression may call: name -> (arity, builder). ``log`` is the natural log
of one argument, ``abs`` is ``sympy.Abs``, ``sigmoid(x) = 1/(1 + exp(-x))``,
``softplus(x) = log(1 + exp(x))``, ``max``/``min`` take two or more arguments."""

CONSTANTS: Mapping[str, sympy.Expr] = types.MappingProxyType({"e": sympy.E, "pi": sympy.pi})
"""Named constants. A parameter listed in ``params`` with the same name takes precedence."""

_LAMBDIFY_MODULES = frozenset(
    {
        "builtins",
        "cupy",
        "jax",
        "math",
        "mpmath",
        "np",
        "numexpr",
        "numpy",
        "scipy",
        "sympy",
        "tensorflow",
        "torch",
    }
)
RESERVED_NAMES: frozenset[str] = (
    frozenset(
        {n for n in dir(builtins) if not n.startswith("_")}
        | {"copyright", "credits", "exit", "help", "license", "quit"}
        | _LAMBDIFY_MODULES
        | {"lambdify", "parse_expr", "simplify", "sympify"}
    )
    - ALLOWED_FUNCTIONS.keys()
)
"""Names refused as parameters: Python built-ins (``eval``, ``open``, ...), module names that
generated numeric code relies on (``numpy``, ``math``, ...) and SymPy entry points."""


def make_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol the parser uses for parameter ``name``: ``Symbol(name, real=True)``."""
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class ParsedExpression:
    """The result of :func:`parse_expression`.

    Attributes:
        text: the original text.
        expr: the SymPy expression; parameters are :func:`make_symbol` symbols.
        names: the parameter names written in the text, sorted. This can include names that
            cancel out of ``expr`` (``x - x`` gives ``expr == 0`` and ``names == ("x",)``).
    """

    text: str
    expr: sympy.Expr
    names: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Source:
    """The text as parsed (leading whitespace removed) and a map from AST positions to columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.body = text.lstrip(" \t\r\n")
        self.lead = len(text) - len(self.body)
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.body)]

    def _line(self, lineno: int) -> str:
        start = self.line_starts[lineno - 1]
        end = self.line_starts[lineno] if lineno < len(self.line_starts) else len(self.body)
        return self.body[start:end]

    def offset(self, lineno: int, byte_col: int) -> int:
        """0-based offset in the original text of an AST position (UTF-8 byte column)."""
        prefix = self._line(lineno).encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")
        return self.lead + self.line_starts[lineno - 1] + len(prefix)

    def start(self, node: ast.AST) -> int:
        """0-based offset where ``node`` starts."""
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        """0-based offset just after ``node``."""
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def find(self, symbol: str, after: ast.AST, fallback: ast.AST) -> int:
        """Offset of ``symbol`` after the end of ``after``, or where ``fallback`` starts."""
        found = self.text.find(symbol, self.end(after))
        return found if found >= 0 else self.start(fallback)

    def char_offset(self, lineno: int, char_col: int) -> int:
        """0-based offset in the original text of a (line, 0-based character column) position."""
        return self.lead + self.line_starts[lineno - 1] + char_col


# --------------------------------------------------------------------------------------------
# Text checks and syntax errors
# --------------------------------------------------------------------------------------------


class _Refusal(Exception):
    """Internal: a reason and a 0-based offset (``None``: global); becomes ExpressionError."""

    def __init__(self, reason: str, offset: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def _check_text(text: str) -> None:
    """Refuse overlong, blank, control-character and too deeply bracketed text."""
    if len(text) > MAX_LENGTH:
        raise _Refusal(f"too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    if not text.strip():
        raise _Refusal("empty expression")
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc" and char not in "\t\r\n":
            raise _Refusal(f"control character U+{ord(char):04X} is not allowed", index)
    depth = 0
    for char in text:
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if depth > MAX_DEPTH:
            raise _Refusal(f"brackets are nested too deeply (more than {MAX_DEPTH} levels)")


_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_KEEP_SYNTAX_MESSAGES = (
    "was never closed",
    "unmatched ",
    "does not match opening parenthesis",
    "invalid character",
    "invalid non-printable character",
)


def _syntax_refusal(source: _Source, error: SyntaxError) -> _Refusal:
    """Turn a SyntaxError from ``ast.parse`` into a short refusal."""
    message = error.msg or "invalid syntax"
    for match in _IDENTIFIER.finditer(source.body):
        word = match.group()
        if keyword.iskeyword(word) and word not in ("True", "False", "None"):
            return _Refusal(
                f"'{word}' is a reserved word; choose another name", source.lead + match.start()
            )
    if not error.lineno or not error.offset or error.offset < 1:
        return _Refusal("incomplete expression", len(source.text.rstrip()))
    lineno = min(error.lineno, len(source.line_starts))
    offset = min(source.char_offset(lineno, error.offset - 1), len(source.text))
    return _Refusal(_syntax_reason(message, source.text, offset), offset)


def _syntax_reason(message: str, text: str, offset: int) -> str:
    """A short, math-oriented reason for a syntax error at ``offset``."""
    if any(part in message for part in _KEEP_SYNTAX_MESSAGES):
        return message
    if "literal" in message and (
        "decimal" in message
        or "hexadecimal" in message
        or "octal" in message
        or "binary" in message
    ):
        return "invalid number; write 2*x, not 2x"
    if "string" in message:
        return "strings are not allowed"
    here = text[offset : offset + 1]
    before = text[:offset].rstrip()[-1:]
    if here == "=":
        return "'=' is not allowed; write only the expression, without an assignment"
    if text[offset : offset + 2] == ":=":
        return "assignment with ':=' is not allowed; write only the expression"
    if here == ";":
        return "';' is not allowed; write a single expression"
    if (here.isalnum() or here in "(_.") and (before.isalnum() or before in ")_."):
        return "invalid syntax; is an operator such as * missing?"
    return "invalid syntax"


def _parse_tree(source: _Source) -> ast.Expression:
    """``ast.parse`` in eval mode, with every failure turned into a refusal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source.body, mode="eval")
    except SyntaxError as error:
        raise _syntax_refusal(source, error) from None
    except (RecursionError, MemoryError):
        raise _Refusal("expression is too complex to parse") from None
    except ValueError as error:
        raise _Refusal(f"cannot be parsed ({error})".replace("\n", " ")) from None


# --------------------------------------------------------------------------------------------
# Shape check: which syntax is allowed at all
# --------------------------------------------------------------------------------------------

_OPERATOR_SYMBOLS: Mapping[type[ast.operator], str] = types.MappingProxyType(
    {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Pow: "**",
        ast.BitXor: "^",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.LShift: "<<",
        ast.RShift: ">>",
    }
)
_REFUSED_OPERATORS: Mapping[type[ast.AST], str] = types.MappingProxyType(
    {
        ast.BitXor: "'^' is not allowed; use ** for powers",
        ast.FloorDiv: "'//' is not allowed; use / for division",
        ast.Mod: "'%' is not allowed; remainders are not supported",
        ast.MatMult: "'@' is not allowed; use * for multiplication",
        ast.BitAnd: "'&' is not allowed; bit operations are not supported",
        ast.BitOr: "'|' is not allowed; bit operations are not supported",
        ast.LShift: "'<<' is not allowed; use * and ** instead",
        ast.RShift: "'>>' is not allowed; use / and ** instead",
        ast.Invert: "'~' is not allowed; use - for negation",
        ast.Not: "'not' is not allowed; " + _HINT,
    }
)
_REFUSED_NODES: Mapping[type[ast.AST], str] = types.MappingProxyType(
    {
        ast.Attribute: "attribute access with '.' is not allowed",
        ast.Subscript: "indexing with [...] is not allowed",
        ast.Lambda: "'lambda' is not allowed",
        ast.IfExp: "conditional expressions (if/else) are not allowed",
        ast.Compare: "comparisons are not allowed",
        ast.BoolOp: "'and'/'or' are not allowed",
        ast.NamedExpr: "assignment with ':=' is not allowed",
        ast.JoinedStr: "f-strings are not allowed",
        ast.FormattedValue: "f-strings are not allowed",
        ast.List: "lists are not allowed",
        ast.Tuple: "tuples are not allowed (a comma outside a function call makes a tuple)",
        ast.Set: "sets are not allowed",
        ast.Dict: "dicts are not allowed",
        ast.ListComp: "comprehensions are not allowed",
        ast.SetComp: "comprehensions are not allowed",
        ast.DictComp: "comprehensions are not allowed",
        ast.GeneratorExp: "comprehensions are not allowed",
        ast.Starred: "'*' unpacking is not allowed in calls",
        ast.Slice: "slices are not allowed",
        ast.Await: "'await' is not allowed",
        ast.Yield: "'yield' is not allowed",
        ast.YieldFrom: "'yield' is not allowed",
    }
)


def _constant_problem(value: object) -> str | None:
    """Why a literal is refused, or None for ints and finite floats."""
    if isinstance(value, bool) or value is None or value is Ellipsis:
        shown = "..." if value is Ellipsis else repr(value)
        return f"'{shown}' is not allowed; " + _HINT
    if isinstance(value, complex):
        return "complex numbers such as 1j are not allowed"
    if isinstance(value, (str, bytes)):
        return "strings are not allowed; " + _HINT
    if isinstance(value, int):
        digits = len(str(abs(value)))
        if digits > MAX_LITERAL_DIGITS:
            return f"integer literal has {digits} digits (the limit is {MAX_LITERAL_DIGITS})"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "number is too large for a float"
    return f"literal of type {type(value).__name__} is not allowed"


_Problem = tuple[int, str]


def _constant_shape(node: ast.Constant, source: _Source) -> _Problem | None:
    reason = _constant_problem(node.value)
    return None if reason is None else (source.start(node), reason)


def _binop_shape(node: ast.BinOp, source: _Source) -> _Problem | None:
    reason = _REFUSED_OPERATORS.get(type(node.op))
    if reason is None:
        return None
    return source.find(_OPERATOR_SYMBOLS.get(type(node.op), ""), node.left, node), reason


def _unaryop_shape(node: ast.UnaryOp, source: _Source) -> _Problem | None:
    reason = _REFUSED_OPERATORS.get(type(node.op))
    return None if reason is None else (source.start(node), reason)


def _call_shape(node: ast.Call, source: _Source) -> _Problem | None:
    """A call must be ``f(args)`` for a whitelisted ``f``; ``2(x)`` and ``(a)(b)`` lack a ``*``."""
    func = node.func
    if not isinstance(func, ast.Name):
        reason = (
            "only named functions such as exp(x) can be called; use * to multiply, e.g. 2*(x + 1)"
        )
        return source.find("(", func, node), reason
    if source.start(func) != source.start(node):
        return source.start(node), f"write the function name directly, as in {func.id}(x)"
    if func.id not in ALLOWED_FUNCTIONS:
        return source.start(func), _unknown_function(func.id)
    return None


def _unknown_function(name: str) -> str:
    """``unknown function 'expp' (allowed: ...); did you mean 'exp'?``."""
    allowed = ", ".join(ALLOWED_FUNCTIONS)
    hint = _suggestion(name, list(ALLOWED_FUNCTIONS))
    if not hint and _reserved_problem(name) is None:
        hint = f"; to multiply, write {name}*(...)"
    return f"unknown function '{name}' (allowed: {allowed}){hint}"


def _name_shape(node: ast.Name, source: _Source) -> _Problem | None:
    reason = _reserved_problem(node.id)
    return None if reason is None else (source.start(node), reason)


def _keyword_shape(node: ast.keyword, source: _Source) -> _Problem | None:
    what = "'**' arguments" if node.arg is None else "keyword arguments"
    return source.start(node), f"{what} are not allowed; pass arguments by position"


def _allowed_shape(node: ast.AST, source: _Source) -> _Problem | None:
    return None


def _refused_shape(node: ast.AST, source: _Source) -> _Problem | None:
    """Position and reason for a node type that is never allowed."""
    if not hasattr(node, "lineno"):
        return None  # operators, contexts and parts of a refused construct (lambda arguments)
    reason = _REFUSED_NODES.get(type(node), f"{type(node).__name__} expressions are not allowed")
    reason = f"{reason}; {_HINT}"
    if isinstance(node, ast.Attribute):
        return source.find(".", node.value, node), reason
    if isinstance(node, ast.Subscript):
        return source.find("[", node.value, node), reason
    return source.start(node), reason


_SHAPE_RULES: Mapping[type[ast.AST], Callable[[Any, _Source], _Problem | None]] = (
    types.MappingProxyType(
        {
            ast.Expression: _allowed_shape,
            ast.Name: _name_shape,
            ast.Constant: _constant_shape,
            ast.BinOp: _binop_shape,
            ast.UnaryOp: _unaryop_shape,
            ast.Call: _call_shape,
            ast.keyword: _keyword_shape,
        }
    )
)
"""The syntax whitelist: node type -> rule; every other node type is refused."""


def _check_shape(tree: ast.Expression, source: _Source) -> None:
    """Refuse the leftmost construct that is not on the whitelist (outermost on ties)."""
    found = []
    for node in ast.walk(tree):
        problem = _SHAPE_RULES.get(type(node), _refused_shape)(node, source)
        if problem is not None:
            found.append(problem)
    if found:
        offset, reason = min(found, key=lambda problem: problem[0])
        raise _Refusal(reason, offset)


# --------------------------------------------------------------------------------------------
# Resource guards for powers and for the results of every operation
# --------------------------------------------------------------------------------------------

_LOG10_2 = math.log10(2)
_UNDEFINED = (sympy.S.ComplexInfinity, sympy.S.NaN, sympy.S.Infinity, sympy.S.NegativeInfinity)


def _log10_size(number: sympy.Number) -> float:
    """Roughly how many decimal digits ``number`` has (for floats: |decimal exponent|)."""
    if number.is_zero:
        return 0.0
    if isinstance(number, sympy.Rational):
        return max(math.log10(abs(number.p)), math.log10(number.q))
    return abs(float(mpmath.mag(number))) * _LOG10_2


def _digit_count(number: sympy.Rational) -> int:
    """Decimal digits of the larger of numerator and denominator."""
    return int(_log10_size(number)) + 1


def _numeric_factors(base: sympy.Expr) -> Iterator[tuple[sympy.Number, sympy.Number]]:
    """Pairs (b, s) for the factors ``b**s`` of ``base`` whose base and exponent are numbers."""
    for factor in sympy.Mul.make_args(base):
        if factor.is_Number:
            yield factor, sympy.Integer(1)
        elif factor.is_Pow and factor.base.is_Number and factor.exp.is_Number:
            yield factor.base, factor.exp


def _power_problem(base: sympy.Expr, exponent: sympy.Expr) -> str | None:
    """Why ``base**exponent`` must not be built, checked before SymPy evaluates anything."""
    if base == sympy.E:
        return _exp_problem(exponent)
    if not exponent.is_Number:
        return None
    if abs(exponent) > MAX_EXPONENT:
        shown = str(exponent) if len(str(exponent)) <= 20 else "of this size"
        return f"exponent {shown} is too large (the limit is {MAX_EXPONENT})"
    for number, inner in _numeric_factors(base):
        problem = _numeric_power_problem(number, inner * exponent)
        if problem is not None:
            return problem
    for factor in sympy.Mul.make_args(base):
        if isinstance(factor, sympy.exp):
            problem = _exp_problem(sympy.Mul(factor.args[0], exponent))
            if problem is not None:
                return problem
    return None


def _numeric_power_problem(number: sympy.Number, exponent: sympy.Number) -> str | None:
    """Why the number ``number**exponent`` would be too costly to compute."""
    digits = float(abs(exponent)) * _log10_size(number)
    if digits > MAX_DIGITS:
        return f"the result would have about {digits:.0f} digits (the limit is {MAX_DIGITS})"
    if isinstance(number, sympy.Rational) and isinstance(exponent, sympy.Rational):
        size = exponent.q * _digit_count(number)
        if exponent.q > 1 and size > MAX_ROOT_SIZE:
            return (
                f"an exact root of degree {exponent.q} of a {_digit_count(number)}-digit "
                f"number is too costly (degree times digits must be at most {MAX_ROOT_SIZE}); "
                "write the exponent as a decimal instead, e.g. 0.25 for 1/4"
            )
    return None


def _numeric_size(expr: sympy.Expr) -> float:
    """|value| of a number-only expression as a float (``inf`` when it overflows).

    Only called on expressions the guards already let through, so evaluating them is cheap.
    """
    try:
        return abs(float(expr.evalf(20)))
    except (TypeError, ValueError, OverflowError):
        return math.inf


def _exp_problem(argument: sympy.Expr) -> str | None:
    """Refuse ``exp`` of a constant beyond float64's range (SymPy would otherwise chase such
    numbers through nested functions for seconds), and guard ``exp(c*log(b))``, which SymPy
    rewrites as ``b**c``, like any other power."""
    if not argument.free_symbols and _numeric_size(argument) > MAX_EXP_ARGUMENT:
        return (
            f"exp of a constant beyond ±{MAX_EXP_ARGUMENT} is outside float64's range; "
            "use a smaller number"
        )
    for term in sympy.Add.make_args(argument):
        coefficient, rest = term.as_coeff_Mul()
        logs = rest.atoms(sympy.log)
        if logs:
            base = sympy.Mul(*(log.args[0] for log in logs), evaluate=False)
            problem = _power_problem(base, coefficient)
            if problem is not None:
                return problem
    return None


_FUNCTION_GUARDS: Mapping[str, Callable[[sympy.Expr], str | None]] = types.MappingProxyType(
    {
        "sqrt": lambda x: _power_problem(x, sympy.Rational(1, 2)),
        "exp": _exp_problem,
        "sinh": _exp_problem,
        "cosh": _exp_problem,
        "sigmoid": lambda x: _exp_problem(sympy.Mul(sympy.Integer(-1), x)),
        "softplus": _exp_problem,
    }
)


_UNDEFINED_VALUE = "undefined"
_NON_REAL_VALUE = "non-real"


def _size_problem(expr: sympy.Expr) -> str | None:
    """Why a freshly built expression is unusable: ``_UNDEFINED_VALUE`` (``zoo``, ``nan``,
    ``oo``), ``_NON_REAL_VALUE`` (contains ``I``), or a reason naming a huge number/power."""
    for sub in sympy.preorder_traversal(expr):
        if sub in _UNDEFINED:
            return _UNDEFINED_VALUE
        if sub is sympy.I:
            return _NON_REAL_VALUE
        if sub.is_Number and _log10_size(sub) > MAX_DIGITS:
            return f"a number in the result would have more than {MAX_DIGITS} digits"
        if sub.is_Pow and sub.exp.is_Number and abs(sub.exp) > MAX_EXPONENT:
            return f"a combined exponent is too large (the limit is {MAX_EXPONENT})"
    return None


# --------------------------------------------------------------------------------------------
# The visitor that builds SymPy
# --------------------------------------------------------------------------------------------


def _suggestion(name: str, candidates: Sequence[str]) -> str:
    """``"; did you mean 'exp'?"`` when a close match exists, else ``""``."""
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def _negate(value: sympy.Expr) -> sympy.Expr:
    return sympy.Mul(sympy.Integer(-1), value)


def _subtract(left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    return sympy.Add(left, _negate(right))


def _identity(value: sympy.Expr) -> sympy.Expr:
    return value


_ARITHMETIC: Mapping[type[ast.operator], Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = (
    types.MappingProxyType({ast.Add: sympy.Add, ast.Sub: _subtract, ast.Mult: sympy.Mul})
)
"""Operators that cannot fail on finite operands (``/`` and ``**`` are guarded separately)."""

_UNARY: Mapping[type[ast.unaryop], Callable[[sympy.Expr], sympy.Expr]] = types.MappingProxyType(
    {ast.USub: _negate, ast.UAdd: _identity}
)

_CHAINS = ((ast.Add, ast.Sub), (ast.Mult, ast.Div))
"""Left-associative operator families; a chain such as ``a + b - c`` counts as one level."""


class _Builder:
    """Builds the SymPy expression for a shape-checked tree, one handler per node type."""

    _HANDLERS: ClassVar[Mapping[type[ast.AST], Callable[[_Builder, Any, int], sympy.Expr]]]

    def __init__(self, source: _Source, params: frozenset[str] | None) -> None:
        self.source = source
        self.params = params
        self.names: set[str] = set()

    def visit(self, node: ast.AST, depth: int) -> sympy.Expr:
        """Build ``node`` at nesting ``depth`` (the body of the tree is depth 1)."""
        if depth > MAX_DEPTH:
            raise _Refusal(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        handler = self._HANDLERS.get(type(node))
        if handler is None:
            offset, reason = _refused_shape(node, self.source) or (0, "unexpected syntax")
            raise _Refusal(reason, offset)
        return handler(self, node, depth)

    def _expression(self, node: ast.Expression, depth: int) -> sympy.Expr:
        return self.visit(node.body, depth + 1)

    def _constant(self, node: ast.Constant, depth: int) -> sympy.Expr:
        reason = _constant_problem(node.value)
        if reason is not None:
            raise _Refusal(reason, self.source.start(node))
        if isinstance(node.value, int):
            return sympy.Integer(node.value)
        return sympy.Float(node.value)

    # -- names ---------------------------------------------------------------------------------

    def _name(self, node: ast.Name, depth: int) -> sympy.Expr:
        name, offset = node.id, self.source.start(node)
        if name in ALLOWED_FUNCTIONS:
            raise _Refusal(
                f"'{name}' is a function; call it with an argument, e.g. {name}(x)", offset
            )
        if self.params is not None:
            return self._declared_name(name, offset, self.params)
        if name in CONSTANTS:
            return CONSTANTS[name]
        self.names.add(name)
        return make_symbol(name)

    def _declared_name(self, name: str, offset: int, params: frozenset[str]) -> sympy.Expr:
        if name in params:
            self.names.add(name)
            return make_symbol(name)
        if name in CONSTANTS:
            return CONSTANTS[name]
        known = sorted(params)
        listed = ", ".join(known) if known else "none"
        hint = _suggestion(name, known + [c for c in CONSTANTS if c not in params])
        raise _Refusal(f"unknown name '{name}' (parameters: {listed}){hint}", offset)

    # -- operators -----------------------------------------------------------------------------

    def _binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        if isinstance(node.op, ast.Pow):
            base = self.visit(node.left, depth + 1)
            return self._power(node, base, self.visit(node.right, depth + 1))
        family = next((ops for ops in _CHAINS if isinstance(node.op, ops)), None)
        if family is None:  # already refused by the shape check
            raise _Refusal(_REFUSED_OPERATORS.get(type(node.op), "operator not allowed"))
        chain = [node]  # walk down the left spine iteratively: a+b+c+... must not recurse
        while isinstance(chain[-1].left, ast.BinOp) and isinstance(chain[-1].left.op, family):
            chain.append(chain[-1].left)
        result = self.visit(chain[-1].left, depth + 1)
        for link in reversed(chain):
            result = self._arithmetic(link, result, self.visit(link.right, depth + 1))
        return result

    def _arithmetic(self, node: ast.BinOp, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
        build = _ARITHMETIC.get(type(node.op))
        if build is not None:
            return self._checked(build(left, right), node)
        self._guard_power(node, right, sympy.Integer(-1))
        quotient = sympy.Mul(left, sympy.Pow(right, sympy.Integer(-1)))
        return self._checked(quotient, node, "division by zero", "division by zero")

    def _power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        self._guard_power(node, base, exponent)
        undefined = "division by zero (0 raised to a negative power)"
        return self._checked(sympy.Pow(base, exponent), node, undefined)

    def _guard_power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> None:
        problem = _power_problem(base, exponent)
        if problem is not None:
            raise _Refusal(problem, self._operator_offset(node))

    def _unaryop(self, node: ast.UnaryOp, depth: int) -> sympy.Expr:
        build = _UNARY.get(type(node.op))
        if build is None:  # already refused by the shape check
            reason = _REFUSED_OPERATORS.get(type(node.op), "operator not allowed")
            raise _Refusal(reason, self.source.start(node))
        return build(self.visit(node.operand, depth + 1))

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, node: ast.Call, depth: int) -> sympy.Expr:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in ALLOWED_FUNCTIONS:
            refused = _call_shape(node, self.source)  # the shape check already refused these
            offset, reason = refused or (self.source.start(node), "this call is not allowed")
            raise _Refusal(reason, offset)
        name, offset = func.id, self.source.start(node)
        spec = ALLOWED_FUNCTIONS[name]
        if not spec.arity.accepts(len(node.args)):
            raise _Refusal(f"{name} takes {spec.arity.describe()}, got {len(node.args)}", offset)
        args = [self.visit(arg, depth + 1) for arg in node.args]
        guard = _FUNCTION_GUARDS.get(name)
        too_costly = None if guard is None else guard(args[0])
        if too_costly is not None:
            raise _Refusal(too_costly, offset)
        return self._checked(
            spec.build(*args),
            node,
            f"{name} is undefined at this value",
            f"{name} of this value is not a real number",
        )

    # -- checks --------------------------------------------------------------------------------

    def _operator_offset(self, node: ast.BinOp) -> int:
        return self.source.find(_OPERATOR_SYMBOLS[type(node.op)], node.left, node)

    def _checked(
        self,
        expr: sympy.Expr,
        node: ast.AST,
        undefined: str = "the value is undefined",
        non_real: str = "the value is not a real number",
    ) -> sympy.Expr:
        """Refuse an undefined (``zoo``, ``nan``, ``oo``), non-real or oversized result."""
        offset = (
            self._operator_offset(node) if isinstance(node, ast.BinOp) else self.source.start(node)
        )
        problem = _size_problem(expr)
        if problem == _UNDEFINED_VALUE:
            raise _Refusal(undefined, offset)
        if problem == _NON_REAL_VALUE or (not expr.free_symbols and expr.is_extended_real is False):
            raise _Refusal(non_real, offset)
        if problem is not None:
            raise _Refusal(problem, offset)
        return expr

    _HANDLERS = types.MappingProxyType(
        {
            ast.Expression: _expression,
            ast.Constant: _constant,
            ast.Name: _name,
            ast.BinOp: _binop,
            ast.UnaryOp: _unaryop,
            ast.Call: _call,
        }
    )


def _reserved_problem(name: str) -> str | None:
    """Why ``name`` can never be used (``_private``, built-ins, module names), or None."""
    if name.startswith("_"):
        return f"name '{name}' is not allowed; names must not start with '_'"
    if name in RESERVED_NAMES:
        return f"'{name}' is a reserved name; choose another name"
    return None


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a parameter, or None."""
    if name in ALLOWED_FUNCTIONS:
        return f"'{name}' is a function name and cannot be a parameter"
    return _reserved_problem(name)


def _normalize_params(text: str, params: Sequence[str]) -> frozenset[str]:
    """Validate declared parameter names (NFKC-normalised like Python identifiers)."""
    if isinstance(params, str):
        raise TypeError("params must be a sequence of names, not a single string")
    names = set()
    for raw in params:
        name = unicodedata.normalize("NFKC", raw)
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(text, f"parameter name {raw!r} is not a valid name")
        problem = _name_problem(name)
        if problem is not None:
            raise ExpressionError(text, f"parameter {problem}")
        names.add(name)
    return frozenset(names)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def parse_expression(text: str, params: Sequence[str] | None = None) -> ParsedExpression:
    """Parse untrusted ``text`` into a SymPy expression without executing anything.

    Allowed: int and float literals (``3``, ``0.5``, ``1e-3``; ints become ``sympy.Integer``,
    floats become ``sympy.Float`` holding exactly the Python float's value, so ``0.1`` stays the
    float ``0.1`` when lambdified); parameter names (any Python identifier, e.g. ``theta`` or
    ``θ``, NFKC-normalised as Python does); the constants ``pi`` and ``e``; ``+ - * / **``
    and unary ``-``/``+``; calls of the functions in :data:`ALLOWED_FUNCTIONS` with positional
    arguments. Everything else is refused with an :class:`~tutor.errors.ExpressionError`.

    Args:
        text: the expression, at most :data:`MAX_LENGTH` characters.
        params: ``None``: every identifier that is not a function, constant or reserved name
            becomes a real parameter symbol. Otherwise only these names may occur (others are
            refused, listing the allowed ones); a parameter named ``e`` or ``pi`` hides the
            constant.

    Numeric sub-expressions must be finite and real (``1/0``, ``log(0)`` and ``sqrt(-1)`` are
    refused); numeric exponents are limited to :data:`MAX_EXPONENT`, numbers to
    :data:`MAX_DIGITS` digits and nesting to :data:`MAX_DEPTH`. An expression without
    parameters (``"3"``) is accepted; callers decide whether that is meaningful.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    declared = None if params is None else _normalize_params(text, params)
    try:
        _check_text(text)
        source = _Source(text)
        tree = _parse_tree(source)
        _check_shape(tree, source)
        builder = _Builder(source, declared)
        expr = builder.visit(tree, 0)
    except _Refusal as refusal:
        column = None if refusal.offset is None else refusal.offset + 1
        raise ExpressionError(text, refusal.reason, column) from None
    except (RecursionError, MemoryError, ArithmeticError, ValueError):
        raise ExpressionError(text, "the expression is too large or complex to handle") from None
    return ParsedExpression(text=text, expr=expr, names=tuple(sorted(builder.names)))
