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


def exercise_detail(ref: str) -> ExerciseDetail:
    from tutor.content.exercises import find_exercise

    return ExerciseDetail(find_exercise(ref))


def check_report(folder: Path) -> CheckReport:
    from tutor.content.exercises import check_exercises

    problems = tuple(check_exercises(folder))
    return CheckReport(
        folder, len(list(folder.rglob("*.toml"))) if folder.is_dir() else 0, problems
    )
