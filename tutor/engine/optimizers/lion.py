"""Lion (EvoLved Sign Momentum): step by the sign of an interpolated momentum.

The paper's rule (there is no torch.optim.Lion; this is the default convention)::

    uₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ
    θₜ₊₁ = θₜ − η·(sign(uₜ) + λθₜ)
    mₜ = β₂·mₜ₋₁ + (1 − β₂)·gₜ

Every coordinate moves by exactly η (plus decay), so Lion wants a learning rate 3-10x smaller
than AdamW's. Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms",
NeurIPS 2023 (arXiv:2302.06675), Algorithm 2.

>>> import numpy as np
>>> hp = LION.resolve({"lr": 0.1})
>>> theta = np.array([2.0])
>>> values, _ = LION.step(theta, np.array([2.0]), LION.init(theta, hp), hp, 1)
>>> round(float(values["theta_next"][0]), 12), round(float(values["m"][0]), 12)
(1.9, 0.02)
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Sym, sign
from tutor.engine.optimizers.common import THETA_NEXT, beta, lr, update, weight_decay
from tutor.engine.primitives import moving_average
from tutor.engine.spec import Convention, Hyper, OptimizerSpec, Quantity, State

M, M_PREV = s.state_symbols("m", "m", "m")
U = Sym("u", "uₜ", "u_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    return {"m": np.zeros_like(theta, dtype=np.float64)}


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    u = moving_average(state["m"], g, hp["beta1"])
    theta_next = theta - hp["lr"] * (np.sign(u) + hp["weight_decay"] * theta)
    m = moving_average(state["m"], g, hp["beta2"])
    values = {"u": u, "update": theta - theta_next, "theta_next": theta_next, "m": m}
    return values, {"m": m}


LION = OptimizerSpec(
    name="lion",
    title="Lion",
    summary="Steps by the sign of an interpolation between momentum and gradient.",
    reference="Chen et al., NeurIPS 2023 (arXiv:2302.06675), Algorithm 2",
    conventions=(
        Convention(
            "paper",
            "Lion paper",
            "Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023, Algorithm 2",
            "interpolate with β₁, step by the sign, then update the momentum with β₂; decoupled "
            "decay multiplied by the learning rate (torch.optim has no Lion)",
            {},
        ),
        Convention(
            "optax",
            "optax",
            "optax.lion (scale_by_lion + add_decayed_weights + scale_by_learning_rate)",
            "the paper's rule: −η·(sign(β₁m + (1 − β₁)g) + λθ), then m ← β₂m + (1 − β₂)g",
            {},
        ),
    ),
    hyperparameters=(
        lr(1e-4),
        beta(1, 0.9, "the interpolation used for the step direction"),
        beta(2, 0.99, "the momentum that is carried to the next step"),
        weight_decay(0.0, "decoupled: the weights shrink by η·λ·θ each step"),
    ),
    quantities=(
        Quantity(
            "u",
            U,
            lambda hp, t: s.BETA1 * M_PREV + (1 - s.BETA1) * s.G,
            "interpolation of momentum and gradient whose sign is the step direction",
        ),
        update(
            lambda hp, t: s.LR * (sign(U) + s.WEIGHT_DECAY * s.THETA),
            "step: learning rate times the sign, plus decoupled decay",
        ),
        THETA_NEXT,
        Quantity(
            "m",
            M,
            lambda hp, t: s.BETA2 * M_PREV + (1 - s.BETA2) * s.G,
            "momentum: moving average of gradients, updated after the step",
            torch_state="exp_avg",
        ),
    ),
    init=_init,
    step=_step,
)
