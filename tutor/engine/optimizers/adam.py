"""Adam and AdamW: momentum plus per-coordinate scaling, from bias-corrected moving averages.

torch.optim.Adam / torch.optim.AdamW (the default convention), for t = 1, 2, …::

    gₜ = ∇L(θₜ₋₁)                      (−∇L with maximize)
    g̃ₜ = gₜ + λθₜ₋₁                     Adam: L2 decay folded into the gradient
    θₜ₋₁ ← θₜ₋₁·(1 − ηλ)                AdamW (or Adam with decoupled_weight_decay): decay first
    mₜ = β₁·mₜ₋₁ + (1 − β₁)·g̃ₜ
    vₜ = β₂·vₜ₋₁ + (1 − β₂)·g̃ₜ²
    vmaxₜ = max(vmaxₜ₋₁, vₜ)            (amsgrad only; v̂ is then built from vmax)
    m̂ₜ = mₜ / (1 − β₁ᵗ),   v̂ₜ = vₜ / (1 − β₂ᵗ)
    θₜ = θₜ₋₁ − η·m̂ₜ / (√v̂ₜ + ε)

torch evaluates the last line as ``θ − (η/(1 − β₁ᵗ))·mₜ / (√vₜ/√(1 − β₂ᵗ) + ε)``: the same number
algebraically but not bit for bit, so the engine computes it in that order while the tables
print the textbook form and show m̂ and v̂. AdamW's decay is multiplied by the learning rate (as
in PyTorch and optax); the AdamW paper multiplies it only by the schedule factor.

References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019; amsgrad: Reddi, Kale &
Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.

The worked example, one AdamW step from θ₀ = 2 on (θ − 1)² with η = 0.1:

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(ADAMW.configure({"lr": 0.1}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1)
>>> [round(float(values[k][0]), 9) for k in ("m", "v", "m_hat", "v_hat", "update", "theta_next")]
[0.2, 0.004, 2.0, 4.0, 0.102, 1.898]

Under the AdamW paper's rule the decay is not multiplied by η, and the step ends at 1.88:

>>> paper = Program(ADAMW.configure({"lr": 0.1}, "paper"))
>>> round(float(paper.step(theta, np.array([2.0]), paper.init(theta), 1)[0]["theta_next"][0]), 9)
1.88
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, maximum, sqrt
from tutor.engine.optimizers.common import (
    DECOUPLED_WEIGHT_DECAY,
    MAXIMIZE,
    beta,
    bias_correction,
    decoupled_base,
    ema,
    ema_of_squares,
    eps,
    finish,
    flag,
    gradient_prologue,
    lr,
    stabilized_root,
    weight_decay,
)
from tutor.engine.spec import (
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
class AdamSwitches(Switches):
    """What the conventions of Adam and AdamW change.

    Attributes:
        decay: how weight decay enters. ``l2``: λθ is added to the gradient (torch's Adam);
            ``decoupled``: θ shrinks to θ·(1 − ηλ) before the step (torch's AdamW, Keras);
            ``decoupled_in_update``: λθ is added to the update before it is scaled by η
            (optax); ``decoupled_unscaled``: λθ is subtracted without η (the AdamW paper).
        eps: where ε goes. ``outside``: √v̂ + ε; ``inside``: √(v̂ + ε); ``hat``: Keras's ε̂,
            added to √v rather than √v̂, with the corrections folded into the step size.
        bias_correction: whether the moments are divided by 1 − βᵗ.
    """

    decay: Literal["l2", "decoupled", "decoupled_in_update", "decoupled_unscaled"] = "l2"
    eps: Literal["outside", "inside", "hat"] = "outside"
    bias_correction: bool = True


M = state(
    "m", "m", "m", "first moment: a moving average of gradients (momentum)", torch_state="exp_avg"
)
V = state(
    "v",
    "v",
    "v",
    "second moment: a moving average of squared gradients",
    torch_state="exp_avg_sq",
)
V_MAX = state(
    "v_max",
    "vmax",
    r"v^{\max}",
    "the largest second moment so far (amsgrad)",
    torch_state="max_exp_avg_sq",
)
M_HAT = value("m_hat", "m̂", r"\hat{m}", "bias-corrected first moment")
V_HAT = value("v_hat", "v̂", r"\hat{v}", "bias-corrected second moment")


def build(setup: Setup) -> Iterator[Step]:
    """Adam's update for one setup, in torch's order; see the module docstring."""
    switches: AdamSwitches = setup.switches
    decay = "decoupled" if setup.flag("decoupled_weight_decay") else switches.decay
    prologue, g = gradient_prologue(setup, l2=decay == "l2")
    yield from prologue
    yield Assign(M, ema(M.previous, g, s.BETA1))  # type: ignore[arg-type]
    yield Assign(V, ema_of_squares(V.previous, g, s.BETA2))  # type: ignore[arg-type]
    second: Expr = V.symbol
    if setup.flag("amsgrad"):
        yield Assign(V_MAX, maximum(V_MAX.previous, V.symbol))  # type: ignore[arg-type]
        second = V_MAX.symbol
    c1, c2 = bias_correction(s.BETA1), bias_correction(s.BETA2)
    m_used: Expr
    v_used: Expr
    if switches.bias_correction:
        yield Assign(M_HAT, M.symbol / c1)
        yield Assign(V_HAT, second / c2)
        m_used, v_used = M_HAT.symbol, V_HAT.symbol
    else:
        m_used, v_used = M.symbol, second
    decaying = setup.is_on("weight_decay") and decay != "l2"
    base = decoupled_base(setup, decay == "decoupled")

    if switches.eps == "hat":
        # Keras: ε̂ is added to √v, not √v̂, and the corrections fold into the step size.
        factor = sqrt(c2) / c1 if switches.bias_correction else 1.0
        direction = factor * M.symbol / (sqrt(second) + s.EPS)
        alpha = s.LR * c2**0.5 / c1 if switches.bias_correction else s.LR
        computed = base - (M.symbol * alpha) / (sqrt(second) + s.EPS)
    else:
        direction = m_used / stabilized_root(v_used, switches.eps)
        if switches.eps == "outside" and switches.bias_correction:
            # torch: θ + (−η/(1 − β₁ᵗ))·(m / (√v/√(1 − β₂ᵗ) + ε))
            computed = base + (-(s.LR / c1)) * (M.symbol / (sqrt(second) / c2**0.5 + s.EPS))
        else:
            computed = base - s.LR * direction

    if not decaying:
        update = s.LR * direction
    elif decay == "decoupled_unscaled":  # the AdamW paper, schedule multiplier 1
        update = s.LR * direction + s.WEIGHT_DECAY * s.THETA
        computed = s.THETA - (s.LR * direction + s.WEIGHT_DECAY * s.THETA)
    else:
        update = s.LR * (direction + s.WEIGHT_DECAY * s.THETA)
        if decay == "decoupled_in_update":  # optax: −η·(direction + λθ)
            computed = s.THETA + (-s.LR) * (direction + s.WEIGHT_DECAY * s.THETA)
    yield from finish(update, computed)


_TORCH_ORDER = "θ − (η/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε), algebraically η·m̂/(√v̂ + ε)"


def _conventions(adamw: bool) -> tuple[Convention, ...]:
    base = AdamSwitches(decay="decoupled" if adamw else "l2")
    # Options of torch's classes that the other conventions' sources do not have.
    torch_only = frozenset({"maximize"} if adamw else {"maximize", "decoupled_weight_decay"})
    torch_class = "AdamW" if adamw else "Adam"
    return (
        Convention(
            "pytorch",
            "PyTorch",
            f"torch.optim.{torch_class}, PyTorch 2.13 (_single_tensor_adam)",
            (
                "decoupled decay θ·(1 − ηλ) applied first (so scaled by η); "
                if adamw
                else "weight decay added to the gradient (L2); "
            )
            + f"ε outside the root; computed as {_TORCH_ORDER}",
            base,
        ),
        Convention(
            "paper",
            "AdamW paper" if adamw else "Adam paper",
            "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Algorithm 2"
            if adamw
            else "Kingma & Ba, Adam, ICLR 2015, Algorithm 1",
            (
                "θ − η·m̂/(√v̂ + ε) − λθ: the decay is multiplied only by the schedule factor "
                "(1 here), not by the learning rate"
                if adamw
                else "θ − η·m̂/(√v̂ + ε); weight decay, if any, as an L2 term in the loss"
            ),
            base.replace(decay="decoupled_unscaled" if adamw else "l2"),
            unsupported=torch_only,
        ),
        Convention(
            "optax",
            "optax",
            f"optax.{'adamw' if adamw else 'adam'} (scale_by_adam"
            + (" + add_decayed_weights + scale_by_learning_rate)" if adamw else ")"),
            "θ − η·(m̂/(√v̂ + ε) + λθ): the decay is added to the update, then scaled by η"
            if adamw
            else "θ − η·m̂/(√v̂ + ε), computed from m̂ and v̂ directly",
            base.replace(decay="decoupled_in_update" if adamw else "l2"),
            unsupported=torch_only | (frozenset() if adamw else frozenset({"weight_decay"})),
        ),
        Convention(
            "keras",
            "Keras",
            f"keras.optimizers.{torch_class}, Keras 3 (update_step; weight decay in "
            "Optimizer._apply_weight_decay)",
            "ε̂ form: θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε), so ε is not bias-corrected; "
            "weight decay θ·(1 − ηλ) applied first, for Adam too",
            base.replace(decay="decoupled", eps="hat"),
            unsupported=torch_only,
        ),
        Convention(
            "textbook",
            "textbook",
            "course notes and cheat sheets that leave out bias correction",
            "θ − η·m/(√v + ε): no bias correction, so for the same m and v the step is "
            "(1 − β₁ᵗ)/√(1 − β₂ᵗ) times the corrected one when ε is negligible (about 3.16 "
            "at t = 1 with the default betas, tending to 1 as t grows)",
            base.replace(bias_correction=False),
            unsupported=torch_only,
        ),
    )


def _hyperparameters(decay: Hyperparameter, adamw: bool) -> tuple[Hyperparameter, ...]:
    common = (
        lr(1e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v̂"),
        decay,
        flag("amsgrad", s.AMSGRAD, "use the largest second moment seen so far"),
        MAXIMIZE,
    )
    return common if adamw else (*common, DECOUPLED_WEIGHT_DECAY)


ADAM = OptimizerSpec(
    name="adam",
    title="Adam",
    summary="Momentum and per-coordinate scaling from bias-corrected moving averages.",
    reference="Kingma & Ba, ICLR 2015 (arXiv:1412.6980)",
    year=2014,
    hyperparameters=_hyperparameters(
        weight_decay(0.0, "L2 penalty added to the gradient"), adamw=False
    ),
    conventions=_conventions(adamw=False),
    build=build,
)

ADAMW = OptimizerSpec(
    name="adamw",
    title="AdamW",
    summary="Adam with weight decay applied to the weights directly (decoupled).",
    reference="Loshchilov & Hutter, ICLR 2019 (arXiv:1711.05101)",
    year=2017,
    hyperparameters=_hyperparameters(
        weight_decay(1e-2, "decoupled: the weights shrink by η·λ·θ each step"), adamw=True
    ),
    conventions=_conventions(adamw=True),
    build=build,
)

SPECS = (ADAM, ADAMW)
