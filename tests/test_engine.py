"""The numeric engine: definitions, formulas, properties, validation and purity."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import OPTIMIZERS, get_optimizer, iterate, trajectory
from tutor.errors import HyperparameterError, TutorError


def quadratic_gradient(theta: np.ndarray) -> np.ndarray:
    """Gradient of sum((θ - 1)²) + 3·θ₀·θ₁-style coupling for n = 2, plain (θ - 1)² otherwise."""
    return 2 * (theta - 1)


def quadratic_loss(theta: np.ndarray) -> float:
    return float(np.sum((theta - 1) ** 2))


def rosenbrock_gradient(theta: np.ndarray) -> np.ndarray:
    x, y = theta[..., 0], theta[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


def configurations(name: str) -> list[dict]:
    """Defaults, then each hyper-parameter moved off its default, then every flag on at once."""
    spec = OPTIMIZERS[name]
    moved = {
        "lr": 0.05,
        "beta1": 0.8,
        "beta2": 0.99,
        "eps": 1e-3,
        "weight_decay": 0.1,
        "momentum": 0.9,
        "dampening": 0.3,
        "alpha": 0.9,
        "lr_decay": 0.1,
        "initial_accumulator_value": 0.5,
        "nesterov": True,
        "centered": True,
        "amsgrad": True,
    }
    configs: list[dict] = [{"lr": 0.05}]
    for hyper in spec.hyperparameters:
        overrides = {"lr": 0.05, hyper.name: moved[hyper.name]}
        if hyper.name == "nesterov":
            overrides["momentum"] = 0.9
        configs.append(overrides)
    flags = {h.name: True for h in spec.hyperparameters if h.is_flag}
    numbers = {h.name: moved[h.name] for h in spec.hyperparameters if not h.is_flag}
    if "nesterov" in flags:
        numbers["dampening"] = 0.0
    configs.append({**numbers, **flags})
    return configs


CASES = [
    pytest.param(name, config, id=f"{name}-{'-'.join(sorted(config)) or 'defaults'}")
    for name in OPTIMIZERS
    for config in configurations(name)
]


def test_registry_holds_the_first_wave() -> None:
    assert list(OPTIMIZERS) == ["sgd", "adagrad", "rmsprop", "adam", "adamw", "lion"]


def test_worked_example_every_number() -> None:
    spec = get_optimizer("adamw")
    hp = spec.resolve({"lr": 0.1})
    assert spec.hyperparameter_values(hp) == {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.01,
        "amsgrad": False,
    }
    run = trajectory(spec, hp, np.array([2.0]), quadratic_gradient, quadratic_loss, 1)
    (step,) = run.steps
    expected = {
        "m": 0.2,
        "v": 0.004,
        "m_hat": 2.0,
        "v_hat": 4.0,
        "update": 0.102,
        "theta_next": 1.898,
    }
    assert list(step.values) == list(expected)
    for key, value in expected.items():
        assert step.values[key] == pytest.approx([value], rel=1e-8), key
    assert step.grad.tolist() == [2.0]
    assert step.loss == 1.0
    assert step.loss_next == pytest.approx(0.806404, rel=1e-8)
    assert run.divergence is None


@pytest.mark.parametrize(("name", "config"), CASES)
def test_every_formula_reproduces_its_value(name: str, config: dict) -> None:
    """The formula a table shows, evaluated on the step's inputs, gives the engine's value."""
    spec = OPTIMIZERS[name]
    hp = spec.resolve(config)
    run = trajectory(spec, hp, np.array([-1.2, 1.5]), rosenbrock_gradient, quadratic_loss, 4)
    assert len(run.steps) == 4
    for record in run.steps:
        env = record.environment(hp)
        active = [q.key for q in spec.active_quantities(hp)]
        assert list(record.values) == [k for k in active if k in record.values]
        assert sorted(record.values) == sorted(active)
        for quantity in spec.active_quantities(hp):
            formula = quantity.formula(hp, record.t)
            assert formula.symbols() <= set(env), (quantity.key, formula.symbols() - set(env))
            np.testing.assert_allclose(
                formula.evaluate(env),
                record.values[quantity.key],
                rtol=1e-9,
                atol=1e-15,
                err_msg=f"{name} {quantity.key} at step {record.t}",
            )


@pytest.mark.parametrize(("name", "config"), CASES)
def test_batched_iterate_equals_single_runs(name: str, config: dict) -> None:
    spec = OPTIMIZERS[name]
    lrs = np.array([0.001, 0.01, 0.02])
    starts = np.array([[-1.2, 1.5], [0.5, 0.5], [2.0, -1.0]])
    hp = spec.resolve(config)
    batched = iterate(spec, {**hp, "lr": lrs[:, None]}, starts, rosenbrock_gradient, 5)
    for row, (lr, start) in enumerate(zip(lrs, starts, strict=True)):
        single = iterate(spec, {**hp, "lr": lr}, start, rosenbrock_gradient, 5)
        np.testing.assert_array_equal(batched[row], single)


@pytest.mark.parametrize(("name", "config"), CASES)
def test_step_does_not_mutate_its_inputs(name: str, config: dict) -> None:
    spec = OPTIMIZERS[name]
    hp = spec.resolve(config)
    theta = np.array([0.3, -0.7])
    state = spec.init(theta, hp)
    for t in (1, 2):
        g = rosenbrock_gradient(theta)
        copies = (theta.copy(), g.copy(), {k: v.copy() for k, v in state.items()})
        values, new_state = spec.step(theta, g, state, hp, t)
        np.testing.assert_array_equal(theta, copies[0])
        np.testing.assert_array_equal(g, copies[1])
        assert state.keys() == copies[2].keys()
        for key in state:
            np.testing.assert_array_equal(state[key], copies[2][key])
        theta, state = values["theta_next"], new_state


finite = st.floats(min_value=-100, max_value=100, allow_nan=False)
vectors = st.lists(finite, min_size=1, max_size=4).map(np.array)
rates = st.floats(min_value=1e-4, max_value=1.0)


@settings(max_examples=60, deadline=None)
@given(theta=vectors, lr=rates, steps=st.integers(1, 5))
def test_adamw_without_decay_is_adam(theta: np.ndarray, lr: float, steps: int) -> None:
    adam, adamw = OPTIMIZERS["adam"], OPTIMIZERS["adamw"]
    a = iterate(adam, adam.resolve({"lr": lr}), theta, quadratic_gradient, steps)
    b = iterate(
        adamw, adamw.resolve({"lr": lr, "weight_decay": 0.0}), theta, quadratic_gradient, steps
    )
    np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(theta=vectors, lr=rates)
def test_sgd_without_momentum_is_gradient_descent(theta: np.ndarray, lr: float) -> None:
    sgd = OPTIMIZERS["sgd"]
    result = iterate(sgd, sgd.resolve({"lr": lr}), theta, quadratic_gradient, 1)
    np.testing.assert_array_equal(result, theta - lr * quadratic_gradient(theta))


@settings(max_examples=60, deadline=None)
@given(g=vectors, t_max=st.integers(1, 30), beta1=st.floats(0.0, 0.99))
def test_constant_gradient_gives_m_hat_equal_to_g(g: np.ndarray, t_max: int, beta1: float) -> None:
    adam = OPTIMIZERS["adam"]
    hp = adam.resolve({"beta1": beta1})
    theta = np.zeros_like(g)
    state = adam.init(theta, hp)
    for t in range(1, t_max + 1):
        values, state = adam.step(theta, g, state, hp, t)
        np.testing.assert_allclose(values["m_hat"], g, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(theta=vectors, lr=rates, wd=st.floats(0.0, 1.0))
def test_lion_moves_every_coordinate_by_lr_plus_decay(
    theta: np.ndarray, lr: float, wd: float
) -> None:
    lion = OPTIMIZERS["lion"]
    g = np.where(theta >= 0, 1.0, -1.0)
    values, _ = lion.step(
        theta,
        g,
        lion.init(theta, lion.resolve({})),
        lion.resolve({"lr": lr, "weight_decay": wd}),
        1,
    )
    np.testing.assert_allclose(values["update"], lr * (g + wd * theta), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("adamw", {"lr": 0.0}, "lr must be > 0, got 0"),
        ("adamw", {"lr": -0.1}, "lr must be > 0, got -0.1"),
        ("adam", {"beta1": 1.0}, "beta1 must be in [0, 1), got 1"),
        ("adam", {"beta2": -0.5}, "beta2 must be in [0, 1), got -0.5"),
        ("rmsprop", {"eps": -1e-8}, "eps must be >= 0, got -1e-08"),
        ("sgd", {"weight_decay": -1}, "weight_decay must be >= 0, got -1"),
        ("sgd", {"lr": float("nan")}, "lr must be a finite number, got nan"),
        ("adagrad", {"lr": float("inf")}, "lr must be a finite number, got inf"),
        ("sgd", {"dampening": 2}, "dampening must be in [0, 1], got 2"),
        ("sgd", {"nesterov": True}, "nesterov needs momentum > 0 and dampening = 0"),
        ("adam", {"amsgrad": 1}, "amsgrad must be true or false, got 1"),
        ("adam", {"lr": "fast"}, "lr must be a number, got 'fast'"),
        (
            "adam",
            {"momentum": 0.9},
            "adam has no hyper-parameter 'momentum' (lr, beta1, beta2, eps, weight_decay, amsgrad)",
        ),
    ],
)
def test_invalid_hyperparameters_are_named(name: str, overrides: dict, message: str) -> None:
    with pytest.raises(HyperparameterError) as caught:
        OPTIMIZERS[name].resolve(overrides)
    assert str(caught.value) == message


def test_unknown_optimizer_suggests_the_closest() -> None:
    with pytest.raises(TutorError) as caught:
        get_optimizer("adamm")
    assert str(caught.value) == "unknown optimizer 'adamm' (did you mean 'adam'?)"
    with pytest.raises(TutorError) as caught:
        get_optimizer("newton")
    assert str(caught.value) == (
        "unknown optimizer 'newton' (known: sgd, adagrad, rmsprop, adam, adamw, lion)"
    )


def test_torch_defaults() -> None:
    defaults = {name: spec.defaults() for name, spec in OPTIMIZERS.items()}
    assert defaults["adamw"]["weight_decay"] == 0.01
    assert defaults["adam"]["weight_decay"] == 0.0
    assert defaults["sgd"] == {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
    }
    assert defaults["adagrad"]["eps"] == 1e-10
    assert defaults["rmsprop"]["alpha"] == 0.99
    assert defaults["lion"] == {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0}


def test_divergence_is_reported_at_its_step() -> None:
    sgd = OPTIMIZERS["sgd"]
    run = trajectory(
        sgd,
        sgd.resolve({"lr": 3.0}),
        np.array([2.0]),
        lambda th: 4 * th**3,
        lambda th: float(np.sum(th**4)),
        50,
    )
    assert run.divergence is not None
    assert run.divergence.t == len(run.steps) + 1
    assert run.divergence.quantity in {"g", "update", "theta_next", "loss"}
    assert all(np.isfinite(r.theta_next).all() for r in run.steps)


def test_steps_are_bounded() -> None:
    sgd = OPTIMIZERS["sgd"]
    for steps in (0, -1, 100_001, 2.5, True):
        with pytest.raises(TutorError, match="steps must be a whole number from 1 to 100000"):
            iterate(sgd, sgd.resolve({}), np.array([1.0]), quadratic_gradient, steps)


def test_engine_imports_no_sympy_rich_or_typer() -> None:
    code = (
        "import sys, tutor.engine\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sympy', 'rich', 'typer', 'tutor.cli'} or m.startswith(('tutor.cli', 'tutor.render')))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module",
    [f"tutor.engine.optimizers.{m}" for m in ("sgd", "adagrad", "rmsprop", "adam", "lion")],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted >= 1
    assert result.failed == 0


def test_every_hyperparameter_has_a_cli_option() -> None:
    from tutor.cli.solve import solve

    names = set(solve.__code__.co_varnames[: solve.__code__.co_argcount])
    wanted = {h.name for spec in OPTIMIZERS.values() for h in spec.hyperparameters}
    assert wanted <= names


def test_quantity_keys_are_unique_and_end_with_theta_next() -> None:
    for spec in OPTIMIZERS.values():
        keys = [q.key for q in spec.quantities]
        assert len(keys) == len(set(keys)), spec.name
        assert "theta_next" in keys
        assert "update" in keys
