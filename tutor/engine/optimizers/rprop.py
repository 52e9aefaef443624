"""Rprop (resilient backpropagation): every coordinate has its own step size, which grows while
the gradient keeps its sign and shrinks when the sign flips; only the gradient's sign is used.

torch.optim.Rprop (the default convention), for t = 1, 2, …, per coordinate::

    gₜ = ∇L(θₜ₋₁)                                   (−∇L with maximize)
    fₜ = η⁺ if gₜ·ǧₜ₋₁ > 0, η⁻ if gₜ·ǧₜ₋₁ < 0, else 1
    ηₜ = clamp(ηₜ₋₁·fₜ, Γmin, Γmax)                (η₀ = η, torch's lr; torch's step_size)
    ǧₜ = 0 if gₜ·ǧₜ₋₁ < 0, else gₜ                (ǧ₀ = 0; torch's prev)
    θₜ = θₜ₋₁ − ηₜ·sign(ǧₜ)

The size of the gradient never enters the step, only its sign: the step sizes ηₜ carry all the
scale. Where the sign flipped, the last step jumped over a minimum, so that coordinate's step
size shrinks by η⁻ and the coordinate waits one step: torch sets its gradient to 0, which moves
it by sign(0) = 0 and also makes the next step's product 0, so its step size is then left
alone (fₜ₊₁ = 1). The learning rate η is only the step size every coordinate starts from.

This is the variant without weight-backtracking (iRprop⁻ in Igel & Hüsken, "Improving the Rprop
Learning Algorithm", 2000); the 1993 paper also takes back the previous step where the sign
flipped. torch's Rprop has no weight decay.

Reference: Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation Learning:
The RPROP Algorithm", IEEE International Conference on Neural Networks, 1993.

Two steps on one coordinate. The first gradient, 2, meets ǧ₀ = 0, so the step size stays at
η = 0.1; the second, −1, has the opposite sign, so the step size halves and the coordinate
waits:

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(RPROP.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> first, state = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> [float(first[k][0]) for k in ("factor", "step_size", "prev", "theta_next")]
[1.0, 0.1, 2.0, 1.9]
>>> second, _ = program.step(first["theta_next"], np.array([-1.0]), state, 2)
>>> [float(second[k][0]) for k in ("factor", "step_size", "prev", "theta_next")]
[0.5, 0.05, 0.0, 1.9]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from tutor.engine import symbols as s
from tutor.engine.formula import Sym, clamp, sign, where
from tutor.engine.optimizers.common import MAXIMIZE, finish, gradient_prologue, lr
from tutor.engine.spec import (
    NON_NEGATIVE,
    POSITIVE,
    Assign,
    Bound,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    state,
    value,
)
from tutor.errors import HyperparameterError

ETAMINUS = Sym("etaminus", "η⁻", r"\eta^{-}")
ETAPLUS = Sym("etaplus", "η⁺", r"\eta^{+}")
STEP_SIZE_MIN = Sym("step_size_min", "Γmin", r"\Gamma_{\min}")
STEP_SIZE_MAX = Sym("step_size_max", "Γmax", r"\Gamma_{\max}")

FACTOR = value(
    "factor",
    "f",
    "f",
    "how each step size changes: η⁺ where the gradient kept its sign, η⁻ where it flipped, "
    "1 where the product of the two gradients is 0",
)
STEP_SIZE = state(
    "step_size",
    "η",
    r"\eta",
    "each coordinate's own step size, starting at the learning rate",
    torch_state="step_size",
    initial=s.LR,
)
PREV = state(
    "prev",
    "ǧ",
    r"\check{g}",
    "the gradient kept for the next sign test: 0 where the sign flipped, else the gradient",
    torch_state="prev",
)


def build(setup: Setup) -> Iterator[Step]:
    """Rprop's update for one setup, in torch's order; see the module docstring."""
    _, g = gradient_prologue(setup, l2=False)  # torch's Rprop has no weight decay
    product = g * PREV.previous  # type: ignore[operator]
    # torch: sign = grad.mul(prev).sign(), then sign[> 0] = η⁺, sign[< 0] = η⁻, sign[= 0] = 1.
    yield Assign(FACTOR, where(product > 0, ETAPLUS, where(product < 0, ETAMINUS, 1.0)))
    # torch: step_size.mul_(sign).clamp_(Γmin, Γmax)
    yield Assign(
        STEP_SIZE,
        clamp(STEP_SIZE.previous * FACTOR.symbol, STEP_SIZE_MIN, STEP_SIZE_MAX),  # type: ignore[operator]
    )
    # torch: grad[sign == η⁻] = 0, which is where the product was negative; prev.copy_(grad)
    yield Assign(PREV, where(product < 0, 0.0, g))
    # torch: θ.addcmul_(grad.sign(), step_size, value=−1)
    update = STEP_SIZE.symbol * sign(PREV.symbol)
    yield from finish(update, s.THETA - update)


def _check(values: Mapping[str, Any]) -> None:
    if values["step_size_min"] > values["step_size_max"]:
        raise HyperparameterError(
            "step_size_min must be <= step_size_max, got "
            f"{values['step_size_min']!r} > {values['step_size_max']!r}"
        )


RPROP = OptimizerSpec(
    name="rprop",
    title="Rprop",
    summary="Per-coordinate step sizes that grow while the gradient keeps its sign and shrink "
    "when it flips; only the sign of the gradient is used.",
    reference="Riedmiller & Braun, IEEE ICNN 1993",
    year=1993,
    hyperparameters=(
        dataclasses.replace(
            lr(1e-2),
            description="initial step size of every coordinate (each then adapts on its own)",
        ),
        Hyperparameter(
            "etaminus",
            ETAMINUS,
            0.5,
            "factor that shrinks a step size when its gradient changes sign",
            Bound(low=0.0, low_inclusive=False, high=1.0, high_inclusive=False),
            "etas[0]",
            also=("eta_minus",),
        ),
        Hyperparameter(
            "etaplus",
            ETAPLUS,
            1.2,
            "factor that grows a step size while its gradient keeps its sign",
            Bound(low=1.0, low_inclusive=False),
            "etas[1]",
            also=("eta_plus",),
        ),
        Hyperparameter(
            "step_size_min",
            STEP_SIZE_MIN,
            1e-6,
            "smallest step size a coordinate can shrink to",
            NON_NEGATIVE,
            "step_sizes[0]",
        ),
        Hyperparameter(
            "step_size_max",
            STEP_SIZE_MAX,
            50.0,
            "largest step size a coordinate can grow to",
            POSITIVE,
            "step_sizes[1]",
        ),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.Rprop, PyTorch 2.13 (_single_tensor_rprop)",
            "step sizes start at the learning rate and are clamped to [step_size_min, "
            "step_size_max]; where the gradient's sign flipped it is stored as 0 and that "
            "coordinate does not move (no weight-backtracking)",
            NoSwitches(),
        ),
    ),
    build=build,
    check=_check,
)

SPECS = (RPROP,)
