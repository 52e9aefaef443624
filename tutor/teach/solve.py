"""Solving a problem step by step: the data behind ``tutor solve`` (printing is the renderers' job).

A :class:`Problem` is an optimizer, a loss, a start and hyper-parameters, all validated. Solving it
runs the engine's full :func:`~tutor.engine.run.trajectory` and adds a verification of every
step: did the loss go down, and if not, the likely reason, read off the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine import OptimizerSpec, StepRecord, Trajectory, get_optimizer, trajectory
from tutor.engine.run import check_steps
from tutor.engine.spec import Convention
from tutor.errors import TutorError
from tutor.symbolic.loss import Loss, compile_loss
from tutor.symbolic.presets import presets

DEFAULT_LOSS = "quadratic"


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Problem:
    """A fully validated optimization problem.

    Attributes:
        spec: the optimizer.
        loss: the compiled loss.
        theta0: starting parameters, one per name in ``loss.params``.
        hyperparameters: every hyper-parameter of ``spec``, defaults filled in.
        steps: how many steps to take.
        convention: whose arithmetic the numbers follow (its switches are in
            ``hyperparameters`` too).
        exercise: the exercise id when the problem came from one.
    """

    spec: OptimizerSpec
    loss: Loss
    theta0: np.ndarray
    hyperparameters: Mapping[str, Any]
    steps: int
    convention: Convention
    exercise: str | None = None


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class StepCheck:
    """Whether a step lowered the loss and, when it did not, why that can happen."""

    decreased: bool
    reason: str | None


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Solution:
    """A solved problem: the run and the verification of each step."""

    problem: Problem
    trajectory: Trajectory
    checks: tuple[StepCheck, ...]

    @property
    def steps(self) -> tuple[StepRecord, ...]:
        return self.trajectory.steps

    @property
    def final_theta(self) -> np.ndarray:
        return self.steps[-1].theta_next if self.steps else self.problem.theta0

    @property
    def final_loss(self) -> float:
        if self.steps:
            return self.steps[-1].loss_next
        return float(self.problem.loss.value(self.problem.theta0))


def resolve_loss(text: str | None, params: Sequence[str] | None) -> tuple[Loss, tuple[float, ...]]:
    """The loss for ``--loss`` (text or a preset name) and the preset's start, if any."""
    preset = presets().get((text or DEFAULT_LOSS).strip())
    if preset is None:
        assert text is not None
        return compile_loss(text, params), ()
    by_name = dict(zip(compile_loss(preset.loss).params, preset.start, strict=True))
    loss = compile_loss(preset.loss, params)
    return loss, tuple(by_name[name] for name in loss.params)


def _finite_vector(values: Sequence[float], names: Sequence[str]) -> np.ndarray:
    if len(values) != len(names):
        raise TutorError(
            f"expected {len(names)} starting value{'s' if len(names) != 1 else ''} "
            f"(one each for {', '.join(names)}), got {len(values)}"
        )
    for name, value in zip(names, values, strict=True):
        if not math.isfinite(value):
            raise TutorError(f"starting value of {name} must be a finite number, got {value!r}")
    return np.array(values, dtype=np.float64)


def make_problem(
    optimizer: str,
    *,
    loss: str | None = None,
    params: Sequence[str] | None = None,
    theta: Sequence[float] | None = None,
    steps: int = 1,
    hyperparameters: Mapping[str, Any] | None = None,
    convention: str | None = None,
    exercise: str | None = None,
) -> Problem:
    """Validate every input and build a :class:`Problem`.

    ``loss`` is an expression or a preset name (default: the quadratic ``(theta - 1)**2``).
    ``theta`` defaults to the preset's starting point; a custom loss needs it. Raises
    :class:`TutorError` naming the first bad input.
    """
    spec = get_optimizer(optimizer)
    compiled, preset_start = resolve_loss(loss, params)
    if theta is None:
        if not preset_start:
            raise TutorError(
                f"give a starting point with --theta (one value each for "
                f"{', '.join(compiled.params)})"
            )
        if len(preset_start) != len(compiled.params):
            raise TutorError(f"give a starting point with --theta for {', '.join(compiled.params)}")
        theta = preset_start
    theta0 = _finite_vector(theta, compiled.params)
    resolved = spec.resolve(hyperparameters, convention)
    check_steps(steps)
    _check_start(compiled, theta0)
    return Problem(spec, compiled, theta0, resolved, steps, spec.convention(convention), exercise)


def _check_start(loss: Loss, theta0: np.ndarray) -> None:
    where = ", ".join(f"{n} = {v:g}" for n, v in zip(loss.params, theta0, strict=True))
    with np.errstate(all="ignore"):
        value = loss.value(theta0)
        grad = loss.gradient(theta0)
    if not math.isfinite(value):
        raise TutorError(f"the loss is not finite at the start ({where}): {value}")
    if not np.all(np.isfinite(grad)):
        raise TutorError(f"the loss is not differentiable at the start ({where})")


def _check_step(record: StepRecord, loss: Loss) -> StepCheck:
    if record.loss_decreased:
        return StepCheck(True, None)
    step = record.theta_next - record.theta
    if not np.any(step):
        return StepCheck(False, "the parameters did not move (the update was zero)")
    if record.loss_next == record.loss:
        return StepCheck(False, "the loss is flat along the step: it kept the same value")
    slope_before = float(np.dot(record.grad, step))
    with np.errstate(all="ignore"):
        slope_after = float(np.dot(loss.gradient(record.theta_next), step))
    if slope_before > 0:
        return StepCheck(
            False,
            "the step pointed uphill: momentum, weight decay or the optimizer's scaling "
            "outweighed the current gradient",
        )
    if slope_after > 0:
        return StepCheck(
            False,
            "the step overshot: it passed the lowest point along its direction and climbed the "
            "far side; a smaller learning rate would have lowered the loss",
        )
    return StepCheck(
        False,
        "the loss rose along a downhill direction because the surface curves; a smaller step "
        "would have helped",
    )


def solve(problem: Problem) -> Solution:
    """Run the problem through the engine and verify every step."""
    run = trajectory(
        problem.spec,
        problem.hyperparameters,
        problem.theta0,
        problem.loss.gradient,
        problem.loss.value,
        problem.steps,
    )
    checks = tuple(_check_step(record, problem.loss) for record in run.steps)
    return Solution(problem, run, checks)


def problem_from_exercise(
    ref: str,
    *,
    optimizer: str | None = None,
    loss: str | None = None,
    params: Sequence[str] | None = None,
    theta: Sequence[float] | None = None,
    steps: int | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    convention: str | None = None,
) -> Problem:
    """The problem an exercise states, with any of its values overridden ("what if lr were…").

    ``ref`` is a bundled exercise id or a path to an exercise file. Naming a different optimizer
    than the exercise's is an error: the exercise's hyper-parameters belong to its optimizer.
    """
    from tutor.content.exercises import find_exercise

    exercise = find_exercise(ref)
    if optimizer is not None and optimizer.strip().lower() != exercise.optimizer:
        raise TutorError(
            f"exercise {exercise.id!r} is about {exercise.optimizer}, not {optimizer!r}; "
            "leave out the optimizer or change it in the exercise file"
        )
    return make_problem(
        exercise.optimizer,
        loss=loss if loss is not None else exercise.loss,
        params=params if params is not None else exercise.params,
        theta=theta if theta is not None else exercise.start,
        steps=steps if steps is not None else exercise.steps,
        hyperparameters={**exercise.hyperparameters, **(hyperparameters or {})},
        convention=convention if convention is not None else exercise.convention,
        exercise=exercise.id,
    )
