"""Guards on numbers: what a parsed expression may compute exactly, checked in float64 first.

The parser keeps SymPy's exact numbers (``x**(1/3)`` differentiates to ``1/(3*x**(2/3))``), but
exact arithmetic can explode: ``10**10**10`` has ten billion digits, an exact root of a large
number needs its factorisation, and ``exp(1000)`` is beyond float64. Before a node is built, its
number-only parts are computed in float64 and its powers bounded here; after, only the top of the
new node is inspected for what SymPy made of it (``zoo``, ``I``, a huge combined exponent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
import sympy

MAX_EXPONENT = 1000
"""Largest accepted absolute value of a numeric exponent, e.g. ``x**1000`` but not ``x**1001``."""
MAX_DIGITS = 1000
"""Largest accepted exact number, in decimal digits (estimated before it is computed)."""
MAX_ROOT_SIZE = 40
"""An exact root ``b**(p/q)`` needs ``q`` times the digits of ``b`` at most this: SymPy factors
``b`` to simplify it (``2**(1/40)`` is fine, ``2**(1/997)`` is refused, ``2**0.001`` is a float)."""
MAX_EXP_ARGUMENT = 700
"""Largest ``|c|`` in ``exp(c)`` for a constant ``c`` (``exp(709.8)`` is float64's limit)."""

UNDEFINED, NON_REAL = "undefined", "non-real"
TOO_LARGE = "the value is too large for a float64 (beyond about 1.8e308)"


def float64(compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)`` in float64, with overflow turned into ``inf``. Our float64 functions
    return ``nan`` where the value is undefined and a complex number where it is not real."""
    try:
        return compute(*args)
    except OverflowError:
        return math.inf


def power64(base: float, exponent: float) -> complex:
    if base < 0 and not exponent.is_integer():
        return 1j
    return math.nan if base == 0 and exponent < 0 else base**exponent


def digit_count(number: sympy.Number) -> float:
    """Roughly how many decimal digits ``number`` has (for floats: |decimal exponent|)."""
    if number.is_zero:
        return 0.0
    if isinstance(number, sympy.Rational):
        return max(math.log10(abs(number.p)), math.log10(number.q))
    return abs(float(mpmath.mag(number))) * math.log10(2)


def power_problem(base: sympy.Expr, exponent: sympy.Expr, size: float | None) -> str | None:
    """Why ``base**exponent`` must not be built (``size``: |exponent| when it is a number)."""
    if base == sympy.E:
        return exp_problem(exponent, size)
    if size is None:
        return None
    if size > MAX_EXPONENT:
        shown = str(exponent) if len(str(exponent)) <= 20 else "of this size"
        return f"exponent {shown} is too large (the limit is {MAX_EXPONENT})"
    for factor in sympy.Mul.make_args(base):
        number, power = factor.as_base_exp()
        if isinstance(factor, sympy.exp):
            problem = exp_problem(sympy.Mul(factor.args[0], exponent), None)
            if problem is not None:
                return problem
        if not (exponent.is_Number and number.is_Number and power.is_Number):
            continue
        power = power * exponent
        digits = float(abs(power)) * digit_count(number)
        if digits > MAX_DIGITS:
            return f"the result would have about {digits:.0f} digits (the limit is {MAX_DIGITS})"
        degree, width = (power.q if power.is_Rational else 1), int(digit_count(number)) + 1
        if number.is_Rational and degree > 1 and degree * width > MAX_ROOT_SIZE:
            return (
                f"an exact root of degree {degree} of a {width}-digit number is too costly "
                f"(degree times digits must be at most {MAX_ROOT_SIZE}); write the exponent "
                "as a decimal instead, e.g. 0.25 for 1/4"
            )
    return None


def exp_problem(argument: sympy.Expr, value: float | None) -> str | None:
    """Refuse ``exp`` of a constant beyond float64's range, and guard ``exp(c*log(b))``, which
    SymPy rewrites as the power ``b**c``, like any other power."""
    if value is None and argument.is_number:  # exp(a)**c: a constant not computed yet
        value = float64(lambda: abs(float(argument.evalf(20))))
    if value is not None and abs(value) > MAX_EXP_ARGUMENT:
        reason = f"exp of a constant beyond ±{MAX_EXP_ARGUMENT} is outside float64's range"
        return reason + "; use a smaller number"
    for term in sympy.Add.make_args(argument):
        coefficient, rest = term.as_coeff_Mul()
        logs = rest.atoms(sympy.log)
        if logs:
            base = sympy.Mul(*(log.args[0] for log in logs), evaluate=False)
            problem = power_problem(base, coefficient, float(abs(coefficient)))
            if problem is not None:
                return problem
    return None


SPECIAL = {id(s): UNDEFINED for s in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)}
SPECIAL[id(sympy.I)] = NON_REAL


def inspect_top(expr: sympy.Expr) -> tuple[str, sympy.Expr] | None:
    """What SymPy made at the top of a new ``expr`` (itself and its direct arguments): an
    undefined or non-real value, or a number or combined exponent that is too large."""
    for sub in (expr, *expr.args):
        for part in (sub, sub.base, sub.exp) if sub.is_Pow else (sub,):  # 1/0**x is zoo**x
            if id(part) in SPECIAL:
                return SPECIAL[id(part)], sub
        if sub.is_Number and digit_count(sub) > MAX_DIGITS:
            return f"a number in the result would have more than {MAX_DIGITS} digits", sub
        if sub.is_Pow and sub.exp.is_Number and abs(sub.exp) > MAX_EXPONENT:
            return f"a combined exponent is too large (the limit is {MAX_EXPONENT})", sub
    return None
