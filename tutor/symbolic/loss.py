"""Losses: parsed safely, differentiated by SymPy once, compiled to NumPy once.

A :class:`Loss` is built from text (a command line, an exercise file) through the whitelist
parser, so nothing the user typed is ever executed. Parameters may be scalars, vectors or
matrices, and the loss may use data arrays; every entry of a shaped parameter is one component
of the flat vector θ (the engine's :class:`~tutor.engine.layout.Layout`: parameters in order,
row-major within each). The gradient is derived symbolically, one component at a time, and
compiled with ``sympy.lambdify`` a single time per (text, parameters, shapes, data); every step
after that is a plain NumPy call, never a ``subs``. The Hessian is derived only when asked for.

Compiled losses are also kept on disk (:mod:`tutor.symbolic.store`): a loss met before is read
back, its functions checked against a whitelist, without importing SymPy at all; its SymPy
expressions are derived again only if something asks for them.

Deriving and compiling cost grows with the entries of θ times the size of the expression, so θ
has at most :data:`MAX_PARAMETER_ENTRIES` entries.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tutor.errors import TutorError
from tutor.symbolic.printing import Derivative, Template

if TYPE_CHECKING:
    import sympy

    from tutor.engine.layout import Layout

MAX_PARAMETER_ENTRIES = 64
"""Most entries of θ, all parameters together (an 8x8 matrix). Measured on the development
machine, the worst of ``sum(W**2)``, ``norm(W)``, ``sum(sigmoid(W) * log(1 + W**2) + exp(-W))``
and ``sum((W @ x - y)**2)`` (W 4x16, float data) compiles in about 2 s at this size; losses that
use every entry in many terms (``mean((X @ w - y)**2)`` over many samples) can take longer."""

# Second-order methods derive every second derivative symbolically: n(n + 1)/2 of them.
MAX_HESSIAN_ENTRIES = 25

_Shapes = tuple[tuple[str, tuple[int, ...]], ...]
_Data = tuple[tuple[str, tuple[int, ...], tuple[float, ...]], ...]


def _compiled(symbols: Sequence[sympy.Symbol], exprs: Any) -> Callable[..., Any]:
    import sympy

    # Passing the module itself (not "numpy") gives the same NumPy printer but skips lambdify's
    # "from numpy import *", which imports every NumPy submodule (a tenth of a second).
    return sympy.lambdify(symbols, exprs, modules=[np], dummify=True)


def _stacked(parts: Sequence[Any], theta: np.ndarray) -> np.ndarray:
    """Per-component results (numbers or arrays over a batch) as one array ``(..., len(parts))``;
    constant components are broadcast over the batch."""
    batch = np.broadcast_arrays(*parts, theta[..., 0])
    return np.stack(batch, axis=-1)[..., :-1].astype(np.float64, copy=False)


@dataclass(frozen=True)
class Loss:
    """A differentiable loss of named parameters, with its compiled value and gradient.

    Attributes:
        text: the loss as written.
        params: parameter names, in the order of the parameter vector θ.
        layout: where each parameter lives in θ and its shape (scalars have shape ``()``).
        expr: the SymPy expression, in the symbols of :meth:`component_names`.
        gradient_exprs: ∂L/∂θᵢ for each component of θ, in order, simplified by SymPy's
            differentiation only.
        templates: each gradient component printed once, with slots for θ's numbers.
        derivatives: each ``∂L/∂θᵢ = …`` printed once, as text and LaTeX.

    ``expr`` and ``gradient_exprs`` come from ``symbolic`` (which may derive them again, for a
    loss read back from the store); ``templates`` and ``derivatives`` from ``printed``, else from
    the expressions.
    """

    text: str
    params: tuple[str, ...]
    _value: Callable[..., Any] = field(repr=False, compare=False)
    _gradient: Callable[..., Any] = field(repr=False, compare=False)
    layout: Layout = field(kw_only=True)
    symbolic: Callable[[], tuple[sympy.Expr, tuple[sympy.Expr, ...]]] = field(
        kw_only=True, repr=False, compare=False
    )
    printed: tuple[tuple[Template, ...], tuple[Derivative, ...]] | None = field(
        default=None, kw_only=True, repr=False, compare=False
    )

    @functools.cached_property
    def _expressions(self) -> tuple[sympy.Expr, tuple[sympy.Expr, ...]]:
        return self.symbolic()

    @property
    def expr(self) -> sympy.Expr:
        return self._expressions[0]

    @property
    def gradient_exprs(self) -> tuple[sympy.Expr, ...]:
        return self._expressions[1]

    @functools.cached_property
    def _printed(self) -> tuple[tuple[Template, ...], tuple[Derivative, ...]]:
        if self.printed is not None:
            return self.printed
        from tutor.symbolic.parse import make_symbol
        from tutor.symbolic.printing import derivatives, templates

        symbols = [make_symbol(name) for name in self.component_names()]
        return templates(self.gradient_exprs, symbols), derivatives(self.gradient_exprs, symbols)

    @property
    def templates(self) -> tuple[Template, ...]:
        return self._printed[0]

    @property
    def derivatives(self) -> tuple[Derivative, ...]:
        return self._printed[1]

    def component_names(self) -> tuple[str, ...]:
        """The name of every entry of θ: ``x``, ``W[0,0]``, ``W[0,1]``, …"""
        return self.layout.component_names()

    def value(self, theta: np.ndarray) -> Any:
        """L(θ) for θ of shape ``(n,)`` (a float) or ``(..., n)`` (an array of losses)."""
        if theta.ndim == 1:
            return float(self._value(*theta))
        return np.broadcast_to(self._value(*np.moveaxis(theta, -1, 0)), theta.shape[:-1])

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """∇L(θ), with the same shape as θ (which may carry batch dimensions)."""
        if theta.ndim == 1:
            return np.array(self._gradient(*theta), dtype=np.float64)
        return _stacked(self._gradient(*np.moveaxis(theta, -1, 0)), theta)

    @functools.cached_property
    def hessian_exprs(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """∂²L/∂θᵢ∂θⱼ, derived on first use (each pair once: the matrix is symmetric).

        At most :data:`MAX_HESSIAN_ENTRIES` parameter entries: the n(n + 1)/2 derivatives are
        derived symbolically, and for 36 entries of ``norm(W)`` that already takes 5 s.
        """
        import sympy

        from tutor.symbolic.parse import make_symbol

        n = len(self.component_names())
        if n > MAX_HESSIAN_ENTRIES:
            raise TutorError(
                f"the Hessian of {self.text!r} would have {n}×{n} entries; second-order methods "
                f"take at most {MAX_HESSIAN_ENTRIES} parameter entries"
            )
        symbols = [make_symbol(name) for name in self.component_names()]
        upper = {
            (i, j): sympy.diff(self.gradient_exprs[i], symbols[j])
            for i in range(len(symbols))
            for j in range(i, len(symbols))
        }
        n = len(symbols)
        return tuple(tuple(upper[min(i, j), max(i, j)] for j in range(n)) for i in range(n))

    @functools.cached_property
    def _hessian(self) -> Callable[..., Any]:
        from tutor.symbolic.parse import make_symbol

        symbols = [make_symbol(name) for name in self.component_names()]
        return _compiled(symbols, [entry for row in self.hessian_exprs for entry in row])

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """∇²L(θ): ``(n, n)`` for θ of shape ``(n,)``, or ``(..., n, n)`` for a batch.

        >>> compile_loss("x**2 + 3*x*y").hessian(np.array([1.0, 2.0]))
        array([[2., 3.],
               [3., 0.]])
        """
        n = theta.shape[-1]
        if theta.ndim == 1:
            return np.array(self._hessian(*theta), dtype=np.float64).reshape(n, n)
        flat = _stacked(self._hessian(*np.moveaxis(theta, -1, 0)), theta)
        return flat.reshape(*theta.shape[:-1], n, n)

    def gradient_text(self) -> list[str]:
        """Each component of the gradient as SymPy prints it, e.g. ``1/(3*x**(2/3))``."""
        return [str(g) for g in self.gradient_exprs]


def _check_params(params: Sequence[str]) -> tuple[str, ...]:
    names = tuple(p.strip() for p in params)
    if not names or any(not p.isidentifier() for p in names):
        raise TutorError(f"parameter names must be identifiers, got {', '.join(params)!r}")
    if len(set(names)) != len(names):
        raise TutorError(f"parameter names must be distinct, got {', '.join(names)!r}")
    return names


def _check_entries(text: str, names: Sequence[str], shapes: Mapping[str, tuple[Any, ...]]) -> None:
    """Refuse more than :data:`MAX_PARAMETER_ENTRIES` entries (sizes that are not positive whole
    numbers count as 1 here: the parser refuses them)."""
    sizes = [[d if isinstance(d, int) and d > 0 else 1 for d in shapes.get(n, ())] for n in names]
    entries = sum(math.prod(shape) for shape in sizes)
    if entries > MAX_PARAMETER_ENTRIES:
        raise TutorError(
            f"loss {text!r} has {entries:,} parameter entries (the limit is "
            f"{MAX_PARAMETER_ENTRIES}); use fewer or smaller parameters"
        )


@functools.lru_cache(maxsize=64)
def _compile(text: str, params: tuple[str, ...] | None, shapes: _Shapes, data: _Data) -> Loss:
    from tutor.symbolic import store

    key = store.key(text, params, shapes, data)
    stored = store.load(key, text, rederived(text, params, shapes, data))
    if stored is not None:
        return stored
    loss = _derive(text, params, shapes, data)
    store.save(key, loss)
    return loss


def _derive(text: str, params: tuple[str, ...] | None, shapes: _Shapes, data: _Data) -> Loss:
    """Parse, differentiate and compile with SymPy (a loss not in the store)."""
    from tutor.symbolic.parse import make_symbol

    by_name = dict(shapes)
    if params is not None:  # refused before parsing, whose work also grows with the entries
        _check_entries(text, params, by_name)
    expr, names, gradient = _expressions(text, params, shapes, data)
    layout = _layout(names, by_name)
    symbols = [make_symbol(name) for name in layout.component_names()]
    value_fn, gradient_fn = _compiled(symbols, expr), _compiled(symbols, list(gradient))
    return Loss(
        text,
        names,
        value_fn,
        gradient_fn,
        layout=layout,
        symbolic=lambda: (expr, gradient),
    )


def _layout(names: Sequence[str], shapes: Mapping[str, tuple[int, ...]]) -> Layout:
    from tutor.engine.layout import Layout  # the engine package loads every optimizer

    return Layout.of((name, shapes.get(name, ())) for name in names)


def _expressions(
    text: str, params: tuple[str, ...] | None, shapes: _Shapes, data: _Data
) -> tuple[sympy.Expr, tuple[str, ...], tuple[sympy.Expr, ...]]:
    """The loss's SymPy expression, its parameter names and its gradient, one component each."""
    import sympy

    from tutor.symbolic.parse import make_symbol, parse_expression

    by_name = dict(shapes)
    arrays = {name: np.array(values).reshape(shape) for name, shape, values in data}
    parsed = parse_expression(text, params, shapes=by_name, data=arrays)
    names = params if params is not None else parsed.names
    if not names:
        raise TutorError(f"loss {text!r} has no parameters to optimize")
    _check_entries(text, names, by_name)
    symbols = [make_symbol(name) for name in _layout(names, by_name).component_names()]
    return parsed.expr, names, tuple(sympy.diff(parsed.expr, s) for s in symbols)


def rederived(
    text: str, params: tuple[str, ...] | None, shapes: _Shapes, data: _Data
) -> Callable[[], tuple[sympy.Expr, tuple[sympy.Expr, ...]]]:
    """A loss's SymPy expressions, derived again on first call (for a loss read from the store)."""

    def derive() -> tuple[sympy.Expr, tuple[sympy.Expr, ...]]:
        expr, _, gradient = _expressions(text, params, shapes, data)
        return expr, gradient

    return derive


def compile_loss(
    text: str,
    params: Sequence[str] | None = None,
    *,
    shapes: Mapping[str, Sequence[int]] | None = None,
    data: Mapping[str, np.ndarray] | None = None,
) -> Loss:
    """Parse, differentiate and compile ``text``; results are cached per argument values.

    Args:
        text: the loss, e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"`` or
            ``"sum((W @ x - y)**2)"``.
        params: parameter names in order; by default the loss's free names, sorted.
        shapes: shapes of the parameters that are not scalars, e.g. ``{"W": (2, 3)}``.
        data: known arrays the loss uses, by name, e.g. ``{"x": np.array([1.0, 2.0, 3.0])}``.

    Raises:
        TutorError: the text is refused by the parser, names no parameter, or has more than
            :data:`MAX_PARAMETER_ENTRIES` parameter entries.

    >>> loss = compile_loss("sum((W @ x - y)**2)", shapes={"W": (1, 2)},
    ...                     data={"x": np.array([1.0, 2.0]), "y": np.array([3.0])})
    >>> loss.component_names(), loss.value(np.array([1.0, 1.0]))
    (('W[0,0]', 'W[0,1]'), 0.0)
    """
    names = None if params is None else _check_params(params)
    shape_key = tuple(sorted((name, tuple(shape)) for name, shape in (shapes or {}).items()))
    data_key = tuple(
        sorted(
            (name, np.shape(array), tuple(np.asarray(array, dtype=np.float64).ravel().tolist()))
            for name, array in (data or {}).items()
        )
    )
    return _compile(text.strip(), names, shape_key, data_key)
