"""Conventions as documents: a problem under every convention, and the table of conventions."""

from __future__ import annotations

import difflib
from typing import Any

from tutor.render.blocks import (
    Block,
    Bullets,
    Code,
    Document,
    Heading,
    Inlines,
    Math,
    Number,
    Paragraph,
    Text,
    inlines,
    join,
    table,
)
from tutor.render.numbers import distinct_texts, json_value
from tutor.render.options import RenderOptions
from tutor.teach.conventions import Comparison, ConventionRun, ConventionTable, differs

MAX_STEP_COLUMNS = 6


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def highlighted(formula: tuple[str, str] | None, default: str | None) -> Inlines:
    """The formula (plain, LaTeX), its characters that differ from ``default`` highlighted
    where the format can (the terminal); other formats print its LaTeX."""
    if formula is None:
        return inlines(Text("—", "highlight"))
    plain, tex = formula
    if default is None:
        return inlines(Math(plain, tex, ((plain, "highlight"),)))
    matcher = difflib.SequenceMatcher(a=default, b=plain, autojunk=False)
    runs = tuple(
        (plain[start:end], "" if tag == "equal" else "highlight")
        for tag, _, _, start, end in matcher.get_opcodes()
        if end > start
    )
    return inlines(Math(plain, tex, runs))


def _shown_steps(comparison: Comparison) -> list[int]:
    steps = comparison.problem.steps
    return list(range(1, steps + 1)) if steps <= MAX_STEP_COLUMNS else [1, 2, steps]


def _theta_after(run: ConventionRun, t: int, layout: Any) -> Inlines:
    if run.run is None:
        return inlines("—")
    if len(run.run) < t:
        return inlines("diverged")
    return inlines(Number(run.run.values["theta_next"][t - 1], layout))


def ratio_text(ratio: float, precision: int) -> Inlines:
    """``3.11988 times`` or ``1/3.2 of``; digits enough to show that a ratio near 1 is not 1."""
    digits = precision
    while digits < 17 and float(f"{ratio:.{digits}g}") == 1.0:
        digits += 1
    return inlines(f"{ratio:.{digits}g} times")


def _difference(run: ConventionRun, options: RenderOptions) -> Inlines:
    difference = run.difference
    missing = inlines(f" (no {', '.join(run.missing)})") if run.missing else ()
    if difference is None:
        return inlines("same numbers") + missing
    symbol = Math(*difference.symbol)
    if difference.value is None or difference.default_value is None:
        return inlines(symbol, f" (step {difference.t})") + missing
    if not differs(difference.value, difference.default_value):
        return inlines(symbol, ": written differently, same values") + missing
    ours, theirs = distinct_texts(difference.value, difference.default_value, options.precision)
    return inlines(symbol, f" at step {difference.t}: {ours} vs {theirs}") + missing


def _explanation(run: ConventionRun, default: str, options: RenderOptions) -> list[Block]:
    convention = run.convention
    head = inlines(Text(convention.name, "bold"), f" ({convention.source})")
    if run.refused:
        return [Paragraph(head + inlines(": not run: ", run.refused))]
    lines: list[Inlines] = []
    if run.missing:
        lines.append(inlines(f"Does not compute {', '.join(run.missing)}."))
    difference = run.difference
    if difference is None:
        lines.append(inlines(f"Same numbers as {default} here."))
    else:
        if difference.formula is not None or difference.default_formula is not None:
            base = difference.default_formula
            mine = difference.formula
            plain, tex = difference.symbol
            lines.append(
                inlines(
                    f"{default}: ",
                    Math(
                        f"{plain} = {base[0] if base else '—'}",
                        f"{tex} = {base[1] if base else ''}",
                    ),
                )
            )
            lines.append(
                inlines(f"{convention.name}: ", Math(plain, tex), " = ")
                + highlighted(mine, base[0] if base else None)
            )
        if difference.value is not None and difference.default_value is not None:
            if differs(difference.value, difference.default_value):
                ours, theirs = distinct_texts(
                    difference.value, difference.default_value, options.precision
                )
                lines.append(inlines(f"At step {difference.t}: {ours} instead of {theirs}."))
            else:
                lines.append(
                    inlines("The same values here (to 12 digits); only the writing differs.")
                )
    if run.step_ratio is not None:
        t, ratio = run.step_ratio
        lines.append(
            inlines(f"Measured: at step {t} its step ", Math("Δθₜ", r"\Delta\theta_t"), " is ")
            + ratio_text(ratio, options.precision)
            + inlines(f" {default}'s.")
        )
    lines.append(inlines("Why: ", convention.summary, "."))
    return [Paragraph(head), Bullets(tuple(lines))]


def build_comparison(comparison: Comparison, options: RenderOptions) -> Document:
    problem = comparison.problem
    layout = problem.layout
    default = comparison.default.convention.name
    steps = _shown_steps(comparison)
    rows = []
    for run in comparison.runs:
        final = inlines(Number(run.final_loss)) if run.final_loss is not None else inlines("—")
        note = inlines(run.refused) if run.refused else _difference(run, options)
        if run is comparison.default:
            note = inlines("(the default)")
        rows.append(
            (
                inlines(run.convention.name),
                *(_theta_after(run, t, layout) for t in steps),
                final,
                note,
            )
        )
    headers: list[str | tuple[str, str]] = ["convention"]
    headers += [(f"θ{_subscript(t)}", "right") for t in steps]
    headers += [("final loss", "right"), f"first difference from {default}"]
    title = f"{problem.spec.title} under every convention"
    blocks: list[Block] = [
        Heading(1, inlines(title)),
        table(inlines("θ after each step"), headers, rows),
    ]
    for run in comparison.runs[1:]:
        blocks.extend(_explanation(run, default, options))
    return Document(title, tuple(blocks))


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    problem = comparison.problem
    runs = []
    for run in comparison.runs:
        d = run.difference
        runs.append(
            {
                "name": run.convention.name,
                "title": run.convention.title,
                "source": run.convention.source,
                "summary": run.convention.summary,
                "refused": run.refused,
                "missing": list(run.missing),
                "theta": None if run.run is None else run.run.values["theta_next"].tolist(),
                "final": None
                if run.run is None
                else {"theta": json_value(run.run.final_theta), "loss": run.final_loss},
                "step_ratio": None
                if run.step_ratio is None
                else {"t": run.step_ratio[0], "ratio": run.step_ratio[1]},
                "first_difference": None
                if d is None
                else {
                    "t": d.t,
                    "quantity": d.key,
                    "formula": d.formula[0] if d.formula else None,
                    "default_formula": d.default_formula[0] if d.default_formula else None,
                    "value": None if d.value is None else json_value(d.value),
                    "default_value": None
                    if d.default_value is None
                    else json_value(d.default_value),
                    "ratio": d.ratio,
                },
            }
        )
    return {
        "optimizer": problem.spec.name,
        "params": [{"name": p.name, "shape": list(p.shape)} for p in problem.layout],
        "loss": problem.loss.text,
        "theta0": json_value(problem.theta0),
        "hyperparameters": {k: json_value(v) for k, v in problem.config.values.items()},
        "steps": problem.steps,
        "default": comparison.default.convention.name,
        "conventions": runs,
    }


def _row_differences(row: Any) -> Inlines:
    if row.is_default:
        return inlines("(the default) ", row.convention.summary)
    pieces: list[Inlines] = []
    for _, (plain, tex), formula in row.formulas:
        if formula is None:
            pieces.append(inlines(Text("no ", "highlight"), Math(plain, tex)))
        else:
            pieces.append(inlines(Math(f"{plain} = {formula[0]}", f"{tex} = {formula[1]}")))
    if not pieces:
        pieces.append(inlines("same formulas"))
    if row.convention.unsupported:
        pieces.append(inlines(f"has no {', '.join(sorted(row.convention.unsupported))}"))
    return join(pieces, "; ") + inlines(". Why: ", row.convention.summary)


def build_table(result: ConventionTable, options: RenderOptions) -> Document:
    title = "Conventions, computed from the definitions"
    rows = [
        (
            inlines(row.optimizer),
            inlines(Code(row.convention.name)),
            inlines(row.convention.source),
            _row_differences(row),
        )
        for row in result.rows
    ]
    return Document(
        title,
        (
            Heading(1, inlines(title)),
            table(
                inlines("Where each convention departs from the optimizer's default"),
                ["optimizer", "convention", "source", "what differs (formulas at step t = 2)"],
                rows,
            ),
        ),
    )


def table_data(result: ConventionTable) -> dict[str, Any]:
    return {
        "conventions": [
            {
                "optimizer": row.optimizer,
                "name": row.convention.name,
                "title": row.convention.title,
                "source": row.convention.source,
                "summary": row.convention.summary,
                "default": row.is_default,
                "switches": dict(row.convention.switches.items()),
                "unsupported": sorted(row.convention.unsupported),
                "differences": [
                    {
                        "quantity": key,
                        "symbol": symbol[0],
                        "formula": None if formula is None else formula[0],
                        "latex": None if formula is None else formula[1],
                    }
                    for key, symbol, formula in row.formulas
                ],
            }
            for row in result.rows
        ]
    }
