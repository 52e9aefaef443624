"""Adam and AdamW: momentum plus per-coordinate scaling, with bias-corrected moving averages.

torch.optim.Adam / torch.optim.AdamW (the default convention)::

    Adam:  g̃ₜ = gₜ + λθₜ          AdamW:  θₜ ← θₜ·(1 − ηλ)   (decoupled decay, applied first)
    mₜ = β₁·mₜ₋₁ + (1 − β₁)·g̃ₜ
    vₜ = β₂·vₜ₋₁ + (1 − β₂)·g̃ₜ²
    v̂maxₜ = max(vmaxₜ₋₁, vₜ)                      (amsgrad only)
    m̂ₜ = mₜ / (1 − β₁ᵗ),   v̂ₜ = vₜ / (1 − β₂ᵗ)
    θₜ₊₁ = θₜ − η·m̂ₜ / (√v̂ₜ + ε)                  (AdamW also subtracts ηλθₜ)

torch evaluates the last line as ``θ − (η / (1 − β₁ᵗ))·mₜ / (√vₜ / √(1 − β₂ᵗ) + ε)``: the same
number algebraically but not bit for bit, so the engine computes it in that order and reports
m̂ and v̂ beside it. In AdamW the decay is multiplied by the learning rate (as in PyTorch and
optax); the AdamW paper multiplies it only by the schedule factor.

References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019; amsgrad: Reddi, Kale &
Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.

The worked example: one AdamW step from θ₀ = 2 on (θ − 1)² with η = 0.1.

>>> import numpy as np
>>> hp = ADAMW.resolve({"lr": 0.1})
>>> theta = np.array([2.0])
>>> values, _ = ADAMW.step(theta, np.array([2.0]), ADAMW.init(theta, hp), hp, 1)
>>> [round(float(values[k][0]), 9) for k in ("m", "v", "m_hat", "v_hat", "update", "theta_next")]
[0.2, 0.004, 2.0, 4.0, 0.102, 1.898]

The other conventions are switches of the same step: ``decay`` (``l2``, ``decoupled``,
``decoupled_in_update`` for optax, ``decoupled_unscaled`` for the paper), ``epsilon_form``
(``outside``, or Keras's ``hat``: ε added to √v, not √v̂) and ``bias_correction`` (off in the
textbook form). Under the paper's rule the worked example ends at 1.88, not 1.898:

>>> [c.name for c in ADAMW.conventions]
['pytorch', 'paper', 'optax', 'keras', 'textbook']
>>> hp = ADAMW.resolve({"lr": 0.1}, "paper")
>>> values, _ = ADAMW.step(theta, np.array([2.0]), ADAMW.init(theta, hp), hp, 1)
>>> round(float(values["theta_next"][0]), 9)
1.88
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym, maximum, sqrt
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT_L2,
    THETA_NEXT,
    apply_weight_decay,
    beta,
    eps,
    flag,
    gradient_used,
    is_on,
    lr,
    update,
    weight_decay,
)
from tutor.engine.primitives import (
    bias_correction,
    lerp,
    moving_average_of_squares,
)
from tutor.engine.spec import Convention, Hyper, Hyperparameter, OptimizerSpec, Quantity, State

M, M_PREV = s.state_symbols("m", "m", "m")
V, V_PREV = s.state_symbols("v", "v", "v")
V_MAX, V_MAX_PREV = s.state_symbols("v_max", "vmax", r"v^{\max}")
M_HAT = Sym("m_hat", "m̂ₜ", r"\hat{m}_t")
V_HAT = Sym("v_hat", "v̂ₜ", r"\hat{v}_t")


def _init(theta: np.ndarray, hp: Hyper) -> State:
    state: State = {
        "m": np.zeros_like(theta, dtype=np.float64),
        "v": np.zeros_like(theta, dtype=np.float64),
    }
    if hp["amsgrad"]:
        state["v_max"] = np.zeros_like(theta, dtype=np.float64)
    return state


def _step(
    theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
) -> tuple[dict[str, np.ndarray], State]:
    values: dict[str, np.ndarray] = {}
    lr, beta1, beta2, decay = hp["lr"], hp["beta1"], hp["beta2"], hp["decay"]
    decaying = is_on(hp, "weight_decay")
    grad, base = apply_weight_decay(theta, g, hp, values)
    m = values["m"] = lerp(state["m"], grad, 1 - beta1)
    v = values["v"] = moving_average_of_squares(state["v"], grad, beta2)
    new_state: State = {"m": m, "v": v}
    second = v
    if hp["amsgrad"]:
        second = values["v_max"] = new_state["v_max"] = np.maximum(state["v_max"], v)
    if hp["bias_correction"]:
        correction1, correction2 = bias_correction(beta1, t), bias_correction(beta2, t)
        m_hat = values["m_hat"] = m / correction1
        v_hat = values["v_hat"] = second / correction2
    else:
        correction1 = correction2 = 1.0
        m_hat, v_hat = m, second
    if hp["epsilon_form"] == "hat":
        # Keras: ε̂ is added to √v, not to √v̂, and the corrections fold into the step size.
        alpha = lr * correction2**0.5 / correction1
        theta_next = base - (m * alpha) / (np.sqrt(second) + hp["eps"])
    elif decaying and decay in ("decoupled_in_update", "decoupled_unscaled"):
        direction = m_hat / (np.sqrt(v_hat) + hp["eps"])
        if decay == "decoupled_in_update":  # optax: −η·(direction + λθ)
            theta_next = theta + (-lr) * (direction + hp["weight_decay"] * theta)
        else:  # the AdamW paper with schedule multiplier 1: the decay is not scaled by η
            theta_next = theta - (lr * direction + hp["weight_decay"] * theta)
    else:  # torch's order: θ − (η / c₁)·m / (√v / √c₂ + ε)
        denom = np.sqrt(second) / correction2**0.5 + hp["eps"]
        theta_next = base + (-(lr / correction1)) * (m / denom)
    values["update"] = theta - theta_next
    values["theta_next"] = theta_next
    return values, new_state


def _gradient(hp: Hyper) -> Expr:
    return gradient_used(hp) if hp["decay"] == "l2" else s.G


def _second_moment(hp: Hyper) -> Expr:
    return V_MAX if hp["amsgrad"] else V


def _direction(hp: Hyper) -> Expr:
    """The adaptive direction whose η-multiple is the step, as this convention writes it."""
    if hp["epsilon_form"] == "hat":
        correction = sqrt(1 - s.BETA2**s.T) / (1 - s.BETA1**s.T)
        return correction * M / (sqrt(_second_moment(hp)) + s.EPS)
    if hp["bias_correction"]:
        return M_HAT / (sqrt(V_HAT) + s.EPS)
    return M / (sqrt(_second_moment(hp)) + s.EPS)


def _update(hp: Hyper, t: int) -> Expr:
    decay = hp["decay"]
    if not is_on(hp, "weight_decay") or decay == "l2":
        return s.LR * _direction(hp)
    if decay == "decoupled_unscaled":
        return s.LR * _direction(hp) + s.WEIGHT_DECAY * s.THETA
    return s.LR * (_direction(hp) + s.WEIGHT_DECAY * s.THETA)


def _corrected(hp: Hyper) -> bool:
    return bool(hp["bias_correction"])


QUANTITIES = (
    DECAYED_GRADIENT_L2,
    Quantity(
        "m",
        M,
        lambda hp, t: s.BETA1 * M_PREV + (1 - s.BETA1) * _gradient(hp),
        "first moment: moving average of gradients (momentum)",
        torch_state="exp_avg",
    ),
    Quantity(
        "v",
        V,
        lambda hp, t: s.BETA2 * V_PREV + (1 - s.BETA2) * _gradient(hp) ** 2,
        "second moment: moving average of squared gradients",
        torch_state="exp_avg_sq",
    ),
    Quantity(
        "v_max",
        V_MAX,
        lambda hp, t: maximum(V_MAX_PREV, V),
        "largest second moment so far (amsgrad)",
        torch_state="max_exp_avg_sq",
        when=lambda hp: bool(hp["amsgrad"]),
    ),
    Quantity(
        "m_hat",
        M_HAT,
        lambda hp, t: M / (1 - s.BETA1**s.T),
        "bias-corrected first moment",
        when=_corrected,
    ),
    Quantity(
        "v_hat",
        V_HAT,
        lambda hp, t: _second_moment(hp) / (1 - s.BETA2**s.T),
        "bias-corrected second moment",
        when=_corrected,
    ),
    update(_update, "step subtracted from the parameters"),
    THETA_NEXT,
)

_TORCH_ORDER = "θ − (η/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε), algebraically η·m̂/(√v̂ + ε)"


def _conventions(adamw: bool) -> tuple[Convention, ...]:
    torch_decay = "decoupled" if adamw else "l2"
    base = {"decay": torch_decay, "epsilon_form": "outside", "bias_correction": True}
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
            {**base, "decay": "decoupled_unscaled" if adamw else "l2"},
        ),
        Convention(
            "optax",
            "optax",
            f"optax.{'adamw' if adamw else 'adam'} (scale_by_adam"
            + (" + add_decayed_weights + scale_by_learning_rate)" if adamw else ")"),
            "θ − η·(m̂/(√v̂ + ε) + λθ): the decay is added to the update, then scaled by η"
            if adamw
            else "θ − η·m̂/(√v̂ + ε), computed from m̂ and v̂ directly",
            {**base, "decay": "decoupled_in_update" if adamw else "l2"},
            unsupported=frozenset() if adamw else frozenset({"weight_decay"}),
        ),
        Convention(
            "keras",
            "Keras",
            f"keras.optimizers.{torch_class}, Keras 3 (update_step; weight decay in "
            "Optimizer._apply_weight_decay)",
            "ε̂ form: θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε), so ε is not bias-corrected; "
            "weight decay θ·(1 − ηλ) applied first, for Adam too",
            {**base, "decay": "decoupled", "epsilon_form": "hat"},
        ),
        Convention(
            "textbook",
            "textbook",
            "the seeds' cheat sheet (Adam without bias correction)",
            "θ − η·m/(√v + ε): no bias correction, so early steps are about 1 − β₁ times too small",
            {**base, "bias_correction": False},
        ),
    )


def _hyperparameters(decay: Hyperparameter) -> tuple[Hyperparameter, ...]:
    return (
        lr(1e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v̂"),
        decay,
        flag("amsgrad", s.AMSGRAD, "use the largest second moment seen so far"),
    )


ADAM = OptimizerSpec(
    name="adam",
    title="Adam",
    summary="Momentum and per-coordinate scaling from bias-corrected moving averages.",
    reference="Kingma & Ba, ICLR 2015 (arXiv:1412.6980)",
    conventions=_conventions(adamw=False),
    hyperparameters=_hyperparameters(weight_decay(0.0, "L2 penalty added to the gradient")),
    quantities=QUANTITIES,
    init=_init,
    step=_step,
)

ADAMW = OptimizerSpec(
    name="adamw",
    title="AdamW",
    summary="Adam with weight decay applied to the weights directly (decoupled).",
    reference="Loshchilov & Hutter, ICLR 2019 (arXiv:1711.05101)",
    conventions=_conventions(adamw=True),
    hyperparameters=_hyperparameters(
        weight_decay(1e-2, "decoupled: the weights shrink by η·λ·θ each step")
    ),
    quantities=QUANTITIES,
    init=_init,
    step=_step,
)
