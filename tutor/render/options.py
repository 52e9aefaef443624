"""Options every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderOptions:
    """How to print a result.

    Attributes:
        precision: significant digits of numbers (JSON always carries every digit).
        standalone: for LaTeX, a complete document with its preamble, not a fragment.
    """

    precision: int = 6
    standalone: bool = False
