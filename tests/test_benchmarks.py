"""Smoke test of benchmarks/run.py: its pure parts at tiny sizes. Nothing here is timed.

Speed itself is measured only by ``python benchmarks/run.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tutor.engine import get_optimizer, iterate
from tutor.symbolic.loss import compile_loss

RUN_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_engine_steps_match_a_direct_iterate(bench):
    timed = bench.ours_steps(steps=100, repeats=1)
    config = get_optimizer("adamw").configure({"lr": 1e-3})
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    expected = iterate(config, np.array([-1.5, 2.0]), loss.gradient, 100)
    assert timed.rate > 0
    np.testing.assert_array_equal(timed.result, expected)


def test_engine_grid_rows_match_single_runs(bench):
    lrs = bench.learning_rates(4)
    timed = bench.ours_grid(20, lrs, repeats=1)
    spec = get_optimizer("adamw")
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    rows = [
        iterate(spec.configure({"lr": float(lr)}), np.array([-1.5, 2.0]), loss.gradient, 20)
        for lr in lrs
    ]
    assert timed.rate > 0
    assert timed.result.shape == (4, 2)
    np.testing.assert_allclose(timed.result, np.array(rows), rtol=1e-12)


def row(bench, ratio: float, target: float, lower_is_better: bool, **extra):
    return bench.Row("m", "s", ratio, 1.0, target, lower_is_better, **extra)


@pytest.mark.parametrize(
    ("ratio", "target", "lower_is_better", "verdict"),
    [
        (1.2, 1.5, True, "PASS"),  # time or memory below its ceiling
        (1.5, 1.5, True, "PASS"),  # on the bound counts
        (1.6, 1.5, True, "FAIL"),
        (12.0, 10.0, False, "PASS"),  # rate above its floor
        (8.0, 10.0, False, "FAIL"),
    ],
)
def test_verdict_follows_the_direction(bench, ratio, target, lower_is_better, verdict):
    assert row(bench, ratio, target, lower_is_better).verdict == verdict


def test_rows_without_reference_or_with_different_numbers(bench):
    missing = bench.Row("m", "/s", 5.0, None, 10, False, "torch not installed")
    assert (missing.ratio, missing.verdict) == (None, "-")
    assert row(bench, 20.0, 10.0, False, agrees=False).verdict == "MISMATCH"


def test_table_has_one_line_per_row(bench):
    rows = [
        bench.Row("start-up", "s", 0.150, 0.100, 1.5, True),
        bench.Row("steps", "/s", 50_000.0, 10_000.0, 10, False),
        bench.Row("grid", "/s", 1_000.0, None, 100, False, "torch not installed"),
        bench.Row("memory", "KiB", 2048.0, 1024.0, 1.2, True),
        bench.Row("first run", "s", 0.400, 0.300, None, True),  # shown for information
    ]
    lines = bench.format_table(rows).splitlines()
    assert lines[0].split() == ["measurement", "ours", "reference", "ratio", "target", "pass/fail"]
    assert [line.split() for line in lines[2:]] == [
        ["start-up", "150.0", "ms", "100.0", "ms", "1.500", "<=", "1.50", "PASS"],
        ["steps", "50,000", "/s", "10,000", "/s", "5.000", ">=", "10.0", "FAIL"],
        ["grid", "1,000", "/s", "torch", "not", "installed", "-", ">=", "100", "-"],
        ["memory", "2.0", "MiB", "1.0", "MiB", "2.000", "<=", "1.20", "FAIL"],
        ["first", "run", "400.0", "ms", "300.0", "ms", "1.333", "-", "-"],
    ]


def test_importtime_parsing(bench):
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |     tutor.engine.spec\n"
        "import time:       300 |        420 |   tutor.engine\n"
        "import time:        50 |        470 | tutor\n"
    )
    assert bench.parse_importtime(stderr) == [
        ("tutor.engine.spec", 120, 120, 2),
        ("tutor.engine", 300, 420, 1),
        ("tutor", 50, 470, 0),
    ]


def test_engine_rows_without_torch_have_no_verdict(bench):
    rows, checks = bench.engine_rows(None)
    assert [(r.reference, r.missing, r.verdict) for r in rows] == [
        (None, "torch not installed", "-"),
        (None, "torch not installed", "-"),
    ]
    assert all(r.ours > 0 for r in rows)
    assert checks == []


def test_parser_rows_parse_the_same_expression_as_sympy():
    spec = importlib.util.spec_from_file_location("benchmarks_parser", RUN_PY.parent / "parser.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        rows = module.parser_rows(sizes=(3, 12), repeats=1)
    finally:
        del sys.modules[spec.name]
    assert [row.terms for row in rows] == [3, 12]
    assert all(row.agrees for row in rows)
    assert all(row.ours > 0 and row.reference > 0 for row in rows)
