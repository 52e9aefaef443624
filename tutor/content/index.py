"""A cheap index of exercise files: their headers only, read with ``tomllib``.

Listing exercises must start instantly, so this module imports neither NumPy nor SymPy and
validates nothing; :func:`tutor.content.exercises.load_exercise` does the full check, and
``tutor exercises check`` runs it over a folder.

A wheel carries the index of its bundled files (``_exercises/index.json``, written by the build
hook ``hatch_build.py`` with :func:`index_rows`), so a listing reads one small file instead of
parsing every TOML file. Each row holds its file's path and size; if the files on disk are not
exactly those (a source checkout has no index; an edited file has another size), the files are
parsed instead.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tutor

INDEX = "index.json"


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
    files = _files(folder)
    built = _built(folder, files)
    if built is not None:
        return built
    found = (_summary(folder / relative) for relative in sorted(files))
    return _sorted(s for s in found if s is not None)


def _sorted(summaries: Any) -> tuple[ExerciseSummary, ...]:
    return tuple(sorted(summaries, key=lambda s: (s.topic, s.id)))


def _files(folder: Path) -> dict[str, int]:
    """Every ``.toml`` file under ``folder``: its path relative to it, and its size."""
    found: dict[str, int] = {}
    for root, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".toml"):
                path = Path(root, name)
                found[path.relative_to(folder).as_posix()] = path.stat().st_size
    return found


def index_rows(folder: Path) -> list[list[Any]]:
    """The index a wheel carries: ``[path, size, id, title, topic, optimizer, steps]`` for each
    exercise file (``[path, size]`` alone for a file that cannot be read)."""
    rows: list[list[Any]] = []
    for relative, size in sorted(_files(folder).items()):
        summary = _summary(folder / relative)
        if summary is None:
            rows.append([relative, size])
            continue
        fields = [summary.id, summary.title, summary.topic, summary.optimizer, summary.steps]
        rows.append([relative, size, *fields])
    return rows


def _built(folder: Path, files: dict[str, int]) -> tuple[ExerciseSummary, ...] | None:
    """The index written at build time, if it describes exactly ``files``; else None."""
    try:
        rows = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rows, list) or len(rows) != len(files):
        return None
    index, seen = [], set()
    for row in rows:
        if not (isinstance(row, list) and len(row) in (2, 7) and isinstance(row[0], str)):
            return None
        if files.get(row[0]) != row[1] or row[0] in seen:
            return None
        seen.add(row[0])
        if len(row) == 2:
            continue
        _, _, id_, title, topic, optimizer, steps = row
        if not all(isinstance(t, str) for t in (id_, title, topic, optimizer)):
            return None
        if type(steps) is not int:
            return None
        index.append(ExerciseSummary(id_, title, topic, optimizer, steps, folder / row[0]))
    return _sorted(index)
