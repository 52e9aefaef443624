"""``tutor progress``: mastery per topic, what is due when, export and reset."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

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


def progress(
    reset: Annotated[
        bool, typer.Option("--reset", help="Erase every recorded answer (asks first).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --reset: do not ask.")] = False,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Write every session, answer and schedule as JSON to this file (- for stdout).",
            show_default=False,
            dir_okay=False,
            allow_dash=True,
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Show mastery per topic (a table and a chart) and which questions are due when.

    Progress is kept in progress.sqlite in the user data folder, or in $TUTOR_HOME when set;
    $TUTOR_NOW (ISO 8601) fixes the clock. Mastery is the mean over a topic's questions of
    FSRS's predicted chance of recalling each now (0 for one last answered wrong or never seen).

    Examples:

    \b
      tutor progress
      tutor progress --format json
      tutor progress --export progress.json
      tutor progress --reset
      tutor progress --reset --yes
    """
    from tutor.cli.quiz import clock, open_store, progress_path

    if yes and not reset:
        raise TutorError("--yes goes with --reset")
    if reset and export is not None:
        raise TutorError("--reset and --export are separate: export first, then reset")
    if reset:
        path = progress_path()
        if not path.exists():
            typer.echo(f"nothing to erase: {path} does not exist", err=True)
            return
        with open_store() as store:
            count = store.count()
            if not yes and not typer.confirm(
                f"Erase all progress in {path} ({count} answers)?", err=True
            ):
                typer.echo("nothing erased", err=True)
                raise typer.Exit(1)
            erased = store.reset()
        typer.echo(f"erased {erased} answers from {path}", err=True)
        return
    if export is not None:
        from tutor.cli.output import write_atomically
        from tutor.render.json_format import FORMAT_VERSION, dumps

        with open_store() as store:
            text = dumps({"format_version": FORMAT_VERSION, **store.export()}) + "\n"
        if str(export) == "-":
            sys.stdout.write(text)
        else:
            write_atomically(export, iter((text,)))
            typer.echo(f"wrote {export}", err=True)
        return
    fmt = check_output("progress", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.progress import progress_report

    with open_store() as store:
        report = progress_report(store, clock())
    emit(report, fmt, precision=precision, standalone=standalone, output=output)
