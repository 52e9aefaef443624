"""The one family of errors that `tutor` reports to users.

Every problem caused by input (a command line, an exercise file, a student's answer) is raised as a
:class:`TutorError`. The CLI's error funnel prints ``error: <message>`` on one line and exits with
status 2; nothing else in the package prints. The engine, the symbolic layer and the content loader
raise these errors and never catch them.
"""

from __future__ import annotations


class TutorError(Exception):
    """A problem with the user's input, described in one line that names the fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ExpressionError(TutorError):
    """An expression was refused by the safe parser.

    Attributes:
        text: the expression as the user wrote it.
        column: 1-based column of the offending part, or ``None`` when the problem is global
            (too long, too deeply nested).
    """

    def __init__(self, text: str, reason: str, column: int | None = None) -> None:
        where = f" at column {column}" if column is not None else ""
        shown = text if len(text) <= 60 else text[:57] + "…"
        super().__init__(f"expression {shown!r}: {reason}{where}")
        self.text = text
        self.reason = reason
        self.column = column


class HyperparameterError(TutorError):
    """A hyper-parameter value is outside its valid range."""


class DivergenceError(TutorError):
    """Values became infinite or NaN during a run."""


class SingularMatrixError(TutorError):
    """A step had to solve a linear system (Newton's ``H·d = g``) whose matrix is singular, or so
    ill-conditioned that float64 cannot solve it reliably; the message names the step and θ."""
