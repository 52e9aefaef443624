"""A cheap index of exercise files: their headers only, read with ``tomllib``.

Listing exercises must start instantly, so this module imports neither NumPy nor SymPy and
validates nothing; :func:`tutor.content.exercises.load_exercise` does the full check, and
``tutor exercises check`` runs it over a folder. The index of the bundled files is kept in the
cache (:mod:`tutor.cache`), under the size and modification time of every file, so a listing
reads one small JSON file instead of parsing every TOML file.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tutor
from tutor import cache

KIND = "exercises"


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
    import tomllib

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
    folder = exercises_dir()
    paths = sorted(folder.rglob("*.toml"))
    stamps = []
    for path in paths:
        status = path.stat()
        stamps.append([path.relative_to(folder).as_posix(), status.st_size, status.st_mtime_ns])
    key = json.dumps([1, tutor.__version__, str(folder), stamps])
    kept = _kept(cache.read(KIND, key), folder)
    if kept is not None:
        return kept
    found = (_summary(path) for path in paths)
    index = tuple(sorted((s for s in found if s is not None), key=lambda s: (s.topic, s.id)))
    rows = [
        [s.id, s.title, s.topic, s.optimizer, s.steps, _relative(s.path, folder)] for s in index
    ]
    cache.write(KIND, key, rows, keep=20)
    return index


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _kept(rows: Any, folder: Path) -> tuple[ExerciseSummary, ...] | None:
    """The index read back from the cache, or None if it is not a list of well-formed rows."""
    if not isinstance(rows, list):
        return None
    index = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 6):
            return None
        id_, title, topic, optimizer, steps, relative = row
        texts = (id_, title, topic, optimizer, relative)
        if not all(isinstance(t, str) for t in texts) or type(steps) is not int:
            return None
        path = folder / relative
        if ".." in Path(relative).parts or path.suffix != ".toml":
            return None
        index.append(ExerciseSummary(id_, title, topic, optimizer, steps, path))
    return tuple(index)
