"""A grade report as a document, and as data (JSON, JUnit XML, Gradescope, GitHub annotations).

Every format says the same things: per file (one student's answers to one exercise), per asked
value, whether it is right, what was given, what was expected (unless ``--hide-expected``), the
formula with the numbers, and the diagnosis: the mistakes that reproduce a wrong number, or that
none does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

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
    table,
)
from tutor.render.numbers import value_text
from tutor.render.options import RenderOptions
from tutor.teach.grading import FileGrade, GradeReport, Item

STATUS_WORDS = {
    "correct": "right",
    "carried": "carried",
    "wrong": "wrong",
    "missing": "missing",
    "invalid": "not a number",
}


def _points(value: float) -> str:
    return f"{value:g}"


def verdict_text(item: Item, hide_expected: bool) -> str:
    """One line on an item, in words (for JUnit, Gradescope and annotations)."""
    given = value_text(item.given) if item.status not in ("missing", "invalid") else item.given
    if item.status == "correct":
        return f"{item.label}: right ({given})"
    parts = [f"{item.label}: {STATUS_WORDS[item.status]}"]
    if item.status in ("wrong", "carried", "invalid"):
        parts.append(f"you gave {given!s}")
    if not hide_expected and item.status != "correct":
        parts.append(f"expected {value_text(item.expected, 10)}")
    if item.reason:
        parts.append(item.reason)
    parts.append(diagnosis_text(item))
    return "; ".join(p for p in parts if p)


def diagnosis_text(item: Item) -> str:
    if item.status not in ("wrong", "carried"):
        return ""
    if not item.diagnosis:
        return "no known mistake reproduces this" if item.status == "wrong" else ""
    names = [d.description for d in item.diagnosis]
    if len(names) == 1:
        return f"likely mistake: {names[0]}"
    return "these mistakes all reproduce it here (indistinguishable): " + "; ".join(names)


def _given(item: Item) -> Inlines:
    if item.status == "missing":
        return inlines(Text("—", "dim"))
    if item.status == "invalid":
        return inlines(Code(str(item.given)[:60]))
    if item.step is None:
        return inlines(Code(str(item.given)))
    return inlines(Number(item.given))


def _expected(item: Item, hide: bool) -> Inlines:
    if hide:
        return inlines(Text("hidden", "dim"))
    if item.step is None:
        return inlines(Code(str(item.expected)))
    return inlines(Number(item.expected))


def _status(item: Item) -> Inlines:
    style = {"correct": "good", "carried": "highlight"}.get(item.status, "bad")
    return inlines(Text(STATUS_WORDS[item.status], style))  # type: ignore[arg-type]


def _why(item: Item, hide: bool) -> Inlines:
    parts: list[Any] = []
    if item.formula is not None and item.status != "correct":
        plain, with_numbers = item.formula
        tex, tex_numbers = item.formula_tex or ("", "")
        if hide:
            parts += [Math(f"{item.symbol} = {plain}", f"{item.symbol_tex} = {tex}")]
        else:
            parts += [
                Math(
                    f"{item.symbol} = {plain} = {with_numbers}",
                    f"{item.symbol_tex} = {tex} = {tex_numbers}",
                ),
            ]
    if item.reason and item.status != "correct":
        parts += [Text(("; " if parts else "") + item.reason)]
    diagnosis = diagnosis_text(item)
    if diagnosis:
        parts += [Text(("; " if parts else "") + diagnosis, "bold")]
    return tuple(parts)


def _file_blocks(grade: FileGrade, hide: bool) -> list[Block]:
    who = grade.student or grade.path.name
    seed = f", seed {grade.seed}" if grade.seed is not None else ""
    heading = inlines(f"{who}: {grade.title} (", Code(grade.exercise), f"{seed})")
    rows = [
        (
            inlines(str(item.step) if item.step is not None else "—"),
            inlines(Math(item.symbol, item.symbol_tex)),
            _given(item),
            _expected(item, hide),
            _status(item),
            inlines(f"{_points(item.points)}/{_points(item.max_points)}"),
            _why(item, hide),
        )
        for item in grade.items
    ]
    return [
        Heading(2, heading),
        table(
            inlines(
                f"{grade.path} · score {_points(grade.score)}/{_points(grade.max_score)} · "
                f"tolerance: {grade.tolerance}"
            ),
            [
                ("step", "right"),
                "value",
                "given",
                "expected",
                "verdict",
                ("points", "right"),
                "why",
            ],
            rows,
        ),
    ]


def build(report: GradeReport, options: RenderOptions) -> Document:
    title = "Grades"
    blocks: list[Block] = [Heading(1, inlines(title))]
    for grade in report.files:
        blocks.extend(_file_blocks(grade, report.hide_expected))
    if report.errors:
        blocks.append(Heading(2, inlines("Files that could not be graded")))
        blocks.append(Bullets(tuple(inlines(Code(line)) for line in report.errors)))
    total = (
        f"{len(report.files)} file(s) graded: {_points(report.score)}/"
        f"{_points(report.max_score)} points ({report.fraction * 100:.1f}%)"
    )
    if report.min_score is not None:
        total += f"; --min-score {report.min_score:g}%"
    if report.errors:
        total += f"; {len(report.errors)} file(s) with errors"
    blocks.append(Paragraph(inlines(total), "good" if report.exit_code == 0 else "bad"))
    return Document(title, tuple(blocks))


# --- Data formats -------------------------------------------------------------------------------


def item_data(item: Item, hide: bool) -> dict[str, Any]:
    return {
        "step": item.step,
        "quantity": item.key,
        "symbol": item.symbol,
        "given": item.given if item.status != "invalid" else str(item.given),
        "expected": None if hide else item.expected,
        "status": item.status,
        "points": item.points,
        "max_points": item.max_points,
        "reason": item.reason,
        "formula": None
        if item.formula is None
        else {"plain": item.formula[0], "with_numbers": None if hide else item.formula[1]},
        "diagnosis": [
            {"mistake": d.mistake, "description": d.description, "how": d.how}
            for d in item.diagnosis
        ],
        "feedback": verdict_text(item, hide),
    }


def report_data(report: GradeReport) -> dict[str, Any]:
    hide = report.hide_expected
    return {
        "score": report.score,
        "max_score": report.max_score,
        "passed": report.passed,
        "exit_code": report.exit_code,
        "min_score": report.min_score,
        "hide_expected": hide,
        "files": [
            {
                "path": str(grade.path),
                "student": grade.student,
                "exercise": grade.exercise,
                "seed": grade.seed,
                "score": grade.score,
                "max_score": grade.max_score,
                "tolerance": grade.tolerance,
                "items": [item_data(item, hide) for item in grade.items],
            }
            for grade in report.files
        ],
        "errors": list(report.errors),
    }


def junit_xml(report: GradeReport) -> str:
    """JUnit XML: a test suite per file, a test case per asked value; failures carry the
    diagnosis, and unreadable files are errors."""
    hide = report.hide_expected
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    failures = sum(1 for g in report.files for i in g.items if not i.passed)
    tests = sum(len(g.items) for g in report.files) + len(report.errors)
    lines.append(
        f'<testsuites name="tutor grade" tests="{tests}" failures="{failures}" '
        f'errors="{len(report.errors)}">'
    )
    for grade in report.files:
        name = f"{grade.student or grade.path.stem}: {grade.exercise}"
        bad = sum(1 for i in grade.items if not i.passed)
        lines.append(
            f'  <testsuite name={quoteattr(name)} tests="{len(grade.items)}" '
            f'failures="{bad}" errors="0">'
        )
        for item in grade.items:
            case = f"    <testcase classname={quoteattr(name)} name={quoteattr(item.label)}"
            if item.passed:
                lines.append(case + "/>")
                continue
            message = verdict_text(item, hide)
            lines.append(case + ">")
            lines.append(
                f"      <failure message={quoteattr(message)} type={quoteattr(item.status)}>"
                f"{xml_escape(message)}</failure>"
            )
            lines.append("    </testcase>")
        lines.append("  </testsuite>")
    if report.errors:
        count = len(report.errors)
        lines.append(
            f'  <testsuite name="unreadable files" tests="{count}" failures="0" errors="{count}">'
        )
        for line in report.errors:
            path = line.split(": ", 1)[0]
            lines.append(f'    <testcase classname="files" name={quoteattr(path)}>')
            lines.append(f"      <error message={quoteattr(line)}>{xml_escape(line)}</error>")
            lines.append("    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def gradescope_data(report: GradeReport) -> dict[str, Any]:
    """Gradescope's results.json for one submission (one student's files)."""
    from tutor.errors import TutorError

    students = {grade.student for grade in report.files}
    if len(students) > 1:
        raise TutorError(
            "--format gradescope grades one submission: these files belong to "
            f"{len(students)} students ({', '.join(sorted(s or '?' for s in students))})"
        )
    hide = report.hide_expected
    tests = [
        {
            "name": f"{grade.exercise}: {item.label}",
            "score": item.points,
            "max_score": item.max_points,
            "status": "passed" if item.passed else "failed",
            "output": verdict_text(item, hide),
        }
        for grade in report.files
        for item in grade.items
    ]
    output = "\n".join(report.errors) if report.errors else ""
    return {
        "score": report.score,
        "max_score": report.max_score,
        "output": output or f"{len(report.files)} exercise file(s) graded by tutor",
        "tests": tests,
    }


def github_annotations(report: GradeReport) -> Iterator[str]:
    """GitHub Actions workflow commands: an error annotation per wrong value, on its file."""

    def clean(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    for grade in report.files:
        for item in grade.items:
            if item.passed:
                continue
            title = clean(f"{grade.exercise}: {item.label}")
            yield (
                f"::error file={clean(str(grade.path))},title={title.replace(',', '%2C')}"
                f"::{clean(verdict_text(item, report.hide_expected))}"
            )
    for line in report.errors:
        path = line.split(": ", 1)[0]
        yield f"::error file={clean(path)}::{clean(line)}"
