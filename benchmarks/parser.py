"""How fast is the safe parser? Sums of 10, 100 and 1,000 terms, ours beside SymPy's own parser.

    python benchmarks/parser.py

Each sum is ``1*x0**2 + 2*x1**2 + 3*x2**2 + ...`` (about 12 characters a term; the 1,000-term sum
is within ``MAX_LENGTH``). Both parsers read the same text: ours is
:func:`tutor.symbolic.parse.parse_expression`, the reference is SymPy's ``parse_expr``, used only
here and only on text this script generated (it evaluates its input, so ``tutor`` never calls it
on user text). Each timing is the best of a few runs, each run starting from an empty SymPy cache,
as a fresh ``tutor`` process would. The two results are checked to be the same expression.

Importing this module runs nothing; :func:`parser_rows` measures and returns the numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SIZES = (10, 100, 1000)
REPEATS = 5


@dataclass(frozen=True)
class ParserRow:
    """One sum, parsed by both parsers.

    Attributes:
        terms: how many terms the sum has.
        characters: the length of its text.
        ours: seconds for ``parse_expression`` (best of the repeats).
        reference: seconds for SymPy's ``parse_expr`` on the same text.
        agrees: whether both built the same expression.
    """

    terms: int
    characters: int
    ours: float
    reference: float
    agrees: bool

    @property
    def ours_per_term(self) -> float:
        return self.ours / self.terms

    @property
    def reference_per_term(self) -> float:
        return self.reference / self.terms

    @property
    def ratio(self) -> float:
        """ours / reference: below 1 means we are faster."""
        return self.ours / self.reference


def sum_text(terms: int) -> str:
    """``1*x0**2 + 2*x1**2 + ...`` with ``terms`` terms."""
    return " + ".join(f"{i + 1}*x{i}**2" for i in range(terms))


def best_time(run: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` runs, each from an empty SymPy cache."""
    from sympy.core.cache import clear_cache

    best = float("inf")
    for _ in range(repeats):
        clear_cache()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def parser_rows(sizes: Sequence[int] = SIZES, repeats: int = REPEATS) -> list[ParserRow]:
    """Time both parsers on a sum of each size; the slowest sizes get fewer repeats."""
    from sympy.parsing.sympy_parser import parse_expr

    from tutor.symbolic.parse import make_symbol, parse_expression

    parse_expression(sum_text(3))  # first use: imports and SymPy's start-up caches
    parse_expr(sum_text(3))
    rows = []
    for terms in sizes:
        text = sum_text(terms)
        count = max(1, repeats if terms <= 100 else repeats // 2)
        ours = best_time(lambda text=text: parse_expression(text), count)
        reference = best_time(lambda text=text: parse_expr(text), count)
        symbols = {f"x{i}": make_symbol(f"x{i}") for i in range(terms)}
        agrees = parse_expression(text).expr == parse_expr(text, local_dict=symbols)
        rows.append(ParserRow(terms, len(text), ours, reference, agrees))
    return rows


def format_rows(rows: Sequence[ParserRow]) -> str:
    """One line per sum: sizes, both times per term, the ratio and the agreement check."""
    header = f"{'terms':>6} {'chars':>7} {'ours/term':>11} {'sympy/term':>11} {'ratio':>7}  same"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.terms:>6} {row.characters:>7} {row.ours_per_term * 1e6:>8.1f} us"
            f" {row.reference_per_term * 1e6:>8.1f} us {row.ratio:>7.3f}  "
            + ("yes" if row.agrees else "MISMATCH")
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_rows(parser_rows()))
