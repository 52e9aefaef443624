"""RMSprop: divide by a moving root-mean-square of recent gradients.

torch.optim.RMSprop (the default convention; see ``RMSPROP.conventions``)::

    g̃ₜ = gₜ + λθₜ                              (if λ ≠ 0)
    vₜ = α·vₜ₋₁ + (1 − α)·g̃ₜ²
    ḡₜ = α·ḡₜ₋₁ + (1 − α)·g̃ₜ                   (centered only)
    dₜ = √(vₜ − ḡₜ²) + ε  (centered)  or  √vₜ + ε
    bₜ = μ·bₜ₋₁ + g̃ₜ / dₜ                       (if μ > 0; b₀ = 0)
    θₜ₊₁ = θₜ − η·bₜ  or  θₜ − η·g̃ₜ / dₜ

ε is added outside the square root; some texts write ``η / √(vₜ + ε)``.

Reference: Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012);
the centered form from Graves, "Generating Sequences With Recurrent Neural Networks", 2013.

>>> import numpy as np
>>> hp = RMSPROP.resolve({"lr": 0.01})
>>> theta = np.array([2.0])
>>> values, _ = RMSPROP.step(theta, np.array([2.0]), RMSPROP.init(theta, hp), hp, 1)
>>> round(float(values["square_avg"][0]), 12), round(float(values["theta_next"][0]), 6)
(0.04, 1.9)
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT_L2,
    THETA_NEXT,
    apply_weight_decay,
    eps,
    flag,
    gradient_used,
    is_on,
    lr,
    stabilized_root_formula,
    update,
    weight_decay,
)
from tutor.engine.primitives import (
    lerp,
    moving_average_of_squares,
    stabilized_root,
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

SQUARE_AVG, SQUARE_AVG_PREV = s.state_symbols("square_avg", "v", "v")
GRAD_AVG, GRAD_AVG_PREV = s.state_symbols("grad_avg", "ḡ", r"\bar{g}")
BUFFER, BUFFER_PREV = s.state_symbols("momentum_buffer", "b", "b")
DENOM = Sym("denom", "dₜ", "d_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    state: State = {"square_avg": np.zeros_like(theta, dtype=np.float64)}
    if is_on(hp, "momentum"):
        state["momentum_buffer"] = np.zeros_like(theta, dtype=np.float64)
    if hp["centered"]:
        state["grad_avg"] = np.zeros_like(theta, dtype=np.float64)
    return state


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    values: dict[str, np.ndarray] = {}
    grad, base = apply_weight_decay(theta, g, hp, values)
    alpha = hp["alpha"]
    square_avg = moving_average_of_squares(state["square_avg"], grad, alpha)
    values["square_avg"] = square_avg
    new_state: State = {"square_avg": square_avg}
    if hp["centered"]:
        grad_avg = values["grad_avg"] = new_state["grad_avg"] = lerp(
            state["grad_avg"], grad, 1 - alpha
        )
        variance = square_avg + (-1) * (grad_avg * grad_avg)
    else:
        variance = square_avg
    denom = values["denom"] = stabilized_root(variance, hp["eps"], hp["eps_placement"])
    if is_on(hp, "momentum") and hp["lr_in_buffer"]:
        # Keras and Graves: the buffer accumulates η·g/d, and θ moves by the buffer itself.
        buffer = state["momentum_buffer"] * hp["momentum"] + (hp["lr"] * grad) / denom
        values["momentum_buffer"] = new_state["momentum_buffer"] = buffer
        theta_next = base - buffer
    elif is_on(hp, "momentum"):
        buffer = state["momentum_buffer"] * hp["momentum"] + grad / denom
        values["momentum_buffer"] = new_state["momentum_buffer"] = buffer
        theta_next = base + (-hp["lr"]) * buffer
    else:
        theta_next = base + (-hp["lr"]) * (grad / denom)
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, new_state


def _denominator(hp: Hyper, t: int) -> Expr:
    variance = SQUARE_AVG - GRAD_AVG**2 if hp["centered"] else SQUARE_AVG
    return stabilized_root_formula(variance, hp)


def _buffer(hp: Hyper, t: int) -> Expr:
    if hp["lr_in_buffer"]:
        return s.MOMENTUM * BUFFER_PREV + s.LR * gradient_used(hp) / DENOM
    return s.MOMENTUM * BUFFER_PREV + gradient_used(hp) / DENOM


def _update(hp: Hyper, t: int) -> Expr:
    step: Expr
    if is_on(hp, "momentum"):
        step = BUFFER if hp["lr_in_buffer"] else s.LR * BUFFER
    else:
        step = s.LR * gradient_used(hp) / DENOM
    if is_on(hp, "weight_decay") and hp["decay"] == "decoupled":
        return step + s.LR * s.WEIGHT_DECAY * s.THETA
    return step


_TORCH = {"eps_placement": "outside", "lr_in_buffer": False, "decay": "l2"}


RMSPROP = OptimizerSpec(
    name="rmsprop",
    title="RMSprop",
    summary="Divides each step by a moving root-mean-square of recent gradients.",
    reference="Hinton, Srivastava & Swersky, Coursera lecture 6e, 2012; centered: Graves 2013",
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.RMSprop, PyTorch 2.13 (_single_tensor_rmsprop)",
            "ε added after the square root, weight decay added to the gradient, no bias "
            "correction; momentum buffers g/d and is scaled by η afterwards",
            _TORCH,
        ),
        Convention(
            "paper",
            "RMSprop (Graves)",
            "Graves, Generating Sequences With Recurrent Neural Networks, 2013, eq. (38)-(41)",
            "ε inside the square root, √(v − ḡ² + ε) when centered; the momentum buffer holds "
            "η·g/d and θ moves by the buffer",
            {**_TORCH, "eps_placement": "inside", "lr_in_buffer": True},
            unsupported=frozenset({"weight_decay"}),
        ),
        Convention(
            "optax",
            "optax",
            "optax.rmsprop (scale_by_rms / scale_by_stddev, trace, scale_by_learning_rate)",
            "g / √(v + ε): ε inside the square root; momentum buffers the scaled gradient and "
            "η multiplies it afterwards",
            {**_TORCH, "eps_placement": "inside"},
            unsupported=frozenset({"weight_decay"}),
        ),
        Convention(
            "keras",
            "Keras",
            "keras.optimizers.RMSprop, Keras 3 (update_step)",
            "ε inside the square root; the momentum buffer holds η·g/d; weight decay "
            "θ·(1 − ηλ) applied to the weights first",
            {"eps_placement": "inside", "lr_in_buffer": True, "decay": "decoupled"},
        ),
        Convention(
            "textbook",
            "textbook",
            "the seeds' optimization article (RMSProp section)",
            "θ − η·g / √(v + ε): ε inside the square root",
            {**_TORCH, "eps_placement": "inside"},
        ),
    ),
    hyperparameters=(
        lr(1e-2),
        Hyperparameter(
            "alpha",
            s.ALPHA,
            0.99,
            "smoothing constant of the squared-gradient average",
            UNIT_INTERVAL,
            "alpha",
        ),
        eps(1e-8, "to the root of the average"),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        Hyperparameter("momentum", s.MOMENTUM, 0.0, "momentum factor", NON_NEGATIVE, "momentum"),
        flag("centered", s.CENTERED, "divide by an estimate of the variance instead"),
    ),
    quantities=(
        DECAYED_GRADIENT_L2,
        Quantity(
            "square_avg",
            SQUARE_AVG,
            lambda hp, t: s.ALPHA * SQUARE_AVG_PREV + (1 - s.ALPHA) * gradient_used(hp) ** 2,
            "moving average of squared gradients",
            torch_state="square_avg",
        ),
        Quantity(
            "grad_avg",
            GRAD_AVG,
            lambda hp, t: s.ALPHA * GRAD_AVG_PREV + (1 - s.ALPHA) * gradient_used(hp),
            "moving average of gradients (centered only)",
            torch_state="grad_avg",
            when=lambda hp: bool(hp["centered"]),
        ),
        Quantity("denom", DENOM, _denominator, "per-coordinate divisor"),
        Quantity(
            "momentum_buffer",
            BUFFER,
            _buffer,
            "momentum buffer of scaled gradients",
            torch_state="momentum_buffer",
            when=lambda hp: is_on(hp, "momentum"),
        ),
        update(_update, "step subtracted from the parameters"),
        THETA_NEXT,
    ),
    init=_init,
    step=_step,
)
