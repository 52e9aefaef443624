"""``tutor optimizers``: the registered optimizers, their options and conventions."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
)


def optimizers(
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """List the optimizers: name, year, what each does, its options with defaults.

    'tutor solve NAME --help' shows one optimizer in full (its update, options and ranges).

    Examples:

    \b
      tutor optimizers
      tutor optimizers --format json
    """
    fmt = check_output("optimizers", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.teach.catalog import optimizer_list

    emit(optimizer_list(), fmt, precision=precision, standalone=standalone, output=output)
