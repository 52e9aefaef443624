"""Adam and AdamW: momentum plus per-coordinate scaling, with bias-corrected moving averages.

torch.optim.Adam / torch.optim.AdamW (the convention followed)::

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
"""

from __future__ import annotations

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym, maximum, sqrt
from tutor.engine.optimizers.common import (
    DECAYED_GRADIENT,
    THETA_NEXT,
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
    decoupled_decay,
    l2_gradient,
    lerp,
    moving_average_of_squares,
)
from tutor.engine.spec import Hyper, OptimizerSpec, Quantity, State

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


def _make_step(decoupled: bool):  # type: ignore[no-untyped-def]
    def step(
        theta: np.ndarray, g: np.ndarray, state: State, hp: Hyper, t: int
    ) -> tuple[dict[str, np.ndarray], State]:
        values: dict[str, np.ndarray] = {}
        lr, beta1, beta2 = hp["lr"], hp["beta1"], hp["beta2"]
        grad, decayed = g, theta
        if is_on(hp, "weight_decay"):
            if decoupled:
                decayed = decoupled_decay(theta, lr, hp["weight_decay"])
            else:
                grad = values["g_decayed"] = l2_gradient(g, theta, hp["weight_decay"])
        m = values["m"] = lerp(state["m"], grad, 1 - beta1)
        v = values["v"] = moving_average_of_squares(state["v"], grad, beta2)
        new_state: State = {"m": m, "v": v}
        correction1 = bias_correction(beta1, t)
        correction2 = bias_correction(beta2, t)
        second = v
        if hp["amsgrad"]:
            second = values["v_max"] = new_state["v_max"] = np.maximum(state["v_max"], v)
        values["m_hat"] = m / correction1
        values["v_hat"] = second / correction2
        step_size = lr / correction1
        sqrt_correction2 = correction2**0.5
        denom = np.sqrt(second) / sqrt_correction2 + hp["eps"]
        theta_next = decayed + (-step_size) * (m / denom)
        values["update"] = theta - theta_next
        values["theta_next"] = theta_next
        return values, new_state

    return step


def _adaptive_step() -> Expr:
    return M_HAT / (sqrt(V_HAT) + s.EPS)


def _quantities(decoupled: bool) -> tuple[Quantity, ...]:
    def update_formula(hp: Hyper, t: int) -> Expr:
        if decoupled and is_on(hp, "weight_decay"):
            return s.LR * (_adaptive_step() + s.WEIGHT_DECAY * s.THETA)
        return s.LR * _adaptive_step()

    def gradient(hp: Hyper) -> Expr:
        return s.G if decoupled else gradient_used(hp)

    def v_hat_formula(hp: Hyper, t: int) -> Expr:
        return (V_MAX if hp["amsgrad"] else V) / (1 - s.BETA2**s.T)

    decay = () if decoupled else (DECAYED_GRADIENT,)
    return (
        *decay,
        Quantity(
            "m",
            M,
            lambda hp, t: s.BETA1 * M_PREV + (1 - s.BETA1) * gradient(hp),
            "first moment: moving average of gradients (momentum)",
            torch_state="exp_avg",
        ),
        Quantity(
            "v",
            V,
            lambda hp, t: s.BETA2 * V_PREV + (1 - s.BETA2) * gradient(hp) ** 2,
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
        ),
        Quantity("v_hat", V_HAT, v_hat_formula, "bias-corrected second moment"),
        update(update_formula, "step subtracted from the parameters"),
        THETA_NEXT,
    )


_COMMON_CONVENTION = "ε is added after the square root of v̂; both moments are bias-corrected"

ADAM = OptimizerSpec(
    name="adam",
    title="Adam",
    summary="Momentum and per-coordinate scaling from bias-corrected moving averages.",
    reference="Kingma & Ba, ICLR 2015 (arXiv:1412.6980)",
    convention=f"PyTorch (torch.optim.Adam): weight decay is added to the gradient (L2); "
    f"{_COMMON_CONVENTION}",
    hyperparameters=(
        lr(1e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v̂"),
        weight_decay(0.0, "L2 penalty added to the gradient"),
        flag("amsgrad", s.AMSGRAD, "use the largest second moment seen so far"),
    ),
    quantities=_quantities(decoupled=False),
    init=_init,
    step=_make_step(decoupled=False),
)

ADAMW = OptimizerSpec(
    name="adamw",
    title="AdamW",
    summary="Adam with weight decay applied to the weights directly (decoupled).",
    reference="Loshchilov & Hutter, ICLR 2019 (arXiv:1711.05101)",
    convention=f"PyTorch (torch.optim.AdamW): decoupled decay θ·(1 − ηλ) is applied before "
    f"the Adam step, so it is multiplied by the learning rate; {_COMMON_CONVENTION}",
    hyperparameters=(
        lr(1e-3),
        beta(1, 0.9, "the first moment (momentum)"),
        beta(2, 0.999, "the second moment"),
        eps(1e-8, "to the root of v̂"),
        weight_decay(1e-2, "decoupled: the weights shrink by η·λ·θ each step"),
        flag("amsgrad", s.AMSGRAD, "use the largest second moment seen so far"),
    ),
    quantities=_quantities(decoupled=True),
    init=_init,
    step=_make_step(decoupled=True),
)
