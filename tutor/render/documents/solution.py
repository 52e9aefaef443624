"""A solution as a document: header, one table per selected step, summary, and what it means."""

from __future__ import annotations

from typing import Any

import numpy as np

from tutor.engine import StepRecord
from tutor.render.blocks import (
    Block,
    Bullets,
    Code,
    Document,
    Fields,
    Heading,
    Inlines,
    Math,
    Number,
    Paragraph,
    Table,
    Text,
    inlines,
    join,
    table,
)
from tutor.render.narration import outcome, sentence
from tutor.render.numbers import (
    scalar_text,
    substitution_formatter,
    tex_number,
    tex_substitution_formatter,
    value_text,
)
from tutor.render.options import RenderOptions
from tutor.teach.solve import MatrixInput, Solution

MAX_SUBSTITUTED = 100  # characters: longer "with numbers" cells are left out
CURVATURE_STYLE: dict[str, Any] = {"indefinite": "bad", "newton_relation": "note"}
MAX_GRADIENT_LINES = 6


def _symbol(quantity: Any) -> Math:
    return Math(quantity.symbol.text, quantity.symbol.tex)


def hyperparameter_items(solution: Solution) -> Inlines:
    """``η (--lr) = 0.1, β₁ (--beta1) = 0.9, …``: each symbol with the flag that sets it."""
    spec, values = solution.problem.spec, solution.problem.config.values
    parts = []
    for hyper in spec.hyperparameters:
        parts.append(
            inlines(
                Math(hyper.symbol.text, hyper.symbol.tex)
                if hyper.kind in ("float", "int")
                else Text(hyper.name),
                " (",
                Code(hyper.option),
                ") = ",
                Number(values[hyper.name])
                if values[hyper.name] is not None or not hyper.unset
                else Text(f"none, so {hyper.unset}"),
            )
        )
    return join(parts)


def _gradient_lines(solution: Solution) -> list[Inlines]:
    shown = solution.derivatives[:MAX_GRADIENT_LINES]
    lines = [inlines(Math(d.plain, d.latex)) for d in shown]
    if len(solution.derivatives) > MAX_GRADIENT_LINES:
        lines.append(
            inlines(f"and {len(solution.derivatives) - MAX_GRADIENT_LINES} more components")
        )
    return lines


def header(solution: Solution) -> Fields:
    problem = solution.problem
    loss, layout = problem.loss, problem.layout
    items: list[tuple[str, Inlines]] = []
    if problem.exercise:
        items.append(("Exercise", inlines(Code(problem.exercise))))
    items.append(("Loss", inlines(Code(f"L({', '.join(loss.params)}) = {loss.text}"))))
    if not layout.all_scalar:
        shapes = ", ".join(f"{p.name} ({p.shape_text()})" for p in layout)
        items.append(("Parameters", inlines(shapes + ", flattened row by row into θ")))
    for line in _gradient_lines(solution):
        items.append(("Gradient", line))
    items.extend(_matrix_lines(solution))
    items.append(("Start", inlines(Math("θ₀", r"\theta_0"), " = ", Number(problem.theta0, layout))))
    items.append(("Hyper-parameters", hyperparameter_items(solution)))
    convention = problem.convention
    items.append(
        ("Convention", inlines(f"{convention.title}: {convention.summary} [{convention.source}]"))
    )
    if solution.schedule is not None:
        from tutor.render.documents.schedule import header_items

        items.extend(header_items(solution.schedule))
    clipping = problem.config.clipping
    if clipping is not None:
        items.append(("Clipping", inlines(Code(clipping.torch_call), ", before every step")))
    for note in problem.notes:
        items.append(("Note", inlines(note)))
    return Fields(tuple(items))


def _matrix_lines(solution: Solution) -> list[tuple[str, Inlines]]:
    """Header lines for the matrices the steps read: the Hessian's second derivatives, or the
    model whose Fisher matrix is used and that matrix's definition."""
    items: list[tuple[str, Inlines]] = []
    model = getattr(solution.problem.loss, "model", None)
    for matrix in solution.matrices:
        if matrix.key == "F" and model is not None:
            items.append(("Model", inlines(f"{model.title}: {model.likelihood}")))
            items.append(
                ("Example loss", inlines(Code(f"ℓᵢ = {model.example_loss}"), " (one example)"))
            )
        shown = matrix.definitions[:MAX_GRADIENT_LINES]
        for plain, tex in shown:
            items.append((matrix.label[:1].upper() + matrix.label[1:], inlines(Math(plain, tex))))
        hidden = len(matrix.definitions) - len(shown)
        if hidden:
            items.append((matrix.label, inlines(f"and {hidden} more entries")))
    return items


def matrix_text(value: Any, precision: int) -> str:
    """A matrix as nested rows, ``[[2, 1], [1, 6]]``."""
    rows = np.atleast_2d(np.asarray(value, dtype=np.float64))
    cells = [", ".join(scalar_text(x, precision) for x in row) for row in rows]
    return "[" + ", ".join(f"[{row}]" for row in cells) + "]"


def matrix_tex(value: Any, precision: int) -> str:
    """A matrix as a LaTeX ``bmatrix``."""
    rows = np.atleast_2d(np.asarray(value, dtype=np.float64))
    cells = [" & ".join(tex_number(scalar_text(x, precision)) for x in r) for r in rows]
    return r"\begin{bmatrix}" + r" \\ ".join(cells) + r"\end{bmatrix}"


def _formatters(options: RenderOptions) -> tuple[Any, Any]:
    """Formatters for numbers inside formulas that print matrices (Newton's H) as matrices."""
    plain, tex = (
        substitution_formatter(options.precision),
        tex_substitution_formatter(options.precision),
    )

    def plain_fmt(value: Any) -> str:
        return matrix_text(value, options.precision) if np.ndim(value) == 2 else plain(value)

    def tex_fmt(value: Any) -> str:
        return matrix_tex(value, options.precision) if np.ndim(value) == 2 else tex(value)

    return plain_fmt, tex_fmt


def _matrix_row(
    matrix: MatrixInput, record: StepRecord, options: RenderOptions
) -> tuple[Inlines, ...]:
    """A matrix the step read: its symbol, its definition, its entries' formulas with this
    step's numbers (the Hessian) and its value."""
    value = record.inputs[matrix.key]
    with_numbers: Inlines = ()
    if matrix.entries:
        plain_fmt = substitution_formatter(options.precision)
        tex_fmt = tex_substitution_formatter(options.precision)
        n = len(value)
        plain = [tpl.fill(record.theta, plain_fmt) for tpl in matrix.entries]
        tex = [tpl.fill(record.theta, tex_fmt, tex=True) for tpl in matrix.entries]
        rows = ["[" + ", ".join(plain[i * n : (i + 1) * n]) + "]" for i in range(n)]
        text = "[" + ", ".join(rows) + "]"
        if len(text) <= MAX_SUBSTITUTED:
            tex_rows = [" & ".join(tex[i * n : (i + 1) * n]) for i in range(n)]
            with_numbers = inlines(
                Math(text, r"\begin{bmatrix}" + r" \\ ".join(tex_rows) + r"\end{bmatrix}")
            )
    return (
        inlines(Math(*matrix.symbol)),
        inlines(Math(*matrix.formula)),
        with_numbers,
        inlines(Math(matrix_text(value, options.precision), matrix_tex(value, options.precision))),
    )


def _gradient_row(
    solution: Solution, record: StepRecord, options: RenderOptions
) -> tuple[Inlines, ...]:
    problem = solution.problem
    plain_fmt = substitution_formatter(options.precision)
    tex_fmt = tex_substitution_formatter(options.precision)
    names = problem.layout.component_names()
    symbol = inlines(Math("gₜ", "g_t"))
    if len(names) == 1:
        derivative = solution.derivatives[0]
        formula = Math(derivative.plain, derivative.latex)
    else:
        formula = Math("∇L(θₜ₋₁)", r"\nabla L(\theta_{t-1})")
    filled_plain = [tpl.fill(record.theta, plain_fmt) for tpl in solution.gradient]
    filled_tex = [tpl.fill(record.theta, tex_fmt, tex=True) for tpl in solution.gradient]
    if len(filled_plain) == 1:
        numbers = Math(filled_plain[0], filled_tex[0])
    else:
        numbers = Math(
            "[" + ", ".join(filled_plain) + "]",
            r"\begin{bmatrix}" + r" \\ ".join(filled_tex) + r"\end{bmatrix}",
        )
    with_numbers = inlines(numbers) if len(numbers.plain) <= MAX_SUBSTITUTED else ()
    return (symbol, inlines(formula), with_numbers, inlines(Number(record.grad, problem.layout)))


def step_table(
    solution: Solution,
    t: int,
    options: RenderOptions,
    record: StepRecord | None = None,
    highlight: str | None = None,
) -> Table:
    """Every quantity of step ``t``: formula, formula with numbers, value. The row of the
    quantity ``highlight`` (a key, or ``g``) is marked, as a quiz marks the value it asked."""
    problem = solution.problem
    record = record if record is not None else solution.step(t)
    run = solution.run
    algorithm = run.program.algorithm
    env = record.environment(run.program.constants)
    env["t"] = float(t)
    plain_fmt, tex_fmt = _formatters(options)
    layout = problem.layout
    rows = []
    if solution.schedule is not None:
        from tutor.render.documents.schedule import step_rows

        rows = step_rows(solution.schedule, t, options)
    gradient_row = len(rows)
    rows.append(_gradient_row(solution, record, options))
    rows += [_matrix_row(m, record, options) for m in solution.matrices if m.key in record.inputs]
    for quantity in algorithm.quantities:
        if not quantity.in_tables:
            continue
        formula = algorithm.formulas[quantity.key]
        if quantity.key not in record.values:
            condition = algorithm.condition(quantity.key)
            why = (
                inlines("only when ", Math(condition.plain(), condition.latex()))
                if condition is not None
                else inlines("not computed")
            )
            rows.append((inlines(_symbol(quantity)), why, (), inlines("—")))
            continue
        shown = formula.specialize(env)
        # A procedure's formula may describe what it computed in words: no numbers go in.
        numbers = shown.plain(env, plain_fmt) if shown.symbols <= env.keys() else ""
        rows.append(
            (
                inlines(_symbol(quantity)),
                inlines(Math(shown.plain(), shown.latex())),
                inlines(Math(numbers, shown.latex(env, tex_fmt)))
                if numbers and len(numbers) <= MAX_SUBSTITUTED
                else (),
                inlines(
                    Number(record.values[quantity.key], _value_layout(record, quantity.key, layout))
                ),
            )
        )
        if quantity.key == highlight:
            rows[-1] = mark_row(rows[-1])
    if highlight == "g":
        rows[gradient_row] = mark_row(rows[gradient_row])
    elif highlight == "lr" and solution.schedule is not None:
        rows[gradient_row - 1] = mark_row(rows[gradient_row - 1])
    title = inlines(
        f"Step {t}{' (the run stopped here)' if record is solution.failed else ''}: ",
        Math("θₜ₋₁", r"\theta_{t-1}"),
        " = ",
        Number(record.theta, layout),
        ", ",
        Math("L(θₜ₋₁)", r"L(\theta_{t-1})"),
        " = ",
        Number(record.loss),
    )
    return table(
        title,
        ["Quantity", "Formula", "With numbers", ("Value", "right")],
        rows,
    )


def mark_row(row: tuple[Inlines, ...]) -> tuple[Inlines, ...]:
    """A table row with an arrow before its symbol and "asked" after its value (the quiz
    marks the value it asked)."""
    first, *middle, last = row
    return (
        (Text("→ ", "highlight"), *first),
        *middle,
        (*last, Text(" ← asked", "highlight")),
    )


def _value_layout(record: StepRecord, key: str, layout: Any) -> Any:
    value = record.values[key]
    return layout if np.size(value) == layout.size else None


def _descriptions(solution: Solution) -> Bullets:
    algorithm = solution.run.program.algorithm
    items = [
        inlines(Math("gₜ", "g_t"), ": the gradient of the loss at ", Math("θₜ₋₁", r"\theta_{t-1}"))
    ]
    items += [inlines(_symbol(q), ": ", q.description) for q in algorithm.quantities if q.in_tables]
    return Bullets(tuple(items))


MAX_NOTE_ENTRIES = 8  # longer vectors in a notes table show their ends (JSON has every entry)


def _note_cell(value: Any) -> Inlines:
    if isinstance(value, str):
        return inlines(value)
    array = np.asarray(value)
    if array.ndim == 1 and array.size > MAX_NOTE_ENTRIES:
        return inlines(Number(array[:3]), " … ", Number(array[-3:]), f" ({array.size} values)")
    return inlines(Number(value))


def _notes_table(record: StepRecord, quantities: Any = ()) -> list[Block]:
    """One table per procedure's notes: titled by the quantity it computes, or by its name
    (a procedure's named tables, e.g. L-BFGS's curvature pairs)."""
    keys = {q.key for q in quantities}
    blocks: list[Block] = []
    for key, rows in record.notes.items():
        if not rows:
            continue
        columns = list(dict.fromkeys(c for row in rows for c in row))
        title = f"inner iterations of {key}" if key in keys else key
        blocks.append(
            table(
                inlines(f"Step {record.t}: {title}"),
                columns,
                (
                    [inlines("—") if c not in row else _note_cell(row[c]) for c in columns]
                    for row in rows
                ),
            )
        )
    return blocks


def summary_table(solution: Solution) -> Table:
    selection = solution.selection
    layout = solution.problem.layout
    rows = []
    for t in selection.summary:
        record = solution.step(t)
        rows.append(
            (
                inlines(str(t)),
                inlines(Number(record.theta, layout)),
                inlines(Number(record.loss)),
                inlines(Number(record.theta_next, layout)),
                inlines(Number(record.loss_next)),
            )
        )
    every = selection.summary_every
    title = "Every step" if every == 1 else f"Every {every}th step (and the steps discussed)"
    caption = (
        inlines(
            f"{solution.steps - len(selection.summary)} more steps not listed; ",
            Code("--every 1"),
            " lists them all, ",
            Code("--format json"),
            " has every step.",
        )
        if len(selection.summary) < solution.steps
        else ()
    )
    return table(
        inlines(title),
        [("t", "right"), "θₜ₋₁", ("L(θₜ₋₁)", "right"), "θₜ", ("L(θₜ)", "right")],
        rows,
        caption,
    )


def outcome_symbol(solution: Solution) -> Math:
    """θ with the last step's number: the run ends at θₙ."""
    return Math(f"θ{_subscript(solution.steps)}", rf"\theta_{{{solution.steps}}}")


def verification(solution: Solution) -> list[Block]:
    blocks: list[Block] = []
    end = outcome_symbol(solution)
    if solution.steps:
        e = solution.outcome.evidence
        good = (e["loss_after"] < e["loss_before"]) != (e["goal"] == "maximize")
        blocks.append(Paragraph(outcome(solution.outcome, end), "good" if good else "bad"))
    against = len(solution.against_goal)
    if against and solution.steps > 1:
        direction = "go up" if solution.outcome.evidence["goal"] == "maximize" else "go down"
        blocks.append(
            Paragraph(
                inlines(f"The loss did not {direction} in {against} of {solution.steps} steps.")
            )
        )
    listed = solution.selection.listed
    if listed:
        blocks.append(Bullets(tuple(sentence(c) for c in listed)))
    if solution.selection.more_claims:
        hidden = {c.step for c in listed} | set(solution.selection.full)
        more = [t for t in solution.against_goal if t not in hidden]
        shown = ", ".join(str(t) for t in more[:10]) + (", …" if len(more) > 10 else "")
        noun = "step" if len(more) == 1 else "steps"
        blocks.append(
            Paragraph(
                inlines(
                    f"… and {solution.selection.more_claims} more ({noun} {shown}); ",
                    Code(f"--show-steps {more[0]}"),
                    " shows a step's table and its reason.",
                )
            )
        )
    unshown = [
        t
        for t, claims in solution.curvature.items()
        if t not in solution.selection.full and any(c.kind == "indefinite" for c in claims)
    ]
    if unshown:
        matrix = next(c for c in solution.curvature[unshown[0]] if c.kind == "indefinite")
        shown = ", ".join(str(t) for t in unshown[:10]) + (", …" if len(unshown) > 10 else "")
        checked = solution.explained_limit
        within = f"Of the first {checked} steps, " if solution.steps > checked else ""
        blocks.append(
            Paragraph(
                inlines(
                    within,
                    Math(matrix.evidence["matrix"], matrix.evidence["matrix_tex"]),
                    f" was not positive definite at step{'s' * (len(unshown) > 1)} {shown}; ",
                    Code(f"--show-steps {unshown[0]}"),
                    " shows the step and what it did.",
                ),
                "bad",
            )
        )
    if solution.divergence is not None:
        blocks.append(Paragraph(sentence(solution.divergence), "bad"))
    return blocks


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def build(solution: Solution, options: RenderOptions) -> Document:
    """The whole solution as blocks, the same steps in every format."""
    spec = solution.problem.spec
    blocks: list[Block] = [header(solution)]
    for t in solution.selection.full:
        blocks.append(step_table(solution, t, options))
        if t in solution.claims and t not in {c.step for c in solution.selection.listed}:
            blocks.append(Paragraph(sentence(solution.claims[t])))
        for claim in solution.curvature.get(t, ()):
            blocks.append(Paragraph(sentence(claim), CURVATURE_STYLE.get(claim.kind, "")))
        blocks.extend(_notes_table(solution.step(t), solution.run.quantities))
    if solution.failed is not None:
        blocks.append(step_table(solution, solution.failed.t, options, solution.failed))
    if solution.describe and (solution.steps or solution.failed is not None):
        blocks.append(_descriptions(solution))
    if solution.selection.summary:
        blocks.append(summary_table(solution))
    blocks.extend(verification(solution))
    if solution.topics:
        blocks.append(
            Paragraph(
                inlines("Explained in: ")
                + join(inlines(Code(f"tutor explain {topic}")) for topic in solution.topics)
            )
        )
    title = f"{spec.title} — {spec.summary}"
    return Document(title, (Heading(1, inlines(title)), *blocks))


__all__ = ["build", "header", "step_table", "summary_table", "value_text"]
