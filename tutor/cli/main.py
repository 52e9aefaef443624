"""The ``tutor`` application: the root command and the registry of sub-commands.

Importing this module must stay cheap (``tutor --help`` imports no NumPy or SymPy): commands import
the engine and the symbolic layer inside their functions.
"""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from typing import Annotated

import typer

from tutor import __version__
from tutor.cli import (
    conventions,
    exercises,
    explain,
    grade,
    optimizers,
    progress,
    quiz,
    schedule,
    solve,
)
from tutor.cli.errors import FunnelGroup

app = typer.Typer(
    name="tutor",
    cls=FunnelGroup,
    help=(
        "See what neural-network optimizers do to the numbers, one step at a time.\n\n"
        "Examples:\n\n"
        "\b\n"
        "  tutor solve adamw --theta 2.0 --lr 0.1\n"
        "  tutor solve sgd --loss rosenbrock --lr 0.001 --momentum 0.9 --steps 20\n"
        "  tutor solve adamw --theta 2.0 --lr 0.1 --compare-conventions\n"
        "  tutor solve newton --loss himmelblau --theta 0,0\n"
        "  tutor schedule cosine --lr 0.1 --t-max 10 --eta-min 0.001 --steps 10\n"
        "  tutor explain bias-correction\n"
        "  tutor quiz --topic adam\n"
        "  tutor solve --exercise adamw-worked-example\n"
        "  tutor grade answers/\n"
        "  tutor optimizers"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: Rich's help formatter costs 0.1 s of start-up
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tutor {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """See what neural-network optimizers do to the numbers, one step at a time."""


app.command("solve", cls=solve.SolveCommand, no_args_is_help=True)(solve.solve)
app.command("optimizers")(optimizers.optimizers)
app.command("conventions")(conventions.conventions)
app.command("explain")(explain.explain)
app.add_typer(exercises.app, name="exercises")
app.command("grade")(grade.grade)
app.command("quiz")(quiz.quiz)
app.command("progress")(progress.progress)
app.command("schedule", cls=schedule.ScheduleCommand, no_args_is_help=True)(schedule.schedule)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="tutor")
