"""Values read from TOML files, named the way TOML names them in error messages."""

from __future__ import annotations

from typing import Any


def describe(value: Any, longest: int | None = None) -> str:
    """``string '0.1'``, ``boolean true``, ``integer 3``, ``an array``, ``a table``; a string
    is cut to its first ``longest`` characters when given."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'float'} {value!r}"
    if isinstance(value, str):
        return f"string {value[:longest]!r}"
    if isinstance(value, list | dict):
        return "an array" if isinstance(value, list) else "a table"
    return f"date/time {value}"
