"""Checking an answer against the engine's value: one checker for ``tutor grade`` and the quiz.

Numbers are compared under a :class:`~tutor.content.tolerances.Tolerance`: relative, absolute,
or significant figures (the default, :data:`DEFAULT_TOLERANCE`, is four significant figures).

Expressions (a gradient written by a student) are compared by equivalence through the safe
parser, never executed: first numerically at random points (seeded, so a verdict is
reproducible), then, if they agree, by a time-limited symbolic check that can prove it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.content.tolerances import DEFAULT_TOLERANCE, Tolerance, tolerance_from

__all__ = ["DEFAULT_TOLERANCE", "Equivalence", "Tolerance", "equivalent", "tolerance_from"]

# --- Expressions ---------------------------------------------------------------------------------

POINTS = 24  # random points where two expressions must agree
SYMBOLIC_SECONDS = 2.0


@dataclass(frozen=True)
class Equivalence:
    """The verdict on two expressions.

    Attributes:
        equivalent: they agree (numerically at every point, and not disproved symbolically).
        proved: SymPy showed their difference simplifies to 0 within the time limit.
        counterexample: a point where they differ, with both values, when they do.
    """

    equivalent: bool
    proved: bool = False
    counterexample: tuple[dict[str, float], float, float] | None = None


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[bool]:
    """Yields True when a SIGALRM limit is armed (main thread on Unix), else False."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield False
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def equivalent(
    answer: str, expected: Any, variables: Sequence[str], *, seed: int = 0
) -> Equivalence:
    """Whether the student's expression ``answer`` equals ``expected`` (a SymPy expression in
    ``variables``). ``answer`` goes through the safe parser: a refusal is a TutorError.

    Verdicts are cached: a class that writes the same expression costs one check."""
    return _equivalent(answer, expected, tuple(variables), seed)


@functools.lru_cache(maxsize=1024)
def _equivalent(answer: str, expected: Any, variables: tuple[str, ...], seed: int) -> Equivalence:
    import sympy

    from tutor.symbolic.parse import make_symbol, parse_expression

    parsed = parse_expression(answer, list(variables)).expr
    symbols = [make_symbol(name) for name in variables]
    difference = sympy.Add(parsed, sympy.Mul(-1, expected))
    f_answer = sympy.lambdify(symbols, parsed, modules=[np])
    f_expected = sympy.lambdify(symbols, expected, modules=[np])
    rng = np.random.default_rng(seed)
    compared = 0
    with np.errstate(all="ignore"):
        for _ in range(POINTS * 4):
            point = rng.uniform(-2.0, 2.0, size=len(symbols))
            a, e = float(f_answer(*point)), float(f_expected(*point))
            if not (math.isfinite(a) and math.isfinite(e)):
                continue
            compared += 1
            if abs(a - e) > 1e-9 * max(1.0, abs(e)):
                values = {name: float(x) for name, x in zip(variables, point, strict=True)}
                return Equivalence(False, False, (values, a, e))
            if compared == POINTS:
                break
    if compared == 0:
        return Equivalence(False)
    proved = False
    with _time_limit(SYMBOLIC_SECONDS) as armed:
        if armed:
            try:
                proved = sympy.simplify(difference) == 0
            except (TimeoutError, RecursionError, ValueError, TypeError):
                proved = False
    return Equivalence(True, proved)
