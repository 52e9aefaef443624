"""The user's cache folder: small JSON files that spare work a later run would repeat.

Everything kept here can be made again (today: compiled losses, see :mod:`tutor.symbolic.store`),
so a file that is missing, unreadable or damaged is simply a miss, and writing is never allowed
to fail a command. The folder is :func:`platformdirs.user_cache_dir` (``TUTOR_CACHE_DIR``
overrides it; ``TUTOR_NO_CACHE=1`` turns the cache off); each kind of file has a sub-folder of
its own, kept to a bounded number of files, oldest removed first. Files are written atomically
(a temporary file renamed over the target), so a reader never sees half a file.

An entry is found by its key, a text describing everything it depends on: the file is named by
two checksums of the key and holds the key itself, which a read compares in full.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

MAX_FILES = 500
MAX_BYTES = 4_000_000  # a larger file is not ours (a stored loss is a few kilobytes to ~500 KB)


def folder(kind: str) -> Path | None:
    """The sub-folder for ``kind`` (``"losses"``), or None when the cache is off."""
    if os.environ.get("TUTOR_NO_CACHE"):
        return None
    chosen = os.environ.get("TUTOR_CACHE_DIR")
    if chosen:
        return Path(chosen) / kind
    import platformdirs

    try:
        return Path(platformdirs.user_cache_dir("tutor")) / kind
    except (RuntimeError, OSError, KeyError):  # no home folder to be found: no cache
        return None


def _name(key: str) -> str:
    """A file name for ``key`` (checksums, not a secure hash: the file holds the key)."""
    data = key.encode("utf-8")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}.json"


def read(kind: str, key: str) -> Any:
    """The data kept under ``key``, or None (the cache off, nothing kept, or not readable)."""
    place = folder(kind)
    if place is None:
        return None
    path = place / _name(key)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    return entry.get("data")


def write(kind: str, key: str, data: Any, keep: int = MAX_FILES) -> None:
    """Keep ``data`` under ``key`` (at most ``keep`` files of this kind); nothing on failure."""
    place = folder(kind)
    if place is None:
        return
    text = json.dumps({"key": key, "data": data}, ensure_ascii=False)
    try:
        place.mkdir(parents=True, exist_ok=True)
        _write_atomically(place / _name(key), text)
        _prune(place, keep)
    except OSError:
        return


def _write_atomically(path: Path, text: str) -> None:
    import tempfile  # only writers need it

    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below; renamed on success)
        "w", encoding="utf-8", dir=path.parent, prefix=".", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _prune(place: Path, keep: int) -> None:
    """Remove the oldest files beyond ``keep``."""
    files = list(place.glob("*.json"))
    if len(files) <= keep:
        return
    files.sort(key=lambda p: p.stat().st_mtime_ns)
    for path in files[: len(files) - keep]:
        path.unlink(missing_ok=True)
