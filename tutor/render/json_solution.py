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
from tutor.render.numbers import DEFAULT_PRECISION, json_value
from tutor.render.rows import step_rows
from tutor.teach.solve import Solution


def _step(solution: Solution, record: StepRecord, reason: str | None) -> dict[str, Any]:
    rows = step_rows(solution, record, DEFAULT_PRECISION)[1:]  # the gradient is "grad" below
    return {
        "t": record.t,
        "theta": json_value(record.theta),
        "loss": record.loss,
        "grad": json_value(record.grad),
        "quantities": [
            {
                "name": row.key,
                "symbol": row.symbol,
                "formula": row.formula,
                "latex": row.formula_tex,
                "value": json_value(row.value),
            }
            for row in rows
        ],
        "theta_next": json_value(record.theta_next),
        "loss_next": record.loss_next,
        "loss_decreased": record.loss_decreased,
        "reason": reason,
    }


def solution_data(solution: Solution) -> dict[str, Any]:
    """The solution as plain JSON-ready data."""
    problem = solution.problem
    divergence = solution.trajectory.divergence
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
            _step(solution, record, check.reason)
            for record, check in zip(solution.steps, solution.checks, strict=True)
        ],
        "final": {"theta": json_value(solution.final_theta), "loss": solution.final_loss},
        "diverged": None
        if divergence is None
        else {"t": divergence.t, "quantity": divergence.quantity},
    }


def render_json(solution: Solution) -> str:
    return json.dumps(solution_data(solution), indent=2, ensure_ascii=False)
