"""Running an optimizer: a full step-by-step record for teaching, or a lean loop for speed.

Both paths call the optimizer's own ``step`` function, so they cannot disagree.

* :func:`trajectory` keeps every step's inputs and named quantities, and stops at the first step
  whose values are not finite (divergence).
* :func:`iterate` keeps only the parameters. Its ``theta`` may carry leading batch dimensions, and
  hyper-parameters may be arrays that broadcast against them (e.g. a learning-rate grid of shape
  ``(64, 1)`` with ``theta`` of shape ``(64, n)``): the whole batch advances as one array
  operation per step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine.spec import OptimizerSpec
from tutor.errors import TutorError

GradientFn = Callable[[np.ndarray], np.ndarray]
LossFn = Callable[[np.ndarray], Any]

MAX_STEPS = 100_000


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class StepRecord:
    """Everything that happened in step ``t``.

    Attributes:
        t: the step number, from 1.
        theta: parameters before the step (θₜ in the tables).
        loss: loss at ``theta``.
        grad: gradient of the loss alone at ``theta``.
        previous: optimizer state before the step, keyed as in the formulas (``m_prev``).
        values: every active quantity, in the spec's order, ending with ``theta_next``.
        loss_next: loss at ``theta_next``.
    """

    t: int
    theta: np.ndarray
    loss: float
    grad: np.ndarray
    previous: Mapping[str, np.ndarray]
    values: Mapping[str, np.ndarray]
    loss_next: float

    @property
    def theta_next(self) -> np.ndarray:
        return self.values["theta_next"]

    @property
    def loss_decreased(self) -> bool:
        return self.loss_next < self.loss

    def environment(self, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
        """Every value a formula of this step may read: hyper-parameters, inputs, state, results."""
        return {
            **hyperparameters,
            "t": self.t,
            "theta": self.theta,
            "g": self.grad,
            **self.previous,
            **self.values,
        }


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Divergence:
    """The first step at which a value stopped being finite, and which value it was."""

    t: int
    quantity: str


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Trajectory:
    """The record of a run: its steps and, if it blew up, where."""

    spec: OptimizerSpec
    hyperparameters: Mapping[str, Any]
    steps: tuple[StepRecord, ...]
    divergence: Divergence | None


def check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise TutorError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    return steps


def _first_non_finite(values: Mapping[str, Any]) -> str | None:
    for key, value in values.items():
        if not np.all(np.isfinite(value)):
            return key
    return None


def trajectory(
    spec: OptimizerSpec,
    hyperparameters: Mapping[str, Any],
    theta0: np.ndarray,
    gradient: GradientFn,
    loss: LossFn,
    steps: int,
) -> Trajectory:
    """Run ``steps`` steps from ``theta0`` and keep every quantity of every step.

    ``hyperparameters`` must already be resolved (``spec.resolve``). The run stops early at the
    first step where the gradient, a quantity or the new loss is infinite or NaN.
    """
    check_steps(steps)
    theta = np.array(theta0, dtype=np.float64)
    state = spec.init(theta, hyperparameters)
    current_loss = float(loss(theta))
    records: list[StepRecord] = []
    for t in range(1, steps + 1):
        grad = np.asarray(gradient(theta), dtype=np.float64)
        if _first_non_finite({"g": grad}):
            return Trajectory(spec, hyperparameters, tuple(records), Divergence(t, "g"))
        with np.errstate(all="ignore"):
            values, new_state = spec.step(theta, grad, state, hyperparameters, t)
            next_loss = float(loss(values["theta_next"]))
        bad = _first_non_finite({**values, "loss": next_loss})
        if bad is not None:
            return Trajectory(spec, hyperparameters, tuple(records), Divergence(t, bad))
        previous = {f"{key}_prev": value for key, value in state.items()}
        records.append(StepRecord(t, theta, current_loss, grad, previous, dict(values), next_loss))
        theta, state, current_loss = values["theta_next"], new_state, next_loss
    return Trajectory(spec, hyperparameters, tuple(records), None)


def iterate(
    spec: OptimizerSpec,
    hyperparameters: Mapping[str, Any],
    theta0: np.ndarray,
    gradient: GradientFn,
    steps: int,
) -> np.ndarray:
    """Parameters after ``steps`` steps, for one configuration or a batch of them.

    ``theta0`` has shape ``(..., n)``; hyper-parameter values may be floats or arrays that
    broadcast against it. Nothing is recorded and nothing stops early: a configuration that
    diverges ends as ``inf`` or ``nan`` in its own row while the others run on.
    """
    check_steps(steps)
    theta = np.array(theta0, dtype=np.float64)
    state = spec.init(theta, hyperparameters)
    step = spec.step
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            values, state = step(theta, gradient(theta), state, hyperparameters, t)
            theta = values["theta_next"]
    return theta
