"""Listings as data: the optimizers, the exercises, one exercise, and a lint report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OptimizerList:
    """``tutor optimizers``: every registered optimizer, in the registry's order."""

    kind = "optimizers"

    specs: tuple[Any, ...]


@dataclass(frozen=True)
class ExerciseList:
    """``tutor exercises``: the bundled exercises' headers."""

    kind = "exercises"

    exercises: tuple[Any, ...]


@dataclass(frozen=True)
class ExerciseDetail:
    """``tutor exercises show``: one exercise's statement, what is asked and the hints."""

    kind = "exercise"

    exercise: Any


@dataclass(frozen=True)
class CheckReport:
    """``tutor exercises check``: every problem found in a folder of exercise files."""

    kind = "exercise-check"

    folder: Path
    files: int
    problems: tuple[str, ...]


def optimizer_list() -> OptimizerList:
    from tutor.engine import OPTIMIZERS

    return OptimizerList(tuple(OPTIMIZERS.values()))


def exercise_list() -> ExerciseList:
    from tutor.content.index import bundled_index

    return ExerciseList(bundled_index())


def exercise_detail(ref: str, seed: int | None = None) -> ExerciseDetail:
    """One exercise; with ``seed``, the variant of it that seed draws (a student's numbers)."""
    from tutor.content.exercises import exercise_variant, find_exercise

    exercise = find_exercise(ref)
    return ExerciseDetail(exercise if seed is None else exercise_variant(exercise, seed))


def check_report(folder: Path) -> CheckReport:
    from tutor.content.exercises import check_exercises

    problems = list(check_exercises(folder))
    if folder.is_dir():
        problems += _mistake_problems(folder)
    count = len(list(folder.rglob("*.toml"))) if folder.is_dir() else 0
    return CheckReport(folder, count, tuple(problems))


def _mistake_problems(folder: Path) -> list[str]:
    """Mistake names in ``mistakes``/``exclude_mistakes`` that the registry does not know."""
    import difflib

    from tutor.content.exercises import ExerciseError, load_exercise
    from tutor.teach.mistakes import MISTAKES

    lines = []
    for path in sorted(folder.rglob("*.toml")):
        try:
            exercise = load_exercise(path)
        except ExerciseError:
            continue  # already reported
        for field_name in ("mistakes", "exclude_mistakes"):
            for i, name in enumerate(getattr(exercise, field_name) or ()):
                if name not in MISTAKES:
                    close = difflib.get_close_matches(name, list(MISTAKES), n=1)
                    hint = f"did you mean {close[0]!r}?" if close else "see tutor/teach/mistakes.py"
                    lines.append(f"{path}: {field_name}[{i}]: unknown mistake {name!r} ({hint})")
    return lines
