"""Write tests/golden/torch_trajectories.json: reference trajectories recorded from torch.optim.

Every case of the table below is run with ``torch.optim`` in float64 (single-tensor code path,
``foreach=False``), and each step's parameters before the step, the gradient, the parameters
after the step and every state tensor torch keeps (``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq``, ``momentum_buffer``, ``square_avg``, ``grad_avg``, ``sum``, ``acc_delta``,
``prev``, ``step_size``, ``ax``, and the per-tensor numbers ``mu_product``, ``eta`` and ``mu``)
are written out as exact floats. torch has no Lion, so Lion cases follow the paper's rule (Chen
et al. 2023, Algorithm 2) written here with torch tensor operations.

``tests/test_golden.py`` replays every case through `tutor`'s engine, without torch. This script
deliberately does not import `tutor`: it is an independent reference.

Run (only torch and the standard library are needed; the output is byte-for-byte stable)::

    python scripts/make_golden.py

Losses are written once as text and evaluated in torch by a small whitelist evaluator over
Python's ``ast`` (parameter names, numbers, ``+ - * / **``, unary minus and the functions
exp, log, sin, cos, tanh, sqrt); nothing is ever passed to ``eval``.

Before writing, every case is checked to be well conditioned: a second run whose parameters are
nudged by a relative 1e-13 after every step (imitating rounding errors) must stay within a
relative 1e-11 of the first, so float64 rounding differences between torch and the engine cannot
grow anywhere near the test's 1e-12 tolerance (for Rprop, whose steps follow the sign of each
gradient coordinate, this also finds a sign that a rounding error could flip); and a Lion step's
interpolation ``u`` must never be so close to 0 that its sign is a coin toss. The script stops
with a message naming the case otherwise. It prints each case with its measured amplification.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import torch
except ImportError:
    sys.exit("make_golden.py needs torch (pip install torch); the test suite itself does not")

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "torch_trajectories.json"
FORMAT_VERSION = 1

# --------------------------------------------------------------------------------------------
# Losses: text, parameter names (in the order of the parameter vector).

LOSSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "quadratic": ("(theta - 1)**2", ("theta",)),
    "bowl": ("x**2 + 10*y**2", ("x", "y")),
    "rosenbrock": ("(1 - x)**2 + 100*(y - x**2)**2", ("x", "y")),
    "himmelblau": ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", ("x", "y")),
    "logistic": ("log(1 + exp(-w)) + 0.1*w**2", ("w",)),
    "wavy": ("sqrt(1 + x**2) + 0.5*y**2 + 0.3*sin(x)*cos(y) + 0.1*tanh(x*y)", ("x", "y")),
    "linear": ("sum((W @ x - y)**2)", ("W",)),
    "affine": ("sum((W @ x + b - y)**2) + 0.1*sum(W**2)", ("W", "b")),
}

# Shaped parameters (one torch tensor each, as in a model) and data, for the losses that have
# them; every other loss has scalar parameters held in one tensor.
SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "linear": {"W": (2, 3)},
    "affine": {"W": (2, 3), "b": (2,)},
}
DATA: dict[str, dict[str, list[float]]] = {
    "linear": {"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0]},
    "affine": {"x": [0.5, -1.0, 2.0], "y": [1.0, -0.5]},
}

# --------------------------------------------------------------------------------------------
# Cases: (optimizer, variant, torch hyper-parameters in torch's spelling, loss, start, steps).
# Our hyper-parameters are derived from torch's by splitting its pairs (see SPLIT below).
# Every option of every optimizer is set to a non-default value in at least one case.

CASES: list[tuple[str, str, dict[str, Any], str, list[float], int]] = [
    # SGD: d = g (+ wd·θ); momentum buffer b₁ = g, bₜ = μb + (1 − τ)g; Nesterov g + μb.
    ("sgd", "plain", {"lr": 0.1}, "quadratic", [2.0], 20),
    ("sgd", "plain", {"lr": 0.005}, "himmelblau", [0.0, 0.0], 15),
    ("sgd", "momentum", {"lr": 0.01, "momentum": 0.9}, "bowl", [3.0, 1.0], 12),
    ("sgd", "momentum", {"lr": 2e-5, "momentum": 0.5}, "rosenbrock", [-1.2, 1.8], 30),
    ("sgd", "dampening", {"lr": 0.02, "momentum": 0.9, "dampening": 0.5}, "bowl", [3.0, 1.0], 12),
    (
        "sgd",
        "nesterov",
        {"lr": 0.002, "momentum": 0.9, "nesterov": True},
        "himmelblau",
        [0.0, 0.0],
        12,
    ),
    ("sgd", "nesterov", {"lr": 0.1, "momentum": 0.5, "nesterov": True}, "logistic", [0.0], 15),
    ("sgd", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, "quadratic", [0.3], 20),
    (
        "sgd",
        "all",
        {"lr": 0.01, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05},
        "wavy",
        [1.5, 1.2],
        20,
    ),
    (
        "sgd",
        "nesterov-weight_decay",
        {"lr": 0.005, "momentum": 0.7, "nesterov": True, "weight_decay": 0.2},
        "bowl",
        [3.0, 1.0],
        15,
    ),
    # Adagrad: G = G + g², θ −= η/(1 + (t − 1)κ) · g/(√G + ε).
    ("adagrad", "defaults", {}, "quadratic", [2.0], 20),
    ("adagrad", "plain", {"lr": 0.3}, "himmelblau", [0.0, 0.0], 25),
    ("adagrad", "lr_decay", {"lr": 0.5, "lr_decay": 0.1}, "bowl", [3.0, 1.0], 20),
    ("adagrad", "weight_decay", {"lr": 0.01, "weight_decay": 0.01}, "rosenbrock", [-1.2, 1.8], 30),
    (
        "adagrad",
        "initial_accumulator_value",
        {"lr": 0.3, "initial_accumulator_value": 0.5},
        "logistic",
        [0.0],
        20,
    ),
    ("adagrad", "eps", {"lr": 0.2, "eps": 0.1}, "quadratic", [2.0], 20),
    (
        "adagrad",
        "all",
        {
            "lr": 0.3,
            "lr_decay": 0.05,
            "weight_decay": 0.01,
            "initial_accumulator_value": 0.1,
            "eps": 1e-6,
        },
        "wavy",
        [1.5, 1.2],
        12,
    ),
    # RMSprop: v = αv + (1 − α)g², centered ḡ, momentum buffer of g/(√v + ε).
    ("rmsprop", "defaults", {}, "quadratic", [2.0], 30),
    ("rmsprop", "plain", {"lr": 0.001}, "rosenbrock", [-1.2, 1.8], 30),
    ("rmsprop", "centered", {"lr": 0.01, "centered": True}, "bowl", [3.0, 1.0], 30),
    ("rmsprop", "momentum", {"lr": 0.001, "momentum": 0.9}, "himmelblau", [0.0, 0.0], 30),
    ("rmsprop", "weight_decay", {"lr": 0.01, "weight_decay": 0.1}, "logistic", [0.0], 30),
    (
        "rmsprop",
        "centered-momentum-weight_decay",
        {"lr": 1e-4, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
        "rosenbrock",
        [-1.2, 1.8],
        30,
    ),
    ("rmsprop", "alpha", {"lr": 0.01, "alpha": 0.9}, "bowl", [3.0, 1.0], 25),
    ("rmsprop", "eps", {"lr": 0.03, "eps": 0.1}, "quadratic", [2.0], 20),
    (
        "rmsprop",
        "all",
        {
            "lr": 0.005,
            "alpha": 0.95,
            "eps": 1e-6,
            "weight_decay": 0.05,
            "momentum": 0.3,
            "centered": True,
        },
        "wavy",
        [1.5, 1.2],
        25,
    ),
    # Adam: L2 decay folded into g; bias-corrected moments; amsgrad keeps the largest v.
    ("adam", "defaults", {}, "quadratic", [2.0], 20),
    ("adam", "plain", {"lr": 0.001}, "rosenbrock", [-1.2, 1.8], 40),
    ("adam", "weight_decay", {"lr": 0.05, "weight_decay": 0.1}, "bowl", [3.0, 2.0], 30),
    ("adam", "amsgrad", {"lr": 0.05, "amsgrad": True}, "himmelblau", [0.0, 0.0], 30),
    (
        "adam",
        "amsgrad-weight_decay",
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.05},
        "logistic",
        [0.0],
        30,
    ),
    ("adam", "eps", {"lr": 0.05, "eps": 0.1}, "quadratic", [2.0], 20),
    ("adam", "betas", {"lr": 0.05, "betas": (0.8, 0.99)}, "bowl", [3.0, 1.0], 25),
    (
        "adam",
        "all",
        {"lr": 0.02, "betas": (0.85, 0.995), "eps": 1e-6, "weight_decay": 0.01, "amsgrad": True},
        "wavy",
        [1.5, 1.2],
        30,
    ),
    # AdamW: decoupled decay θ·(1 − ηλ) first (default λ = 0.01), then the Adam step.
    ("adamw", "worked-example", {"lr": 0.1}, "quadratic", [2.0], 1),
    ("adamw", "defaults", {"lr": 0.1}, "himmelblau", [0.0, 0.0], 25),
    ("adamw", "weight_decay", {"lr": 0.05, "weight_decay": 0.1}, "bowl", [3.0, 2.0], 30),
    ("adamw", "no_decay", {"lr": 0.1, "weight_decay": 0.0}, "quadratic", [2.0], 10),
    ("adamw", "amsgrad", {"lr": 0.001, "amsgrad": True}, "rosenbrock", [-1.2, 1.8], 40),
    ("adamw", "betas-eps", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-4}, "logistic", [0.0], 20),
    (
        "adamw",
        "all",
        {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.2, "amsgrad": True},
        "wavy",
        [1.5, 1.2],
        30,
    ),
    # maximize: torch negates the gradient first.
    ("sgd", "maximize", {"lr": 0.05, "momentum": 0.5, "maximize": True}, "quadratic", [2.0], 10),
    (
        "adagrad",
        "maximize",
        {"lr": 0.1, "maximize": True, "weight_decay": 0.1},
        "bowl",
        [3.0, 1.0],
        10,
    ),
    (
        "rmsprop",
        "maximize",
        {"lr": 0.01, "maximize": True, "centered": True},
        "quadratic",
        [2.0],
        10,
    ),
    ("adam", "maximize", {"lr": 0.05, "maximize": True}, "logistic", [0.5], 10),
    ("adamw", "maximize", {"lr": 0.05, "maximize": True}, "bowl", [3.0, 1.0], 10),
    # Adam with decoupled_weight_decay=True is AdamW.
    (
        "adam",
        "decoupled_weight_decay",
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        "himmelblau",
        [0.0, 0.0],
        20,
    ),
    # Matrix parameters: one tensor per parameter, as in a model.
    ("adam", "matrix", {"lr": 0.01}, "linear", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 10),
    (
        "adamw",
        "matrix",
        {"lr": 0.02, "weight_decay": 0.1},
        "affine",
        [0.3, -0.7, 0.9, 0.4, 1.5, -0.6, 0.8, -1.1],
        12,
    ),
    (
        "adamw",
        "matrix-amsgrad",
        {"lr": 0.01, "amsgrad": True},
        "linear",
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        8,
    ),
    (
        "sgd",
        "matrix",
        {"lr": 0.01, "momentum": 0.9},
        "affine",
        [0.3, -0.7, 0.9, 0.4, 1.5, -0.6, 0.8, -1.1],
        12,
    ),
    # NAdam: momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)), Nesterov look-ahead, Π = ∏μ.
    ("nadam", "defaults", {}, "quadratic", [2.0], 20),
    ("nadam", "plain", {"lr": 0.05}, "himmelblau", [0.0, 0.0], 25),
    ("nadam", "momentum_decay", {"lr": 0.05, "momentum_decay": 0.1}, "bowl", [3.0, 1.0], 20),
    ("nadam", "weight_decay", {"lr": 0.02, "weight_decay": 0.1}, "logistic", [0.0], 20),
    (
        "nadam",
        "decoupled_weight_decay",
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        "bowl",
        [3.0, 1.0],
        20,
    ),
    ("nadam", "betas-eps", {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-4}, "wavy", [1.5, 1.2], 20),
    ("nadam", "maximize", {"lr": 0.02, "maximize": True}, "quadratic", [2.0], 10),
    (
        "nadam",
        "all",
        {
            "lr": 0.01,
            "betas": (0.85, 0.995),
            "eps": 1e-6,
            "weight_decay": 0.05,
            "momentum_decay": 0.01,
            "decoupled_weight_decay": True,
        },
        "wavy",
        [1.5, 1.2],
        25,
    ),
    # RAdam: momentum steps while ρₜ ≤ 5, then the rectified adaptive step.
    ("radam", "defaults", {}, "quadratic", [2.0], 20),
    ("radam", "plain", {"lr": 0.0125}, "himmelblau", [0.0, 0.0], 25),
    ("radam", "betas", {"lr": 0.05, "betas": (0.8, 0.9)}, "bowl", [3.0, 1.0], 25),
    ("radam", "weight_decay", {"lr": 0.02, "weight_decay": 0.1}, "logistic", [0.0], 20),
    (
        "radam",
        "decoupled_weight_decay",
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        "bowl",
        [3.0, 1.0],
        20,
    ),
    ("radam", "eps", {"lr": 0.05, "eps": 0.1}, "quadratic", [2.0], 15),
    ("radam", "maximize", {"lr": 0.02, "maximize": True}, "quadratic", [2.0], 10),
    (
        "radam",
        "all",
        {
            "lr": 0.01,
            "betas": (0.85, 0.95),
            "eps": 1e-6,
            "weight_decay": 0.05,
            "decoupled_weight_decay": True,
        },
        "wavy",
        [1.5, 1.2],
        25,
    ),
    # Adamax: u = max(β₂u, |g| + ε), θ −= η/(1 − β₁ᵗ)·m/u.
    ("adamax", "defaults", {}, "quadratic", [2.0], 20),
    ("adamax", "plain", {"lr": 0.05}, "himmelblau", [0.0, 0.0], 25),
    ("adamax", "betas", {"lr": 0.05, "betas": (0.8, 0.99)}, "bowl", [3.0, 1.0], 20),
    ("adamax", "weight_decay", {"lr": 0.02, "weight_decay": 0.1}, "logistic", [0.0], 20),
    ("adamax", "eps", {"lr": 0.05, "eps": 0.1}, "quadratic", [2.0], 15),
    ("adamax", "maximize", {"lr": 0.02, "maximize": True}, "quadratic", [2.0], 10),
    (
        "adamax",
        "all",
        {"lr": 0.01, "betas": (0.85, 0.995), "eps": 1e-6, "weight_decay": 0.05},
        "wavy",
        [1.5, 1.2],
        25,
    ),
    # Lion (paper's Algorithm 2): u = β₁m + (1 − β₁)g; θ −= η(sign u + λθ); m = β₂m + (1 − β₂)g.
    ("lion", "defaults", {}, "quadratic", [2.0], 20),
    ("lion", "plain", {"lr": 0.02}, "bowl", [3.0, 1.0], 30),
    ("lion", "weight_decay", {"lr": 0.05, "weight_decay": 0.1}, "himmelblau", [0.0, 0.0], 25),
    ("lion", "betas", {"lr": 0.01, "betas": (0.95, 0.98)}, "rosenbrock", [-1.2, 3.0], 20),
    ("lion", "all", {"lr": 0.03, "betas": (0.8, 0.95), "weight_decay": 0.1}, "logistic", [0.0], 20),
    # Adadelta: v = ρv + (1 − ρ)g²; δ = √(u + ε)/√(v + ε)·g; u = ρu + (1 − ρ)δ²; θ −= ηδ.
    ("adadelta", "defaults", {}, "quadratic", [2.0], 20),
    ("adadelta", "plain", {"lr": 5.0}, "himmelblau", [0.0, 0.0], 25),
    ("adadelta", "rho", {"lr": 2.0, "rho": 0.5}, "bowl", [3.0, 1.0], 20),
    ("adadelta", "eps", {"eps": 1e-3}, "bowl", [3.0, 1.0], 20),
    ("adadelta", "weight_decay", {"lr": 3.0, "weight_decay": 0.1}, "logistic", [0.0], 20),
    ("adadelta", "maximize", {"lr": 2.0, "maximize": True}, "quadratic", [2.0], 10),
    (
        "adadelta",
        "all",
        {"lr": 3.0, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05, "maximize": True},
        "wavy",
        [1.5, 1.2],
        25,
    ),
    ("adadelta", "matrix", {"lr": 2.0}, "linear", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 10),
    # Rprop: per-coordinate step sizes ×η⁺ while sign(g·prev) > 0, ×η⁻ (and g := 0) when < 0,
    # clamped to step_sizes; θ −= step_size·sign(g).
    ("rprop", "defaults", {}, "quadratic", [3.0], 25),
    ("rprop", "plain", {"lr": 0.1}, "himmelblau", [0.0, 0.0], 15),
    ("rprop", "etas", {"lr": 0.05, "etas": (0.3, 1.5)}, "himmelblau", [0.0, 0.0], 15),
    (
        "rprop",
        "step_sizes",
        {"lr": 0.1, "step_sizes": (0.05, 0.3)},
        "himmelblau",
        [0.0, 0.0],
        25,
    ),
    ("rprop", "maximize", {"lr": 0.05, "maximize": True}, "quadratic", [2.0], 10),
    (
        "rprop",
        "all",
        {"lr": 0.05, "etas": (0.4, 1.3), "step_sizes": (0.01, 0.2)},
        "himmelblau",
        [0.0, 0.0],
        20,
    ),
    ("rprop", "matrix", {"lr": 0.05}, "linear", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 12),
    # ASGD: θ ← θ(1 − λ·η) − η·g with η = lr/(1 + λ·lr·t)^α from the step before; ax copies θ
    # until μ = 1/max(1, t − t0) drops below 1, then averages.
    ("asgd", "defaults", {}, "quadratic", [2.0], 20),
    ("asgd", "plain", {"lr": 0.005}, "himmelblau", [0.0, 0.0], 15),
    ("asgd", "lambd", {"lr": 0.03, "lambd": 0.5}, "bowl", [3.0, 1.0], 20),
    ("asgd", "alpha", {"lr": 0.05, "lambd": 0.2, "alpha": 2.0}, "quadratic", [2.0], 20),
    ("asgd", "t0", {"lr": 0.05, "t0": 5.0}, "logistic", [0.0], 20),
    ("asgd", "weight_decay", {"lr": 0.02, "weight_decay": 0.1, "t0": 3.0}, "wavy", [1.5, 1.2], 20),
    ("asgd", "maximize", {"lr": 0.02, "maximize": True, "t0": 2.0}, "quadratic", [2.0], 10),
    (
        "asgd",
        "all",
        {"lr": 0.02, "lambd": 0.01, "alpha": 0.5, "t0": 4.0, "weight_decay": 0.05},
        "wavy",
        [1.5, 1.2],
        25,
    ),
]

# --------------------------------------------------------------------------------------------
# The loss evaluator: a whitelist over Python's ast, never eval().

_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "exp": torch.exp,
    "log": torch.log,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "sqrt": torch.sqrt,
    "sum": torch.sum,
    "mean": torch.mean,
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.MatMult: lambda a, b: a @ b,
}


def evaluate(text: str, names: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The loss ``text`` with each parameter name bound to a tensor; refuses anything else."""

    def visit(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](visit(node.left), visit(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return _FUNCTIONS[node.func.id](torch.as_tensor(visit(node.args[0])))
        raise ValueError(f"loss {text!r}: {ast.dump(node)} is not allowed")

    result = visit(ast.parse(text, mode="eval"))
    return torch.as_tensor(result)


# --------------------------------------------------------------------------------------------
# Optimizers.

TORCH_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adamax": torch.optim.Adamax,
    "adadelta": torch.optim.Adadelta,
    "rprop": torch.optim.Rprop,
    "asgd": torch.optim.ASGD,
}
# Arguments that choose an implementation, not the algorithm.
_IMPLEMENTATION = {"params", "foreach", "fused", "differentiable", "capturable"}
LION_DEFAULTS: dict[str, Any] = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}


class Lion:
    """Lion as in Chen et al. 2023, Algorithm 2 (torch.optim has no Lion); state ``exp_avg``."""

    def __init__(self, params: Sequence[torch.Tensor], **hyper: Any) -> None:
        unknown = set(hyper) - set(LION_DEFAULTS)
        if unknown:
            raise TypeError(f"Lion has no hyper-parameter(s) {sorted(unknown)}")
        self.params = list(params)
        self.hyper = {**LION_DEFAULTS, **hyper}
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}
        self.smallest_u_ratio = math.inf

    @torch.no_grad()
    def step(self) -> None:
        lr, wd = self.hyper["lr"], self.hyper["weight_decay"]
        beta1, beta2 = self.hyper["betas"]
        for param in self.params:
            g = param.grad
            state = self.state.setdefault(param, {"exp_avg": torch.zeros_like(param)})
            m = state["exp_avg"]
            u = beta1 * m + (1 - beta1) * g
            scale = torch.maximum(m.abs(), g.abs())
            ratio = torch.where(scale > 0, u.abs() / scale, math.inf)  # m = g = 0: u is 0 exactly
            self.smallest_u_ratio = min(self.smallest_u_ratio, float(ratio.min()))
            param.sub_(lr * (torch.sign(u) + wd * param))
            m.copy_(beta2 * m + (1 - beta2) * g)

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None


def torch_defaults() -> dict[str, dict[str, Any]]:
    """Each optimizer's algorithmic defaults as torch declares them (Lion: the paper's)."""
    table: dict[str, dict[str, Any]] = {"lion": _jsonable(LION_DEFAULTS)}
    for name, cls in TORCH_OPTIMIZERS.items():
        parameters = inspect.signature(cls).parameters.items()
        table[name] = _jsonable(
            {key: p.default for key, p in parameters if key not in _IMPLEMENTATION}
        )
    return table


def _jsonable(hyper: Mapping[str, Any]) -> dict[str, Any]:
    """The hyper-parameters as JSON holds them: tuples (``betas``) become lists."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in hyper.items()}


# torch's pairs, split into one hyper-parameter each (their torch_name is e.g. ``etas[0]``).
SPLIT: dict[str, tuple[str, str]] = {
    "betas": ("beta1", "beta2"),
    "etas": ("etaminus", "etaplus"),
    "step_sizes": ("step_size_min", "step_size_max"),
}


def our_hyperparameters(torch_hyper: Mapping[str, Any]) -> dict[str, Any]:
    """torch's spelling to `tutor`'s: each pair of :data:`SPLIT` (``betas``) becomes two
    hyper-parameters (``beta1`` and ``beta2``)."""
    ours: dict[str, Any] = {}
    for key, value in torch_hyper.items():
        if key in SPLIT:
            first, second = SPLIT[key]
            ours[first], ours[second] = value
        else:
            ours[key] = value
    return ours


def make_optimizer(name: str, params: list[torch.Tensor], hyper: Mapping[str, Any]) -> Any:
    if name == "lion":
        return Lion(params, **hyper)
    return TORCH_OPTIMIZERS[name](params, foreach=False, **hyper)


def _tensors(
    loss_name: str, start: Sequence[float]
) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """The parameter tensors for a start of one of :data:`LOSSES`, and the names it reads."""
    _, names = LOSSES[loss_name]
    return bind_tensors(names, SHAPES.get(loss_name), DATA.get(loss_name, {}), start)


def bind_tensors(
    names: Sequence[str],
    shapes: Mapping[str, tuple[int, ...]] | None,
    data: Mapping[str, list[float]],
    start: Sequence[float],
) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """The parameter tensors for a start, and the names the loss reads (parameters and data).

    Scalar parameters share one tensor (the engine's flat θ); shaped ones get a tensor each, as
    the layers of a model do, filled row-major from ``start``.
    """
    if shapes is None:
        param = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
        return [param], {name: param[i] for i, name in enumerate(names)}
    tensors, bound, offset = [], {}, 0
    for name in names:
        shape = shapes[name]
        size = math.prod(shape)
        values = list(start[offset : offset + size])
        offset += size
        tensor = torch.tensor(values, dtype=torch.float64).reshape(shape).requires_grad_(True)
        tensors.append(tensor)
        bound[name] = tensor
    for name, values in data.items():
        bound[name] = torch.tensor(values, dtype=torch.float64)
    return tensors, bound


def unique_names(cases: Sequence[Mapping[str, Any]], what: str = "case") -> None:
    """Stop if two cases share a name (a golden file's cases are looked up by name)."""
    names = [case["name"] for case in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        sys.exit(f"duplicate {what} names: {', '.join(duplicates)}")


def write_golden(path: Path, document: Mapping[str, Any], what: str) -> None:
    """Write a golden file as the tests read it (sorted keys, one space of indentation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {what} to {path}")


def _flat(tensors: Sequence[torch.Tensor]) -> list[float]:
    return torch.cat([t.detach().reshape(-1) for t in tensors]).tolist()


def run(
    optimizer: str,
    hyper: Mapping[str, Any],
    loss_name: str,
    start: Sequence[float],
    steps: int,
    wobble: float = 0.0,
) -> tuple[list[dict[str, Any]], float]:
    """Run one case; return its step records and Lion's smallest |u|/max(|m|, |g|) (else inf).

    Every vector in a record is flat, in the parameters' order (row-major within a tensor).
    ``wobble`` > 0 multiplies the parameters by ``1 ± wobble`` after every step (signs
    alternating by coordinate and step), imitating rounding errors, to measure conditioning.
    """
    text, _ = LOSSES[loss_name]
    tensors, bound = _tensors(loss_name, start)
    opt = make_optimizer(optimizer, tensors, hyper)
    records = []
    for t in range(1, steps + 1):
        theta = _flat(tensors)
        value = evaluate(text, bound)
        value.backward()
        grad = _flat([p.grad for p in tensors])
        opt.step()
        keys = [key for key in opt.state[tensors[0]] if key != "step"]
        state = {key: _flat([opt.state[p][key] for p in tensors]) for key in keys}
        for key, values in state.items():
            if len(tensors) == 1 and opt.state[tensors[0]][key].dim() == 0:
                state[key] = values[0]  # a per-tensor scalar (NAdam's mu_product, ASGD's eta)
        records.append(
            {
                "t": t,
                "theta": theta,
                "grad": grad,
                "theta_next": _flat(tensors),
                "state": state,
            }
        )
        opt.zero_grad()
        if wobble:
            with torch.no_grad():
                index = 0
                for p in tensors:
                    flat = p.view(-1)
                    for j in range(flat.numel()):
                        flat[j] *= 1 + wobble * (-1.0) ** (index + t)
                        index += 1
    ratio = opt.smallest_u_ratio if isinstance(opt, Lion) else math.inf
    return records, ratio


WOBBLE = 1e-13
MAX_DRIFT = 1e-11  # rounding errors amplified at most 100 times


def _drift(a: Any, b: Any) -> float:
    """Largest relative difference between two nested records of floats."""
    if isinstance(a, dict):
        return max((_drift(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list):
        return max((_drift(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    if isinstance(a, float) and a != b:
        return abs(a - b) / max(abs(a), abs(b))
    return 0.0


def build_case(row: tuple[str, str, dict[str, Any], str, list[float], int]) -> dict[str, Any]:
    optimizer, variant, hyper, loss_name, start, steps = row
    text, params = LOSSES[loss_name]
    name = f"{optimizer}-{variant}-{loss_name}"
    shapes = SHAPES.get(loss_name, {})
    size = sum(math.prod(shapes.get(p, ())) for p in params)
    if len(start) != size:
        sys.exit(f"{name}: start has {len(start)} values for {size} parameter entries")
    records, u_ratio = run(optimizer, hyper, loss_name, start, steps)
    wobbled, _ = run(optimizer, hyper, loss_name, start, steps, wobble=WOBBLE)
    drift = _drift(records, wobbled)
    if drift > MAX_DRIFT:
        sys.exit(
            f"{name}: ill-conditioned (relative errors of {WOBBLE:g} per step grew to "
            f"{drift:.3g}); change its learning rate, start or steps"
        )
    if u_ratio < 1e-6:
        sys.exit(f"{name}: Lion's u came within {u_ratio:.3g} of 0 (its sign is fragile)")
    print(f"{name:45} steps {steps:2}  amplification {drift / WOBBLE:8.2f}")
    return {
        "name": name,
        "optimizer": optimizer,
        "variant": variant,
        "torch_hyperparameters": _jsonable(hyper),
        "hyperparameters": our_hyperparameters(hyper),
        "loss": text,
        "loss_name": loss_name,
        "params": list(params),
        "shapes": {p: list(shape) for p, shape in shapes.items()},
        "data": DATA.get(loss_name, {}),
        "start": [float(x) for x in start],
        "steps": steps,
        "trajectory": records,
    }


def main() -> None:
    torch.set_default_dtype(torch.float64)
    cases = [build_case(row) for row in CASES]
    unique_names(cases)
    document = {
        "format_version": FORMAT_VERSION,
        "torch_version": torch.__version__,
        "generated_by": "scripts/make_golden.py",
        "torch_defaults": torch_defaults(),
        "cases": cases,
    }
    write_golden(OUTPUT, document, f"{len(cases)} cases")


if __name__ == "__main__":
    main()
