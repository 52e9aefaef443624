"""Conventions side by side: the same problem under PyTorch's, the paper's, optax's, Keras's and
the textbook's arithmetic, and where they part ways.

Everything here is computed from the optimizer definitions: the runs come from the engine, and
the differences between formulas are found by comparing the formulas each convention builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tutor.engine import OptimizerSpec, StepRecord
from tutor.engine.spec import Convention
from tutor.errors import TutorError
from tutor.teach.solve import Problem, Solution, solve

SAME = 1e-12  # relative difference below which two conventions give "the same" value


@dataclass(frozen=True)
class Difference:
    """The first quantity at which a convention's run departs from the default convention's."""

    t: int
    key: str
    symbol: str
    formula: str | None
    default_formula: str | None
    value: Any
    default_value: Any


@dataclass(frozen=True)
class ConventionRun:
    """One convention's solution of the problem, or why it could not run it."""

    convention: Convention
    solution: Solution | None
    refused: str | None
    difference: Difference | None
    missing: tuple[str, ...] = ()  # symbols of quantities the default computes and this does not


@dataclass(frozen=True)
class Comparison:
    """Every convention of the problem's optimizer, run on the same problem."""

    problem: Problem
    runs: tuple[ConventionRun, ...]

    @property
    def default(self) -> ConventionRun:
        return self.runs[0]


def differs(a: Any, b: Any) -> bool:
    """Whether two values differ by more than :data:`SAME` (relative), or in shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape != b.shape or not np.allclose(a, b, rtol=SAME, atol=0.0)


def _formula(spec: OptimizerSpec, hp: dict[str, Any], key: str, t: int) -> str | None:
    active = {q.key: q for q in spec.active_quantities(hp)}
    return active[key].formula(hp, t).plain() if key in active else None


def first_difference(
    spec: OptimizerSpec,
    ours: Sequence[StepRecord],
    hp: dict[str, Any],
    theirs: Sequence[StepRecord],
    default_hp: dict[str, Any],
) -> Difference | None:
    """The earliest (step, quantity) whose formula or value differs between two runs.

    Quantities that only one of the runs computes (m̂ without bias correction) are listed by
    :func:`missing_quantities` instead; the first difference is among the shared ones.
    """
    for mine, base in zip(ours, theirs, strict=False):
        keys = [q.key for q in spec.quantities if q.key in mine.values and q.key in base.values]
        for key in keys:
            formula = _formula(spec, hp, key, mine.t)
            default_formula = _formula(spec, default_hp, key, mine.t)
            value, default_value = mine.values[key], base.values[key]
            if formula != default_formula or differs(value, default_value):
                return Difference(
                    mine.t,
                    key,
                    spec.quantity(key).symbol.text,
                    formula,
                    default_formula,
                    value,
                    default_value,
                )
    if len(ours) != len(theirs):
        t = min(len(ours), len(theirs)) + 1
        return Difference(t, "theta_next", "θₜ₊₁", None, None, None, None)
    return None


def missing_quantities(
    spec: OptimizerSpec, hp: Mapping[str, Any], default_hp: Mapping[str, Any]
) -> tuple[str, ...]:
    """Symbols of the quantities the default convention computes and this one does not."""
    ours = {q.key for q in spec.active_quantities(hp)}
    return tuple(q.symbol.text for q in spec.active_quantities(default_hp) if q.key not in ours)


def compare_conventions(problem: Problem) -> Comparison:
    """Run ``problem`` under every convention of its optimizer, the default first."""
    spec = problem.spec
    user_values = spec.hyperparameter_values(problem.hyperparameters)
    default = solve(_with_convention(problem, spec.default_convention))
    runs = [ConventionRun(spec.default_convention, default, None, None)]
    for convention in spec.conventions[1:]:
        try:
            variant = _with_convention(problem, convention, user_values)
        except TutorError as error:
            runs.append(ConventionRun(convention, None, str(error), None))
            continue
        solution = solve(variant)
        difference = first_difference(
            spec,
            solution.steps,
            dict(variant.hyperparameters),
            default.steps,
            dict(default.problem.hyperparameters),
        )
        runs.append(
            ConventionRun(
                convention,
                solution,
                None,
                difference,
                missing_quantities(spec, variant.hyperparameters, default.problem.hyperparameters),
            )
        )
    return Comparison(problem, tuple(runs))


def _with_convention(
    problem: Problem, convention: Convention, values: dict[str, Any] | None = None
) -> Problem:
    spec = problem.spec
    hp = spec.resolve(
        values or spec.hyperparameter_values(problem.hyperparameters), convention.name
    )
    return replace(problem, hyperparameters=hp, convention=convention)


def matching_conventions(problem: Problem, key: str, t: int, answer: Any, rtol: float) -> list[str]:
    """Names of the conventions under which ``answer`` is the value of ``key`` at step ``t``.

    Grading uses this to say "this is the paper's AdamW; the exercise asks for PyTorch's".
    """
    names = []
    for run in compare_conventions(problem).runs:
        if run.solution is None or len(run.solution.steps) < t:
            continue
        record = run.solution.steps[t - 1]
        special: dict[str, Any] = {
            "g": record.grad,
            "loss": record.loss,
            "loss_next": record.loss_next,
        }
        value = special.get(key, record.values.get(key))
        if value is not None and np.allclose(answer, value, rtol=rtol, atol=0.0):
            names.append(run.convention.name)
    return names


@dataclass(frozen=True)
class ConventionRow:
    """How one convention of one optimizer writes the quantities where it departs from the
    default, found by building every formula under both."""

    optimizer: str
    convention: Convention
    formulas: tuple[tuple[str, str, str | None], ...]  # (key, symbol, formula or None)
    is_default: bool = False


def _probe(spec: OptimizerSpec, convention: Convention) -> dict[str, Any]:
    """Hyper-parameters that switch on every term a convention can change (decay, momentum)."""
    overrides: dict[str, Any] = {}
    for hyper in spec.hyperparameters:
        if hyper.name in convention.unsupported or hyper.is_flag:
            continue
        if hyper.name in ("weight_decay", "momentum") and hyper.default == 0:
            overrides[hyper.name] = 0.5
    return spec.resolve(overrides, convention.name)


def convention_rows(spec: OptimizerSpec) -> list[ConventionRow]:
    """For every convention: the formulas (at a general step t = 2) that differ from the
    default convention's, with weight decay and momentum switched on so their terms show."""
    default = spec.default_convention
    base = _probe(spec, default)
    base_formulas = {q.key: q.formula(base, 2).plain() for q in spec.active_quantities(base)}
    rows = [ConventionRow(spec.name, default, (), is_default=True)]
    for convention in spec.conventions[1:]:
        hp = _probe(spec, convention)
        formulas = {q.key: q.formula(hp, 2).plain() for q in spec.active_quantities(hp)}
        changed = tuple(
            (q.key, q.symbol.text, formulas.get(q.key))
            for q in spec.quantities
            if (q.key in formulas or q.key in base_formulas)
            and formulas.get(q.key) != base_formulas.get(q.key)
        )
        rows.append(ConventionRow(spec.name, convention, changed))
    return rows
