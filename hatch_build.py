"""Build hook: the wheel carries the index of its bundled exercises (``tutor/_exercises/
index.json``), so that ``tutor exercises`` reads one small file instead of parsing every TOML
file. The rows come from :func:`tutor.content.index.index_rows`, the same code that parses the
files when there is no index; an index that does not match the files on disk is not used.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ExerciseIndexHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # an editable install reads the checkout's files
            return
        sys.path.insert(0, self.root)
        try:
            from tutor.content.index import INDEX, index_rows
        finally:
            sys.path.remove(self.root)
        self._folder = tempfile.mkdtemp(prefix="tutor-index-")
        written = Path(self._folder) / INDEX
        rows = index_rows(Path(self.root) / "exercises")
        written.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        build_data["force_include"][str(written)] = f"tutor/_exercises/{INDEX}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
