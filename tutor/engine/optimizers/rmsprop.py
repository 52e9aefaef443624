"""RMSprop: divide by a moving root-mean-square of recent gradients.

torch.optim.RMSprop (the convention followed)::

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
from tutor.engine.formula import Expr, Sym, sqrt
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT,
    THETA_NEXT,
    eps,
    flag,
    gradient_used,
    is_on,
    lr,
    update,
    weight_decay,
)
from tutor.engine.primitives import l2_gradient, lerp, moving_average_of_squares
from tutor.engine.spec import (
    NON_NEGATIVE,
    UNIT_INTERVAL,
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
    grad = g
    if is_on(hp, "weight_decay"):
        grad = values["g_decayed"] = l2_gradient(g, theta, hp["weight_decay"])
    alpha = hp["alpha"]
    square_avg = moving_average_of_squares(state["square_avg"], grad, alpha)
    values["square_avg"] = square_avg
    new_state: State = {"square_avg": square_avg}
    if hp["centered"]:
        grad_avg = values["grad_avg"] = new_state["grad_avg"] = lerp(
            state["grad_avg"], grad, 1 - alpha
        )
        denom = np.sqrt(square_avg + (-1) * (grad_avg * grad_avg)) + hp["eps"]
    else:
        denom = np.sqrt(square_avg) + hp["eps"]
    values["denom"] = denom
    if is_on(hp, "momentum"):
        buffer = state["momentum_buffer"] * hp["momentum"] + grad / denom
        values["momentum_buffer"] = new_state["momentum_buffer"] = buffer
        theta_next = theta + (-hp["lr"]) * buffer
    else:
        theta_next = theta + (-hp["lr"]) * (grad / denom)
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, new_state


def _denominator(hp: Hyper, t: int) -> Expr:
    if hp["centered"]:
        return sqrt(SQUARE_AVG - GRAD_AVG**2) + s.EPS
    return sqrt(SQUARE_AVG) + s.EPS


def _update(hp: Hyper, t: int) -> Expr:
    if is_on(hp, "momentum"):
        return s.LR * BUFFER
    return s.LR * gradient_used(hp) / DENOM


RMSPROP = OptimizerSpec(
    name="rmsprop",
    title="RMSprop",
    summary="Divides each step by a moving root-mean-square of recent gradients.",
    reference="Hinton, Srivastava & Swersky, Coursera lecture 6e, 2012; centered: Graves 2013",
    convention=(
        "PyTorch (torch.optim.RMSprop): ε is added after the square root, weight decay is added "
        "to the gradient, and there is no bias correction"
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
        DECAYED_GRADIENT,
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
            lambda hp, t: s.MOMENTUM * BUFFER_PREV + gradient_used(hp) / DENOM,
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
