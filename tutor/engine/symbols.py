"""The symbols that optimizer formulas are written in, shared so that every table reads alike."""

from __future__ import annotations

from tutor.engine.formula import Sym

# Inputs of every step.
THETA = Sym("theta", "θₜ", r"\theta_t")
G = Sym("g", "gₜ", r"g_t")
T = Sym("t", "t", "t")

# Hyper-parameters (keys are torch.optim's argument names).
LR = Sym("lr", "η", r"\eta")
BETA1 = Sym("beta1", "β₁", r"\beta_1")
BETA2 = Sym("beta2", "β₂", r"\beta_2")
EPS = Sym("eps", "ε", r"\varepsilon")
WEIGHT_DECAY = Sym("weight_decay", "λ", r"\lambda")
MOMENTUM = Sym("momentum", "μ", r"\mu")
DAMPENING = Sym("dampening", "τ", r"\tau")
ALPHA = Sym("alpha", "α", r"\alpha")
LR_DECAY = Sym("lr_decay", "κ", r"\kappa")
INITIAL_ACCUMULATOR = Sym("initial_accumulator_value", "G₀", r"G_0")
NESTEROV = Sym("nesterov", "nesterov", r"\text{nesterov}")
CENTERED = Sym("centered", "centered", r"\text{centered}")
AMSGRAD = Sym("amsgrad", "amsgrad", r"\text{amsgrad}")


def state_symbols(key: str, text: str, tex: str) -> tuple[Sym, Sym]:
    """A state quantity at step t and its value from step t-1: ``(mₜ, mₜ₋₁)``."""
    return Sym(key, f"{text}ₜ", f"{tex}_t"), Sym(f"{key}_prev", f"{text}ₜ₋₁", f"{tex}_{{t-1}}")


# Quantities most optimizers share.
G_TILDE = Sym("g_decayed", "g̃ₜ", r"\tilde{g}_t")
UPDATE = Sym("update", "Δθₜ", r"\Delta\theta_t")
THETA_NEXT = Sym("theta_next", "θₜ₊₁", r"\theta_{t+1}")
