"""Small text plots for the terminal: points of one or more series on a grid of characters.

A plot is drawn from computed numbers when a document is built, and printed as a
:class:`~tutor.render.blocks.Preformatted` block, so it reads the same in every format. Only the
standard library is used, and only ASCII characters (LaTeX prints the plot verbatim).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.render.numbers import scalar_text


@dataclass(frozen=True)
class Series:
    """Points ``(x[i], y[i])`` drawn with ``marker``; ``label`` names them in the legend."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    marker: str


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.5 or 1.0
        return low - pad, high + pad
    return low, high


def plot(
    series: Sequence[Series],
    *,
    width: int = 60,
    height: int = 16,
    x_label: str = "",
    y_label: str = "",
    precision: int = 4,
) -> str:
    """The series on a ``width`` × ``height`` grid with a framed area, tick values at the
    corners and a legend. Non-finite points are left out (and counted in the legend)."""
    finite = [
        (x, y)
        for s in series
        for x, y in zip(s.x, s.y, strict=True)
        if math.isfinite(x) and math.isfinite(y)
    ]
    if not finite:
        return "(nothing to plot: no finite values)"
    x_low, x_high = _span([p[0] for p in finite])
    y_low, y_high = _span([p[1] for p in finite])
    grid = [[" "] * width for _ in range(height)]
    skipped = 0
    for s in series:
        for x, y in zip(s.x, s.y, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)):
                skipped += 1
                continue
            column = round((x - x_low) / (x_high - x_low) * (width - 1))
            row = height - 1 - round((y - y_low) / (y_high - y_low) * (height - 1))
            grid[row][column] = s.marker
    top, bottom = scalar_text(y_high, precision), scalar_text(y_low, precision)
    margin = max(len(top), len(bottom))
    lines = [f"{y_label}" if y_label else ""]
    for i, cells in enumerate(grid):
        tick = top if i == 0 else bottom if i == height - 1 else ""
        lines.append(f"{tick:>{margin}} |{''.join(cells)}")
    lines.append(" " * margin + " +" + "-" * width)
    left, right = scalar_text(x_low, precision), scalar_text(x_high, precision)
    gap = max(1, width - len(left) - len(right))
    lines.append(" " * (margin + 2) + left + " " * gap + right)
    if x_label:
        lines.append(" " * (margin + 2) + x_label.center(width).rstrip())
    legend = "   ".join(f"{s.marker} {s.label}" for s in series)
    legend = legend.encode("ascii", "replace").decode("ascii")  # verbatim in LaTeX
    if skipped:
        legend += f"   ({skipped} non-finite points not drawn)"
    lines.append(legend)
    return "\n".join(line.rstrip() for line in lines if line is not None).strip("\n")
