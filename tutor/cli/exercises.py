"""``tutor exercises``: list, show and check exercise files."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

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

app = typer.Typer(
    help=(
        "List the bundled exercises, show one, or check a folder of exercise files.\n\n"
        "Examples:\n\n"
        "\b\n"
        "  tutor exercises\n"
        "  tutor exercises --format json\n"
        "  tutor exercises show adamw-worked-example\n"
        "  tutor exercises check my-course/exercises"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def exercises(
    ctx: typer.Context,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """List the bundled exercises (id, optimizer, steps, title)."""
    if ctx.invoked_subcommand is not None:
        return
    fmt = check_output("exercises", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.catalog import exercise_list

    emit(exercise_list(), fmt, precision=precision, standalone=standalone, output=output)


@app.command()
def show(
    exercise: Annotated[str, typer.Argument(help="An exercise id, or the path of a file.")],
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Show one exercise: the problem, what is asked, and the hints (never the answers).

    Example: tutor exercises show adamw-worked-example
    """
    fmt = check_output("exercise", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.catalog import exercise_detail

    emit(exercise_detail(exercise), fmt, precision=precision, standalone=standalone, output=output)


@app.command()
def variant(
    exercise: Annotated[str, typer.Argument(help="An exercise id, or the path of a file.")],
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, help="The student's seed (a number assigned per student)."),
    ],
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Show the variant of an exercise that a seed draws: each student gets their own numbers.

    The numbers come from the ranges the exercise declares in [variants], through a stable
    generator (SHA-256 of exercise id, seed and name), so a seed gives the same numbers on
    every machine. Grade the student's file with the same seed (its 'seed = ' line).

    Example: tutor exercises variant sgd-one-step --seed 17
    """
    fmt = check_output("exercise", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.catalog import exercise_detail

    emit(
        exercise_detail(exercise, seed),
        fmt,
        precision=precision,
        standalone=standalone,
        output=output,
    )


@app.command()
def check(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of exercise files.  [default: the bundled exercises]", show_default=False
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Lint every exercise file in a folder: it loads, its ids are unique and it solves.

    Prints one line per problem and exits with status 1 if there is any.

    Example: tutor exercises check exercises/
    """
    fmt = check_output("exercise-check", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.content.index import exercises_dir
    from tutor.errors import TutorError
    from tutor.teach.catalog import check_report

    target = folder if folder is not None else exercises_dir()
    if not target.is_dir():
        raise TutorError(f"no such folder: {target}")
    report = check_report(target)
    emit(report, fmt, precision=precision, standalone=standalone, output=output)
    if report.problems:
        raise typer.Exit(1)
