"""Rendering conventions: the side-by-side comparison of one problem, and the table of how each
convention writes an optimizer's formulas."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.render.numbers import json_value, value_text
from tutor.render.solution_common import subscript
from tutor.teach.conventions import Comparison, ConventionRow, ConventionRun, differs

MAX_STEP_COLUMNS = 6


def highlighted(formula: str, default: str | None) -> Text:
    """``formula`` with the characters that differ from ``default`` in bold yellow."""
    text = Text()
    if default is None:
        return text.append(formula, style="bold yellow")
    matcher = difflib.SequenceMatcher(a=default, b=formula, autojunk=False)
    for tag, _, _, start, end in matcher.get_opcodes():
        text.append(formula[start:end], style=None if tag == "equal" else "bold yellow")
    return text


def _shown_steps(comparison: Comparison) -> list[int]:
    steps = comparison.problem.steps
    if steps <= MAX_STEP_COLUMNS:
        return list(range(1, steps + 1))
    return [1, 2, steps]


def _theta_after(run: ConventionRun, t: int, precision: int) -> str:
    if run.solution is None:
        return "—"
    steps = run.solution.steps
    if len(steps) < t:
        return "diverged"
    return value_text(steps[t - 1].theta_next, precision)


def distinct_texts(a: Any, b: Any, precision: int) -> tuple[str, str]:
    """``a`` and ``b`` written with just enough digits (at least ``precision``) to tell them
    apart: 0.102 and 0.102 become 0.1019999995 and 0.1019999842."""
    for digits in range(precision, 18):
        first, second = value_text(a, digits), value_text(b, digits)
        if first != second:
            return first, second
    return first, second


def _difference_text(run: ConventionRun, precision: int) -> str:
    difference = run.difference
    missing = f" (no {', '.join(run.missing)})" if run.missing else ""
    if difference is None:
        return "same numbers" + missing
    if difference.value is None or difference.default_value is None:
        return f"{difference.symbol} (step {difference.t}){missing}"
    if not differs(difference.value, difference.default_value):
        return f"{difference.symbol}: written differently, same values{missing}"
    ours, theirs = distinct_texts(difference.value, difference.default_value, precision)
    return f"{difference.symbol} at step {difference.t}: {ours} vs {theirs}{missing}"


def render_comparison_rich(comparison: Comparison, precision: int) -> RenderableType:
    problem = comparison.problem
    default = comparison.default.convention
    steps = _shown_steps(comparison)
    table = Table(
        title=f"{problem.spec.title} under every convention: θ after each step",
        title_justify="left",
    )
    table.add_column("convention", style="bold cyan", no_wrap=True)
    for t in steps:
        table.add_column(f"θ{subscript(t)}", justify="right")
    table.add_column("final loss", justify="right")
    table.add_column(f"first difference from {default.name}")
    for run in comparison.runs:
        final = value_text(run.solution.final_loss, precision) if run.solution is not None else "—"
        note = run.refused if run.refused else _difference_text(run, precision)
        if run is comparison.default:
            note = "(the default)"
        table.add_row(
            run.convention.name, *(_theta_after(run, t, precision) for t in steps), final, note
        )
    parts: list[RenderableType] = [table]
    for run in comparison.runs[1:]:
        parts.append(Text())
        parts.append(_explanation(run, default.name, precision))
    return Group(*parts)


def _explanation(run: ConventionRun, default: str, precision: int) -> Text:
    convention = run.convention
    text = Text()
    text.append(f"{convention.name}", style="bold").append(f" ({convention.source})\n")
    if run.refused:
        return text.append(f"  not run: {run.refused}")
    difference = run.difference
    if run.missing:
        text.append(f"  Does not compute {', '.join(run.missing)}.\n")
    if difference is None:
        return text.append(f"  Same numbers as {default} here. {convention.summary}.")
    if difference.formula is not None or difference.default_formula is not None:
        text.append(f"  {default:>9}: {difference.symbol} = {difference.default_formula or '—'}\n")
        text.append(f"  {convention.name:>9}: {difference.symbol} = ")
        text.append_text(highlighted(difference.formula or "—", difference.default_formula))
        text.append("\n")
    if difference.value is not None and difference.default_value is not None:
        if differs(difference.value, difference.default_value):
            ours, theirs = distinct_texts(difference.value, difference.default_value, precision)
            text.append(f"  At step {difference.t}: {ours} instead of {theirs}.\n")
        else:
            text.append("  The same values here (to 12 digits); only the way of writing differs.\n")
    text.append(f"  Why: {convention.summary}.")
    return text


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    problem = comparison.problem
    runs = []
    for run in comparison.runs:
        difference = run.difference
        runs.append(
            {
                "name": run.convention.name,
                "title": run.convention.title,
                "source": run.convention.source,
                "summary": run.convention.summary,
                "refused": run.refused,
                "missing": list(run.missing),
                "theta": None
                if run.solution is None
                else [json_value(r.theta_next) for r in run.solution.steps],
                "final": None
                if run.solution is None
                else {
                    "theta": json_value(run.solution.final_theta),
                    "loss": run.solution.final_loss,
                },
                "first_difference": None
                if difference is None
                else {
                    "t": difference.t,
                    "quantity": difference.key,
                    "formula": difference.formula,
                    "default_formula": difference.default_formula,
                    "value": None if difference.value is None else json_value(difference.value),
                    "default_value": None
                    if difference.default_value is None
                    else json_value(difference.default_value),
                },
            }
        )
    return {
        "optimizer": problem.spec.name,
        "params": list(problem.loss.params),
        "loss": problem.loss.text,
        "theta0": json_value(problem.theta0),
        "hyperparameters": {
            k: json_value(v)
            for k, v in problem.spec.hyperparameter_values(problem.hyperparameters).items()
        },
        "steps": problem.steps,
        "default": comparison.default.convention.name,
        "conventions": runs,
    }


def render_comparison_json(comparison: Comparison) -> str:
    return json.dumps(comparison_data(comparison), indent=2, ensure_ascii=False)


def render_comparison_markdown(comparison: Comparison, precision: int) -> str:
    steps = _shown_steps(comparison)
    default = comparison.default.convention.name
    head = ["convention", *(f"θ{subscript(t)}" for t in steps), "final loss", "first difference"]
    lines = [
        f"# {comparison.problem.spec.title} under every convention",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for run in comparison.runs:
        final = value_text(run.solution.final_loss, precision) if run.solution else "—"
        note = run.refused or _difference_text(run, precision)
        if run is comparison.default:
            note = "(the default)"
        cells = [run.convention.name, *(_theta_after(run, t, precision) for t in steps), final]
        lines.append("| " + " | ".join([*cells, note]) + " |")
    lines.append("")
    for run in comparison.runs[1:]:
        d = run.difference
        lines.append(
            f"- **{run.convention.name}** ({run.convention.source}): {run.convention.summary}."
        )
        if d is not None and (d.formula or d.default_formula):
            lines.append(
                f"  - {default}: `{d.symbol} = {d.default_formula}`; "
                f"{run.convention.name}: `{d.symbol} = {d.formula}`"
            )
    return "\n".join(lines) + "\n"


def render_convention_rows_rich(rows: Sequence[ConventionRow]) -> RenderableType:
    table = Table(
        title="Conventions, computed from the definitions", title_justify="left", show_lines=True
    )
    table.add_column("optimizer", style="bold", no_wrap=True)
    table.add_column("convention", style="bold cyan", no_wrap=True)
    table.add_column("source")
    table.add_column("what differs from the first convention")
    for row in rows:
        table.add_row(
            row.optimizer, row.convention.name, row.convention.source, _row_differences(row)
        )
    return table


def _row_differences(row: ConventionRow) -> Text:
    text = Text()
    if row.is_default:
        return text.append(f"(the default) {row.convention.summary}")
    if not row.formulas:
        return text.append(f"same formulas. {row.convention.summary}")
    for index, (_, symbol, formula) in enumerate(row.formulas):
        if index:
            text.append("\n")
        if formula is None:
            text.append(f"no {symbol}", style="bold yellow")
        else:
            text.append(f"{symbol} = ").append(formula, style="bold yellow")
    if row.convention.unsupported:
        text.append(f"\nhas no {', '.join(sorted(row.convention.unsupported))}")
    return text.append(f"\n{row.convention.summary}")


def convention_rows_data(rows: Sequence[ConventionRow]) -> list[dict[str, Any]]:
    return [
        {
            "optimizer": row.optimizer,
            "name": row.convention.name,
            "title": row.convention.title,
            "source": row.convention.source,
            "summary": row.convention.summary,
            "default": row.is_default,
            "unsupported": sorted(row.convention.unsupported),
            "differences": [
                {"quantity": key, "symbol": symbol, "formula": formula}
                for key, symbol, formula in row.formulas
            ],
        }
        for row in rows
    ]


def render_convention_rows_markdown(rows: Sequence[ConventionRow]) -> str:
    lines = ["| optimizer | convention | source | differences |", "|---|---|---|---|"]
    for row in rows:
        diffs = "; ".join(f"`{s} = {f}`" for _, s, f in row.formulas) or "—"
        lines.append(
            f"| {row.optimizer} | {row.convention.name} | {row.convention.source} | {diffs} |"
        )
    return "\n".join(lines) + "\n"
