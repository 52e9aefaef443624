"""Compiled losses kept on disk, so that a loss met before starts without SymPy.

Deriving a gradient needs SymPy, whose import and first use cost most of a `tutor solve`'s
start-up. A compiled loss is therefore written once to the user's cache folder: its layout, the
NumPy source that ``sympy.lambdify`` generated for its value and gradient, and its gradient
printed as text and LaTeX. Read back, the source is never run as text: it is parsed with
:mod:`ast` and every node checked against a whitelist (arithmetic, numbers, the function's own
arguments, and calls to a fixed set of NumPy functions bound here, never names from the file),
then compiled from the checked tree; arithmetic on numbers alone is bounded, so that a damaged
file cannot make Python's exact integers grow without end. Anything unexpected (a file from
another version, a damaged or edited file, a function outside the whitelist) is a miss: the
loss is derived with SymPy again and the file rewritten. Numbers are unchanged by the store: it
runs the very source lambdify ran, on the same NumPy functions.

The files live in the ``losses`` folder of :mod:`tutor.cache` (``TUTOR_CACHE_DIR``,
``TUTOR_NO_CACHE=1``), written atomically, at most :data:`MAX_FILES` of them.
"""

from __future__ import annotations

import ast
import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import tutor
from tutor import cache
from tutor.errors import TutorError
from tutor.symbolic.printing import Derivative, Template

if TYPE_CHECKING:
    from tutor.symbolic.loss import Loss

KIND = "losses"
FORMAT = 1
MAX_FILES = 500
MAX_SOURCE = 200_000  # characters of one function's source; larger losses are not stored
# A stored function does its arithmetic on the arguments (float64); the parts that read no
# argument are the few numbers SymPy leaves unfolded (``1/2``, ``-1.0``). Bounding them keeps a
# damaged file from making Python's exact integers grow without end (``9**9**9``).
MAX_CONSTANT_NODES = 7
MAX_INTEGER = 2**63
_FUNCTION = "_lambdifygenerated"

# The only names a stored function may read besides its arguments: what lambdify's NumPy
# printer writes for the functions our parser allows (Max/Min as reduce(maximum, …), the
# derivative of abs and max as sign and select). Bound here, never taken from a file.
_NUMPY_NAMES = (
    "abs",
    "absolute",
    "cos",
    "cosh",
    "e",
    "equal",
    "exp",
    "greater",
    "greater_equal",
    "inf",
    "less",
    "less_equal",
    "log",
    "logical_and",
    "logical_not",
    "logical_or",
    "maximum",
    "minimum",
    "nan",
    "not_equal",
    "pi",
    "select",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
)
NAMES: dict[str, Any] = {name: getattr(np, name) for name in _NUMPY_NAMES} | {
    "reduce": functools.reduce
}
_EXPRESSIONS = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Call,
    ast.List,
    ast.Tuple,
    ast.keyword,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


@functools.cache
def _fingerprint() -> list[Any]:
    """What a stored loss depends on besides its own text: this format, tutor's version and
    the files of the code that parsed, printed and compiled it (the symbolic layer's, and
    SymPy's ``__init__``)."""
    import importlib.util

    files = sorted(Path(__file__).parent.glob("*.py"))  # the whole symbolic layer
    spec = importlib.util.find_spec("sympy")
    if spec is not None and spec.origin:
        files.append(Path(spec.origin))
    stamps: list[list[Any]] = []
    for path in files:
        try:
            status = path.stat()
        except OSError:
            stamps.append([path.name, None])
            continue
        stamps.append([path.name, status.st_size, status.st_mtime_ns])
    return [FORMAT, tutor.__version__, stamps]


def key(text: str, params: Any, shapes: Any, data: Any) -> str:
    """The key of one (text, parameters, shapes, data), with the fingerprint."""
    return json.dumps([_fingerprint(), text, params, shapes, data], allow_nan=True)


# --- Writing -------------------------------------------------------------------------------------


def _source(function: Callable[..., Any]) -> str | None:
    """The source lambdify generated (it keeps it for ``inspect``), if every name the function
    reads besides its arguments is bound to the very object :data:`NAMES` binds."""
    import inspect

    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    if len(source) > MAX_SOURCE or _checked_tree(source) is None:
        return None
    for name in function.__code__.co_names:
        if name in NAMES and function.__globals__.get(name) is not NAMES[name]:
            return None
    return source


def save(key: str, loss: Loss) -> None:
    """Keep ``loss`` under ``key``; silently nothing when it cannot be stored or written."""
    if cache.folder(KIND) is None:
        return
    value, gradient = _source(loss._value), _source(loss._gradient)
    if value is None or gradient is None:
        return
    record = {
        "format": FORMAT,
        "text": loss.text,
        "params": list(loss.params),
        "shapes": [[p.name, list(p.shape)] for p in loss.layout.parameters],
        "value": value,
        "gradient": gradient,
        "templates": [[t.plain, t.latex, [list(s) for s in t.slots]] for t in loss.templates],
        "derivatives": [
            [d.name, d.plain, d.latex, d.expression_plain, d.expression_latex]
            for d in loss.derivatives
        ],
    }
    cache.write(KIND, key, record, MAX_FILES)


# --- Reading -------------------------------------------------------------------------------------


def load(key: str, text: str, symbolic: Callable[[], Any]) -> Loss | None:
    """The loss ``text`` kept under ``key``, or None (not kept, unreadable, or refused by the
    checks). ``symbolic`` derives its SymPy expressions again, if they are ever asked for."""
    record = cache.read(KIND, key)
    if record is None:
        return None
    try:
        return _loss(record, text, symbolic)
    except (TutorError, ValueError, TypeError, KeyError, IndexError, SyntaxError, RecursionError):
        return None


def _strings(values: Any, count: int) -> tuple[str, ...]:
    if not isinstance(values, list) or len(values) != count:
        raise ValueError("wrong length")
    if not all(isinstance(v, str) for v in values):
        raise ValueError("not text")
    return tuple(values)


def _loss(record: Any, text: str, symbolic: Callable[[], Any]) -> Loss:
    from tutor.symbolic.loss import MAX_PARAMETER_ENTRIES, Loss, _layout

    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError("another format")
    if record["text"] != text:
        raise ValueError("another loss")
    params = _strings(record["params"], len(record["params"]))
    shapes: dict[str, tuple[int, ...]] = {}
    for name, shape in record["shapes"]:
        if not isinstance(name, str) or not all(type(d) is int and d > 0 for d in shape):
            raise ValueError("bad shape")
        shapes[name] = tuple(shape)
    if list(shapes) != list(params):
        raise ValueError("bad parameters")
    if sum(math.prod(shape) for shape in shapes.values()) > MAX_PARAMETER_ENTRIES:
        raise ValueError("more parameter entries than a loss may have")
    layout = _layout(params, shapes)
    n = len(layout.component_names())
    value = _function(record["value"], n)
    gradient = _function(record["gradient"], n)
    templates = []
    for plain, latex, slots in record["templates"]:
        pairs = tuple((str(slot), int(index)) for slot, index in slots)
        if not all(0 <= index < n for _, index in pairs):
            raise ValueError("bad slot")
        plain, latex = _strings([plain, latex], 2)
        templates.append(Template(plain, latex, pairs))
    derivatives = tuple(Derivative(*_strings(d, 5)) for d in record["derivatives"])
    if len(templates) != n or len(derivatives) != n:
        raise ValueError("wrong number of components")
    return Loss(
        text,
        params,
        value,
        gradient,
        layout=layout,
        symbolic=symbolic,
        printed=(tuple(templates), derivatives),
    )


def _checked_tree(source: str) -> ast.Module | None:
    """The parsed source if it is one function of plain arguments returning a whitelisted
    expression, else None."""
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    function = tree.body[0]
    arguments = function.args
    if (
        function.name != _FUNCTION
        or function.decorator_list
        or function.returns is not None
        or arguments.posonlyargs
        or arguments.kwonlyargs
        or arguments.vararg
        or arguments.kwarg
        or arguments.defaults
        or any(a.annotation is not None for a in arguments.args)
        or len(function.body) != 1
        or not isinstance(function.body[0], ast.Return)
        or function.body[0].value is None
    ):
        return None
    names = {a.arg for a in arguments.args}
    if names & NAMES.keys() or not all(n.startswith(("Dummy_", "_Dummy_")) for n in names):
        return None
    body = function.body[0].value
    for node in ast.walk(body):
        if not isinstance(node, _EXPRESSIONS):
            return None
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float, bool):
            return None
        if isinstance(node, ast.Name) and node.id not in names and node.id not in NAMES:
            return None
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in NAMES
        ):
            return None
        if isinstance(node, ast.keyword) and node.arg != "default":
            return None
        if (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and abs(node.value) > MAX_INTEGER
        ):
            return None
    try:
        _constant_size(body, names)
    except ValueError:
        return None
    return tree


def _constant_size(node: ast.AST, arguments: set[str]) -> int | None:
    """The number of nodes of ``node`` if it is arithmetic on numbers alone (it reads no
    argument), else None; ValueError for such arithmetic that is larger than
    :data:`MAX_CONSTANT_NODES` or raises a number to a power that is not a small literal."""
    if isinstance(node, ast.Constant):
        return 1
    if isinstance(node, ast.Name):
        return None if node.id in arguments else 1  # pi, e, nan
    if isinstance(node, ast.UnaryOp):
        inner = _constant_size(node.operand, arguments)
        return None if inner is None else inner + 1
    if isinstance(node, ast.BinOp):
        left = _constant_size(node.left, arguments)
        right = _constant_size(node.right, arguments)
        if left is None or right is None:
            return None
        if left + right + 1 > MAX_CONSTANT_NODES:
            raise ValueError("too much arithmetic on numbers")
        if isinstance(node.op, ast.Pow):
            exponent = node.right.operand if isinstance(node.right, ast.UnaryOp) else node.right
            if not (
                isinstance(node.left, ast.Constant | ast.Name)
                and isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= 64
            ):
                raise ValueError("a power of numbers that is not a small literal")
        return left + right + 1
    for child in ast.iter_child_nodes(node):  # calls, lists: each part is judged on its own
        _constant_size(child, arguments)
    return None


def _function(source: Any, arity: int) -> Callable[..., Any]:
    """A stored function, compiled from its checked tree with only :data:`NAMES` in scope."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        raise ValueError("not a stored function")
    tree = _checked_tree(source)
    if tree is None:
        raise ValueError("refused by the whitelist")
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    if len(function.args.args) != arity:
        raise ValueError("wrong number of arguments")
    scope: dict[str, Any] = {"__builtins__": {}, **NAMES}
    exec(compile(tree, "<stored loss>", "exec"), scope)  # a checked tree, not text
    made: Callable[..., Any] = scope[_FUNCTION]
    return made
