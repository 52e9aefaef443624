"""``tutor quiz``: ask questions, give feedback with worked solutions, keep progress."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
)
from tutor.errors import TutorError

ANKI_PER_TEMPLATE = 5
"""Generated questions per template in an Anki deck (seeds --seed, --seed + 1, …)."""


class Kind(StrEnum):
    choice = "choice"
    truefalse = "truefalse"
    numeric = "numeric"
    symbolic = "symbolic"


HELP = """Quiz yourself: multiple choice, true/false, numbers and expressions, with feedback.

Questions come from the bank (tutor quiz --list) and from templates that draw new numbers for
every seed, answered by the engine ("what is v̂₂ for Adam with …?"). A wrong number is matched
against known mistakes (forgot bias correction, …) and the worked solution is shown with the
asked value marked. At a terminal: ←/→ or a letter then Enter for a choice; type numbers (0.25,
1e-3, 1/3) and expressions (eta/sqrt(t)); ? shows the hint, skip skips, q or Ctrl-C stops (the
score so far is printed and kept). Without a terminal, or with --answers FILE (- for stdin), the
answers are read one per line in the order asked; a line that is not an answer is reported on
stderr and the next line answers the same question.

Every answer is saved in progress.sqlite in the user data folder ($TUTOR_HOME if set); see
tutor progress. --review asks first what you got wrong and what FSRS says is due.

Examples:

\b
  tutor quiz --topic adam --n 5
  tutor quiz --kind numeric --difficulty 3 --seed 7
  tutor quiz --review
  tutor quiz --topic adam --seed 1 --answers answers.txt --format json
  printf 'b\\nt\\n' | tutor quiz --n 2 --seed 5
  tutor quiz --list --format json
  tutor quiz --export-anki optimizers.apkg
"""


def progress_path() -> Path:
    """``$TUTOR_HOME/progress.sqlite``, else in :func:`platformdirs.user_data_dir`."""
    from tutor.teach.progress import FILE_NAME

    home = os.environ.get("TUTOR_HOME")
    if home:
        return Path(home).expanduser() / FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir("tutor")) / FILE_NAME


def clock() -> Any:
    """Now, or ``$TUTOR_NOW`` (ISO 8601) when set: the clock progress is kept by."""
    from tutor.teach.progress import parse_now

    return parse_now(os.environ.get("TUTOR_NOW"))


def open_store() -> Any:
    """The progress database; a corrupt one is set aside, with one line on stderr."""
    from tutor.teach.progress import open_progress

    store, note = open_progress(progress_path(), clock())
    if note is not None:
        typer.echo(f"warning: {note}", err=True)
    return store


def quiz(
    n: Annotated[int, typer.Option("--n", "-n", help="How many questions.", min=1, max=200)] = 10,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic", "-t", help="Only this topic (tutor explain lists them).", show_default=False
        ),
    ] = None,
    kind: Annotated[
        Kind | None, typer.Option("--kind", help="Only this kind.", show_default=False)
    ] = None,
    difficulty: Annotated[
        int | None,
        typer.Option(
            "--difficulty",
            "-d",
            min=1,
            max=3,
            help="Only this difficulty (1 to 3).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, help="Fix the questions and their numbers.", show_default=False
        ),
    ] = None,
    review: Annotated[
        bool, typer.Option("--review", help="Wrong and due questions first (FSRS).")
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Read the answers from this file, one per line (- for stdin).",
            show_default=False,
            dir_okay=False,
            allow_dash=True,
        ),
    ] = None,
    list_bank: Annotated[
        bool, typer.Option("--list", help="List the bank and the templates instead.")
    ] = False,
    export_anki: Annotated[
        Path | None,
        typer.Option(
            "--export-anki",
            help="Write the bank and a seeded batch of generated "
            "questions as an Anki deck (.apkg).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    kind_name = kind.value if kind is not None else None
    from tutor.cli.output import emit

    if list_bank:
        fmt = check_output("quiz-bank", output_format, standalone)
        from tutor.teach.quiz import bank_listing

        listing = bank_listing(topic, kind_name, difficulty)
        emit(listing, fmt, precision=precision, standalone=standalone, output=output)
        return
    if export_anki is not None:
        _export_anki(export_anki, seed or 0)
        return
    fmt = check_output("quiz-session", output_format, standalone)
    from tutor.teach.quiz import select

    store = open_store()
    with store:
        states = store.states(clock()) if review else None
        selection = select(
            n=n,
            topic=topic,
            kind=kind_name,
            difficulty=difficulty,
            seed=seed,
            review=states,
            now=clock(),
        )
        session = _run(selection, store, _source(answers, fmt), fmt, precision, review)
    emit(session, fmt, precision=precision, standalone=standalone, output=output)


quiz.__doc__ = HELP


def _source(answers: Path | None, fmt: str) -> Any:
    import io

    from tutor.cli.prompt import LineSource, Terminal

    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 become U+FFFD
        sys.stdin.reconfigure(errors="replace")

    if answers is not None and str(answers) != "-":
        try:
            return LineSource(answers.open(encoding="utf-8", errors="replace"))
        except OSError as exc:
            raise TutorError(f"--answers {answers}: {exc.strerror or exc}") from None
    if answers is None and sys.stdin.isatty():
        return Terminal(sys.stdout if fmt == "rich" and sys.stdout.isatty() else sys.stderr)
    return LineSource(sys.stdin)


class _Quit(Exception):
    """The student typed q."""


def _run(selection: Any, store: Any, source: Any, fmt: str, precision: int, review: bool) -> Any:
    """Ask every question, record each answer as it is given, and return the session."""
    from tutor.cli.output import stderr_console, stdout_console
    from tutor.render.options import RenderOptions
    from tutor.teach.quiz import Answered, QuizSession

    interactive = source.interactive
    to_stdout = interactive and fmt == "rich" and sys.stdout.isatty()
    console = stdout_console() if to_stdout else stderr_console()
    options = RenderOptions(precision=precision)
    questions = selection.questions
    session_id = store.start_session(selection.seed, len(questions), review, clock())
    done: list[Answered] = []
    ending = "completed"
    try:
        for number, asked in enumerate(questions, start=1):
            if interactive:
                _show_question(console, asked, number, len(questions), options)
            verdict, hinted = _ask(source, console, asked, number)
            answered = Answered(number, asked, verdict, hinted)
            store.record(
                session_id,
                question=asked.id,
                item=asked.item,
                topic=asked.topic,
                kind=asked.kind,
                correct=verdict.correct,
                hinted=hinted,
                rating=answered.rating,
                given=verdict.given,
                now=clock(),
            )
            done.append(answered)
            if interactive:
                _show_feedback(console, answered, options)
    except _Quit:
        ending = "quit"
    except EOFError:
        ending = "end-of-input"
    except KeyboardInterrupt:
        ending = "interrupted"
        if interactive:
            console.print()
    store.end_session(session_id, ending, clock())
    return QuizSession(
        selection.seed,
        len(questions),
        tuple(done),
        ending,
        review=review,
        show_questions=not interactive,
        notes=selection.notes,
        saved=str(store.path),
    )


def _ask(source: Any, console: Any, asked: Any, number: int) -> Any:
    """Read until the question has an answer (or is skipped); ``(verdict, hinted)``."""
    from tutor.teach.quiz import SKIPPED, Command, Refused, check, interpret, letter

    hinted = False
    prompt = "answer> "
    while True:
        if asked.kind == "choice":
            letters = "".join(letter(i) for i in range(len(asked.choices)))
            text = source.choose(letters, prompt)
        else:
            text = source.line(prompt)
        if text is None:
            raise EOFError
        action = interpret(asked, text)
        if isinstance(action, Command):
            if action.name == "quit":
                raise _Quit
            if action.name == "skip":
                return SKIPPED, hinted
            _say(console, source, number, f"hint: {asked.hint}" if asked.hint else "no hint here")
            hinted = hinted or asked.hint is not None
            continue
        if isinstance(action, Refused):
            _say(console, source, number, action.reason)
            continue
        try:
            return check(asked, action), hinted
        except TutorError as exc:
            _say(console, source, number, exc.message)


def _say(console: Any, source: Any, number: int, message: str) -> None:
    """One line to the student: at a terminal as it is, from a file prefixed with the question."""
    from rich.text import Text

    if source.interactive:
        console.print(Text(message, style="yellow"))
    else:
        typer.echo(f"question {number}: {' '.join(message.split())}", err=True)


def _show_question(console: Any, asked: Any, number: int, total: int, options: Any) -> None:
    from tutor.render.documents.quiz import question_blocks
    from tutor.render.rich_format import block

    console.print()
    for item in question_blocks(asked, number, total):
        console.print(block(item, options))


def _show_feedback(console: Any, answered: Any, options: Any) -> None:
    from tutor.render.documents.quiz import feedback_blocks
    from tutor.render.rich_format import block

    for i, item in enumerate(feedback_blocks(answered, options)):
        if i:
            console.print()
        console.print(block(item, options))


def _export_anki(path: Path, seed: int) -> None:
    import tempfile

    from tutor.content.quiz import bundled_bank
    from tutor.render.anki import build_package
    from tutor.teach.generated import TEMPLATES, generate

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise TutorError(f"--export-anki {path}: no such folder {folder}")
    generated = [
        generate(template_id, seed + i, kind="numeric")
        for template_id in TEMPLATES
        for i in range(ANKI_PER_TEMPLATE)
    ]
    package = build_package(bundled_bank(), generated)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        package.write_to_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    count = len(bundled_bank()) + len(generated)
    typer.echo(f"wrote {path} ({count} notes)", err=True)
