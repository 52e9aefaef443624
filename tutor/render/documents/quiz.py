"""Quiz results as documents and data: a session, the bank listing, and a student's progress.

The feedback on one answer (:func:`feedback_blocks`) is what the terminal shows right after the
student answers and what a session report repeats for each question: the verdict, the mistake
that reproduces a wrong number, the explanation, and for a number the engine computed, the worked
solution with the asked value's row marked (:func:`tutor.render.documents.solution.step_table`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    Preformatted,
    Text,
    inlines,
    table,
)
from tutor.render.numbers import (
    json_value,
    scalar_text,
    substitution_formatter,
    tex_substitution_formatter,
)
from tutor.render.options import RenderOptions
from tutor.teach.progress import ItemState, ProgressReport
from tutor.teach.questions import Asked
from tutor.teach.quiz import ENDINGS, Answered, BankListing, QuizSession, letter

CHART_WIDTH = 30
DUE_LISTED = 20


# --- One question --------------------------------------------------------------------------------


def question_title(asked: Asked, number: int, total: int) -> Inlines:
    source = "generated" if asked.generated else asked.id
    return inlines(
        f"Question {number} of {total}: {asked.topic}, {asked.kind}, difficulty "
        f"{asked.difficulty} (",
        Code(source),
        ")",
    )


def choice_items(asked: Asked) -> Bullets:
    return Bullets(tuple(inlines(f"{letter(i)}) {c}") for i, c in enumerate(asked.choices)))


def question_blocks(asked: Asked, number: int, total: int, *, choices: bool = True) -> list[Block]:
    """The question as shown before it is answered: a title, the prompt, the choices."""
    blocks: list[Block] = [
        Heading(2, question_title(asked, number, total)),
        Paragraph(inlines(asked.prompt)),
    ]
    if choices and asked.kind == "choice":
        blocks.append(choice_items(asked))
    return blocks


def _answer_text(asked: Asked, value: Any) -> Inlines:
    if asked.kind == "choice":
        return inlines(f"{letter(value)}) {asked.choices[value]}")
    if asked.kind == "truefalse":
        return inlines("true" if value else "false")
    if asked.kind == "numeric":
        return inlines(Number(value, full=False))
    return inlines(Code(str(value)))


def _expected(asked: Asked) -> Inlines:
    if asked.kind == "numeric":
        assert asked.tolerance is not None
        return inlines(Number(asked.answer), f" (to {asked.tolerance.describe()})")
    return _answer_text(asked, asked.answer)


def verdict_line(answered: Answered) -> Paragraph:
    verdict, asked = answered.verdict, answered.asked
    after_hint = " (after a hint)" if answered.hinted else ""
    if verdict.skipped:
        return Paragraph(inlines("Skipped. The answer is ", *_expected(asked), "."), "bad")
    given = (
        _answer_text(asked, verdict.value)
        if asked.kind != "numeric"
        else inlines(Code(verdict.given or ""))
    )
    if verdict.correct:
        return Paragraph(inlines(f"Right{after_hint}: ", *given, "."), "good")
    return Paragraph(
        inlines(
            f"Wrong{after_hint}: you answered ", *given, "; the answer is ", *_expected(asked), "."
        ),
        "bad",
    )


def _mistake_line(answered: Answered) -> Paragraph | None:
    mistakes = answered.verdict.mistakes
    if not mistakes:
        if answered.asked.worked is not None and answered.asked.kind == "numeric":
            verdict = answered.verdict
            if not verdict.correct and not verdict.skipped:
                return Paragraph(inlines("No known mistake reproduces your number."))
        return None
    if len(mistakes) == 1:
        return Paragraph(
            inlines(Text(f"Likely mistake: {mistakes[0].description}.", "bold")), "note"
        )
    names = "; ".join(m.description for m in mistakes)
    return Paragraph(
        inlines(Text(f"These mistakes all give your number here: {names}.", "bold")), "note"
    )


def _worked_blocks(asked: Asked, options: RenderOptions) -> list[Block]:
    from tutor.render.documents.solution import header, step_table

    blocks: list[Block] = []
    if asked.expression is not None:
        blocks.append(
            Paragraph(
                inlines(
                    "Computed: ", Code(asked.expression), " = ", Number(asked.answer, full=True)
                )
            )
        )
    if asked.formulas:
        blocks.append(_formula_table(asked, options))
    worked = asked.worked
    if worked is None:
        return blocks
    solution = worked.solution
    blocks.append(Paragraph(inlines(f"Worked solution, up to step {worked.step}:")))
    blocks.append(header(solution))
    for t in range(1, worked.step + 1):
        mark = worked.quantity if t == worked.step else None
        blocks.append(step_table(solution, t, options, highlight=mark))
    if worked.quantity in ("loss", "loss_next"):
        at = worked.step - 1 if worked.quantity == "loss" else worked.step
        symbol = Math(worked.symbol, rf"L(\theta_{{{at}}})")
        blocks.append(Paragraph(inlines(symbol, " = ", Number(worked.value))))
    return blocks


def _formula_table(asked: Asked, options: RenderOptions) -> Block:
    from tutor.render.documents.solution import mark_row

    plain_fmt = substitution_formatter(options.precision)
    tex_fmt = tex_substitution_formatter(options.precision)
    rows = []
    for line in asked.formulas:
        numbers = line.shown.plain(line.env, plain_fmt)
        row: tuple[Inlines, ...] = (
            inlines(Math(line.symbol, line.symbol_tex)),
            inlines(Math(line.formula, line.formula_tex)),
            inlines(Math(numbers, line.shown.latex(line.env, tex_fmt))),
            inlines(Number(line.value)),
        )
        rows.append(mark_row(row) if line.key == asked.asked_formula else row)
    return table(
        inlines("Worked solution"),
        ["Quantity", "Formula", "With numbers", ("Value", "right")],
        rows,
    )


def feedback_blocks(answered: Answered, options: RenderOptions) -> list[Block]:
    """What the student sees after answering: verdict, mistake, explanation, worked solution."""
    blocks: list[Block] = [verdict_line(answered)]
    mistake = _mistake_line(answered)
    if mistake is not None:
        blocks.append(mistake)
    if answered.verdict.note:
        blocks.append(Paragraph(inlines(f"Checked: {answered.verdict.note}.")))
    blocks.append(Paragraph(inlines(answered.asked.explanation)))
    blocks.extend(_worked_blocks(answered.asked, options))
    return blocks


# --- A session -----------------------------------------------------------------------------------


def _percent(right: int, total: int) -> str:
    return f"{100 * right / total:.0f}%" if total else "—"


def score_blocks(session: QuizSession) -> list[Block]:
    """The score by topic, and the whole."""
    answered = len(session.answered)
    blocks: list[Block] = []
    if session.by_topic:
        rows = [
            (
                inlines(Code(s.topic)),
                inlines(str(s.correct)),
                inlines(str(s.answered)),
                inlines(_percent(s.correct, s.answered)),
            )
            for s in session.by_topic
        ]
        blocks.append(
            table(
                inlines("Score by topic"),
                ["topic", ("right", "right"), ("answered", "right"), ("score", "right")],
                rows,
            )
        )
    ending = ENDINGS[session.ending]
    total = (
        f"{session.correct} of {answered} right ({_percent(session.correct, answered)}); "
        f"{answered} of {session.planned} questions answered ({ending})."
    )
    style = "good" if answered and session.correct == answered else ""
    blocks.append(Paragraph(inlines(total), style))  # type: ignore[arg-type]
    if session.saved:
        blocks.append(
            Paragraph(
                inlines(
                    "Saved to ", Code(session.saved), "; ", Code("tutor progress"), " shows it."
                )
            )
        )
    return blocks


def build_session(session: QuizSession, options: RenderOptions) -> Document:
    title = f"Quiz: {session.correct} of {len(session.answered)} right"
    blocks: list[Block] = [Heading(1, inlines(title))]
    fields: list[tuple[str, Inlines]] = [
        ("Seed", inlines(str(session.seed), " (", Code(f"--seed {session.seed}"), " repeats it)")),
    ]
    if session.review:
        fields.append(("Order", inlines("review: wrong and due questions first")))
    for note in session.notes:
        fields.append(("Note", inlines(note)))
    blocks.append(Fields(tuple(fields)))
    if session.show_questions:
        for answered in session.answered:
            blocks += question_blocks(answered.asked, answered.number, session.planned)
            blocks += feedback_blocks(answered, options)
    blocks.append(Heading(2, inlines("Score")))
    blocks += score_blocks(session)
    return Document(title, tuple(blocks))


def _worked_data(asked: Asked) -> dict[str, Any] | None:
    worked = asked.worked
    if worked is None:
        return None
    solution = worked.solution
    program = solution.run.program
    steps = []
    for t in range(1, worked.step + 1):
        record = solution.step(t)
        env = record.environment(program.constants)
        env["t"] = float(t)
        quantities = []
        for quantity in program.algorithm.quantities:
            if quantity.key not in record.values:
                continue
            shown = program.algorithm.formulas[quantity.key].specialize(env)
            quantities.append(
                {
                    "name": quantity.key,
                    "symbol": quantity.symbol.text,
                    "formula": shown.plain(),
                    "latex": shown.latex(),
                    "value": json_value(record.values[quantity.key]),
                }
            )
        steps.append(
            {
                "t": t,
                "theta": json_value(record.theta),
                "loss": record.loss,
                "grad": json_value(record.grad),
                "quantities": quantities,
                "loss_next": record.loss_next,
            }
        )
    problem = solution.problem
    return {
        "optimizer": problem.spec.name,
        "loss": problem.loss.text,
        "theta0": json_value(problem.theta0),
        "hyperparameters": {k: json_value(v) for k, v in problem.config.values.items()},
        "quantity": worked.quantity,
        "step": worked.step,
        "steps": steps,
    }


def asked_data(asked: Asked) -> dict[str, Any]:
    return {
        "id": asked.id,
        "item": asked.item,
        "template": asked.template,
        "seed": asked.seed,
        "topic": asked.topic,
        "kind": asked.kind,
        "difficulty": asked.difficulty,
        "prompt": asked.prompt,
        "choices": list(asked.choices),
        "hint": asked.hint,
        "answer": json_value(asked.answer) if asked.kind == "numeric" else asked.answer,
        "tolerance": asked.tolerance.as_data() if asked.tolerance else None,
        "variables": list(asked.variables),
        "expression": asked.expression,
        "choice_mistakes": list(asked.choice_mistakes),
        "explanation": asked.explanation,
        "worked": _worked_data(asked),
        "formulas": [
            {
                "name": line.key,
                "symbol": line.symbol,
                "formula": line.formula,
                "latex": line.formula_tex,
                "value": line.value,
                "asked": line.key == asked.asked_formula,
            }
            for line in asked.formulas
        ],
    }


def answered_data(answered: Answered) -> dict[str, Any]:
    verdict = answered.verdict
    return {
        "number": answered.number,
        "question": asked_data(answered.asked),
        "given": verdict.given,
        "value": json_value(verdict.value) if answered.asked.kind == "numeric" else verdict.value,
        "correct": verdict.correct,
        "skipped": verdict.skipped,
        "hinted": answered.hinted,
        "rating": answered.rating,
        "mistakes": [{"id": m.mistake, "description": m.description} for m in verdict.mistakes],
        "note": verdict.note,
    }


def session_data(session: QuizSession) -> dict[str, Any]:
    return {
        "seed": session.seed,
        "review": session.review,
        "planned": session.planned,
        "answered": len(session.answered),
        "correct": session.correct,
        "ending": session.ending,
        "notes": list(session.notes),
        "saved": session.saved,
        "by_topic": [
            {"topic": s.topic, "correct": s.correct, "answered": s.answered}
            for s in session.by_topic
        ],
        "answers": [answered_data(a) for a in session.answered],
    }


# --- The bank ------------------------------------------------------------------------------------


def build_bank(listing: BankListing, options: RenderOptions) -> Document:
    title = (
        f"Quiz bank: {len(listing.questions)} questions and {len(listing.templates)} "
        "generated-question templates"
    )
    question_rows = [
        (inlines(Code(q.id)), inlines(q.topic), inlines(q.kind), inlines(str(q.difficulty)))
        for q in listing.questions
    ]
    template_rows = [
        (
            inlines(Code(t.id)),
            inlines(t.topic),
            inlines(" or ".join(t.kinds)),
            inlines(str(t.difficulty)),
            inlines(t.summary),
        )
        for t in listing.templates
    ]
    blocks: list[Block] = [Heading(1, inlines(title))]
    if question_rows:
        blocks.append(
            table(
                inlines("Questions (tutor quiz --topic T --kind K --difficulty D picks from them)"),
                ["id", "topic", "kind", ("difficulty", "right")],
                question_rows,
            )
        )
    if template_rows:
        blocks.append(
            table(
                inlines("Generated questions: new numbers for every seed"),
                ["template", "topic", "kind", ("difficulty", "right"), "asks"],
                template_rows,
            )
        )
    return Document(title, tuple(blocks))


def bank_data(listing: BankListing) -> dict[str, Any]:
    return {
        "questions": [
            {"id": q.id, "topic": q.topic, "kind": q.kind, "difficulty": q.difficulty}
            for q in listing.questions
        ],
        "templates": [
            {
                "id": t.id,
                "topic": t.topic,
                "kinds": list(t.kinds),
                "difficulty": t.difficulty,
                "summary": t.summary,
            }
            for t in listing.templates
        ],
    }


# --- Progress ------------------------------------------------------------------------------------


def when(due: datetime, now: datetime) -> str:
    """``now``, or how long until ``due`` (``in 10 min``, ``in 3 h``, ``in 4 days``)."""
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = seconds / 60
    if minutes < 60:
        return f"in {max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"in {round(minutes / 60)} h"
    return f"in {round(minutes / 1440)} days"


def chart(report: ProgressReport, width: int = CHART_WIDTH) -> str:
    """One ASCII bar per topic: its mastery out of 100%."""
    if not report.topics:
        return ""
    name_width = max(len(t.topic) for t in report.topics)
    lines = []
    for topic in report.topics:
        filled = round(topic.mastery * width)
        bar = "#" * filled + "." * (width - filled)
        lines.append(f"{topic.topic:<{name_width}} |{bar}| {100 * topic.mastery:3.0f}%")
    return "\n".join(lines)


def _due_row(state: ItemState, now: datetime) -> tuple[Inlines, ...]:
    return (
        inlines(Code(state.item)),
        inlines(state.topic),
        inlines(when(state.due, now)),
        inlines(Text("right", "good") if state.last_correct else Text("wrong", "bad")),
        inlines("—" if state.stability is None else f"{scalar_text(state.stability, 3)} days"),
    )


def build_progress(report: ProgressReport, options: RenderOptions) -> Document:
    title = "Progress"
    blocks: list[Block] = [
        Heading(1, inlines(title)),
        Fields(
            (
                ("Database", inlines(Code(report.path))),
                ("As of", inlines(report.now.strftime("%Y-%m-%d %H:%M UTC"))),
                ("Answers", inlines(str(report.answers))),
            )
        ),
    ]
    if not report.topics:
        blocks.append(
            Paragraph(inlines("No answers yet: ", Code("tutor quiz"), " starts a session."))
        )
        return Document(title, tuple(blocks))
    rows = [
        (
            inlines(Code(t.topic)),
            inlines(f"{100 * t.mastery:.0f}%"),
            inlines(f"{t.seen} of {t.items}"),
            inlines(str(t.answers)),
            inlines(_percent(t.right, t.answers)),
            inlines(str(t.due)),
        )
        for t in report.topics
    ]
    blocks.append(
        table(
            inlines("Mastery by topic"),
            [
                "topic",
                ("mastery", "right"),
                ("questions seen", "right"),
                ("answers", "right"),
                ("right", "right"),
                ("due now", "right"),
            ],
            rows,
            inlines(
                "Mastery: the mean over a topic's questions of FSRS's predicted chance of "
                "recalling each now, counting 0 for a question last answered wrong or never "
                "seen."
            ),
        )
    )
    blocks.append(Preformatted(chart(report)))
    due_rows = [_due_row(s, report.now) for s in report.items[:DUE_LISTED]]
    caption = (
        inlines(f"and {len(report.items) - DUE_LISTED} more; ", Code("--export"), " lists all.")
        if len(report.items) > DUE_LISTED
        else inlines(Code("tutor quiz --review"), " asks the wrong and the due ones first.")
    )
    blocks.append(
        table(
            inlines("Due"),
            ["question", "topic", "due", "last", "stability"],
            due_rows,
            caption,
        )
    )
    if report.untouched:
        blocks.append(
            Paragraph(
                inlines(
                    f"{len(report.untouched)} topics not started: {', '.join(report.untouched)}."
                )
            )
        )
    return Document(title, tuple(blocks))


def progress_data(report: ProgressReport) -> dict[str, Any]:
    return {
        "path": report.path,
        "now": report.now.isoformat(),
        "answers": report.answers,
        "topics": [
            {
                "topic": t.topic,
                "mastery": t.mastery,
                "items": t.items,
                "seen": t.seen,
                "answers": t.answers,
                "right": t.right,
                "due": t.due,
            }
            for t in report.topics
        ],
        "items": [
            {
                "item": s.item,
                "topic": s.topic,
                "due": s.due.isoformat(),
                "last_correct": s.last_correct,
                "reviews": s.reviews,
                "lapses": s.lapses,
                "stability": s.stability,
                "difficulty": s.difficulty,
                "retrievability": s.retrievability,
            }
            for s in report.items
        ],
        "untouched": list(report.untouched),
    }
