"""Vectors, matrices and data: the parser's shaped values, compile_loss over a flat θ, and the
``--data``/``--data-file``/``--params`` readers. Nothing here is timed: work is counted instead."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

import tutor.symbolic.arrays as arrays_module
import tutor.symbolic.data as data_module
import tutor.symbolic.loss as loss_module
import tutor.symbolic.parse as parse_module
from tutor.errors import ExpressionError, TutorError
from tutor.symbolic.data import (
    MAX_FILE_BYTES,
    MAX_NUMBERS,
    parse_data,
    parse_data_value,
    parse_params,
    read_data_file,
)
from tutor.symbolic.loss import MAX_PARAMETER_ENTRIES, compile_loss
from tutor.symbolic.parse import (
    ALLOWED_FUNCTIONS,
    ARRAY_FUNCTIONS,
    MAX_ENTRIES,
    MAX_OPERATIONS,
    data_number,
    make_symbol,
    parse_expression,
)

HINT = "use numbers, names, + - * / ** and functions such as exp(x)"
X = np.array([1.0, 2.0, 3.0])
Y = np.array([0.0, 1.0])
THETA = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])


def refusal(text: str, **kwargs: Any) -> ExpressionError:
    """The ExpressionError raised for ``text`` (any other exception fails the test)."""
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, kwargs.pop("params", None), **kwargs)
    return caught.value


def data_error(call: Any, *args: Any) -> str:
    with pytest.raises(TutorError) as caught:
        call(*args)
    return str(caught.value)


# --------------------------------------------------------------------------------------------
# The worked example of the brief, end to end
# --------------------------------------------------------------------------------------------


def test_least_squares_example_matches_numpy() -> None:
    """tutor solve adam --loss 'sum((W @ x - y)**2)' --params W:2x3 --data x=[1,2,3]
    --data y=[0,1] --theta 0.1,0.2,0.3,0.4,0.5,0.6"""
    items = parse_params("W:2x3")
    data = parse_data(["x=[1,2,3]", "y=[0,1]"])
    loss = compile_loss("sum((W @ x - y)**2)", [n for n, _ in items], shapes=dict(items), data=data)
    assert loss.params == ("W",)
    assert loss.component_names() == ("W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]")
    assert loss.layout.size == 6
    W = THETA.reshape(2, 3)
    residual = W @ X - Y
    np.testing.assert_allclose(loss.value(THETA), np.sum(residual**2), rtol=1e-15)
    np.testing.assert_allclose(
        loss.gradient(THETA), (2 * np.outer(residual, X)).ravel(), rtol=1e-15
    )
    assert loss.gradient_text()[0] == "2*W[0,0] + 4*W[0,1] + 6*W[0,2]"
    batch = np.stack([THETA, -THETA])
    np.testing.assert_allclose(loss.value(batch), [loss.value(THETA), loss.value(-THETA)])
    assert loss.gradient(batch).shape == (2, 6)


def test_data_names_are_not_parameters() -> None:
    parsed = parse_expression("sum((W @ x - y)**2)", shapes={"W": (2, 3)}, data={"x": X, "y": Y})
    assert parsed.names == ("W",)
    assert parsed.shapes == (("W", (2, 3)),)
    assert parsed.layout.component_names()[-1] == "W[1,2]"
    assert parsed.expr.free_symbols == {
        make_symbol(f"W[{i},{j}]") for i in range(2) for j in range(3)
    }


def test_data_entries_are_exact_numbers() -> None:
    assert data_number(2.0) == sympy.Integer(2)
    assert isinstance(data_number(-3.0), sympy.Integer)
    assert data_number(0.1) == sympy.Float(0.1)
    assert float(data_number(0.1)) == 0.1
    assert isinstance(data_number(2.0**60), sympy.Float)  # beyond 2**53 integers are floats


def test_float_data_evaluates_like_numpy() -> None:
    x = np.array([0.1, 0.7, -2.3, 1e-3])
    y = np.array([0.3, -1.1, 0.2, 5.5])
    loss = compile_loss("mean((w*x + b - y)**2)", shapes={}, data={"x": x, "y": y})
    assert loss.params == ("b", "w")
    theta = np.array([0.25, -1.5])
    np.testing.assert_allclose(loss.value(theta), np.mean((-1.5 * x + 0.25 - y) ** 2), rtol=1e-15)


# --------------------------------------------------------------------------------------------
# Operators and functions on shaped values
# --------------------------------------------------------------------------------------------

RNG = np.random.default_rng(7)
A23 = RNG.normal(size=(2, 3))
A32 = RNG.normal(size=(3, 2))
V2 = RNG.normal(size=2)
V3 = RNG.normal(size=3)


@pytest.mark.parametrize(
    ("text", "shape", "data", "numpy_loss"),
    [
        ("sum(P @ B)", (2, 3), {"B": A32}, lambda P: np.sum(P @ A32)),  # matrix @ matrix
        ("sum((P @ v)**2)", (2, 3), {"v": V3}, lambda P: np.sum((P @ V3) ** 2)),  # matrix @ vector
        ("sum(u @ P)", (2, 3), {"u": V2}, lambda P: np.sum(V2 @ P)),  # vector @ matrix
        ("(P @ v)**2", (3,), {"v": V3}, lambda P: (P @ V3) ** 2),  # vector @ vector: a number
        ("sum(B @ P)", (2, 2), {"B": A32}, lambda P: np.sum(A32 @ P)),  # data on the left
        ("sum(P.T @ u)", (2, 3), {"u": V2}, lambda P: np.sum(P.T @ V2)),
        ("sum(transpose(P) @ u)", (2, 3), {"u": V2}, lambda P: np.sum(P.T @ V2)),
        ("sum(P)", (2, 3), {}, np.sum),
        ("mean(P)", (2, 3), {}, np.mean),
        ("dot(P, B)", (3, 2), {"B": A32}, lambda P: np.sum(P * A32)),
        ("norm(P - v)", (3,), {"v": V3}, lambda P: np.linalg.norm(P - V3)),
        ("sum(exp(P) * log(1 + P**2))", (2, 3), {}, lambda P: np.sum(np.exp(P) * np.log1p(P**2))),
        ("sum(max(P, 0) + min(P, v))", (3,), {"v": V3},
         lambda P: np.sum(np.maximum(P, 0) + np.minimum(P, V3))),
        ("sum(sigmoid(P / 2 - 1))", (2, 3), {}, lambda P: np.sum(1 / (1 + np.exp(-(P / 2 - 1))))),
        ("sum(-P * 3 + v**2)", (3,), {"v": V3}, lambda P: np.sum(-P * 3 + V3**2)),
    ],
)  # fmt: skip
def test_shaped_operations_match_numpy(
    text: str, shape: tuple[int, ...], data: dict[str, np.ndarray], numpy_loss: Any
) -> None:
    loss = compile_loss(text, ["P"], shapes={"P": shape}, data=data)
    theta = RNG.uniform(0.2, 1.5, size=int(np.prod(shape)))
    np.testing.assert_allclose(loss.value(theta), numpy_loss(theta.reshape(shape)), rtol=1e-12)
    step = 1e-6
    numeric = [
        (loss.value(theta + step * e) - loss.value(theta - step * e)) / (2 * step)
        for e in np.eye(theta.size)
    ]
    np.testing.assert_allclose(loss.gradient(theta), numeric, rtol=1e-5, atol=1e-7)


def test_transpose_of_a_vector_or_number_is_itself() -> None:
    parsed = parse_expression("sum(v.T * v) + s.T + transpose(s)", shapes={"v": (2,)})
    v0, v1, s = make_symbol("v[0]"), make_symbol("v[1]"), make_symbol("s")
    assert parsed.expr == v0**2 + v1**2 + 2 * s


def test_scalar_functions_of_arrays_reduce_trivially() -> None:
    x = make_symbol("x")
    assert parse_expression("sum(x) + mean(x) + dot(x, 2)").expr == 4 * x
    assert parse_expression("norm(x)").expr == sympy.Abs(x)


@pytest.mark.parametrize(
    ("text", "reason", "column"),
    [
        ("sum(W @ x - z)", "shapes 2 and 3 do not match for '-'", 11),
        ("sum(W - x)", "shapes 2x3 and 3 do not match for '-'", 7),
        ("sum(W * y)", "shapes 2x3 and 2 do not match for '*'", 7),
        ("sum(x / y)", "shapes 3 and 2 do not match for '/'", 7),
        ("sum(x ** y)", "shapes 3 and 2 do not match for '**'", 7),
        ("sum(max(W, x))", "shapes 2x3 and 3 do not match for 'max'", 5),
        ("sum(W @ y)", "shapes 2x3 and 2 do not match for '@' (inner sizes 3 and 2)", 7),
        ("sum(x @ W)", "shapes 3 and 2x3 do not match for '@' (inner sizes 3 and 2)", 7),
        ("sum(x @ 2)", "'@' needs a vector or matrix on both sides; use * to multiply by a "
                       "number", 7),
        ("c @ c", "'@' is not allowed; use * for multiplication", 3),
        ("dot(x, y)", "dot needs two values of the same shape, got 3 and 2; use @ for a matrix "
                      "product", 1),
        ("sum(W.shape)", f"attribute access with '.' is not allowed; {HINT}", 6),
        ("sum(W.T.real)", f"attribute access with '.' is not allowed; {HINT}", 8),
        ("W[0, 1]", f"indexing with [...] is not allowed; {HINT}", 2),
        ("sum(W.T())", "only named functions such as exp(x) can be called; use * to multiply, "
                       "e.g. 2*(x + 1)", 8),
        ("sum(log(y))", "log is undefined at this value", 5),
        ("sum(sqrt(x - 2))", "sqrt of this value is not a real number", 5),
        ("sum(W / y[0])", f"indexing with [...] is not allowed; {HINT}", 10),
        ("sum(x / (y - y))", "shapes 3 and 2 do not match for '/'", 7),
        ("sum(W / (z - z))", "shapes 2x3 and 3 do not match for '/'", 7),
        ("sum(x / (z - z))", "division by zero", 7),
        ("sum(x / y0)", "division by zero", 7),
        ("sum(exp(1000 * x))", "exp of a constant beyond ±700 is outside float64's range; use a "
                               "smaller number", 5),
        ("sum(W**x)", "shapes 2x3 and 3 do not match for '**'", 6),
        ("sum(mean(W, x))", "mean takes 1 argument, got 2", 5),
        ("sum(foo(W))", "unknown function 'foo' (allowed: abs, cos, cosh, exp, log, max, min, "
                        "sigmoid, sin, sinh, softplus, sqrt, tan, tanh; of vectors and matrices: "
                        "dot, mean, norm, sum, transpose); to multiply, write foo*(...)", 5),
        ("summ(W)", "unknown function 'summ' (allowed: abs, cos, cosh, exp, log, max, min, "
                    "sigmoid, sin, sinh, softplus, sqrt, tan, tanh; of vectors and matrices: "
                    "dot, mean, norm, sum, transpose); did you mean 'sum'?", 1),
        ("W + sum", "'sum' is a function; call it with an argument, e.g. sum(x)", 5),
    ],
)  # fmt: skip
def test_shape_refusals_name_both_shapes_and_the_column(
    text: str, reason: str, column: int
) -> None:
    data = {"x": X, "y": Y, "z": np.array([5.0, 6.0, 7.0]), "y0": np.array([1.0, 0.0, 2.0])}
    error = refusal(text, shapes={"W": (2, 3)}, data=data)
    assert (error.reason, error.column) == (reason, column)


@pytest.mark.parametrize(
    ("text", "shapes", "what"),
    [
        ("W @ x", {"W": (2, 3)}, "a vector of 2 numbers"),
        ("W", {"W": (2, 3)}, "a 2x3 matrix"),
        ("V * 2", {"V": (2, 1)}, "a 2x1 matrix"),
        ("x + 1", {}, "a vector of 3 numbers"),
    ],
)
def test_the_loss_must_be_a_single_number(text: str, shapes: dict[str, Any], what: str) -> None:
    error = refusal(text, shapes=shapes, data={"x": X})
    reason = (
        f"the loss must be a single number, but this is {what}; wrap it in sum(...) or mean(...)"
    )
    assert (error.reason, error.column) == (reason, None)


def test_declarations_are_validated() -> None:
    assert refusal("W", params=["W"], shapes={"V": (2,)}).reason == (
        "a shape is given for 'V', which is not a parameter"
    )
    assert refusal("W", shapes={"W": (0, 3)}).reason == (
        "parameter 'W' has shape (0, 3); use 1 or 2 positive sizes"
    )
    assert refusal("W", shapes={"W": (2, 2, 2)}).reason == (
        "parameter 'W' has shape (2, 2, 2); use 1 or 2 positive sizes"
    )
    assert refusal("W", shapes={"W": (10**6,)}).reason == (
        f"parameter 'W' has 1,000,000 entries (the limit is {MAX_ENTRIES:,})"
    )
    assert refusal("W", shapes={"exp": (2,)}).reason == (
        "'exp' is a function name and cannot be a parameter"
    )
    assert refusal("x", params=["x"], data={"x": X}).reason == "'x' is both a parameter and data"
    assert refusal("sum(W)", shapes={"W": (2,)}, data={"W": X}).reason == (
        "'W' is both a parameter and data"
    )
    assert refusal("x", data={"x": np.zeros((2, 2, 2))}).reason == (
        f"data 'x' must have 1 to {MAX_ENTRIES:,} entries in at most 2 dimensions"
    )
    assert refusal("x", data={"x": np.array([1.0, np.nan])}).reason == (
        "data 'x' has a value that is not a finite number"
    )
    assert refusal("x", data={"mean": X}).reason == (
        "'mean' is a function name and cannot be a data name"
    )


def test_unknown_names_list_parameters_and_data() -> None:
    error = refusal("sum(w * xs)", params=["w"], shapes={"w": (3,)}, data={"x": X})
    assert error.reason == "unknown name 'xs' (parameters: w; data: x); did you mean 'x'?"
    assert error.column == 9


# --------------------------------------------------------------------------------------------
# Hostile shapes: refused before the work is done (counted, not timed)
# --------------------------------------------------------------------------------------------


def test_huge_shapes_are_refused_before_any_symbol_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    monkeypatch.setattr(parse_module, "make_symbol", lambda name: made.append(name))
    for shape in [(10**9,), (10**5, 10**5), (2, 10**4), (-1,), (3, 0)]:
        with pytest.raises(ExpressionError):
            parse_expression("sum(W)", shapes={"W": shape})
    assert made == []


def test_too_many_entry_operations_are_refused_before_computing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    products = 0
    real_product = parse_module._Scalars.multiply

    def counting(self: Any, *args: Any) -> Any:
        nonlocal products
        products += 1
        return real_product(self, *args)

    monkeypatch.setattr(parse_module._Scalars, "multiply", counting)
    error = refusal("sum(W @ W @ W)", shapes={"W": (100, 100)})
    assert error.reason == (
        f"the expression is too large: more than {MAX_OPERATIONS:,} operations on entries; "
        "use smaller shapes"
    )
    assert error.column is None
    assert products == 0


# --------------------------------------------------------------------------------------------
# compile_loss: layout, caching, Hessian
# --------------------------------------------------------------------------------------------


def test_layout_follows_the_declared_parameter_order() -> None:
    loss = compile_loss(
        "sum((W @ x + b)**2) + c**2",
        ["c", "W", "b"],
        shapes={"W": (2, 3), "b": (2,)},
        data={"x": X},
    )
    assert loss.params == ("c", "W", "b")
    assert [(p.name, p.shape) for p in loss.layout] == [("c", ()), ("W", (2, 3)), ("b", (2,))]
    assert loss.component_names()[:3] == ("c", "W[0,0]", "W[0,1]")
    assert len(loss.gradient_exprs) == 9


def test_compilation_with_data_is_cached() -> None:
    first = compile_loss("sum((w - x)**2)", shapes={"w": (3,)}, data={"x": X})
    assert compile_loss("sum((w - x)**2)", shapes={"w": [3]}, data={"x": X.copy()}) is first
    other = compile_loss("sum((w - x)**2)", shapes={"w": (3,)}, data={"x": X + 1})
    assert other is not first


def test_hessian_of_a_quadratic_is_the_exact_matrix() -> None:
    A = np.array([[2.0, 1.0, 0.0], [3.0, 4.0, -1.0], [0.5, 0.0, 6.0]])
    loss = compile_loss("x @ A @ x + dot(b, x)", ["x"], shapes={"x": (3,)}, data={"A": A, "b": X})
    assert "hessian_exprs" not in vars(loss)  # derived on first use only
    theta = np.array([0.3, -1.2, 2.0])
    np.testing.assert_array_equal(loss.hessian(theta), A + A.T)
    np.testing.assert_array_equal(loss.hessian(np.stack([theta, 2 * theta])), [A + A.T] * 2)
    np.testing.assert_allclose(loss.gradient(theta), (A + A.T) @ theta + X, rtol=1e-15)


def test_hessian_of_scalar_losses() -> None:
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    np.testing.assert_array_equal(
        loss.hessian(np.array([1.0, 1.0])), [[802.0, -400.0], [-400.0, 200.0]]
    )


def loss_error(text: str, params: list[str] | None = None, **shapes: tuple[int, ...]) -> str:
    """The one-line TutorError message of ``compile_loss`` for ``text``."""
    with pytest.raises(TutorError) as caught:
        compile_loss(text, params, shapes=shapes)
    return str(caught.value)


def test_parameter_entries_are_limited_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deriving and compiling grow with the entries of θ times the expression's size: θ has at
    most MAX_PARAMETER_ENTRIES entries, and declared parameters are counted before parsing."""
    limit = MAX_PARAMETER_ENTRIES
    at_limit = compile_loss("sum(W**2)", ["W", "c"], shapes={"W": (limit - 1,)})
    theta = np.linspace(-1.0, 1.0, limit)
    np.testing.assert_array_equal(at_limit.gradient(theta), [*(2 * theta[:-1]), 0.0])

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed a loss that has too many parameter entries")

    monkeypatch.setattr("tutor.symbolic.parse.parse_expression", no_parsing)
    assert loss_error("sum(W**2)", ["W", "c"], W=(limit,)) == (
        f"loss 'sum(W**2)' has {limit + 1} parameter entries (the limit is {limit}); "
        "use fewer or smaller parameters"
    )
    assert loss_error("sum(W**2)", ["W"], W=(100, 100)) == (
        f"loss 'sum(W**2)' has 10,000 parameter entries (the limit is {limit}); "
        "use fewer or smaller parameters"
    )


def test_parameter_entries_found_in_the_text_are_limited() -> None:
    limit = MAX_PARAMETER_ENTRIES
    assert loss_error("sum(W**2) + c", W=(limit,)) == (
        f"loss 'sum(W**2) + c' has {limit + 1} parameter entries (the limit is {limit}); "
        "use fewer or smaller parameters"
    )
    scalars = " + ".join(f"x{i}**2" for i in range(limit + 1))
    assert loss_error(scalars) == (
        f"loss {scalars!r} has {limit + 1} parameter entries (the limit is {limit}); "
        "use fewer or smaller parameters"
    )


# --------------------------------------------------------------------------------------------
# --data, --data-file and --params
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "name", "expected"),
    [
        ("x=[1,2,3]", "x", np.array([1.0, 2.0, 3.0])),
        ("x=1,2,3", "x", np.array([1.0, 2.0, 3.0])),
        ("A=[[1,2],[3,4]]", "A", np.array([[1.0, 2.0], [3.0, 4.0]])),
        ("c=2.5", "c", np.array(2.5)),
        ("c=-1e-3", "c", np.array(-0.001)),
        (" v = [ .5 , +1, -2. ] ", "v", np.array([0.5, 1.0, -2.0])),
        ("r=[[1, 2, 3]]", "r", np.array([[1.0, 2.0, 3.0]])),
        ("θ=[1]", "θ", np.array([1.0])),
    ],
)
def test_data_values(option: str, name: str, expected: np.ndarray) -> None:
    got_name, array = parse_data_value(option)
    assert got_name == name
    assert array.dtype == np.float64
    np.testing.assert_array_equal(array, expected)
    assert array.shape == expected.shape


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("y=[[1,2],[3,4,5]]", "--data y: row 2 has 3 numbers, the others 2"),
        ("y=[[1,2,3],[1,2],[4,5,6]]", "--data y: row 2 has 2 numbers, the others 3"),
        ("x=[1,[2]]", "--data x: mixes numbers and lists; use [[1, 2], [3, 4]]"),
        ("x=[[[1]]]", "--data x: at most 2 dimensions (a matrix) are supported"),
        ("x=[]", "--data x: the list is empty"),
        ("x=[[]]", "--data x: the list is empty"),
        ("x=", "--data x: no values after '='"),
        ("x", "--data 'x': write NAME=VALUES, e.g. x=[1,2,3]"),
        ("=1", "--data : '' is not a valid name"),
        ("exp=1", "--data exp: 'exp' is a function name and cannot be a data name"),
        ("sum=1", "--data sum: 'sum' is a reserved name; choose another name"),
        ("_a=1", "--data _a: name '_a' is not allowed; names must not start with '_'"),
        ("1x=2", "--data 1x: '1x' is not a valid name"),
        ("x=[1,2", "--data x: unbalanced brackets"),
        ("x=1,,2", "--data x: misplaced ',' at character 3"),
        ("x=[1 2]", "--data x: misplaced '2' at character 4"),
        ("x=[1,2]]", "--data x: misplaced ']' at character 6"),
        ("x=nan", "--data x: unexpected 'nan'; write numbers such as [1, 2.5, -3]"),
        ("x=inf", "--data x: unexpected 'inf'; write numbers such as [1, 2.5, -3]"),
        ("x=1e999", "--data x: every number must be finite"),
        ("x=__import__('os')", "--data x: unexpected '__import__'; write numbers such as "
                               "[1, 2.5, -3]"),
        ("x={'a': 1}", "--data x: unexpected \"{'a': 1}\"; write numbers such as [1, 2.5, -3]"),
        ("x=" + ",".join(["1"] * (MAX_NUMBERS + 1)),
         f"--data x: more than {MAX_NUMBERS:,} numbers"),
    ],
)  # fmt: skip
def test_data_value_refusals(option: str, message: str) -> None:
    assert data_error(parse_data_value, option) == message


def test_data_names_must_be_distinct() -> None:
    assert data_error(parse_data, ["x=1", "y=2", "x=3"]) == "--data x: given more than once"
    assert list(parse_data(["x=1", "y=[2,3]"])) == ["x", "y"]


def test_json_data_file(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"x": [1, 2, 3], "A": [[1, 2], [3, 4]], "c": 2.5}))
    data = read_data_file(path)
    assert list(data) == ["x", "A", "c"]
    np.testing.assert_array_equal(data["A"], [[1.0, 2.0], [3.0, 4.0]])
    assert data["c"].shape == ()
    sniffed = tmp_path / "data.txt"
    sniffed.write_text('{"y": [0, 1]}')
    np.testing.assert_array_equal(read_data_file(sniffed)["y"], [0.0, 1.0])


def test_csv_data_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x, y\n1, 0.5\n2, -1\n\n3, 4e2\n")
    data = read_data_file(path)
    np.testing.assert_array_equal(data["x"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(data["y"], [0.5, -1.0, 400.0])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.json", '{"x": [1, 2], "x": [3]}', "--data-file d.json: 'x' appears more than once"),
        ("d.json", '{"x": NaN}', "--data-file d.json: NaN is not a finite number"),
        ("d.json", '{"x": Infinity}', "--data-file d.json: Infinity is not a finite number"),
        ("d.json", '{"x": 1e999}', "--data-file d.json: x: every number must be finite"),
        ("d.json", '{"x": [1, "2"]}', "--data-file d.json: x: only numbers are allowed"),
        ("d.json", '{"x": [true]}', "--data-file d.json: x: only numbers are allowed"),
        ("d.json", '{"x": null}', "--data-file d.json: x: only numbers are allowed"),
        ("d.json", '{"x": {"a": 1}}', "--data-file d.json: 'x' must be a number or a list of "
                                      "numbers"),
        ("d.json", '{"x": [[1, 2], [3]]}', "--data-file d.json: x: row 2 has 1 number, the "
                                           "others 2"),
        ("d.json", '{"x": [[[1]]]}', "--data-file d.json: x: at most 2 dimensions (a matrix) "
                                     "are supported"),
        ("d.json", '[1, 2]', "--data-file d.json: expected a JSON object such as "
                             '{"x": [1, 2, 3]}'),
        ("d.json", '{}', "--data-file d.json: expected a JSON object such as {\"x\": [1, 2, 3]}"),
        ("d.json", '{"x": [1, 2]', "--data-file d.json: not valid JSON (Expecting ',' "
                                   "delimiter, line 1)"),
        ("d.json", '{"exp": 1}', "--data-file d.json: 'exp' is a function name and cannot be a "
                                 "data name"),
        ("d.json", '{"x": ' + "[" * 100_000, "--data-file d.json: lists are nested too deeply"),
        ("d.json", json.dumps({"x": [1] * 6000, "y": [1] * 6000}),
         f"--data-file d.json: 12,000 numbers (the limit is {MAX_NUMBERS:,})"),
        ("d.csv", "x,y\n1,2\n3\n", "--data-file d.csv: line 3 has 1 value, the header has 2 "
                                   "names"),
        ("d.csv", "x,y\n1,abc\n", "--data-file d.csv: line 2, column 'y': 'abc' is not a "
                                  "number"),
        ("d.csv", "x,y\n1,\n", "--data-file d.csv: line 2, column 'y': '' is not a number"),
        ("d.csv", "x,y\n1,nan\n", "--data-file d.csv: line 2, column 'y': 'nan' is not a "
                                  "number"),
        ("d.csv", "x,x\n1,2\n", "--data-file d.csv: the column 'x' appears more than once"),
        ("d.csv", "x,1y\n1,2\n", "--data-file d.csv: '1y' is not a valid name"),
        ("d.csv", "x,y\n", "--data-file d.csv: expected a header row of names and at least "
                           "one row of numbers"),
        ("d.csv", "x\n" + "1\n" * (MAX_NUMBERS + 1), f"--data-file d.csv: more than "
                                                     f"{MAX_NUMBERS:,} numbers"),
        ("d.csv", b"x\n\xff\n", "--data-file d.csv: not UTF-8 text"),
    ],
)  # fmt: skip
def test_data_file_refusals(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert data_error(read_data_file, path) == message


def test_big_data_files_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk

    def no_reading(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    message = f"--data-file big.csv: {MAX_FILE_BYTES + 1:,} bytes (the limit is {MAX_FILE_BYTES:,})"
    assert data_error(read_data_file, path) == message
    assert data_error(read_data_file, tmp_path / "missing.csv") == (
        "--data-file missing.csv: cannot read it (No such file or directory)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W:2x3,b:3,x", [("W", (2, 3)), ("b", (3,)), ("x", ())]),
        ("x", [("x", ())]),
        (" W : 2 X 3 , b ", [("W", (2, 3)), ("b", ())]),
        ("v:1", [("v", (1,))]),
        (f"big:{MAX_ENTRIES}", [("big", (MAX_ENTRIES,))]),
    ],
)
def test_params_syntax(text: str, expected: list[tuple[str, tuple[int, ...]]]) -> None:
    assert parse_params(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("W:2x3x4", "--params W: 3 dimensions; at most 2 (a matrix) are supported"),
        ("W:0x3", "--params W: size '0' must be a positive whole number; write e.g. W:2x3"),
        ("W:-1", "--params W: size '-1' must be a positive whole number; write e.g. W:2x3"),
        ("W:1.5", "--params W: size '1.5' must be a positive whole number; write e.g. W:2x3"),
        ("W:2x", "--params W: a size is missing; write e.g. W:2x3"),
        ("W:", "--params W: a size is missing; write e.g. W:2x3"),
        ("W:1000x1000", f"--params W: 1,000,000 entries (the limit is {MAX_ENTRIES:,})"),
        ("W:" + "9" * 5000, f"--params W: too many entries (the limit is {MAX_ENTRIES:,})"),
        ("x,x", "--params x: given more than once"),
        ("W:2,W:3", "--params W: given more than once"),
        ("x,,y", "--params 'x,,y': empty entry; write e.g. W:2x3,b:3,x"),
        ("", "--params '': empty entry; write e.g. W:2x3,b:3,x"),
        ("exp", "--params exp: 'exp' is a function name and cannot be a parameter"),
        ("mean:3", "--params mean: 'mean' is a function name and cannot be a parameter"),
        ("W-1:2", "--params W-1: 'W-1' is not a valid name"),
    ],
)
def test_params_syntax_refusals(text: str, message: str) -> None:
    assert data_error(parse_params, text) == message


def test_array_functions_are_documented_and_not_element_wise() -> None:
    assert sorted(ARRAY_FUNCTIONS) == ["dot", "mean", "norm", "sum", "transpose"]
    assert not set(ARRAY_FUNCTIONS) & set(ALLOWED_FUNCTIONS)


def test_arrays_stand_below_the_parser() -> None:
    """The shape rules import neither the parser nor SymPy: the parser imports them."""
    code = "import sys, tutor.symbolic.arrays; print(sorted(set(sys.modules) & NAMES))"
    names = {"sympy", "tutor.symbolic.parse", "tutor.symbolic.loss"}
    run = subprocess.run(
        [sys.executable, "-c", code.replace("NAMES", repr(names))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module", [parse_module, arrays_module, loss_module, data_module], ids=lambda m: m.__name__
)
def test_docstring_examples_run(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert (result.failed, result.attempted > 0) == (0, True)
