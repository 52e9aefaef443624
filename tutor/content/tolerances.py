"""Tolerances: how close a numeric answer must be, as exercise files declare them.

The default, :data:`DEFAULT_TOLERANCE`, is four significant figures: an answer passes when it is
the exact value rounded to four significant figures or closer (half a unit in the fourth
figure), so honest rounding passes and a mistake that moves the value by more than that does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.errors import TutorError

ZERO = 1e-12  # an expected value this small is compared absolutely: |answer| <= 1e-12 passes


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be: one of ``relative``, ``absolute`` or ``sig_figs``.

    ``sig_figs = n`` accepts an answer within half a unit in the n-th significant figure of the
    exact value (what rounding to n figures can cost).
    """

    relative: float | None = None
    absolute: float | None = None
    sig_figs: int | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.relative, self.absolute, self.sig_figs) if x is not None]
        if len(given) != 1:
            raise TutorError("a tolerance gives exactly one of relative, absolute or sig_figs")
        if self.relative is not None and not 0 < self.relative < 1:
            raise TutorError(f"tolerance relative must be > 0 and < 1, got {self.relative}")
        if self.absolute is not None and not (self.absolute > 0 and math.isfinite(self.absolute)):
            raise TutorError(f"tolerance absolute must be > 0, got {self.absolute}")
        if self.sig_figs is not None and not 1 <= self.sig_figs <= 15:
            raise TutorError(f"tolerance sig_figs must be from 1 to 15, got {self.sig_figs}")

    def allowed(self, expected: float) -> float:
        """The largest accepted distance from ``expected``."""
        if abs(expected) < ZERO:
            return ZERO
        if self.absolute is not None:
            return self.absolute
        if self.relative is not None:
            return self.relative * abs(expected)
        assert self.sig_figs is not None
        unit = 10.0 ** (math.floor(math.log10(abs(expected))) - self.sig_figs + 1)
        return 0.5 * unit * (1 + 1e-9)

    def accepts(self, answer: Any, expected: Any) -> bool:
        """Whether every entry of ``answer`` is within tolerance of ``expected`` (same shape)."""
        a = np.asarray(answer, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        if a.size != e.size:
            return False
        a, e = a.ravel(), e.ravel()
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
            return bool(np.array_equal(a, e))
        return all(
            abs(x - y) <= self.allowed(y) for x, y in zip(a.tolist(), e.tolist(), strict=True)
        )

    def describe(self) -> str:
        if self.sig_figs is not None:
            return f"{self.sig_figs} significant figures"
        if self.relative is not None:
            return f"a relative {self.relative:g}"
        return f"an absolute {self.absolute:g}"

    def as_data(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("relative", self.relative),
                ("absolute", self.absolute),
                ("sig_figs", self.sig_figs),
            )
            if v is not None
        }


DEFAULT_TOLERANCE = Tolerance(sig_figs=4)


def tolerance_from(value: Any, where: str) -> Tolerance:
    """A tolerance from a data file: a table with one key, or a bare number (relative)."""
    if isinstance(value, bool):
        raise TutorError(f"{where}: a tolerance is a table such as {{ sig_figs = 4 }}")
    if isinstance(value, (int, float)):
        return Tolerance(relative=float(value))
    if not isinstance(value, Mapping):
        raise TutorError(f"{where}: a tolerance is a table such as {{ sig_figs = 4 }}")
    unknown = set(value) - {"relative", "absolute", "sig_figs"}
    if unknown:
        raise TutorError(
            f"{where}: unknown tolerance key {sorted(unknown)[0]!r} (use relative, absolute or "
            "sig_figs)"
        )
    try:
        return Tolerance(**dict(value))
    except TypeError:
        raise TutorError(f"{where}: a tolerance needs a number") from None
    except TutorError as exc:
        raise TutorError(f"{where}: {exc.message}") from None
