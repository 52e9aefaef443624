"""Reading a student's answers: from a terminal (arrow keys for choices), or one per line from a
file or a pipe. Standard library only.

At a terminal a multiple-choice question shows its letters on one line, ``[a]  b   c   d``:
←/→ or ↑/↓ (or a letter) move the mark and Enter answers with the marked letter; ``?`` asks for
the hint, ``s`` skips, ``q`` stops. The terminal is put in cbreak mode (keys arrive one at a time,
not echoed; Ctrl-C still interrupts) only while that line is shown, and always restored. Typed
answers (numbers, expressions) are read a line at a time.

A line longer than :data:`MAX_LINE` characters is cut there (the rest of it is read and dropped),
so a huge paste cannot fill memory; the quiz then refuses it as too long and asks again.
"""

# No `from __future__ import annotations` in CLI modules (see tutor/cli/main.py).

import contextlib
import os
import select
import sys
from collections.abc import Iterator
from typing import IO, Protocol

MAX_LINE = 65_536
_UP = ("\x1b[A", "\x1b[D", "\x1bOA", "\x1bOD")
_DOWN = ("\x1b[B", "\x1b[C", "\x1bOB", "\x1bOC")


class Source(Protocol):
    """Where answers come from: ``line`` for typed answers, ``choose`` for a letter."""

    interactive: bool

    def line(self, prompt: str) -> str | None: ...

    def choose(self, letters: str, prompt: str) -> str | None: ...


def read_line(stream: IO[str]) -> str | None:
    """One line without its newline (cut at :data:`MAX_LINE`), or None at the end."""
    first = stream.readline(MAX_LINE)
    if first == "":
        return None
    if first.endswith("\n") or len(first) < MAX_LINE:
        return first.rstrip("\r\n")
    while True:  # drop the rest of an overlong line
        rest = stream.readline(MAX_LINE)
        if rest == "" or rest.endswith("\n"):
            break
    return first


class LineSource:
    """Answers one per line from a file or a pipe, in the order the questions are asked."""

    interactive = False

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, prompt: str) -> str | None:
        return read_line(self.stream)

    def choose(self, letters: str, prompt: str) -> str | None:
        return read_line(self.stream)


class Terminal:
    """Answers typed at a terminal; prompts go to ``out``."""

    interactive = True

    def __init__(self, out: IO[str], stdin: IO[str] | None = None) -> None:
        self.out = out
        self.stdin = stdin or sys.stdin

    def line(self, prompt: str) -> str | None:
        self.out.write(prompt)
        self.out.flush()
        return read_line(self.stdin)

    @contextlib.contextmanager
    def _cbreak(self) -> Iterator[int]:
        import termios
        import tty

        fd = self.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            yield fd
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def _key(self, fd: int) -> str:
        key = os.read(fd, 1).decode("utf-8", "replace")
        if key != "\x1b":
            return key
        while select.select([fd], [], [], 0.05)[0]:  # the rest of an escape sequence
            key += os.read(fd, 1).decode("utf-8", "replace")
            if key[-1].isalpha() or key[-1] == "~" or len(key) > 6:
                break
        return key

    def _draw(self, letters: str, current: int, prompt: str, done: bool = False) -> None:
        marks = "  ".join(
            f"\x1b[7m[{c}]\x1b[0m" if i == current else f" {c} " for i, c in enumerate(letters)
        )
        help_text = "" if done else "   ←/→ or a letter, Enter to answer; ? hint, s skip, q stop"
        self.out.write(f"\r\x1b[2K{prompt}{marks}{help_text}")
        self.out.flush()

    def choose(self, letters: str, prompt: str) -> str | None:
        """A letter, ``?``, ``skip`` or ``q``; None at Ctrl-D. Without a usable terminal (no
        termios), a typed line."""
        try:
            import termios
        except ImportError:
            return self.line(prompt)
        try:
            termios.tcgetattr(self.stdin.fileno())
        except (termios.error, OSError, ValueError):  # not a terminal after all
            return self.line(prompt)
        current = 0
        with self._cbreak() as fd:
            self._draw(letters, current, prompt)
            while True:
                key = self._key(fd)
                lowered = key.lower()
                if key in ("\r", "\n"):
                    self._draw(letters, current, prompt, done=True)
                    self.out.write("\n")
                    return letters[current]
                if key in _UP:
                    current = (current - 1) % len(letters)
                elif key in _DOWN:
                    current = (current + 1) % len(letters)
                elif lowered in letters:
                    current = letters.index(lowered)
                elif key in ("?", "q", "s"):
                    self.out.write("\n")
                    return {"s": "skip"}.get(key, key)
                elif key in ("\x04", ""):
                    self.out.write("\n")
                    return None
                self._draw(letters, current, prompt)
