"""Building blocks several optimizers share, each written once and named after its math.

Hyper-parameter factories (:func:`lr`, :func:`beta`, …), the shared quantities (the decayed
gradient ``g̃ₜ``, NAdam's, RAdam's and Adamax's moments ``mₜ`` and ``vₜ``, the step ``Δθₜ``,
the new parameters ``θₜ``), and formula builders:
:func:`ema` (exponential moving average), :func:`ema_of_squares`, :func:`bias_correction`,
:func:`stabilized_root` and :func:`gradient_prologue` (maximize and L2 weight decay, in torch's
order). Where torch orders the arithmetic differently from the printed formula, the builder
returns a :func:`~tutor.engine.formula.computed_as` node that prints the textbook form and
evaluates torch's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym, computed_as, sqrt, where
from tutor.engine.spec import (
    DECAY_RATE,
    NON_NEGATIVE,
    POSITIVE,
    Assign,
    Hyperparameter,
    Quantity,
    Setup,
    state,
    value,
)

# --- Hyper-parameters ----------------------------------------------------------------------------


def lr(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr",
        s.LR,
        default,
        "learning rate: how far each step moves",
        POSITIVE,
        "lr",
        also=("learning_rate", "learning-rate", "step_size", "alpha_lr", "eta"),
    )


def eps(default: float, where_added: str) -> Hyperparameter:
    return Hyperparameter(
        "eps",
        s.EPS,
        default,
        f"small constant added {where_added} to avoid division by zero",
        NON_NEGATIVE,
        "eps",
        also=("epsilon",),
    )


def weight_decay(default: float, how: str) -> Hyperparameter:
    return Hyperparameter(
        "weight_decay",
        s.WEIGHT_DECAY,
        default,
        f"weight decay coefficient ({how})",
        NON_NEGATIVE,
        "weight_decay",
        also=("wd", "l2", "decay", "lambda"),
    )


def beta(index: int, default: float, what: str) -> Hyperparameter:
    symbol = s.BETA1 if index == 1 else s.BETA2
    return Hyperparameter(
        f"beta{index}",
        symbol,
        default,
        f"decay rate of {what}",
        DECAY_RATE,
        f"betas[{index - 1}]",
        also=(f"b{index}", f"betas{index}"),
    )


def momentum(description: str) -> Hyperparameter:
    return Hyperparameter("momentum", s.MOMENTUM, 0.0, description, NON_NEGATIVE, "momentum")


def flag(name: str, symbol: Sym, description: str) -> Hyperparameter:
    return Hyperparameter(name, symbol, False, description, torch_name=name)


MAXIMIZE = flag(
    "maximize",
    s.MAXIMIZE,
    "maximize the loss instead of minimizing it: the step follows −g (torch negates g)",
)

DECOUPLED_WEIGHT_DECAY = flag(
    "decoupled_weight_decay",
    s.DECOUPLED,
    "apply weight decay to the weights, θ·(1 − ηλ), instead of adding λθ to the gradient",
)

# --- Shared quantities ---------------------------------------------------------------------------

G_DECAYED = value(
    "g_decayed",
    "g̃",
    r"\tilde{g}",
    "the gradient with L2 weight decay λθ added, as torch.optim does for this optimizer",
)
FIRST_MOMENT = state(
    "m", "m", "m", "first moment: a moving average of gradients", torch_state="exp_avg"
)
SECOND_MOMENT = state(
    "v", "v", "v", "second moment: a moving average of squared gradients", torch_state="exp_avg_sq"
)
UPDATE = Quantity("update", s.UPDATE, "the step subtracted from the parameters")
THETA_NEXT = Quantity("theta_next", s.THETA_NEXT, "the new parameters")

# --- Formula builders ----------------------------------------------------------------------------


def lerp(start: Expr, end: Expr, weight: Expr) -> Expr:
    """``start + weight·(end − start)`` as torch.lerp evaluates it: for ``weight >= 0.5`` torch
    computes ``end − (end − start)·(1 − weight)``, which is exact at ``weight = 1``."""
    return where(weight < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


def ema(previous: Expr, new: Expr, decay: Expr) -> Expr:
    """Exponential moving average ``β·previous + (1 − β)·new``; evaluated as torch's
    ``previous.lerp_(new, 1 − β)``."""
    return computed_as(decay * previous + (1 - decay) * new, lerp(previous, new, 1 - decay))


def ema_of_squares(previous: Expr, g: Expr, decay: Expr) -> Expr:
    """``β·previous + (1 − β)·g²``, evaluated as torch's ``mul_(β).addcmul_(g, g, 1 − β)``,
    that is ``previous·β + ((1 − β)·g)·g``."""
    return computed_as(
        decay * previous + (1 - decay) * g**2, previous * decay + (1 - decay) * g * g
    )


def bias_correction(beta_symbol: Expr) -> Expr:
    """``1 − βᵗ``: the weight a zero-initialised moving average is missing after t steps."""
    return 1 - beta_symbol**s.T


EpsPlacement = Literal["outside", "inside"]


def stabilized_root(x: Expr, placement: str) -> Expr:
    """``√x + ε`` (outside: PyTorch) or ``√(x + ε)`` (inside: Keras, optax, many textbooks)."""
    return sqrt(x + s.EPS) if placement == "inside" else sqrt(x) + s.EPS


def gradient_prologue(setup: Setup, *, l2: bool) -> tuple[list[Assign], Expr]:
    """The gradient the optimizer's own formulas use, and the steps that make it.

    torch first negates ``g`` under ``maximize`` and then, for L2 weight decay, adds ``λθ``
    (the quantity ``g̃ₜ``). Returns ``(steps, gradient)``.
    """
    gradient: Expr = -s.G if setup.flag("maximize") else s.G
    if l2 and setup.is_on("weight_decay"):
        return [Assign(G_DECAYED, gradient + s.WEIGHT_DECAY * s.THETA)], G_DECAYED.symbol
    return [], gradient


def decoupled_base(setup: Setup, decoupled: bool) -> Expr:
    """θₜ₋₁ after torch's decoupled decay ``θ·(1 − ηλ)``, applied before the step (or θₜ₋₁)."""
    if decoupled and setup.is_on("weight_decay"):
        return s.THETA * (1 - s.LR * s.WEIGHT_DECAY)
    return s.THETA


def with_decoupled_decay(setup: Setup, decoupled: bool, step: Expr) -> Expr:
    """``step`` plus the decoupled decay term ``η·λ·θₜ₋₁`` when it applies."""
    if decoupled and setup.is_on("weight_decay"):
        return step + s.LR * s.WEIGHT_DECAY * s.THETA
    return step


def finish(update: Expr, theta_next_computed: Expr) -> Iterator[Assign]:
    """The last two lines of every update: ``Δθₜ`` and ``θₜ = θₜ₋₁ − Δθₜ`` (evaluated as
    ``theta_next_computed``, the reference implementation's order)."""
    yield Assign(UPDATE, update)
    yield Assign(THETA_NEXT, computed_as(s.THETA - s.UPDATE, theta_next_computed))
