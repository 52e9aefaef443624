"""``tutor conventions``: how PyTorch, the papers, optax, Keras and textbooks write optimizers."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from typing import Annotated

import typer

from tutor.cli.solve import Format


def conventions(
    optimizer: Annotated[
        str | None,
        typer.Argument(help="One optimizer (default: all of them).", show_default=False),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format (rich, json or markdown).")
    ] = Format.rich,
) -> None:
    """List each optimizer's conventions and the formulas in which they differ.

    The differences are found by building every formula under each convention (with weight
    decay and momentum switched on, so their terms show), not written by hand.

    Examples:

    \b
      tutor conventions adamw
      tutor conventions --format json
    """
    from tutor.cli.output import print_convention_rows
    from tutor.engine import OPTIMIZERS, get_optimizer
    from tutor.teach.conventions import convention_rows

    specs = [get_optimizer(optimizer)] if optimizer is not None else list(OPTIMIZERS.values())
    rows = [row for spec in specs for row in convention_rows(spec)]
    print_convention_rows(rows, output_format.value)
