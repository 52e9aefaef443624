"""``tutor exercises``: list, show and check exercise files."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help=(
        "List the bundled exercises, show one, or check a folder of exercise files.\n\n"
        "Examples:\n\n"
        "\b\n"
        "  tutor exercises\n"
        "  tutor exercises show adamw-worked-example\n"
        "  tutor exercises check my-course/exercises"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def exercises(ctx: typer.Context) -> None:
    """List the bundled exercises (id, optimizer, title)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from tutor.cli.output import stdout_console
    from tutor.content.index import bundled_index

    table = Table(title="Exercises (run one with: tutor solve --exercise ID)", title_justify="left")
    table.add_column("id", style="bold cyan", no_wrap=True)
    table.add_column("optimizer")
    table.add_column("steps", justify="right")
    table.add_column("title")
    for exercise in bundled_index():
        table.add_row(exercise.id, exercise.optimizer, str(exercise.steps), exercise.title)
    stdout_console().print(table)


@app.command()
def show(
    exercise: Annotated[str, typer.Argument(help="An exercise id, or the path of a file.")],
) -> None:
    """Show one exercise: the problem, what is asked, and the hints (never the answers).

    Example: tutor exercises show adamw-worked-example
    """
    from rich.text import Text

    from tutor.cli.output import stdout_console
    from tutor.content.exercises import find_exercise

    found = find_exercise(exercise)
    text = Text()
    text.append(f"{found.title}\n", style="bold")
    text.append(f"id: {found.id} · optimizer: {found.optimizer} · topic: {found.topic}\n\n")
    text.append(f"{found.description.strip()}\n\n")
    names = found.params or ("(the loss's names, sorted)",)
    text.append("Loss: ", style="bold").append(f"{found.loss}\n")
    text.append("Parameters: ", style="bold").append(f"{', '.join(names)}\n")
    text.append("Start: ", style="bold").append(f"{', '.join(map(str, found.start))}\n")
    if found.hyperparameters:
        given = ", ".join(f"{k} = {v}" for k, v in found.hyperparameters.items())
        text.append("Hyper-parameters: ", style="bold").append(f"{given} (others: defaults)\n")
    text.append("Steps: ", style="bold").append(f"{found.steps}\n")
    text.append("Asked: ", style="bold").append(f"{', '.join(found.ask)}\n")
    for number, hint in enumerate(found.hints, start=1):
        text.append(f"Hint {number}: ", style="bold").append(f"{hint}\n")
    text.append(f"\nCheck your answers with: tutor solve --exercise {found.id}")
    stdout_console().print(text)


@app.command()
def check(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of exercise files.  [default: the bundled exercises]", show_default=False
        ),
    ] = None,
) -> None:
    """Lint every exercise file in a folder: it loads, its ids are unique and it solves.

    Prints one line per problem and exits with status 1 if there is any.

    Example: tutor exercises check exercises/
    """
    from tutor.content.exercises import check_exercises
    from tutor.content.index import exercises_dir

    target = folder if folder is not None else exercises_dir()
    if not target.is_dir():
        from tutor.errors import TutorError

        raise TutorError(f"no such folder: {target}")
    problems = check_exercises(target)
    for line in problems:
        typer.echo(line)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {target}", err=True)
        raise typer.Exit(1)
    count = len(list(target.rglob("*.toml")))
    typer.echo(f"{count} exercise file(s) in {target}: all good")
