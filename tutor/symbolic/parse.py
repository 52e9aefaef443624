"""Safe parsing of untrusted loss expressions into SymPy, in one pass over Python's syntax tree.

Loss expressions arrive from command lines, exercise files and student answers, so the text is
never executed or handed to SymPy's string parser. After cheap text checks (length, blank text,
control characters, bracket nesting), ``ast.parse(text, mode="eval")`` builds a syntax tree,
running nothing, and one visitor walks it once, a handler per node type, building SymPy from
``Symbol``/``Integer``/``Float``/``Add``/``Mul``/``Pow`` and whitelisted functions. Any other
node (attributes other than ``.T``, indexing, strings, comparisons, ``^``...) is refused there.

Each entry of a built value carries a summary (:class:`_Term`): its SymPy form, its float64
value when it is a number, and a bound on its size. A new entry is checked from its parts'
summaries before SymPy builds it: number-only parts are computed in float64, so ``1/0``,
``log(0)``, ``sqrt(-1)``, ``(-8)**(1/3)`` and ``exp(1000)`` are refused while the tree keeps
SymPy's exact numbers (``x**(1/3)`` differentiates to ``1/(3*x**(2/3))``); powers are guarded
(``|exponent| <= MAX_EXPONENT``, at most ``MAX_DIGITS`` digits, exact roots only while cheap);
then only the top of the new node is inspected (``zoo``, ``I``, ``x**1000*x**1000``). A chain
``a + b - c + ...`` is built with one ``Add`` call: the work grows with the text, not its square.
Vectors and matrices are handled by :mod:`tutor.symbolic.arrays`; each entry gets these checks.
The checks of the text and the messages for refused syntax live in :mod:`tutor.symbolic.source`,
the guards on numbers in :mod:`tutor.symbolic.guards`.

Every refusal is an :class:`~tutor.errors.ExpressionError` whose one-line reason names the bad part
and the fix; ``column`` is the 1-based character offset of the offending part in the original text
(counted across the whole text if it spans several lines), or ``None`` for global problems.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import functools
import keyword
import math
import operator
import types
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
import sympy

from tutor.errors import ExpressionError
from tutor.symbolic import arrays
from tutor.symbolic.arrays import ARRAY_FUNCTIONS, MAX_ENTRIES, MAX_OPERATIONS, Arity, Array
from tutor.symbolic.guards import (
    MAX_DIGITS,
    MAX_EXP_ARGUMENT,
    MAX_EXPONENT,
    MAX_ROOT_SIZE,
    NON_REAL,
    TOO_LARGE,
    UNDEFINED,
    exp_problem,
    float64,
    inspect_top,
    power64,
    power_problem,
)
from tutor.symbolic.source import (
    HINT,
    MAX_DEPTH,
    MAX_LENGTH,
    OPERATORS,
    Refusal,
    Source,
    refused_node,
    refused_operator,
)

if TYPE_CHECKING:
    from tutor.engine.layout import Layout

__all__ = [
    "ALLOWED_FUNCTIONS",
    "ARRAY_FUNCTIONS",
    "CONSTANTS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_ENTRIES",
    "MAX_EXPONENT",
    "MAX_EXP_ARGUMENT",
    "MAX_LENGTH",
    "MAX_LITERAL_DIGITS",
    "MAX_NAME_LENGTH",
    "MAX_OPERATIONS",
    "MAX_ROOT_SIZE",
    "RESERVED_NAMES",
    "Arity",
    "FunctionSpec",
    "ParsedExpression",
    "data_number",
    "make_symbol",
    "name_problem",
    "parse_expression",
]

MAX_LITERAL_DIGITS = 100
"""Longest accepted integer literal, in digits."""
MAX_NAME_LENGTH = 64
"""Longest accepted name, in characters."""
MAX_EVALUATED_SIZE = 64
"""SymPy's functions analyse their argument (``abs(-x)`` becomes ``abs(x)``) at a cost that grows
with it; larger arguments with parameters are left as written (same value, same derivative)."""


# --- Functions, constants and names -------------------------------------------------------------


class FunctionSpec(NamedTuple):
    """A whitelisted function: its arity and a builder taking SymPy arguments."""

    arity: Arity
    build: Callable[..., sympy.Expr]


def _negate(x: sympy.Expr) -> sympy.Expr:
    return sympy.Mul(sympy.Integer(-1), x)


_ONE, _TWO_OR_MORE = Arity(1, 1), Arity(2, None)


class _Function(NamedTuple):
    """An element-wise function: its arity, its SymPy builder, itself in float64, and a guard of
    ``(expr, value)`` run before SymPy evaluates it (it would compute huge numbers, exact roots)."""

    arity: Arity
    build: Callable[..., sympy.Expr]
    compute: Callable[..., Any]
    guard: Callable[[sympy.Expr, float | None], str | None] | None = None


_FUNCTIONS: Mapping[str, _Function] = {
    "abs": _Function(_ONE, sympy.Abs, abs),
    "cos": _Function(_ONE, sympy.cos, math.cos),
    "cosh": _Function(_ONE, sympy.cosh, math.cosh, exp_problem),
    "exp": _Function(_ONE, sympy.exp, math.exp, exp_problem),
    "log": _Function(
        _ONE, sympy.log, lambda v: math.log(v) if v > 0 else 1j if v < 0 else math.nan
    ),
    "max": _Function(_TWO_OR_MORE, sympy.Max, max),
    "min": _Function(_TWO_OR_MORE, sympy.Min, min),
    "sigmoid": _Function(
        _ONE,
        lambda x: sympy.Pow(sympy.Add(sympy.Integer(1), sympy.exp(_negate(x))), -1),
        lambda v: 1.0 / (1.0 + math.exp(-v)),
        lambda x, v: exp_problem(_negate(x), None if v is None else -v),
    ),
    "sin": _Function(_ONE, sympy.sin, math.sin),
    "sinh": _Function(_ONE, sympy.sinh, math.sinh, exp_problem),
    "softplus": _Function(
        _ONE,
        lambda x: sympy.log(sympy.Add(sympy.Integer(1), sympy.exp(x))),
        lambda v: math.log1p(math.exp(v)),
        exp_problem,
    ),
    "sqrt": _Function(
        _ONE,
        sympy.sqrt,
        lambda v: math.sqrt(v) if v >= 0 else 1j,
        lambda x, v: power_problem(x, sympy.Rational(1, 2), 0.5),
    ),
    "tan": _Function(_ONE, sympy.tan, math.tan),
    "tanh": _Function(_ONE, sympy.tanh, math.tanh),
}
ALLOWED_FUNCTIONS: Mapping[str, FunctionSpec] = types.MappingProxyType(
    {name: FunctionSpec(f.arity, f.build) for name, f in _FUNCTIONS.items()}
)
"""The element-wise functions: name -> (arity, builder). ``log`` is the natural log, ``abs`` is
``sympy.Abs``, ``sigmoid(x) = 1/(1 + exp(-x))``, ``softplus(x) = log(1 + exp(x))``; ``max`` and
``min`` take two or more arguments. On vectors and matrices they apply entry by entry; the
functions of whole arrays (``sum``, ``dot``, ...) are :data:`ARRAY_FUNCTIONS`."""

CONSTANTS: Mapping[str, sympy.Expr] = types.MappingProxyType({"e": sympy.E, "pi": sympy.pi})
"""Named constants. A parameter or data array with the same name takes precedence."""

_SYNONYMS: Mapping[str, str] = types.MappingProxyType(
    {
        **{"ln": "use log, the natural logarithm", "relu": "write max(x, 0)", "pow": "write x**y"},
        **dict.fromkeys(("expit", "logistic"), "did you mean sigmoid?"),
        **dict.fromkeys(("fabs", "absolute"), "did you mean abs?"),
    }
)
"""Function names from other tools that mean one of ours, with what to write instead."""

_FUNCTION_NAMES = ALLOWED_FUNCTIONS.keys() | ARRAY_FUNCTIONS.keys()
_MODULES = {"cupy", "jax", "math", "mpmath", "np", "numexpr", "numpy", "scipy", "sympy", "torch"}
_SITE = {"copyright", "credits", "exit", "help", "license", "quit", "tensorflow"}
_SYMPY = {"lambdify", "parse_expr", "simplify", "sympify"}
RESERVED_NAMES: frozenset[str] = (
    frozenset({n for n in dir(builtins) if not n.startswith("_")} | _SITE | _MODULES | _SYMPY)
    - ALLOWED_FUNCTIONS.keys()
)
"""Names refused as parameters: Python built-ins (``eval``, ``open``, ...), module names that
generated numeric code relies on (``numpy``, ``math``, ...) and SymPy entry points."""


def make_symbol(name: str) -> sympy.Symbol:
    """The symbol of parameter ``name`` (or of entry ``"W[0,1]"``): ``Symbol(name, real=True)``."""
    return sympy.Symbol(name, real=True)


def data_number(value: float) -> sympy.Expr:
    """The exact SymPy number of one data entry: ``Integer`` for integral values up to 2**53 (so
    gradients print ``2*x``, not ``2.0*x``), else ``Float`` holding exactly the float64. Either
    way, the compiled loss computes with the same float64 numbers NumPy would."""
    if value.is_integer() and abs(value) <= 2**53:
        return sympy.Integer(int(value))
    return sympy.Float(value)


def name_problem(name: str, role: str = "a parameter") -> str | None:
    """Why ``name`` cannot be a parameter (or ``role``, e.g. ``"a data name"``), else ``None``:
    ``"'exp' is a function name and cannot be a parameter"``."""
    if not name.isidentifier() or keyword.iskeyword(name):
        return f"{name!r} is not a valid name"
    name = unicodedata.normalize("NFKC", name)
    if name in _FUNCTION_NAMES and name not in RESERVED_NAMES:  # 'sum' is a reserved name
        return f"'{name}' is a function name and cannot be {role}"
    if name.startswith("_"):
        return f"name '{name}' is not allowed; names must not start with '_'"
    if name in RESERVED_NAMES:
        return f"'{name}' is a reserved name; choose another name"
    if len(name) > MAX_NAME_LENGTH:
        return f"name is too long ({len(name)} characters; the limit is {MAX_NAME_LENGTH})"
    return None


@dataclass(frozen=True)
class ParsedExpression:
    """The result of :func:`parse_expression`.

    Attributes:
        text: the original text.
        expr: the SymPy expression, a single number; parameters are :func:`make_symbol` symbols
            (the entries of a shaped parameter ``W`` are ``W[0,0]``, ``W[0,1]``, ...).
        names: the parameter names written in the text, sorted. This can include names that
            cancel out of ``expr`` (``x - x`` gives ``expr == 0`` and ``names == ("x",)``).
        shapes: ``(name, shape)`` for each name in ``names`` that is not a scalar.
    """

    text: str
    expr: sympy.Expr
    names: tuple[str, ...]
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def layout(self) -> Layout:
        """The engine layout of ``names``, in sorted order, with their shapes."""
        from tutor.engine.layout import Layout  # the engine package loads every optimizer

        return Layout.of((name, dict(self.shapes).get(name, ())) for name in self.names)


def _suggestion(name: str, candidates: Sequence[str]) -> str:
    """``"; did you mean 'exp'?"`` when a close match exists, else ``""``."""
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def _unknown_function(name: str, shaped: bool) -> str:
    """``unknown function 'expp' (allowed: ...); did you mean 'exp'?``, with array functions."""
    if name in _SYNONYMS:
        return f"'{name}' is not a function here; {_SYNONYMS[name]}"
    allowed = ", ".join(ALLOWED_FUNCTIONS)
    if shaped:
        allowed += "; of vectors and matrices: " + ", ".join(ARRAY_FUNCTIONS)
    hint = _suggestion(name, sorted(_FUNCTION_NAMES))
    if not hint and name_problem(name) is None:
        hint = f"; to multiply, write {name}*(...)"
    return f"unknown function '{name}' (allowed: {allowed}){hint}"


# --- The visitor --------------------------------------------------------------------------------


class _Term(NamedTuple):
    """One entry of a built value: its SymPy form, its float64 value when it is a number
    (``None`` when it depends on a parameter), and a bound on its size in SymPy nodes."""

    expr: sympy.Expr
    value: float | None
    size: int


def _term(expr: sympy.Expr, value: float | None, size: int) -> _Term:
    """A term whose value, when unknown, is still found if SymPy reduced it to a number."""
    if value is None and expr.is_Atom and not expr.is_Symbol:  # x - x, x**0
        value = float64(float, expr)
    return _Term(expr, value, 1 if expr.is_Atom else size)


class _Op(NamedTuple):
    """How an entry is made: ``build`` from its parts' SymPy forms, ``compute`` from their float64
    values (``nan`` where undefined, complex where not real), and the reasons for those two."""

    build: Callable[..., sympy.Expr]
    compute: Callable[..., Any]
    undefined: str = "the value is undefined"
    non_real: str = "the value is not a real number"

    def reason(self, kind: str) -> str:  # of what inspect_top found
        return {UNDEFINED: self.undefined, NON_REAL: self.non_real}.get(kind, kind)


_NEGATE, _MULTIPLY = _Op(_negate, operator.neg), _Op(sympy.Mul, operator.mul)
_ADD = _Op(sympy.Add, lambda *values: math.fsum(values))
_POWER = _Op(sympy.Pow, power64, "division by zero (0 raised to a negative power)")
_ADDITIVE, _MULTIPLICATIVE = (ast.Add, ast.Sub), (ast.Mult, ast.Div)
_LINKS: Mapping[type[ast.AST], tuple[_Op, Callable[[sympy.Expr], sympy.Expr]]] = {
    ast.Add: (_Op(sympy.Add, operator.add), lambda b: b),
    ast.Sub: (_Op(sympy.Add, operator.sub), _negate),
    ast.Mult: (_Op(sympy.Mul, operator.mul), lambda b: b),
    ast.Div: (_Op(sympy.Mul, operator.truediv), lambda b: sympy.Pow(b, -1)),
}
"""Each link ``a ∘ b`` of a chain: how it combines (SymPy's for the whole chain, float64's for
the link), and the part of ``b`` in the chain (``-b`` for ``- b``, ``b**-1`` for ``/ b``)."""
Value = Array[_Term]


@dataclass
class _Builder:
    """Builds the value of each node from its children's, one handler per node type, knowing the
    declared parameters (``None``: any name), shapes and data arrays."""

    _HANDLERS: ClassVar[Mapping[type[ast.AST], Callable[[_Builder, Any, int], Value]]]
    source: Source
    params: frozenset[str] | None
    shapes: dict[str, tuple[int, ...]]
    data: dict[str, np.ndarray]
    names: set[str] = field(default_factory=set)  # the parameters written in the text
    ops: arrays.Operations = field(default_factory=arrays.Operations)
    _grids: dict[str, Value] = field(default_factory=dict)

    def visit(self, node: ast.AST, depth: int) -> Value:
        """Build ``node`` at nesting ``depth`` (1: the body); shape problems are refused at it."""
        if depth > MAX_DEPTH:
            raise Refusal(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        handler = self._HANDLERS.get(type(node))
        if handler is None:
            raise refused_node(node, self.source)
        try:
            return handler(self, node, depth)
        except arrays.ShapeError as error:
            raise Refusal(error.reason, None if error.whole else self.source.where(node)) from None

    def _number(self, node: ast.AST, op: _Op, *args: Any) -> float:
        """``op`` computed in float64, refused at ``node`` unless it is a finite real number."""
        value = float64(op.compute, *args)
        if isinstance(value, complex):
            raise Refusal(op.non_real, self.source.where(node))
        if not math.isfinite(value):
            reason = op.undefined if math.isnan(value) else TOO_LARGE
            raise Refusal(reason, self.source.where(node))
        return value

    def _entry(self, node: ast.AST, op: _Op, *terms: _Term) -> _Term:
        """A new entry made by ``op`` from ``terms``: its float64 value when all are numbers, then
        its SymPy form, each refused at ``node`` when undefined, not real or too large."""
        values = [t.value for t in terms]
        value = None if None in values else self._number(node, op, *values)
        expr = op.build(*(t.expr for t in terms))
        found = inspect_top(expr)
        if found is not None:
            raise Refusal(op.reason(found[0]), self.source.where(node))
        return _term(expr, value, 1 + sum(t.size for t in terms))

    def _function(self, node: ast.AST, name: str, args: Sequence[_Term]) -> _Term:
        """One entry of an element-wise function: guarded, computed in float64 when every
        argument is a number, and evaluated by SymPy only on small or number-only arguments
        (``max``/``min`` only on numbers: SymPy compares every pair of their arguments)."""
        spec = _FUNCTIONS[name]
        if name in ("max", "min"):
            evaluate = all(t.expr.is_Number for t in args)
        else:
            evaluate = all(t.value is not None or t.size <= MAX_EVALUATED_SIZE for t in args)
        guard = spec.guard if evaluate else None
        problem = guard(args[0].expr, args[0].value) if guard is not None else None
        if problem is not None:
            raise Refusal(problem, self.source.where(node))
        undefined = f"{name} is undefined at this value"
        op = _Op(spec.build, spec.compute, undefined, f"{name} of this value is not a real number")
        with sympy.evaluate(evaluate):
            return self._entry(node, op, *args)

    def _constant(self, node: ast.Constant, depth: int) -> Value:
        """An int of at most :data:`MAX_LITERAL_DIGITS` digits or a finite float."""
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            reason = f"'{'...' if value is Ellipsis else repr(value)}' is not allowed; {HINT}"
        elif isinstance(value, int) and len(str(abs(value))) > MAX_LITERAL_DIGITS:
            digits = len(str(abs(value)))
            reason = f"integer literal has {digits} digits (the limit is {MAX_LITERAL_DIGITS})"
        elif isinstance(value, (int, float)):
            if math.isfinite(value):
                number = sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
                return Array((), (_Term(number, float(value), 1),))
            reason = "number is too large for a float"
        elif isinstance(value, complex):
            reason = "complex numbers such as 1j are not allowed"
        elif isinstance(value, (str, bytes)):
            reason = "strings are not allowed; " + HINT
        else:
            reason = f"literal of type {type(value).__name__} is not allowed"
        raise Refusal(reason, self.source.start(node))

    def _name(self, node: ast.Name, depth: int) -> Value:
        name, offset = node.id, self.source.start(node)
        if name in _FUNCTION_NAMES:
            reason = f"'{name}' is a function; call it with an argument, e.g. {name}(x)"
            raise Refusal(reason, offset)
        problem = name_problem(name)
        if problem is not None:
            raise Refusal(problem, offset)
        if self.params is None:
            declared = name not in CONSTANTS or name in self.shapes
        else:
            declared = name in self.params
        if declared or name in self.data:
            return self._grid(name)
        if name in CONSTANTS:
            return Array((), (_Term(CONSTANTS[name], float(CONSTANTS[name]), 1),))
        known, data = sorted(self.params or ()), sorted(self.data)
        listed = (", ".join(known) or "none") + ("; data: " + ", ".join(data) if data else "")
        hint = _suggestion(name, known + data + [c for c in CONSTANTS if c not in known])
        raise Refusal(f"unknown name '{name}' (parameters: {listed}){hint}", offset)

    def _grid(self, name: str) -> Value:
        """A data array's exact numbers, or a parameter's symbols (built once per name)."""
        if name not in self.data:
            self.names.add(name)
        if name not in self._grids:
            if name in self.data:
                values = self.data[name]
                entries = tuple(_Term(data_number(v), v, 1) for v in values.ravel().tolist())
                self._grids[name] = Array(values.shape, entries)
            else:
                shape = self.shapes.get(name, ())
                symbols = (make_symbol(c) for c in arrays.entry_names(name, shape))
                self._grids[name] = Array(shape, tuple(_Term(s, None, 1) for s in symbols))
        return self._grids[name]

    def _binop(self, node: ast.BinOp, depth: int) -> Value:
        for family in (_ADDITIVE, _MULTIPLICATIVE):
            if isinstance(node.op, family):
                return self._chain(node, depth, family)
        left = self.visit(node.left, depth + 1)
        if not isinstance(node.op, (ast.Pow, ast.MatMult)):
            raise Refusal(refused_operator(node.op), self.source.where(node))
        right = self.visit(node.right, depth + 1)
        if isinstance(node.op, ast.MatMult):
            return self.ops.matmul(_Scalars(self, node), left, right)
        shape, rows = self.ops.align((left, right), "**")
        return Array(shape, tuple(self._power(node, base, exponent) for base, exponent in rows))

    def _power(self, node: ast.BinOp, base: _Term, exponent: _Term) -> _Term:
        size = None if exponent.value is None else abs(exponent.value)
        problem = power_problem(base.expr, exponent.expr, size)
        if problem is not None:
            raise Refusal(problem, self.source.where(node))
        return self._entry(node, _POWER, base, exponent)

    def _chain(self, node: ast.BinOp, depth: int, family: tuple[type[ast.AST], ...]) -> Value:
        """``a + b - c + ...`` or ``a*b/c*...``: each link is checked on float64 values, then
        SymPy builds each entry once from all its parts (linear in the length of the chain)."""
        links: list[ast.BinOp] = []
        first: ast.expr = node
        while isinstance(first, ast.BinOp) and isinstance(first.op, family):
            links.append(first)
            first = first.left
        links.reverse()
        start = self.visit(first, depth + 1)
        shape, parts = start.shape, [[t.expr] for t in start.entries]
        values, sizes = [t.value for t in start.entries], [t.size for t in start.entries]
        for link in links:
            right, (op, part) = self.visit(link.right, depth + 1), _LINKS[type(link.op)]
            try:
                shape = self.ops.broadcast((shape, right.shape), OPERATORS[type(link.op)][0])
            except arrays.ShapeError as error:
                where = None if error.whole else self.source.where(link)
                raise Refusal(error.reason, where) from None
            count = math.prod(shape)
            if len(parts) < count:  # a number so far meets a vector or a matrix
                parts = [list(parts[0]) for _ in range(count)]
                values, sizes = values * count, sizes * count
            divide = isinstance(link.op, ast.Div)
            for i, term in enumerate(right.spread(count)):
                if divide and (term.value == 0 or (term.expr.is_Number and term.expr.is_zero)):
                    raise Refusal("division by zero", self.source.where(link))
                current, values[i] = values[i], None
                if current is not None and term.value is not None:
                    values[i] = self._number(link, op, current, term.value)
                parts[i].append(part(term.expr))
                sizes[i] += term.size
        build, entries = _LINKS[type(node.op)][0].build, []
        for entry, value, size in zip(parts, values, sizes, strict=True):
            expr = build(*entry)
            if build is sympy.Mul and inspect_top(expr) is not None:
                raise self._blame(entry, links)
            entries.append(_term(expr, value, size + 1))
        return Array(shape, tuple(entries))

    def _blame(self, parts: list[sympy.Expr], links: list[ast.BinOp]) -> Refusal:
        """A product that SymPy combined into something too large is refused at the first link
        after which the factors with the culprit's base are already too large together."""
        kind, culprit = inspect_top(sympy.Mul(*parts)) or (UNDEFINED, sympy.S.One)
        base, product = culprit.as_base_exp()[0], sympy.Integer(1)

        def related(factor: sympy.Expr) -> bool:
            return factor.is_Number if culprit.is_Number else factor.as_base_exp()[0] == base

        for index, part in enumerate(parts):
            product = sympy.Mul(product, *filter(related, sympy.Mul.make_args(part)))
            if index and inspect_top(product) is not None:
                return Refusal(_MULTIPLY.reason(kind), self.source.where(links[index - 1]))
        return Refusal(_MULTIPLY.reason(kind), self.source.where(links[-1]))

    def _unaryop(self, node: ast.UnaryOp, depth: int) -> Value:
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand, depth + 1)
        if not isinstance(node.op, ast.USub):
            raise Refusal(refused_operator(node.op), self.source.start(node))
        operand = self.visit(node.operand, depth + 1)
        return self.ops.map(operand, lambda t: self._entry(node, _NEGATE, t))

    def _attribute(self, node: ast.Attribute, depth: int) -> Value:
        if node.attr != "T":
            raise refused_node(node, self.source)
        return arrays.transpose(self.visit(node.value, depth + 1))

    def _call(self, node: ast.Call, depth: int) -> Value:
        func = node.func
        if not isinstance(func, ast.Name):
            self.visit(func, depth + 1)  # what is wrong inside is further left: report it first
            reason = "only named functions such as exp(x) can be called; use * to multiply, e.g. "
            raise Refusal(reason + "2*(x + 1)", self.source.find("(", func, node))
        if (func.lineno, func.col_offset) != (node.lineno, node.col_offset):
            reason = f"write the function name directly, as in {func.id}(x)"
            raise Refusal(reason, self.source.start(node))
        name = func.id
        if name not in _FUNCTION_NAMES:
            unknown = _unknown_function(name, bool(self.shapes or self.data))
            raise Refusal(unknown, self.source.start(func))
        refused = [a for a in node.args if isinstance(a, ast.Starred)] + list(node.keywords)
        if refused:
            first = min(refused, key=self.source.start)
            if not isinstance(first, ast.keyword):
                raise refused_node(first, self.source)
            what = "'**' arguments" if first.arg is None else "keyword arguments"
            reason = f"{what} are not allowed; pass arguments by position"
            raise Refusal(reason, self.source.start(first))
        arity = (ALLOWED_FUNCTIONS.get(name) or ARRAY_FUNCTIONS[name]).arity
        if not arity.accepts(len(node.args)):
            reason = f"{name} takes {arity.describe()}, got {len(node.args)}"
            raise Refusal(reason, self.source.start(node))
        args = [self.visit(arg, depth + 1) for arg in node.args]
        if name in ARRAY_FUNCTIONS:
            return ARRAY_FUNCTIONS[name].apply(self.ops, _Scalars(self, node), *args)
        shape, rows = self.ops.align(args, name)
        return Array(shape, tuple(self._function(node, name, row) for row in rows))

    _HANDLERS = types.MappingProxyType(
        {
            ast.Expression: lambda self, node, depth: self.visit(node.body, depth + 1),
            ast.Constant: _constant,
            ast.Name: _name,
            ast.BinOp: _binop,
            ast.UnaryOp: _unaryop,
            ast.Call: _call,
            ast.Attribute: _attribute,
        }
    )


class _Scalars(NamedTuple):
    """:class:`~.arrays.Scalars` at ``node``: entries made and checked like every other."""

    builder: _Builder
    node: ast.AST

    def multiply(self, a: _Term, b: _Term) -> _Term:
        return self.builder._entry(self.node, _MULTIPLY, a, b)

    def add(self, terms: Sequence[_Term]) -> _Term:
        return self.builder._entry(self.node, _ADD, *terms)

    def divide(self, term: _Term, count: int) -> _Term:
        share = _Op(lambda s: sympy.Mul(sympy.Rational(1, count), s), lambda v: v / count)
        return self.builder._entry(self.node, share, term)

    def sqrt(self, term: _Term) -> _Term:
        return self.builder._function(self.node, "sqrt", (term,))


# --- Declarations and the entry point -----------------------------------------------------------


def _declarations(
    text: str, params: Sequence[str] | None, shapes: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[frozenset[str] | None, dict[str, tuple[int, ...]], dict[str, np.ndarray]]:
    """The declared names (NFKC-normalised like Python identifiers), shapes and data, checked by
    :func:`name_problem` and :func:`~.arrays.declare`."""
    if isinstance(params, str):
        raise TypeError("params must be a sequence of names, not a single string")
    nfkc = functools.partial(unicodedata.normalize, "NFKC")
    for raw in params or ():
        if not nfkc(raw).isidentifier() or keyword.iskeyword(nfkc(raw)):
            raise ExpressionError(text, f"parameter name {raw!r} is not a valid name")
        problem = name_problem(nfkc(raw))
        if problem is not None:
            raise ExpressionError(text, f"parameter {problem}")
    declared = None if params is None else frozenset(map(nfkc, params))
    shapes, data = ({nfkc(name): v for name, v in given.items()} for given in (shapes, data))
    try:
        return (declared, *arrays.declare(shapes, data, declared, name_problem))
    except arrays.ShapeError as error:
        raise ExpressionError(text, error.reason) from None


def parse_expression(
    text: str,
    params: Sequence[str] | None = None,
    *,
    shapes: Mapping[str, Sequence[int]] | None = None,
    data: Mapping[str, Any] | None = None,
) -> ParsedExpression:
    """Parse untrusted ``text`` into a SymPy expression without executing anything.

    Allowed: int and float literals (``3``, ``0.5``, ``1e-3``; ints become ``sympy.Integer``,
    floats ``sympy.Float`` holding exactly the Python float, so ``0.1`` stays the float ``0.1``
    when lambdified); names (any identifier, e.g. ``theta`` or ``θ``, NFKC-normalised as Python
    does); the constants ``pi`` and ``e``; ``+ - * / ** @``, unary ``-``/``+`` and ``.T``; calls
    of :data:`ALLOWED_FUNCTIONS` and :data:`ARRAY_FUNCTIONS` with positional arguments. The rest
    is refused with an :class:`~tutor.errors.ExpressionError`, and so are values that are not
    finite, real float64 numbers (``1/0``, ``log(0)``, ``sqrt(-1)``), exponents beyond
    :data:`MAX_EXPONENT`, nesting beyond :data:`MAX_DEPTH`, and a result that is not a single
    number. An expression without parameters (``"3"``) is accepted; callers decide whether that
    is meaningful.

    Args:
        text: the expression, at most :data:`MAX_LENGTH` characters.
        params: ``None``: every identifier that is not a function, constant, data or reserved
            name is a real parameter. Otherwise only these names may occur (others are refused,
            listing the allowed ones); a parameter named ``e`` or ``pi`` hides the constant.
        shapes: name -> shape of the parameters that are vectors or matrices, e.g.
            ``{"W": (2, 3), "b": (3,)}``; other parameters are scalars.
        data: name -> float64 array (0, 1 or 2 dimensions) of known numbers; their entries
            become exact numbers (see :func:`data_number`). Data names are not parameters.

    >>> parse_expression("sum((W @ x - y)**2)", shapes={"W": (1, 2)},
    ...                  data={"x": np.array([1.0, 2.0]), "y": np.array([3.0])}).expr
    (W[0,0] + 2*W[0,1] - 3)**2
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    declared = _declarations(text, params, shapes or {}, data or {})
    try:
        source = Source(text)
        builder = _Builder(source, *declared)
        value = builder.visit(source.tree(), 0)
        problem = arrays.loss_problem(value.shape)
        if problem is not None:
            raise Refusal(problem)
    except Refusal as refusal:
        column = None if refusal.offset is None else refusal.offset + 1
        raise ExpressionError(text, refusal.reason, column) from None
    except (RecursionError, MemoryError, ArithmeticError, ValueError):
        raise ExpressionError(text, "the expression is too large or complex to handle") from None
    names = tuple(sorted(builder.names))
    shaped = tuple((name, builder.shapes[name]) for name in names if name in builder.shapes)
    return ParsedExpression(text, value.entries[0].expr, names, shaped)
