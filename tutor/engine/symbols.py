"""The symbols optimizer formulas are written in, shared so that every table reads alike.

Step numbering follows torch.optim's documentation and the Adam paper: step ``t = 1`` takes θ₀
to θ₁, so within step t the parameters start as θₜ₋₁, the gradient is gₜ = ∇L(θₜ₋₁), and the
step ends at θₜ.
"""

from __future__ import annotations

from tutor.engine.formula import Sym

# Inputs of every step.
THETA = Sym("theta", "θₜ₋₁", r"\theta_{t-1}")
G = Sym("g", "gₜ", r"g_t")
T = Sym("t", "t", "t")
LOSS = Sym("loss", "L(θₜ₋₁)", r"L(\theta_{t-1})")
HESSIAN = Sym("H", "Hₜ", r"H_t")

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
MOMENTUM_DECAY = Sym("momentum_decay", "ψ", r"\psi")
NESTEROV = Sym("nesterov", "nesterov", r"\text{nesterov}")
CENTERED = Sym("centered", "centered", r"\text{centered}")
AMSGRAD = Sym("amsgrad", "amsgrad", r"\text{amsgrad}")
MAXIMIZE = Sym("maximize", "maximize", r"\text{maximize}")
DECOUPLED = Sym("decoupled_weight_decay", "decoupled", r"\text{decoupled}")

# Results every optimizer has.
UPDATE = Sym("update", "Δθₜ", r"\Delta\theta_t")
THETA_NEXT = Sym("theta_next", "θₜ", r"\theta_t")
