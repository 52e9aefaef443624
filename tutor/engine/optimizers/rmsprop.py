"""RMSprop: divide by a moving root-mean-square of recent gradients.

torch.optim.RMSprop (the default convention; see ``RMSPROP.conventions``)::

    g̃ₜ = gₜ + λθₜ₋₁                            (if λ ≠ 0; gₜ is −∇L with maximize)
    vₜ = α·vₜ₋₁ + (1 − α)·g̃ₜ²
    ḡₜ = α·ḡₜ₋₁ + (1 − α)·g̃ₜ                   (centered only)
    dₜ = √(vₜ − ḡₜ²) + ε  (centered)  or  √vₜ + ε
    bₜ = μ·bₜ₋₁ + g̃ₜ / dₜ                       (if μ > 0; b₀ = 0)
    θₜ = θₜ₋₁ − η·bₜ  or  θₜ₋₁ − η·g̃ₜ / dₜ

ε is added outside the square root; some texts write ``η / √(vₜ + ε)``.

Reference: Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012);
the centered form from Graves, "Generating Sequences With Recurrent Neural Networks", 2013.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(RMSPROP.configure({"lr": 0.01}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> round(float(values["square_avg"][0]), 12), round(float(values["theta_next"][0]), 6)
(0.04, 1.9)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, computed_as
from tutor.engine.optimizers.common import (
    MAXIMIZE,
    decoupled_base,
    ema,
    ema_of_squares,
    eps,
    finish,
    flag,
    gradient_prologue,
    lr,
    momentum,
    stabilized_root,
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


@dataclass(frozen=True)
class RMSpropSwitches(Switches):
    """What the conventions of RMSprop change.

    Attributes:
        eps: ``outside``: √v + ε (PyTorch); ``inside``: √(v + ε) (Graves, optax, Keras).
        lr_in_buffer: the momentum buffer holds η·g/d and θ moves by the buffer itself
            (Graves, Keras), instead of buffering g/d and multiplying by η afterwards (PyTorch).
        decay: ``l2``: λθ added to the gradient; ``decoupled``: θ·(1 − ηλ) first (Keras).
    """

    eps: Literal["outside", "inside"] = "outside"
    lr_in_buffer: bool = False
    decay: Literal["l2", "decoupled"] = "l2"


SQUARE_AVG = state(
    "square_avg", "v", "v", "moving average of squared gradients", torch_state="square_avg"
)
GRAD_AVG = state(
    "grad_avg",
    "ḡ",
    r"\bar{g}",
    "moving average of gradients (centered only)",
    torch_state="grad_avg",
)
DENOM = value("denom", "d", "d", "per-coordinate divisor")
BUFFER = state(
    "momentum_buffer",
    "b",
    "b",
    "momentum buffer of scaled gradients",
    torch_state="momentum_buffer",
)


def build(setup: Setup) -> Iterator[Step]:
    """RMSprop's update for one setup; see the module docstring."""
    switches: RMSpropSwitches = setup.switches
    decoupled = switches.decay == "decoupled"
    prologue, g = gradient_prologue(setup, l2=not decoupled)
    yield from prologue
    yield Assign(SQUARE_AVG, ema_of_squares(SQUARE_AVG.previous, g, s.ALPHA))  # type: ignore[arg-type]
    variance: Expr = SQUARE_AVG.symbol
    if setup.flag("centered"):
        yield Assign(GRAD_AVG, ema(GRAD_AVG.previous, g, s.ALPHA))  # type: ignore[arg-type]
        # torch: square_avg.addcmul(grad_avg, grad_avg, value=−1)
        variance = computed_as(
            SQUARE_AVG.symbol - GRAD_AVG.symbol**2,
            SQUARE_AVG.symbol + (-1) * GRAD_AVG.symbol * GRAD_AVG.symbol,
        )
    yield Assign(DENOM, stabilized_root(variance, switches.eps))
    base = decoupled_base(setup, decoupled)
    step: Expr
    if setup.is_on("momentum") and switches.lr_in_buffer:
        formula = s.MOMENTUM * BUFFER.previous + s.LR * g / DENOM.symbol  # type: ignore[operator]
        yield Assign(
            BUFFER,
            computed_as(formula, BUFFER.previous * s.MOMENTUM + (s.LR * g) / DENOM.symbol),  # type: ignore[operator]
        )
        step = BUFFER.symbol
        computed = base - BUFFER.symbol
    elif setup.is_on("momentum"):
        formula = s.MOMENTUM * BUFFER.previous + g / DENOM.symbol  # type: ignore[operator]
        yield Assign(
            BUFFER,
            computed_as(formula, BUFFER.previous * s.MOMENTUM + g / DENOM.symbol),  # type: ignore[operator]
        )
        step = s.LR * BUFFER.symbol
        computed = base + (-s.LR) * BUFFER.symbol
    else:
        step = s.LR * g / DENOM.symbol
        computed = base + (-s.LR) * (g / DENOM.symbol)
    yield from finish(with_decoupled_decay(setup, decoupled, step), computed)


_TORCH = RMSpropSwitches()

RMSPROP = OptimizerSpec(
    name="rmsprop",
    title="RMSprop",
    summary="Divides each step by a moving root-mean-square of recent gradients.",
    reference="Hinton, Srivastava & Swersky, Coursera lecture 6e, 2012; centered: Graves 2013",
    year=2012,
    hyperparameters=(
        lr(1e-2),
        Hyperparameter(
            "alpha",
            s.ALPHA,
            0.99,
            "smoothing constant of the squared-gradient average",
            UNIT_INTERVAL,
            "alpha",
            also=("rho", "decay_rate", "beta2"),
        ),
        eps(1e-8, "to the root of the average"),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        momentum("momentum factor"),
        flag("centered", s.CENTERED, "divide by an estimate of the variance instead"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.RMSprop, PyTorch 2.13 (_single_tensor_rmsprop)",
            "ε added after the square root, weight decay added to the gradient, no bias "
            "correction; momentum buffers g/d and is scaled by η afterwards",
            _TORCH,
        ),
        Convention(
            "paper",
            "RMSprop (Graves)",
            "Graves, Generating Sequences With Recurrent Neural Networks, 2013, eq. (38)-(41)",
            "ε inside the square root, √(v − ḡ² + ε) when centered; the momentum buffer holds "
            "η·g/d and θ moves by the buffer",
            _TORCH.replace(eps="inside", lr_in_buffer=True),
            unsupported=frozenset({"weight_decay", "maximize"}),
        ),
        Convention(
            "optax",
            "optax",
            "optax.rmsprop (scale_by_rms / scale_by_stddev, trace, scale_by_learning_rate)",
            "g / √(v + ε): ε inside the square root; momentum buffers the scaled gradient and "
            "η multiplies it afterwards",
            _TORCH.replace(eps="inside"),
            unsupported=frozenset({"weight_decay", "maximize"}),
        ),
        Convention(
            "keras",
            "Keras",
            "keras.optimizers.RMSprop, Keras 3 (update_step)",
            "ε inside the square root; the momentum buffer holds η·g/d; weight decay "
            "θ·(1 − ηλ) applied to the weights first",
            RMSpropSwitches(eps="inside", lr_in_buffer=True, decay="decoupled"),
            unsupported=frozenset({"maximize"}),
        ),
        Convention(
            "textbook",
            "textbook",
            "course notes that put ε inside the root",
            "θ − η·g / √(v + ε): ε inside the square root",
            _TORCH.replace(eps="inside"),
            unsupported=frozenset({"maximize"}),
        ),
    ),
    build=build,
)

SPECS = (RMSPROP,)
