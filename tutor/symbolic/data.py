"""Data arrays and parameter shapes from the command line (``--data``, ``--data-file``,
``--params``).

Nothing here executes its input. Values are read by a tiny tokenizer (numbers, commas and
brackets only) or by the ``json`` and ``csv`` modules, then checked: names are identifiers that
are not functions or reserved words, numbers are finite, nested lists are rectangular with at
most 2 dimensions, and sizes are limited (:data:`MAX_NUMBERS` numbers per value or file, files
of at most :data:`MAX_FILE_BYTES`), refused before the whole input is read where possible.

>>> parse_data(["x=[1,2,3]", "c=2.5"])["x"]
array([1., 2., 3.])
>>> parse_params("W:2x3,b:3,x")
[('W', (2, 3)), ('b', (3,)), ('x', ())]
"""

from __future__ import annotations

import collections
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import TutorError
from tutor.symbolic.arrays import MAX_ENTRIES

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NUMBERS",
    "parse_data",
    "parse_data_value",
    "parse_params",
    "read_data_file",
]

MAX_NUMBERS = MAX_ENTRIES
"""Most numbers in one ``--data`` value or one ``--data-file``."""
MAX_FILE_BYTES = 1_000_000
"""Largest accepted ``--data-file``, in bytes, checked before reading."""

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(rf"\s*(?:({_NUMBER})|([\[\],]))\s*")
_NUMBER_ONLY = re.compile(rf"\s*{_NUMBER}\s*")
_DIMENSION = re.compile(r"0*[1-9][0-9]*")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _checked_name(name: str, where: str, role: str = "a data name") -> str:
    from tutor.symbolic.parse import name_problem  # the parser imports SymPy

    problem = name_problem(name, role)
    if problem is not None:
        raise TutorError(f"{where}: {problem}")
    return name


def _array(rows: Any, where: str) -> np.ndarray:
    """A float64 array from a number or (nested) list of numbers, checked as described above."""
    if isinstance(rows, list):
        if not rows:
            raise TutorError(f"{where}: the list is empty")
        kinds = {isinstance(row, list) for row in rows}
        if kinds == {True}:
            lengths = [len(row) for row in rows]
            usual = collections.Counter(lengths).most_common(1)[0][0]
            for index, length in enumerate(lengths, start=1):
                if length != usual:
                    raise TutorError(
                        f"{where}: row {index} has {_count(length, 'number')}, the others {usual}"
                    )
            if any(isinstance(item, list) for row in rows for item in row):
                raise TutorError(f"{where}: at most 2 dimensions (a matrix) are supported")
        elif kinds != {False}:
            raise TutorError(f"{where}: mixes numbers and lists; use [[1, 2], [3, 4]]")
    if not all(_is_number(item) for item in _flat(rows)):
        raise TutorError(f"{where}: only numbers are allowed")
    array = np.array(rows, dtype=np.float64)
    if array.size == 0:
        raise TutorError(f"{where}: the list is empty")
    if array.size > MAX_NUMBERS:
        raise TutorError(f"{where}: {array.size:,} numbers (the limit is {MAX_NUMBERS:,})")
    if not np.isfinite(array).all():
        raise TutorError(f"{where}: every number must be finite")
    return array


def _flat(rows: Any) -> Iterable[Any]:
    if not isinstance(rows, list):
        return [rows]
    return [item for row in rows for item in _flat(row)]


def _is_number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


def _nested(text: str, where: str, shift: int = 0) -> Any:
    """Numbers and bracketed lists of numbers, e.g. ``[[1, 2], [3, 4]]``, without eval
    (``shift``: characters added in front of what the user wrote)."""
    if text.count(",") + 1 > MAX_NUMBERS:
        raise TutorError(f"{where}: more than {MAX_NUMBERS:,} numbers")
    stack: list[list[Any]] = [[]]
    position, expect_item = 0, True
    while position < len(text):
        token = _TOKEN.match(text, position)
        if token is None:
            shown = text[position : position + 10].strip()
            raise TutorError(f"{where}: unexpected {shown!r}; write numbers such as [1, 2.5, -3]")
        number, punct = token.groups()
        position = token.end()
        if number is not None and expect_item:
            stack[-1].append(float(number))
            expect_item = False
        elif punct == "[" and expect_item:
            if len(stack) > 2:
                raise TutorError(f"{where}: at most 2 dimensions (a matrix) are supported")
            stack.append([])
        elif punct == "]" and len(stack) > 1 and (not expect_item or not stack[-1]):
            done = stack.pop()
            stack[-1].append(done)
            expect_item = False
        elif punct == "," and not expect_item and len(stack) > 1:
            expect_item = True
        else:
            at = token.start(1 if number is not None else 2) + 1 - shift
            raise TutorError(f"{where}: misplaced {(number or punct)!r} at character {at}")
    if len(stack) > 1 or len(stack[0]) != 1:
        raise TutorError(f"{where}: unbalanced brackets")
    return stack[0][0]


def parse_data_value(option: str) -> tuple[str, np.ndarray]:
    """One ``--data`` value: ``x=[1,2,3]``, ``x=1,2,3`` (a vector), ``A=[[1,2],[3,4]]``, ``c=2.5``.

    Raises:
        TutorError: e.g. ``--data y: row 2 has 3 numbers, the others 2``.
    """
    name, sep, text = option.partition("=")
    name = name.strip()
    if not sep:
        raise TutorError(f"--data {option[:20]!r}: write NAME=VALUES, e.g. x=[1,2,3]")
    where = f"--data {_checked_name(name, f'--data {name[:20]}')}"
    if not text.strip():
        raise TutorError(f"{where}: no values after '='")
    if "[" not in text and "," in text:  # the shell-friendly flat vector x=1,2,3
        return name, _array(_nested(f"[{text}]", where, shift=1), where)
    return name, _array(_nested(text, where), where)


def parse_data(options: Sequence[str]) -> dict[str, np.ndarray]:
    """Every ``--data`` value, by name; a name given twice is refused."""
    result: dict[str, np.ndarray] = {}
    for option in options:
        name, array = parse_data_value(option)
        if name in result:
            raise TutorError(f"--data {name}: given more than once")
        result[name] = array
    return result


def read_data_file(path: str | Path) -> dict[str, np.ndarray]:
    """A ``--data-file``: JSON (an object of name -> number or nested list) or CSV (a header of
    names, then one row per index: each column is a vector, all of the same length). Files named
    ``*.json`` are JSON, ``*.csv`` CSV; otherwise a file starting with ``{`` is JSON.

    Raises:
        TutorError: e.g. ``--data-file d.csv: line 3 has 2 values, the header has 3 names``.
    """
    path = Path(path)
    where = f"--data-file {path.name}"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TutorError(f"{where}: {size:,} bytes (the limit is {MAX_FILE_BYTES:,})")
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise TutorError(f"{where}: cannot read it ({error.strerror or error})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise TutorError(f"{where}: more than {MAX_FILE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TutorError(f"{where}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip().startswith("{")):
        return _json_data(text, where)
    return _csv_data(text, where)


def _json_data(text: str, where: str) -> dict[str, np.ndarray]:
    if text.count(",") + 1 > 2 * MAX_NUMBERS:
        raise TutorError(f"{where}: more than {MAX_NUMBERS:,} numbers")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in items]
        for name in names:
            if names.count(name) > 1:
                raise TutorError(f"{where}: '{name[:20]}' appears more than once")
        return dict(items)

    def refuse_constant(name: str) -> None:
        raise TutorError(f"{where}: {name} is not a finite number")

    try:
        content = json.loads(
            text, object_pairs_hook=pairs, parse_constant=refuse_constant, parse_int=float
        )
    except RecursionError:
        raise TutorError(f"{where}: lists are nested too deeply") from None
    except json.JSONDecodeError as error:
        raise TutorError(f"{where}: not valid JSON ({error.msg}, line {error.lineno})") from None
    except ValueError:  # e.g. an integer beyond Python's digit limit for int()
        raise TutorError(f"{where}: not valid JSON") from None
    if not isinstance(content, dict) or not content:
        raise TutorError(f'{where}: expected a JSON object such as {{"x": [1, 2, 3]}}')
    result = {}
    for name, rows in content.items():
        if isinstance(rows, dict):
            raise TutorError(f"{where}: '{name[:20]}' must be a number or a list of numbers")
        result[_checked_name(name, where)] = _array(rows, f"{where}: {name}")
    _check_total(result, where)
    return result


def _csv_data(text: str, where: str) -> dict[str, np.ndarray]:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise TutorError(f"{where}: expected a header row of names and at least one row of numbers")
    header = [cell.strip() for cell in rows[0]]
    for name in header:
        _checked_name(name, where)
    repeated = [name for name in header if header.count(name) > 1]
    if repeated:
        raise TutorError(f"{where}: the column '{repeated[0]}' appears more than once")
    if (len(rows) - 1) * len(header) > MAX_NUMBERS:
        raise TutorError(f"{where}: more than {MAX_NUMBERS:,} numbers")
    columns: list[list[float]] = [[] for _ in header]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            values, names = _count(len(row), "value"), _count(len(header), "name")
            raise TutorError(f"{where}: line {line} has {values}, the header has {names}")
        for name, cell, column in zip(header, row, columns, strict=True):
            if not _NUMBER_ONLY.fullmatch(cell):
                raise TutorError(
                    f"{where}: line {line}, column '{name}': {cell.strip()[:20]!r} is not a number"
                )
            column.append(float(cell))
    result = {
        name: _array(column, f"{where}: {name}")
        for name, column in zip(header, columns, strict=True)
    }
    _check_total(result, where)
    return result


def _check_total(arrays: dict[str, np.ndarray], where: str) -> None:
    total = sum(array.size for array in arrays.values())
    if total > MAX_NUMBERS:
        raise TutorError(f"{where}: {total:,} numbers (the limit is {MAX_NUMBERS:,})")


def parse_params(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """The ``--params`` syntax: ``W:2x3,b:3,x`` -> ``[("W", (2, 3)), ("b", (3,)), ("x", ())]``.

    A name alone is a scalar; a shape is 1 or 2 positive sizes joined by ``x``, with at most
    :data:`~tutor.symbolic.arrays.MAX_ENTRIES` entries. Names must be distinct.
    """
    result: list[tuple[str, tuple[int, ...]]] = []
    for item in text.split(","):
        name, sep, dims = (part.strip() for part in item.partition(":"))
        if not name:
            raise TutorError(f"--params {text[:40]!r}: empty entry; write e.g. W:2x3,b:3,x")
        where = f"--params {name[:20]}"
        _checked_name(name, where, "a parameter")
        shape: tuple[int, ...] = ()
        if sep:
            sizes = [size.strip() for size in dims.lower().split("x")]
            bad = next((size for size in sizes if not _DIMENSION.fullmatch(size)), None)
            if bad is not None:
                problem = (
                    f"size {bad!r} must be a positive whole number" if bad else "a size is missing"
                )
                raise TutorError(f"{where}: {problem}; write e.g. {name}:2x3")
            if len(sizes) > 2:
                raise TutorError(
                    f"{where}: {len(sizes)} dimensions; at most 2 (a matrix) are supported"
                )
            too_big = any(len(size.lstrip("0")) > len(str(MAX_ENTRIES)) for size in sizes)
            shape = () if too_big else tuple(int(size) for size in sizes)
            if too_big or math.prod(shape) > MAX_ENTRIES:
                count = "too many" if too_big else f"{math.prod(shape):,}"
                raise TutorError(f"{where}: {count} entries (the limit is {MAX_ENTRIES:,})")
        if any(name == other for other, _ in result):
            raise TutorError(f"{where}: given more than once")
        result.append((name, shape))
    return result
