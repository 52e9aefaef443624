"""Adadelta: a step whose size is the ratio of two moving root-mean-squares, so it needs no
learning rate of its own.

torch.optim.Adadelta (the default convention), for t = 1, 2, …::

    gₜ = ∇L(θₜ₋₁)                               (−∇L with maximize)
    g̃ₜ = gₜ + λθₜ₋₁                             (if λ ≠ 0)
    vₜ = ρ·vₜ₋₁ + (1 − ρ)·g̃ₜ²                   (v₀ = 0; torch's square_avg)
    δₜ = √(uₜ₋₁ + ε) / √(vₜ + ε) · g̃ₜ             (torch's delta; Δxₜ in its docs)
    uₜ = ρ·uₜ₋₁ + (1 − ρ)·δₜ²                   (u₀ = 0; torch's acc_delta)
    θₜ = θₜ₋₁ − η·δₜ

Two moving averages: vₜ of squared gradients, as in RMSprop, and uₜ of squared steps. The step
δₜ is the gradient scaled by RMS[δ]ₜ₋₁ / RMS[g]ₜ, which has the units of θ: the paper's argument
for needing no learning rate (η = 1, torch's default, is the paper's rule). uₜ is updated after
δₜ is computed, so step t uses the root-mean-square of the steps before it; at t = 1 that is
√ε, and the first steps are tiny.

Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012,
Algorithm 1.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(ADADELTA.configure({}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> [round(float(values[k][0]), 9) for k in ("v", "delta", "u", "theta_next")]
[0.4, 0.003162274, 1e-06, 1.996837726]
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import Sym, sqrt
from tutor.engine.optimizers.common import (
    MAXIMIZE,
    ema_of_squares,
    eps,
    finish,
    gradient_prologue,
    lr,
    weight_decay,
)
from tutor.engine.spec import (
    UNIT_INTERVAL,
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    state,
    value,
)

RHO = Sym("rho", "ρ", r"\rho")

V = state(
    "v",
    "v",
    "v",
    "moving average of squared gradients",
    torch_state="square_avg",
)
DELTA = value(
    "delta",
    "δ",
    r"\delta",
    "the step before η: the gradient scaled by the root-mean-square of past steps over that "
    "of the gradients",
)
U = state(
    "u",
    "u",
    "u",
    "moving average of squared steps δ², updated after the step it describes",
    torch_state="acc_delta",
)


def build(setup: Setup) -> Iterator[Step]:
    """Adadelta's update for one setup, in torch's order; see the module docstring."""
    prologue, g = gradient_prologue(setup, l2=True)
    yield from prologue
    yield Assign(V, ema_of_squares(V.previous, g, RHO))  # type: ignore[arg-type]
    # torch: acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
    yield Assign(DELTA, sqrt(U.previous + s.EPS) / sqrt(V.symbol + s.EPS) * g)  # type: ignore[operator]
    yield Assign(U, ema_of_squares(U.previous, DELTA.symbol, RHO))  # type: ignore[arg-type]
    # torch: θ.add_(delta, alpha=−η)
    yield from finish(s.LR * DELTA.symbol, s.THETA + (-s.LR) * DELTA.symbol)


ADADELTA = OptimizerSpec(
    name="adadelta",
    title="Adadelta",
    summary="Scales the gradient by the ratio of two moving root-mean-squares: of past steps "
    "and of gradients.",
    reference="Zeiler, 2012 (arXiv:1212.5701)",
    year=2012,
    hyperparameters=(
        lr(1.0),
        Hyperparameter(
            "rho",
            RHO,
            0.9,
            "decay rate of both moving averages (of squared gradients and of squared steps)",
            UNIT_INTERVAL,
            "rho",
        ),
        eps(1e-6, "inside both square roots"),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.Adadelta, PyTorch 2.13 (_single_tensor_adadelta)",
            "δ = √(u + ε)/√(v + ε)·g with ε inside both roots, u updated after δ, and the "
            "step scaled by η (η = 1 is the paper's rule); weight decay added to the gradient",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (ADADELTA,)
