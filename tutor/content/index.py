"""A cheap index of exercise files: their headers only, read with ``tomllib``.

Listing exercises must start instantly, so this module imports neither NumPy nor SymPy and
validates nothing; :func:`tutor.content.exercises.load_exercise` does the full check, and
``tutor exercises check`` runs it over a folder.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tutor


@dataclass(frozen=True)
class ExerciseSummary:
    """What a listing shows of one exercise file."""

    id: str
    title: str
    topic: str
    optimizer: str
    steps: int
    path: Path


def exercises_dir() -> Path:
    """The folder of bundled exercises: inside an installed wheel, else the source checkout's."""
    package = Path(tutor.__file__).resolve().parent  # cheaper than importlib.resources
    installed = package / "_exercises"
    return installed if installed.is_dir() else package.parent / "exercises"


def _summary(path: Path) -> ExerciseSummary | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    fields = (data.get("id"), data.get("title"), data.get("optimizer"))
    if not all(isinstance(value, str) for value in fields):
        return None
    steps = data.get("steps", 1)
    return ExerciseSummary(
        data["id"],
        data["title"],
        str(data.get("topic", data["optimizer"])),
        data["optimizer"],
        steps if isinstance(steps, int) else 1,
        path,
    )


@functools.cache
def bundled_index() -> tuple[ExerciseSummary, ...]:
    """Every readable bundled exercise header, sorted by (topic, id)."""
    found = (_summary(path) for path in sorted(exercises_dir().rglob("*.toml")))
    return tuple(sorted((s for s in found if s is not None), key=lambda s: (s.topic, s.id)))
