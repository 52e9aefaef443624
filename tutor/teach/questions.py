"""A question as it is put to a student, from the bank or generated: :class:`Asked`.

Bank questions (:mod:`tutor.content.quiz`) and generated ones (:mod:`tutor.teach.generated`)
become the same :class:`Asked`, so checking, feedback, progress and rendering never ask where a
question came from. A numeric answer is never stored: it is the engine's value
(:class:`Worked`, for a ``solve``) or the safe parser's (for an arithmetic ``expression``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.content.quiz import Question
from tutor.content.tolerances import Tolerance
from tutor.errors import TutorError
from tutor.teach.problem import Problem, make_problem


@dataclass(frozen=True, eq=False)
class Worked:
    """A numeric answer computed by the engine: ``quantity`` at step ``step`` of ``problem``.

    The run, its worked solution and the values under every mistaken variant are computed once,
    when first needed.
    """

    problem: Problem
    quantity: str
    step: int

    @functools.cached_property
    def solution(self) -> Any:
        """The worked solution (:class:`tutor.teach.solve.Solution`) of the run."""
        from tutor.teach.solve import solve_quietly

        return solve_quietly(self.problem)

    @functools.cached_property
    def value(self) -> float:
        """The asked value, checked to be one finite number."""
        from tutor.teach.grading import value_of

        run = self.solution.run
        if len(run) < self.step:
            raise TutorError(
                f"the run stops at step {len(run)} (a value stopped being finite), so step "
                f"{self.step} cannot be asked"
            )
        value = value_of(run.step(self.step), self.quantity)
        if value is None:
            raise TutorError(f"{self.quantity} is not computed at step {self.step}")
        return _one_number(value, self.quantity)

    @functools.cached_property
    def mistaken(self) -> dict[str, float]:
        """The asked value under each mistaken variant of the optimizer that applies
        (:func:`tutor.teach.mistakes.variants`), each run from the start by the engine."""
        from tutor.engine import trajectory
        from tutor.teach.grading import value_of
        from tutor.teach.mistakes import variants

        problem = self.problem
        values: dict[str, float] = {}
        for mistake_id, config in variants(problem.config).items():
            with np.errstate(all="ignore"):
                try:
                    run = trajectory(
                        config, problem.loss, problem.theta0, self.step, layout=problem.layout
                    )
                except (TutorError, ArithmeticError, ValueError, KeyError):
                    continue
            if len(run) < self.step:
                continue
            value = value_of(run.step(self.step), self.quantity)
            if value is None or np.size(value) != 1:
                continue
            number = float(np.ravel(value)[0])
            if math.isfinite(number):
                values[mistake_id] = number
        return values

    @property
    def symbol(self) -> str:
        """The asked value's symbol at its step: ``v̂₂``, ``θ₁``, ``g₃``."""
        return step_symbol(self.solution.run.program.algorithm, self.quantity, self.step)


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

_SPECIAL_SYMBOLS = {"g": "gₜ", "loss": "L(θₜ₋₁)", "loss_next": "L(θₜ)"}


def step_symbol(algorithm: Any, key: str, step: int) -> str:
    """A quantity's symbol with its step number in place of ``ₜ`` (``v̂ₜ`` at 2 is ``v̂₂``)."""
    special = _SPECIAL_SYMBOLS.get(key)
    text = special if special is not None else algorithm.quantity(key).symbol.text
    before = str(step - 1).translate(SUBSCRIPTS)
    return text.replace("ₜ₋₁", before).replace("ₜ", str(step).translate(SUBSCRIPTS))


def _one_number(value: Any, what: str) -> float:
    if np.size(value) != 1:
        raise TutorError(f"{what} has {np.size(value)} entries; a quiz asks for one number")
    number = float(np.ravel(value)[0])
    if not math.isfinite(number):
        raise TutorError(f"{what} is not a finite number ({number})")
    return number


@dataclass(frozen=True, eq=False)
class FormulaLine:
    """One line of a worked answer that is not an optimizer step (a schedule's ηₜ): the
    symbol, the formula as printed, and its value; ``shown`` with ``env`` prints the formula
    with the numbers, at whatever precision the output asks for."""

    key: str
    symbol: str
    symbol_tex: str
    formula: str
    formula_tex: str
    env: Mapping[str, Any]
    shown: Any
    value: float


@dataclass(frozen=True, eq=False)
class Asked:
    """One question as put to a student.

    Attributes:
        id: the bank id, or ``gen:<template>:<seed>`` for a generated question.
        item: what progress is kept for (the bank id, or the template id ``gen:<template>``:
            a generated question is scheduled by its template, not its numbers).
        topic: a topic id.
        kind: ``choice``, ``truefalse``, ``numeric`` or ``symbolic``.
        difficulty: 1 to 3.
        prompt: the question.
        explanation: shown after answering.
        hint: shown on request (None: the question has none).
        choices: the options of a ``choice`` question.
        answer: the right choice's index, the truth value, the number (computed), or the
            expression text of a symbolic answer.
        tolerance: for numbers, how close an answer must be.
        variables: the names a symbolic answer may use.
        expression: for a number computed from an arithmetic expression, that expression.
        worked: for a number computed by the engine, the run behind it.
        formulas: for a number computed from formulas that are not an optimizer step (a
            schedule's rate), each line of the computation; ``asked_formula`` is the key of
            the asked one.
        choice_mistakes: for a generated choice question, the mistake behind each choice
            (None for the right one).
        template: the template id of a generated question.
        seed: the seed a generated question was drawn with.
    """

    id: str
    item: str
    topic: str
    kind: str
    difficulty: int
    prompt: str
    explanation: str
    hint: str | None = None
    choices: tuple[str, ...] = ()
    answer: Any = None
    tolerance: Tolerance | None = None
    variables: tuple[str, ...] = ()
    expression: str | None = None
    worked: Worked | None = None
    formulas: tuple[FormulaLine, ...] = ()
    asked_formula: str | None = None
    choice_mistakes: tuple[str | None, ...] = ()
    template: str | None = None
    seed: int | None = None

    @property
    def generated(self) -> bool:
        return self.template is not None


def expression_value(text: str) -> float:
    """An arithmetic expression's value through the safe parser (nothing is executed)."""
    from tutor.symbolic.parse import parse_expression

    expr = parse_expression(text, []).expr
    return _one_number(float(expr), f"expression {text!r}")


def solve_problem(question: Question) -> Problem:
    """The problem a bank question's ``solve`` table states, validated by the engine."""
    assert question.compute is not None and question.compute.solve is not None
    spec = question.compute.solve
    return make_problem(
        spec.optimizer,
        loss=spec.loss,
        theta=spec.theta,
        steps=spec.steps,
        hyperparameters=dict(spec.hyperparameters),
    )


def from_bank(question: Question) -> Asked:
    """A bank question, with its numeric answer (if any) computed now."""
    common: dict[str, Any] = {
        "id": question.id,
        "item": question.id,
        "topic": question.topic,
        "kind": question.kind,
        "difficulty": question.difficulty,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "hint": question.hint,
    }
    if question.kind != "numeric":
        return Asked(
            **common,
            choices=question.choices,
            answer=question.answer,
            variables=question.variables,
        )
    compute = question.compute
    assert compute is not None
    try:
        if compute.expression is not None:
            return Asked(
                **common,
                answer=expression_value(compute.expression),
                tolerance=compute.tolerance,
                expression=compute.expression,
            )
        assert compute.solve is not None
        worked = Worked(solve_problem(question), compute.solve.quantity, compute.solve.step)
        return Asked(**common, answer=worked.value, tolerance=compute.tolerance, worked=worked)
    except TutorError as exc:
        raise TutorError(f"quiz question {question.id!r}: {exc.message}") from None
