"""AdaGrad: per-coordinate step sizes that shrink with the sum of all past squared gradients.

torch.optim.Adagrad (the default convention; see ``ADAGRAD.conventions``)::

    g̃ₜ = gₜ + λθₜ₋₁                        (if λ ≠ 0; gₜ is −∇L with maximize)
    ηₜ = η / (1 + (t − 1)·κ)
    Gₜ = Gₜ₋₁ + g̃ₜ²                        (G₀ = initial_accumulator_value)
    θₜ = θₜ₋₁ − ηₜ·g̃ₜ / (√Gₜ + ε)

ε is added outside the square root; some textbooks write ``η / √(Gₜ + ε)`` instead. Because Gₜ
only grows, every coordinate's step shrinks for good: AdaGrad stalls on long runs.

Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
Stochastic Optimization", JMLR 2011.

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(ADAGRAD.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> float(values["sum"][0]), round(float(values["theta_next"][0]), 9)
(4.0, 1.9)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tutor.engine import symbols as s
from tutor.engine.formula import computed_as
from tutor.engine.optimizers.common import (
    MAXIMIZE,
    decoupled_base,
    eps,
    finish,
    gradient_prologue,
    lr,
    stabilized_root,
    weight_decay,
    with_decoupled_decay,
)
from tutor.engine.spec import (
    NON_NEGATIVE,
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
class AdagradSwitches(Switches):
    """What the conventions of AdaGrad change.

    Attributes:
        eps: ``outside``: √G + ε (PyTorch); ``inside``: √(G + ε) (optax, Keras).
        decay: ``l2``: λθ added to the gradient; ``decoupled``: θ·(1 − ηλ) first (Keras).
    """

    eps: Literal["outside", "inside"] = "outside"
    decay: Literal["l2", "decoupled"] = "l2"


LR_T = value("lr_t", "η", r"\eta", "the learning rate after decay at step t")
SUM = state(
    "sum",
    "G",
    "G",
    "running sum of squared gradients",
    torch_state="sum",
    initial=s.INITIAL_ACCUMULATOR,
)
DENOM = value("denom", "d", "d", "per-coordinate divisor")


def build(setup: Setup) -> Iterator[Step]:
    """AdaGrad's update for one setup; see the module docstring."""
    switches: AdagradSwitches = setup.switches
    decoupled = switches.decay == "decoupled"
    prologue, g = gradient_prologue(setup, l2=not decoupled)
    yield from prologue
    yield Assign(LR_T, s.LR / (1 + (s.T - 1) * s.LR_DECAY))
    yield Assign(SUM, computed_as(SUM.previous + g**2, SUM.previous + g * g))  # type: ignore[operator]
    yield Assign(DENOM, stabilized_root(SUM.symbol, switches.eps))
    step = LR_T.symbol * g / DENOM.symbol
    computed = decoupled_base(setup, decoupled) + (-LR_T.symbol) * (g / DENOM.symbol)
    yield from finish(with_decoupled_decay(setup, decoupled, step), computed)


_TORCH = AdagradSwitches()

ADAGRAD = OptimizerSpec(
    name="adagrad",
    title="AdaGrad",
    summary="Divides each coordinate's step by the root of its summed squared gradients.",
    reference="Duchi, Hazan & Singer, JMLR 2011",
    year=2011,
    hyperparameters=(
        lr(1e-2),
        Hyperparameter(
            "lr_decay", s.LR_DECAY, 0.0, "learning-rate decay per step", NON_NEGATIVE, "lr_decay"
        ),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        Hyperparameter(
            "initial_accumulator_value",
            s.INITIAL_ACCUMULATOR,
            0.0,
            "starting value of the squared-gradient sum",
            NON_NEGATIVE,
            "initial_accumulator_value",
        ),
        eps(1e-10, "to the root of the sum"),
        MAXIMIZE,
    ),
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.Adagrad, PyTorch 2.13 (_single_tensor_adagrad)",
            "ε added after the square root, weight decay added to the gradient, the "
            "accumulator starts at initial_accumulator_value",
            _TORCH,
        ),
        Convention(
            "paper",
            "AdaGrad paper",
            "Duchi, Hazan & Singer, JMLR 2011, diagonal AdaGrad (δI + diag(G)^½)",
            "θ − η·g / (δ + √G): the constant sits outside the root, as in PyTorch",
            _TORCH,
            unsupported=frozenset({"lr_decay", "weight_decay", "maximize"}),
        ),
        Convention(
            "optax",
            "optax",
            "optax.adagrad (scale_by_rss)",
            "θ − η·g / √(G + ε): ε inside the square root",
            _TORCH.replace(eps="inside"),
            unsupported=frozenset({"lr_decay", "weight_decay", "maximize"}),
        ),
        Convention(
            "keras",
            "Keras",
            "keras.optimizers.Adagrad, Keras 3 (update_step)",
            "θ − η·g / √(G + ε): ε inside the square root; weight decay θ·(1 − ηλ) applied to "
            "the weights first",
            AdagradSwitches(eps="inside", decay="decoupled"),
            unsupported=frozenset({"lr_decay", "maximize"}),
        ),
        Convention(
            "textbook",
            "textbook",
            "course notes that put ε inside the root",
            "θ − η·g / √(G + ε): ε inside the square root",
            _TORCH.replace(eps="inside"),
            unsupported=frozenset({"lr_decay", "maximize"}),
        ),
    ),
    build=build,
)

SPECS = (ADAGRAD,)
