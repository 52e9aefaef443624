"""Natural gradient descent: the gradient measured against the Fisher matrix of the model.

For a loss that is the mean negative log-likelihood of a probabilistic model, the Fisher
matrix F(θ) is the expected outer product of the score ∇log p: it measures how much the model's
predictive distribution changes when θ moves (to second order, the KL divergence between the
models at θ and θ + s is ½ sᵀFs). The natural gradient step is the steepest descent step under
that measure, for t = 1, 2, …::

    gₜ = ∇L(θₜ₋₁),   Fₜ = F(θₜ₋₁)
    dₜ = (Fₜ + λ·I)⁻¹gₜ        the solution of (Fₜ + λ·I)·dₜ = gₜ (λ = 0: no damping)
    Δθₜ = η·dₜ
    θₜ = θₜ₋₁ − Δθₜ

As for Newton's method, the direction comes from solving the linear system, never from an
inverse. The Fisher matrix is supplied by the objective (the input ``F``), which is built from a
model whose likelihood is known (:mod:`tutor.symbolic.models`): ``model`` names it and ``fisher``
says which matrix it supplies:

* ``true``: the expectation of the score's outer product with the outcome drawn from the model
  itself (Amari's Fisher information);
* ``empirical``: the average of the per-example score's outer product at the observed data, a
  cheaper matrix that is not the Fisher information in general.

The engine reads only F; ``model`` and ``fisher`` choose the objective, so a loss without a known
likelihood has no natural gradient. For logistic regression the true Fisher equals the Hessian of
the mean loss, so with η = 1 the step is a Newton step; the tables measure the difference.

Reference: Amari, "Natural Gradient Works Efficiently in Learning", Neural Computation 10(2),
1998.

One step with a Fisher matrix of diag(4, 0.5) scales each coordinate of the gradient by its
inverse:

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> program = Program(NATURAL_GRADIENT.configure({"model": "gaussian"}))
>>> theta, g = np.array([0.0, 0.0]), np.array([2.0, 1.0])
>>> values, _ = program.step(theta, g, program.init(theta), 1, inputs={"F": np.diag([4.0, 0.5])})
>>> values["direction"].tolist(), values["theta_next"].tolist()
([0.5, 2.0], [-0.5, -2.0])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from tutor.engine import symbols as s
from tutor.engine.formula import Sym
from tutor.engine.optimizers.common import UPDATE, finish, lr
from tutor.engine.optimizers.newton import damping, solve_damped
from tutor.engine.spec import (
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Setup,
    Step,
    value,
)

FISHER = Sym("F", "Fₜ", r"F_t")
MODEL = Sym("model", "model", r"\text{model}")
FISHER_KIND = Sym("fisher", "fisher", r"\text{fisher}")

MODELS = ("logistic", "gaussian")
"""The models whose likelihood `tutor` knows (:mod:`tutor.symbolic.models` defines them)."""
FISHER_KINDS = ("true", "empirical")
"""Which Fisher matrix the objective supplies: the expectation under the model, or the average
over the observed examples."""

DIRECTION = value(
    "direction",
    "d",
    "d",
    "natural-gradient direction: the solution of (F + λI)·d = g, the gradient measured in how "
    "much the model's predictions change",
)


def build(setup: Setup) -> Iterator[Step]:
    """The natural gradient update; see the module docstring."""
    yield Assign(DIRECTION, solve_damped(FISHER, setup))
    yield from finish(s.LR * DIRECTION.symbol, s.THETA - UPDATE.symbol)


NATURAL_GRADIENT = OptimizerSpec(
    name="natural-gradient",
    title="Natural gradient",
    summary="Solves F·d = ∇L with the Fisher matrix of a model's likelihood: steepest descent "
    "measured by the change in the model's predictions.",
    reference="Amari, Natural Gradient Works Efficiently in Learning, Neural Computation 10(2), "
    "1998",
    year=1998,
    hyperparameters=(
        dataclasses.replace(
            lr(1.0),
            description="step size: the fraction of the natural-gradient step taken",
        ),
        damping("the Fisher matrix"),
        Hyperparameter(
            "model",
            MODEL,
            None,
            "the model whose mean negative log-likelihood is the loss (its Fisher matrix is "
            "known): logistic regression or a normal distribution's mean and log-variance",
            torch_name="model",
            choices=(None, *MODELS),
        ),
        Hyperparameter(
            "fisher",
            FISHER_KIND,
            "true",
            "which matrix F is: the true Fisher (outcomes drawn from the model) or the "
            "empirical Fisher (the observed data's scores)",
            torch_name="fisher",
            choices=FISHER_KINDS,
        ),
    ),
    conventions=(
        Convention(
            "paper",
            "Amari 1998",
            "Amari, Neural Computation 10(2), 1998 (torch.optim has no natural gradient optimizer)",
            "solve (F + λI)·d = ∇L with the Fisher matrix F of the model's likelihood and step "
            "θ − η·d",
            NoSwitches(),
        ),
    ),
    build=build,
    scope="vector",
)

SPECS = (NATURAL_GRADIENT,)
