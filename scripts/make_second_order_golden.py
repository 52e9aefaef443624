"""Write tests/golden/newton.json and tests/golden/natural-gradient.json with torch's autograd.

torch.optim has neither Newton's method nor the natural gradient, so these reference runs follow
the textbook updates, computed with torch in float64 and nothing of `tutor`:

* Newton: the gradient and the Hessian from ``torch.func.grad`` and ``torch.func.hessian`` of the
  loss written here as torch code, the direction from ``torch.linalg.solve(H + λI, g)``, and
  ``θ − η·d``;
* natural gradient: the loss is a model's mean negative log-likelihood; the per-example scores
  come from ``torch.func.grad`` of one example's negative log-likelihood, and the Fisher matrix
  from its definition: the **true** Fisher averages the score's outer product over the model's
  own outcomes (both labels, weighted by their probabilities, for logistic regression; a
  10-point Gauss–Hermite rule over x for the normal distribution), the **empirical** Fisher over
  the observed examples. No closed form of either matrix is used.

``tests/test_second_order.py`` replays every case through the engine, without torch. The
defaults recorded under ``torch_defaults`` are `tutor`'s own (torch has no such optimizers),
stated here so that a change of default is a visible change of the reference.

Run with torch installed::

    python scripts/make_second_order_golden.py
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import torch
    from torch.func import grad, hessian
except ImportError:
    sys.exit("make_second_order_golden.py needs torch (pip install torch); the tests do not")

from make_golden import write_golden

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"
FORMAT_VERSION = 1
DEFAULTS = {
    "newton": {"lr": 1.0, "damping": 0.0},
    "natural-gradient": {"lr": 1.0, "damping": 0.0, "model": None, "fisher": "true"},
}

Tensors = Mapping[str, torch.Tensor]

# --- Losses for Newton: the text the engine parses, parameter names and shapes, and torch code.


def _quadratic(v: Tensors) -> torch.Tensor:
    return (v["theta"] - 1) ** 2


def _rosenbrock(v: Tensors) -> torch.Tensor:
    return (1 - v["x"]) ** 2 + 100 * (v["y"] - v["x"] ** 2) ** 2


def _himmelblau(v: Tensors) -> torch.Tensor:
    return (v["x"] ** 2 + v["y"] - 11) ** 2 + (v["x"] + v["y"] ** 2 - 7) ** 2


def _booth(v: Tensors) -> torch.Tensor:
    return (v["x"] + 2 * v["y"] - 7) ** 2 + (2 * v["x"] + v["y"] - 5) ** 2


RIDGE_X, RIDGE_Y = [0.5, -1.0, 2.0], [1.0, -0.5]


def _ridge(v: Tensors) -> torch.Tensor:
    x, y = torch.tensor(RIDGE_X, dtype=torch.float64), torch.tensor(RIDGE_Y, dtype=torch.float64)
    fit = torch.sum((v["W"] @ x + v["b"] - y) ** 2)
    return fit + 0.1 * torch.sum((v["W"] - 0.5) ** 2)


LOSSES: dict[str, tuple[str, tuple[tuple[str, tuple[int, ...]], ...], Callable[..., Any]]] = {
    "quadratic": ("(theta - 1)**2", (("theta", ()),), _quadratic),
    "rosenbrock": ("(1 - x)**2 + 100*(y - x**2)**2", (("x", ()), ("y", ())), _rosenbrock),
    "himmelblau": ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (("x", ()), ("y", ())), _himmelblau),
    "booth": ("(x + 2*y - 7)**2 + (2*x + y - 5)**2", (("x", ()), ("y", ())), _booth),
    "ridge": (
        "sum((W @ x + b - y)**2) + 0.1*sum((W - 0.5)**2)",
        (("W", (2, 3)), ("b", (2,))),
        _ridge,
    ),
}
DATA = {"ridge": {"x": RIDGE_X, "y": RIDGE_Y}}

# Every option set off its default in some case; an indefinite Hessian (Himmelblau at the
# origin), damping that makes it positive definite, and matrix parameters (a ridge regression).
NEWTON_CASES: list[tuple[str, dict[str, float], str, list[float], int]] = [
    ("defaults", {}, "quadratic", [2.0], 1),
    ("defaults", {}, "booth", [0.0, 0.0], 2),
    ("defaults", {}, "rosenbrock", [-1.5, 2.0], 4),
    ("defaults", {}, "himmelblau", [0.0, 0.0], 3),
    ("damping", {"damping": 50.0}, "himmelblau", [0.0, 0.0], 4),
    ("lr-damping", {"lr": 0.5, "damping": 1.0}, "rosenbrock", [-1.5, 2.0], 5),
    ("lr", {"lr": 0.7}, "ridge", [0.3, -0.7, 0.9, 0.4, 1.5, -0.6, 0.8, -1.1], 3),
]

# --- Models for the natural gradient: one example's negative log-likelihood in torch, the
# outcome the model draws, and the engine's loss text (tutor/symbolic/models.py).

LOGISTIC_TEXT = "mean(softplus(w*x + b) - y*(w*x + b))"
GAUSSIAN_TEXT = "mean(log(2*pi)/2 + s/2 + (x - mu)**2/(2*exp(s)))"


def _logistic_nll(theta: torch.Tensor, example: torch.Tensor) -> torch.Tensor:
    w, b = theta
    x, y = example
    z = w * x + b
    return torch.nn.functional.softplus(z) - y * z


def _gaussian_nll(theta: torch.Tensor, example: torch.Tensor) -> torch.Tensor:
    mu, s = theta
    (x,) = example
    return math.log(2 * math.pi) / 2 + s / 2 + (x - mu) ** 2 / (2 * torch.exp(s))


def _logistic_outcomes(theta: torch.Tensor, example: torch.Tensor) -> list[tuple[Any, float]]:
    """Both labels with the model's probabilities."""
    w, b = theta
    p = float(torch.sigmoid(w * example[0] + b))
    x = example[0]
    return [
        (torch.stack([x, torch.tensor(label, dtype=torch.float64)]), weight)
        for label, weight in ((0.0, 1 - p), (1.0, p))
    ]


NODES, WEIGHTS = np.polynomial.hermite.hermgauss(10)


def _gaussian_outcomes(theta: torch.Tensor, example: torch.Tensor) -> list[tuple[Any, float]]:
    """x ∼ N(μ, eˢ) by Gauss–Hermite quadrature: x = μ + √(2eˢ)·zₖ with weights wₖ/√π."""
    mu, s = (float(v) for v in theta)
    scale = math.sqrt(2 * math.exp(s))
    return [
        (torch.tensor([mu + scale * z], dtype=torch.float64), w / math.sqrt(math.pi))
        for z, w in zip(NODES, WEIGHTS, strict=True)
    ]


MODELS: dict[str, dict[str, Any]] = {
    "logistic": {
        "text": LOGISTIC_TEXT,
        "params": ["w", "b"],
        "nll": _logistic_nll,
        "outcomes": _logistic_outcomes,
        "data": {"x": [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], "y": [0.0, 0.0, 1.0, 0.0, 1.0, 1.0]},
    },
    "gaussian": {
        "text": GAUSSIAN_TEXT,
        "params": ["mu", "s"],
        "nll": _gaussian_nll,
        "outcomes": _gaussian_outcomes,
        "data": {"x": [2.0, 3.0, 3.0, 4.0, 5.0, 7.0]},
    },
}

NATURAL_CASES: list[tuple[str, dict[str, Any], list[float], int, dict[str, list[float]] | None]] = [
    ("logistic-true", {"model": "logistic"}, [0.5, -0.5], 4, None),
    ("logistic-empirical", {"model": "logistic", "fisher": "empirical"}, [0.5, -0.5], 4, None),
    (
        "logistic-lr-damping",
        {"model": "logistic", "lr": 0.5, "damping": 0.1},
        [0.0, 0.0],
        3,
        {"x": [-1.0, 0.0, 2.0], "y": [0.0, 1.0, 1.0]},
    ),
    ("gaussian-true", {"model": "gaussian"}, [2.0, 1.0], 4, None),
    ("gaussian-empirical", {"model": "gaussian", "fisher": "empirical"}, [2.0, 0.0], 3, None),
    (
        "gaussian-damping",
        {"model": "gaussian", "fisher": "empirical", "damping": 0.5, "lr": 0.8},
        [1.0, 0.5],
        3,
        {"x": [1.0, 2.0, 6.0]},
    ),
]

# --- Running ------------------------------------------------------------------------------------


def _flat(value: torch.Tensor) -> list[float]:
    return [float(v) for v in value.detach().reshape(-1)]


def _matrix(value: torch.Tensor) -> list[list[float]]:
    return [[float(v) for v in row] for row in value.detach()]


def _preconditioned_run(
    loss: Any, matrix: Any, start: list[float], steps: int, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Steps θ − lr·d with (M(θ) + damping·I)·d = ∇L(θ): Newton's (M = H) or the natural
    gradient's (M = F), each step's values recorded."""
    theta = torch.tensor(start, dtype=torch.float64)
    trajectory = []
    for t in range(1, steps + 1):
        g = grad(loss)(theta)
        M = matrix(theta)
        direction = torch.linalg.solve(
            M + values["damping"] * torch.eye(len(theta), dtype=torch.float64), g
        )
        theta_next = theta - values["lr"] * direction
        trajectory.append(
            {
                "t": t,
                "theta": _flat(theta),
                "loss": float(loss(theta)),
                "grad": _flat(g),
                "matrix": _matrix(M),
                "direction": _flat(direction),
                "theta_next": _flat(theta_next),
            }
        )
        theta = theta_next
    return trajectory


def _newton_case(row: tuple[str, dict[str, float], str, list[float], int]) -> dict[str, Any]:
    variant, hyper, loss_name, start, steps = row
    text, params, function = LOSSES[loss_name]
    sizes = [math.prod(shape) for _, shape in params]

    def loss(theta: torch.Tensor) -> torch.Tensor:
        parts = torch.split(theta, sizes)
        values = {
            name: part.reshape(shape) for (name, shape), part in zip(params, parts, strict=True)
        }
        return function(values)

    values = {**DEFAULTS["newton"], **hyper}
    trajectory = _preconditioned_run(loss, hessian(loss), start, steps, values)
    return {
        "name": f"newton-{variant}-{loss_name}",
        "optimizer": "newton",
        "variant": variant,
        "loss": text,
        "loss_name": loss_name,
        "params": [name for name, _ in params],
        "shapes": {name: list(shape) for name, shape in params if shape},
        "data": DATA.get(loss_name, {}),
        "start": start,
        "steps": steps,
        "hyperparameters": hyper,
        "trajectory": trajectory,
    }


def _natural_case(
    row: tuple[str, dict[str, Any], list[float], int, dict[str, list[float]] | None],
) -> dict[str, Any]:
    variant, hyper, start, steps, given = row
    values = {**DEFAULTS["natural-gradient"], **hyper}
    model = MODELS[values["model"]]
    data = given or model["data"]
    examples = torch.tensor(list(zip(*data.values(), strict=True)), dtype=torch.float64)
    nll, outcomes = model["nll"], model["outcomes"]

    def loss(theta: torch.Tensor) -> torch.Tensor:
        return torch.stack([nll(theta, example) for example in examples]).mean()

    def fisher(theta: torch.Tensor) -> torch.Tensor:
        total = torch.zeros((len(theta), len(theta)), dtype=torch.float64)
        for example in examples:
            if values["fisher"] == "empirical":
                score = grad(nll)(theta, example)
                total += torch.outer(score, score)
            else:
                for outcome, weight in outcomes(theta, example):
                    score = grad(nll)(theta, outcome)
                    total += weight * torch.outer(score, score)
        return total / len(examples)

    trajectory = _preconditioned_run(loss, fisher, start, steps, values)
    return {
        "name": f"natural-gradient-{variant}",
        "optimizer": "natural-gradient",
        "variant": variant,
        "loss": model["text"],
        "loss_name": values["model"],
        "params": model["params"],
        "shapes": {},
        "data": data,
        "start": start,
        "steps": steps,
        "hyperparameters": hyper,
        "trajectory": trajectory,
    }


def _write(name: str, cases: Sequence[dict[str, Any]]) -> None:
    document = {
        "format_version": FORMAT_VERSION,
        "generated_by": "scripts/make_second_order_golden.py",
        "torch_version": torch.__version__,
        "torch_defaults": {name: DEFAULTS[name]},
        "cases": list(cases),
    }
    write_golden(GOLDEN / f"{name}.json", document, f"{len(cases)} cases")


def main() -> None:
    torch.set_default_dtype(torch.float64)
    _write("newton", [_newton_case(row) for row in NEWTON_CASES])
    _write("natural-gradient", [_natural_case(row) for row in NATURAL_CASES])


if __name__ == "__main__":
    main()
