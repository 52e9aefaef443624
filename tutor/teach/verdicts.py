"""Claims about a run, each computed from the numbers and then checked by computation.

A tutor that prints an exact number beside a false explanation teaches the wrong thing. So every
sentence `tutor` says about a run is first a :class:`Claim`: a kind, a step and the evidence (the
numbers that make it true). A claim is only made after a computation confirms it: "a smaller
learning rate would have lowered the loss" is said only when the same step (same state, same
convention) recomputed with a smaller learning rate does lower it, and the claim carries that
learning rate and the loss it reaches. Renderers turn claims into sentences in their own syntax;
nothing here is text.

Kinds of step claims (a step whose loss did not move towards the goal):

* ``not_moved``: the parameters did not change.
* ``flat``: they changed, the loss did not.
* ``stationary``: the gradient is exactly 0, yet θ moved; ``cause`` says what moved it,
  confirmed by recomputing the step without it (``weight_decay``: with λ = 0 θ stays put;
  ``state``: with the optimizer's state reset θ stays put).
* ``uphill``: the step's direction has a positive slope gₜ·Δθ (it climbs from the start);
  ``cause`` as above, when removing it makes the slope negative.
* ``overshoot``: the direction descends at θₜ₋₁ but the step went too far; ``smaller_lr`` is the
  first of η/2, η/4, … that lowers the loss, with the loss it reaches.
* ``curved``: the direction descends but even η/1024 does not lower the loss.

:class:`Divergence` claims (``diverged``), which name the operation that first produced an
infinite or undefined number (0/0, division by zero, overflow, the square root or log of a
negative number) and what would help, confirmed where a remedy is claimed, and curvature claims
about the matrix a second-order step solved with (:func:`curvature_claims`):

* ``indefinite``: Newton's H + λI (or the natural gradient's F + λI) is not positive definite
  at θₜ₋₁. The claim carries its eigenvalues and whether the quadratic model's stationary point,
  where the step heads, is a saddle or a maximum (confirmed: the model's gradient vanishes
  there); ``climbs`` is true only when the slope along the step is positive *and* the loss a
  thousandth of the way along is higher than at θₜ₋₁.
* ``newton_relation``: the natural gradient's direction beside Newton's direction on the same
  loss at the same θ (solved with the Hessian and the same damping), with the measured
  differences of the matrices and of the directions; ``agree`` only when the relative
  difference is at most 1e-10.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.engine import Program, StepRecord, Trajectory
from tutor.engine.formula import BinOp, Computed, Expr, Func
from tutor.engine.run import COND_LIMIT, solved_matrices, step_inputs, trajectory

SHRINKS = 10  # η/2 … η/1024
GROWTH = 10.0  # a run "grew" when |θ| rose this many times before it blew up


@dataclass(frozen=True)
class Claim:
    """One checked statement: its kind, the step it is about (or None) and its evidence."""

    kind: str
    step: int | None
    evidence: Mapping[str, Any] = field(default_factory=dict)


def goal_sign(config: Any) -> int:
    """+1 when the run minimizes the loss, −1 when torch's ``maximize`` is on."""
    return -1 if config.values.get("maximize") else 1


def previous_state(record: StepRecord) -> dict[str, Any]:
    """The carried state before a step, keyed as the program's ``step`` wants it."""
    return {key.removesuffix("_prev"): value for key, value in record.previous.items()}


def recompute(
    config: Any,
    layout: Any,
    record: StepRecord,
    state: Mapping[str, Any] | None = None,
    hyper: Mapping[str, Any] | None = None,
    objective: Any = None,
) -> Mapping[str, Any]:
    """The same step (same θ, g, state and t) under ``config``: every quantity's value.

    ``hyper`` (default: the step's own) holds the hyper-parameters a schedule set for the step;
    ``objective`` is the loss, for methods that evaluate it inside a step (L-BFGS).
    """
    hyper = dict(record.hyper if hyper is None else hyper)
    if hyper:
        config = config.with_values(**hyper)
    program = Program(config, layout, frozenset(hyper))
    with np.errstate(all="ignore"):
        values, _ = program.step(
            record.theta,
            record.grad,
            dict(previous_state(record) if state is None else state),
            record.t,
            hyper=hyper or None,
            inputs=dict(record.inputs) or None,
            objective=objective,
        )
    return values


def _zero_state(record: StepRecord) -> dict[str, Any]:
    return {key: np.zeros_like(value) for key, value in previous_state(record).items()}


def _moves(values: Mapping[str, Any], record: StepRecord) -> bool:
    return bool(np.any(values["theta_next"] != record.theta))


def _slope(record: StepRecord, theta_next: np.ndarray, sign: int) -> float:
    """Slope of the (signed) loss along the step, at its start: ±gₜ·(θₜ − θₜ₋₁)."""
    return float(sign * np.dot(record.grad, theta_next - record.theta))


def _cause(problem: Any, record: StepRecord, test: Any) -> str | None:
    """Which part of the update, when removed, makes ``test(values)`` true: weight decay, or the
    optimizer's state carried from earlier steps. Each is recomputed, not assumed."""
    config, layout = problem.config, problem.layout
    if config.values.get("weight_decay", 0) and "weight_decay" in config.values:
        without = config.with_values(weight_decay=0.0)
        if test(recompute(without, layout, record, objective=problem.loss)):
            return "weight_decay"
    carried = record.previous and any(np.any(v != 0) for v in record.previous.values())
    zeroed = _zero_state(record)
    if carried and test(recompute(config, layout, record, zeroed, objective=problem.loss)):
        return "state"
    return None


def step_claim(problem: Any, record: StepRecord) -> Claim | None:
    """The claim for one step that did not move the loss towards the goal (else None)."""
    with np.errstate(all="ignore"):
        return _step_claim(problem, record)


def _step_claim(problem: Any, record: StepRecord) -> Claim | None:
    sign = goal_sign(problem.config)
    before, after = sign * record.loss, sign * record.loss_next
    if after < before:
        return None
    t = record.t
    theta_next = record.theta_next
    if not np.any(theta_next != record.theta):
        return Claim("not_moved", t)
    if after == before:
        return Claim("flat", t, {"loss": record.loss})
    if not np.any(record.grad):
        cause = _cause(problem, record, lambda values: not _moves(values, record))
        return Claim(
            "stationary",
            t,
            {"cause": cause, "step_norm": float(np.linalg.norm(theta_next - record.theta))},
        )
    slope = _slope(record, theta_next, sign)
    if slope > 0:
        cause = _cause(problem, record, lambda v: _slope(record, v["theta_next"], sign) < 0)
        return Claim("uphill", t, {"slope": slope, "cause": cause})
    scheduled = "lr" in record.hyper  # this step's ηₜ, set by a schedule
    lr = record.hyper["lr"] if scheduled else problem.config.values.get("lr")
    if isinstance(lr, float):
        for k in range(1, SHRINKS + 1):
            smaller = lr / 2**k
            if scheduled:
                hyper = {**record.hyper, "lr": smaller}
                values = recompute(
                    problem.config, problem.layout, record, hyper=hyper, objective=problem.loss
                )
            else:
                smaller_config = problem.config.with_values(lr=smaller)
                values = recompute(smaller_config, problem.layout, record, objective=problem.loss)
            loss = float(problem.loss.value(values["theta_next"]))
            if sign * loss < before:
                return Claim(
                    "overshoot",
                    t,
                    {
                        "slope": slope,
                        "lr": lr,
                        "smaller_lr": smaller,
                        "loss_smaller": loss,
                        "loss": record.loss,
                        "loss_next": record.loss_next,
                    },
                )
    return Claim("curved", t, {"slope": slope, "smallest_lr": (lr or 0) / 2**SHRINKS})


# --- Curvature (second-order methods) ------------------------------------------------------------

NEAR = 1e-3  # "the loss first rises": checked at this fraction of the step
AGREE = 1e-10  # two directions "agree" when they differ by at most this, relative


def curvature_claims(problem: Any, run: Trajectory, record: StepRecord) -> tuple[Claim, ...]:
    """What can be said about the matrix a second-order step solved with (Newton's H + λI, the
    natural gradient's F + λI): ``indefinite`` when it is not positive definite, and for the
    natural gradient its ``newton_relation``. Empty for optimizers that solve nothing."""
    with np.errstate(all="ignore"):
        claims = [_indefinite(problem, run, record)]
        if "F" in record.inputs:
            claims.append(_newton_relation(problem, run, record))
    return tuple(c for c in claims if c is not None)


def _solved(run: Trajectory, record: StepRecord) -> tuple[Any, np.ndarray] | None:
    env = record.environment(run.program.constants)
    env["t"] = float(record.t)
    found = solved_matrices(run.program, env)
    return found[0] if found else None


def _indefinite(problem: Any, run: Trajectory, record: StepRecord) -> Claim | None:
    """The solved matrix is not positive definite: its eigenvalues, what its quadratic model's
    stationary point is (a saddle or a maximum, checked by the model's gradient vanishing
    there), and whether the step climbs (checked by the loss a little way along it)."""
    found = _solved(run, record)
    if found is None:
        return None
    node, matrix = found
    eigenvalues = np.linalg.eigvalsh(matrix)
    if eigenvalues[0] > 0:
        return None
    sign = goal_sign(problem.config)
    direction = np.linalg.solve(matrix, record.grad)  # the model's stationary point is θ − d
    residual = float(np.max(np.abs(record.grad - matrix @ direction)))
    scale = float(np.max(np.abs(record.grad))) or 1.0
    slope = _slope(record, record.theta_next, sign)
    near_theta = record.theta + NEAR * (record.theta_next - record.theta)
    near = float(problem.loss.value(near_theta))
    model_value = record.loss - 0.5 * float(record.grad @ direction)
    evidence: dict[str, Any] = {
        "matrix": node.args[0].plain(),
        "matrix_tex": node.args[0].latex(),
        "eigenvalues": [float(v) for v in eigenvalues],
        "shape": "maximum" if eigenvalues[-1] < 0 else "saddle",
        "stationary": residual <= 1e-9 * scale,
        "model_value": model_value,
        "loss": record.loss,
        "loss_next": record.loss_next,
        "slope": slope,
        "near": NEAR,
        "loss_near": near,
        "climbs": slope > 0 and sign * near > sign * record.loss,
    }
    return Claim("indefinite", record.t, evidence)


def _newton_relation(problem: Any, run: Trajectory, record: StepRecord) -> Claim | None:
    """Newton's direction on the same loss at the same θ (with the same damping), beside this
    step's natural-gradient direction: the measured difference of the matrices and of the
    directions."""
    hessian = getattr(problem.loss, "hessian", None)
    direction = record.values.get("direction")
    if hessian is None or direction is None:
        return None
    H = np.asarray(hessian(record.theta), dtype=np.float64)
    F = np.asarray(record.inputs["F"], dtype=np.float64)
    damping = float(problem.config.values.get("damping", 0.0))
    newton_matrix = H + damping * np.eye(len(H))
    evidence: dict[str, Any] = {
        "fisher": problem.config.values.get("fisher"),
        "model": problem.config.values.get("model"),
        "matrix_difference": float(np.max(np.abs(F - H))),
        "hessian": H.tolist(),
    }
    try:
        cond = float(np.linalg.cond(newton_matrix))
        newton = np.linalg.solve(newton_matrix, record.grad)
    except np.linalg.LinAlgError:
        cond = math.inf
    if not math.isfinite(cond) or cond > COND_LIMIT:
        evidence["newton_singular"] = True
        return Claim("newton_relation", record.t, evidence)
    difference = float(np.linalg.norm(direction - newton))
    relative = difference / max(float(np.linalg.norm(newton)), np.finfo(float).tiny)
    evidence.update(
        newton_direction=newton,
        direction_difference=difference,
        relative_difference=relative,
        agree=relative <= AGREE,
        tolerance=AGREE,
    )
    return Claim("newton_relation", record.t, evidence)


# --- Divergence ----------------------------------------------------------------------------------


def _first_bad_node(formula: Expr, env: Mapping[str, Any]) -> tuple[Expr, list[Any]] | None:
    """The deepest node whose inputs are all finite but whose value is not, with its inputs."""
    formula = formula.specialize(env)

    def visit(node: Expr) -> tuple[Expr, list[Any]] | None:
        if isinstance(node, Computed):
            return visit(node.computed)
        for child in node.children():
            found = visit(child)
            if found is not None:
                return found
        children = list(node.children())
        if not children:
            return None
        with np.errstate(all="ignore"):
            try:
                inputs = [c.evaluate(env) for c in children]
                value = node.evaluate(env)
            except (KeyError, ValueError, TypeError, np.linalg.LinAlgError):
                return None
        finite_in = all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in inputs)
        if finite_in and not np.all(np.isfinite(np.asarray(value, dtype=float))):
            return node, inputs
        return None

    return visit(formula)


def _operation(node: Expr, inputs: list[Any]) -> str:
    """``zero_over_zero``, ``division_by_zero``, ``overflow`` or ``invalid``."""
    if isinstance(node, BinOp) and node.op == "/":
        numerator, denominator = (np.asarray(x, dtype=float) for x in inputs)
        zero_den = denominator == 0
        if np.any(zero_den & (np.broadcast_to(numerator, zero_den.shape) == 0)):
            return "zero_over_zero"
        if np.any(zero_den):
            return "division_by_zero"
    if isinstance(node, Func) and node.name in ("sqrt", "log"):
        return "invalid"
    return "overflow"


def _largest(theta: Any) -> float:
    """The largest entry of θ in absolute value (a norm would overflow first)."""
    return float(np.max(np.abs(theta))) if np.size(theta) else 0.0


def divergence_claim(problem: Any, run: Trajectory) -> Claim | None:
    """Why the run stopped, if it did: the operation that broke, and what would help."""
    with np.errstate(all="ignore"):
        return _divergence_claim(problem, run)


def _divergence_claim(problem: Any, run: Trajectory) -> Claim | None:
    divergence = run.divergence
    if divergence is None:
        return None
    t, key = divergence.t, divergence.quantity
    evidence: dict[str, Any] = {"t": t, "quantity": key}
    if key in ("g", "loss"):
        record = _failed_record(problem, run, t)
        theta = record.theta
        if key == "loss":
            theta = _rerun(run.program, record, problem.loss)["theta_next"]
        evidence["theta_max"] = _largest(theta)
        evidence["operation"] = "overflow"
    else:
        _diagnose_quantity(problem, run, t, key, evidence)
    start = _largest(problem.theta0)
    reached = max((_largest(row) for row in run.theta), default=start)
    evidence["start_max"] = start
    evidence["reached_max"] = reached
    grew = t > 2 and reached > GROWTH * max(start, 1.0)
    evidence["grew"] = grew
    lr = problem.config.values.get("lr")
    if grew and isinstance(lr, float) and getattr(problem, "schedule", None) is None:
        smaller = lr / 10
        check = trajectory(
            problem.config.with_values(lr=smaller),
            problem.loss,
            problem.theta0,
            t,
            layout=problem.layout,
        )
        if check.divergence is None:
            evidence["smaller_lr_ok"] = smaller
    return Claim("diverged", t, evidence)


def _diagnose_quantity(
    problem: Any, run: Trajectory, t: int, key: str, evidence: dict[str, Any]
) -> None:
    """Recompute the broken step and find the operation that produced a non-finite number."""
    record = _failed_record(problem, run, t)
    program = run.program
    formula = program.algorithm.formulas[key]
    env = {**program.constants, **record.environment({}), "t": float(t)}
    env.update(_rerun(program, record, problem.loss))
    found = _first_bad_node(formula, env)
    evidence["symbol"] = program.algorithm.quantity(key).symbol.text
    if found is None:
        evidence["operation"] = "overflow"
        return
    node, inputs = found
    evidence["operation"] = _operation(node, inputs)
    evidence["node"] = node.plain()
    evidence["node_tex"] = node.latex()
    evidence["eps_zero"] = bool("eps" in node.symbols and problem.config.values.get("eps") == 0)
    evidence["largest_input"] = max(
        (float(np.max(np.abs(np.asarray(v, dtype=float)))) for v in inputs), default=0.0
    )
    evidence["gradient_norm"] = float(np.linalg.norm(record.grad))


def _rerun(program: Program, record: StepRecord, objective: Any) -> Mapping[str, Any]:
    """The step ``record`` holds, computed again by its own program, non-finite values and
    all (a broken step is recomputed to show or explain where its numbers broke)."""
    with np.errstate(all="ignore"):
        values, _ = program.step(
            record.theta,
            record.grad,
            previous_state(record),
            record.t,
            hyper=record.hyper or None,
            inputs=dict(record.inputs) or None,
            objective=objective,
        )
    return values


def _failed_record(problem: Any, run: Trajectory, t: int) -> StepRecord:
    """The inputs of step ``t``, the step that was not kept because it broke."""
    if t == 1:
        theta = problem.theta0
        previous = {
            q.previous.key: run.initial_state[q.key]  # type: ignore[union-attr]
            for q in run.program.algorithm.stored
        }
    else:
        last = run.step(t - 1)
        theta = last.theta_next
        previous = {
            q.previous.key: last.values[q.key]  # type: ignore[union-attr]
            for q in run.program.algorithm.stored
        }
    with np.errstate(all="ignore"):
        grad = np.asarray(problem.loss.gradient(theta), dtype=float)
        loss = float(problem.loss.value(theta))
    hyper = {name: float(series[t - 1]) for name, series in run.hyper.items() if len(series) >= t}
    with np.errstate(all="ignore"):
        inputs = step_inputs(run.program, problem.loss, theta, loss)
    inputs.pop("loss", None)
    return StepRecord(t, theta, loss, grad, previous, {}, math.nan, hyper, {}, inputs)


def failed_step(problem: Any, run: Trajectory) -> StepRecord | None:
    """The step at which the run stopped, recomputed with its non-finite values, so that a
    table can show where the numbers broke (None when the run did not stop, or stopped
    because the gradient itself was not finite)."""
    divergence = run.divergence
    if divergence is None or divergence.quantity == "g":
        return None
    record = _failed_record(problem, run, divergence.t)
    values = _rerun(run.program, record, problem.loss)
    with np.errstate(all="ignore"):
        loss_next = float(problem.loss.value(values["theta_next"]))
    return StepRecord(
        record.t,
        record.theta,
        record.loss,
        record.grad,
        record.previous,
        values,
        loss_next,
        record.hyper,
        {},
        record.inputs,
    )
