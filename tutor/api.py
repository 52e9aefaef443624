"""The Python API, for notebooks and scripts: the same results the command line prints.

>>> from tutor import solve
>>> result = solve("adamw", theta=2.0, lr=0.1)
>>> round(float(result.solution.final_theta[0]), 6)
1.898

A :class:`Result` shows itself through the render registry: as Rich tables in Jupyter (text and
HTML), as Markdown (``_repr_markdown_``), as LaTeX math that MathJax renders (``_repr_latex_``),
and as JSON (:meth:`Result.to_json`). Like the CLI, this module sits above the render layer: the
results themselves (in :mod:`tutor.teach`) know nothing about display.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tutor.render.options import RenderOptions
from tutor.render.registry import render_text


class Result:
    """A result with display hooks. The underlying object is :attr:`value` (a Solution, a
    Comparison); its attributes are also reachable directly (``result.run``)."""

    def __init__(self, value: Any, precision: int = 6) -> None:
        self.value = value
        self.options = RenderOptions(precision=precision)

    @property
    def solution(self) -> Any:
        return self.value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.value, name)

    def to_json(self) -> str:
        return render_text(self.value, "json", self.options)

    def to_dict(self) -> Any:
        return json.loads(self.to_json())

    def text(self, width: int = 100) -> str:
        return render_text(self.value, "rich", self.options, width=width)

    def __repr__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return render_text(self.value, "markdown", self.options)

    def _repr_latex_(self) -> str:
        """Display math for MathJax: the step tables' formulas as one ``aligned`` block each."""
        from tutor.render.registry import document

        rows = []
        for block in document(self.value, self.options).blocks:
            for row in getattr(block, "rows", ()):
                cells = [piece for cell in row[:2] for piece in cell if hasattr(piece, "tex")]
                if len(cells) == 2:
                    rows.append(rf"{cells[0].tex} &= {cells[1].tex}")
        body = r" \\ ".join(rows) if rows else r"\text{(no formulas)}"
        return rf"$$\begin{{aligned}} {body} \end{{aligned}}$$"

    def _repr_html_(self) -> str:
        from io import StringIO

        from rich.console import Console

        from tutor.render.registry import render

        console = Console(record=True, file=StringIO(), width=110, color_system="truecolor")
        console.print(render(self.value, "rich", self.options))
        return console.export_html(inline_styles=True)


def _problem(
    optimizer: str | None,
    exercise: str | None,
    loss: str | None,
    theta: float | Sequence[float] | None,
    params: Any,
    steps: int | None,
    convention: str | None,
    data: Any,
    hyperparameters: dict[str, Any],
) -> Any:
    from tutor.teach.problem import make_problem, problem_from_exercise

    start = None if theta is None else ([theta] if isinstance(theta, (int, float)) else list(theta))
    if exercise is not None:
        return problem_from_exercise(
            exercise,
            optimizer=optimizer,
            loss=loss,
            params=params,
            theta=start,
            steps=steps,
            hyperparameters=hyperparameters,
            convention=convention,
            data=data,
        )
    if optimizer is None:
        from tutor.errors import TutorError

        raise TutorError("name an optimizer, e.g. solve('adamw', theta=2.0, lr=0.1), or exercise=")
    return make_problem(
        optimizer,
        loss=loss,
        params=params,
        theta=start,
        steps=steps or 1,
        hyperparameters=hyperparameters,
        convention=convention,
        data=data,
    )


def solve(
    optimizer: str | None = None,
    *,
    exercise: str | None = None,
    loss: str | None = None,
    theta: float | Sequence[float] | None = None,
    params: Any = None,
    steps: int | None = None,
    convention: str | None = None,
    data: Any = None,
    precision: int = 6,
    every: int | None = None,
    show_steps: Sequence[int] | None = None,
    **hyperparameters: Any,
) -> Result:
    """Solve a problem as ``tutor solve`` does; hyper-parameters by torch's names (``lr=0.1``)."""
    from tutor.teach.solve import View
    from tutor.teach.solve import solve as run

    problem = _problem(
        optimizer, exercise, loss, theta, params, steps, convention, data, hyperparameters
    )
    view = View(every, tuple(show_steps) if show_steps else None, None)
    return Result(run(problem, view), precision)


def compare_conventions(optimizer: str, **kwargs: Any) -> Result:
    """The problem under every convention of the optimizer (``--compare-conventions``)."""
    from tutor.teach.conventions import compare_conventions as compare

    precision = kwargs.pop("precision", 6)
    problem = _problem(
        optimizer,
        kwargs.pop("exercise", None),
        kwargs.pop("loss", None),
        kwargs.pop("theta", None),
        kwargs.pop("params", None),
        kwargs.pop("steps", None),
        kwargs.pop("convention", None),
        kwargs.pop("data", None),
        kwargs,
    )
    return Result(compare(problem), precision)
