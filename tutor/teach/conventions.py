"""Conventions side by side: one problem under PyTorch's, the paper's, optax's, Keras's and the
textbook's arithmetic, and where they part ways.

Everything here is computed from the optimizer definitions: the runs come from the engine, the
differences between formulas are found by comparing the formula trees each convention builds,
and every ratio ("the step is 3.16 times PyTorch's") is measured on the runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine import Config, OptimizerSpec, Trajectory
from tutor.engine.spec import Convention
from tutor.errors import TutorError
from tutor.teach.problem import Problem

SAME = 1e-12  # relative difference below which two conventions give "the same" value


@dataclass(frozen=True)
class Difference:
    """The first quantity at which a convention's run departs from the default convention's.

    ``ratio`` is the measured ``‖value‖ / ‖default value‖`` (None when either is zero or
    missing): what "k times larger" means, computed rather than assumed.
    """

    t: int
    key: str
    symbol: tuple[str, str]  # (plain, LaTeX)
    formula: tuple[str, str] | None  # (plain, LaTeX)
    default_formula: tuple[str, str] | None
    value: Any
    default_value: Any
    ratio: float | None


@dataclass(frozen=True)
class ConventionRun:
    """One convention's run of the problem, or why it could not run it."""

    convention: Convention
    run: Trajectory | None
    refused: str | None
    difference: Difference | None
    missing: tuple[str, ...] = ()  # symbols of quantities the default computes and this does not
    step_ratio: tuple[int, float] | None = None  # (t, ‖Δθ‖ / ‖Δθ default‖) at the first step

    @property
    def final_loss(self) -> float | None:
        if self.run is None:
            return None
        return float(self.run.loss_next[-1]) if len(self.run) else None


@dataclass(frozen=True)
class Comparison:
    """Every convention of the problem's optimizer, run on the same problem."""

    kind = "comparison"

    problem: Problem
    runs: tuple[ConventionRun, ...]

    @property
    def default(self) -> ConventionRun:
        return self.runs[0]


def differs(a: Any, b: Any) -> bool:
    """Whether two values differ by more than :data:`SAME` (relative), or in shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape != b.shape or not np.allclose(a, b, rtol=SAME, atol=0.0)


def _ratio(value: Any, default: Any) -> float | None:
    top, bottom = float(np.linalg.norm(np.ravel(value))), float(np.linalg.norm(np.ravel(default)))
    if top == 0 or bottom == 0 or not np.isfinite(top / bottom):
        return None
    return top / bottom


def _formula(run: Trajectory, key: str, t: int) -> tuple[str, str] | None:
    formulas = run.program.algorithm.formulas
    if key not in formulas:
        return None
    record = run.step(t)
    env = record.environment(run.program.constants)
    env["t"] = float(t)
    shown = formulas[key].specialize(env)
    return shown.plain(), shown.latex()


def first_difference(ours: Trajectory, base: Trajectory) -> Difference | None:
    """The earliest (step, quantity) whose formula or value differs between two runs.

    Quantities that only one of the runs computes (m̂ without bias correction) are listed by
    :func:`missing_quantities` instead; the first difference is among the shared ones.
    """
    for t in range(1, min(len(ours), len(base)) + 1):
        mine, theirs = ours.step(t), base.step(t)
        for quantity in ours.quantities:
            key = quantity.key
            if key not in mine.values or key not in theirs.values:
                continue
            formula, default_formula = _formula(ours, key, t), _formula(base, key, t)
            value, default_value = mine.values[key], theirs.values[key]
            if formula != default_formula or differs(value, default_value):
                return Difference(
                    t,
                    key,
                    (quantity.symbol.text, quantity.symbol.tex),
                    formula,
                    default_formula,
                    value,
                    default_value,
                    _ratio(value, default_value),
                )
    if len(ours) != len(base):
        t = min(len(ours), len(base)) + 1
        return Difference(t, "theta_next", ("θₜ", r"\theta_t"), None, None, None, None, None)
    return None


def missing_quantities(ours: Trajectory, base: Trajectory) -> tuple[str, ...]:
    """Symbols of the quantities the default convention computes and this one does not."""
    keys = {q.key for q in ours.quantities}
    return tuple(q.symbol.text for q in base.quantities if q.key not in keys)


def _run(problem: Problem, config: Config) -> Trajectory:
    return problem.run(config)


def _step_ratio(ours: Trajectory, base: Trajectory) -> tuple[int, float] | None:
    """At the first step where the steps Δθ differ: ‖Δθ‖ / ‖Δθ of the default‖ (measured)."""
    for t in range(1, min(len(ours), len(base)) + 1):
        mine = ours.values["theta_next"][t - 1] - ours.theta[t - 1]
        theirs = base.values["theta_next"][t - 1] - base.theta[t - 1]
        if differs(mine, theirs):
            ratio = _ratio(mine, theirs)
            return None if ratio is None else (t, ratio)
    return None


def compare_conventions(problem: Problem) -> Comparison:
    """Run ``problem`` under every convention of its optimizer, the default first."""
    spec = problem.spec
    values = dict(problem.config.values)
    default_config = spec.configure(values, spec.default_convention)
    base = _run(problem, default_config)
    runs = [ConventionRun(spec.default_convention, base, None, None)]
    for convention in spec.conventions[1:]:
        try:
            config = spec.configure(values, convention)
        except TutorError as error:
            runs.append(ConventionRun(convention, None, str(error), None))
            continue
        ours = _run(problem, config)
        runs.append(
            ConventionRun(
                convention,
                ours,
                None,
                first_difference(ours, base),
                missing_quantities(ours, base),
                _step_ratio(ours, base),
            )
        )
    return Comparison(problem, tuple(runs))


def matching_conventions(problem: Problem, key: str, t: int, answer: Any, rtol: float) -> list[str]:
    """Names of the conventions under which ``answer`` is the value of ``key`` at step ``t``.

    Grading uses this to say "this is the paper's AdamW; the exercise asks for PyTorch's".
    """
    names = []
    for run in compare_conventions(problem).runs:
        if run.run is None or len(run.run) < t:
            continue
        record = run.run.step(t)
        special: dict[str, Any] = {
            "g": record.grad,
            "loss": record.loss,
            "loss_next": record.loss_next,
        }
        value = special.get(key, record.values.get(key))
        if value is not None and np.allclose(answer, value, rtol=rtol, atol=0.0):
            names.append(run.convention.name)
    return names


@dataclass(frozen=True)
class ConventionRow:
    """How one convention of one optimizer writes the quantities where it departs from the
    default, found by building every formula under both."""

    optimizer: str
    convention: Convention
    # (key, symbol (plain, LaTeX), formula (plain, LaTeX) or None where it is not computed)
    formulas: tuple[tuple[str, tuple[str, str], tuple[str, str] | None], ...]
    is_default: bool = False


@dataclass(frozen=True)
class ConventionTable:
    """``tutor conventions``: every optimizer's conventions and what each changes."""

    kind = "conventions"

    rows: tuple[ConventionRow, ...]


def _probe(spec: OptimizerSpec, convention: Convention) -> Config:
    """A configuration that switches on every term a convention can change (decay, momentum)."""
    overrides: dict[str, Any] = {}
    for hyper in spec.hyperparameters:
        if hyper.name in convention.unsupported or hyper.kind != "float":
            continue
        if hyper.name in ("weight_decay", "momentum") and hyper.default == 0:
            overrides[hyper.name] = 0.5
    return spec.configure(overrides, convention)


def _formulas_at_step_2(config: Config) -> dict[str, tuple[tuple[str, str], tuple[str, str]]]:
    algorithm = config.algorithm()
    env: Mapping[str, Any] = {"t": 2.0}
    out = {}
    for quantity in algorithm.quantities:
        shown = algorithm.formulas[quantity.key].specialize(env)
        symbol = (quantity.symbol.text, quantity.symbol.tex)
        out[quantity.key] = (symbol, (shown.plain(), shown.latex()))
    return out


def convention_rows(spec: OptimizerSpec) -> list[ConventionRow]:
    """For every convention: the formulas (at a general step t = 2) that differ from the
    default convention's, with weight decay and momentum switched on so their terms show."""
    default = spec.default_convention
    base = _formulas_at_step_2(_probe(spec, default))
    rows = [ConventionRow(spec.name, default, (), is_default=True)]
    for convention in spec.conventions[1:]:
        ours = _formulas_at_step_2(_probe(spec, convention))
        changed = []
        for key in dict.fromkeys([*base, *ours]):
            mine, theirs = ours.get(key), base.get(key)
            if mine is None or theirs is None or mine[1][0] != theirs[1][0]:
                symbol = (mine or theirs)[0]  # type: ignore[index]
                changed.append((key, symbol, None if mine is None else mine[1]))
        rows.append(ConventionRow(spec.name, convention, tuple(changed)))
    return rows


def convention_table(specs: Sequence[OptimizerSpec]) -> ConventionTable:
    return ConventionTable(tuple(row for spec in specs for row in convention_rows(spec)))
