"""Where output goes: one dispatcher from ``--format`` to a renderer, and the consoles.

JSON, Markdown and LaTeX are plain text on stdout; Rich tables go through a Console that honours
the terminal (colour only on a terminal, width from it or ``COLUMNS``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console

from tutor.errors import TutorError

if TYPE_CHECKING:  # the renderers and SymPy load only when a solution is printed
    from tutor.teach.conventions import Comparison, ConventionRow
    from tutor.teach.solve import Solution


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_solution(solution: Solution, output_format: str, precision: int) -> None:
    """Render ``solution`` in ``output_format`` (rich, json, markdown, latex) to stdout."""
    if output_format == "rich":
        from tutor.render.rich_solution import render_rich

        stdout_console().print(render_rich(solution, precision))
        return
    if output_format == "json":
        from tutor.render.json_solution import render_json

        text = render_json(solution) + "\n"
    elif output_format == "markdown":
        from tutor.render.markdown_solution import render_markdown

        text = render_markdown(solution, precision)
    else:
        from tutor.render.latex_solution import render_latex

        text = render_latex(solution, precision)
    _write(text)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def print_comparison(comparison: Comparison, output_format: str, precision: int) -> None:
    """Render a comparison of conventions (rich, json or markdown) to stdout."""
    from tutor.render import conventions as render

    if output_format == "rich":
        stdout_console().print(render.render_comparison_rich(comparison, precision))
    elif output_format == "json":
        _write(render.render_comparison_json(comparison) + "\n")
    elif output_format == "markdown":
        _write(render.render_comparison_markdown(comparison, precision))
    else:
        raise TutorError("--compare-conventions prints rich, json or markdown, not latex")


def print_convention_rows(rows: list[ConventionRow], output_format: str) -> None:
    """Render the table of conventions (rich, json or markdown) to stdout."""
    from tutor.render import conventions as render

    if output_format == "rich":
        stdout_console().print(render.render_convention_rows_rich(rows))
    elif output_format == "json":
        import json

        _write(json.dumps(render.convention_rows_data(rows), indent=2, ensure_ascii=False) + "\n")
    elif output_format == "markdown":
        _write(render.render_convention_rows_markdown(rows))
    else:
        raise TutorError("'tutor conventions' prints rich, json or markdown, not latex")
