"""Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay.

torch.optim.SGD (the default convention; see ``SGD.conventions`` for the others)::

    gₜ = ∇L(θₜ₋₁)                                  (−∇L with maximize)
    g̃ₜ = gₜ + λθₜ₋₁                                (if λ ≠ 0)
    b₁ = g̃₁;  bₜ = μ·bₜ₋₁ + (1 − τ)·g̃ₜ            (if μ ≠ 0)
    dₜ = g̃ₜ + μ·bₜ  (Nesterov)  or  bₜ  or  g̃ₜ
    θₜ = θₜ₋₁ − η·dₜ

The first momentum buffer is the gradient itself, not ``(1 − τ)·g̃₁``; textbooks that write
momentum as ``v = βv + (1 − β)g`` describe a different (dampened, EMA-style) update.

Reference: Robbins & Monro 1951; momentum as in Sutskever, Martens, Dahl & Hinton, "On the
importance of initialization and momentum in deep learning", ICML 2013.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(SGD.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> program.step(theta, np.array([2.0]), program.init(theta), 1)[0]["theta_next"]
array([1.8])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tutor.engine import symbols as s
from tutor.engine.formula import ByStep, Expr
from tutor.engine.optimizers.common import (
    MAXIMIZE,
    decoupled_base,
    finish,
    flag,
    gradient_prologue,
    lr,
    momentum,
    weight_decay,
    with_decoupled_decay,
)
from tutor.engine.spec import (
    UNIT_INTERVAL,
    Assign,
    Convention,
    Hyperparameter,
    OptimizerSpec,
    Setup,
    Step,
    Switches,
    state,
    value,
)
from tutor.errors import HyperparameterError


@dataclass(frozen=True)
class SGDSwitches(Switches):
    """What the conventions of SGD change.

    Attributes:
        momentum_form: ``torch``: a buffer b = μb + (1 − τ)g whose first value is g, and
            θ − ηb; ``velocity``: v = μv − ηg with the learning rate inside, and θ + v
            (Sutskever et al., Keras); ``ema``: b = μb + (1 − μ)g from b₀ = 0 (a moving average,
            as many course notes write it).
        decay: ``l2``: λθ added to the gradient (torch); ``decoupled``: θ shrinks to
            θ·(1 − ηλ) first (Keras).
    """

    momentum_form: Literal["torch", "velocity", "ema"] = "torch"
    decay: Literal["l2", "decoupled"] = "l2"


BUFFER = state(
    "momentum_buffer",
    "b",
    "b",
    "velocity: a running sum of past gradients (the first one is the gradient itself)",
    torch_state="momentum_buffer",
)
EMA_BUFFER = state(
    "momentum_buffer",
    "b",
    "b",
    "momentum as a moving average of gradients, starting from 0",
)
VELOCITY = state(
    "velocity", "v", "v", "velocity with the learning rate inside: the step itself, before Nesterov"
)
DIRECTION = value(
    "direction",
    "d",
    "d",
    "Nesterov direction: the gradient plus a look-ahead along the momentum buffer",
)


def build(setup: Setup) -> Iterator[Step]:
    """SGD's update for one setup; see the module docstring."""
    switches: SGDSwitches = setup.switches
    decoupled = switches.decay == "decoupled"
    prologue, g = gradient_prologue(setup, l2=not decoupled)
    yield from prologue
    base = decoupled_base(setup, decoupled)
    nesterov = setup.flag("nesterov")
    step: Expr
    if not setup.is_on("momentum"):
        step = s.LR * g
        computed = base + (-s.LR) * g
    elif switches.momentum_form == "velocity":
        yield Assign(VELOCITY, s.MOMENTUM * VELOCITY.previous - s.LR * g)  # type: ignore[operator]
        if nesterov:
            step = s.LR * g - s.MOMENTUM * VELOCITY.symbol
            computed = base + (VELOCITY.symbol * s.MOMENTUM - g * s.LR)
        else:
            step = -VELOCITY.symbol
            computed = base + VELOCITY.symbol
    else:
        if switches.momentum_form == "ema":
            buffer = EMA_BUFFER
            formula = s.MOMENTUM * buffer.previous + (1 - s.MOMENTUM) * g  # type: ignore[operator]
        else:
            buffer = BUFFER
            formula = ByStep(g, s.MOMENTUM * buffer.previous + (1 - s.DAMPENING) * g)  # type: ignore[operator]
        yield Assign(buffer, formula)
        direction: Expr = buffer.symbol
        if nesterov:
            yield Assign(DIRECTION, g + s.MOMENTUM * buffer.symbol)
            direction = DIRECTION.symbol
        step = s.LR * direction
        computed = base + (-s.LR) * direction
    yield from finish(with_decoupled_decay(setup, decoupled, step), computed)


def _check(values: Mapping[str, Any]) -> None:
    if values["nesterov"] and (values["momentum"] == 0 or values["dampening"] != 0):
        raise HyperparameterError("nesterov needs momentum > 0 and dampening = 0")


_TORCH = SGDSwitches()

SGD = OptimizerSpec(
    name="sgd",
    title="SGD",
    summary="Gradient descent, optionally with (Nesterov) momentum and weight decay.",
    reference="Robbins & Monro 1951; momentum as in Sutskever et al., ICML 2013",
    year=1951,
    hyperparameters=(
        lr(1e-3),
        momentum("momentum factor: how much of the last step is kept"),
        Hyperparameter(
            "dampening",
            s.DAMPENING,
            0.0,
            "dampening: how much of the new gradient is held back",
            UNIT_INTERVAL,
            "dampening",
        ),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        flag("nesterov", s.NESTEROV, "use Nesterov momentum (look ahead along the buffer)"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.SGD, PyTorch 2.13 (_single_tensor_sgd)",
            "b = μb + (1 − τ)g̃ with the first buffer equal to the gradient, θ − ηb; weight "
            "decay added to the gradient",
            _TORCH,
        ),
        Convention(
            "paper",
            "momentum paper",
            "Sutskever, Martens, Dahl & Hinton, ICML 2013, eq. (1)-(2)",
            "velocity v = μv − ηg, θ + v: the learning rate lives inside the velocity (the same "
            "numbers while η is constant)",
            _TORCH.replace(momentum_form="velocity"),
            unsupported=frozenset({"dampening", "nesterov", "weight_decay", "maximize"}),
        ),
        Convention(
            "optax",
            "optax",
            "optax.sgd (trace + scale_by_learning_rate)",
            "trace t = g + μt starting from zero, so the first buffer is the gradient, θ − ηt",
            _TORCH,
            unsupported=frozenset({"dampening", "weight_decay", "maximize"}),
        ),
        Convention(
            "keras",
            "Keras",
            "keras.optimizers.SGD, Keras 3 (update_step; weight decay in "
            "Optimizer._apply_weight_decay)",
            "velocity v = μv − ηg, θ + v (Nesterov: θ + μv − ηg); weight decay θ·(1 − ηλ) "
            "applied to the weights first",
            SGDSwitches(momentum_form="velocity", decay="decoupled"),
            unsupported=frozenset({"dampening", "maximize"}),
        ),
        Convention(
            "textbook",
            "textbook",
            "course notes that write momentum as a moving average",
            "b = μb + (1 − μ)g from b₀ = 0, θ − ηb: an average of gradients, so on a steady "
            "gradient the step approaches η·g instead of PyTorch's η·g/(1 − μ)",
            _TORCH.replace(momentum_form="ema"),
            unsupported=frozenset({"dampening", "nesterov", "maximize"}),
        ),
    ),
    build=build,
    check=_check,
)

SPECS = (SGD,)
