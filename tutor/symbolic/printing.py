"""SymPy expressions printed once, with slots where numbers go later.

A step table shows the gradient's formula with this step's numbers in it (``2*2 - 2``). Printing
that through SymPy for every step would put SymPy inside the renderers and cost time on long
runs. Instead each gradient component is printed once, as text and as LaTeX, with a placeholder
for every parameter; a :class:`Template` then fills in formatted numbers with plain string
operations.

Templates and derivatives are plain text, so a loss read back from the store of compiled losses
(:mod:`tutor.symbolic.store`) carries them without SymPy; SymPy is imported only to print.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sympy

_SLOT = "QQslot{}QQ"


def _slot_name(index: int) -> str:
    """A symbol name SymPy prints verbatim (letters only: digits would become subscripts)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return _SLOT.format(letters)


@dataclass(frozen=True)
class Template:
    """A formula printed with numbered slots: ``2*{θ₀} - 2``.

    Attributes:
        plain: SymPy's text form with slot names.
        latex: SymPy's LaTeX form (``\\cdot`` for products, so numbers stay apart).
        slots: ``(slot name, index into θ)`` for each parameter the formula reads.
    """

    plain: str
    latex: str
    slots: tuple[tuple[str, int], ...]

    def fill(self, theta: Sequence[float], fmt: Callable[[float], str], tex: bool = False) -> str:
        text = self.latex if tex else self.plain
        for name, index in self.slots:
            text = text.replace(name, fmt(theta[index]))
        return text


@functools.lru_cache(maxsize=32)
def _templates(
    exprs: tuple[sympy.Expr, ...], symbols: tuple[sympy.Symbol, ...]
) -> tuple[Template, ...]:
    import sympy

    slot_symbols = {s: sympy.Symbol(_slot_name(i)) for i, s in enumerate(symbols)}
    templates = []
    for expr in exprs:
        used = [s for s in symbols if s in expr.free_symbols]
        replaced = expr.xreplace({s: slot_symbols[s] for s in used})
        templates.append(
            Template(
                sympy.sstr(replaced),
                sympy.latex(replaced, mul_symbol="dot"),
                tuple((slot_symbols[s].name, symbols.index(s)) for s in used),
            )
        )
    return tuple(templates)


def templates(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]) -> tuple[Template, ...]:
    """One :class:`Template` per expression, with a slot for each of ``symbols`` it reads
    (``symbols[i]`` is the i-th entry of θ)."""
    return _templates(tuple(exprs), tuple(symbols))


def latex(expr: sympy.Expr) -> str:
    """SymPy's LaTeX of an expression (products with ``\\cdot``)."""
    import sympy

    return sympy.latex(expr, mul_symbol="dot")


@dataclass(frozen=True)
class Derivative:
    """``∂L/∂x = …`` for one entry of θ, as text and LaTeX."""

    name: str
    plain: str
    latex: str
    expression_plain: str
    expression_latex: str


def derivatives(
    exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]
) -> tuple[Derivative, ...]:
    """The printed partial derivative of each entry of θ (printed once, by SymPy)."""
    import sympy

    out = []
    for expr, symbol in zip(exprs, symbols, strict=True):
        name_tex = sympy.latex(symbol)
        plain, tex = sympy.sstr(expr), latex(expr)
        out.append(
            Derivative(
                symbol.name,
                f"∂L/∂{symbol.name} = {plain}",
                rf"\frac{{\partial L}}{{\partial {name_tex}}} = {tex}",
                plain,
                tex,
            )
        )
    return tuple(out)
