"""The JSON rendering of a solution: a stable contract that other tools read.

Keys: ``optimizer``, ``params``, ``loss``, ``gradient``, ``hyperparameters``, ``steps`` (each with
``t``, ``theta``, ``loss``, ``grad``, ``quantities``, ``theta_next``, ``loss_next``,
``loss_decreased``) and ``final``; plus ``title``, ``convention``, ``exercise``, ``diverged``.
Numbers are full float64 values (they round-trip exactly); formatting is for the other formats.
"""

from __future__ import annotations

import json
from typing import Any

from tutor.engine import StepRecord
from tutor.engine.formula import Expr
from tutor.render.numbers import json_value
from tutor.teach.solve import Solution


def _step(
    solution: Solution, record: StepRecord, reason: str | None, printed: dict[Expr, tuple[str, str]]
) -> dict[str, Any]:
    hp = solution.problem.hyperparameters
    quantities = []
    for quantity in solution.problem.spec.active_quantities(hp):
        formula = quantity.formula(hp, record.t)
        if formula not in printed:  # long runs repeat the same few formulas: print each once
            printed[formula] = (formula.plain(), formula.latex())
        plain, tex = printed[formula]
        quantities.append(
            {
                "name": quantity.key,
                "symbol": quantity.symbol.text,
                "formula": plain,
                "latex": tex,
                "value": json_value(record.values[quantity.key]),
            }
        )
    return {
        "t": record.t,
        "theta": json_value(record.theta),
        "loss": record.loss,
        "grad": json_value(record.grad),
        "quantities": quantities,
        "theta_next": json_value(record.theta_next),
        "loss_next": record.loss_next,
        "loss_decreased": record.loss_decreased,
        "reason": reason,
    }


def solution_data(solution: Solution) -> dict[str, Any]:
    """The solution as plain JSON-ready data."""
    problem = solution.problem
    divergence = solution.trajectory.divergence
    printed: dict[Expr, tuple[str, str]] = {}
    return {
        "optimizer": problem.spec.name,
        "title": problem.spec.title,
        "convention": {
            "name": problem.convention.name,
            "title": problem.convention.title,
            "source": problem.convention.source,
            "summary": problem.convention.summary,
        },
        "exercise": problem.exercise,
        "params": list(problem.loss.params),
        "loss": problem.loss.text,
        "gradient": problem.loss.gradient_text(),
        "hyperparameters": {
            k: json_value(v)
            for k, v in problem.spec.hyperparameter_values(problem.hyperparameters).items()
        },
        "theta0": json_value(problem.theta0),
        "steps": [
            _step(solution, record, check.reason, printed)
            for record, check in zip(solution.steps, solution.checks, strict=True)
        ],
        "final": {"theta": json_value(solution.final_theta), "loss": solution.final_loss},
        "diverged": None
        if divergence is None
        else {"t": divergence.t, "quantity": divergence.quantity},
    }


INDENTED_UP_TO = 1000  # steps; longer runs are written compactly (json's C encoder, 4x faster)


def render_json(solution: Solution) -> str:
    indent = 2 if len(solution.steps) <= INDENTED_UP_TO else None
    return json.dumps(solution_data(solution), indent=indent, ensure_ascii=False)
