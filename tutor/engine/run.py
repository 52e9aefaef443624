"""Running an optimizer: a full record for teaching, or a lean loop for speed.

Both paths call one compiled :class:`~tutor.engine.program.Program`, so they cannot disagree.

* :func:`trajectory` keeps every quantity of every step in arrays (one row per step), and stops
  at the first step whose values are not finite (divergence).
* :func:`iterate` keeps only the parameters. Its ``theta`` may carry leading batch dimensions, and
  hyper-parameters may be arrays that broadcast against them (e.g. a learning-rate grid of shape
  ``(64, 1)`` with ``theta`` of shape ``(64, n)``): the whole batch advances as one array
  operation per step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tutor.engine.formula import Func, Sym
from tutor.engine.layout import Layout
from tutor.engine.program import OPTIONAL_INPUTS, Program
from tutor.engine.spec import Config, Procedure, Quantity
from tutor.errors import SingularMatrixError, TutorError

MAX_STEPS = 100_000


class Objective(Protocol):
    """What a run needs from the loss: its value and gradient (and, for second-order methods,
    its Hessian) at any point. :class:`tutor.symbolic.loss.Loss` is one."""

    def value(self, theta: np.ndarray) -> Any: ...

    def gradient(self, theta: np.ndarray) -> np.ndarray: ...


Schedule = Callable[[int, np.ndarray], Mapping[str, float]]
"""Per-step hyper-parameters: ``schedule(t, losses)`` gives, e.g., ``{"lr": ηₜ}`` for step ``t``;
``losses`` holds L(θ₁), …, L(θₜ₋₁), the loss after each earlier step (ReduceLROnPlateau reads
it). The run calls it for t = 1, 2, … in order."""


@dataclass(frozen=True)
class Divergence:
    """The first step at which a value stopped being finite, and which value it was."""

    t: int
    quantity: str


@dataclass(frozen=True, eq=False)
class StepRecord:
    """Everything that happened in step ``t`` (a view of one row of a :class:`Trajectory`).

    Attributes:
        t: the step number, from 1: step t takes θₜ₋₁ to θₜ.
        theta: parameters before the step (θₜ₋₁).
        loss: loss at ``theta``.
        grad: gradient of the loss alone at ``theta`` (gₜ).
        previous: carried state before the step, keyed as in the formulas (``m_prev``).
        values: every quantity computed in this step, in the algorithm's order.
        loss_next: loss after the step.
        hyper: hyper-parameters that vary by step (a schedule's ηₜ), if any.
        notes: inner iterations of procedures, by quantity.
        inputs: the optional inputs the step read besides the loss (Newton's Hessian ``H``,
            the natural gradient's Fisher matrix ``F``, the identity ``I``), by symbol key.
    """

    t: int
    theta: np.ndarray
    loss: float
    grad: np.ndarray
    previous: Mapping[str, Any]
    values: Mapping[str, Any]
    loss_next: float
    hyper: Mapping[str, Any] = field(default_factory=dict)
    notes: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def theta_next(self) -> np.ndarray:
        return self.values["theta_next"]

    @property
    def loss_decreased(self) -> bool:
        return self.loss_next < self.loss

    def environment(self, constants: Mapping[str, Any]) -> dict[str, Any]:
        """Every value a formula of this step may read: hyper-parameters, inputs, state, results."""
        return {
            **constants,
            **self.hyper,
            "t": self.t,
            "theta": self.theta,
            "g": self.grad,
            "loss": self.loss,
            **self.inputs,
            **self.previous,
            **self.values,
        }


@dataclass(eq=False)
class Trajectory:
    """The record of a run, held as arrays: row ``i`` is step ``t = i + 1``.

    Attributes:
        config: the optimizer configuration that ran.
        program: its compiled algorithm.
        theta0: the start.
        theta: ``(steps, n)``, parameters before each step.
        loss: ``(steps,)``, loss before each step.
        grad: ``(steps, n)``.
        loss_next: ``(steps,)``.
        values: each quantity's values, ``(steps, *shape)``; NaN on steps where a conditional
            quantity was not computed (see ``present``).
        present: for conditional quantities only, which steps computed them.
        initial_state: the carried state before step 1.
        hyper: per-step hyper-parameters (a schedule's), each ``(steps,)``.
        notes: procedure notes by step.
        divergence: where the run stopped, if it blew up.
        inputs: the optional inputs each step read besides the loss (``H``, ``F``, ``I``), each
            ``(steps, *shape)``.
    """

    config: Config
    program: Program
    theta0: np.ndarray
    theta: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    loss_next: np.ndarray
    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    initial_state: dict[str, Any]
    hyper: dict[str, np.ndarray]
    notes: dict[int, dict[str, list[dict[str, Any]]]]
    divergence: Divergence | None
    inputs: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return self.program.algorithm.quantities

    @property
    def final_theta(self) -> np.ndarray:
        return self.values["theta_next"][-1] if len(self) else self.theta0

    def step(self, t: int) -> StepRecord:
        """The record of step ``t`` (1-based)."""
        i = t - 1
        if not 0 <= i < len(self):
            raise IndexError(t)
        values = {
            key: array[i]
            for key, array in self.values.items()
            if key not in self.present or self.present[key][i]
        }
        previous = {}
        for quantity in self.program.algorithm.stored:
            source = self.values[quantity.key][i - 1] if i else self.initial_state[quantity.key]
            previous[quantity.previous.key] = source  # type: ignore[union-attr]
        return StepRecord(
            t,
            self.theta[i],
            float(self.loss[i]),
            self.grad[i],
            previous,
            values,
            float(self.loss_next[i]),
            {name: float(series[i]) for name, series in self.hyper.items()},
            self.notes.get(t, {}),
            {name: series[i] for name, series in self.inputs.items()},
        )

    def steps(self) -> Iterator[StepRecord]:
        for t in range(1, len(self) + 1):
            yield self.step(t)


def check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise TutorError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    return steps


_INPUT_NAMES = {"H": "the Hessian H", "F": "the Fisher matrix F"}

COND_LIMIT = 1e10
"""Largest condition number of a matrix a step solves with (Newton's ``H + λI``). Solving with a
matrix of condition number κ can lose about log₁₀ κ of float64's 16 significant digits; above
1e10 fewer than 6 would be guaranteed, fewer than the tables print, so the step is refused as
numerically singular."""


def step_inputs(program: Program, objective: Any, theta: np.ndarray, loss: float) -> dict[str, Any]:
    """The optional inputs the program reads at ``theta``: the loss, the objective's Hessian or
    Fisher matrix, and the identity matrix of θ's size.

    Raises:
        TutorError: the objective cannot supply a matrix the algorithm reads.
    """
    supplied: dict[str, Any] = {}
    for name in program.inputs:
        if name == "loss":
            supplied[name] = loss
        elif name == "I":
            supplied[name] = np.eye(theta.shape[-1] if theta.ndim else 1)
        else:
            method = getattr(objective, OPTIONAL_INPUTS[name], None)
            if method is None:
                raise TutorError(
                    f"{program.config.spec.name} needs {_INPUT_NAMES.get(name, name)}, "
                    "which this objective does not supply"
                )
            supplied[name] = np.asarray(method(theta), dtype=np.float64)
    return supplied


def solved_matrices(program: Program, env: Mapping[str, Any]) -> list[tuple[Func, Any]]:
    """Each ``solve`` node of the algorithm (in order) with its matrix, the node's first
    argument, evaluated in ``env``; nodes whose matrix ``env`` cannot evaluate are left out."""
    found: list[tuple[Func, Any]] = []
    for node in _solve_nodes(program):
        try:
            found.append((node, node.args[0].evaluate(env)))
        except KeyError:
            continue
    return found


def _solve_nodes(program: Program) -> list[Func]:
    return [
        node
        for formula in program.algorithm.formulas.values()
        for node in formula.walk()
        if isinstance(node, Func) and node.name == "solve"
    ]


def _theta_text(theta: np.ndarray) -> str:
    values = np.ravel(theta)
    shown = ", ".join(f"{v:.6g}" for v in values[:6]) + (", …" if values.size > 6 else "")
    return shown if values.size == 1 else f"({shown})"


def _unsolvable(
    program: Program, env: Mapping[str, Any], t: int, theta: np.ndarray, failed: bool
) -> str | None:
    """Why a matrix the step solves with cannot be trusted: singular (``failed``: NumPy refused
    it), or a condition number above :data:`COND_LIMIT`; None when every matrix is fine.
    Matrices that are not finite are left to the divergence scan."""
    spec = program.config.spec
    where = f"step {t} of {spec.name} at θ = {_theta_text(theta)}"
    fix = "; start elsewhere"
    if any(h.name == "damping" for h in spec.hyperparameters):
        fix = "; add damping (e.g. --damping 0.1) or start elsewhere"
    for node, matrix in solved_matrices(program, env):
        if not np.all(np.isfinite(matrix)):
            continue
        name = node.args[0].plain()
        rhs = node.args[1].plain()
        system = f"({name})·d = {rhs}" if " " in name else f"{name}·d = {rhs}"
        cond = float(np.linalg.cond(matrix))
        if failed or not math.isfinite(cond):
            return f"{where}: {name} is singular, so {system} has no unique solution{fix}"
        if cond > COND_LIMIT:
            return (
                f"{where}: {name} is numerically singular (condition number {cond:.3g} > "
                f"{COND_LIMIT:.0e}: solving {system} could lose more than 10 of float64's 16 "
                f"digits){fix}"
            )
    if failed:
        return f"{where}: a matrix the step solves with is singular or not finite{fix}"
    return None


def step_symbol(symbol: Sym) -> Sym:
    """``η`` as ``ηₜ``, ``β₁`` as ``β₁,ₜ``: a hyper-parameter that a schedule sets each step."""
    subscripted = symbol.text[-1:] in "₀₁₂₃₄₅₆₇₈₉"
    text = f"{symbol.text},ₜ" if subscripted else f"{symbol.text}ₜ"
    match = re.fullmatch(r"(.*)_\{?([^{}]*)\}?", symbol.tex)
    tex = f"{match.group(1)}_{{{match.group(2)},t}}" if match else f"{symbol.tex}_t"
    return Sym(symbol.key, text, tex)


def _per_step(config: Config, varying: frozenset[str]) -> Config:
    """``config`` printing the varying hyper-parameters with a step subscript."""
    names = {h.name: h.symbol for h in config.spec.hyperparameters}
    mapping = {name: step_symbol(names[name]) for name in varying if name in names}
    return config.with_formula("*", lambda formula: formula.substitute(mapping))


def trajectory(
    config: Config,
    objective: Objective,
    theta0: np.ndarray,
    steps: int,
    *,
    layout: Layout | None = None,
    schedule: Schedule | None = None,
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run ``steps`` steps from ``theta0`` and keep every quantity of every step.

    The run stops early at the first step where the gradient, a quantity or the new loss is
    infinite or NaN. ``progress(t)`` is called every 1,000 steps (the CLI draws a bar with it;
    the engine prints nothing).
    """
    check_steps(steps)
    theta = np.array(theta0, dtype=np.float64)
    n = theta.shape[-1] if theta.ndim else 1
    varying: frozenset[str] = frozenset()
    if schedule is not None:  # the structure and the initial state follow step 1's values
        first = schedule(1, np.empty(0))
        varying = frozenset(first)
        config = _per_step(config.with_values(**first), varying)
    program = Program(config, layout, varying)
    state = program.init(theta)
    initial_state = dict(state)
    current_loss = float(objective.value(theta))
    thetas = np.empty((steps, n))
    losses = np.empty(steps)
    grads = np.empty((steps, n))
    losses_next = np.empty(steps)
    columns: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    hyper_series: dict[str, np.ndarray] = {name: np.empty(steps) for name in varying}
    notes: dict[int, dict[str, list[dict[str, Any]]]] = {}
    conditional = {
        q.key for q in program.algorithm.quantities if program.algorithm.condition(q.key)
    }
    wants_notes = any(isinstance(s, Procedure) for s in program.algorithm.steps)
    divergence: Divergence | None = None
    done = 0
    isfinite = math.isfinite
    fast = None
    recorded = tuple(name for name in program.inputs if name != "loss")
    input_columns: dict[str, np.ndarray] = {}
    solves = bool(_solve_nodes(program))
    if program.scope != "tensor" and not varying and not program.inputs and not wants_notes:
        fast, carried = program.full_loop()
        env: dict[str, Any] = {previous: state[key] for key, previous in carried}
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            grad = np.asarray(objective.gradient(theta), dtype=np.float64)
            hyper = schedule(t, losses_next[: t - 1]) if schedule is not None else None
            step_notes: dict[str, list[dict[str, Any]]] | None = {} if wants_notes else None
            if fast is not None:  # the common case: one compiled function, no extras
                env["t"] = float(t)
                env["theta"] = theta
                env["g"] = grad
                values = fast(env)
                for key, previous in carried:
                    env[previous] = values[key]
            else:
                supplied = step_inputs(program, objective, theta, current_loss)
                known: dict[str, Any] = {**program.constants, **(hyper or {}), **supplied}
                known.update(t=float(t), theta=theta, g=grad)
                try:
                    values, state = program.step(
                        theta,
                        grad,
                        state,
                        t,
                        hyper=hyper,
                        inputs=supplied,
                        objective=objective,
                        notes=step_notes,
                    )
                except np.linalg.LinAlgError:
                    reason = _unsolvable(program, known, t, theta, failed=True)
                    raise SingularMatrixError(reason or "singular matrix") from None
                if solves:
                    reason = _unsolvable(program, {**known, **values}, t, theta, failed=False)
                    if reason is not None:
                        raise SingularMatrixError(reason)
                for name in recorded:
                    if name not in input_columns:
                        shape = np.shape(supplied[name])
                        input_columns[name] = np.full((steps, *shape), np.nan)
                    input_columns[name][t - 1] = supplied[name]
            theta_next = values["theta_next"]
            next_loss = float(objective.value(theta_next))
            i = t - 1
            thetas[i] = theta
            losses[i] = current_loss
            grads[i] = grad
            losses_next[i] = next_loss
            for key, value in values.items():
                column = columns.get(key)
                if column is None:
                    shape = np.shape(value)
                    column = columns[key] = np.full((steps, *shape), np.nan)
                    if key in conditional:
                        present[key] = np.zeros(steps, dtype=bool)
                column[i] = value
                if key in present:
                    present[key][i] = True
            for name in varying:
                hyper_series[name][i] = hyper[name]  # type: ignore[index]
            if step_notes:
                notes[t] = step_notes
            done = t
            if not isfinite(next_loss):  # a non-finite θₜ is found by the scan below
                break
            theta, current_loss = theta_next, next_loss
            if progress is not None and t % 1000 == 0:
                progress(t)
    for key in conditional:  # a conditional quantity never computed still gets its column
        if key not in columns:
            columns[key] = np.full((steps, n), np.nan)
            present[key] = np.zeros(steps, dtype=bool)
    keep, divergence = _first_divergence(
        program, columns, present, grads, losses_next, done, divergence
    )
    trimmed = {key: column[:keep] for key, column in columns.items()}
    return Trajectory(
        config,
        program,
        np.array(theta0, dtype=np.float64),
        thetas[:keep],
        losses[:keep],
        grads[:keep],
        losses_next[:keep],
        trimmed,
        {key: mask[:keep] for key, mask in present.items()},
        initial_state,
        {name: series[:keep] for name, series in hyper_series.items()},
        {t: n for t, n in notes.items() if t <= keep},
        divergence,
        {name: column[:keep] for name, column in input_columns.items()},
    )


def _first_divergence(
    program: Program,
    columns: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    grads: np.ndarray,
    losses_next: np.ndarray,
    done: int,
    divergence: Divergence | None,
) -> tuple[int, Divergence | None]:
    """How many steps to keep: those before the first step with a non-finite value (found with
    one vectorised pass over the arrays, not a check per value per step). The gradient comes
    first in a step, then each quantity in order, then the new loss."""
    first_bad = done
    bad_key: str | None = None
    bad_grad = np.flatnonzero(~np.isfinite(grads[:done]).all(axis=1))
    if bad_grad.size:
        first_bad, bad_key = int(bad_grad[0]), "g"
    for quantity in program.algorithm.quantities:
        column = columns.get(quantity.key)
        if column is None:
            continue
        finite = np.isfinite(column[:done].reshape(done, -1)).all(axis=1)
        if quantity.key in present:
            finite |= ~present[quantity.key][:done]
        bad = np.flatnonzero(~finite)
        if bad.size and bad[0] < first_bad:
            first_bad, bad_key = int(bad[0]), quantity.key
    bad_loss = np.flatnonzero(~np.isfinite(losses_next[:done]))
    if bad_loss.size and bad_loss[0] < first_bad:
        first_bad, bad_key = int(bad_loss[0]), "loss"
    if bad_key is not None:
        return first_bad, Divergence(first_bad + 1, bad_key)
    return done, divergence


def iterate(
    config: Config,
    theta0: np.ndarray,
    gradient: Callable[[np.ndarray], np.ndarray],
    steps: int,
) -> np.ndarray:
    """Parameters after ``steps`` steps, for one configuration or a batch of them.

    ``theta0`` has shape ``(..., n)``; hyper-parameter values may be floats or arrays that
    broadcast against it. Nothing is recorded and nothing stops early: a configuration that
    diverges ends as ``inf`` or ``nan`` in its own row while the others run on.
    """
    check_steps(steps)
    if config.spec.scope != "coordinate":
        raise TutorError(f"{config.spec.name} cannot be batched: it is not coordinate-wise")
    theta = np.array(theta0, dtype=np.float64)
    program = Program(config)
    if program.inputs:
        raise TutorError(f"{config.spec.name} needs {', '.join(program.inputs)}: use trajectory")
    state = program.init(theta)
    function, carried = program.lean_loop()
    env: dict[str, Any] = {previous: state[key] for key, previous in carried}
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            env["t"] = float(t)
            env["theta"] = theta
            env["g"] = gradient(theta)
            values = function(env)
            for key, previous in carried:
                env[previous] = values[key]
            theta = values["theta_next"]
    return theta
