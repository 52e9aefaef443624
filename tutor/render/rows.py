"""The rows of a step table, shared by every output format.

A row is one quantity of one step: its symbol, its formula, the formula with this step's numbers
in it, and its value, each in plain Unicode and in LaTeX. The first row is always the gradient of
the loss; the rest come, in order, from the optimizer's definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from tutor.engine import StepRecord
from tutor.render.numbers import substitution_formatter, tex_substitution_formatter
from tutor.symbolic.loss import Loss
from tutor.teach.solve import Solution

_MAX_SUBSTITUTED = 80


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Row:
    """One line of a step table."""

    key: str
    symbol: str
    symbol_tex: str
    formula: str
    formula_tex: str
    substituted: str
    substituted_tex: str
    value: Any
    description: str


def _gradient_row(loss: Loss, record: StepRecord, precision: int) -> Row:
    fmt = substitution_formatter(precision)
    if len(loss.params) == 1:
        expr = loss.gradient_exprs[0]
        symbol = sympy.Symbol(loss.params[0])
        numbers = {s: sympy.Symbol(fmt(record.theta[0])) for s in expr.free_symbols}
        substituted = sympy.sstr(expr.xreplace(numbers))
        substituted_tex = sympy.latex(expr.xreplace(numbers))
        name = f"dL/d{symbol}"
        return Row(
            "g",
            "gₜ",
            "g_t",
            f"{name} = {sympy.sstr(expr)}",
            rf"\frac{{dL}}{{d{sympy.latex(symbol)}}} = {sympy.latex(expr)}",
            substituted if len(substituted) <= _MAX_SUBSTITUTED else "",
            substituted_tex if len(substituted) <= _MAX_SUBSTITUTED else "",
            record.grad,
            "gradient of the loss at θₜ",
        )
    return Row(
        "g",
        "gₜ",
        "g_t",
        "∇L(θₜ)",
        r"\nabla L(\theta_t)",
        "",
        "",
        record.grad,
        "gradient of the loss at θₜ",
    )


def step_rows(solution: Solution, record: StepRecord, precision: int) -> list[Row]:
    """Every row of the table for ``record``: the gradient, then each active quantity."""
    problem = solution.problem
    hp = problem.hyperparameters
    env = record.environment(hp)
    fmt = substitution_formatter(precision)
    tex_fmt = tex_substitution_formatter(precision)
    rows = [_gradient_row(problem.loss, record, precision)]
    for quantity in problem.spec.active_quantities(hp):
        formula = quantity.formula(hp, record.t)
        rows.append(
            Row(
                quantity.key,
                quantity.symbol.text,
                quantity.symbol.tex,
                formula.plain(),
                formula.latex(),
                formula.plain(env, fmt),
                formula.latex(env, tex_fmt),
                record.values[quantity.key],
                quantity.description,
            )
        )
    return rows
