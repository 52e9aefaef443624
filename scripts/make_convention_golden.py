"""Record optax's and Keras's own trajectories as golden files for the optax and keras conventions.

Usage (needs optax and keras with the JAX backend; the test suite does not)::

    pip install optax keras
    python scripts/make_convention_golden.py

It runs each case with the real library in float64 and writes
``tests/golden/convention_trajectories.json``; ``tests/test_convention_golden.py`` replays the
cases through our engine under the matching ``--convention``. Losses are written twice, as text
for our parser and as a JAX function here, so this script never parses or evaluates text, and
it does not import ``tutor``. Learning rates are powers of two: Keras keeps the learning rate in
a float32 variable, and only such values survive that round trip unchanged.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_ENABLE_X64", "1")

try:
    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np
    import optax
except ImportError as missing:  # pragma: no cover - a developer tool
    sys.exit(f"error: this script needs optax and keras (pip install optax keras): {missing}")

jax.config.update("jax_enable_x64", True)
keras.config.set_floatx("float64")

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "convention_trajectories.json"
STEPS = 12

LOSSES = {
    "quadratic": ("(theta - 1)**2", ["theta"], [2.0], lambda p: (p[0] - 1) ** 2),
    "bowl": ("x**2 + 10*y**2", ["x", "y"], [1.5, -0.5], lambda p: p[0] ** 2 + 10 * p[1] ** 2),
    "rosenbrock": (
        "(1 - x)**2 + 100*(y - x**2)**2",
        ["x", "y"],
        [-1.2, 1.8],
        lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    ),
}

# (name, optimizer, our hyper-parameters, optax factory or None, keras factory or None, loss)
CASES: list[tuple[str, str, dict[str, Any], Any, Any, str]] = [
    (
        "adamw",
        "adamw",
        {"lr": 0.125, "weight_decay": 0.05},
        lambda: optax.adamw(0.125, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.05),
        lambda: keras.optimizers.AdamW(0.125, weight_decay=0.05, epsilon=1e-8),
        "quadratic",
    ),
    (
        "adamw-eps",
        "adamw",
        {"lr": 0.0625, "eps": 1e-3, "weight_decay": 0.1},
        lambda: optax.adamw(0.0625, eps=1e-3, weight_decay=0.1),
        lambda: keras.optimizers.AdamW(0.0625, weight_decay=0.1, epsilon=1e-3),
        "bowl",
    ),
    (
        "adam",
        "adam",
        {"lr": 0.0078125},
        lambda: optax.adam(0.0078125),
        lambda: keras.optimizers.Adam(0.0078125, epsilon=1e-8),
        "rosenbrock",
    ),
    (
        "adam-amsgrad",
        "adam",
        {"lr": 0.0625, "amsgrad": True},
        None,
        lambda: keras.optimizers.Adam(0.0625, epsilon=1e-8, amsgrad=True),
        "bowl",
    ),
    (
        "sgd-momentum",
        "sgd",
        {"lr": 0.0078125, "momentum": 0.9},
        lambda: optax.sgd(0.0078125, momentum=0.9),
        lambda: keras.optimizers.SGD(0.0078125, momentum=0.9),
        "bowl",
    ),
    (
        "sgd-nesterov",
        "sgd",
        {"lr": 0.0078125, "momentum": 0.9, "nesterov": True},
        lambda: optax.sgd(0.0078125, momentum=0.9, nesterov=True),
        lambda: keras.optimizers.SGD(0.0078125, momentum=0.9, nesterov=True),
        "bowl",
    ),
    (
        "sgd-keras-decay",
        "sgd",
        {"lr": 0.0078125, "momentum": 0.5, "weight_decay": 0.25},
        None,
        lambda: keras.optimizers.SGD(0.0078125, momentum=0.5, weight_decay=0.25),
        "bowl",
    ),
    (
        "adagrad",
        "adagrad",
        {"lr": 0.25, "eps": 1e-3, "initial_accumulator_value": 0.1},
        lambda: optax.adagrad(0.25, initial_accumulator_value=0.1, eps=1e-3),
        lambda: keras.optimizers.Adagrad(0.25, initial_accumulator_value=0.1, epsilon=1e-3),
        "bowl",
    ),
    (
        "rmsprop",
        "rmsprop",
        {"lr": 0.0078125, "alpha": 0.9, "eps": 1e-3},
        lambda: optax.rmsprop(0.0078125, decay=0.9, eps=1e-3),
        lambda: keras.optimizers.RMSprop(0.0078125, rho=0.9, epsilon=1e-3),
        "bowl",
    ),
    (
        "rmsprop-centered-momentum",
        "rmsprop",
        {"lr": 0.0078125, "alpha": 0.9, "eps": 1e-3, "centered": True, "momentum": 0.5},
        lambda: optax.rmsprop(0.0078125, decay=0.9, eps=1e-3, centered=True, momentum=0.5),
        lambda: keras.optimizers.RMSprop(
            0.0078125, rho=0.9, epsilon=1e-3, centered=True, momentum=0.5
        ),
        "bowl",
    ),
    (
        "lion",
        "lion",
        {"lr": 0.0625, "weight_decay": 0.1},
        lambda: optax.lion(0.0625, b1=0.9, b2=0.99, weight_decay=0.1),
        None,
        "bowl",
    ),
]


def run_optax(make: Any, loss: Any, start: list[float]) -> list[list[float]]:
    opt = make()
    params = jnp.array(start, dtype=jnp.float64)
    state = opt.init(params)
    grad = jax.grad(loss)
    out = []
    for _ in range(STEPS):
        updates, state = opt.update(grad(params), state, params)
        params = optax.apply_updates(params, updates)
        out.append([float(x) for x in params])
    return out


def run_keras(make: Any, loss: Any, start: list[float]) -> list[list[float]]:
    opt = make()
    variable = keras.Variable(np.array(start, dtype=np.float64), dtype="float64")
    opt.build([variable])
    grad = jax.grad(loss)
    out = []
    for _ in range(STEPS):
        g = np.asarray(grad(jnp.asarray(variable.numpy())), dtype=np.float64)
        opt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), variable)])
        out.append([float(x) for x in variable.numpy()])
    return out


def main() -> None:
    cases = []
    for name, optimizer, hp, make_optax, make_keras, loss_name in CASES:
        text, params, start, loss = LOSSES[loss_name]
        for library, make, runner in (
            ("optax", make_optax, run_optax),
            ("keras", make_keras, run_keras),
        ):
            if make is None:
                continue
            cases.append(
                {
                    "name": f"{library}-{name}-{loss_name}",
                    "convention": library,
                    "optimizer": optimizer,
                    "hyperparameters": hp,
                    "loss": text,
                    "params": params,
                    "start": start,
                    "steps": STEPS,
                    "theta_next": runner(make, loss, start),
                }
            )
    document = {
        "format_version": 1,
        "generated_by": "scripts/make_convention_golden.py",
        "versions": {
            "optax": optax.__version__,
            "keras": keras.__version__,
            "jax": jax.__version__,
        },
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
