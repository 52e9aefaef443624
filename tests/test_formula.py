"""The formula IR: printing, evaluation, compilation, rewriting, and the shapes beyond vectors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from tutor.engine import Layout, Program, trajectory
from tutor.engine import symbols as s
from tutor.engine.compile import compile_expr
from tutor.engine.formula import (
    ByStep,
    Expr,
    Sym,
    absolute,
    clamp,
    computed_as,
    func,
    maximum,
    sign,
    sqrt,
    where,
)
from tutor.engine.optimizers.common import UPDATE, finish, lr
from tutor.engine.spec import (
    Assign,
    Convention,
    NoSwitches,
    OptimizerSpec,
    Procedure,
    ProcedureCall,
    Setup,
    Step,
    state,
    value,
)

M, M_PREV = Sym("m", "mₜ", "m_t"), Sym("m_prev", "mₜ₋₁", "m_{t-1}")
A, B = Sym("a", "a", "a"), Sym("b", "b", "b")
EMA = s.BETA1 * M_PREV + (1 - s.BETA1) * s.G


def test_plain_and_latex_printing() -> None:
    assert EMA.plain() == "β₁·mₜ₋₁ + (1 − β₁)·gₜ"
    assert EMA.latex() == r"\beta_1 \cdot m_{t-1} + \left(1 - \beta_1\right) \cdot g_t"
    assert (M / (1 - s.BETA1**s.T)).plain() == "mₜ / (1 − β₁ᵗ)"
    assert (M / (sqrt(A) + s.EPS)).latex() == r"\frac{m_t}{\sqrt{a} + \varepsilon}"
    assert (A * -B).plain() == "a·(−b)"
    assert (A - (B - 1)).plain() == "a − (b − 1)"
    assert sqrt(A + B).plain() == "√(a + b)"


def test_printing_with_numbers() -> None:
    values = {"beta1": 0.9, "m_prev": 0.0, "g": -2.0}
    fmt = lambda v: f"({v:g})" if v < 0 else f"{v:g}"  # noqa: E731
    assert EMA.plain(values, fmt) == "0.9·0 + (1 − 0.9)·(-2)"
    assert (s.G**2).plain({"g": 2.0}, fmt) == "2²"
    assert (s.G**2).plain({"g": -2.0}, fmt) == "(-2)²"


def test_compiled_equals_interpreted_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    formulas: list[Expr] = [
        EMA,
        M / (1 - s.BETA1**s.T),
        sqrt(absolute(M) + s.EPS) * sign(s.G) - maximum(M, s.G),
        clamp(s.G, -1.0, 1.0) / (1 + s.T),
        where(s.G > 0, s.G, -M),
        func("exp", -s.G) + func("log", absolute(M) + 1),
    ]
    for formula in formulas:
        for _ in range(5):
            env = {
                "beta1": np.float64(rng.uniform(0, 1)),
                "eps": np.float64(1e-8),
                "t": float(rng.integers(1, 9)),
                "g": rng.normal(size=4),
                "m": rng.normal(size=4),
                "m_prev": rng.normal(size=4),
            }
            constants = {"beta1": env["beta1"], "eps": env["eps"]}
            compiled = compile_expr(formula, constants)
            np.testing.assert_array_equal(compiled(env), formula.evaluate(env))


def test_constant_subtrees_are_folded() -> None:
    calls = []
    env = {"g": np.array([1.0]), "m_prev": np.array([2.0]), "t": 1.0}

    class Counting(dict):
        def __getitem__(self, key: str) -> object:
            calls.append(key)
            return super().__getitem__(key)

    compiled = compile_expr(EMA, {"beta1": np.float64(0.9)})
    assert compiled(Counting(env)) == pytest.approx([1.9])
    assert sorted(calls) == ["g", "m_prev"], "β₁ and 1 − β₁ are numbers before the loop runs"


def test_where_prints_and_evaluates_only_the_branch_taken() -> None:
    rho = Sym("rho", "ρₜ", r"\rho_t")
    formula = where(rho > 5, sqrt(rho - 5), 1.0)
    assert formula.plain() == "√(ρₜ − 5) if ρₜ > 5, else 1"
    assert formula.specialize({"rho": 3.0}).plain() == "1"
    assert formula.specialize({"rho": 9.0}).plain() == "√(ρₜ − 5)"
    with np.errstate(invalid="raise"):  # the √ of a negative is never computed
        assert formula.evaluate({"rho": 3.0}) == 1.0
        assert compile_expr(formula, {})({"rho": 3.0}) == 1.0
    per_coordinate = where(s.G > 0, s.G, 0.0)
    np.testing.assert_array_equal(per_coordinate.evaluate({"g": np.array([-1.0, 2.0])}), [0, 2])
    assert "cases" in formula.latex()


def test_by_step_distinguishes_the_first_step() -> None:
    formula = ByStep(s.G, s.MOMENTUM * M_PREV + s.G)
    assert formula.plain() == "gₜ at t = 1, else μ·mₜ₋₁ + gₜ"
    assert formula.specialize({"t": 1}).plain() == "gₜ"
    assert formula.specialize({"t": 4}).plain() == "μ·mₜ₋₁ + gₜ"
    env = {"t": 1.0, "g": 2.0, "momentum": 0.5, "m_prev": 10.0}
    assert formula.evaluate(env) == 2.0
    assert formula.evaluate({**env, "t": 2.0}) == 7.0


def test_computed_prints_one_tree_and_evaluates_the_other() -> None:
    formula = computed_as(A - B, A + (-1) * B)
    assert formula.plain() == "a − b"
    assert formula.evaluate({"a": 3.0, "b": 1.0}) == 2.0
    assert formula.specialize({}).plain() == "a − b"


def test_substitution_builds_variants() -> None:
    swapped = (s.BETA1 * M_PREV + (1 - s.BETA2) * s.G).substitute(
        {"beta1": s.BETA2, "beta2": s.BETA1}
    )
    assert swapped.plain() == "β₂·mₜ₋₁ + (1 − β₁)·gₜ"
    shifted = (1 - s.BETA1**s.T).substitute({"t": s.T - 1})
    assert shifted.plain() == "1 − β₁^(t − 1)"
    assert EMA.substitute({}) is EMA


def test_reductions_and_matrix_nodes() -> None:
    W = Sym("W", "W", "W")
    x = Sym("x", "x", "x")
    env = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "x": np.array([1.0, -1.0])}
    cases = {
        func("sum", W): (10.0, "ΣW", r"\sum W"),
        func("mean", W): (2.5, "mean(W)", r"\operatorname{mean}\left(W\right)"),
        func("norm", x): (np.sqrt(2), "‖x‖", r"\left\lVert x \right\rVert"),
        func("absmax", W): (4.0, "max|W|", r"\max\left\lvert W \right\rvert"),
        func("dot", x, x): (2.0, "⟨x, x⟩", r"\langle x, x \rangle"),
        W @ x: ([-1.0, -1.0], "W x", "W x"),
        func("transpose", W): ([[1.0, 3.0], [2.0, 4.0]], "Wᵀ", r"W^\top"),
        func("outer", x, x): ([[1.0, -1.0], [-1.0, 1.0]], "x ⊗ x", r"x \otimes x"),
        func("rowmean", W): ([1.5, 3.5], "rowmean(W)", r"\operatorname{rowmean}\left(W\right)"),
        func("colmean", W): ([2.0, 3.0], "colmean(W)", r"\operatorname{colmean}\left(W\right)"),
        func("solve", W, x): ([-3.0, 2.0], "W⁻¹x", r"W^{-1} x"),
    }
    for formula, (expected, plain, tex) in cases.items():
        assert formula.uses_shapes()
        np.testing.assert_allclose(formula.evaluate(env), expected)
        np.testing.assert_allclose(compile_expr(formula, {})(env), expected)
        assert formula.plain() == plain
        assert formula.latex() == tex
    assert not EMA.uses_shapes()


# --- A tensor-scope optimizer defined only here: normalized gradient descent per tensor ---------

DIRECTION = value("direction", "d", "d", "the gradient scaled to unit length, per tensor")


def _normalized_build(setup: Setup) -> Iterator[Step]:
    yield Assign(DIRECTION, s.G / func("norm", s.G))
    yield from finish(s.LR * DIRECTION.symbol, s.THETA - UPDATE.symbol)


NORMALIZED = OptimizerSpec(
    name="normalized",
    title="Normalized GD",
    summary="θ − η·g/‖g‖ for each tensor.",
    reference="test only",
    year=2000,
    hyperparameters=(lr(0.1),),
    conventions=(Convention("paper", "paper", "test", "per-tensor normalization", NoSwitches()),),
    build=_normalized_build,
    scope="tensor",
)


class Quadratic:
    def value(self, theta: np.ndarray) -> float:
        return float(np.sum((theta - 1) ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return 2 * (theta - 1)


def test_tensor_scope_runs_each_parameter_with_its_shape() -> None:
    layout = Layout.of([("W", (2, 2)), ("b", (2,))])
    start = np.array([3.0, 1.0, 1.0, 1.0, 5.0, 1.0])
    run = trajectory(NORMALIZED.configure({"lr": 0.5}), Quadratic(), start, 1, layout=layout)
    step = run.step(1)
    # W's gradient is (4, 0, 0, 0): unit length (1, 0, 0, 0); b's is (8, 0): (1, 0).
    np.testing.assert_allclose(step.values["direction"], [1, 0, 0, 0, 1, 0])
    np.testing.assert_allclose(step.theta_next, [2.5, 1, 1, 1, 4.5, 1])


def test_coordinate_scope_refuses_shape_aware_nodes() -> None:
    bad = OptimizerSpec(
        name="bad",
        title="bad",
        summary="",
        reference="",
        year=2000,
        hyperparameters=(lr(0.1),),
        conventions=NORMALIZED.conventions,
        build=_normalized_build,
    )
    with pytest.raises(TypeError, match="coordinate-wise optimizer used a shape-aware node"):
        bad.configure({}).algorithm()


# --- A procedure: code for what is not a formula, with its inner iterations noted ---------------

HALVINGS = value("halved", "η", r"\eta", "the step size after backtracking")
BEST = state("best", "L*", "L^*", "the lowest loss so far")


def _backtrack(call: ProcedureCall) -> dict[str, object]:
    """Halve the step until the loss decreases (at most 10 times)."""
    theta, g, rate = call.env["theta"], call.env["g"], float(call.env["lr"])
    current = call.objective.value(theta)
    for trial in range(10):
        candidate = call.objective.value(theta - rate * g)
        call.note(trial=trial, rate=rate, loss=candidate)
        if candidate < current:
            break
        rate /= 2
    return {"halved": rate}


def _backtracking_build(setup: Setup) -> Iterator[Step]:
    yield Procedure((HALVINGS,), (s.LR / 2,), _backtrack)
    yield from finish(HALVINGS.symbol * s.G, s.THETA - HALVINGS.symbol * s.G)


BACKTRACKING = OptimizerSpec(
    name="backtracking",
    title="Backtracking GD",
    summary="halve the step until the loss goes down",
    reference="test only",
    year=2000,
    hyperparameters=(lr(4.0),),
    conventions=NORMALIZED.conventions,
    build=_backtracking_build,
    scope="vector",
)


def test_procedures_run_as_code_and_note_their_iterations() -> None:
    run = trajectory(BACKTRACKING.configure({}), Quadratic(), np.array([2.0]), 2)
    first = run.step(1)
    # From θ = 2 with g = 2: rates 4, 2, 1 give losses 49, 9, 1 (not below 1), 0.5 gives 0.
    assert [row["rate"] for row in first.notes["halved"]] == [4.0, 2.0, 1.0, 0.5]
    assert first.values["halved"] == 0.5
    assert first.theta_next.tolist() == [1.0]


@dataclass(frozen=True)
class _Pair:
    a: float


def test_needs_of_the_hessian_are_supplied_by_the_objective() -> None:
    H = s.HESSIAN

    def newton_build(setup: Setup) -> Iterator[Step]:
        yield from finish(func("solve", H, s.G), s.THETA - UPDATE.symbol)

    newton = OptimizerSpec(
        name="newton-test",
        title="Newton",
        summary="",
        reference="",
        year=1700,
        hyperparameters=(lr(1.0),),
        conventions=NORMALIZED.conventions,
        build=newton_build,
        scope="vector",
    )

    class Bowl(Quadratic):
        def hessian(self, theta: np.ndarray) -> np.ndarray:
            return 2 * np.eye(theta.size)

    run = trajectory(newton.configure({}), Bowl(), np.array([3.0, -2.0]), 1)
    np.testing.assert_allclose(run.step(1).theta_next, [1.0, 1.0])
    assert Program(newton.configure({})).inputs == ("H",)
