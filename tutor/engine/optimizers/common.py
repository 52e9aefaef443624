"""Quantities and hyper-parameters that several optimizers share, defined once."""

from __future__ import annotations

from typing import Any

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, sqrt
from tutor.engine.primitives import decoupled_decay, l2_gradient
from tutor.engine.spec import DECAY_RATE, NON_NEGATIVE, POSITIVE, Hyper, Hyperparameter, Quantity


def is_on(hp: Hyper, name: str) -> bool:
    """Whether a hyper-parameter is non-zero (for any configuration of a batch)."""
    value = hp[name]
    if isinstance(value, (int, float)):  # the common case, checked on every step: keep it cheap
        return value != 0
    return bool(np.any(np.asarray(value) != 0))


def lr(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr", s.LR, default, "learning rate: how far each step moves", POSITIVE, "lr"
    )


def eps(default: float, where: str) -> Hyperparameter:
    return Hyperparameter(
        "eps",
        s.EPS,
        default,
        f"small constant added {where} to avoid division by zero",
        NON_NEGATIVE,
        "eps",
    )


def weight_decay(default: float, how: str) -> Hyperparameter:
    return Hyperparameter(
        "weight_decay",
        s.WEIGHT_DECAY,
        default,
        f"weight decay coefficient ({how})",
        NON_NEGATIVE,
        "weight_decay",
    )


def beta(index: int, default: float, what: str) -> Hyperparameter:
    symbol = s.BETA1 if index == 1 else s.BETA2
    return Hyperparameter(
        f"beta{index}", symbol, default, f"decay rate of {what}", DECAY_RATE, f"betas[{index - 1}]"
    )


def flag(name: str, symbol: Any, description: str) -> Hyperparameter:
    return Hyperparameter(name, symbol, False, description, torch_name=name)


def gradient_used(hp: Hyper) -> Expr:
    """The gradient later formulas read: ``g̃ₜ`` when weight decay is folded in, else ``gₜ``."""
    return s.G_TILDE if folds_decay(hp) else s.G


def folds_decay(hp: Hyper) -> bool:
    """Whether weight decay is added to the gradient (L2) rather than applied to the weights."""
    return is_on(hp, "weight_decay") and hp.get("decay", "l2") == "l2"


def apply_weight_decay(
    theta: np.ndarray, g: np.ndarray, hp: Hyper, values: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Weight decay as the convention's ``decay`` switch says, before the optimizer's own step.

    Returns ``(gradient, parameters)`` for the rest of the step: ``l2`` folds ``λθ`` into the
    gradient (and records ``g_decayed``), ``decoupled`` shrinks the parameters to ``θ·(1 − ηλ)``;
    other modes (optax's and the AdamW paper's) are applied by the step itself.
    """
    if not is_on(hp, "weight_decay"):
        return g, theta
    if folds_decay(hp):
        values["g_decayed"] = l2_gradient(g, theta, hp["weight_decay"])
        return values["g_decayed"], theta
    if hp["decay"] == "decoupled":
        return g, decoupled_decay(theta, hp["lr"], hp["weight_decay"])
    return g, theta


DECAYED_GRADIENT_L2 = Quantity(
    "g_decayed",
    s.G_TILDE,
    lambda hp, t: s.G + s.WEIGHT_DECAY * s.THETA,
    "gradient with L2 weight decay folded in, as torch.optim does for this optimizer",
    when=folds_decay,
)

THETA_NEXT = Quantity(
    "theta_next",
    s.THETA_NEXT,
    lambda hp, t: s.THETA - s.UPDATE,
    "the new parameters",
)


def stabilized_root_formula(x: Expr, hp: Hyper) -> Expr:
    """The formula of :func:`tutor.engine.primitives.stabilized_root` for this convention."""
    return sqrt(x + s.EPS) if hp["eps_placement"] == "inside" else sqrt(x) + s.EPS


def update(formula: Any, description: str) -> Quantity:
    """The step ``Δθₜ`` that is subtracted from the parameters."""
    return Quantity("update", s.UPDATE, formula, description)
