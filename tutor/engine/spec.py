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

from tutor.engine.formula import Expr, Sym
from tutor.errors import HyperparameterError

Array = np.ndarray
Hyper = Mapping[str, Any]
State = dict[str, Array]
InitFn = Callable[[Array, Hyper], State]
StepFn = Callable[[Array, Array, State, Hyper, int], tuple[dict[str, Array], State]]


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
        if self.high == math.inf:
            return f"{'>=' if self.low_inclusive else '>'} {_num(self.low)}"
        if self.low == -math.inf:
            return f"{'<=' if self.high_inclusive else '<'} {_num(self.high)}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"in {left}{_num(self.low)}, {_num(self.high)}{right}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


POSITIVE = Bound(low=0.0, low_inclusive=False)
NON_NEGATIVE = Bound(low=0.0)
UNIT_INTERVAL = Bound(low=0.0, high=1.0)
DECAY_RATE = Bound(low=0.0, high=1.0, high_inclusive=False)


@dataclass(frozen=True)
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
                f"{self.name} must be {self.bound.describe()}, got {_num(number)}"
            )
        return number


FormulaFn = Callable[[Hyper, int], Expr]


def _always(hp: Hyper) -> bool:
    return True


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class OptimizerSpec:
    """Everything `tutor` knows about one optimizer; see the module docstring."""

    name: str
    title: str
    summary: str
    reference: str
    convention: str
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

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, float | bool]:
        """Defaults updated with ``overrides``, each validated; unknown names are errors."""
        values: dict[str, float | bool] = self.defaults()
        for name, value in (overrides or {}).items():
            if name not in values:
                known = ", ".join(values)
                raise HyperparameterError(f"{self.name} has no hyper-parameter {name!r} ({known})")
            values[name] = self.hyperparameter(name).validate(value)
        self.check(values)
        return values

    def active_quantities(self, hp: Hyper) -> tuple[Quantity, ...]:
        return tuple(q for q in self.quantities if q.when(hp))

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise KeyError(key)
