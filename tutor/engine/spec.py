"""The one definition of an optimizer that every feature of `tutor` reads.

An :class:`OptimizerSpec` holds

* its hyper-parameters (:class:`Hyperparameter`: torch.optim's names and defaults, a symbol, a
  description and the valid range that produces the error message);
* its conventions (:class:`Convention`): PyTorch's, the paper's, optax's, Keras's, the textbook's,
  each a typed set of :class:`Switches` that the algorithm reads;
* its algorithm: a function from a :class:`Setup` (the switches, which terms are on) to the
  ordered steps of one update, each an :class:`Assign` of a formula tree to a :class:`Quantity`
  (or, for what is not a formula, a :class:`Procedure`).

The formula trees are the algorithm: the engine compiles them into closures
(:mod:`tutor.engine.program`), the tables print them, explain and quiz read them, and grading
builds mistaken variants of them (:meth:`Config.with_switches`, :meth:`Config.with_formula`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from tutor.engine.formula import Expr, Num, Sym, number_text
from tutor.engine.names import CONVENTION_NAMES
from tutor.errors import HyperparameterError

# --- Hyper-parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A valid range ``low (<|<=) value (<|<=) high``; either side may be open-ended."""

    low: float = -math.inf
    low_inclusive: bool = True
    high: float = math.inf
    high_inclusive: bool = True

    def contains(self, value: float) -> bool:
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        return above and below

    def describe(self) -> str:
        """The range in words, e.g. ``in [0, 1)`` or ``> 0``."""
        if self.high == math.inf and self.low == -math.inf:
            return "any number"
        if self.high == math.inf:
            return f"{'>=' if self.low_inclusive else '>'} {number_text(self.low)}"
        if self.low == -math.inf:
            return f"{'<=' if self.high_inclusive else '<'} {number_text(self.high)}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"in {left}{number_text(self.low)}, {number_text(self.high)}{right}"


POSITIVE = Bound(low=0.0, low_inclusive=False)
NON_NEGATIVE = Bound(low=0.0)
UNIT_INTERVAL = Bound(low=0.0, high=1.0)
DECAY_RATE = Bound(low=0.0, high=1.0, high_inclusive=False)
AT_LEAST_ONE = Bound(low=1.0)

HyperValue = float | bool | int | str | tuple[int, ...] | None


@dataclass(frozen=True)
class Hyperparameter:
    """One hyper-parameter of an optimizer.

    Attributes:
        name: torch.optim's argument name (``betas`` is split into ``beta1`` and ``beta2``).
        symbol: how formulas show it.
        default: torch.optim's default; its type is the parameter's type (``float``, ``bool``
            for a flag, ``int`` for a count, ``str``/``None`` for a choice, a tuple of ``int``
            for a list of step numbers such as MultiStepLR's milestones).
        description: one sentence for tables and ``--help``.
        bound: the valid range of a number.
        torch_name: the argument as torch.optim spells it, e.g. ``betas[0]``.
        choices: the allowed values of a choice.
        also: other names people use for it (``learning_rate``), for "did you mean" hints.
        unset: for a whole number that torch lets be ``None`` (L-BFGS's ``max_eval``): what
            ``None`` stands for, e.g. ``max_iter·5/4, rounded down``; ``None`` is then the
            default and a valid value.
    """

    name: str
    symbol: Sym
    default: HyperValue
    description: str
    bound: Bound = NON_NEGATIVE
    torch_name: str = ""
    choices: tuple[str | None, ...] = ()
    also: tuple[str, ...] = ()
    unset: str = ""

    @property
    def kind(self) -> Literal["flag", "int", "float", "choice", "ints"]:
        if self.choices:
            return "choice"
        if isinstance(self.default, tuple):
            return "ints"
        if isinstance(self.default, bool):
            return "flag"
        if isinstance(self.default, int) or (self.default is None and self.unset):
            return "int"
        return "float"

    @property
    def is_flag(self) -> bool:
        return self.kind == "flag"

    @property
    def option(self) -> str:
        """The command-line spelling: ``weight_decay`` becomes ``--weight-decay``."""
        return "--" + self.name.replace("_", "-")

    def describe_range(self) -> str:
        """``> 0``, ``in [0, 1)``, ``true or false``, ``none or strong_wolfe``."""
        if self.kind == "flag":
            return "true or false"
        if self.kind == "choice":
            return " or ".join("none" if c is None else c for c in self.choices)
        text = self.bound.describe()
        if self.kind == "ints":
            return f"whole numbers {text}, separated by commas"
        if self.kind == "int":
            return f"a whole number {text}" + (f" (unset: {self.unset})" if self.unset else "")
        return text

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise HyperparameterError.

        Numbers may be arrays (a batch of configurations); every entry is checked.
        """
        kind = self.kind
        if kind == "flag":
            if not isinstance(value, (bool, np.bool_)):
                raise HyperparameterError(f"{self.name} must be true or false, got {value!r}")
            return bool(value)
        if kind == "choice":
            if value not in self.choices:
                raise HyperparameterError(
                    f"{self.name} must be {self.describe_range()}, got {value!r}"
                )
            return value
        if kind == "ints":
            return self._validate_ints(value)
        if value is None and self.unset:
            return None
        if isinstance(value, np.ndarray) and value.dtype.kind in "fi" and value.size:
            for item in value.ravel():
                self.validate(float(item))
            return value.astype(np.float64)
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.floating, np.integer)
        ):
            raise HyperparameterError(f"{self.name} must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise HyperparameterError(f"{self.name} must be a finite number, got {number!r}")
        if kind == "int" and not number.is_integer():
            raise HyperparameterError(
                f"{self.name} must be a whole number, got {number_text(number)}"
            )
        if not self.bound.contains(number):
            raise HyperparameterError(
                f"{self.name} must be {self.bound.describe()}, got {number_text(number)}"
            )
        return int(number) if kind == "int" else number

    def _validate_ints(self, value: Any) -> tuple[int, ...]:
        items = [value] if isinstance(value, (int, float, np.integer, np.floating)) else value
        if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple, np.ndarray)):
            raise HyperparameterError(f"{self.name} must be whole numbers, got {value!r}")
        whole = dataclasses.replace(self, default=0)
        return tuple(whole.validate(item) for item in items)


# --- Conventions -------------------------------------------------------------------------------

S = TypeVar("S", bound="Switches")


@dataclass(frozen=True)
class Switches:
    """Base of an optimizer's typed convention switches: what changes between conventions.

    Each optimizer declares a frozen subclass whose fields are ``Literal`` choices or ``bool``
    flags with the PyTorch values as defaults, e.g. Adam's ``decay``, ``eps`` and
    ``bias_correction``. Values are checked when built; :meth:`replace` derives a variant with
    some switches changed and refuses a switch the optimizer does not have.
    """

    def __post_init__(self) -> None:
        for name, allowed in self.allowed().items():
            value = getattr(self, name)
            if value not in allowed or (isinstance(value, bool) != isinstance(allowed[0], bool)):
                choices = ", ".join(repr(a) for a in allowed)
                raise HyperparameterError(
                    f"switch {name} of {type(self).__name__} must be one of {choices}, "
                    f"got {value!r}"
                )

    @classmethod
    def allowed(cls) -> dict[str, tuple[Any, ...]]:
        """Each switch's allowed values, read from the field annotations."""
        return _allowed_values(cls)

    def replace(self: S, **changes: Any) -> S:
        """A copy with ``changes`` applied; an unknown switch is an error, never ignored."""
        allowed = self.allowed()
        for name in changes:
            if name not in allowed:
                known = ", ".join(allowed) or "none"
                raise HyperparameterError(
                    f"{type(self).__name__} has no switch {name!r} (switches: {known})"
                )
        return dataclasses.replace(self, **changes)

    def items(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    def differences(self, other: Switches) -> list[tuple[str, Any, Any]]:
        """``(switch, ours, theirs)`` for every switch that differs."""
        return [
            (name, value, getattr(other, name))
            for name, value in self.items()
            if getattr(other, name) != value
        ]


_ALLOWED: dict[type, dict[str, tuple[Any, ...]]] = {}


def _allowed_values(cls: type) -> dict[str, tuple[Any, ...]]:
    if cls in _ALLOWED:
        return _ALLOWED[cls]
    hints = typing.get_type_hints(cls)
    allowed: dict[str, tuple[Any, ...]] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if hint is bool:
            allowed[f.name] = (False, True)
        elif typing.get_origin(hint) is Literal:
            allowed[f.name] = typing.get_args(hint)
        else:
            raise TypeError(f"switch {cls.__name__}.{f.name} must be a Literal or bool")
    _ALLOWED[cls] = allowed
    return allowed


@dataclass(frozen=True)
class NoSwitches(Switches):
    """For optimizers whose conventions differ in nothing but their sources."""


@dataclass(frozen=True)
class Convention:
    """One way of writing an optimizer's arithmetic.

    Attributes:
        name: a key of :data:`CONVENTION_NAMES` (or a derived name for a variant).
        title: e.g. ``PyTorch``.
        source: where the arithmetic comes from (library and version, or paper and section).
        summary: what the arithmetic does, in one sentence.
        switches: the typed switches the algorithm reads.
        unsupported: hyper-parameters this convention does not have; they must stay at their
            defaults.
    """

    name: str
    title: str
    source: str
    summary: str
    switches: Switches
    unsupported: frozenset[str] = frozenset()


# --- Quantities and steps ----------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """One named value of an optimizer step.

    Attributes:
        key: the math's name, used in JSON, exercises and answers (``m``, ``v_hat``).
        symbol: how tables show it at step t (``mₜ``).
        description: one sentence on what it means.
        torch_state: torch.optim's state name when torch keeps it between steps.
        previous: for a value carried to the next step, its symbol there (``mₜ₋₁``).
        initial: for a carried value, its value before step 1 (a formula in the
            hyper-parameters; 0 unless stated).
        scalar: one number per tensor (NAdam's product of momentum factors), not one per
            coordinate.
        in_tables: False for bookkeeping that a step table leaves out (L-BFGS's stored pairs,
            which its notes show pair by pair); JSON and the formulas still have it.
    """

    key: str
    symbol: Sym
    description: str
    torch_state: str | None = None
    previous: Sym | None = None
    initial: Expr = field(default_factory=lambda: Num(0.0))
    scalar: bool = False
    in_tables: bool = True

    @property
    def stored(self) -> bool:
        return self.previous is not None

    def __repr__(self) -> str:
        return f"Quantity({self.key!r})"


_SUB_T = "ₜ"


def value(key: str, text: str, tex: str, description: str, *, step: bool = True) -> Quantity:
    """A quantity computed anew each step: ``value("m_hat", "m̂", r"\\hat{m}", …)`` is ``m̂ₜ``.

    With ``step=False`` the symbol carries no subscript (a constant such as ``ρ∞``).
    """
    symbol = Sym(key, f"{text}{_SUB_T}" if step else text, f"{tex}_t" if step else tex)
    return Quantity(key, symbol, description)


def state(
    key: str,
    text: str,
    tex: str,
    description: str,
    *,
    torch_state: str | None = None,
    initial: Expr | float = 0.0,
    scalar: bool = False,
    in_tables: bool = True,
) -> Quantity:
    """A quantity carried from step to step: ``mₜ`` computed from ``mₜ₋₁``."""
    return Quantity(
        key,
        Sym(key, f"{text}{_SUB_T}", f"{tex}_t"),
        description,
        torch_state=torch_state,
        previous=Sym(f"{key}_prev", f"{text}ₜ₋₁", f"{tex}_{{t-1}}"),
        initial=initial if isinstance(initial, Expr) else Num(float(initial)),
        scalar=scalar,
        in_tables=in_tables,
    )


@dataclass(frozen=True)
class Assign:
    """``quantity := formula``, one line of the algorithm.

    ``when`` is a condition that is one truth value per step (RAdam's ``ρₜ > 5``): on steps where
    it is false, the quantity is not computed and not shown.
    """

    quantity: Quantity
    formula: Expr
    when: Expr | None = None

    @property
    def outputs(self) -> tuple[Quantity, ...]:
        return (self.quantity,)

    def formulas(self) -> dict[str, Expr]:
        return {self.quantity.key: self.formula}


@dataclass(frozen=True)
class ProcedureCall:
    """What a :class:`Procedure` receives: this step's values so far and the objective.

    ``notes`` collects one row per inner iteration (L-BFGS's two-loop recursion, a line search's
    trial points, Muon's Newton–Schulz iterations); the tables show them under the step.
    A procedure with several kinds of inner steps keeps one named table per kind in ``tables``
    (L-BFGS: its iterations, curvature pairs, two-loop recursions and line-search trials).
    """

    env: Mapping[str, Any]
    objective: Any
    notes: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def note(self, **row: Any) -> None:
        self.notes.append(row)

    def note_in(self, table: str, **row: Any) -> None:
        """One row of the named table ``table`` (tables keep the order they were started in)."""
        self.tables.setdefault(table, []).append(row)


@dataclass(frozen=True)
class Procedure:
    """A named step of an algorithm that is not a formula: code, with its inner iterations noted.

    Attributes:
        outputs: the quantities it produces, in order.
        shown: one formula per output, as the tables print it (e.g. ``dₜ = −Hₜ⁻¹gₜ`` for the
            direction a two-loop recursion computes).
        run: computes the outputs (a mapping from their keys to values) from a
            :class:`ProcedureCall`.
    """

    outputs: tuple[Quantity, ...]
    shown: tuple[Expr, ...]
    run: Callable[[ProcedureCall], Mapping[str, Any]]

    def formulas(self) -> dict[str, Expr]:
        return {q.key: f for q, f in zip(self.outputs, self.shown, strict=True)}


Step = Assign | Procedure


@dataclass(frozen=True)
class Setup:
    """What an algorithm's structure depends on: the switches and which terms are on.

    ``on`` holds the numeric hyper-parameters that are not zero (torch skips a term whose
    coefficient is 0, e.g. ``if weight_decay != 0``), ``flags`` the flags that are true,
    ``shape`` the tensor's shape for optimizers that treat matrices as matrices, and ``choices``
    the value of each choice (L-BFGS's ``line_search_fn``), as ``(name, value)`` pairs.
    """

    switches: Any
    on: frozenset[str]
    flags: frozenset[str]
    shape: tuple[int, ...] | None = None
    choices: tuple[tuple[str, str | None], ...] = ()

    def is_on(self, name: str) -> bool:
        return name in self.on

    def flag(self, name: str) -> bool:
        return name in self.flags

    def choice(self, name: str) -> str | None:
        """The value of the choice ``name`` (KeyError if the optimizer has no such choice)."""
        return dict(self.choices)[name]


@dataclass(frozen=True)
class Algorithm:
    """The ordered steps of one update, as built for one :class:`Setup`."""

    steps: tuple[Step, ...]

    @functools.cached_property
    def quantities(self) -> tuple[Quantity, ...]:
        return tuple(q for s in self.steps for q in s.outputs)

    @functools.cached_property
    def formulas(self) -> dict[str, Expr]:
        return {k: f for s in self.steps for k, f in s.formulas().items()}

    @property
    def stored(self) -> tuple[Quantity, ...]:
        return tuple(q for q in self.quantities if q.stored)

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise KeyError(key)

    def condition(self, key: str) -> Expr | None:
        for s in self.steps:
            if isinstance(s, Assign) and s.quantity.key == key:
                return s.when
        return None

    def with_formula(self, key: str, formula: Expr) -> Algorithm:
        """The algorithm with the formula of ``key`` replaced (a variant)."""
        steps: list[Step] = []
        found = False
        for s in self.steps:
            if isinstance(s, Assign) and s.quantity.key == key:
                steps.append(dataclasses.replace(s, formula=formula))
                found = True
            else:
                steps.append(s)
        if not found:
            raise KeyError(key)
        return Algorithm(tuple(steps))

    def transform(self, rule: Callable[[str, Expr], Expr]) -> Algorithm:
        """Every formula passed through ``rule(key, formula)``."""
        return Algorithm(
            tuple(
                dataclasses.replace(
                    s,
                    formula=rule(s.quantity.key, s.formula),
                    when=None if s.when is None else rule(s.quantity.key, s.when),
                )
                if isinstance(s, Assign)
                else s
                for s in self.steps
            )
        )

    def uses_shapes(self) -> bool:
        return any(f.uses_shapes() for s in self.steps for f in s.formulas().values()) or any(
            isinstance(s, Procedure) for s in self.steps
        )


Scope = Literal["coordinate", "tensor", "vector"]


@dataclass(frozen=True, eq=False)
class OptimizerSpec:
    """Everything `tutor` knows about one optimizer; see the module docstring.

    Attributes:
        name: the command-line name (``adamw``).
        title: the display name (``AdamW``).
        summary: one sentence.
        reference: the paper.
        year: the year it was published (the registry lists optimizers in this order).
        hyperparameters: in torch's order.
        conventions: the default (PyTorch's, where torch has the optimizer) first.
        build: the algorithm for a setup.
        check: cross-parameter validation (``nesterov`` needs momentum), raising
            HyperparameterError.
        scope: ``coordinate`` (every formula element-wise: runs on the flat θ, batches too),
            ``tensor`` (matrices as matrices: run per parameter tensor, as Adafactor and Muon
            need) or ``vector`` (the whole θ as one vector: Newton, L-BFGS).
    """

    name: str
    title: str
    summary: str
    reference: str
    year: int
    hyperparameters: tuple[Hyperparameter, ...]
    conventions: tuple[Convention, ...]
    build: Callable[[Setup], Iterable[Step]]
    check: Callable[[Mapping[str, Any]], None] = field(default=lambda values: None)
    scope: Scope = "coordinate"

    def __repr__(self) -> str:
        return f"OptimizerSpec({self.name!r})"

    def hyperparameter(self, name: str) -> Hyperparameter:
        for hyper in self.hyperparameters:
            if hyper.name == name:
                return hyper
        raise KeyError(name)

    def defaults(self) -> dict[str, HyperValue]:
        return {h.name: h.default for h in self.hyperparameters}

    @property
    def default_convention(self) -> Convention:
        return self.conventions[0]

    def convention(self, name: str | None = None) -> Convention:
        """The convention called ``name`` (default: the first, PyTorch's where torch has one)."""
        if name is None:
            return self.default_convention
        key = name.strip().lower()
        for convention in self.conventions:
            if convention.name == key:
                return convention
        available = ", ".join(c.name for c in self.conventions)
        if key in CONVENTION_NAMES:
            raise HyperparameterError(
                f"{self.name} has no {key!r} convention (available: {available})"
            )
        raise HyperparameterError(
            f"unknown convention {name!r} (known: {', '.join(CONVENTION_NAMES)})"
        )

    def configure(
        self,
        overrides: Mapping[str, Any] | None = None,
        convention: str | Convention | None = None,
    ) -> Config:
        """Defaults updated with ``overrides``, each validated, under a convention.

        Unknown names are errors, and so is a hyper-parameter the convention does not have.
        """
        chosen = convention if isinstance(convention, Convention) else self.convention(convention)
        values: dict[str, Any] = self.defaults()
        for name, given in (overrides or {}).items():
            if name not in values:
                known = ", ".join(values)
                raise HyperparameterError(f"{self.name} has no hyper-parameter {name!r} ({known})")
            values[name] = self.hyperparameter(name).validate(given)
        for name in sorted(chosen.unsupported):
            hyper = self.hyperparameter(name)
            if not _same(values[name], hyper.default):
                keep = "off" if hyper.is_flag else f"at {number_text(hyper.default)}"
                raise HyperparameterError(
                    f"{name} is not part of the {chosen.name} convention of {self.name}; "
                    f"leave it {keep}"
                )
        self.check(values)
        return Config(self, values, chosen)

    @functools.lru_cache(maxsize=256)  # noqa: B019 (specs live as long as the process)
    def algorithm(self, setup: Setup) -> Algorithm:
        """The algorithm's steps for ``setup`` (built once per setup)."""
        algorithm = Algorithm(tuple(self.build(setup)))
        if self.scope == "coordinate" and algorithm.uses_shapes():
            raise TypeError(f"{self.name}: a coordinate-wise optimizer used a shape-aware node")
        return algorithm


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.all(a == b))
    return bool(a == b)


def _is_on(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return value != 0
    return bool(np.any(np.asarray(value) != 0))


@dataclass(frozen=True, eq=False)
class Config:
    """An optimizer with every hyper-parameter set, under one convention: what a run needs.

    ``rewrites`` replace formulas after the algorithm is built (a mistaken variant for grading,
    ``m`` written without ``(1 − β₁)``); :meth:`with_switches` derives a variant convention.
    ``clipping`` (a :class:`tutor.engine.clipping.Clipping`) puts gradient clipping in front of
    the algorithm (:meth:`with_clipping`).
    """

    spec: OptimizerSpec
    values: Mapping[str, Any]
    convention: Convention
    rewrites: tuple[tuple[str, Callable[[Expr], Expr]], ...] = ()
    clipping: Any = None

    @property
    def switches(self) -> Any:
        return self.convention.switches

    def setup(self, shape: tuple[int, ...] | None = None) -> Setup:
        on = frozenset(
            name
            for name, v in self.values.items()
            if not isinstance(v, (bool, str, type(None))) and _is_on(v)
        )
        flags = frozenset(name for name, v in self.values.items() if v is True)
        choices = tuple(
            (h.name, self.values[h.name]) for h in self.spec.hyperparameters if h.kind == "choice"
        )
        return Setup(self.switches, on, flags, shape, choices)

    def algorithm(self, shape: tuple[int, ...] | None = None) -> Algorithm:
        algorithm = self.spec.algorithm(self.setup(shape))
        if self.clipping is not None:
            algorithm = self.clipping.apply(algorithm)
        for key, rewrite in self.rewrites:
            if key == "*":
                algorithm = algorithm.transform(lambda _, formula, r=rewrite: r(formula))  # type: ignore[misc]
            else:
                algorithm = algorithm.with_formula(key, rewrite(algorithm.formulas[key]))
        return algorithm

    def hyperparameter_values(self) -> dict[str, Any]:
        return dict(self.values)

    def with_values(self, **overrides: Any) -> Config:
        """The same convention with some hyper-parameters changed (validated)."""
        merged = {**self.values, **overrides}
        config = self.spec.configure(merged, self.convention)
        return dataclasses.replace(config, rewrites=self.rewrites, clipping=self.clipping)

    def with_clipping(self, clipping: Any) -> Config:
        """The same optimizer reading a clipped gradient (``None``: no clipping)."""
        if clipping is not None and self.spec.scope != "coordinate":
            raise HyperparameterError(
                f"gradient clipping goes with first-order optimizers; {self.spec.name} reads the "
                "whole gradient (and its curvature) itself"
            )
        return dataclasses.replace(self, clipping=clipping)

    def with_switches(self, name: str | None = None, **changes: Any) -> Config:
        """A variant convention with some switches changed, e.g. ``bias_correction=False``."""
        switches = self.switches.replace(**changes)
        label = ", ".join(f"{k}={v}" for k, v in changes.items())
        convention = dataclasses.replace(
            self.convention,
            name=name or f"{self.convention.name} ({label})",
            switches=switches,
        )
        return dataclasses.replace(self, convention=convention)

    def with_formula(self, key: str, rewrite: Callable[[Expr], Expr]) -> Config:
        """A variant whose formula for ``key`` is ``rewrite(original)``; ``key = "*"`` rewrites
        every formula (a symbol swapped everywhere)."""
        return dataclasses.replace(self, rewrites=(*self.rewrites, (key, rewrite)))
