"""Formulas as small expression trees: one definition, several printers, and an evaluator.

Each optimizer quantity carries a formula such as ``β₁·mₜ₋₁ + (1 − β₁)·gₜ``. Writing it once as a
tree (built with ordinary Python operators on :class:`Sym` leaves) lets the same formula be printed
as plain text, as LaTeX, with numbers substituted for the symbols, and evaluated on NumPy arrays.
The evaluator is what the test-suite uses to prove that the value the engine computed is the value
the displayed formula describes.

Operations are element-wise: on a parameter vector every formula applies to each coordinate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Binding strength of each node kind, used to decide where printers need parentheses.
_PREC_ADD = 1
_PREC_MUL = 2
_PREC_NEG = 3
_PREC_POW = 4
_PREC_ATOM = 5

ValueFormatter = Callable[[Any], str]


class Expr:
    """Base class of formula nodes; supports ``+ - * / **`` and unary minus."""

    precedence = _PREC_ATOM

    def __add__(self, other: Expr | float) -> Expr:
        return BinOp("+", self, _wrap(other))

    def __radd__(self, other: Expr | float) -> Expr:
        return BinOp("+", _wrap(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return BinOp("-", self, _wrap(other))

    def __rsub__(self, other: Expr | float) -> Expr:
        return BinOp("-", _wrap(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return BinOp("*", self, _wrap(other))

    def __rmul__(self, other: Expr | float) -> Expr:
        return BinOp("*", _wrap(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return BinOp("/", self, _wrap(other))

    def __rtruediv__(self, other: Expr | float) -> Expr:
        return BinOp("/", _wrap(other), self)

    def __pow__(self, other: Expr | float) -> Expr:
        return BinOp("**", self, _wrap(other))

    def __neg__(self) -> Expr:
        return Neg(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.plain()!r})"

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The formula's value with each symbol looked up in ``env`` (NumPy broadcasting)."""
        raise NotImplementedError

    def symbols(self) -> frozenset[str]:
        """Keys of every symbol the formula reads."""
        raise NotImplementedError

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        """Unicode text; with ``values``, each symbol in it is replaced by ``fmt(value)``."""
        raise NotImplementedError

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        """LaTeX source; with ``values``, symbols are replaced by ``fmt(value)``."""
        raise NotImplementedError


def _wrap(value: Expr | float) -> Expr:
    return value if isinstance(value, Expr) else Num(float(value))


_SUPERSCRIPTS = str.maketrans("0123456789t", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵗ")


def _superscript(exponent: str) -> str:
    """``2`` as ``²`` and ``t`` as ``ᵗ``; anything longer as ``^(…)``."""
    if exponent and all(c in "0123456789t" for c in exponent):
        return exponent.translate(_SUPERSCRIPTS)
    return f"^{exponent}" if exponent.replace(".", "").isalnum() else f"^({exponent})"


def number_text(value: float) -> str:
    """``2`` for 2.0, ``0.1`` for 0.1: the shortest exact text of a float."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


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

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return env[self.key]

    def symbols(self) -> frozenset[str]:
        return frozenset({self.key})

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        return fmt(values[self.key]) if values is not None else self.text

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        return fmt(values[self.key]) if values is not None else self.tex


@dataclass(frozen=True, repr=False)
class Num(Expr):
    """A literal number such as the 1 in ``1 − β₁``."""

    value: float

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return self.value

    def symbols(self) -> frozenset[str]:
        return frozenset()

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        return number_text(self.value)

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        return number_text(self.value)


_BINARY: dict[str, tuple[int, Callable[[Any, Any], Any]]] = {
    "+": (_PREC_ADD, np.add),
    "-": (_PREC_ADD, np.subtract),
    "*": (_PREC_MUL, np.multiply),
    "/": (_PREC_MUL, np.divide),
    "**": (_PREC_POW, np.power),
}


@dataclass(frozen=True, repr=False)
class BinOp(Expr):
    """``left op right`` for op in ``+ - * / **``."""

    op: str
    left: Expr
    right: Expr

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return _BINARY[self.op][0]

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return _BINARY[self.op][1](self.left.evaluate(env), self.right.evaluate(env))

    def symbols(self) -> frozenset[str]:
        return self.left.symbols() | self.right.symbols()

    def _operands(
        self, render: Callable[[Expr], str], bracket: Callable[[str], str]
    ) -> tuple[str, str]:
        # Right operands of - and / need brackets at equal precedence; ** is right-associative.
        left_needs = self.left.precedence < self.precedence or (
            self.op == "**" and self.left.precedence <= self.precedence
        )
        right_needs = self.right.precedence < self.precedence or (
            self.op in ("-", "/") and self.right.precedence <= self.precedence
        )
        left, right = render(self.left), render(self.right)
        return (bracket(left) if left_needs else left, bracket(right) if right_needs else right)

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        left, right = self._operands(lambda e: e.plain(values, fmt), lambda x: f"({x})")
        if self.op == "**":
            return f"{left}{_superscript(right)}"
        symbol = {"+": " + ", "-": " − ", "*": "·", "/": " / "}[self.op]
        return f"{left}{symbol}{right}"

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        if self.op == "/":
            return rf"\frac{{{self.left.latex(values, fmt)}}}{{{self.right.latex(values, fmt)}}}"
        left, right = self._operands(lambda e: e.latex(values, fmt), lambda x: rf"\left({x}\right)")
        if self.op == "**":
            if values is not None and not left.startswith(r"\left("):
                left = rf"\left({left}\right)"
            return f"{left}^{{{right}}}"
        symbol = {"+": " + ", "-": " - ", "*": r" \cdot "}[self.op]
        return f"{left}{symbol}{right}"


@dataclass(frozen=True, repr=False)
class Neg(Expr):
    """``−operand``."""

    operand: Expr
    precedence = _PREC_NEG

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return np.negative(self.operand.evaluate(env))

    def symbols(self) -> frozenset[str]:
        return self.operand.symbols()

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        text = self.operand.plain(values, fmt)
        return "−" + (f"({text})" if self.operand.precedence <= _PREC_NEG else text)

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        text = self.operand.latex(values, fmt)
        return "-" + (rf"\left({text}\right)" if self.operand.precedence <= _PREC_NEG else text)


_FUNCTIONS: dict[str, tuple[Callable[..., Any], str, str]] = {
    # name: (NumPy implementation, plain template, LaTeX template)
    "sqrt": (np.sqrt, "√{0}", r"\sqrt{{{0}}}"),
    "sign": (np.sign, "sign({0})", r"\operatorname{{sign}}\left({0}\right)"),
    "max": (np.maximum, "max({0}, {1})", r"\max\left({0}, {1}\right)"),
}


@dataclass(frozen=True, repr=False)
class Func(Expr):
    """A named element-wise function: ``sqrt``, ``sign`` or ``max``."""

    name: str
    args: tuple[Expr, ...]

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return _FUNCTIONS[self.name][0](*(a.evaluate(env) for a in self.args))

    def symbols(self) -> frozenset[str]:
        return frozenset().union(*(a.symbols() for a in self.args))

    def plain(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        args = [a.plain(values, fmt) for a in self.args]
        if self.name == "sqrt" and (self.args[0].precedence < _PREC_ATOM or " " in args[0]):
            args[0] = f"({args[0]})"
        return _FUNCTIONS[self.name][1].format(*args)

    def latex(self, values: Mapping[str, Any] | None = None, fmt: ValueFormatter = str) -> str:
        return _FUNCTIONS[self.name][2].format(*(a.latex(values, fmt) for a in self.args))


def sqrt(x: Expr) -> Expr:
    """Element-wise square root."""
    return Func("sqrt", (x,))


def sign(x: Expr) -> Expr:
    """Element-wise sign (−1, 0 or 1)."""
    return Func("sign", (x,))


def maximum(a: Expr, b: Expr) -> Expr:
    """Element-wise maximum."""
    return Func("max", (a, b))
