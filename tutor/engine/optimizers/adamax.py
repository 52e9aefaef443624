"""Adamax: Adam with the root-mean-square replaced by a decaying maximum (the ∞-norm).

torch.optim.Adamax (the default convention), for t = 1, 2, …::

    g̃ₜ = gₜ + λθₜ₋₁                          (if λ ≠ 0; gₜ is −∇L with maximize)
    mₜ = β₁·mₜ₋₁ + (1 − β₁)·g̃ₜ
    uₜ = max(β₂·uₜ₋₁, |g̃ₜ| + ε)              (u₀ = 0; torch's exp_inf)
    θₜ = θₜ₋₁ − (η / (1 − β₁ᵗ))·mₜ / uₜ

uₜ needs no bias correction: a maximum is not pulled towards its zero start the way an average
is. ε sits inside the maximum, so uₜ is never 0.

Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.1.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(ADAMAX.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> float(values["u"][0]), round(float(values["theta_next"][0]), 9)
(2.00000001, 1.9)
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import absolute, maximum
from tutor.engine.optimizers.common import (
    FIRST_MOMENT,
    MAXIMIZE,
    beta,
    bias_correction,
    ema,
    eps,
    finish,
    gradient_prologue,
    lr,
    weight_decay,
)
from tutor.engine.spec import (
    Assign,
    Convention,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    state,
)

M = FIRST_MOMENT
U = state(
    "u",
    "u",
    "u",
    "exponentially weighted infinity norm: a decaying maximum of |g|",
    torch_state="exp_inf",
)


def build(setup: Setup) -> Iterator[Step]:
    """Adamax's update for one setup; see the module docstring."""
    prologue, g = gradient_prologue(setup, l2=True)
    yield from prologue
    yield Assign(M, ema(M.previous, g, s.BETA1))  # type: ignore[arg-type]
    yield Assign(U, maximum(s.BETA2 * U.previous, absolute(g) + s.EPS))  # type: ignore[operator]
    step_size = s.LR / bias_correction(s.BETA1)
    # torch: θ.addcdiv_(m, u, value=−η/(1 − β₁ᵗ))
    yield from finish(
        step_size * M.symbol / U.symbol, s.THETA + (-step_size) * (M.symbol / U.symbol)
    )


ADAMAX = OptimizerSpec(
    name="adamax",
    title="Adamax",
    summary="Adam with a decaying maximum of |g| in place of the root-mean-square.",
    reference="Kingma & Ba, ICLR 2015 (arXiv:1412.6980), section 7.1",
    year=2014,
    hyperparameters=(
        lr(2e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the infinity norm"),
        eps(1e-8, "to |g| inside the maximum"),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.Adamax, PyTorch 2.13 (_single_tensor_adamax)",
            "u = max(β₂u, |g| + ε) with ε inside the maximum; the bias correction of m is folded "
            "into the step size η/(1 − β₁ᵗ)",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (ADAMAX,)
