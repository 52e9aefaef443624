"""RAdam: Adam whose adaptive step is switched on only once its variance estimate is reliable.

torch.optim.RAdam (the default convention), for t = 1, 2, …::

    g̃ₜ = gₜ + λθₜ₋₁                      (L2; or θₜ₋₁ ← θₜ₋₁·(1 − ηλ) when decoupled)
    mₜ = β₁·mₜ₋₁ + (1 − β₁)·g̃ₜ
    vₜ = β₂·vₜ₋₁ + (1 − β₂)·g̃ₜ²
    m̂ₜ = mₜ / (1 − β₁ᵗ)
    ρ∞ = 2/(1 − β₂) − 1
    ρₜ = ρ∞ − 2t·β₂ᵗ / (1 − β₂ᵗ)          the length of the moving average, in effect
    if ρₜ > 5:
        rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))     variance rectification
        lₜ = √(1 − β₂ᵗ) / (√vₜ + ε)                           adaptive learning rate
        θₜ = θₜ₋₁ − η·m̂ₜ·rₜ·lₜ
    else:
        θₜ = θₜ₋₁ − η·m̂ₜ                                      SGD with momentum

With the default β₂ = 0.999, ρₜ passes 5 at t = 6: the first five steps are plain momentum
steps, because an average of so few squared gradients is too noisy to divide by.

Reference: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(RADAM.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> float(values["rho"]), "rect" in values, round(float(values["theta_next"][0]), 9)
(1.0, False, 1.8)
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import sqrt, where
from tutor.engine.optimizers.common import (
    DECOUPLED_WEIGHT_DECAY,
    FIRST_MOMENT,
    MAXIMIZE,
    SECOND_MOMENT,
    beta,
    bias_correction,
    decoupled_base,
    ema,
    ema_of_squares,
    eps,
    finish,
    gradient_prologue,
    lr,
    weight_decay,
    with_decoupled_decay,
)
from tutor.engine.spec import (
    Assign,
    Convention,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    value,
)

M, V = FIRST_MOMENT, SECOND_MOMENT
M_HAT = value("m_hat", "m̂", r"\hat{m}", "bias-corrected first moment")
RHO_INF = value(
    "rho_inf",
    "ρ∞",
    r"\rho_\infty",
    "the longest the moving average can effectively be: 2/(1 − β₂) − 1",
    step=False,
)
RHO = value("rho", "ρ", r"\rho", "how many steps the moving average of g² effectively spans")
RECT = value(
    "rect",
    "r",
    "r",
    "variance rectification: shrinks the adaptive step while v is still a rough estimate",
)
ADAPTIVE = value(
    "adaptive_lr", "l", "l", "adaptive learning rate: bias-corrected 1/√v, per coordinate"
)


def build(setup: Setup) -> Iterator[Step]:
    """RAdam's update for one setup; see the module docstring."""
    decoupled = setup.flag("decoupled_weight_decay")
    prologue, g = gradient_prologue(setup, l2=not decoupled)
    yield from prologue
    yield Assign(M, ema(M.previous, g, s.BETA1))  # type: ignore[arg-type]
    yield Assign(V, ema_of_squares(V.previous, g, s.BETA2))  # type: ignore[arg-type]
    c1, c2 = bias_correction(s.BETA1), bias_correction(s.BETA2)
    yield Assign(M_HAT, M.symbol / c1)
    yield Assign(RHO_INF, 2 / (1 - s.BETA2) - 1)
    rho, rho_inf = RHO.symbol, RHO_INF.symbol
    yield Assign(RHO, rho_inf - 2 * s.T * s.BETA2**s.T / c2)
    reliable = rho > 5
    yield Assign(
        RECT,
        sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)),
        when=reliable,
    )
    yield Assign(ADAPTIVE, c2**0.5 / (sqrt(V.symbol) + s.EPS), when=reliable)
    # torch: θ + (−1)·(m̂·η·l·r), or θ + (−1)·(m̂·η)
    adaptive_step = M_HAT.symbol * s.LR * ADAPTIVE.symbol * RECT.symbol
    plain_step = M_HAT.symbol * s.LR
    shown = where(
        reliable, s.LR * M_HAT.symbol * RECT.symbol * ADAPTIVE.symbol, s.LR * M_HAT.symbol
    )
    computed = decoupled_base(setup, decoupled) - where(reliable, adaptive_step, plain_step)
    yield from finish(with_decoupled_decay(setup, decoupled, shown), computed)


RADAM = OptimizerSpec(
    name="radam",
    title="RAdam",
    summary="Adam that starts as momentum SGD and turns on its adaptive step once v is reliable.",
    reference="Liu et al., ICLR 2020 (arXiv:1908.03265)",
    year=2019,
    hyperparameters=(
        lr(1e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v"),
        weight_decay(0.0, "L2 penalty added to the gradient, or decoupled"),
        DECOUPLED_WEIGHT_DECAY,
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.RAdam, PyTorch 2.13 (_single_tensor_radam)",
            "the rectified adaptive step when ρₜ > 5, else the bias-corrected momentum step; "
            "ε outside the root",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (RADAM,)
