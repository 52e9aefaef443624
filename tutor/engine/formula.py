"""Formulas as small expression trees: the one encoding that is printed, evaluated and compiled.

Each quantity of an optimizer step is a tree such as ``β₁·mₜ₋₁ + (1 − β₁)·gₜ``, built with ordinary
Python operators on :class:`Sym` leaves. The same tree

* prints as Unicode text or LaTeX, with or without this step's numbers in place of its symbols;
* evaluates on NumPy arrays (:meth:`Expr.evaluate`), one quantity at a time from given inputs;
* compiles into a closure (:func:`tutor.engine.compile.compile_expr`) that the engine runs.

So a number in a table and the formula beside it cannot disagree: both come from one tree.

Node kinds:

* arithmetic: :class:`Sym`, :class:`Num`, :class:`BinOp` (``+ - * / **``), :class:`Neg`;
* functions (:class:`Func`): element-wise (``sqrt abs sign exp log cos floor max min clamp``),
  reductions to one number per tensor (``sum mean norm absmax dot pnorm``; ``reached`` counts the
  milestones a step has passed) and matrix operations
  (``matmul transpose outer rowmean colmean solve``); only element-wise ones keep the engine's
  fast path;
* conditions: :class:`Compare` and :class:`Where` (RAdam's ``ρₜ > 5``, Rprop's sign rule);
* :class:`ByStep`: one formula at ``t = 1`` and another after (SGD's first momentum buffer);
* :class:`Computed`: prints one tree and evaluates another, for places where a reference
  implementation orders the arithmetic differently from the textbook formula (torch's Adam
  computes ``(η/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε)``, the textbook prints ``η·m̂/(√v̂ + ε)``).
  ``tests/test_formula.py`` holds every such pair together numerically.

Arithmetic is element-wise: on a parameter vector every formula applies to each coordinate.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Binding strength of each node kind, used to decide where printers need parentheses.
PREC_COND = 0
PREC_ADD = 1
PREC_MUL = 2
PREC_NEG = 3
PREC_POW = 4
PREC_ATOM = 5

ValueFormatter = Callable[[Any], str]
Env = Mapping[str, Any]


class Expr:
    """Base class of formula nodes; supports ``+ - * / **``, unary minus and ``@``."""

    precedence = PREC_ATOM
    shape_sensitive = False  # True for nodes that are not element-wise (reductions, matrices)

    # --- building ----------------------------------------------------------------------------

    def __add__(self, other: Expr | float) -> Expr:
        return BinOp("+", self, wrap(other))

    def __radd__(self, other: Expr | float) -> Expr:
        return BinOp("+", wrap(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return BinOp("-", self, wrap(other))

    def __rsub__(self, other: Expr | float) -> Expr:
        return BinOp("-", wrap(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return BinOp("*", self, wrap(other))

    def __rmul__(self, other: Expr | float) -> Expr:
        return BinOp("*", wrap(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return BinOp("/", self, wrap(other))

    def __rtruediv__(self, other: Expr | float) -> Expr:
        return BinOp("/", wrap(other), self)

    def __pow__(self, other: Expr | float) -> Expr:
        return BinOp("**", self, wrap(other))

    def __rpow__(self, other: Expr | float) -> Expr:
        return BinOp("**", wrap(other), self)

    def __neg__(self) -> Expr:
        return Neg(self)

    def __matmul__(self, other: Expr) -> Expr:
        return Func("matmul", (self, other))

    def __gt__(self, other: Expr | float) -> Expr:  # type: ignore[override]
        return Compare(">", self, wrap(other))

    def __lt__(self, other: Expr | float) -> Expr:  # type: ignore[override]
        return Compare("<", self, wrap(other))

    def __ge__(self, other: Expr | float) -> Expr:  # type: ignore[override]
        return Compare(">=", self, wrap(other))

    def __le__(self, other: Expr | float) -> Expr:  # type: ignore[override]
        return Compare("<=", self, wrap(other))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.plain()!r})"

    # --- structure ---------------------------------------------------------------------------

    def children(self) -> tuple[Expr, ...]:
        return ()

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return self

    @functools.cached_property
    def symbols(self) -> frozenset[str]:
        """Keys of every symbol the formula reads (printed or evaluated)."""
        return frozenset().union(*(child.symbols for child in self.children()))

    def walk(self) -> list[Expr]:
        """Every node, parents before children."""
        nodes: list[Expr] = []
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(reversed(node.children()))
        return nodes

    def transform(self, rule: Callable[[Expr], Expr | None]) -> Expr:
        """A copy in which every node for which ``rule`` returns a tree is replaced by it.

        Applied top-down: a replaced node's children are not visited. Used to build mistaken
        variants (swap β₁ and β₂, drop a term) and to resolve conditions for printing.
        """
        replaced = rule(self)
        if replaced is not None:
            return replaced
        children = self.children()
        if not children:
            return self
        new = tuple(child.transform(rule) for child in children)
        if all(a is b for a, b in zip(new, children, strict=True)):
            return self
        return self.with_children(new)

    def substitute(self, mapping: Mapping[str, Expr]) -> Expr:
        """The formula with each symbol whose key is in ``mapping`` replaced by its tree."""
        return self.transform(lambda node: mapping.get(node.key) if isinstance(node, Sym) else None)

    def uses_shapes(self) -> bool:
        """Whether any node is a reduction or matrix operation (not element-wise)."""
        return any(node.shape_sensitive for node in self.walk())

    def specialize(self, env: Env) -> Expr:
        """The formula as it applies to one step: :class:`ByStep` and :class:`Where` nodes whose
        condition is a single number in ``env`` are replaced by the branch taken, so the
        printed formula is the one that was computed."""

        def resolve(node: Expr) -> Expr | None:
            if isinstance(node, ByStep):
                return (node.first if env["t"] == 1 else node.later).specialize(env)
            if isinstance(node, Where):
                taken = node.decide(env)
                if taken is not None:
                    return (node.then if taken else node.otherwise).specialize(env)
            if isinstance(node, Computed):
                return node.shown.specialize(env)
            return None

        return self.transform(resolve)

    # --- numbers -----------------------------------------------------------------------------

    def evaluate(self, env: Env) -> Any:
        """The formula's value with each symbol looked up in ``env`` (NumPy broadcasting)."""
        raise NotImplementedError

    # --- printing ----------------------------------------------------------------------------

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        """Unicode text; with ``values``, each symbol is replaced by ``fmt(value)``."""
        raise NotImplementedError

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        """LaTeX source (math mode); with ``values``, symbols are replaced by ``fmt(value)``."""
        raise NotImplementedError


def wrap(value: Expr | float) -> Expr:
    return value if isinstance(value, Expr) else Num(float(value))


_SUPERSCRIPTS = str.maketrans("0123456789t+−-", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵗ⁺⁻⁻")


def _superscript(exponent: str) -> str:
    """``2`` as ``²`` and ``t`` as ``ᵗ``; anything longer as ``^(…)``."""
    if exponent and all(c in "0123456789t" for c in exponent):
        return exponent.translate(_SUPERSCRIPTS)
    return f"^{exponent}" if exponent.replace(".", "").isalnum() else f"^({exponent})"


def number_text(value: Any) -> str:
    """``2`` for 2.0, ``0.1`` for 0.1: the shortest exact text of a float."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


@dataclass(frozen=True, repr=False)
class Sym(Expr):
    """A named symbol: a hyper-parameter, a state or input value, or the step counter.

    Attributes:
        key: name used in environments (``"beta1"``, ``"m_prev"``).
        text: Unicode rendering (``"β₁"``).
        tex: LaTeX rendering (``r"\\beta_1"``).
    """

    key: str
    text: str
    tex: str

    @functools.cached_property
    def symbols(self) -> frozenset[str]:
        return frozenset((self.key,))

    def evaluate(self, env: Env) -> Any:
        return env[self.key]

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return fmt(values[self.key]) if values is not None else self.text

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return fmt(values[self.key]) if values is not None else self.tex


@dataclass(frozen=True, repr=False)
class Num(Expr):
    """A literal number such as the 1 in ``1 − β₁``."""

    value: float

    def evaluate(self, env: Env) -> Any:
        return np.float64(self.value)

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return number_text(self.value)

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return number_text(self.value)


BINARY: dict[str, tuple[int, Callable[[Any, Any], Any]]] = {
    "+": (PREC_ADD, operator.add),
    "-": (PREC_ADD, operator.sub),
    "*": (PREC_MUL, operator.mul),
    "/": (PREC_MUL, operator.truediv),
    "**": (PREC_POW, operator.pow),
}


@dataclass(frozen=True, repr=False)
class BinOp(Expr):
    """``left op right`` for op in ``+ - * / **`` (element-wise)."""

    op: str
    left: Expr
    right: Expr

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return BINARY[self.op][0]

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return BinOp(self.op, children[0], children[1])

    def evaluate(self, env: Env) -> Any:
        return BINARY[self.op][1](self.left.evaluate(env), self.right.evaluate(env))

    def _operands(
        self, render: Callable[[Expr], str], bracket: Callable[[str], str]
    ) -> tuple[str, str]:
        # Right operands of - and / need brackets at equal precedence; ** is right-associative;
        # a negated right operand is always bracketed: a·(−b), a − (−b).
        left_needs = self.left.precedence < self.precedence or (
            self.op == "**" and self.left.precedence <= self.precedence
        )
        right_needs = (
            self.right.precedence < self.precedence
            or (self.op in ("-", "/") and self.right.precedence <= self.precedence)
            or isinstance(self.right, Neg)
        )
        left, right = render(self.left), render(self.right)
        return (bracket(left) if left_needs else left, bracket(right) if right_needs else right)

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        left, right = self._operands(lambda e: e.plain(values, fmt), lambda x: f"({x})")
        if self.op == "**":
            right = self.right.plain(values, fmt)  # the superscript brackets it if needed
            bracketed = left.startswith("(") and left.endswith(")")
            if values is not None and not bracketed and not _is_plain_number(left):
                left = f"({left})"
            return f"{left}{_superscript(right)}"
        symbol = {"+": " + ", "-": " − ", "*": "·", "/": " / "}[self.op]
        return f"{left}{symbol}{right}"

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        if self.op == "/":
            return rf"\frac{{{self.left.latex(values, fmt)}}}{{{self.right.latex(values, fmt)}}}"
        left, right = self._operands(lambda e: e.latex(values, fmt), lambda x: rf"\left({x}\right)")
        if self.op == "**":
            if values is not None and not left.startswith(r"\left("):
                left = rf"\left({left}\right)"
            return f"{left}^{{{right}}}"
        symbol = {"+": " + ", "-": " - ", "*": r" \cdot "}[self.op]
        return f"{left}{symbol}{right}"


def _is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return not text.startswith("-")


@dataclass(frozen=True, repr=False)
class Neg(Expr):
    """``−operand``."""

    operand: Expr
    precedence = PREC_NEG

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Neg(children[0])

    def evaluate(self, env: Env) -> Any:
        return operator.neg(self.operand.evaluate(env))

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        text = self.operand.plain(values, fmt)
        return "−" + (f"({text})" if self.operand.precedence <= PREC_NEG else text)

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        text = self.operand.latex(values, fmt)
        return "-" + (rf"\left({text}\right)" if self.operand.precedence <= PREC_NEG else text)


@dataclass(frozen=True)
class FunctionInfo:
    """How a named function evaluates and prints.

    Attributes:
        impl: the NumPy implementation.
        plain: template of the Unicode form, ``{0}``, ``{1}`` for the arguments.
        tex: template of the LaTeX form.
        elementwise: False for reductions and matrix operations.
        atom_args: argument positions that need brackets unless atomic (``√(a + b)``).
    """

    impl: Callable[..., Any]
    plain: str
    tex: str
    elementwise: bool = True
    atom_args: tuple[int, ...] = ()


def _clamp(x: Any, low: Any, high: Any) -> Any:
    return np.minimum(np.maximum(x, low), high)


def _norm(x: Any) -> Any:
    return np.sqrt(np.sum(np.square(x)))


def _absmax(x: Any) -> Any:
    return np.max(np.abs(x))


def _dot(a: Any, b: Any) -> Any:
    return np.sum(np.multiply(a, b))


def _rowmean(x: Any) -> Any:
    return np.mean(x, axis=-1)


def _colmean(x: Any) -> Any:
    return np.mean(x, axis=-2)


def _p_norm(x: Any, p: Any) -> Any:
    """The p-norm over the last axis (a number for a vector, one per row of a batch)."""
    x = np.asarray(x, dtype=np.float64)
    p = float(p)
    magnitudes = np.abs(x)
    if p == math.inf:
        norm = np.max(magnitudes, axis=-1)
    elif p == 1.0:
        norm = np.sum(magnitudes, axis=-1)
    elif p == 2.0:
        norm = np.sqrt(np.sum(magnitudes * magnitudes, axis=-1))
    else:
        norm = np.sum(magnitudes**p, axis=-1) ** (1.0 / p)
    return norm[..., None] if x.ndim > 1 else norm


def _count_reached(marks: Any, k: Any) -> Any:
    return np.sum(np.asarray(marks) <= np.asarray(k)[..., None], axis=-1)


def _transpose(x: Any) -> Any:
    return np.swapaxes(x, -1, -2) if np.ndim(x) >= 2 else x


FUNCTIONS: dict[str, FunctionInfo] = {
    "sqrt": FunctionInfo(np.sqrt, "√{0}", r"\sqrt{{{0}}}", atom_args=(0,)),
    "abs": FunctionInfo(np.abs, "|{0}|", r"\left\lvert {0} \right\rvert"),
    "sign": FunctionInfo(np.sign, "sign({0})", r"\operatorname{{sign}}\left({0}\right)"),
    "exp": FunctionInfo(np.exp, "exp({0})", r"\exp\left({0}\right)"),
    "log": FunctionInfo(np.log, "log({0})", r"\log\left({0}\right)"),
    "cos": FunctionInfo(np.cos, "cos({0})", r"\cos\left({0}\right)"),
    "floor": FunctionInfo(np.floor, "⌊{0}⌋", r"\left\lfloor {0} \right\rfloor"),
    "max": FunctionInfo(np.maximum, "max({0}, {1})", r"\max\left({0}, {1}\right)"),
    "min": FunctionInfo(np.minimum, "min({0}, {1})", r"\min\left({0}, {1}\right)"),
    "clamp": FunctionInfo(
        _clamp, "clamp({0}, {1}, {2})", r"\operatorname{{clamp}}\left({0}, {1}, {2}\right)"
    ),
    # Reductions: one number per tensor (or per vector, for whole-vector methods).
    "sum": FunctionInfo(np.sum, "Σ{0}", r"\sum {0}", elementwise=False, atom_args=(0,)),
    "mean": FunctionInfo(
        np.mean, "mean({0})", r"\operatorname{{mean}}\left({0}\right)", elementwise=False
    ),
    "norm": FunctionInfo(_norm, "‖{0}‖", r"\left\lVert {0} \right\rVert", elementwise=False),
    "absmax": FunctionInfo(
        _absmax, "max|{0}|", r"\max\left\lvert {0} \right\rvert", elementwise=False
    ),
    "dot": FunctionInfo(_dot, "⟨{0}, {1}⟩", r"\langle {0}, {1} \rangle", elementwise=False),
    "pnorm": FunctionInfo(
        _p_norm, "‖{0}‖_{1}", r"\left\lVert {0} \right\rVert_{{{1}}}", elementwise=False
    ),
    "reached": FunctionInfo(
        _count_reached,
        "#{{m ∈ {0} : m ≤ {1}}}",
        r"\#\{{m \in {0} : m \le {1}\}}",
        elementwise=False,
    ),
    # Matrix operations.
    "matmul": FunctionInfo(np.matmul, "{0} {1}", "{0} {1}", elementwise=False, atom_args=(0, 1)),
    "transpose": FunctionInfo(_transpose, "{0}ᵀ", r"{0}^\top", elementwise=False, atom_args=(0,)),
    "outer": FunctionInfo(
        np.outer, "{0} ⊗ {1}", r"{0} \otimes {1}", elementwise=False, atom_args=(0, 1)
    ),
    "rowmean": FunctionInfo(
        _rowmean, "rowmean({0})", r"\operatorname{{rowmean}}\left({0}\right)", elementwise=False
    ),
    "colmean": FunctionInfo(
        _colmean, "colmean({0})", r"\operatorname{{colmean}}\left({0}\right)", elementwise=False
    ),
    "solve": FunctionInfo(
        np.linalg.solve, "{0}⁻¹{1}", r"{0}^{{-1}} {1}", elementwise=False, atom_args=(0, 1)
    ),
}


@dataclass(frozen=True, repr=False)
class Func(Expr):
    """A named function of :data:`FUNCTIONS`."""

    name: str
    args: tuple[Expr, ...]

    @property
    def info(self) -> FunctionInfo:
        return FUNCTIONS[self.name]

    @property
    def shape_sensitive(self) -> bool:  # type: ignore[override]
        return not self.info.elementwise

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return PREC_MUL if self.name in ("matmul", "outer") else PREC_ATOM

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Func(self.name, children)

    def evaluate(self, env: Env) -> Any:
        return self.info.impl(*(a.evaluate(env) for a in self.args))

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        args = [a.plain(values, fmt) for a in self.args]
        for i in self.info.atom_args:
            if self.args[i].precedence < PREC_ATOM or " " in args[i]:
                args[i] = f"({args[i]})"
        return self.info.plain.format(*args)

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        args = [a.latex(values, fmt) for a in self.args]
        if self.name in ("matmul", "outer", "transpose", "solve", "sum"):
            for i in self.info.atom_args:
                if self.args[i].precedence < PREC_ATOM:
                    args[i] = rf"\left({args[i]}\right)"
        return self.info.tex.format(*args)


COMPARISONS: dict[str, tuple[Callable[[Any, Any], Any], str, str]] = {
    ">": (operator.gt, ">", ">"),
    "<": (operator.lt, "<", "<"),
    ">=": (operator.ge, "≥", r"\geq"),
    "<=": (operator.le, "≤", r"\leq"),
    "==": (operator.eq, "=", "="),
    "!=": (operator.ne, "≠", r"\neq"),
}


@dataclass(frozen=True, repr=False)
class Compare(Expr):
    """``left op right`` for a comparison; evaluates to a boolean (array)."""

    op: str
    left: Expr
    right: Expr
    precedence = PREC_COND

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Compare(self.op, children[0], children[1])

    def evaluate(self, env: Env) -> Any:
        return COMPARISONS[self.op][0](self.left.evaluate(env), self.right.evaluate(env))

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        sign = COMPARISONS[self.op][1]
        return f"{self.left.plain(values, fmt)} {sign} {self.right.plain(values, fmt)}"

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        sign = COMPARISONS[self.op][2]
        return f"{self.left.latex(values, fmt)} {sign} {self.right.latex(values, fmt)}"


@dataclass(frozen=True, repr=False)
class Where(Expr):
    """``then`` where ``condition`` holds, else ``otherwise``.

    A condition that is one number for the whole step (RAdam's ``ρₜ > 5``) picks a branch, and
    only that branch is evaluated, as the reference implementations do with an ``if``; a
    condition that differs per coordinate (Rprop's sign rule) selects per coordinate.
    """

    condition: Expr
    then: Expr
    otherwise: Expr
    precedence = PREC_COND

    def children(self) -> tuple[Expr, ...]:
        return (self.condition, self.then, self.otherwise)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Where(children[0], children[1], children[2])

    def decide(self, env: Env) -> bool | None:
        """The branch for a condition that is a single truth value here, else None."""
        try:
            value = self.condition.evaluate(env)
        except KeyError:
            return None
        if np.ndim(value) == 0:
            return bool(value)
        return None

    def evaluate(self, env: Env) -> Any:
        condition = self.condition.evaluate(env)
        if np.ndim(condition) == 0:
            return (self.then if condition else self.otherwise).evaluate(env)
        return np.where(condition, self.then.evaluate(env), self.otherwise.evaluate(env))

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        then = self.then.plain(values, fmt)
        if isinstance(self.then, Where):  # "(a if c, else b) if d, else e" reads one way only
            then = f"({then})"
        condition = self.condition.plain(values, fmt)
        return f"{then} if {condition}, else {self.otherwise.plain(values, fmt)}"

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return (
            r"\begin{cases} "
            f"{self.then.latex(values, fmt)} & \\text{{if }} {self.condition.latex(values, fmt)}"
            r" \\ "
            f"{self.otherwise.latex(values, fmt)} & \\text{{otherwise}}"
            r" \end{cases}"
        )


@dataclass(frozen=True, repr=False)
class ByStep(Expr):
    """``first`` at step ``t = 1`` and ``later`` from step 2 on (torch's first momentum buffer
    is the gradient itself, not a moving average of it)."""

    first: Expr
    later: Expr
    precedence = PREC_COND

    def children(self) -> tuple[Expr, ...]:
        return (self.first, self.later)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return ByStep(children[0], children[1])

    @functools.cached_property
    def symbols(self) -> frozenset[str]:
        return frozenset(("t",)).union(self.first.symbols, self.later.symbols)

    def evaluate(self, env: Env) -> Any:
        return (self.first if env["t"] == 1 else self.later).evaluate(env)

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        if values is not None:
            return (self.first if values["t"] == 1 else self.later).plain(values, fmt)
        return f"{self.first.plain()} at t = 1, else {self.later.plain()}"

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        if values is not None:
            return (self.first if values["t"] == 1 else self.later).latex(values, fmt)
        return (
            r"\begin{cases} "
            f"{self.first.latex()} & t = 1 \\\\ {self.later.latex()} & t > 1"
            r" \end{cases}"
        )


@dataclass(frozen=True, repr=False)
class Computed(Expr):
    """Prints ``shown`` and evaluates ``computed``: the same quantity in two orders of operations.

    ``shown`` is the textbook formula; ``computed`` is how the reference implementation orders
    the arithmetic (which can differ from ``shown`` in the last bits). The two must agree to a
    relative 1e-12 on every input; a test checks every such node of every optimizer.
    """

    shown: Expr
    computed: Expr

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return self.shown.precedence

    def children(self) -> tuple[Expr, ...]:
        return (self.shown, self.computed)

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Computed(children[0], children[1])

    def evaluate(self, env: Env) -> Any:
        return self.computed.evaluate(env)

    def plain(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return self.shown.plain(values, fmt)

    def latex(self, values: Env | None = None, fmt: ValueFormatter = str) -> str:
        return self.shown.latex(values, fmt)


# --- Builders, named after the math ------------------------------------------------------------


def func(name: str, *args: Expr | float) -> Expr:
    return Func(name, tuple(wrap(a) for a in args))


def sqrt(x: Expr) -> Expr:
    """Element-wise square root."""
    return func("sqrt", x)


def cos(x: Expr) -> Expr:
    """Element-wise cosine (learning-rate schedules)."""
    return func("cos", x)


def floor(x: Expr) -> Expr:
    """Element-wise floor ⌊x⌋ (counting whole periods in a schedule)."""
    return func("floor", x)


def sign(x: Expr) -> Expr:
    """Element-wise sign (−1, 0 or 1)."""
    return func("sign", x)


def absolute(x: Expr) -> Expr:
    """Element-wise absolute value."""
    return func("abs", x)


def maximum(a: Expr | float, b: Expr | float) -> Expr:
    """Element-wise maximum."""
    return func("max", a, b)


def minimum(a: Expr | float, b: Expr | float) -> Expr:
    """Element-wise minimum."""
    return func("min", a, b)


def clamp(x: Expr, low: Expr | float, high: Expr | float) -> Expr:
    """``min(max(x, low), high)``, element-wise."""
    return func("clamp", x, low, high)


def where(condition: Expr, then: Expr | float, otherwise: Expr | float) -> Expr:
    return Where(condition, wrap(then), wrap(otherwise))


def computed_as(shown: Expr, computed: Expr) -> Expr:
    """Print ``shown``, evaluate ``computed`` (see :class:`Computed`)."""
    return Computed(shown, computed)
