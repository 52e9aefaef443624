"""The quiz as an Anki deck (genanki): the bank, and generated questions with worked answers.

Every note's GUID is :func:`genanki.guid_for` of the question's id (genanki's default hashes the
fields, so editing a question's wording would make Anki see a new card and keep the old one).
The deck and note-type ids are constants, so importing a newer deck updates the cards in place.
Formulas are MathJax, ``\\(…\\)``, which Anki renders: a symbolic answer (through SymPy's LaTeX
printer) and each line of a worked answer (the engine's formula, with its numbers). Text is
HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import numpy as np

from tutor.content.quiz import Bank
from tutor.render.numbers import scalar_text, tex_substitution_formatter, tex_value
from tutor.teach.questions import Asked, from_bank
from tutor.teach.quiz import letter

DECK_ID = 1_724_050_118
MODEL_ID = 1_724_050_119
DECK_NAME = "tutor: neural-network optimizers"
PRECISION = 6

CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.choices { margin-top: 0.5em; }
.explanation { margin-top: 1em; color: #444; }
.worked { margin-top: 1em; font-size: 16px; }
.meta { color: #888; font-size: 13px; }"""


def _model() -> Any:
    import genanki

    return genanki.Model(
        MODEL_ID,
        "tutor question",
        fields=[{"name": "Id"}, {"name": "Question"}, {"name": "Answer"}, {"name": "Topic"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": '{{Question}}<div class="meta">{{Topic}} · {{Id}}</div>',
                "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}',
            }
        ],
        css=CSS,
        sort_field_index=0,
    )


def _text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def math(tex: str) -> str:
    """Inline MathJax for Anki."""
    return rf"\({html.escape(tex, quote=False)}\)"


def _front(asked: Asked) -> str:
    parts = [f"<div>{_text(asked.prompt)}</div>"]
    if asked.kind == "choice":
        items = "".join(
            f"<li>{letter(i)}) {_text(choice)}</li>" for i, choice in enumerate(asked.choices)
        )
        parts.append(f'<ul class="choices" style="list-style: none">{items}</ul>')
    elif asked.kind == "truefalse":
        parts.append("<div><i>True or false?</i></div>")
    elif asked.kind == "symbolic":
        names = ", ".join(asked.variables)
        parts.append(f"<div><i>Write an expression in {_text(names)}.</i></div>")
    return "".join(parts)


def _symbolic_tex(asked: Asked) -> str:
    import sympy

    from tutor.symbolic.parse import parse_expression

    return str(sympy.latex(parse_expression(str(asked.answer), list(asked.variables)).expr))


def _worked_lines(asked: Asked) -> list[str]:
    """Each step's quantities as ``symbol = formula = with numbers = value``, in MathJax."""
    fmt = tex_substitution_formatter(PRECISION)
    lines = []
    for item in asked.formulas:
        value = tex_value(item.value, PRECISION)
        tex = (
            rf"{item.symbol_tex} = {item.formula_tex} = {item.shown.latex(item.env, fmt)} = {value}"
        )
        lines.append(
            f"<b>{math(tex)}</b> ← asked" if item.key == asked.asked_formula else math(tex)
        )
    worked = asked.worked
    if worked is None:
        return lines
    solution = worked.solution
    program = solution.run.program
    for t in range(1, worked.step + 1):
        record = solution.step(t)
        env = record.environment(program.constants)
        env["t"] = float(t)
        theta = tex_value(record.theta, PRECISION)
        gradient = tex_value(record.grad, PRECISION)
        lines.append(
            f"<b>Step {t}</b>: " + math(rf"\theta_{{{t - 1}}} = {theta},\ g_{{{t}}} = {gradient}")
        )
        for quantity in program.algorithm.quantities:
            if quantity.key not in record.values:
                continue
            shown = program.algorithm.formulas[quantity.key].specialize(env)
            value = tex_value(record.values[quantity.key], PRECISION)
            tex = rf"{quantity.symbol.tex} = {shown.latex()} = {shown.latex(env, fmt)} = {value}"
            marked = quantity.key == worked.quantity and t == worked.step
            line = math(tex)
            lines.append(f"<b>{line}</b> ← asked" if marked else line)
    return lines


def _back(asked: Asked) -> str:
    if asked.kind == "choice":
        answer = f"{letter(asked.answer)}) {_text(asked.choices[asked.answer])}"
    elif asked.kind == "truefalse":
        answer = "True" if asked.answer else "False"
    elif asked.kind == "symbolic":
        answer = math(_symbolic_tex(asked))
    else:
        assert asked.tolerance is not None
        value = scalar_text(float(np.ravel(asked.answer)[0]), PRECISION)
        answer = f"{math(value)} ({_text(asked.tolerance.describe())})"
        if asked.expression is not None:
            answer += f"<div>Computed: <code>{_text(asked.expression)}</code></div>"
    parts = [f"<div><b>{answer}</b></div>"]
    parts.append(f'<div class="explanation">{_text(asked.explanation)}</div>')
    lines = _worked_lines(asked)
    if lines:
        parts.append('<div class="worked">' + "<br>".join(lines) + "</div>")
    return "".join(parts)


def note_for(asked: Asked, model: Any) -> Any:
    """One note: GUID from the question id, tags from its topic and kind."""
    import genanki

    tags = [f"tutor::{asked.topic}", f"kind::{asked.kind}"]
    if asked.generated:
        tags.append("generated")
    return genanki.Note(
        model=model,
        fields=[asked.id, _front(asked), _back(asked), asked.topic],
        guid=genanki.guid_for(asked.id),
        tags=tags,
    )


def build_package(bank: Bank, generated: Iterable[Asked]) -> Any:
    """A :class:`genanki.Package` holding every bank question and the ``generated`` ones."""
    import genanki

    model = _model()
    deck = genanki.Deck(DECK_ID, DECK_NAME, description="Questions from tutor quiz.")
    for question in bank.questions:
        deck.add_note(note_for(from_bank(question), model))
    for asked in generated:
        deck.add_note(note_for(asked, model))
    return genanki.Package(deck)
