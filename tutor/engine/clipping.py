"""Gradient clipping, as a training loop applies it between ``backward()`` and ``step()``.

torch.nn.utils offers two rules, and a :class:`Clipping` is one of them:

* ``clip_grad_norm_(params, max_norm, norm_type)``: the total norm N = ‖gₜ‖ₚ of every gradient
  together (torch takes each tensor's p-norm, then the p-norm of those, which is the same number);
  the factor cₜ = max_norm/(N + 10⁻⁶), capped at 1; every gradient multiplied by cₜ. The 10⁻⁶ keeps
  the factor finite for a zero gradient, and makes a gradient exactly at max_norm shrink a little.
* ``clip_grad_value_(params, clip_value)``: every component clamped to [−clip_value, clip_value].

The optimizer then sees the clipped gradient ĝₜ wherever its formulas read gₜ, so L2 weight decay
(``weight_decay`` folded into the gradient) and ``maximize`` apply after clipping, as they do in
torch. :meth:`Clipping.apply` writes this into an optimizer's algorithm: the clipping lines come
first, and every later formula reads ĝₜ. The lines are formula trees like the optimizer's own, so
the tables print them and the engine computes them from the same trees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine.formula import Expr, Sym, clamp, func, minimum
from tutor.engine.spec import Algorithm, Assign, Quantity
from tutor.engine.symbols import G
from tutor.errors import HyperparameterError

NORM_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: max_norm / (total_norm + 1e-6)


MAX_NORM = Sym("max_norm", "M", "M")
NORM_TYPE = Sym("norm_type", "p", "p")
CLIP_VALUE = Sym("clip_value", "v", "v")
CLIPPED = Sym("g_clipped", "ĝₜ", r"\hat{g}_t")
TOTAL_NORM = Sym("grad_norm", "Nₜ", "N_t")
FACTOR = Sym("clip_coef", "cₜ", r"c_t")


def _norm_name(p: float) -> str:
    return "∞" if p == math.inf else f"{p:g}"


@dataclass(frozen=True)
class Clipping:
    """One clipping rule: by norm (``max_norm`` with ``norm_type``) or by value."""

    max_norm: float | None = None
    norm_type: float = 2.0
    clip_value: float | None = None

    def __post_init__(self) -> None:
        if (self.max_norm is None) == (self.clip_value is None):
            raise HyperparameterError("choose one clipping rule: --clip-norm or --clip-value")
        if self.max_norm is not None and not (math.isfinite(self.max_norm) and self.max_norm > 0):
            raise HyperparameterError(f"--clip-norm must be a number > 0, got {self.max_norm}")
        if not (self.norm_type > 0 or self.norm_type == math.inf) or math.isnan(self.norm_type):
            raise HyperparameterError(
                f"--norm-type must be a number > 0 or inf, got {self.norm_type}"
            )
        if self.clip_value is not None and not (
            math.isfinite(self.clip_value) and self.clip_value >= 0
        ):
            raise HyperparameterError(f"--clip-value must be a number >= 0, got {self.clip_value}")

    @property
    def by_norm(self) -> bool:
        return self.max_norm is not None

    @property
    def torch_call(self) -> str:
        """The torch call this rule is: ``torch.nn.utils.clip_grad_norm_(params, …)``."""
        if self.by_norm:
            return (
                f"torch.nn.utils.clip_grad_norm_(params, max_norm={self.max_norm:g}, "
                f"norm_type={self.norm_type:g})"
            )
        return f"torch.nn.utils.clip_grad_value_(params, clip_value={self.clip_value:g})"

    def constants(self) -> dict[str, Any]:
        """The values its formulas read, by symbol key."""
        if self.by_norm:
            return {"max_norm": np.float64(self.max_norm), "norm_type": np.float64(self.norm_type)}
        return {"clip_value": np.float64(self.clip_value)}

    def assigns(self) -> tuple[Assign, ...]:
        """The clipping lines, in torch's order."""
        if not self.by_norm:
            return (
                Assign(
                    Quantity(
                        "g_clipped",
                        CLIPPED,
                        "the gradient with each component clamped to [−v, v] (clip_grad_value_)",
                    ),
                    clamp(G, -CLIP_VALUE, CLIP_VALUE),
                ),
            )
        p = _norm_name(self.norm_type)
        return (
            Assign(
                Quantity(
                    "grad_norm",
                    TOTAL_NORM,
                    f"the gradient's total {p}-norm over every parameter (clip_grad_norm_ "
                    "returns it)",
                ),
                func("pnorm", G, NORM_TYPE),
            ),
            Assign(
                Quantity(
                    "clip_coef",
                    FACTOR,
                    "the factor the gradient is multiplied by: M/(norm + 10⁻⁶), at most 1",
                ),
                minimum(MAX_NORM / (TOTAL_NORM + NORM_EPS), 1.0),
            ),
            Assign(
                Quantity(
                    "g_clipped",
                    CLIPPED,
                    "the clipped gradient the optimizer uses (unchanged when cₜ = 1)",
                ),
                G * FACTOR,
            ),
        )

    def evaluate(self, g: Any) -> dict[str, Any]:
        """Every clipping value for one gradient ``g``, from the same formulas a run uses."""
        env: dict[str, Any] = {**self.constants(), "g": np.asarray(g, dtype=np.float64)}
        out: dict[str, Any] = {}
        with np.errstate(all="ignore"):
            for assign in self.assigns():
                out[assign.quantity.key] = env[assign.quantity.key] = assign.formula.evaluate(env)
        return out

    def apply(self, algorithm: Algorithm) -> Algorithm:
        """``algorithm`` reading the clipped gradient, with the clipping lines in front."""

        def clipped(_: str, formula: Expr) -> Expr:
            return formula.substitute({"g": CLIPPED})

        return Algorithm((*self.assigns(), *algorithm.transform(clipped).steps))
