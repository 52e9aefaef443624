"""The one definition of an optimizer that every feature of `tutor` reads.

An :class:`OptimizerSpec` holds

* its hyper-parameters (torch.optim's names and defaults, a symbol, a description and the valid
  range that produces the error message),
* its ordered quantities (a key such as ``m_hat``, a symbol, a formula tree, a description and
  torch's state name where there is one), and
* a pair of pure float64 functions in the style of optax: ``init(theta, hp) -> state`` and
  ``step(theta, g, state, hp, t) -> (values, state)``, where ``values`` holds exactly the active
  quantities, in torch.optim's order of operations.

The solve tables, the JSON output, and later explain, quiz and grade all read this definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.engine.formula import Expr, Sym, number_text
from tutor.errors import HyperparameterError

Array = np.ndarray
Hyper = Mapping[str, Any]
State = dict[str, Array]
InitFn = Callable[[Array, Hyper], State]
StepFn = Callable[[Array, Array, State, Hyper, int], tuple[dict[str, Array], State]]


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
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


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Hyperparameter:
    """One hyper-parameter of an optimizer.

    Attributes:
        name: torch.optim's argument name (``betas`` is split into ``beta1`` and ``beta2``).
        symbol: how formulas show it.
        default: torch.optim's default.
        description: one sentence for tables and ``--help``.
        bound: the valid range (ignored for flags).
        torch_name: the argument as torch.optim spells it, e.g. ``betas[0]``.
    """

    name: str
    symbol: Sym
    default: float | bool
    description: str
    bound: Bound = NON_NEGATIVE
    torch_name: str = ""

    @property
    def is_flag(self) -> bool:
        return isinstance(self.default, bool)

    @property
    def option(self) -> str:
        """The command-line spelling: ``weight_decay`` becomes ``--weight-decay``."""
        return "--" + self.name.replace("_", "-")

    def validate(self, value: Any) -> float | bool:
        """Return ``value`` converted to this parameter's type, or raise HyperparameterError."""
        if self.is_flag:
            if not isinstance(value, bool):
                raise HyperparameterError(f"{self.name} must be true or false, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise HyperparameterError(f"{self.name} must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise HyperparameterError(f"{self.name} must be a finite number, got {number!r}")
        if not self.bound.contains(number):
            raise HyperparameterError(
                f"{self.name} must be {self.bound.describe()}, got {number_text(number)}"
            )
        return number


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Convention:
    """One way of writing an optimizer's arithmetic: PyTorch's, the paper's, optax's, Keras's, or
    the textbook form the seeds use.

    A convention is not a copy of the optimizer: it is a set of ``switches``, parameters that the
    optimizer's one step function and its formulas read (``bias_correction``, ``eps_placement``…).

    Attributes:
        name: ``pytorch``, ``paper``, ``optax``, ``keras`` or ``textbook``.
        title: e.g. ``PyTorch``.
        source: where the arithmetic comes from (library and version, or paper and section).
        summary: what the arithmetic does differently, in one sentence.
        switches: values of the step function's variant parameters.
        unsupported: hyper-parameters this convention does not have; they must stay at their
            defaults.
    """

    name: str
    title: str
    source: str
    summary: str
    switches: Mapping[str, Any]
    unsupported: frozenset[str] = frozenset()


CONVENTION_NAMES = ("pytorch", "paper", "optax", "keras", "textbook")

FormulaFn = Callable[[Hyper, int], Expr]


def _always(hp: Hyper) -> bool:
    return True


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Quantity:
    """One named intermediate quantity of an optimizer step.

    Attributes:
        key: the math's name, used in JSON and exercises (``m``, ``v_hat``, ``theta_next``).
        symbol: how tables show it.
        formula: builds the formula for the given hyper-parameters and step ``t`` (a few
            quantities, such as SGD's first momentum buffer, read differently at ``t = 1``).
        description: one sentence on what the quantity means.
        torch_state: torch.optim's state name when the quantity is stored between steps.
        when: whether the quantity exists for these hyper-parameters (``v_max`` only with
            ``amsgrad``).
    """

    key: str
    symbol: Sym
    formula: FormulaFn
    description: str
    torch_state: str | None = None
    when: Callable[[Hyper], bool] = _always


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class OptimizerSpec:
    """Everything `tutor` knows about one optimizer; see the module docstring."""

    name: str
    title: str
    summary: str
    reference: str
    conventions: tuple[Convention, ...]
    hyperparameters: tuple[Hyperparameter, ...]
    quantities: tuple[Quantity, ...]
    init: InitFn
    step: StepFn
    check: Callable[[Hyper], None] = field(default=lambda hp: None)

    def hyperparameter(self, name: str) -> Hyperparameter:
        for hyper in self.hyperparameters:
            if hyper.name == name:
                return hyper
        raise KeyError(name)

    def defaults(self) -> dict[str, float | bool]:
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

    def resolve(
        self, overrides: Mapping[str, Any] | None = None, convention: str | None = None
    ) -> dict[str, Any]:
        """Defaults updated with ``overrides``, each validated, plus the convention's switches.

        Unknown names are errors, and so is a hyper-parameter the convention does not have.
        """
        values: dict[str, Any] = self.defaults()
        for name, value in (overrides or {}).items():
            if name not in values:
                known = ", ".join(values)
                raise HyperparameterError(f"{self.name} has no hyper-parameter {name!r} ({known})")
            values[name] = self.hyperparameter(name).validate(value)
        chosen = self.convention(convention)
        for name in sorted(chosen.unsupported):
            hyper = self.hyperparameter(name)
            if values[name] != hyper.default:
                keep = "off" if hyper.is_flag else f"at {number_text(float(hyper.default))}"
                raise HyperparameterError(
                    f"{name} is not part of the {chosen.name} convention of {self.name}; "
                    f"leave it {keep}"
                )
        self.check(values)
        return {**values, **self.default_convention.switches, **chosen.switches}

    def hyperparameter_values(self, hp: Hyper) -> dict[str, Any]:
        """Only the hyper-parameters of ``hp`` (without the convention's switches)."""
        return {h.name: hp[h.name] for h in self.hyperparameters}

    def active_quantities(self, hp: Hyper) -> tuple[Quantity, ...]:
        return tuple(q for q in self.quantities if q.when(hp))

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise KeyError(key)
