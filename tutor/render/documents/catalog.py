"""Listings as documents: optimizers, exercises, one exercise, and an exercise lint report."""

from __future__ import annotations

from typing import Any

from tutor.render.blocks import (
    Code,
    Document,
    Fields,
    Heading,
    Inlines,
    Math,
    Number,
    Paragraph,
    inlines,
    join,
    table,
)
from tutor.render.numbers import json_value
from tutor.render.options import RenderOptions


def hyperparameter_data(h: Any) -> dict[str, Any]:
    """A hyper-parameter as JSON: name, option, symbol, default, range and description."""
    return {
        "name": h.name,
        "option": h.option,
        "symbol": h.symbol.text,
        "default": json_value(h.default),
        "range": h.describe_range(),
        "description": h.description,
    }


def build_optimizers(result: Any, options: RenderOptions) -> Document:
    rows = []
    for spec in result.specs:
        options_text = join(
            inlines(Code(h.option), " (", Number(h.default), ")") for h in spec.hyperparameters
        )
        conventions = ", ".join(c.name for c in spec.conventions)
        rows.append(
            (
                inlines(Code(spec.name)),
                inlines(spec.title),
                inlines(str(spec.year)),
                inlines(spec.summary),
                options_text,
                inlines(conventions),
            )
        )
    title = "Optimizers"
    return Document(
        title,
        (
            Heading(1, inlines(title)),
            table(
                inlines("tutor solve NAME --help shows an optimizer's options in full"),
                [
                    "name",
                    "title",
                    ("year", "right"),
                    "what it does",
                    "options (default)",
                    "conventions",
                ],
                rows,
            ),
        ),
    )


def optimizers_data(result: Any) -> dict[str, Any]:
    return {
        "optimizers": [
            {
                "name": spec.name,
                "title": spec.title,
                "summary": spec.summary,
                "reference": spec.reference,
                "year": spec.year,
                "scope": spec.scope,
                "hyperparameters": [
                    {**hyperparameter_data(h), "torch_name": h.torch_name}
                    for h in spec.hyperparameters
                ],
                "conventions": [c.name for c in spec.conventions],
                "quantities": [
                    {
                        "name": q.key,
                        "symbol": q.symbol.text,
                        "description": q.description,
                        "torch_state": q.torch_state,
                    }
                    for q in spec.configure({}).algorithm().quantities
                ],
            }
            for spec in result.specs
        ]
    }


def build_exercises(result: Any, options: RenderOptions) -> Document:
    rows = [
        (inlines(Code(e.id)), inlines(e.optimizer), inlines(str(e.steps)), inlines(e.title))
        for e in result.exercises
    ]
    title = "Exercises"
    return Document(
        title,
        (
            Heading(1, inlines(title)),
            table(
                inlines("Run one with: ", Code("tutor solve --exercise ID")),
                ["id", "optimizer", ("steps", "right"), "title"],
                rows,
            ),
        ),
    )


def exercises_data(result: Any) -> dict[str, Any]:
    return {
        "exercises": [
            {
                "id": e.id,
                "title": e.title,
                "topic": e.topic,
                "optimizer": e.optimizer,
                "steps": e.steps,
                "path": str(e.path),
            }
            for e in result.exercises
        ]
    }


def build_exercise(result: Any, options: RenderOptions) -> Document:
    e = result.exercise
    fields: list[tuple[str, Inlines]] = [
        (
            "Id",
            inlines(
                Code(e.id),
                f" · optimizer: {e.optimizer} · topic: {e.topic}"
                + (f" · variant for seed {e.seed}" if e.seed is not None else ""),
            ),
        ),
        ("Loss", inlines(Code(e.loss))),
        ("Parameters", inlines(", ".join(e.params) if e.params else "(the loss's names, sorted)")),
        ("Start", inlines(Number(list(e.start)))),
    ]
    if e.data:
        fields.append(
            (
                "Data",
                join(
                    inlines(Code(name), " = ", Number(json_value(value)))
                    for name, value in e.data.items()
                ),
            )
        )
    if e.hyperparameters:
        fields.append(
            (
                "Hyper-parameters",
                join(inlines(Code(k), " = ", Number(v)) for k, v in e.hyperparameters.items())
                + inlines(" (others: defaults)"),
            )
        )
    fields += [
        ("Convention", inlines(e.convention)),
        ("Steps", inlines(str(e.steps))),
        ("Asked", inlines(", ".join(e.ask))),
    ]
    for number, hint in enumerate(e.hints, start=1):
        fields.append((f"Hint {number}", inlines(hint)))
    return Document(
        e.title,
        (
            Heading(1, inlines(e.title)),
            Paragraph(inlines(e.statement.strip())),
            Fields(tuple(fields)),
            Paragraph(
                inlines(
                    "Answer file: ",
                    Code(
                        f"tutor grade --template {e.id}"
                        + (f" --seed {e.seed}" if e.seed is not None else "")
                    ),
                    "; check your numbers with ",
                    Code("tutor grade FILE"),
                )
            ),
        ),
    )


def exercise_data(result: Any) -> dict[str, Any]:
    e = result.exercise
    return {
        "exercise": {
            "id": e.id,
            "title": e.title,
            "topic": e.topic,
            "optimizer": e.optimizer,
            "description": e.statement,
            "seed": e.seed,
            "loss": e.loss,
            "params": list(e.params) if e.params else None,
            "start": list(e.start),
            "data": {k: json_value(v) for k, v in e.data.items()},
            "steps": e.steps,
            "hyperparameters": dict(e.hyperparameters),
            "ask": list(e.ask),
            "tolerance": e.tolerance.as_data(),
            "tolerances": {k: t.as_data() for k, t in e.tolerances.items()},
            "points": dict(e.points),
            "hints": list(e.hints),
            "convention": e.convention,
            "source": str(e.source),
        }
    }


def build_check(result: Any, options: RenderOptions) -> Document:
    title = f"Exercise check of {result.folder}"
    if not result.problems:
        summary = Paragraph(
            inlines(f"{result.files} exercise file(s) in {result.folder}: all good"), "good"
        )
        return Document(title, (summary,))
    rows = [inlines(Code(line)) for line in result.problems]
    from tutor.render.blocks import Bullets

    return Document(
        title,
        (
            Bullets(tuple(rows)),
            Paragraph(inlines(f"{len(result.problems)} problem(s) in {result.folder}"), "bad"),
        ),
    )


def check_data(result: Any) -> dict[str, Any]:
    return {
        "folder": str(result.folder),
        "files": result.files,
        "problems": list(result.problems),
        "ok": not result.problems,
    }


__all__ = ["Math"]
