"""Where each named parameter lives in the flat parameter vector θ.

The engine steps one flat float64 vector; a :class:`Layout` says which slice of it belongs to
which parameter and what shape that parameter has. ``W:2x3,b:3`` is a 2×3 matrix in entries
0-5 (row-major, as NumPy and torch store it) followed by a 3-vector in entries 6-8. Scalars have
the shape ``()``.

>>> layout = Layout.of([("W", (2, 3)), ("b", (3,))])
>>> layout.size, layout.slice("b"), layout.names
(9, slice(6, 9, None), ('W', 'b'))
>>> layout.component_names()[:2]
('W[0,0]', 'W[0,1]')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """One named parameter: a scalar (``shape == ()``), a vector or a matrix."""

    name: str
    shape: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def component_names(self) -> tuple[str, ...]:
        """``("W[0,0]", "W[0,1]", …)`` in row-major order; a scalar is just its name."""
        if not self.shape:
            return (self.name,)
        return tuple(
            f"{self.name}[{','.join(str(i) for i in index)}]" for index in np.ndindex(*self.shape)
        )

    def shape_text(self) -> str:
        """``2x3`` for a matrix, ``3`` for a vector, ``scalar`` for a scalar."""
        return "x".join(str(d) for d in self.shape) if self.shape else "scalar"


@dataclass(frozen=True)
class Layout:
    """The parameters of a problem, in the order of the flat vector θ."""

    parameters: tuple[Parameter, ...]

    @classmethod
    def of(cls, items: Iterable[tuple[str, tuple[int, ...]]]) -> Layout:
        return cls(tuple(Parameter(name, tuple(shape)) for name, shape in items))

    @classmethod
    def scalars(cls, names: Iterable[str]) -> Layout:
        """Every parameter a scalar: the layout of a loss such as ``(1 - x)**2 + y**2``."""
        return cls(tuple(Parameter(name) for name in names))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parameters)

    @property
    def all_scalar(self) -> bool:
        return all(not p.shape for p in self.parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def slices(self) -> Iterator[tuple[Parameter, slice]]:
        """Each parameter with its slice of the flat vector."""
        start = 0
        for parameter in self.parameters:
            yield parameter, slice(start, start + parameter.size)
            start += parameter.size

    def slice(self, name: str) -> slice:
        for parameter, where in self.slices():
            if parameter.name == name:
                return where
        raise KeyError(name)

    def component_names(self) -> tuple[str, ...]:
        """The name of every entry of θ: ``x``, ``W[0,0]``, …"""
        return tuple(c for p in self.parameters for c in p.component_names())

    def split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """The flat vector (or the last axis of a batch) cut into named, shaped arrays."""
        return {
            p.name: flat[..., where].reshape(*flat.shape[:-1], *p.shape)
            for p, where in self.slices()
        }
