"""The numeric engine: definitions, compiled programs, properties, validation and purity.

Every test that concerns optimizers enumerates the registry; none lists optimizers by hand.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import OPTIMIZERS, Layout, Program, get_optimizer, iterate, trajectory
from tutor.engine.formula import Computed
from tutor.engine.run import step_inputs
from tutor.engine.spec import (
    CONVENTION_NAMES,
    Assign,
    Config,
    Hyperparameter,
    OptimizerSpec,
    Switches,
)
from tutor.errors import HyperparameterError, TutorError


class Bowl:
    """``x² + 3y² + xy − x``, a tilted, coupled bowl; an objective written without SymPy (the
    engine must not need the symbolic layer)."""

    def value(self, theta: np.ndarray) -> float:
        x, y = theta[..., 0], theta[..., 1]
        return float(x**2 + 3 * y**2 + x * y - x)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        x, y = theta[..., 0], theta[..., 1]
        return np.stack([2 * x + y - 1, 6 * y + x], axis=-1)

    def hessian(self, theta: np.ndarray) -> np.ndarray:  # Newton's method reads it
        return np.array([[2.0, 1.0], [1.0, 6.0]])

    def fisher(self, theta: np.ndarray) -> np.ndarray:
        """The natural gradient reads a model's Fisher matrix; for the engine any positive
        definite matrix will do."""
        return np.array([[2.0, 0.5], [0.5, 1.0]])


class Quadratic:
    """``sum((θ − 1)²)``."""

    def value(self, theta: np.ndarray) -> float:
        return float(np.sum((theta - 1) ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return 2 * (theta - 1)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        return 2 * np.eye(theta.shape[-1])

    def fisher(self, theta: np.ndarray) -> np.ndarray:
        return np.diag(np.arange(1.0, theta.shape[-1] + 1))


BOWL, QUADRATIC = Bowl(), Quadratic()


def moved(hyper: Hyperparameter) -> Any:
    """A valid value other than the default, read off the parameter's type and range."""
    if hyper.kind == "flag":
        return True
    if hyper.kind == "choice":
        return next(c for c in hyper.choices if c != hyper.default)
    if hyper.name == "lr":
        return 0.05
    bound = hyper.bound
    if bound.high < math.inf:  # a rate in [0, 1]: move it towards the middle
        return 0.8 if hyper.default != 0.8 else 0.7
    if hyper.default is None:  # a count torch leaves unset (L-BFGS's max_eval)
        return 3
    value = 0.1 if hyper.default == 0 else float(hyper.default) * 2
    return int(value) if hyper.kind == "int" else value


def formula_keys(algorithm: Any) -> set[str]:
    """The quantities computed by formulas; a procedure's (L-BFGS's inner loop) are computed by
    code, their printed formula describes it, and their golden tests check their numbers."""
    return {s.quantity.key for s in algorithm.steps if isinstance(s, Assign)}


def _configure(spec: OptimizerSpec, overrides: dict[str, Any]) -> Config | None:
    try:
        return spec.configure(overrides)
    except HyperparameterError:
        return None


def configurations(spec: OptimizerSpec) -> Iterator[tuple[str, dict[str, Any]]]:
    """Defaults, each hyper-parameter moved off its default (with one other moved too where the
    spec's cross-checks require it, e.g. Nesterov needs momentum), and everything moved at
    once (dropping moves the cross-checks refuse)."""
    yield "defaults", {"lr": 0.05}
    hypers = spec.hyperparameters
    for hyper in hypers:
        overrides = {"lr": 0.05, hyper.name: moved(hyper)}
        if _configure(spec, overrides) is None:
            overrides = next(
                {**overrides, other.name: moved(other)}
                for other in hypers
                if _configure(spec, {**overrides, other.name: moved(other)}) is not None
            )
        yield hyper.name, overrides
    everything = {h.name: moved(h) for h in hypers}
    for drop in itertools.chain([None], (h.name for h in hypers)):
        trial = {k: v for k, v in everything.items() if k != drop}
        if _configure(spec, trial) is not None:
            yield "all", trial
            return


CASES = [
    pytest.param(name, overrides, id=f"{name}-{label}")
    for name, spec in OPTIMIZERS.items()
    for label, overrides in configurations(spec)
]
CONVENTION_CASES = [
    pytest.param(name, convention.name, id=f"{name}-{convention.name}")
    for name, spec in OPTIMIZERS.items()
    for convention in spec.conventions
]


def test_registry_is_discovered_in_order_of_publication() -> None:
    years = [spec.year for spec in OPTIMIZERS.values()]
    assert years == sorted(years)
    assert len(OPTIMIZERS) >= 9
    for name, spec in OPTIMIZERS.items():
        assert spec.name == name
        assert name == name.lower()


def test_worked_example_every_number() -> None:
    config = get_optimizer("adamw").configure({"lr": 0.1})
    assert dict(config.values) == {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.01,
        "amsgrad": False,
        "maximize": False,
    }
    run = trajectory(config, QUADRATIC, np.array([2.0]), 1)
    step = run.step(1)
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


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_every_printed_formula_reproduces_its_value(name: str, overrides: dict) -> None:
    """Each quantity's printed formula (textbook order), evaluated on the step's own inputs,
    gives the engine's value (computed in the reference's order) to a relative 1e-12."""
    config = OPTIMIZERS[name].configure(overrides)
    run = trajectory(config, BOWL, np.array([-1.2, 1.5]), 6)
    assert len(run) == 6
    constants = Program(config).constants
    computed = formula_keys(run.program.algorithm)
    for record in run.steps():
        env = record.environment(constants)
        env["t"] = float(record.t)
        for key, value in record.values.items():
            if key not in computed:
                continue
            formula = run.program.algorithm.formulas[key]
            shown = formula.specialize(env)
            assert shown.symbols <= set(env), (key, shown.symbols - set(env))
            with np.errstate(all="ignore"):
                printed = shown.evaluate(env)
            np.testing.assert_allclose(
                printed, value, rtol=1e-12, atol=1e-300, err_msg=f"{name} {key} t={record.t}"
            )


@pytest.mark.parametrize(("name", "convention"), CONVENTION_CASES)
def test_every_convention_runs_and_prints_its_own_formulas(name: str, convention: str) -> None:
    spec = OPTIMIZERS[name]
    config = spec.configure({"lr": 0.01}, convention)
    run = trajectory(config, BOWL, np.array([-1.2, 1.5]), 3)
    assert run.divergence is None
    keys = [q.key for q in run.quantities]
    assert keys[-2:] == ["update", "theta_next"] or "theta_next" in keys
    assert len(keys) == len(set(keys))
    computed = formula_keys(run.program.algorithm)
    for record in run.steps():
        env = {**Program(config).constants, **record.environment({})}
        env["t"] = float(record.t)
        for key, value in record.values.items():
            if key not in computed:
                continue
            printed = run.program.algorithm.formulas[key].specialize(env).evaluate(env)
            np.testing.assert_allclose(printed, value, rtol=1e-12, atol=1e-300)


def test_every_computed_node_agrees_with_its_printed_form() -> None:
    """Each ``computed_as`` pair (the reference's order of operations vs the textbook's), on
    every step of a run of every configuration, agrees to a relative 1e-12."""
    checked = 0
    for spec in OPTIMIZERS.values():
        for label, overrides in configurations(spec):
            config = spec.configure(overrides)
            run = trajectory(config, BOWL, np.array([-1.2, 1.5]), 6)
            constants = Program(config).constants
            for record in run.steps():
                env = record.environment(constants)
                env["t"] = float(record.t)
                for key in record.values:
                    for node in _computed_nodes(run.program.algorithm.formulas[key]):
                        if not node.symbols <= env.keys():
                            continue
                        with np.errstate(all="ignore"):
                            computed, shown = node.computed.evaluate(env), node.shown.evaluate(env)
                        np.testing.assert_allclose(
                            computed,
                            shown,
                            rtol=1e-12,
                            atol=1e-300,
                            err_msg=f"{spec.name}-{label} {key} t={record.t}",
                        )
                        checked += 1
    assert checked > 500


def _computed_nodes(formula: Any) -> list[Computed]:
    return [node for node in formula.walk() if isinstance(node, Computed)]


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_the_lean_loop_ends_where_the_recorded_run_does(name: str, overrides: dict) -> None:
    """iterate's lean step (θₜ and the carried state only) lands on exactly the θ the full,
    recorded step reaches, and AdamW's lean step computes no m̂, v̂ or Δθ (they are printed,
    but θₜ is computed from mₜ and vₜ)."""
    spec = OPTIMIZERS[name]
    if spec.scope != "coordinate":
        pytest.skip(f"{name} treats θ as one vector: iterate does not run it")
    config = spec.configure(overrides)
    start = np.array([-1.2, 1.5])
    recorded = trajectory(config, BOWL, start, 6)
    np.testing.assert_array_equal(iterate(config, start, BOWL.gradient, 6), recorded.final_theta)
    if name == "adamw" and not config.values["amsgrad"]:
        program = Program(config)
        lean, carried = program.lean_loop()
        state = program.init(start)
        env = {previous: state[key] for key, previous in carried}
        with np.errstate(all="ignore"):
            values = lean({**env, "t": 1.0, "theta": start, "g": start})
        assert set(values) == {"m", "v", "theta_next"}


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_batched_iterate_equals_single_runs(name: str, overrides: dict) -> None:
    spec = OPTIMIZERS[name]
    if spec.scope != "coordinate":
        pytest.skip(f"{name} treats θ as one vector (a matrix solve): iterate runs no batches")
    lrs = np.array([0.001, 0.01, 0.02])
    starts = np.array([[-1.2, 1.5], [0.5, 0.5], [2.0, -1.0]])
    config = spec.configure(overrides)
    batched = iterate(config.with_values(lr=lrs[:, None]), starts, BOWL.gradient, 5)
    for row, (lr, start) in enumerate(zip(lrs, starts, strict=True)):
        single = iterate(config.with_values(lr=float(lr)), start, BOWL.gradient, 5)
        np.testing.assert_array_equal(batched[row], single)


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_step_does_not_mutate_its_inputs(name: str, overrides: dict) -> None:
    program = Program(OPTIMIZERS[name].configure(overrides))
    theta = np.array([0.3, -0.7])
    state = program.init(theta)
    for t in (1, 2):
        g = BOWL.gradient(theta)
        copies = (theta.copy(), g.copy(), {k: np.copy(v) for k, v in state.items()})
        inputs = step_inputs(program, BOWL, theta, BOWL.value(theta))  # H, F for second order
        values, new_state = program.step(theta, g, state, t, inputs=inputs, objective=BOWL)
        np.testing.assert_array_equal(theta, copies[0])
        np.testing.assert_array_equal(g, copies[1])
        assert state.keys() == copies[2].keys()
        for key in state:
            np.testing.assert_array_equal(state[key], copies[2][key])
        theta, state = values["theta_next"], new_state


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_single_quantity_evaluates_from_given_inputs(name: str, overrides: dict) -> None:
    """Grading checks a student's m̂ against the student's own m: each quantity can be computed
    alone from whatever inputs it reads."""
    config = OPTIMIZERS[name].configure(overrides)
    run = trajectory(config, BOWL, np.array([-1.2, 1.5]), 3)
    record = run.step(3)
    env = record.environment({})
    computed = formula_keys(run.program.algorithm)
    for key, value in record.values.items():
        if key in computed:
            np.testing.assert_allclose(run.program.evaluate(key, env), value, rtol=1e-12)


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_matrix_parameters_step_like_the_flat_vector(name: str, overrides: dict) -> None:
    """A 2×2 matrix and a 2-vector, stepped with their layout, give the flat vector's numbers:
    element-wise optimizers do not care about shapes."""
    config = OPTIMIZERS[name].configure(overrides)
    layout = Layout.of([("W", (2, 2)), ("b", (2,))])
    start = np.array([0.5, -0.3, 1.2, 0.1, -0.4, 0.9])
    shaped = trajectory(config, QUADRATIC, start, 4, layout=layout)
    flat = trajectory(config, QUADRATIC, start, 4)
    np.testing.assert_array_equal(shaped.values["theta_next"], flat.values["theta_next"])


finite = st.floats(min_value=-100, max_value=100, allow_nan=False)
vectors = st.lists(finite, min_size=1, max_size=4).map(np.array)
rates = st.floats(min_value=1e-4, max_value=1.0)


@settings(max_examples=60, deadline=None)
@given(theta=vectors, lr=rates, steps=st.integers(1, 5))
def test_adamw_without_decay_is_adam(theta: np.ndarray, lr: float, steps: int) -> None:
    a = iterate(get_optimizer("adam").configure({"lr": lr}), theta, QUADRATIC.gradient, steps)
    b = iterate(
        get_optimizer("adamw").configure({"lr": lr, "weight_decay": 0.0}),
        theta,
        QUADRATIC.gradient,
        steps,
    )
    np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(theta=vectors, lr=rates, wd=st.floats(0.0, 0.5), steps=st.integers(1, 5))
def test_adam_with_decoupled_weight_decay_is_adamw(
    theta: np.ndarray, lr: float, wd: float, steps: int
) -> None:
    adam = get_optimizer("adam").configure(
        {"lr": lr, "weight_decay": wd, "decoupled_weight_decay": True}
    )
    adamw = get_optimizer("adamw").configure({"lr": lr, "weight_decay": wd})
    np.testing.assert_array_equal(
        iterate(adam, theta, QUADRATIC.gradient, steps),
        iterate(adamw, theta, QUADRATIC.gradient, steps),
    )


@settings(max_examples=60, deadline=None)
@given(theta=vectors, lr=rates)
def test_sgd_without_momentum_is_gradient_descent(theta: np.ndarray, lr: float) -> None:
    result = iterate(get_optimizer("sgd").configure({"lr": lr}), theta, QUADRATIC.gradient, 1)
    np.testing.assert_array_equal(result, theta - lr * QUADRATIC.gradient(theta))


@settings(max_examples=60, deadline=None)
@given(g=vectors, t_max=st.integers(1, 30), beta1=st.floats(0.0, 0.99))
def test_constant_gradient_gives_m_hat_equal_to_g(g: np.ndarray, t_max: int, beta1: float) -> None:
    program = Program(get_optimizer("adam").configure({"beta1": beta1}))
    theta = np.zeros_like(g)
    state = program.init(theta)
    for t in range(1, t_max + 1):
        values, state = program.step(theta, g, state, t)
        np.testing.assert_allclose(values["m_hat"], g, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(theta=vectors, lr=rates, wd=st.floats(0.0, 1.0))
def test_lion_moves_every_coordinate_by_lr_plus_decay(
    theta: np.ndarray, lr: float, wd: float
) -> None:
    program = Program(get_optimizer("lion").configure({"lr": lr, "weight_decay": wd}))
    g = np.where(theta >= 0, 1.0, -1.0)
    values, _ = program.step(theta, g, program.init(theta), 1)
    np.testing.assert_allclose(values["update"], lr * (g + wd * theta), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_maximize_is_minimizing_the_negated_loss(name: str, overrides: dict) -> None:
    """torch's maximize negates the gradient: the same as minimizing −L."""
    spec = OPTIMIZERS[name]
    if not any(h.name == "maximize" for h in spec.hyperparameters) or overrides.get("maximize"):
        pytest.skip(f"{name} has no maximize option, or it is already on")
    up = spec.configure({**overrides, "maximize": True})
    down = spec.configure(overrides)
    start = np.array([0.3, -0.7])
    np.testing.assert_array_equal(
        iterate(up, start, lambda th: -BOWL.gradient(th), 4),
        iterate(down, start, BOWL.gradient, 4),
    )


def test_radam_takes_momentum_steps_until_rho_exceeds_5() -> None:
    run = trajectory(get_optimizer("radam").configure({"lr": 0.01}), QUADRATIC, np.array([2.0]), 8)
    rho = run.values["rho"]
    adaptive = run.present["rect"]
    assert list(adaptive) == [bool(r > 5) for r in rho]
    assert list(adaptive) == [False] * 5 + [True] * 3  # with β₂ = 0.999, ρₜ passes 5 at t = 6
    first = run.step(1)
    assert "rect" not in first.values and "adaptive_lr" not in first.values
    np.testing.assert_allclose(first.values["update"], 0.01 * first.values["m_hat"], rtol=1e-15)


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
            "adam has no hyper-parameter 'momentum' (lr, beta1, beta2, eps, weight_decay, "
            "amsgrad, maximize, decoupled_weight_decay)",
        ),
        ("adamw", {"maximize": True}, None),
    ],
)
def test_invalid_hyperparameters_are_named(name: str, overrides: dict, message: str | None) -> None:
    if message is None:
        assert OPTIMIZERS[name].configure(overrides).values["maximize"] is True
        return
    with pytest.raises(HyperparameterError) as caught:
        OPTIMIZERS[name].configure(overrides)
    assert str(caught.value) == message


def test_unknown_optimizer_suggests_the_closest() -> None:
    with pytest.raises(TutorError) as caught:
        get_optimizer("adamm")
    assert str(caught.value) == "unknown optimizer 'adamm' (did you mean 'adam'?)"
    with pytest.raises(TutorError) as caught:
        get_optimizer("zzz")
    assert str(caught.value) == f"unknown optimizer 'zzz' (known: {', '.join(OPTIMIZERS)})"
    assert get_optimizer(" AdamW ").name == "adamw"


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_specs_are_consistent(name: str) -> None:
    """Names unique, every convention known and valid, unsupported options real, symbols set."""
    spec = OPTIMIZERS[name]
    names = [h.name for h in spec.hyperparameters]
    assert len(names) == len(set(names))
    for hyper in spec.hyperparameters:
        assert hyper.description and hyper.torch_name
        assert hyper.validate(hyper.default) == hyper.default
    conventions = [c.name for c in spec.conventions]
    assert len(conventions) == len(set(conventions))
    assert set(conventions) <= set(CONVENTION_NAMES)
    kinds = {type(c.switches) for c in spec.conventions}
    assert len(kinds) == 1, "every convention of an optimizer uses the same switches type"
    for convention in spec.conventions:
        assert convention.unsupported <= set(names), convention.name
        assert isinstance(convention.switches, Switches)
    algorithm = spec.configure({}).algorithm()
    keys = [q.key for q in algorithm.quantities]
    assert len(keys) == len(set(keys))
    assert {"update", "theta_next"} <= set(keys)
    for quantity in algorithm.quantities:
        assert quantity.description, quantity.key


def test_switches_are_typed_and_checked() -> None:
    adam = get_optimizer("adam")
    switches = adam.default_convention.switches
    with pytest.raises(HyperparameterError) as caught:
        switches.replace(bias_corection=False)
    assert str(caught.value) == (
        "AdamSwitches has no switch 'bias_corection' (switches: decay, eps, bias_correction)"
    )
    with pytest.raises(HyperparameterError) as caught:
        switches.replace(eps="under")
    assert "switch eps of AdamSwitches must be one of 'outside', 'inside', 'hat'" in str(
        caught.value
    )
    with pytest.raises(HyperparameterError):
        switches.replace(bias_correction="yes")
    variant = adam.configure({"lr": 0.1}).with_switches(bias_correction=False)
    assert variant.convention.name == "pytorch (bias_correction=False)"
    keys = [q.key for q in variant.algorithm().quantities]
    assert "m_hat" not in keys and "v_hat" not in keys


def test_a_formula_can_be_replaced_for_a_variant() -> None:
    """One tree replaced: v built from g instead of g², as a student might."""
    from tutor.engine import symbols as s
    from tutor.engine.optimizers.adam import V

    config = get_optimizer("adam").configure({"lr": 0.1})
    mistaken = config.with_formula(
        "v",
        lambda f: s.BETA2 * V.previous + (1 - s.BETA2) * s.G,  # type: ignore[operator]
    )
    values, _ = Program(mistaken).step(np.array([2.0]), np.array([2.0]), {"m": 0, "v": 0}, 1)
    assert values["v"] == pytest.approx([0.002])
    right, _ = Program(config).step(np.array([2.0]), np.array([2.0]), {"m": 0, "v": 0}, 1)
    assert right["v"] == pytest.approx([0.004])


def test_divergence_is_reported_at_its_step() -> None:
    class Quartic:
        def value(self, theta: np.ndarray) -> float:
            return float(np.sum(theta**4))

        def gradient(self, theta: np.ndarray) -> np.ndarray:
            return 4 * theta**3

    run = trajectory(get_optimizer("sgd").configure({"lr": 3.0}), Quartic(), np.array([2.0]), 50)
    assert run.divergence is not None
    assert run.divergence.t == len(run) + 1
    assert run.divergence.quantity in {"g", "update", "theta_next", "loss"}
    assert np.isfinite(run.values["theta_next"]).all()


def test_zero_over_zero_is_a_divergence_at_the_quantity() -> None:
    run = trajectory(
        get_optimizer("adamw").configure({"lr": 0.1, "eps": 0.0}), QUADRATIC, np.array([1.0]), 3
    )
    assert len(run) == 0
    assert (run.divergence.t, run.divergence.quantity) == (1, "update")


def test_steps_are_bounded() -> None:
    config = get_optimizer("sgd").configure({})
    for steps in (0, -1, 100_001, 2.5, True):
        with pytest.raises(TutorError, match="steps must be a whole number from 1 to 100000"):
            iterate(config, np.array([1.0]), QUADRATIC.gradient, steps)


def test_per_step_hyperparameters_reach_the_formulas() -> None:
    """A schedule (ηₜ per step) is read by the same compiled formulas."""
    config = get_optimizer("sgd").configure({"lr": 0.1})
    rates = {1: 0.1, 2: 0.05, 3: 0.025}
    run = trajectory(
        config, QUADRATIC, np.array([2.0]), 3, schedule=lambda t, losses: {"lr": rates[t]}
    )
    theta = 2.0
    for t in (1, 2, 3):
        theta = theta - rates[t] * 2 * (theta - 1)
        assert run.step(t).theta_next[0] == pytest.approx(theta, rel=1e-15)
    assert run.hyper["lr"].tolist() == [0.1, 0.05, 0.025]


def test_engine_imports_no_sympy_rich_or_typer() -> None:
    code = (
        "import sys, tutor.engine\n"
        "from tutor.engine import OPTIMIZERS\n"
        "list(OPTIMIZERS)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sympy', 'rich', 'typer', 'click'} or m.startswith(('tutor.cli', 'tutor.render', "
        "'tutor.teach', 'tutor.symbolic', 'tutor.content')))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _optimizer_modules() -> list[str]:
    return sorted(
        {type(spec.build).__module__ for spec in OPTIMIZERS.values()}
        | {spec.build.__module__ for spec in OPTIMIZERS.values()} - {"builtins"}
    )


@pytest.mark.parametrize("module", _optimizer_modules())
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted >= 1
    assert result.failed == 0


def test_layout_docstring_runs() -> None:
    result = doctest.testmod(importlib.import_module("tutor.engine.layout"))
    assert result.attempted >= 1 and result.failed == 0
