"""Lion (EvoLved Sign Momentum): step by the sign of an interpolated momentum.

The paper's rule (there is no torch.optim.Lion; this is the default convention)::

    uₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ
    θₜ = θₜ₋₁ − η·(sign(uₜ) + λθₜ₋₁)
    mₜ = β₂·mₜ₋₁ + (1 − β₂)·gₜ

Every coordinate moves by exactly η (plus decay), so Lion wants a learning rate 3-10x smaller
than AdamW's. Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms",
NeurIPS 2023 (arXiv:2302.06675), Algorithm 2.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(LION.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> round(float(values["theta_next"][0]), 12), round(float(values["m"][0]), 12)
(1.9, 0.02)
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import sign
from tutor.engine.optimizers.common import UPDATE, beta, finish, lr, weight_decay
from tutor.engine.spec import (
    Assign,
    Convention,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    state,
    value,
)

M = state(
    "m",
    "m",
    "m",
    "momentum: moving average of gradients, updated after the step",
    torch_state="exp_avg",
)
U = value("u", "u", "u", "interpolation of momentum and gradient whose sign is the step direction")


def build(setup: Setup) -> Iterator[Step]:
    """Lion's update; see the module docstring."""
    yield Assign(U, s.BETA1 * M.previous + (1 - s.BETA1) * s.G)  # type: ignore[operator]
    update = s.LR * (sign(U.symbol) + s.WEIGHT_DECAY * s.THETA)
    yield from finish(update, s.THETA - UPDATE.symbol)
    yield Assign(M, s.BETA2 * M.previous + (1 - s.BETA2) * s.G)  # type: ignore[operator]


LION = OptimizerSpec(
    name="lion",
    title="Lion",
    summary="Steps by the sign of an interpolation between momentum and gradient.",
    reference="Chen et al., NeurIPS 2023 (arXiv:2302.06675), Algorithm 2",
    year=2023,
    hyperparameters=(
        lr(1e-4),
        beta(1, 0.9, "the interpolation used for the step direction"),
        beta(2, 0.99, "the momentum that is carried to the next step"),
        weight_decay(0.0, "decoupled: the weights shrink by η·λ·θ each step"),
    ),
    conventions=(
        Convention(
            "paper",
            "Lion paper",
            "Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023, Algorithm 2",
            "interpolate with β₁, step by the sign, then update the momentum with β₂; decoupled "
            "decay multiplied by the learning rate (torch.optim has no Lion)",
            NoSwitches(),
        ),
        Convention(
            "optax",
            "optax",
            "optax.lion (scale_by_lion + add_decayed_weights + scale_by_learning_rate)",
            "the paper's rule: −η·(sign(β₁m + (1 − β₁)g) + λθ), then m ← β₂m + (1 − β₂)g",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (LION,)
