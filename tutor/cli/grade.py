"""``tutor grade``: grade students' answer files, for a terminal or for CI."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
)
from tutor.errors import TutorError

HELP = """Grade answer files: each asked value against the engine, with the likely mistake.

An answer file (TOML) names an exercise and gives the student's numbers per step:

\b
  format_version = 1
  exercise = "adamw-worked-example"   # a bundled id, or a path relative to this file
  student = "ada"                     # optional
  seed = 17                           # optional: the exercise variant this student got
  [answers.step1]
  g = 2
  m = 0.2
  m_hat = 2.0                         # table symbols (m̂) and torch names (exp_avg) work too
  theta_next = 1.898
  [answers]
  gradient = "2*(theta - 1)"          # where the exercise asks for the gradient

A wrong value is recomputed under every known mistaken variant of the optimizer (forgot bias
correction, ε inside the root, L2 instead of decoupled decay, …) and the ones that reproduce it
are named; a value that is right from the student's own earlier numbers gets partial credit.
Exit status: 2 if a file could not be read or validated, else 1 if anything is wrong (or below
--min-score), else 0. With GITHUB_ACTIONS=true each wrong value also becomes an annotation.

Examples:

\b
  tutor grade answers/                              # every .toml under answers/
  tutor grade ada.toml --hide-expected --junit report.xml
  tutor grade submission/ --format gradescope -o /autograder/results/results.json
  tutor grade --template adamw-worked-example > answers.toml
  tutor grade --template adamw-worked-example --solved > key.toml
"""


def grade(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Answer files, or folders searched recursively.", show_default=False),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write JUnit XML (one test case per asked value).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            help="Pass when each file scores at least this percentage.",
            show_default=False,
        ),
    ] = None,
    hide_expected: Annotated[
        bool,
        typer.Option(
            "--hide-expected",
            help="Name wrong values and likely mistakes, but not the right values.",
        ),
    ] = False,
    carried_credit: Annotated[
        float,
        typer.Option(
            "--carried-credit",
            help="Credit (0 to 1) for a value that is right from the student's own "
            "earlier, wrong values.",
        ),
    ] = 0.5,
    template: Annotated[
        str | None,
        typer.Option(
            "--template", help="Write an answer file for this exercise instead.", show_default=False
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="With --template: the exercise variant for this seed.",
            show_default=False,
        ),
    ] = None,
    solved: Annotated[
        bool,
        typer.Option("--solved", help="With --template: fill in the engine's values (the key)."),
    ] = False,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    if template is not None:
        if paths:
            raise TutorError("--template writes an answer file; give no answer files with it")
        from tutor.cli.output import write_atomically
        from tutor.teach.templates import answer_template

        text = answer_template(template, seed=seed, solved=solved)
        if output is not None:
            write_atomically(output, iter((text,)))
            typer.echo(f"wrote {output}", err=True)
        else:
            sys.stdout.write(text)
        return
    if seed is not None or solved:
        raise TutorError("--seed and --solved go with --template")
    if not paths:
        raise TutorError("give answer files or folders to grade (or --template EXERCISE)")
    fmt = check_output("grade-report", output_format, standalone)
    from tutor.cli.output import emit, write_atomically
    from tutor.teach.grading import grade as run_grade

    report = run_grade(
        paths, carried_credit=carried_credit, hide_expected=hide_expected, min_score=min_score
    )
    if junit is not None:
        from tutor.render.documents.grade import junit_xml

        write_atomically(junit, iter((junit_xml(report),)))
    emit(report, fmt, precision=precision, standalone=standalone, output=output)
    printed_data = output is None and fmt in ("json", "gradescope")
    if os.environ.get("GITHUB_ACTIONS") == "true" and not printed_data:
        from tutor.render.documents.grade import github_annotations

        for line in github_annotations(report):
            typer.echo(line)
    for line in report.errors:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(report.exit_code)


grade.__doc__ = HELP
