"""The topic registry: one Markdown file per topic in ``tutor/data/topics``, shared by
``tutor explain``, ``tutor quiz --topic`` and exercises' ``topic``.

This module lists topic ids cheaply (file names); :mod:`tutor.content.explain` reads and
validates the files themselves.
"""

from __future__ import annotations

import functools
from pathlib import Path

TOPICS_DIR = Path(__file__).resolve().parent.parent / "data" / "topics"


@functools.cache
def topic_ids() -> tuple[str, ...]:
    """Every topic id, sorted."""
    if not TOPICS_DIR.is_dir():
        return ()
    return tuple(sorted(path.stem for path in TOPICS_DIR.glob("*.md")))
