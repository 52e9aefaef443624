"""How numbers are written in every output format, decided once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULT_PRECISION = 6


def scalar_text(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A float with ``precision`` significant digits, trailing zeros dropped (``1.898``)."""
    text = f"{float(value):.{precision}g}"
    return "0" if text == "-0" else text


def value_text(value: Any, precision: int = DEFAULT_PRECISION) -> str:
    """A scalar (or one-element vector) as :func:`scalar_text`, a longer vector as ``[a, b]``,
    a flag as ``true``/``false``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    array = np.asarray(value)
    if array.size == 1:  # one parameter: 2, not [2]
        return scalar_text(float(array.ravel()[0]), precision)
    return "[" + ", ".join(scalar_text(float(x), precision) for x in array.ravel()) + "]"


def substitution_formatter(precision: int) -> Callable[[Any], str]:
    """Formatter for numbers placed inside a formula: negatives get brackets, ``0.9·(-0.4)``."""

    def fmt(value: Any) -> str:
        text = value_text(value, precision)
        return f"({text})" if text.startswith("-") else text

    return fmt


def json_value(value: Any) -> Any:
    """A value as JSON-ready Python data: floats stay exact, vectors become lists."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return np.asarray(value, dtype=np.float64).tolist()


def tex_number(text: str) -> str:
    """``1e-08`` as ``1 \\times 10^{-8}``; other numbers unchanged."""
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def tex_value(value: Any, precision: int = DEFAULT_PRECISION) -> str:
    """A value in LaTeX: numbers with powers of ten, vectors as column matrices."""
    array = np.asarray(value)
    if isinstance(value, (bool, np.bool_)) or array.size == 1:
        return tex_number(value_text(value, precision))
    parts = [tex_number(scalar_text(float(x), precision)) for x in array.ravel()]
    return r"\begin{bmatrix}" + r" \\ ".join(parts) + r"\end{bmatrix}"


def tex_substitution_formatter(precision: int) -> Callable[[Any], str]:
    """Formatter for numbers placed inside a LaTeX formula: negatives get brackets."""

    def fmt(value: Any) -> str:
        text = tex_value(value, precision)
        return rf"\left({text}\right)" if text.startswith("-") else text

    return fmt
