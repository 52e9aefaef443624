"""Losses: parsed safely, differentiated by SymPy once, compiled to NumPy once.

A :class:`Loss` is built from text (a command line, an exercise file) through the whitelist
parser, so nothing the user typed is ever executed. Its gradient is derived symbolically and both
are compiled with ``sympy.lambdify`` a single time per (text, parameters) pair; every step after
that is a plain NumPy call, never a ``subs``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from tutor.errors import TutorError
from tutor.symbolic.parse import make_symbol, parse_expression


@dataclass(frozen=True)
class Loss:
    """A differentiable loss of named parameters, with its compiled value and gradient.

    Attributes:
        text: the loss as written.
        params: parameter names, in the order of the parameter vector θ.
        expr: the SymPy expression.
        gradient_exprs: ∂L/∂θᵢ for each parameter, simplified by SymPy's differentiation only.
    """

    text: str
    params: tuple[str, ...]
    expr: sympy.Expr
    gradient_exprs: tuple[sympy.Expr, ...]
    _value: Callable[..., Any] = field(repr=False, compare=False)
    _gradient: Callable[..., Any] = field(repr=False, compare=False)

    def value(self, theta: np.ndarray) -> Any:
        """L(θ) for θ of shape ``(n,)`` (a float) or ``(..., n)`` (an array of losses)."""
        if theta.ndim == 1:
            return float(self._value(*theta))
        return np.broadcast_to(self._value(*np.moveaxis(theta, -1, 0)), theta.shape[:-1])

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """∇L(θ), with the same shape as θ (which may carry batch dimensions)."""
        if theta.ndim == 1:
            return np.array(self._gradient(*theta), dtype=np.float64)
        parts = self._gradient(*np.moveaxis(theta, -1, 0))
        return np.stack(np.broadcast_arrays(*parts, theta[..., 0]), axis=-1)[..., :-1].astype(
            np.float64, copy=False
        )

    def gradient_text(self) -> list[str]:
        return [str(g) for g in self.gradient_exprs]


def _check_params(params: Sequence[str]) -> tuple[str, ...]:
    names = tuple(p.strip() for p in params)
    if not names or any(not p.isidentifier() for p in names):
        raise TutorError(f"parameter names must be identifiers, got {', '.join(params)!r}")
    if len(set(names)) != len(names):
        raise TutorError(f"parameter names must be distinct, got {', '.join(names)!r}")
    return names


@functools.lru_cache(maxsize=64)
def _compile(text: str, params: tuple[str, ...] | None) -> Loss:
    parsed = parse_expression(text, params)
    names = params if params is not None else parsed.names
    if not names:
        raise TutorError(f"loss {text!r} has no parameters to optimize")
    symbols = [make_symbol(name) for name in names]
    gradient = tuple(sympy.diff(parsed.expr, s) for s in symbols)
    # Passing the module itself (not "numpy") gives the same NumPy printer but skips lambdify's
    # "from numpy import *", which imports every NumPy submodule (a tenth of a second).
    value_fn = sympy.lambdify(symbols, parsed.expr, modules=[np], dummify=True)
    gradient_fn = sympy.lambdify(symbols, list(gradient), modules=[np], dummify=True)
    return Loss(text, tuple(names), parsed.expr, gradient, value_fn, gradient_fn)


def compile_loss(text: str, params: Sequence[str] | None = None) -> Loss:
    """Parse, differentiate and compile ``text``; results are cached per (text, params).

    Args:
        text: the loss, e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"``.
        params: parameter names in order; by default the loss's free names, sorted.

    Raises:
        TutorError: the text is refused by the parser or names no parameter.
    """
    return _compile(text.strip(), None if params is None else _check_params(params))
