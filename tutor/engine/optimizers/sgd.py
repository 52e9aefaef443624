"""Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay.

torch.optim.SGD (the convention followed)::

    g̃ₜ = gₜ + λθₜ                                  (if λ ≠ 0)
    b₁ = g̃₁;  bₜ = μ·bₜ₋₁ + (1 − τ)·g̃ₜ            (if μ ≠ 0)
    dₜ = g̃ₜ + μ·bₜ  (Nesterov)  or  bₜ  or  g̃ₜ
    θₜ₊₁ = θₜ − η·dₜ

Note that the first momentum buffer is the gradient itself, not ``(1 − τ)·g̃₁``; textbooks that
write momentum as ``v = βv + (1 − β)g`` describe a different (dampened, EMA-style) update.

Reference: Sutskever et al., "On the importance of initialization and momentum in deep
learning", ICML 2013 (the formulation torch follows).

>>> import numpy as np
>>> hp = SGD.resolve({"lr": 0.1})
>>> values, _ = SGD.step(np.array([2.0]), np.array([2.0]), SGD.init(np.array([2.0]), hp), hp, 1)
>>> values["theta_next"]
array([1.8])
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT,
    THETA_NEXT,
    flag,
    gradient_used,
    is_on,
    lr,
    update,
    weight_decay,
)
from tutor.engine.primitives import l2_gradient
from tutor.engine.spec import (
    NON_NEGATIVE,
    UNIT_INTERVAL,
    Hyper,
    Hyperparameter,
    OptimizerSpec,
    Quantity,
    State,
)
from tutor.errors import HyperparameterError

BUFFER, BUFFER_PREV = s.state_symbols("momentum_buffer", "b", "b")
DIRECTION = Sym("direction", "dₜ", "d_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    return {}


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    values: dict[str, np.ndarray] = {}
    grad = g
    if is_on(hp, "weight_decay"):
        grad = values["g_decayed"] = l2_gradient(g, theta, hp["weight_decay"])
    new_state: State = {}
    direction = grad
    if is_on(hp, "momentum"):
        previous = state.get("momentum_buffer")
        if previous is None:
            buffer = grad.copy()
        else:
            buffer = previous * hp["momentum"] + (1 - hp["dampening"]) * grad
        values["momentum_buffer"] = new_state["momentum_buffer"] = buffer
        if hp["nesterov"]:
            direction = values["direction"] = grad + hp["momentum"] * buffer
        else:
            direction = buffer
    theta_next = theta + (-hp["lr"]) * direction
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, new_state


def _check(hp: Hyper) -> None:
    if hp["nesterov"] and (not is_on(hp, "momentum") or is_on(hp, "dampening")):
        raise HyperparameterError("nesterov needs momentum > 0 and dampening = 0")


def _direction(hp: Hyper) -> Expr:
    if not is_on(hp, "momentum"):
        return gradient_used(hp)
    return DIRECTION if hp["nesterov"] else BUFFER


SGD = OptimizerSpec(
    name="sgd",
    title="SGD",
    summary="Gradient descent, optionally with (Nesterov) momentum and weight decay.",
    reference="Robbins & Monro 1951; momentum as in Sutskever et al., ICML 2013",
    convention=(
        "PyTorch (torch.optim.SGD): weight decay is added to the gradient, the first momentum "
        "buffer equals the gradient, and momentum is not scaled by (1 − μ)"
    ),
    hyperparameters=(
        lr(1e-3),
        Hyperparameter(
            "momentum",
            s.MOMENTUM,
            0.0,
            "momentum factor: how much of the last step is kept",
            NON_NEGATIVE,
            "momentum",
        ),
        Hyperparameter(
            "dampening",
            s.DAMPENING,
            0.0,
            "dampening: how much of the new gradient is held back",
            UNIT_INTERVAL,
            "dampening",
        ),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        flag("nesterov", s.NESTEROV, "use Nesterov momentum (look ahead along the buffer)"),
    ),
    quantities=(
        DECAYED_GRADIENT,
        Quantity(
            "momentum_buffer",
            BUFFER,
            lambda hp, t: (
                gradient_used(hp)
                if t == 1
                else s.MOMENTUM * BUFFER_PREV + (1 - s.DAMPENING) * gradient_used(hp)
            ),
            "velocity: a running sum of past gradients (the first one is the gradient itself)",
            torch_state="momentum_buffer",
            when=lambda hp: is_on(hp, "momentum"),
        ),
        Quantity(
            "direction",
            DIRECTION,
            lambda hp, t: gradient_used(hp) + s.MOMENTUM * BUFFER,
            "Nesterov direction: the gradient plus a look-ahead along the momentum buffer",
            when=lambda hp: bool(hp["nesterov"]),
        ),
        update(lambda hp, t: s.LR * _direction(hp), "step: learning rate times the direction"),
        THETA_NEXT,
    ),
    init=_init,
    step=_step,
    check=_check,
)
