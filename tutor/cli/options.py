"""Options shared by every command that prints a result: defined once, here.

``--format`` offers every registered format; a command whose result a format cannot show refuses
it before computing anything (:func:`check_output`).
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tutor.render.registry import FORMATS, check_format

OUTPUT_PANEL = "Output"

Format = StrEnum("Format", {name: name for name in FORMATS})  # type: ignore[misc]

FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output format: " + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values()),
        rich_help_panel=OUTPUT_PANEL,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (atomically) instead of stdout.",
        rich_help_panel=OUTPUT_PANEL,
        show_default=False,
        dir_okay=False,
    ),
]
PrecisionOption = Annotated[
    int,
    typer.Option(
        "--precision",
        "-p",
        min=1,
        max=17,
        help="Significant digits shown (JSON always has every digit).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
StandaloneOption = Annotated[
    bool,
    typer.Option(
        "--standalone",
        help="With --format latex: a complete document (preamble included), not a fragment.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]


def check_output(kind: str, fmt: "Format", standalone: bool = False) -> str:
    """The format's name if it can show ``kind`` (else a TutorError, before any work)."""
    name = fmt.value
    check_format(kind, name)
    if standalone and name != "latex":
        from tutor.errors import TutorError

        raise TutorError("--standalone goes with --format latex")
    return name


# --- Shell completion: names read from the registries, only when the shell asks ------------------


def _starting(names: list[str], incomplete: str) -> list[str]:
    return [name for name in names if name.startswith(incomplete.lower())]


def complete_optimizer(incomplete: str) -> list[str]:
    """Optimizer names for ``tutor solve <TAB>`` (the registry's)."""
    from tutor.engine import OPTIMIZERS

    return _starting(list(OPTIMIZERS), incomplete)


def complete_schedule(incomplete: str) -> list[str]:
    """Schedule names for ``tutor schedule <TAB>``."""
    from tutor.engine.schedules import SCHEDULES

    return _starting(list(SCHEDULES), incomplete)


def complete_topic(incomplete: str) -> list[str]:
    """Topic ids for ``tutor explain <TAB>``."""
    from tutor.content.topics import topic_ids

    return _starting(list(topic_ids()), incomplete)


def complete_preset(incomplete: str) -> list[str]:
    """Preset losses for ``--loss <TAB>`` (any expression is accepted too)."""
    from tutor.symbolic.presets import presets

    return _starting(list(presets()), incomplete)


def with_examples(doc: str | None, examples: str) -> str:
    """A command's docstring with its examples after it, its body dedented as Click expects
    (Click dedents a help text by its least indented line, and the examples have none)."""
    import textwrap  # Click's help formatter has imported it already

    first, _, rest = (doc or "").partition("\n")
    return f"{first.strip()}\n{textwrap.dedent(rest).rstrip()}\n\n{examples}"
