"""Newton's method: step to the stationary point of the local quadratic model of the loss.

At θₜ₋₁ the loss is modelled by its second-order Taylor polynomial
``L(θₜ₋₁ + s) ≈ L(θₜ₋₁) + gₜᵀs + ½ sᵀHₜs``, with the gradient gₜ and the Hessian
Hₜ = ∇²L(θₜ₋₁). The model's gradient vanishes at ``s = −Hₜ⁻¹gₜ``; the method takes that step
(scaled by η), for t = 1, 2, …::

    gₜ = ∇L(θₜ₋₁),   Hₜ = ∇²L(θₜ₋₁)
    dₜ = (Hₜ + λ·I)⁻¹gₜ        the solution of (Hₜ + λ·I)·dₜ = gₜ (λ = 0: plain Newton)
    Δθₜ = η·dₜ
    θₜ = θₜ₋₁ − Δθₜ

The direction is found by solving the linear system (NumPy's ``linalg.solve``, an LU
factorisation), never by forming the inverse matrix. On a quadratic loss with a positive definite
Hessian one full step (η = 1, λ = 0) lands exactly on the minimizer.

Damping adds λ to every eigenvalue of the Hessian (Levenberg 1944, Marquardt 1963): a large λ
shortens the step and turns it towards the gradient direction, ``dₜ ≈ gₜ/λ``. The step is a
descent direction whenever Hₜ + λ·I is positive definite. When it is not, the model has no
minimum: the step goes to the model's saddle point or maximum, and may climb; `tutor` says so
with the eigenvalues. A singular matrix (or one whose condition number exceeds
:data:`tutor.engine.run.COND_LIMIT`) stops the run with an error that names the step and θ.

The Hessian comes from the objective (``Loss.hessian``, derived by SymPy); the engine reads it
as the input ``H`` of the step because a formula names it.

Reference: Newton's iteration for equations as published by Raphson (1690), applied to
∇L(θ) = 0; see Nocedal & Wright, Numerical Optimization, 2nd ed., Springer 2006, chapter 3.

One step on ``x² + 3y² + xy − x`` from (−1.2, 1.5), whose Hessian is [[2, 1], [1, 6]]
everywhere, lands on the minimizer (6/11, −1/11):

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(NEWTON.configure({}))
>>> theta = np.array([-1.2, 1.5])
>>> g = np.array([2 * theta[0] + theta[1] - 1, 6 * theta[1] + theta[0]])
>>> H = np.array([[2.0, 1.0], [1.0, 6.0]])
>>> values, _ = program.step(theta, g, program.init(theta), 1, inputs={"H": H})
>>> np.allclose(values["theta_next"], [6 / 11, -1 / 11], rtol=1e-12, atol=1e-12)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym, func
from tutor.engine.optimizers.common import UPDATE, finish, lr
from tutor.engine.spec import (
    NON_NEGATIVE,
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    value,
)

DAMPING = Sym("damping", "λ", r"\lambda")
IDENTITY = Sym("I", "I", "I")

DIRECTION = value(
    "direction",
    "d",
    "d",
    "Newton direction: the solution of (H + λI)·d = g, found by solving the linear system, "
    "not by inverting the matrix",
)


def damping(what: str) -> Hyperparameter:
    """λ added to the diagonal of the curvature matrix that is solved with."""
    return Hyperparameter(
        "damping",
        DAMPING,
        0.0,
        f"damping added to the diagonal of {what} (Levenberg–Marquardt): a larger λ gives a "
        "shorter step that turns towards the gradient",
        NON_NEGATIVE,
        "damping",  # torch.optim has no second-order optimizer: the name stands for itself
        also=("lambda", "lm", "levenberg", "marquardt"),
    )


def solve_damped(matrix: Expr, setup: Setup) -> Expr:
    """``(matrix + λ·I)⁻¹gₜ`` as a ``solve`` node (``matrix⁻¹gₜ`` while λ = 0)."""
    damped = matrix + DAMPING * IDENTITY if setup.is_on("damping") else matrix
    return func("solve", damped, s.G)


def build(setup: Setup) -> Iterator[Step]:
    """Newton's update; see the module docstring."""
    yield Assign(DIRECTION, solve_damped(s.HESSIAN, setup))
    yield from finish(s.LR * DIRECTION.symbol, s.THETA - UPDATE.symbol)


NEWTON = OptimizerSpec(
    name="newton",
    title="Newton's method",
    summary="Solves H·d = ∇L with the Hessian and steps to the stationary point of the local "
    "quadratic model.",
    reference="Raphson 1690 (Newton's iteration) applied to ∇L = 0; Nocedal & Wright, "
    "Numerical Optimization, 2nd ed. 2006, ch. 3",
    year=1690,
    hyperparameters=(
        dataclasses.replace(
            lr(1.0),
            description="step size: the fraction of the Newton step taken (1 goes all the way "
            "to the model's stationary point)",
        ),
        damping("the Hessian"),
    ),
    conventions=(
        Convention(
            "textbook",
            "textbook",
            "Nocedal & Wright, Numerical Optimization, 2nd ed. 2006, ch. 3 (torch.optim has no "
            "Newton optimizer)",
            "solve (H + λI)·d = ∇L for the direction and step θ − η·d; λ = 0 and η = 1 give the "
            "pure Newton step",
            NoSwitches(),
        ),
    ),
    build=build,
    scope="vector",
)

SPECS = (NEWTON,)
