"""How numbers are written in every output format, decided once.

A value is a float, a flag or a flat vector; with the parameters' layout a flat vector prints as
named matrices (``W = [[0.1, 0.2], [0.3, 0.4]]; b = [0, 1]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NumPy is imported only when an array is printed: listings start faster
    import numpy as np

DEFAULT_PRECISION = 6


def _is_flag(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _array(value: Any) -> np.ndarray:
    import numpy

    return numpy.asarray(value, dtype=numpy.float64)


def scalar_text(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A float with ``precision`` significant digits, trailing zeros dropped (``1.898``);
    ``∞`` for an infinity and ``undefined`` for NaN."""
    value = float(value)
    if value != value:
        return "undefined"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def _nested(array: np.ndarray, precision: int) -> str:
    if array.ndim == 0:
        return scalar_text(float(array), precision)
    return "[" + ", ".join(_nested(row, precision) for row in array) + "]"


def value_text(value: Any, precision: int = DEFAULT_PRECISION, layout: Any = None) -> str:
    """A scalar (or one-element vector) as :func:`scalar_text`, a vector as ``[a, b]``, a flag
    as ``true``/``false``; with a layout of shaped parameters, named nested lists."""
    if _is_flag(value):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return scalar_text(value, precision)
    array = _array(value)
    if array.size == 1:  # one parameter: 2, not [2]
        return scalar_text(float(array.ravel()[0]), precision)
    if layout is not None and not layout.all_scalar and array.size == layout.size:
        parts = layout.split(array.ravel())
        return "; ".join(f"{name} = {_nested(part, precision)}" for name, part in parts.items())
    return _nested(array.ravel() if array.ndim > 1 else array, precision)


def distinct_texts(a: Any, b: Any, precision: int) -> tuple[str, str]:
    """``a`` and ``b`` with just enough digits (at least ``precision``) to tell them apart."""
    first = second = ""
    for digits in range(precision, 18):
        first, second = value_text(a, digits), value_text(b, digits)
        if first != second:
            break
    return first, second


def substitution_formatter(precision: int) -> Callable[[Any], str]:
    """Formatter for numbers placed inside a formula: negatives get brackets, ``0.9·(-0.4)``."""

    def fmt(value: Any) -> str:
        text = value_text(value, precision)
        return f"({text})" if text.startswith("-") else text

    return fmt


def json_value(value: Any) -> Any:
    """A value as JSON-ready Python data: floats stay exact, vectors become flat lists."""
    if _is_flag(value):
        return bool(value)
    if value is None or isinstance(value, (str, int)) or type(value) is float:
        return value
    array = _array(value)
    return float(array) if array.ndim == 0 else array.ravel().tolist()


def tex_number(text: str) -> str:
    """``1e-08`` as ``1 \\times 10^{-8}``; ``inf`` as ``\\infty``; other numbers unchanged."""
    if text in ("∞", "-∞"):
        return text.replace("∞", r"\infty")
    if text == "undefined":
        return r"\text{undefined}"
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    if mantissa == "1":
        return rf"10^{{{int(exponent)}}}"
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _tex_nested(array: np.ndarray, precision: int) -> str:
    if array.ndim == 0:
        return tex_number(scalar_text(float(array), precision))
    if array.ndim == 1:
        cells = [tex_number(scalar_text(float(x), precision)) for x in array]
        return r"\begin{bmatrix}" + r" \\ ".join(cells) + r"\end{bmatrix}"
    rows = [" & ".join(tex_number(scalar_text(float(x), precision)) for x in row) for row in array]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def tex_value(value: Any, precision: int = DEFAULT_PRECISION, layout: Any = None) -> str:
    """A value in LaTeX math: powers of ten, vectors as columns, matrices as matrices."""
    if _is_flag(value):
        return r"\text{" + ("true" if value else "false") + "}"
    if value is None or isinstance(value, str):
        return r"\text{" + value_text(value).replace("_", r"\_") + "}"  # strong_wolfe
    array = _array(value)
    if array.size == 1:
        return tex_number(value_text(value, precision))
    if layout is not None and not layout.all_scalar and array.size == layout.size:
        parts = layout.split(array.ravel())
        return ",\\; ".join(
            f"{name} = {_tex_nested(part, precision)}" for name, part in parts.items()
        )
    return _tex_nested(array.ravel() if array.ndim > 1 else array, precision)


def tex_substitution_formatter(precision: int) -> Callable[[Any], str]:
    """Formatter for numbers placed inside a LaTeX formula: negatives get brackets."""

    def fmt(value: Any) -> str:
        text = tex_value(value, precision)
        return rf"\left({text}\right)" if text.startswith("-") else text

    return fmt
