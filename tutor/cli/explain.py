"""``tutor explain``: the list of topics, one topic with its example computed now, or a lint.

The options that change a topic's worked example are the example's own (listed by the topic):
the common ones have flags (``--lr``, ``--steps`` …, :data:`tutor.content.hooks.SHORTCUTS`), and
any other is given as ``--set NAME=VALUE``. An option the example does not take is an error that
lists the ones it does.
"""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from typing import Annotated, Any

import click
import typer

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
    complete_topic,
)
from tutor.errors import TutorError

EXAMPLE_PANEL = "Worked example"


def _flag(name: str, help_text: str, short: str | None = None) -> Any:
    names = [name, short] if short else [name]
    return typer.Option(*names, help=help_text, rich_help_panel=EXAMPLE_PANEL, show_default=False)


LrOption = Annotated[float | None, _flag("--lr", "The example's learning rate.")]
StepsOption = Annotated[int | None, _flag("--steps", "The example's number of steps.", "-n")]
Beta1Option = Annotated[float | None, _flag("--beta1", "The example's β₁.")]
Beta2Option = Annotated[float | None, _flag("--beta2", "The example's β₂.")]
MomentumOption = Annotated[float | None, _flag("--momentum", "The example's momentum.")]
DecayOption = Annotated[float | None, _flag("--weight-decay", "The example's weight decay.")]
ThetaOption = Annotated[str | None, _flag("--theta", "The example's start, e.g. 1.5,-0.5.")]
LossOption = Annotated[str | None, _flag("--loss", "The example's loss (expression or preset).")]


def _overrides(flags: dict[str, Any], settings: list[str]) -> dict[str, Any]:
    """The example's inputs the user gave: flags with a value, then each ``--set NAME=VALUE``
    (values as typed; the example parses them in each option's type)."""
    given = {name: repr(value) for name, value in flags.items() if value is not None}
    for name in ("theta", "loss"):
        if flags.get(name) is not None:
            given[name] = flags[name]
    for item in settings:
        name, equals, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not equals or not name:
            raise TutorError(f"--set takes NAME=VALUE (for example --set gamma=0.5), got {item!r}")
        if name in given:
            raise TutorError(f"{name} is given twice (with its own flag or --set)")
        given[name] = value
    return given


def explain(
    topic: Annotated[
        str | None,
        typer.Argument(
            help="A topic id or another name for it ('bias correction'). Without it: the list.",
            show_default=False,
            autocompletion=complete_topic,
        ),
    ] = None,
    lr: LrOption = None,
    steps: StepsOption = None,
    beta1: Beta1Option = None,
    beta2: Beta2Option = None,
    momentum: MomentumOption = None,
    weight_decay: DecayOption = None,
    theta: ThetaOption = None,
    loss: LossOption = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Any other input of the example, as NAME=VALUE (repeatable).",
            rich_help_panel=EXAMPLE_PANEL,
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Lint every topic file; print each problem (exit 1 if any)."),
    ] = False,
    quiz: Annotated[
        bool, typer.Option("--quiz", help="Hand over to quiz questions on the topic.")
    ] = False,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Explain a topic: intuition, the update's equations, a worked example computed now, the
    pitfalls, where libraries differ and what the sources get wrong.

    Without a topic, list the topics by group. The worked example is computed when it is shown:
    change its inputs with the flags below or --set NAME=VALUE.

    Examples:

    \b
      tutor explain
      tutor explain bias-correction
      tutor explain 'bias correction' --beta1 0.5
      tutor explain adam --lr 0.01 --steps 5
      tutor explain focal-loss --set gamma=0 --set p=0.6
      tutor explain weight-decay-vs-l2 --format markdown
      tutor explain momentum --format latex --standalone -o momentum.tex
      tutor explain --check
    """
    flags = {
        "lr": lr,
        "steps": steps,
        "beta1": beta1,
        "beta2": beta2,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "theta": theta,
        "loss": loss,
    }
    if check:
        _check(topic)
        return
    if topic is None:
        if any(v is not None for v in flags.values()) or settings or quiz:
            raise TutorError("the example's options and --quiz need a topic: tutor explain TOPIC")
        fmt = check_output("topics", output_format, standalone)
        from tutor.cli.output import emit
        from tutor.teach.explain import topic_list

        emit(topic_list(), fmt, precision=precision, standalone=standalone, output=output)
        return
    if quiz:
        _quiz(topic)
        return
    fmt = check_output("explanation", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.explain import explain as explain_topic

    result = explain_topic(topic, _overrides(flags, settings or []))
    emit(result, fmt, precision=precision, standalone=standalone, output=output)


def _check(topic: str | None) -> None:
    if topic is not None:
        raise TutorError("--check lints every topic file; leave out the topic")
    from tutor.content.explain import check_topics

    problems = check_topics()
    for line in problems:
        typer.echo(line)
    if problems:
        raise typer.Exit(1)


def _quiz(topic: str) -> None:
    """Run ``tutor quiz --topic ID`` if that command exists, else say the quiz is not here."""
    from tutor.content.explain import find_topic

    found = find_topic(topic)
    context = click.get_current_context()
    root = context.find_root().command
    command = root.get_command(context, "quiz") if isinstance(root, click.Group) else None
    if command is None:
        raise TutorError(
            f"the quiz is not available yet ('tutor quiz' does not exist), so there are no "
            f"questions to hand over to; read 'tutor explain {found.id}' instead"
        )
    context.invoke(command, topic=found.id)
