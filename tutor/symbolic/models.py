"""Models whose likelihood is known: their loss, their data and their Fisher matrix.

A natural-gradient step needs the Fisher matrix of a probabilistic model, which a bare loss
expression does not have. Each :class:`Model` here is written once, in the project's loss
language (parsed by the same whitelist parser as user text): the negative log-likelihood ℓ of
one example, the names of its parameters and data, default inline data and a start, and the
expected outer product of one example's score, derived by hand. From it:

* the loss is the mean negative log-likelihood over the data, ``mean(ℓ)`` with the data as
  vectors (:func:`model_loss` compiles it; SymPy derives its gradient and Hessian as for any loss);
* the per-example score ∇ℓᵢ is SymPy's gradient of ℓ with the example's data put in (ℓ is
  compiled once with the data names as extra scalar inputs and evaluated for all examples at
  once);
* the **true Fisher** is the average over the examples of E[∇ℓᵢ∇ℓᵢᵀ], the expectation taken
  with the model's outcome drawn from the model itself: for logistic regression
  (1/n)·Σᵢ pᵢ(1 − pᵢ)·φᵢφᵢᵀ with pᵢ = sigmoid(w·xᵢ + b) and φᵢ = (xᵢ, 1), which is also the
  Hessian of the mean loss; for the normal distribution in (μ, s) coordinates, with σ² = eˢ,
  diag(1/σ², 1/2). ``tests/test_second_order.py`` checks each against the definition (an exact
  sum over the two labels; Gauss–Hermite quadrature over x);
* the **empirical Fisher** is the average of the observed examples' score outer products,
  (1/n)·Σᵢ ∇ℓᵢ∇ℓᵢᵀ.

>>> loss = model_loss("gaussian", "true", {"x": np.array([1.0, 3.0])})
>>> loss.fisher(np.array([0.0, 0.0])).tolist()
[[1.0, 0.0], [0.0, 0.5]]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from tutor.engine.optimizers.natural_gradient import FISHER_KINDS
from tutor.errors import TutorError
from tutor.symbolic.loss import Loss, compile_loss


@dataclass(frozen=True)
class Model:
    """A probabilistic model with a known likelihood.

    Attributes:
        name: the ``--model`` value.
        title: the display name.
        likelihood: the model in words and symbols, for the solution header.
        params: its parameters, in the order of θ.
        example_loss: ℓ, the negative log-likelihood of one example, in the loss language, in
            the parameters and the data names (scalars).
        data_names: the data each example holds.
        data: the default inline data, one tuple per data name.
        start: the default θ₀.
        expected_outer: E[∇ℓ∇ℓᵀ] for one example with its outcome drawn from the model, one
            formula per entry (row by row), in the loss language: the true Fisher is their mean
            over the examples.
        true_fisher_text: the true Fisher as ``(plain, tex)``, for the tables.
        check_data: raises TutorError for data the model cannot take.
    """

    name: str
    title: str
    likelihood: str
    params: tuple[str, ...]
    example_loss: str
    data_names: tuple[str, ...]
    data: Mapping[str, tuple[float, ...]]
    start: tuple[float, ...]
    expected_outer: tuple[tuple[str, ...], ...]
    true_fisher_text: tuple[str, str]
    check_data: Callable[[Mapping[str, np.ndarray]], None] = field(default=lambda data: None)

    @property
    def loss_text(self) -> str:
        """The mean negative log-likelihood over the data, in the loss language."""
        return f"mean({self.example_loss})"

    def fisher_formula(self, kind: str) -> tuple[str, str]:
        """The Fisher matrix of ``kind`` as a formula, ``(plain, tex)``."""
        if kind == "true":
            return self.true_fisher_text
        return (
            "(1/n)·Σᵢ ∇ℓᵢ ∇ℓᵢᵀ at the observed data",
            r"\frac{1}{n} \sum_i \nabla \ell_i \nabla \ell_i^\top"
            r"\ \text{at the observed data}",
        )


def _with_theta(theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows of (θ, one example's data): the inputs of the compiled per-example formulas."""
    return np.column_stack([np.broadcast_to(theta, (len(rows), theta.size)), rows])


def _check_labels(data: Mapping[str, np.ndarray]) -> None:
    bad = [v for v in data["y"] if v not in (0.0, 1.0)]
    if bad:
        raise TutorError(f"logistic regression's labels y must be 0 or 1, got {bad[0]:g}")


_P = "sigmoid(w*x + b)*(1 - sigmoid(w*x + b))"  # p(1 − p): the variance of the label

MODELS: Mapping[str, Model] = MappingProxyType(
    {
        "logistic": Model(
            name="logistic",
            title="logistic regression",
            likelihood="p(y = 1 | x) = sigmoid(w·x + b), one feature x and a label y of 0 or 1",
            params=("w", "b"),
            example_loss="softplus(w*x + b) - y*(w*x + b)",
            data_names=("x", "y"),
            data={"x": (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0), "y": (0.0, 0.0, 1.0, 0.0, 1.0, 1.0)},
            start=(0.5, -0.5),  # not 0: there every pᵢ is 1/2 and both Fisher matrices agree
            # The score is (p − y)·(x, 1) and E[(p − y)²] = p(1 − p) when y ∼ Bernoulli(p).
            expected_outer=((f"{_P}*x**2", f"{_P}*x"), (f"{_P}*x", _P)),
            true_fisher_text=(
                "(1/n)·Σᵢ pᵢ(1 − pᵢ)·φᵢφᵢᵀ, pᵢ = sigmoid(w·xᵢ + b), φᵢ = (xᵢ, 1)",
                r"\frac{1}{n} \sum_i p_i (1 - p_i)\, \phi_i \phi_i^\top,\ "
                r"p_i = \sigma(w x_i + b),\ \phi_i = (x_i, 1)",
            ),
            check_data=_check_labels,
        ),
        "gaussian": Model(
            name="gaussian",
            title="normal distribution",
            likelihood="each x is drawn from N(μ, σ²), with unknown mean mu = μ and "
            "log-variance s = log σ²",
            params=("mu", "s"),
            example_loss="log(2*pi)/2 + s/2 + (x - mu)**2/(2*exp(s))",
            data_names=("x",),
            data={"x": (2.0, 3.0, 3.0, 4.0, 5.0, 7.0)},
            start=(2.0, 1.0),
            # The score is (−(x − μ)/σ², 1/2 − (x − μ)²/(2σ²)); with x ∼ N(μ, σ²) the squares
            # have means 1/σ² and 1/2 (Var of z²/2 for a standard normal z) and the cross term
            # has mean 0 (odd moments vanish).
            expected_outer=(("exp(-s)", "0"), ("0", "1/2")),
            true_fisher_text=(
                "diag(1/σ², 1/2) = diag(e⁻ˢ, 1/2)",
                r"\operatorname{diag}\left(\frac{1}{\sigma^2}, \frac{1}{2}\right) = "
                r"\operatorname{diag}\left(e^{-s}, \frac{1}{2}\right)",
            ),
        ),
    }
)
"""The models, by ``--model`` name."""


@dataclass(frozen=True)
class ModelLoss(Loss):
    """A model's mean negative log-likelihood: a :class:`Loss` that also supplies the Fisher
    matrix (the engine's input ``F``) and the per-example scores.

    Attributes:
        model: the model.
        fisher_kind: ``true`` or ``empirical``: which matrix :meth:`fisher` returns.
        examples: the data, one row per example, columns in ``model.data_names`` order.
    """

    model: Model = field(kw_only=True, compare=False)
    fisher_kind: str = field(kw_only=True)
    examples: np.ndarray = field(kw_only=True, compare=False, repr=False)

    @property
    def example(self) -> Loss:
        """ℓ compiled with the data names as extra scalar inputs after the parameters."""
        return compile_loss(self.model.example_loss, [*self.params, *self.model.data_names])

    def scores(self, theta: np.ndarray) -> np.ndarray:
        """The per-example gradients ∇ℓᵢ at the observed data, ``(n, len(θ))``."""
        gradient = self.example.gradient(_with_theta(theta, self.examples))
        return np.asarray(gradient, dtype=np.float64)[:, : theta.size]

    def empirical_fisher(self, theta: np.ndarray) -> np.ndarray:
        """(1/n)·Σᵢ ∇ℓᵢ∇ℓᵢᵀ at the observed data."""
        scores = self.scores(theta)
        return scores.T @ scores / len(scores)

    def true_fisher(self, theta: np.ndarray) -> np.ndarray:
        """(1/n)·Σᵢ E[∇ℓᵢ∇ℓᵢᵀ] with the outcome drawn from the model at θ."""
        names = [*self.params, *self.model.data_names]
        full = _with_theta(theta, self.examples)

        def mean_of(entry: str) -> float:
            values = np.broadcast_to(compile_loss(entry, names).value(full), len(full))
            return float(np.mean(values))

        return np.array([[mean_of(e) for e in row] for row in self.model.expected_outer])

    def fisher(self, theta: np.ndarray) -> np.ndarray:
        """The Fisher matrix the natural gradient solves with, at θ (``fisher_kind``)."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.fisher_kind == "empirical":
            return self.empirical_fisher(theta)
        return self.true_fisher(theta)


def _model(name: str) -> Model:
    model = MODELS.get(name)
    if model is None:
        raise TutorError(f"unknown model {name!r} (known: {', '.join(MODELS)})")
    return model


def _data(model: Model, given: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    data = {name: np.array(values, dtype=np.float64) for name, values in model.data.items()}
    for name, values in (given or {}).items():
        if name not in model.data_names:
            known = " and ".join(model.data_names)
            raise TutorError(f"the {model.name} model reads data {known}, not {name!r}")
        array = np.asarray(values, dtype=np.float64)
        if array.ndim > 1:
            raise TutorError(f"data {name} of the {model.name} model must be a list of numbers")
        data[name] = array.reshape(-1)
    sizes = {name: len(values) for name, values in data.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise TutorError(
            f"the {model.name} model needs one value of each data per example: {listed}"
        )
    if not min(sizes.values()):
        raise TutorError(f"the {model.name} model needs at least one example")
    model.check_data(data)
    return data


def model_loss(
    name: str, fisher: str = "true", data: Mapping[str, np.ndarray] | None = None
) -> ModelLoss:
    """The mean negative log-likelihood of model ``name`` on ``data`` (each data name given
    replaces the model's default points), supplying the Fisher matrix of kind ``fisher``."""
    model = _model(name)
    if fisher not in FISHER_KINDS:
        raise TutorError(f"fisher must be {' or '.join(FISHER_KINDS)}, got {fisher!r}")
    arrays = _data(model, data)
    loss = compile_loss(model.loss_text, model.params, data=arrays)
    fields = {f.name: getattr(loss, f.name) for f in dataclasses.fields(Loss)}
    examples = np.column_stack([arrays[name] for name in model.data_names])
    return ModelLoss(**fields, model=model, fisher_kind=fisher, examples=examples)


def reads_model(spec: Any) -> bool:
    """Whether an optimizer's objective is a model with a known likelihood: it has a ``model``
    hyper-parameter (the natural gradient), which :func:`resolve_model` turns into the loss and
    its Fisher matrix."""
    return any(h.name == "model" for h in spec.hyperparameters)


def resolve_model(
    who: str,
    values: Mapping[str, Any],
    loss: str | None = None,
    params: Sequence[str] | None = None,
    data: Mapping[str, np.ndarray] | None = None,
) -> tuple[ModelLoss, tuple[float, ...]]:
    """The objective of an optimizer that reads a model's Fisher matrix, from its ``model`` and
    ``fisher`` hyper-parameters, and the model's start.

    ``loss`` and ``params`` may restate the model's own (an exercise file states its loss); any
    other loss is refused, since only a model's likelihood gives a Fisher matrix.

    Raises:
        TutorError: no model was named, or the loss or data do not fit the model.
    """
    name = values.get("model")
    if name is None:
        given = f"; the loss {loss.strip()!r} alone has none" if loss and loss.strip() else ""
        raise TutorError(
            f"{who} needs the Fisher matrix of a model whose likelihood is known: add "
            f"--model {' or --model '.join(MODELS)}{given}"
        )
    model = _model(name)
    if loss is not None and " ".join(loss.split()) != model.loss_text:
        raise TutorError(
            f"--model {model.name} defines the loss ({model.loss_text}); leave out --loss"
        )
    if params is not None and tuple(params) != model.params:
        raise TutorError(
            f"the {model.name} model's parameters are {', '.join(model.params)}; leave out --params"
        )
    return model_loss(model.name, values.get("fisher", "true"), data), model.start
