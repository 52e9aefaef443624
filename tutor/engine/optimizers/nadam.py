"""NAdam: Adam with Nesterov momentum, and a warming-up momentum schedule.

torch.optim.NAdam (the default convention), for t = 1, 2, …::

    g̃ₜ = gₜ + λθₜ₋₁                      (L2; or θₜ₋₁ ← θₜ₋₁·(1 − ηλ) when decoupled)
    μₜ = β₁·(1 − ½·0.96^(t·ψ))           the momentum schedule (ψ = momentum_decay)
    μₜ₊₁ = β₁·(1 − ½·0.96^((t+1)·ψ))
    Πₜ = Πₜ₋₁·μₜ                          (Π₀ = 1; torch's mu_product)
    mₜ = β₁·mₜ₋₁ + (1 − β₁)·g̃ₜ
    vₜ = β₂·vₜ₋₁ + (1 − β₂)·g̃ₜ²
    v̂ₜ = vₜ / (1 − β₂ᵗ)
    m̄ₜ = μₜ₊₁·mₜ / (1 − Πₜ·μₜ₊₁) + (1 − μₜ)·g̃ₜ / (1 − Πₜ)
    θₜ = θₜ₋₁ − η·m̄ₜ / (√v̂ₜ + ε)

m̄ₜ looks one step ahead: it uses next step's momentum factor on today's average, plus today's
gradient with its own weight, which is Nesterov's idea written for Adam. torch applies the two
terms as two separate additions, which the engine follows.

Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop; the momentum
schedule μₜ follows Sutskever et al. 2013 as in torch.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(NADAM.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> round(float(values["mu"]), 9), round(float(values["theta_next"][0]), 9)
(0.450073474, 1.894354823)
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym, sqrt
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
    NON_NEGATIVE,
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Quantity,
    Setup,
    Step,
    state,
    value,
)

M, V = FIRST_MOMENT, SECOND_MOMENT
MU = value("mu", "μ", r"\mu", "this step's momentum factor, warming up towards β₁")
MU_NEXT = Quantity(
    "mu_next",
    Sym("mu_next", "μₜ₊₁", r"\mu_{t+1}"),
    "next step's momentum factor (the Nesterov look-ahead)",
)
MU_PRODUCT = state(
    "mu_product",
    "Π",
    r"\Pi",
    "product of the momentum factors so far",
    torch_state="mu_product",
    initial=1.0,
    scalar=True,
)
V_HAT = value("v_hat", "v̂", r"\hat{v}", "bias-corrected second moment")
M_BAR = value(
    "m_bar",
    "m̄",
    r"\bar{m}",
    "Nesterov momentum: next step's share of the average plus this step's gradient",
)


def _momentum_factor(step: Expr) -> Expr:
    """``β₁·(1 − ½·0.96^(step·ψ))``."""
    return s.BETA1 * (1 - 0.5 * 0.96 ** (step * s.MOMENTUM_DECAY))


def build(setup: Setup) -> Iterator[Step]:
    """NAdam's update for one setup; see the module docstring."""
    decoupled = setup.flag("decoupled_weight_decay")
    prologue, g = gradient_prologue(setup, l2=not decoupled)
    yield from prologue
    yield Assign(MU, _momentum_factor(s.T))
    yield Assign(MU_NEXT, _momentum_factor(s.T + 1))
    yield Assign(MU_PRODUCT, MU_PRODUCT.previous * MU.symbol)  # type: ignore[operator]
    yield Assign(M, ema(M.previous, g, s.BETA1))  # type: ignore[arg-type]
    yield Assign(V, ema_of_squares(V.previous, g, s.BETA2))  # type: ignore[arg-type]
    yield Assign(V_HAT, V.symbol / bias_correction(s.BETA2))
    product_next = MU_PRODUCT.symbol * MU_NEXT.symbol
    yield Assign(
        M_BAR,
        MU_NEXT.symbol * M.symbol / (1 - product_next)
        + (1 - MU.symbol) * g / (1 - MU_PRODUCT.symbol),
    )
    denom = sqrt(V_HAT.symbol) + s.EPS
    step = s.LR * M_BAR.symbol / denom
    # torch: two addcdiv_ calls, the gradient's term first.
    base = decoupled_base(setup, decoupled)
    computed = (base + (-s.LR * (1 - MU.symbol) / (1 - MU_PRODUCT.symbol)) * (g / denom)) + (
        -s.LR * MU_NEXT.symbol / (1 - product_next)
    ) * (M.symbol / denom)
    yield from finish(with_decoupled_decay(setup, decoupled, step), computed)


NADAM = OptimizerSpec(
    name="nadam",
    title="NAdam",
    summary="Adam with Nesterov momentum: the step uses next step's momentum on today's average.",
    reference="Dozat, ICLR 2016 workshop (Incorporating Nesterov Momentum into Adam)",
    year=2016,
    hyperparameters=(
        lr(2e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v̂"),
        weight_decay(0.0, "L2 penalty added to the gradient, or decoupled"),
        Hyperparameter(
            "momentum_decay",
            s.MOMENTUM_DECAY,
            4e-3,
            "how fast the momentum factor warms up towards β₁",
            NON_NEGATIVE,
            "momentum_decay",
        ),
        DECOUPLED_WEIGHT_DECAY,
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.NAdam, PyTorch 2.13 (_single_tensor_nadam)",
            "momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)); ε outside the root; the gradient and "
            "momentum terms are added to θ one after the other",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (NADAM,)
