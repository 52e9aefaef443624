"""Vectors and matrices in loss expressions: shapes, broadcasting, ``@`` and the array functions.

A value of an expression is an :class:`Array`: a number (shape ``()``, one entry), a vector or a
matrix, its entries in row-major order. A parameter of shape ``(2, 3)`` is a grid of symbols
``W[0,0]``, ``W[0,1]``, ... (named by the engine's ``Parameter``), a data array a grid of exact
numbers. Operators and element-wise functions act entry by entry, a number broadcasting to any
shape; other shapes must be equal (NumPy's stretching of size-1 dimensions is not supported).
``@`` is NumPy's matrix product, and :data:`ARRAY_FUNCTIONS` reduce or reshape whole arrays.

This module decides shapes and pairs entries but never builds one: the parser
(:mod:`tutor.symbolic.parse`) passes :class:`Scalars` that build and check one entry at a time
(a product, a sum, ...), so every entry gets the parser's guards. Operations on entries are
counted against :data:`MAX_OPERATIONS` before they are done (``W @ W @ W`` with a 100x100 ``W``
is refused without computing one product). A problem is a :class:`ShapeError` with a one-line
reason; the parser adds the column.

>>> Operations().broadcast([(2, 3), (), (2, 3)], "+")
(2, 3)
>>> Operations().broadcast([(2, 3), (3,)], "-")
Traceback (most recent call last):
...
tutor.symbolic.arrays.ShapeError: shapes 2x3 and 3 do not match for '-'
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import numpy as np

__all__ = [
    "ARRAY_FUNCTIONS",
    "MAX_ENTRIES",
    "MAX_OPERATIONS",
    "Arity",
    "Array",
    "ArrayFunction",
    "Operations",
    "Scalars",
    "ShapeError",
    "declare",
    "entry_names",
    "loss_problem",
    "transpose",
]

MAX_ENTRIES = 10_000
"""Most entries of one shaped parameter or data array."""
MAX_OPERATIONS = 50_000
"""Most operations on entries in one expression (``W @ x`` with a 100x100 ``W`` is 10,000)."""

T = TypeVar("T")
Shape = tuple[int, ...]


class Array(NamedTuple, Generic[T]):
    """A number (shape ``()``, one entry), a vector or a matrix, its entries in row-major order."""

    shape: Shape
    entries: tuple[T, ...]

    def spread(self, count: int) -> tuple[T, ...]:
        """The entries, or a number's entry repeated ``count`` times (broadcasting)."""
        return self.entries if self.shape else self.entries * count


class Scalars(Protocol[T]):
    """How the parser builds and checks one entry of an array operation."""

    def multiply(self, a: T, b: T, /) -> T: ...

    def add(self, entries: Sequence[T], /) -> T: ...

    def divide(self, entry: T, count: int, /) -> T: ...

    def sqrt(self, entry: T, /) -> T: ...


class ShapeError(Exception):
    """A refused shape or size: a one-line ``reason`` about the operation being built, or about
    the expression as a whole when ``whole`` (it needs too many operations on entries)."""

    def __init__(self, reason: str, *, whole: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.whole = reason, whole


def _shape_text(shape: Shape) -> str:
    """``2x3``, ``3`` or ``scalar``, as the engine's ``Parameter.shape_text``."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


class Operations:
    """The shape rules, applied while one expression is built; counts its operations on entries."""

    def __init__(self) -> None:
        self.operations = 0

    def spend(self, count: int) -> None:
        """Count ``count`` operations before they are done; beyond :data:`MAX_OPERATIONS` the
        whole expression is refused."""
        self.operations += count
        if self.operations > MAX_OPERATIONS:
            reason = f"more than {MAX_OPERATIONS:,} operations on entries; use smaller shapes"
            raise ShapeError(f"the expression is too large: {reason}", whole=True)

    def broadcast(self, shapes: Iterable[Shape], symbol: str) -> Shape:
        """The shape of the entry-wise operation ``symbol`` (``'+'``, ``'max'``, ...) on values of
        ``shapes``: numbers broadcast, the other shapes must be equal."""
        distinct = list(dict.fromkeys(shape for shape in shapes if shape))
        if len(distinct) > 1:
            first, second = (_shape_text(shape) for shape in distinct[:2])
            raise ShapeError(f"shapes {first} and {second} do not match for '{symbol}'")
        shape = distinct[0] if distinct else ()
        self.spend(math.prod(shape))
        return shape

    def align(self, values: Sequence[Array[T]], symbol: str) -> tuple[Shape, list[tuple[T, ...]]]:
        """The shape of an entry-wise operation and its arguments' entries side by side."""
        shape = self.broadcast((value.shape for value in values), symbol)
        count = math.prod(shape)
        return shape, list(zip(*(value.spread(count) for value in values), strict=True))

    def map(self, value: Array[T], make: Callable[[T], T]) -> Array[T]:
        """``make`` applied to every entry."""
        self.spend(len(value.entries))
        return Array(value.shape, tuple(make(entry) for entry in value.entries))

    def matmul(self, scalars: Scalars[T], left: Array[T], right: Array[T]) -> Array[T]:
        """NumPy's ``@``: matrix @ matrix, matrix @ vector, vector @ matrix, and vector @ vector,
        the dot product (a number)."""
        if not left.shape or not right.shape:
            if left.shape or right.shape:
                raise ShapeError(
                    "'@' needs a vector or matrix on both sides; use * to multiply by a number"
                )
            raise ShapeError("'@' is not allowed; use * for multiplication")
        inner = left.shape[-1]
        if right.shape[0] != inner:
            shapes = f"shapes {_shape_text(left.shape)} and {_shape_text(right.shape)}"
            raise ShapeError(
                f"{shapes} do not match for '@' (inner sizes {inner} and {right.shape[0]})"
            )
        rows = left.shape[0] if len(left.shape) == 2 else 0
        cols = right.shape[1] if len(right.shape) == 2 else 0
        self.spend(max(rows, 1) * max(cols, 1) * inner)
        entries = []
        for i in range(max(rows, 1)):
            for j in range(max(cols, 1)):
                pairs = [
                    (left.entries[i * inner + k], right.entries[k * max(cols, 1) + j])
                    for k in range(inner)
                ]
                entries.append(scalars.add([scalars.multiply(a, b) for a, b in pairs]))
        return Array(tuple(d for d in (rows, cols) if d), tuple(entries))

    def sum(self, scalars: Scalars[T], value: Array[T]) -> Array[T]:
        """The sum of all entries."""
        self.spend(len(value.entries))
        return Array((), (scalars.add(value.entries),))

    def mean(self, scalars: Scalars[T], value: Array[T]) -> Array[T]:
        """The mean of all entries."""
        count = len(value.entries)
        return self.map(self.sum(scalars, value), lambda total: scalars.divide(total, count))

    def dot(self, scalars: Scalars[T], left: Array[T], right: Array[T]) -> Array[T]:
        """``sum(left * right)``, for values of the same shape."""
        if left.shape != right.shape:
            shapes = f"{_shape_text(left.shape)} and {_shape_text(right.shape)}"
            raise ShapeError(
                f"dot needs two values of the same shape, got {shapes}; use @ for a matrix product"
            )
        self.spend(2 * len(left.entries))
        pairs = zip(left.entries, right.entries, strict=True)
        return Array((), (scalars.add([scalars.multiply(a, b) for a, b in pairs]),))

    def norm(self, scalars: Scalars[T], value: Array[T]) -> Array[T]:
        """The Euclidean norm, ``sqrt(sum(value**2))``."""
        squares = self.map(value, lambda entry: scalars.multiply(entry, entry))
        return self.map(self.sum(scalars, squares), scalars.sqrt)


def transpose(value: Array[T]) -> Array[T]:
    """``A.T``: rows and columns swapped; a vector or a number is unchanged."""
    if len(value.shape) < 2:
        return value
    rows, cols = value.shape
    swapped = (value.entries[i * cols + j] for j in range(cols) for i in range(rows))
    return Array((cols, rows), tuple(swapped))


class Arity(NamedTuple):
    """How many arguments a function takes: ``minimum`` up to ``maximum`` (``None``: no limit).
    Shared with the parser's element-wise functions."""

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


class ArrayFunction(NamedTuple):
    """A function of whole arrays: its arity and ``apply(operations, scalars, *values)``."""

    arity: Arity
    apply: Callable[..., Array[Any]]


_ONE = Arity(1, 1)
ARRAY_FUNCTIONS: Mapping[str, ArrayFunction] = types.MappingProxyType(
    {
        "dot": ArrayFunction(Arity(2, 2), Operations.dot),
        "mean": ArrayFunction(_ONE, Operations.mean),
        "norm": ArrayFunction(_ONE, Operations.norm),
        "sum": ArrayFunction(_ONE, Operations.sum),
        "transpose": ArrayFunction(_ONE, lambda operations, scalars, value: transpose(value)),
    }
)
"""Functions of whole vectors and matrices: ``sum(A)`` and ``mean(A)`` of all entries;
``dot(a, b) = sum(a*b)`` for two values of the same shape (for matrices the sum of entry-wise
products, unlike ``numpy.dot``, which is ``@``); ``norm(a) = sqrt(sum(a**2))``, the Euclidean
norm; ``transpose(A)``, also written ``A.T``. On a number, each is the number itself (``norm``:
its absolute value)."""


def entry_names(name: str, shape: Shape) -> tuple[str, ...]:
    """The names of a parameter's entries, ``W[0,0]``, ``W[0,1]``, ... in row-major order (the
    engine's ``Parameter``); a number's is its own name."""
    if not shape:
        return (name,)
    from tutor.engine.layout import Parameter  # the engine package loads every optimizer

    return Parameter(name, shape).component_names()


def declare(
    shapes: Mapping[str, Sequence[int]],
    data: Mapping[str, Any],
    params: Collection[str] | None,
    name_problem: Callable[[str, str], str | None],
) -> tuple[dict[str, Shape], dict[str, np.ndarray]]:
    """The shapes of the shaped parameters, and the data as float64 arrays, checked in order:
    the name (``name_problem(name, role)``, the parser's rules); that a shape is a parameter's
    (one of ``params`` unless ``None``) and a data name is none; then the shape (1 or 2 positive
    sizes, at most :data:`MAX_ENTRIES` entries; ``()`` is a number) or the data (1 to
    :data:`MAX_ENTRIES` finite numbers in at most 2 dimensions)."""
    shaped: dict[str, Shape] = {}
    for name, sizes in shapes.items():
        shape = tuple(sizes)
        problem = name_problem(name, "a parameter")
        if problem is None and params is not None and name not in params:
            problem = f"a shape is given for '{name}', which is not a parameter"
        positive = all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        if problem is None and (len(shape) > 2 or not positive):
            problem = f"parameter '{name}' has shape {shape}; use 1 or 2 positive sizes"
        if problem is None and math.prod(shape) > MAX_ENTRIES:
            entries = f"{math.prod(shape):,} entries (the limit is {MAX_ENTRIES:,})"
            problem = f"parameter '{name}' has {entries}"
        if problem is not None:
            raise ShapeError(problem)
        if shape:
            shaped[name] = shape
    arrays = {}
    for name, array in data.items():
        values = np.asarray(array, dtype=np.float64)
        problem = name_problem(name, "a data name")
        if problem is None and (name in shaped or name in (params or ())):
            problem = f"'{name}' is both a parameter and data"
        if problem is None and (values.ndim > 2 or not 0 < values.size <= MAX_ENTRIES):
            problem = (
                f"data '{name}' must have 1 to {MAX_ENTRIES:,} entries in at most 2 dimensions"
            )
        if problem is None and not np.isfinite(values).all():
            problem = f"data '{name}' has a value that is not a finite number"
        if problem is not None:
            raise ShapeError(problem)
        arrays[name] = values
    return shaped, arrays


def loss_problem(shape: Shape) -> str | None:
    """Why a value of ``shape`` cannot be a loss (it is not one number), else ``None``."""
    if not shape:
        return None
    what = (
        f"a {_shape_text(shape)} matrix" if len(shape) == 2 else f"a vector of {shape[0]} numbers"
    )
    return f"the loss must be a single number, but this is {what}; wrap it in sum(...) or mean(...)"
