"""AdaGrad: per-coordinate step sizes that shrink with the sum of all past squared gradients.

torch.optim.Adagrad (the convention followed)::

    g̃ₜ = gₜ + λθₜ                         (if λ ≠ 0)
    ηₜ = η / (1 + (t − 1)·κ)
    Gₜ = Gₜ₋₁ + g̃ₜ²                        (G₀ = initial_accumulator_value)
    θₜ₊₁ = θₜ − ηₜ·g̃ₜ / (√Gₜ + ε)

ε is added outside the square root; some textbooks write ``η / √(Gₜ + ε)`` instead.

Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
Stochastic Optimization", JMLR 2011.

>>> import numpy as np
>>> hp = ADAGRAD.resolve({"lr": 0.1})
>>> theta = np.array([2.0])
>>> values, _ = ADAGRAD.step(theta, np.array([2.0]), ADAGRAD.init(theta, hp), hp, 1)
>>> float(values["sum"][0]), round(float(values["theta_next"][0]), 9)
(4.0, 1.9)
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Sym, sqrt
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT,
    THETA_NEXT,
    eps,
    gradient_used,
    is_on,
    lr,
    update,
    weight_decay,
)
from tutor.engine.primitives import l2_gradient
from tutor.engine.spec import NON_NEGATIVE, Hyper, Hyperparameter, OptimizerSpec, Quantity, State

SUM, SUM_PREV = s.state_symbols("sum", "G", "G")
LR_T = Sym("lr_t", "ηₜ", r"\eta_t")
DENOM = Sym("denom", "dₜ", "d_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    return {"sum": np.full_like(theta, hp["initial_accumulator_value"], dtype=np.float64)}


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    values: dict[str, np.ndarray] = {}
    grad = g
    if is_on(hp, "weight_decay"):
        grad = values["g_decayed"] = l2_gradient(g, theta, hp["weight_decay"])
    lr_t = values["lr_t"] = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
    total = values["sum"] = state["sum"] + grad * grad
    denom = values["denom"] = np.sqrt(total) + hp["eps"]
    theta_next = theta + (-lr_t) * (grad / denom)
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, {"sum": total}


ADAGRAD = OptimizerSpec(
    name="adagrad",
    title="AdaGrad",
    summary="Divides each coordinate's step by the root of its summed squared gradients.",
    reference="Duchi, Hazan & Singer, JMLR 2011",
    convention=(
        "PyTorch (torch.optim.Adagrad): ε is added after the square root, weight decay is added "
        "to the gradient, and the accumulator starts at initial_accumulator_value"
    ),
    hyperparameters=(
        lr(1e-2),
        Hyperparameter(
            "lr_decay", s.LR_DECAY, 0.0, "learning-rate decay per step", NON_NEGATIVE, "lr_decay"
        ),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        Hyperparameter(
            "initial_accumulator_value",
            s.INITIAL_ACCUMULATOR,
            0.0,
            "starting value of the squared-gradient sum",
            NON_NEGATIVE,
            "initial_accumulator_value",
        ),
        eps(1e-10, "to the root of the sum"),
    ),
    quantities=(
        DECAYED_GRADIENT,
        Quantity(
            "lr_t",
            LR_T,
            lambda hp, t: s.LR / (1 + (s.T - 1) * s.LR_DECAY),
            "learning rate after decay at step t",
        ),
        Quantity(
            "sum",
            SUM,
            lambda hp, t: SUM_PREV + gradient_used(hp) ** 2,
            "running sum of squared gradients",
            torch_state="sum",
        ),
        Quantity("denom", DENOM, lambda hp, t: sqrt(SUM) + s.EPS, "per-coordinate divisor"),
        update(lambda hp, t: LR_T * gradient_used(hp) / DENOM, "step: scaled gradient"),
        THETA_NEXT,
    ),
    init=_init,
    step=_step,
)
