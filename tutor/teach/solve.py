"""Solving a problem step by step: the data behind ``tutor solve`` (printing is the renderers').

:func:`solve` runs the engine's :func:`~tutor.engine.run.trajectory` and adds what a teacher would
say about it: a checked :class:`~tutor.teach.verdicts.Claim` for every step that did not move the
loss towards the goal (up to :data:`EXPLAINED_STEPS` of them; the rest are counted), the outcome
of the whole run, the reason for a divergence, and which steps every output format shows in full
(:class:`Selection`), so that a 1000-step run reads the same in Rich, Markdown and LaTeX.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tutor.engine import StepRecord, Trajectory
from tutor.engine.formula import Sym
from tutor.errors import TutorError
from tutor.symbolic.printing import Derivative, Template
from tutor.teach.problem import Problem
from tutor.teach.verdicts import (
    Claim,
    curvature_claims,
    divergence_claim,
    failed_step,
    goal_sign,
    step_claim,
)

if TYPE_CHECKING:
    from tutor.teach.schedule import ScheduleTrace

FULL_TABLES_UP_TO = 5  # runs this short show every step in full
EXPLAINED_STEPS = 50  # steps against the goal that get a checked reason; the rest are counted
SUMMARY_ROWS = 20  # the summary table's default size (every K-th step)
LISTED_CLAIMS = 3  # step claims listed under the tables before "and N more"


@dataclass(frozen=True)
class View:
    """What the reader asked to see; the same for every output format.

    Attributes:
        every: show every K-th step in full and in the summary (``--every K``).
        show_steps: these steps in full (``--show-steps 3,17,40-45``).
        describe: each quantity's meaning under the table (None: for one-step runs).
    """

    every: int | None = None
    show_steps: tuple[int, ...] | None = None
    describe: bool | None = None


@dataclass(frozen=True)
class Selection:
    """Which steps are shown, decided once for every format.

    Attributes:
        full: steps whose whole table is shown, in order.
        summary: steps listed in the summary table (empty when every step is in ``full``).
        summary_every: the summary's stride (1: every step).
        listed: step claims spelled out under the tables.
        more_claims: how many further step claims exist (the "and N more").
    """

    full: tuple[int, ...]
    summary: tuple[int, ...]
    summary_every: int
    listed: tuple[Claim, ...]
    more_claims: int


@dataclass(frozen=True)
class MatrixInput:
    """A matrix the steps read besides the gradient (Newton's Hessian, the natural gradient's
    Fisher matrix), as the header and the tables show it.

    Attributes:
        key: the engine's input key (``H``, ``F``).
        symbol: its symbol at step t, ``(plain, tex)``.
        formula: how it is defined, ``(plain, tex)``.
        label: what it is called in the header.
        entries: for the Hessian, each entry's formula with slots for θ (row by row), so a table
            can show it with this step's numbers.
        definitions: header lines: each second derivative (upper triangle), or the model and
            the Fisher matrix's definition.
    """

    key: str
    symbol: tuple[str, str]
    formula: tuple[str, str]
    label: str
    entries: tuple[Template, ...] = ()
    definitions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class Solution:
    """A solved problem: the run and what can truthfully be said about it."""

    kind = "solution"

    problem: Problem
    run: Trajectory
    claims: dict[int, Claim]
    against_goal: tuple[int, ...]
    outcome: Claim
    divergence: Claim | None
    selection: Selection
    view: View
    topics: tuple[str, ...] = ()
    gradient: tuple[Template, ...] = field(default=())
    derivatives: tuple[Derivative, ...] = field(default=())
    failed: StepRecord | None = None
    schedule: ScheduleTrace | None = None
    matrices: tuple[MatrixInput, ...] = ()
    curvature: dict[int, tuple[Claim, ...]] = field(default_factory=dict)

    explained_limit = EXPLAINED_STEPS

    @property
    def steps(self) -> int:
        return len(self.run)

    @functools.cached_property
    def against_goal_set(self) -> frozenset[int]:
        return frozenset(self.against_goal)

    def step(self, t: int) -> StepRecord:
        return self.run.step(t)

    @property
    def final_theta(self) -> np.ndarray:
        return self.run.final_theta

    @property
    def final_loss(self) -> float:
        if len(self.run):
            return float(self.run.loss_next[-1])
        return float(self.problem.loss.value(self.problem.theta0))

    @property
    def describe(self) -> bool:
        return self.view.describe if self.view.describe is not None else self.problem.steps == 1


def parse_steps(text: str) -> tuple[int, ...]:
    """``"3,17,40-45"`` as ``(3, 17, 40, 41, 42, 43, 44, 45)``; a TutorError otherwise."""
    chosen: list[int] = []
    for part in text.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise TutorError(
                f"--show-steps takes step numbers and ranges such as 3,17,40-45; got {part!r}"
            ) from None
        if first < 1 or last < first or last - first > 10_000:
            raise TutorError(f"--show-steps: {part!r} is not a range of steps from 1 up")
        chosen.extend(range(first, last + 1))
    return tuple(sorted(set(chosen)))


def _select(
    run_length: int, claims: dict[int, Claim], against: Sequence[int], view: View
) -> Selection:
    steps = run_length
    listed_steps = list(against[:LISTED_CLAIMS])
    listed = tuple(claims[t] for t in listed_steps if t in claims)
    more = len(against) - len(listed)
    if view.show_steps is not None:
        full = tuple(t for t in view.show_steps if t <= steps)
    elif view.every is not None:
        full = tuple(
            sorted({1, steps, *range(view.every, steps + 1, view.every)} & set(range(1, steps + 1)))
        )
    elif steps <= FULL_TABLES_UP_TO:
        full = tuple(range(1, steps + 1))
    else:
        full = tuple(sorted({1, steps, *listed_steps}))
    shown_with_table = {t for t in full if t in set(against) and t not in listed_steps}
    more -= len(shown_with_table)
    if steps <= FULL_TABLES_UP_TO and view.every is None and view.show_steps is None:
        return Selection(full, (), 1, listed, more)
    every = view.every or max(1, -(-steps // SUMMARY_ROWS))
    summary = tuple(sorted({1, steps, *range(every, steps + 1, every), *listed_steps}))
    return Selection(full, summary, every, listed, more)


def topics_for(problem: Problem) -> tuple[str, ...]:
    """The ``tutor explain`` topics behind a solution: the optimizer's own, then the ideas its
    quantities use (bias correction, weight decay, momentum) and, off the default convention,
    why conventions differ. Only topics that exist are named."""
    from tutor.content.topics import topic_ids

    known = topic_ids()
    spec = problem.config.spec
    keys = {q.key for q in problem.config.algorithm().quantities}
    wanted = [spec.name]
    if {"m_hat", "v_hat"} & keys:
        wanted.append("bias-correction")
    if {"m", "momentum_buffer", "velocity"} & keys:
        wanted.append("momentum")
    if problem.config.values.get("weight_decay"):
        wanted.append("weight-decay-vs-l2")
    if problem.config.convention.name != spec.default_convention.name:
        wanted.append("conventions")
    if problem.schedule is not None:
        wanted.append(_schedule_topic(problem.schedule.spec))
    if problem.config.clipping is not None:
        wanted.append("gradient-clipping")
    return tuple(dict.fromkeys(t for t in wanted if t in known))


def _schedule_topic(spec: Any) -> str:
    """The topic that explains a schedule: found by its name, torch's class or an alias."""
    from tutor.content.explain import find_topic

    for name in (spec.name, spec.torch_name, *spec.aliases):
        try:
            return find_topic(name).id
        except TutorError:
            continue
    return "learning-rate"


def solve(
    problem: Problem,
    view: View | None = None,
    progress: Callable[[int], None] | None = None,
) -> Solution:
    """Run the problem through the engine and say, truthfully, what happened."""
    view = view or View()
    if view.every is not None and view.every < 1:
        raise TutorError(f"--every must be a whole number >= 1, got {view.every}")
    scheduled = problem.scheduled()
    run = problem.run(progress=progress, scheduled=scheduled)
    schedule = None
    if scheduled is not None:
        from tutor.teach.schedule import trace_of

        schedule = trace_of(scheduled, run.loss_next)
    sign = goal_sign(problem.config)
    against = tuple(int(i) + 1 for i in np.flatnonzero(~(sign * run.loss_next < sign * run.loss)))
    claims: dict[int, Claim] = {}
    wanted = set(against[:EXPLAINED_STEPS])
    if view.show_steps:
        wanted |= set(view.show_steps) & set(against)
    for t in sorted(wanted):
        claim = step_claim(problem, run.step(t))
        if claim is not None:
            claims[t] = claim
    selection = _select(len(run), claims, against, view)
    for t in selection.full:  # every step shown in full gets its reason, whatever the cap
        if t in set(against) and t not in claims:
            claim = step_claim(problem, run.step(t))
            if claim is not None:
                claims[t] = claim
    first = float(run.loss[0]) if len(run) else float(problem.loss.value(problem.theta0))
    last = float(run.loss_next[-1]) if len(run) else first
    outcome = Claim(
        "outcome",
        None,
        {
            "loss_before": first,
            "loss_after": last,
            "steps": len(run),
            "goal": "maximize" if sign < 0 else "minimize",
            "against_goal": len(against),
        },
    )
    curvature: dict[int, tuple[Claim, ...]] = {}
    if run.inputs:  # a second-order method: say what the matrix it solved with does
        checked = sorted(set(range(1, min(len(run), EXPLAINED_STEPS) + 1)) | set(selection.full))
        for t in checked:
            found = curvature_claims(problem, run, run.step(t))
            if t not in selection.full:  # beyond the tables only warnings are kept
                found = tuple(c for c in found if c.kind == "indefinite")
            if found:
                curvature[t] = found
    return Solution(
        problem,
        run,
        claims,
        against,
        outcome,
        divergence_claim(problem, run),
        selection,
        view,
        topics_for(problem),
        problem.loss.templates,
        problem.loss.derivatives,
        failed_step(problem, run),
        schedule=schedule,
        matrices=matrix_inputs(problem, run),
        curvature=curvature,
    )


def matrix_inputs(problem: Problem, run: Trajectory) -> tuple[MatrixInput, ...]:
    """The matrices the run's steps read (the Hessian ``H``, a model's Fisher matrix ``F``)."""
    symbols = {
        node.key: (node.text, node.tex)
        for formula in run.program.algorithm.formulas.values()
        for node in formula.walk()
        if isinstance(node, Sym)
    }
    found = []
    for key in run.inputs:
        if key == "H":
            found.append(_hessian_input(problem, symbols[key]))
        elif key == "F":
            found.append(_fisher_input(problem, symbols[key]))
    return tuple(found)


def _hessian_input(problem: Problem, symbol: tuple[str, str]) -> MatrixInput:
    from tutor.symbolic import printing
    from tutor.symbolic.parse import make_symbol

    loss = problem.loss
    names = problem.layout.component_names()
    symbols = [make_symbol(name) for name in names]
    exprs = loss.hessian_exprs
    flat = [entry for row in exprs for entry in row]
    lines = []
    for i, name in enumerate(names):
        for j in range(i, len(names)):
            tex_i, tex_j = printing.latex(symbols[i]), printing.latex(symbols[j])
            if i == j:
                head = f"∂²L/∂{name}²"
                head_tex = rf"\frac{{\partial^2 L}}{{\partial {tex_i}^2}}"
            else:
                head = f"∂²L/∂{name}∂{names[j]}"
                head_tex = rf"\frac{{\partial^2 L}}{{\partial {tex_i}\, \partial {tex_j}}}"
            expr = exprs[i][j]
            lines.append((f"{head} = {expr}", f"{head_tex} = {printing.latex(expr)}"))
    return MatrixInput(
        "H",
        symbol,
        ("∇²L(θₜ₋₁)", r"\nabla^2 L(\theta_{t-1})"),
        "Hessian",
        printing.templates(flat, symbols),
        tuple(lines),
    )


def _fisher_input(problem: Problem, symbol: tuple[str, str]) -> MatrixInput:
    model = getattr(problem.loss, "model", None)
    kind = str(problem.config.values.get("fisher", "true"))
    if model is None:
        return MatrixInput("F", symbol, ("F(θₜ₋₁)", r"F(\theta_{t-1})"), "Fisher matrix")
    formula = model.fisher_formula(kind)
    return MatrixInput("F", symbol, formula, f"Fisher matrix ({kind})", (), (formula,))


def solve_quietly(problem: Problem) -> Solution:
    """:func:`solve` with the default view (for callers that render nothing)."""
    return solve(problem, View())


def quantity_value(record: StepRecord, key: str) -> Any:
    """The value of an asked key at one step: ``g``, ``loss``, ``loss_next`` or a quantity."""
    special = {"g": record.grad, "loss": record.loss, "loss_next": record.loss_next}
    return special[key] if key in special else record.values[key]
