"""The Markdown rendering of a solution (for notes, issues and course pages)."""

from __future__ import annotations

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


def _cell(text: str) -> str:
    return text.replace("|", r"\|") if text else ""


def render_markdown(solution: Solution, precision: int) -> str:
    problem = solution.problem
    loss = problem.loss
    lines = [f"# {problem.spec.title}: {len(solution.steps)} step(s)", ""]
    if problem.exercise:
        lines.append(f"- **Exercise:** `{problem.exercise}`")
    lines.append(f"- **Loss:** `L({', '.join(loss.params)}) = {loss.text}`")
    for name, grad in zip(loss.params, loss.gradient_text(), strict=True):
        lines.append(f"- **Gradient:** `∂L/∂{name} = {grad}`")
    lines.append(f"- **Start:** θ₀ = `{value_text(problem.theta0, precision)}`")
    items = ", ".join(
        f"{sym} (`{name}`) = {val}" for sym, name, val in hyperparameter_items(solution, precision)
    )
    lines += [f"- **Hyper-parameters:** {items}", f"- **Convention:** {convention_text(solution)}"]
    for record in tabled_steps(solution):
        lines += [
            "",
            f"## Step {record.t}",
            "",
            f"θₜ = `{value_text(record.theta, precision)}`, "
            f"L(θₜ) = {value_text(record.loss, precision)}",
            "",
            "| Quantity | Formula | With numbers | Value |",
            "|---|---|---|---:|",
        ]
        for row in step_rows(solution, record, precision):
            lines.append(
                f"| {row.symbol} | {_cell(row.formula)} | {_cell(row.substituted)} | "
                f"{value_text(row.value, precision)} |"
            )
    if len(tabled_steps(solution)) < len(solution.steps):
        lines += ["", "## Every step", "", "| t | θₜ | L(θₜ) | L(θₜ₊₁) |", "|---:|---|---:|---:|"]
        lines += [
            f"| {r.t} | {value_text(r.theta, precision)} | {value_text(r.loss, precision)} | "
            f"{value_text(r.loss_next, precision)} |"
            for r in solution.steps
        ]
    lines += ["", "## Verification", ""]
    if solution.steps:
        lines.append(verdict(solution, precision) + ".")
    lines += [f"- Step {t}: the loss did not go down: {reason}." for t, reason in rises(solution)]
    diverged = divergence_text(solution)
    if diverged:
        lines.append(f"**{diverged}**")
    return "\n".join(lines) + "\n"
