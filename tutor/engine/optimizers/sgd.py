"""Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay.

torch.optim.SGD (the default convention; see ``SGD.conventions`` for the others)::

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
    DECAYED_GRADIENT_L2,
    THETA_NEXT,
    apply_weight_decay,
    flag,
    gradient_used,
    is_on,
    lr,
    update,
    weight_decay,
)
from tutor.engine.spec import (
    NON_NEGATIVE,
    UNIT_INTERVAL,
    Convention,
    Hyper,
    Hyperparameter,
    OptimizerSpec,
    Quantity,
    State,
)
from tutor.errors import HyperparameterError

BUFFER, BUFFER_PREV = s.state_symbols("momentum_buffer", "b", "b")
VELOCITY, VELOCITY_PREV = s.state_symbols("velocity", "v", "v")
DIRECTION = Sym("direction", "dₜ", "d_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    if hp["momentum_form"] == "ema" and is_on(hp, "momentum"):
        return {"momentum_buffer": np.zeros_like(theta, dtype=np.float64)}
    if hp["momentum_form"] == "velocity" and is_on(hp, "momentum"):
        return {"velocity": np.zeros_like(theta, dtype=np.float64)}
    return {}


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    values: dict[str, np.ndarray] = {}
    lr, momentum, form = hp["lr"], hp["momentum"], hp["momentum_form"]
    grad, base = apply_weight_decay(theta, g, hp, values)
    new_state: State = {}
    direction = grad
    if is_on(hp, "momentum") and form == "velocity":
        # Keras and Sutskever et al.: v = μv − ηg, θ ← θ + v (Nesterov: θ ← θ + μv − ηg).
        velocity = values["velocity"] = new_state["velocity"] = (
            state["velocity"] * momentum - grad * lr
        )
        step = velocity * momentum - grad * lr if hp["nesterov"] else velocity
        theta_next = base + step
    else:
        if is_on(hp, "momentum"):
            previous = state.get("momentum_buffer")
            if form == "ema":
                buffer = previous * momentum + (1 - momentum) * grad
            elif previous is None:
                buffer = grad.copy()
            else:
                buffer = previous * momentum + (1 - hp["dampening"]) * grad
            values["momentum_buffer"] = new_state["momentum_buffer"] = buffer
            if hp["nesterov"]:
                direction = values["direction"] = grad + momentum * buffer
            else:
                direction = buffer
        theta_next = base + (-lr) * direction
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, new_state


def _check(hp: Hyper) -> None:
    if hp["nesterov"] and (not is_on(hp, "momentum") or is_on(hp, "dampening")):
        raise HyperparameterError("nesterov needs momentum > 0 and dampening = 0")


def _buffer_formula(hp: Hyper, t: int) -> Expr:
    if hp["momentum_form"] == "ema":
        return s.MOMENTUM * BUFFER_PREV + (1 - s.MOMENTUM) * gradient_used(hp)
    if t == 1:
        return gradient_used(hp)
    return s.MOMENTUM * BUFFER_PREV + (1 - s.DAMPENING) * gradient_used(hp)


def _update_formula(hp: Hyper, t: int) -> Expr:
    step: Expr
    if not is_on(hp, "momentum"):
        step = s.LR * gradient_used(hp)
    elif hp["momentum_form"] == "velocity":
        step = s.LR * gradient_used(hp) - s.MOMENTUM * VELOCITY if hp["nesterov"] else -VELOCITY
    else:
        step = s.LR * (DIRECTION if hp["nesterov"] else BUFFER)
    if is_on(hp, "weight_decay") and hp["decay"] == "decoupled":
        step = step + s.LR * s.WEIGHT_DECAY * s.THETA
    return step


_TORCH = {"momentum_form": "torch", "decay": "l2"}

SGD = OptimizerSpec(
    name="sgd",
    title="SGD",
    summary="Gradient descent, optionally with (Nesterov) momentum and weight decay.",
    reference="Robbins & Monro 1951; momentum as in Sutskever et al., ICML 2013",
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.SGD, PyTorch 2.13 (_single_tensor_sgd)",
            "b = μb + (1 − τ)g̃ with the first buffer equal to the gradient, θ − ηb; weight "
            "decay added to the gradient",
            _TORCH,
        ),
        Convention(
            "paper",
            "momentum paper",
            "Sutskever, Martens, Dahl & Hinton, ICML 2013, eq. (1)-(2)",
            "velocity v = μv − ηg, θ + v: the learning rate lives inside the velocity (the same "
            "numbers while η is constant)",
            {**_TORCH, "momentum_form": "velocity"},
            unsupported=frozenset({"dampening", "nesterov", "weight_decay"}),
        ),
        Convention(
            "optax",
            "optax",
            "optax.sgd (trace + scale_by_learning_rate)",
            "trace t = g + μt starting from zero, so the first buffer is the gradient, θ − ηt",
            _TORCH,
            unsupported=frozenset({"dampening", "weight_decay"}),
        ),
        Convention(
            "keras",
            "Keras",
            "keras.optimizers.SGD, Keras 3 (update_step; weight decay in "
            "Optimizer._apply_weight_decay)",
            "velocity v = μv − ηg, θ + v (Nesterov: θ + μv − ηg); weight decay θ·(1 − ηλ) "
            "applied to the weights first",
            {"momentum_form": "velocity", "decay": "decoupled"},
            unsupported=frozenset({"dampening"}),
        ),
        Convention(
            "textbook",
            "textbook",
            "the seeds' blog post and cheat sheet (momentum as a moving average)",
            "b = μb + (1 − μ)g from b₀ = 0, θ − ηb: an average of gradients, so steps are "
            "1/(1 − μ) times smaller than PyTorch's",
            {**_TORCH, "momentum_form": "ema"},
            unsupported=frozenset({"dampening", "nesterov"}),
        ),
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
        DECAYED_GRADIENT_L2,
        Quantity(
            "momentum_buffer",
            BUFFER,
            _buffer_formula,
            "velocity: a running sum of past gradients (the first one is the gradient itself)",
            torch_state="momentum_buffer",
            when=lambda hp: is_on(hp, "momentum") and hp["momentum_form"] != "velocity",
        ),
        Quantity(
            "velocity",
            VELOCITY,
            lambda hp, t: s.MOMENTUM * VELOCITY_PREV - s.LR * gradient_used(hp),
            "velocity with the learning rate inside: the step itself, before Nesterov",
            when=lambda hp: is_on(hp, "momentum") and hp["momentum_form"] == "velocity",
        ),
        Quantity(
            "direction",
            DIRECTION,
            lambda hp, t: gradient_used(hp) + s.MOMENTUM * BUFFER,
            "Nesterov direction: the gradient plus a look-ahead along the momentum buffer",
            when=lambda hp: bool(hp["nesterov"]) and hp["momentum_form"] == "torch",
        ),
        update(_update_formula, "step subtracted from the parameters"),
        THETA_NEXT,
    ),
    init=_init,
    step=_step,
    check=_check,
)
