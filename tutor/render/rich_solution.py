"""The Rich rendering of a solution: a table per step and a verification line."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.engine import StepRecord
from tutor.render.numbers import value_text
from tutor.render.rows import step_rows
from tutor.render.solution_common import (
    convention_text,
    divergence_text,
    hyperparameter_items,
    rises,
    tabled_steps,
    verdict,
)
from tutor.teach.solve import Solution

SUMMARY_ROWS = 20


def _header(solution: Solution, precision: int) -> RenderableType:
    problem = solution.problem
    loss = problem.loss
    lines = Text()
    lines.append(f"{problem.spec.title}", style="bold")
    lines.append(f" — {problem.spec.summary}\n")
    if problem.exercise:
        lines.append("Exercise: ", style="bold").append(f"{problem.exercise}\n")
    lines.append("Loss: ", style="bold").append(f"L({', '.join(loss.params)}) = {loss.text}\n")
    for name, grad in zip(loss.params, loss.gradient_text(), strict=True):
        lines.append("Gradient: ", style="bold").append(f"∂L/∂{name} = {grad}\n")
    lines.append("Start: ", style="bold").append(f"θ₀ = {value_text(problem.theta0, precision)}\n")
    items = ", ".join(f"{sym} = {val}" for sym, _, val in hyperparameter_items(solution, precision))
    lines.append("Hyper-parameters: ", style="bold").append(f"{items}\n")
    lines.append("Convention: ", style="bold").append(convention_text(solution))
    return lines


def _step_table(solution: Solution, record: StepRecord, precision: int) -> Table:
    table = Table(
        title=(
            f"Step {record.t}: θₜ = {value_text(record.theta, precision)}, "
            f"L(θₜ) = {value_text(record.loss, precision)}"
        ),
        title_justify="left",
        show_lines=False,
    )
    table.add_column("Quantity", style="bold cyan", no_wrap=True)
    table.add_column("Formula")
    table.add_column("With numbers")
    table.add_column("Value", justify="right", style="bold")
    for row in step_rows(solution, record, precision):
        table.add_row(row.symbol, row.formula, row.substituted, value_text(row.value, precision))
    return table


def _summary_table(solution: Solution, precision: int) -> Table:
    table = Table(title="Every step", title_justify="left")
    table.add_column("t", justify="right")
    table.add_column("θₜ")
    table.add_column("L(θₜ)", justify="right")
    table.add_column("θₜ₊₁")
    table.add_column("L(θₜ₊₁)", justify="right")
    steps = solution.steps
    shown = steps if len(steps) <= SUMMARY_ROWS else steps[: SUMMARY_ROWS // 2]
    for record in shown:
        _summary_row(table, record, precision)
    if len(steps) > SUMMARY_ROWS:
        table.add_row("…", f"{len(steps) - SUMMARY_ROWS} steps not shown", "", "", "")
        for record in steps[-SUMMARY_ROWS // 2 :]:
            _summary_row(table, record, precision)
    return table


def _summary_row(table: Table, record: StepRecord, precision: int) -> None:
    table.add_row(
        str(record.t),
        value_text(record.theta, precision),
        value_text(record.loss, precision),
        value_text(record.theta_next, precision),
        value_text(record.loss_next, precision),
    )


def _verification(solution: Solution, precision: int) -> RenderableType:
    text = Text()
    if solution.steps:
        decreased = solution.final_loss < solution.steps[0].loss
        text.append(verdict(solution, precision), style="green" if decreased else "red")
    risen = rises(solution)
    if risen and len(solution.steps) > 1:
        text.append(f"\nThe loss did not go down in {len(risen)} of {len(solution.steps)} steps.")
    for t, reason in risen[:3]:
        text.append(f"\nStep {t}: the loss did not go down: {reason}.")
    diverged = divergence_text(solution)
    if diverged:
        text.append(("\n" if text else "") + diverged, style="bold red")
    return text


def render_rich(solution: Solution, precision: int) -> RenderableType:
    """Header, step tables (all of a short run, the ends of a long one), summary, verification."""
    parts: list[RenderableType] = [_header(solution, precision), Text()]
    tabled = tabled_steps(solution)
    for record in tabled:
        parts += [_step_table(solution, record, precision), Text()]
    if len(tabled) < len(solution.steps):
        parts += [_summary_table(solution, precision), Text()]
    parts.append(_verification(solution, precision))
    return Group(*parts)
