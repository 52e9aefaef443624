"""The safe parser: what it builds, what it refuses, and that it never executes text."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.errors import ExpressionError
from tutor.symbolic.loss import compile_loss
from tutor.symbolic.parse import MAX_DEPTH, make_symbol, parse_expression

x, y, theta, w = (make_symbol(n) for n in ("x", "y", "theta", "w"))


@pytest.mark.parametrize(
    ("text", "expected", "names"),
    [
        ("(theta - 1)**2", (theta - 1) ** 2, ("theta",)),
        ("(1 - x)**2 + 100*(y - x**2)**2", (1 - x) ** 2 + 100 * (y - x**2) ** 2, ("x", "y")),
        ("sigmoid(w)", 1 / (1 + sympy.exp(-w)), ("w",)),
        ("softplus(x*y)", sympy.log(1 + sympy.exp(x * y)), ("x", "y")),
        ("max(x, 2*x)", sympy.Max(x, 2 * x), ("x",)),
        ("min(x, y, 1)", sympy.Min(x, y, 1), ("x", "y")),
        ("1e-3*x", sympy.Float(0.001) * x, ("x",)),
        ("-x + +y", -x + y, ("x", "y")),
        ("pi*x", sympy.pi * x, ("x",)),
        ("e**x", sympy.exp(x), ("x",)),
        ("abs(x) + sqrt(y)", sympy.Abs(x) + sympy.sqrt(y), ("x", "y")),
        (
            "log(exp(x)) + tanh(y) + cos(x)*sin(y) + tan(x)",
            x + sympy.tanh(y) + sympy.cos(x) * sympy.sin(y) + sympy.tan(x),
            ("x", "y"),
        ),
    ],
)
def test_builds_the_expression(text: str, expected: sympy.Expr, names: tuple[str, ...]) -> None:
    parsed = parse_expression(text)
    assert sympy.simplify(parsed.expr - expected) == 0
    assert parsed.names == names
    assert parsed.text == text


def test_unicode_names() -> None:
    parsed = parse_expression("exp(-θ**2)")
    assert parsed.names == ("θ",)
    assert parsed.expr == sympy.exp(-(make_symbol("θ") ** 2))


def test_params_restrict_the_names_and_may_shadow_constants() -> None:
    assert parse_expression("e*x", ["e", "x"]).expr == make_symbol("e") * x
    with pytest.raises(ExpressionError) as caught:
        parse_expression("a + z", ["a", "b"])
    assert str(caught.value) == (
        "expression 'a + z': unknown name 'z' (parameters: a, b) at column 5"
    )
    with pytest.raises(ExpressionError) as caught:
        parse_expression("thetta**2", ["theta"])
    assert "did you mean 'theta'?" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x ^ 2", "expression 'x ^ 2': '^' is not allowed; use ** for powers at column 1"),
        ("exp(x, y)", "expression 'exp(x, y)': exp takes 1 argument, got 2 at column 1"),
        ("max(x)", "expression 'max(x)': max takes at least 2 arguments, got 1 at column 1"),
        (
            "expp(x)",
            "expression 'expp(x)': unknown function 'expp' (did you mean 'exp'?) at column 1",
        ),
        ("x.__class__", "expression 'x.__class__': attribute access not allowed at column 1"),
        ("1/0", "expression '1/0': division by zero at column 1"),
        ("10**10**10", "expression '10**10**10': exponent larger than 1000 at column 1"),
        ("", "expression '': empty expression"),
        ("x = 1", "expression 'x = 1': invalid syntax at column 3"),
        (
            "sqrt(-1)*x",
            "expression 'sqrt(-1)*x': the expression has complex values; a loss must be real",
        ),
    ],
)
def test_refusals_name_the_part_and_the_column(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert str(caught.value) == message


HOSTILE = [
    "__import__('os').system('ls')",
    "x.__class__",
    "().__class__.__bases__",
    "lambda: 1",
    "[x for x in y]",
    "x if y else z",
    "x ^ 2",
    "x // 2",
    "x % 2",
    "x @ y",
    "x < y",
    "x and y",
    "'abc'",
    "b'x'",
    "f'{x}'",
    "x[0]",
    "open('f')",
    "exp(x, y)",
    "log()",
    "exp(x=1)",
    "exp(*x)",
    "10**10**10",
    "9**9**9**9",
    "2**99999",
    "x**100000",
    "(" * 200 + "x" + ")" * 200 + "+" + "-" * 100 + "x",
    "-" * 10000 + "x",
    "1" * 150,
    "x" * 600,
    "",
    "   ",
    "1/0",
    "x = 1",
    "import os",
    "x; y",
    "exp",
    "True",
    "None",
    "1j",
    "...",
    "{x}",
    "(x, y)",
    "(x := 1)",
    "eval('1')",
    "getattr(x, 'y')",
    "x.real",
    "globals()",
    "[1]*10**9",
    "{**x}",
    "x if True else y",
    "not x",
    "~x",
    "x << 2",
    "1e999*x",
    "0**-1",
    "await x",
    "yield x",
    "x\n+1\nimport os",
    "exec('import os')",
    "compile('1','','eval')",
    "sqrt(-1)*x",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert time.perf_counter() - started < 1.0  # a guard against hangs, not a speed test
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 300


def test_depth_limit() -> None:
    deep = "exp(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_expression(deep)
    shallow = "exp(" * 5 + "x" + ")" * 5
    assert parse_expression(shallow).names == ("x",)


def test_parser_source_never_executes_text() -> None:
    import tutor.symbolic.parse as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    code = re.sub(r'""".*?"""', "", source, flags=re.S)
    for call in ("eval(", "exec(", "sympify(", "parse_expr(", "S(", "compile("):
        assert re.search(rf"(?<![\w.]){re.escape(call)}", code) is None, call


names = st.sampled_from(["a", "b"])
leaves = st.one_of(names, st.integers(0, 9).map(str))


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    return st.one_of(binary, children.map(lambda c: f"({c})**2"), children.map(lambda c: f"-{c}"))


expressions = st.recursive(leaves, _combine, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(text=expressions, a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_arithmetic_matches_python(text: str, a: float, b: float) -> None:
    """Generated arithmetic evaluates like Python arithmetic (our own strings only)."""
    parsed = parse_expression(text, ["a", "b"])
    value = float(parsed.expr.subs({make_symbol("a"): a, make_symbol("b"): b}))
    reference = _evaluate(text, a, b)
    assert value == pytest.approx(reference, rel=1e-9, abs=1e-9)


def _evaluate(text: str, a: float, b: float) -> float:
    """Evaluate our generated arithmetic with a tiny interpreter (no eval)."""
    import ast

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return {"a": a, "b": b}[node.id]
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
        return ops[type(node.op)] if type(node.op) in ops else left**right

    return walk(ast.parse(text, mode="eval").body)


def test_compiled_loss_values_and_gradients() -> None:
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    assert loss.params == ("x", "y")
    assert loss.gradient_text() == ["-400*x*(-x**2 + y) + 2*x - 2", "-200*x**2 + 200*y"]
    point = np.array([-1.5, 2.0])
    assert loss.value(point) == 12.5
    np.testing.assert_array_equal(loss.gradient(point), [-155.0, -50.0])
    batch = np.array([[-1.5, 2.0], [1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(loss.value(batch), [12.5, 0.0, 1.0])
    np.testing.assert_array_equal(loss.gradient(batch), [[-155.0, -50.0], [0, 0], [-2.0, 0.0]])


def test_constant_gradient_components_broadcast_over_a_batch() -> None:
    loss = compile_loss("3*x + y**2")
    np.testing.assert_array_equal(
        loss.gradient(np.array([[1.0, 2.0], [5.0, -1.0]])), [[3.0, 4.0], [3.0, -2.0]]
    )
    np.testing.assert_array_equal(loss.gradient(np.array([1.0, 2.0])), [3.0, 4.0])


def test_compilation_is_cached() -> None:
    assert compile_loss("x**2 + y") is compile_loss("x**2 + y")
    assert compile_loss("x**2 + y", ["y", "x"]).params == ("y", "x")


def test_parameter_names_must_be_identifiers_and_distinct() -> None:
    from tutor.errors import TutorError

    with pytest.raises(TutorError, match="parameter names must be distinct"):
        compile_loss("x + y", ["x", "x"])
    with pytest.raises(TutorError, match="parameter names must be identifiers"):
        compile_loss("x + y", ["x", "1y"])
