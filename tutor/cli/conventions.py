"""``tutor conventions``: how PyTorch, the papers, optax, Keras and textbooks write optimizers."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from typing import Annotated

import typer

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
    complete_optimizer,
)


def conventions(
    optimizer: Annotated[
        str | None,
        typer.Argument(
            help="One optimizer (default: all of them).",
            show_default=False,
            autocompletion=complete_optimizer,
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """List each optimizer's conventions and the formulas in which they differ.

    The differences are found by building every formula under each convention (with weight
    decay and momentum switched on, so their terms show), not written by hand.

    Examples:

    \b
      tutor conventions adamw
      tutor conventions --format json
      tutor conventions adam --format latex --standalone -o adam-conventions.tex
    """
    fmt = check_output("conventions", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.engine import OPTIMIZERS, get_optimizer
    from tutor.teach.conventions import convention_table

    specs = [get_optimizer(optimizer)] if optimizer is not None else list(OPTIMIZERS.values())
    emit(convention_table(specs), fmt, precision=precision, standalone=standalone, output=output)
