"""Where results go: one function prints any result in any format, to stdout or to a file.

JSON, Markdown and LaTeX are plain text on stdout (JSON alone, so it can be piped); Rich tables go
through a Console that honours the terminal (colour only on a terminal, width from it or
``COLUMNS``). ``--output FILE`` writes any format to a file atomically: a temporary file in the
same folder, flushed to disk, then renamed over the target, so an interrupted write never leaves
a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.errors import TutorError


def stdout_console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=False)


def _mode(path: Path) -> int:
    """The permissions the file gets: the existing file's, else the usual ones (umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, chunks: Iterator[str]) -> None:
    """Write text to ``path`` through a temporary file and a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise TutorError(f"--output {path}: no such folder {folder}")
    if path.is_dir():
        raise TutorError(f"--output {path}: is a folder, not a file")
    import tempfile

    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below; renamed on success)
        "w", encoding="utf-8", dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _mode(path))
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def emit(
    result: Any,
    fmt: str,
    *,
    precision: int = 6,
    standalone: bool = False,
    output: Path | None = None,
) -> None:
    """Render ``result`` in ``fmt`` to stdout, or atomically to ``output``."""
    from tutor.render.options import RenderOptions
    from tutor.render.registry import render, render_text

    options = RenderOptions(precision=precision, standalone=standalone)
    if output is not None:
        if fmt == "rich":
            text = render_text(result, fmt, options)
            write_atomically(output, iter((text,)))
        else:
            write_atomically(output, render(result, fmt, options))
        print(f"wrote {output}", file=sys.stderr)
        return
    rendered = render(result, fmt, options)
    if isinstance(rendered, Iterator):
        for chunk in rendered:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    else:
        stdout_console().print(rendered)
