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

and :class:`Divergence` claims (``diverged``), which name the operation that first produced an
infinite or undefined number (0/0, division by zero, overflow, the square root or log of a
negative number) and what would help, confirmed where a remedy is claimed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.engine import Program, StepRecord, Trajectory
from tutor.engine.formula import BinOp, Computed, Expr, Func
from tutor.engine.run import trajectory

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
    config: Any, layout: Any, record: StepRecord, state: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    """The same step (same θ, g, state and t) under ``config``: every quantity's value."""
    program = Program(config, layout)
    with np.errstate(all="ignore"):
        values, _ = program.step(
            record.theta,
            record.grad,
            dict(previous_state(record) if state is None else state),
            record.t,
            hyper=record.hyper or None,
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
        if test(recompute(without, layout, record)):
            return "weight_decay"
    carried = record.previous and any(np.any(v != 0) for v in record.previous.values())
    if carried and test(recompute(config, layout, record, _zero_state(record))):
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
    lr = problem.config.values.get("lr")
    if isinstance(lr, float):
        for k in range(1, SHRINKS + 1):
            smaller = lr / 2**k
            values = recompute(problem.config.with_values(lr=smaller), problem.layout, record)
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
            with np.errstate(all="ignore"):
                values, _ = run.program.step(
                    record.theta,
                    record.grad,
                    previous_state(record),
                    t,
                    hyper=record.hyper or None,
                )
            theta = values["theta_next"]
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
    if grew and isinstance(lr, float):
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
    with np.errstate(all="ignore"):
        values, _ = program.step(
            record.theta, record.grad, previous_state(record), t, hyper=record.hyper or None
        )
    env.update(values)
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
    return StepRecord(t, theta, loss, grad, previous, {}, math.nan, hyper)


def failed_step(problem: Any, run: Trajectory) -> StepRecord | None:
    """The step at which the run stopped, recomputed with its non-finite values, so that a
    table can show where the numbers broke (None when the run did not stop, or stopped
    because the gradient itself was not finite)."""
    divergence = run.divergence
    if divergence is None or divergence.quantity == "g":
        return None
    record = _failed_record(problem, run, divergence.t)
    with np.errstate(all="ignore"):
        values, _ = run.program.step(
            record.theta, record.grad, previous_state(record), record.t, hyper=record.hyper or None
        )
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
    )
