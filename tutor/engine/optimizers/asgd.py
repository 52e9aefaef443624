"""ASGD (averaged SGD): plain SGD steps with a slowly decaying step size, plus a running average
of the iterates, which is the answer it hands back.

torch.optim.ASGD (the default convention), for t = 1, 2, …::

    gₜ = ∇L(θₜ₋₁)                                  (−∇L with maximize)
    g̃ₜ = gₜ + λθₜ₋₁                                (if λ ≠ 0)
    θₜ = θₜ₋₁·(1 − κ·ηₜ₋₁) − ηₜ₋₁·g̃ₜ                (η₀ = η, torch's lr)
    θ̄ₜ = θₜ if μₜ₋₁ = 1, else θ̄ₜ₋₁ + μₜ₋₁·(θₜ − θ̄ₜ₋₁)   (μ₀ = 1, θ̄₀ = 0; torch's ax)
    ηₜ = η / (1 + κ·η·t)^α                          the step size of step t + 1 (torch's eta)
    μₜ = 1 / max(1, t − t₀)                         the averaging weight of step t + 1 (mu)

Step t uses the step size ηₜ₋₁ and the weight μₜ₋₁ computed at the end of the step before, as
torch keeps them in its state. κ (torch's ``lambd``) both shrinks θ a little every step, like a
decoupled weight decay of κ·ηₜ₋₁, and sets how fast the step size decays. Up to step t₀ + 2 the
average θ̄ is a copy of θ; from then on it is the mean of the iterates θ_{t₀+2}, …, θₜ, which is
Polyak–Juditsky averaging. torch's ``ax`` is that average: the update never reads it, and it is
what the method means to return (copy it into the model to evaluate it). With torch's default
t₀ = 10⁶, θ̄ stays a copy of θ in any short run.

Reference: Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM
Journal on Control and Optimization, 1992; the step-size schedule and the decay follow Léon
Bottou's ASGD code (Xu, "Towards Optimal One Pass Large Scale Learning with Averaged Stochastic
Gradient Descent", 2011; Bottou, "Stochastic Gradient Descent Tricks", 2012).

With t₀ = 0, θ̄ is a copy of θ for two steps and the mean of θ₂ and θ₃ after the third:

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(ASGD.configure({"lr": 0.1, "lambd": 0.5, "t0": 0.0}))
>>> theta = np.array([2.0])
>>> state = program.init(theta)
>>> for t in (1, 2, 3):
...     values, state = program.step(theta, 2 * (theta - 1), state, t)
...     theta = values["theta_next"]
...     keys = ("theta_next", "theta_bar", "eta", "mu")
...     print(t, *(round(float(np.ravel(values[k])[0]), 6) for k in keys))
1 1.7 1.7 0.096407 1.0
2 1.483085 1.483085 0.093101 0.5
3 1.324094 1.403589 0.090049 0.333333
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import Compare, Expr, Num, Sym, maximum, where
from tutor.engine.optimizers.common import (
    MAXIMIZE,
    finish,
    gradient_prologue,
    lr,
    weight_decay,
)
from tutor.engine.spec import (
    NON_NEGATIVE,
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    state,
)

LAMBD = Sym("lambd", "κ", r"\kappa")
T0 = Sym("t0", "t₀", "t_0")

THETA_BAR = state(
    "theta_bar",
    "θ̄",
    r"\bar{\theta}",
    "the averaged parameters: a copy of θ until averaging starts, then the mean of the "
    "iterates since (torch's ax)",
    torch_state="ax",
)
ETA = state(
    "eta",
    "η",
    r"\eta",
    "the step size, decaying from the learning rate; computed at the end of a step for the next",
    torch_state="eta",
    initial=s.LR,
    scalar=True,
)
MU = state(
    "mu",
    "μ",
    r"\mu",
    "the averaging weight of the newest iterate: 1 (copy) until averaging starts, then "
    "1/(number of iterates averaged)",
    torch_state="mu",
    initial=1.0,
    scalar=True,
)


def build(setup: Setup) -> Iterator[Step]:
    """ASGD's update for one setup, in torch's order; see the module docstring."""
    prologue, g = gradient_prologue(setup, l2=True)
    yield from prologue
    eta: Expr = ETA.previous  # type: ignore[assignment]
    # torch: θ.mul_(1 − κ·η), then θ.add_(g, alpha=−η)
    if setup.is_on("lambd"):
        update = eta * (g + LAMBD * s.THETA)
        computed = s.THETA * (1 - LAMBD * eta) + (-eta) * g
    else:
        update = eta * g
        computed = s.THETA + (-eta) * g
    yield from finish(update, computed)
    # torch: ax.add_(θ.sub(ax).mul_(μ)) if μ ≠ 1, else ax.copy_(θ)
    bar = THETA_BAR.previous
    yield Assign(
        THETA_BAR,
        where(
            Compare("==", MU.previous, Num(1.0)),  # type: ignore[arg-type]
            s.THETA_NEXT,
            bar + (s.THETA_NEXT - bar) * MU.previous,  # type: ignore[operator]
        ),
    )
    yield Assign(ETA, s.LR / (1 + LAMBD * s.LR * s.T) ** s.ALPHA)
    yield Assign(MU, 1 / maximum(1.0, s.T - T0))


ASGD = OptimizerSpec(
    name="asgd",
    title="ASGD",
    summary="SGD with a decaying step size that also keeps a running average of the "
    "iterates, the averaged answer it hands back.",
    reference="Polyak & Juditsky, SIAM J. Control Optim. 1992; schedule as in Xu 2011, Bottou 2012",
    year=1992,
    hyperparameters=(
        lr(1e-2),
        Hyperparameter(
            "lambd",
            LAMBD,
            1e-4,
            "decay term: θ shrinks by the factor 1 − κ·η each step, and κ sets how fast the "
            "step size decays",
            NON_NEGATIVE,
            "lambd",
            also=("lambda_", "decay_term"),
        ),
        Hyperparameter(
            "alpha",
            s.ALPHA,
            0.75,
            "power of the step-size decay η/(1 + κηt)^α",
            NON_NEGATIVE,
            "alpha",
        ),
        Hyperparameter(
            "t0",
            T0,
            1e6,
            "the step after which averaging starts (until then the average is a copy of θ)",
            NON_NEGATIVE,
            "t0",
        ),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.ASGD, PyTorch 2.13 (_single_tensor_asgd)",
            "θ·(1 − κη) − η·g with the step size η kept from the end of the previous step, "
            "where it was set to lr/(1 + κ·lr·t)^α; the average θ̄ copies θ until step t0 + 2 "
            "and then averages the iterates",
            NoSwitches(),
        ),
    ),
    build=build,
)

SPECS = (ASGD,)
