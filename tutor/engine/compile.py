"""Compiling formula trees into Python functions: the engine's numbers come from the printed
formulas.

:func:`compile_steps` turns an algorithm's ordered ``quantity := formula`` lines into one Python
function per configuration, the way ``sympy.lambdify`` turns an expression into one: it writes the
function's source from the trees and compiles it. The source is generated only from our own
formula trees (node types, symbol keys that are identifiers, and numbers held in a namespace), never
from user text, so nothing a user typed can reach it.

Every sub-tree that reads only values fixed for the whole run (hyper-parameters) is evaluated once,
at compile time, and enters the function as a constant: ``1 − β₁`` is a number by the time the
loop runs, ``1 − β₁ᵗ`` is two operations, and ``β₁·mₜ₋₁ + (1 − β₁)·gₜ`` three. The generated
code applies the same Python operators and NumPy functions as
:meth:`~tutor.engine.formula.Expr.evaluate`, in the same order, so compiled and interpreted values
are bit-for-bit equal (a test checks it).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine.formula import (
    BinOp,
    ByStep,
    Compare,
    Computed,
    Expr,
    Func,
    Neg,
    Num,
    Sym,
    Where,
)

Closure = Callable[[Mapping[str, Any]], Any]

_OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/", "**": "**"}
_COMPARISONS = {">": ">", "<": "<", ">=": ">=", "<=": "<=", "==": "==", "!=": "!="}


def _where(condition: Any, then: Callable[[], Any], otherwise: Callable[[], Any]) -> Any:
    """A per-coordinate condition selects per coordinate (both branches computed); a single
    truth value picks one branch and computes only that one."""
    if np.ndim(condition) == 0:
        return then() if condition else otherwise()
    return np.where(condition, then(), otherwise())


@dataclass(frozen=True)
class Line:
    """One line to compile: ``key := formula``, only on steps where ``when`` holds (if given).

    A line with ``call`` set is a procedure: ``call(env)`` returns the values of ``outputs``.
    """

    key: str
    formula: Expr | None = None
    when: Expr | None = None
    call: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
    outputs: tuple[str, ...] = ()


class _Writer:
    """Writes Python source for formula trees, folding constant sub-trees into a namespace."""

    def __init__(self, constants: Mapping[str, Any], shared: frozenset[Expr] = frozenset()) -> None:
        self.constants = constants
        self.namespace: dict[str, Any] = {"_where": _where, "_np": np}
        self.used: set[str] = set()  # environment keys the code reads
        self.shared = shared  # sub-trees in t and constants only, computed once per step
        self.hoisted: dict[Expr, str] = {}
        self.prologue: list[str] = []

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def function(self, impl: Callable[..., Any]) -> str:
        for name, existing in self.namespace.items():
            if existing is impl:
                return name
        return self.constant(impl)

    def expr(self, node: Expr) -> str:
        if node.symbols <= self.constants.keys() and not isinstance(node, (Where, ByStep)):
            with np.errstate(all="ignore"):
                return self.constant(node.evaluate(self.constants))
        if node in self.shared:
            name = self.hoisted.get(node)
            if name is None:
                self.shared = self.shared - {node}
                code = self.expr(node)
                self.shared = self.shared | {node}
                name = self.hoisted[node] = f"_s{len(self.hoisted)}"
                self.prologue.append(f"    {name} = {code}")
            return name
        if isinstance(node, Sym):
            self.used.add(node.key)
            return local(node.key)
        if isinstance(node, Num):
            return self.constant(np.float64(node.value))
        if isinstance(node, BinOp):
            return f"({self.expr(node.left)} {_OPERATORS[node.op]} {self.expr(node.right)})"
        if isinstance(node, Neg):
            return f"(-{self.expr(node.operand)})"
        if isinstance(node, Func):
            args = ", ".join(self.expr(a) for a in node.args)
            return f"{self.function(node.info.impl)}({args})"
        if isinstance(node, Compare):
            return f"({self.expr(node.left)} {_COMPARISONS[node.op]} {self.expr(node.right)})"
        if isinstance(node, Where):
            condition = self.expr(node.condition)
            if condition in self.namespace and np.ndim(self.namespace[condition]) == 0:
                return self.expr(node.then if self.namespace[condition] else node.otherwise)
            then, otherwise = self.expr(node.then), self.expr(node.otherwise)
            return f"_where({condition}, lambda: {then}, lambda: {otherwise})"
        if isinstance(node, ByStep):
            self.used.add("t")
            return f"({self.expr(node.first)} if {local('t')} == 1 else {self.expr(node.later)})"
        if isinstance(node, Computed):
            return self.expr(node.computed)
        raise TypeError(f"cannot compile {type(node).__name__}")


def local(key: str) -> str:
    """The generated code's variable for an environment key (``m_prev`` -> ``v_m_prev``)."""
    if not key.isidentifier() or keyword.iskeyword(key):
        raise ValueError(f"symbol key {key!r} is not an identifier")
    return f"v_{key}"


def reads(formula: Expr) -> frozenset[str]:
    """The keys evaluating ``formula`` reads: its symbols, but only the computed side of a
    :class:`Computed` node (AdamW's θₜ prints as θₜ₋₁ − Δθₜ but is computed from mₜ and vₜ)."""
    keys: set[str] = set()
    stack = [formula]
    while stack:
        node = stack.pop()
        if isinstance(node, Computed):
            stack.append(node.computed)
            continue
        if isinstance(node, Sym):
            keys.add(node.key)
        elif isinstance(node, ByStep):
            keys.add("t")
        stack.extend(node.children())
    return frozenset(keys)


def needed(lines: Sequence[Line], keep: set[str]) -> list[Line]:
    """The lines that ``keep`` depends on (a lean loop needs θₜ and the state, not m̂ or Δθ)."""
    wanted = set(keep)
    chosen: list[Line] = []
    for line in reversed(lines):
        if line.key in wanted or wanted & set(line.outputs) or line.call is not None:
            chosen.append(line)
            for formula in (line.formula, line.when):
                if formula is not None:
                    wanted |= reads(formula)
    return chosen[::-1]


def compile_steps(
    lines: Sequence[Line], constants: Mapping[str, Any], keep: set[str] | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """One function computing every line in order: ``env -> {key: value}``.

    ``env`` supplies the inputs (``t``, ``theta``, ``g``, the previous state, varying
    hyper-parameters); it is also updated with each computed value, for procedures. With
    ``keep``, only the lines those keys depend on are computed.
    """
    if keep is not None:
        lines = needed(lines, keep)
    writer = _Writer(constants, _repeated_step_terms(lines, constants))
    body: list[str] = []
    defined: set[str] = set()
    for line in lines:
        if line.call is not None:
            call = writer.constant(line.call)
            known = ", ".join(f"{k!r}: {local(k)}" for k in sorted(defined))
            body.append(f"    env.update({{{known}}})")
            body.append(f"    _r = {call}(env)")
            for key in line.outputs:
                body.append(f"    {local(key)} = out[{key!r}] = env[{key!r}] = _r[{key!r}]")
                defined.add(key)
            continue
        assert line.formula is not None
        value = writer.expr(line.formula)
        assign = f"{local(line.key)} = out[{line.key!r}] = {value}"
        if line.when is not None:
            body.append(f"    if {writer.expr(line.when)}:")
            body.append(f"        {assign}")
        else:
            body.append(f"    {assign}")
        defined.add(line.key)
    inputs = sorted(writer.used - defined)
    head = [f"    {local(key)} = env[{key!r}]" for key in inputs]
    source = "\n".join(
        ["def _step(env):", *head, *writer.prologue, "    out = {}", *body, "    return out"]
    )
    code = compile(source, "<tutor formula>", "exec")
    exec(code, writer.namespace)
    function: Callable[[dict[str, Any]], dict[str, Any]] = writer.namespace["_step"]
    function.__doc__ = source
    return function


def _repeated_step_terms(lines: Sequence[Line], constants: Mapping[str, Any]) -> frozenset[Expr]:
    """Sub-trees that depend only on the step ``t`` and constants (a bias correction
    ``1 − β₁ᵗ``) and occur more than once: computed once at the top of the step."""
    counts: dict[Expr, int] = {}
    allowed = set(constants) | {"t"}
    for line in lines:
        if line.formula is None:
            continue
        for node in line.formula.walk():
            if isinstance(node, (Sym, Num)) or not node.symbols <= allowed:
                continue
            if node.symbols <= constants.keys() or isinstance(node, (Where, ByStep)):
                continue
            counts[node] = counts.get(node, 0) + 1
    return frozenset(node for node, count in counts.items() if count > 1)


def compile_expr(expr: Expr, constants: Mapping[str, Any]) -> Closure:
    """A function computing one formula from an environment; symbols in ``constants`` are folded
    in, the rest are read from the environment passed to it."""
    step = compile_steps([Line("value", expr)], constants)
    return lambda env: step(env)["value"]  # type: ignore[arg-type]
