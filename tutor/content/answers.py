"""Answer files: a student's numbers for an exercise, as TOML, read defensively.

A file in format 1::

    format_version = 1
    exercise = "adamw-worked-example"   # a bundled id, or a path relative to this file
    student = "ada"                     # optional
    seed = 17                           # optional: the exercise variant this student got

    [answers.step1]                     # one table per step, step1 … stepN
    g = 2
    m = 0.2
    m_hat = 2.0                         # the table's symbols (m̂) and torch's names (exp_avg)
    theta_next = 1.898                  #   are accepted as aliases
    W = [[0.1, 0.2], [0.3, 0.4]]        # vectors and matrices as (nested) lists

    [answers]
    gradient = "2*(theta - 1)"          # an expression, where the exercise asks for one

Answer files come from students, so nothing in them is trusted: a file over
:data:`MAX_BYTES` is refused before it is read, text must be UTF-8, TOML nesting too deep for
the parser is an error, expressions only ever go through the safe parser, and every problem is
one line naming the file. Values that are not numbers (or not finite) are kept as given and
graded wrong, with the reason.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import TutorError

FORMAT_VERSION = 1
MAX_BYTES = 1_000_000
_STEP = re.compile(r"step([1-9][0-9]{0,4})")
TOP_KEYS = ("format_version", "exercise", "student", "seed", "answers")


class AnswerFileError(TutorError):
    """An answer file that cannot be read or does not follow the format (one line)."""


@dataclass(frozen=True)
class AnswerFile:
    """A validated answer file.

    Attributes:
        path: where it was read from.
        exercise: the exercise reference as written (id or path).
        exercise_path: the path, resolved relative to the answer file, when it names a file.
        student: the student's id, if given.
        seed: the exercise variant's seed, if given.
        steps: per step number, the answers by the name the student used.
        expressions: expression answers (``gradient`` or ``gradient.x``) by name.
    """

    path: Path
    exercise: str
    exercise_path: Path | None
    student: str | None
    seed: int | None
    steps: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    expressions: Mapping[str, Any] = field(default_factory=dict)


def _fail(path: Path, message: str) -> AnswerFileError:
    return AnswerFileError(f"{path}: {message}")


def read_toml(path: Path, what: str = "answer file") -> dict[str, Any]:
    """A TOML file's table, refusing oversized, non-UTF-8 or unparseable files in one line."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if path.is_dir():
        raise _fail(path, f"is a folder, not an {what}")
    if size > MAX_BYTES:
        raise _fail(path, f"is {size:,} bytes; an {what} may have at most {MAX_BYTES:,}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"invalid TOML: {str(exc)[:1].lower()}{str(exc)[1:]}") from None
    except RecursionError:
        raise _fail(path, "invalid TOML: nested too deeply") from None


def load_answers(path: Path) -> AnswerFile:
    """Read and validate an answer file (the format is in the module docstring)."""
    path = Path(path)
    data = read_toml(path)
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise _fail(
            path,
            f"format_version must be {FORMAT_VERSION}, got {version!r}"
            if version is not None
            else f"missing format_version (expected {FORMAT_VERSION})",
        )
    unknown = [key for key in data if key not in TOP_KEYS]
    if unknown:
        raise _fail(path, f"unknown key {unknown[0]!r} (allowed: {', '.join(TOP_KEYS)})")
    exercise = data.get("exercise")
    if not isinstance(exercise, str) or not exercise.strip() or len(exercise) > 500:
        raise _fail(path, "exercise: must name an exercise (its id, or a path to its file)")
    student = data.get("student")
    if student is not None and (not isinstance(student, str) or len(student) > 200):
        raise _fail(path, "student: must be a string (at most 200 characters)")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _fail(path, f"seed: must be a whole number >= 0, got {seed!r}")
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise _fail(path, "answers: must be a table ([answers.step1] …)")
    steps: dict[int, dict[str, Any]] = {}
    expressions: dict[str, Any] = {}
    for key, value in answers.items():
        match = _STEP.fullmatch(key)
        if match is not None:
            if not isinstance(value, dict):
                raise _fail(path, f"answers.{key}: must be a table of quantity = value")
            steps[int(match.group(1))] = dict(value)
        elif key.startswith("step"):
            raise _fail(path, f"answers.{key}: steps are named step1, step2, …")
        elif isinstance(value, dict):
            for name, text in value.items():
                expressions[f"{key}.{name}"] = text
        else:
            expressions[key] = value
    candidate = (path.parent / exercise).resolve() if not _looks_like_id(exercise) else None
    return AnswerFile(
        path,
        exercise.strip(),
        candidate,
        student,
        seed,
        steps,
        expressions,
    )


def _looks_like_id(text: str) -> bool:
    return re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text) is not None


def as_number(value: Any) -> tuple[Any | None, str | None]:
    """``(float or nested list, None)`` for a finite number or a rectangular list of them;
    ``(None, reason)`` otherwise."""
    if isinstance(value, bool):
        return None, "true/false is not a number"
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            return None, f"{value!r} is not a finite number"
        return number, None
    if isinstance(value, list):
        if not value or len(value) > 10_000:
            return None, "a list of numbers must have 1 to 10,000 entries"
        items = []
        for item in value:
            entry, reason = as_number(item)
            if reason is not None:
                return None, reason
            items.append(entry)
        return items, None
    if isinstance(value, str):
        return None, f"{value[:40]!r} is text, not a number (write it without quotes)"
    return None, f"a {type(value).__name__} is not a number"
