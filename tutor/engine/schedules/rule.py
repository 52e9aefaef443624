"""A schedule's definition and evaluation: :class:`ScheduleSpec`, :class:`Rule`, the runner.

See :mod:`tutor.engine.schedules` for the numbering (step t runs with the rate the scheduler holds
after k = t − 1 of its steps) and the list of schedules; the building blocks the schedule modules
share (arguments, the rate's definition, a cosine between two values) live here too.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.engine.compile import Line, compile_steps
from tutor.engine.formula import Expr, Num, Sym, cos
from tutor.engine.spec import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    POSITIVE,
    UNIT_INTERVAL,
    Bound,
    Hyperparameter,
    HyperValue,
)
from tutor.errors import TutorError

K = Sym("k", "k", "k")
PI = Sym("pi", "π", r"\pi")
BASE_LR = Sym("lr0", "η₀", r"\eta_0")  # the optimizer's lr (torch's base_lr)
METRIC = Sym("metric", "Lₖ", r"L_k")

RATE = Sym("lr", "ηₜ", r"\eta_t")
MOMENTUM_RATE = Sym("momentum", "μₜ", r"\mu_t")

STEPS_DEFAULT = "the number of steps"


class ScheduleError(TutorError):
    """A schedule's name or arguments are wrong, or it cannot run as asked."""


@dataclass(frozen=True)
class Definition:
    """One line of a rule: ``symbol := formula``.

    A definition with ``initial`` set is a recurrence: its formula may read its own previous
    value (the symbol's key with ``_prev``); before the first scheduler step (k = 0) its value is
    ``initial``, printed as ``initial_shown`` (default: the number).
    """

    symbol: Sym
    formula: Expr
    description: str
    initial: float | None = None
    shown: bool = True
    initial_shown: Expr | None = None

    @property
    def starting_formula(self) -> Expr:
        """How the value before the first scheduler step is printed (η₀ for a rate)."""
        if self.initial_shown is not None:
            return self.initial_shown
        return Num(self.initial if self.initial is not None else math.nan)

    @property
    def key(self) -> str:
        return self.symbol.key


@dataclass(frozen=True)
class Rule:
    """A schedule with its arguments fixed: definitions in order, the last ones ``lr`` and
    (for schedules that cycle it) ``momentum``."""

    definitions: tuple[Definition, ...]
    constants: Mapping[str, Any]
    reads_loss: bool = False

    @property
    def recurrent(self) -> bool:
        return self.reads_loss or any(d.initial is not None for d in self.definitions)

    @property
    def cycles_momentum(self) -> bool:
        return any(d.key == "momentum" for d in self.definitions)

    @property
    def varying(self) -> frozenset[str]:
        """Keys of the definitions that change from step to step (they read k, the loss, a
        previous value, or such a definition); the others are constants of the run."""
        found: set[str] = set()
        for item in self.definitions:
            reads = item.formula.symbols
            if (
                item.initial is not None
                or reads & {"k", "metric"}
                or reads & found
                or any(key.endswith("_prev") for key in reads)
            ):
                found.add(item.key)
        return frozenset(found)

    def definition(self, key: str) -> Definition:
        for item in self.definitions:
            if item.key == key:
                return item
        raise KeyError(key)


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule of torch.optim.lr_scheduler.

    Attributes:
        name: the command-line name (``cosine``).
        torch_name: the class in torch.optim.lr_scheduler (``CosineAnnealingLR``).
        title: the display name.
        summary: one sentence.
        parameters: the arguments, torch's names in lower case, torch's defaults.
        build: the rule for validated arguments (and ``lr``, the optimizer's rate).
        aliases: other names it is known by.
        required: arguments torch has no default for (their ``default`` only gives the type).
        run_defaults: arguments whose default depends on the run, with the default in words
            (``t_max``: "the number of steps"); ``complete`` fills them in.
        reads_lr: False for schedules that set the rate themselves (OneCycleLR, CyclicLR).
        check: cross-argument validation, raising HyperparameterError.
    """

    name: str
    torch_name: str
    title: str
    summary: str
    parameters: tuple[Hyperparameter, ...]
    build: Callable[[Mapping[str, Any]], Rule]
    aliases: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    run_defaults: Mapping[str, str] = field(default_factory=dict)
    complete: Callable[[dict[str, Any], int], None] = field(default=lambda values, steps: None)
    reads_lr: bool = True
    check: Callable[[Mapping[str, Any], int], None] = field(default=lambda values, steps: None)

    def __repr__(self) -> str:
        return f"ScheduleSpec({self.name!r})"

    def parameter(self, name: str) -> Hyperparameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def configure(
        self, arguments: Mapping[str, Any], steps: int, lr: float | None = None
    ) -> ScheduleConfig:
        """Validated arguments for a run of ``steps`` steps starting from rate ``lr``."""
        values: dict[str, Any] = {p.name: p.default for p in self.parameters}
        for name in (*self.required, *self.run_defaults):
            values[name] = None
        for name, given in arguments.items():
            key = self._known(name)
            values[key] = self.parameter(key).validate(given)
        self.complete(values, steps)
        missing = [name for name in self.required if values[name] is None]
        if missing:
            example = ",".join(f"{m}=…" for m in missing)
            raise ScheduleError(
                f"the {self.name} schedule needs {_and(missing)} (torch has no default), "
                f"e.g. '{self.name}:{example}'"
            )
        if self.reads_lr:
            if lr is None:
                raise ScheduleError(f"the {self.name} schedule needs the starting rate lr")
            values["lr"] = lr
        self.check(values, steps)
        given = frozenset(self._known(name) for name in arguments)
        return ScheduleConfig(self, values, steps, given)

    def _known(self, name: str) -> str:
        key = name.strip().lower().replace("-", "_")
        for parameter in self.parameters:
            if key == parameter.name or key in parameter.also:
                return parameter.name
        names = [p.name for p in self.parameters]
        if key == "lr" and not self.reads_lr:
            raise ScheduleError(
                f"the {self.name} schedule sets the rate itself and has no lr argument "
                f"(its arguments: {', '.join(names)})"
            )
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScheduleError(
            f"the {self.name} schedule has no argument {name!r} (it takes {', '.join(names)}){hint}"
        )


@dataclass(frozen=True)
class ScheduleConfig:
    """A schedule with validated arguments, for a run of ``steps`` steps."""

    spec: ScheduleSpec
    values: Mapping[str, Any]
    steps: int
    given: frozenset[str] = frozenset()

    @property
    def rule(self) -> Rule:
        return self.spec.build(self.values)

    def arguments(self) -> dict[str, Any]:
        """The arguments as given to torch (without ``lr``, which is the optimizer's)."""
        return {p.name: self.values[p.name] for p in self.parameters_used()}

    def parameters_used(self) -> tuple[Hyperparameter, ...]:
        return self.spec.parameters

    def label(self) -> str:
        """``cosine:t_max=10,eta_min=0.001``: how to ask for it again (the arguments given)."""
        parts = [
            f"{name}={_value_text(value)}"
            for name, value in self.arguments().items()
            if name in self.given
        ]
        return f"{self.spec.name}:{','.join(parts)}" if parts else self.spec.name

    def rates(self, losses: Sequence[float] | None = None) -> Rates:
        """Every definition's value for steps 1 … ``steps`` (losses: L(θₖ) after step k, needed
        only by a schedule that reads the loss)."""
        return evaluate(self.rule, self.steps, losses)

    def run(self) -> ScheduleRun:
        """A step-by-step evaluator for a run whose losses are not known in advance."""
        return ScheduleRun(self.rule, self.steps)


Rates = dict[str, np.ndarray]


def evaluate(rule: Rule, steps: int, losses: Sequence[float] | None = None) -> Rates:
    """Every definition of ``rule`` for steps t = 1 … ``steps`` (k = t − 1), as arrays.

    ``losses`` holds L(θₖ), the loss after step k, for a rule that reads it (``steps − 1``).
    """
    if rule.reads_loss and (losses is None or len(losses) < steps - 1):
        raise ValueError("this schedule reads the loss after every step")
    run = ScheduleRun(rule, steps)
    for t in range(1, steps + 1):
        run.advance(float(losses[t - 2]) if rule.reads_loss and t > 1 else None)  # type: ignore[index]
    return run.values()


class ScheduleRun:
    """A schedule evaluated one step at a time (recurrences, and the plateau rule's losses).

    ``advance(metric)`` moves to the next optimizer step: before step 1 it takes no metric; before
    step t > 1 it takes L(θₜ₋₁), the loss after step t − 1 (ignored unless the rule reads it).
    """

    def __init__(self, rule: Rule, steps: int) -> None:
        self.rule = rule
        self.steps = steps
        constants = {**rule.constants, "pi": np.float64(math.pi)}
        lines = [Line(d.key, d.formula) for d in rule.definitions]
        self._function = compile_steps(lines, constants)
        self._previous = {
            f"{d.key}_prev": np.float64(d.initial)
            for d in rule.definitions
            if d.initial is not None
        }
        self._columns: dict[str, list[float]] = {d.key: [] for d in rule.definitions}
        self.t = 0

    def advance(self, metric: float | None = None) -> dict[str, float]:
        """The definitions' values for the next step.

        Before the first scheduler step (k = 0) every carried value is its initial value; the
        others are computed from those, except that a rule reading the loss has seen none yet
        (they are NaN: nothing to compare).
        """
        self.t += 1
        env: dict[str, Any] = {"k": np.float64(self.t - 1), **self._previous}
        env["metric"] = np.float64(np.nan if metric is None else metric)
        with np.errstate(all="ignore"):
            values = self._first(env) if self.t == 1 else self._function(env)
        for item in self.rule.definitions:
            value = float(values[item.key])
            if not math.isfinite(value) and item.key in ("lr", "momentum"):
                raise ScheduleError(_not_finite(item.key, self.t))
            self._columns[item.key].append(value)
            if item.initial is not None:
                self._previous[f"{item.key}_prev"] = values[item.key]
        return {key: column[-1] for key, column in self._columns.items()}

    def _first(self, env: dict[str, Any]) -> dict[str, Any]:
        constants = {**self.rule.constants, "pi": np.float64(math.pi)}
        values: dict[str, Any] = {}
        for item in self.rule.definitions:
            if item.initial is not None:
                values[item.key] = np.float64(item.initial)
            elif self.rule.reads_loss:
                values[item.key] = np.float64(np.nan)
            else:
                values[item.key] = item.formula.evaluate({**constants, **env, **values})
        return values

    def values(self) -> Rates:
        return {key: np.array(column) for key, column in self._columns.items()}


def _not_finite(key: str, t: int) -> str:
    what = "learning rate" if key == "lr" else "momentum"
    return (
        f"the schedule's {what} is not a finite number at step {t} (a phase of zero length "
        "divides by zero; torch would fail there too)"
    )


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _value_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def argument_constants(values: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as the formulas read them (the optimizer's lr as η₀, key ``lr0``)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "lr":
            out["lr0"] = np.float64(value)
            continue
        if isinstance(value, bool):
            out[name] = value
        elif isinstance(value, (int, float)):
            out[name] = np.float64(value)
        elif isinstance(value, tuple):
            out[name] = np.array(value, dtype=np.float64)
    return out


def complete_from_steps(*names: str) -> Callable[[dict[str, Any], int], None]:
    def complete(values: dict[str, Any], steps: int) -> None:
        for name in names:
            if values[name] is None:
                values[name] = steps

    return complete


# --- Building blocks ---------------------------------------------------------------------------


def sym(key: str, text: str, tex: str) -> Sym:
    return Sym(key, text, tex)


def argument(
    name: str,
    symbol: Sym,
    default: HyperValue,
    description: str,
    bound: Bound = NON_NEGATIVE,
    *,
    torch_name: str = "",
    choices: tuple[str | None, ...] = (),
    also: tuple[str, ...] = (),
) -> Hyperparameter:
    return Hyperparameter(
        name,
        symbol,
        default,
        description,
        bound,
        torch_name=torch_name or name,
        choices=choices,
        also=also,
    )


def rate(formula: Expr, description: str = "the learning rate of step t = k + 1") -> Definition:
    return Definition(RATE, formula, description)


def cosine_between(low: Expr, high: Expr, position: Expr) -> Expr:
    """``low + (high − low)·(1 + cos(π·position))/2``: from ``high`` at 0 to ``low`` at 1."""
    return low + (high - low) * (1 + cos(PI * position)) / 2


# Symbols of the arguments, shared by the schedules that have them.
GAMMA = sym("gamma", "γ", r"\gamma")
ETA_MIN = sym("eta_min", "η_min", r"\eta_{\min}")
T_MAX = sym("t_max", "T_max", r"T_{\max}")
MAX_LR = sym("max_lr", "η_max", r"\eta_{\max}")
BASE_MOMENTUM = sym("base_momentum", "μ_base", r"\mu_{\mathrm{base}}")
MAX_MOMENTUM = sym("max_momentum", "μ_max", r"\mu_{\max}")


def gamma_argument(default: float | None) -> Hyperparameter:
    return argument("gamma", GAMMA, default, "factor the rate is multiplied by", POSITIVE)


def cycle_momentum_arguments(base: float, top: float) -> tuple[Hyperparameter, ...]:
    return (
        argument(
            "cycle_momentum",
            sym("cycle_momentum", "cycle_momentum", r"\text{cycle\_momentum}"),
            True,
            "also cycle the momentum (β₁ for Adam-like optimizers) against the rate",
        ),
        argument("base_momentum", BASE_MOMENTUM, base, "lowest momentum", UNIT_INTERVAL),
        argument("max_momentum", MAX_MOMENTUM, top, "highest momentum", UNIT_INTERVAL),
    )


T_MAX_ARGUMENT = argument(
    "t_max",
    T_MAX,
    0,
    "scheduler steps from lr down to eta_min (torch's T_max)",
    AT_LEAST_ONE,
    torch_name="T_max",
)
ETA_MIN_ARGUMENT = argument("eta_min", ETA_MIN, 0.0, "the lowest rate")
MAX_LR_ARGUMENT = argument("max_lr", MAX_LR, 0.1, "the highest rate", POSITIVE)
