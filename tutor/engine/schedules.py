"""Learning-rate schedules: the rate ηₜ of every step, as torch.optim.lr_scheduler sets it.

Numbering. A training loop calls ``optimizer.step()`` and then ``scheduler.step()``, so optimizer
step t = 1, 2, … runs with the rate the scheduler holds after k = t − 1 of its own steps: η₁ is
the schedule's starting value. Every formula here is written in k.

Each schedule is one :class:`ScheduleSpec`: its arguments (torch's names, written in lower case:
``t_max`` for ``T_max``; torch's defaults and valid ranges, as :class:`Hyperparameter`) and
``build``, which turns validated arguments into a :class:`Rule`. A rule is an ordered list of
definitions ``symbol := formula tree``, ending with the rate ``lr`` (and ``momentum`` for the
schedules that cycle it). The trees are the schedule: compiled once, they are evaluated step by
step (a definition may read its own previous value, and ReduceLROnPlateau the last loss) and
printed in the tables, so a number and the formula beside it cannot disagree.

torch computes several schedules by a recursion on the previous rate (cosine annealing multiplies
by a ratio of cosines, ExponentialLR by γ); the closed forms here agree with those recursions to
about 1e-15 relative, and ``tests/test_schedules.py`` checks every schedule against values that
``scripts/make_schedule_golden.py`` records from torch itself.

ReduceLROnPlateau reads the run's own losses: after optimizer step k the scheduler is given
L(θₖ), the loss at the parameters that step produced, and decides the rate of step k + 1.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.engine.compile import Line, compile_steps
from tutor.engine.formula import Expr, Num, Sym, cos, floor, func, maximum, minimum, where
from tutor.engine.spec import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    POSITIVE,
    UNIT_INTERVAL,
    Bound,
    Hyperparameter,
    HyperValue,
)
from tutor.errors import HyperparameterError, TutorError

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


# --- Building blocks ---------------------------------------------------------------------------


def _sym(key: str, text: str, tex: str) -> Sym:
    return Sym(key, text, tex)


def _argument(
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


def _rate(formula: Expr, description: str = "the learning rate of step t = k + 1") -> Definition:
    return Definition(RATE, formula, description)


def _cosine_between(low: Expr, high: Expr, position: Expr) -> Expr:
    """``low + (high − low)·(1 + cos(π·position))/2``: from ``high`` at 0 to ``low`` at 1."""
    return low + (high - low) * (1 + cos(PI * position)) / 2


# Symbols of the arguments, shared by the schedules that have them.
GAMMA = _sym("gamma", "γ", r"\gamma")
ETA_MIN = _sym("eta_min", "η_min", r"\eta_{\min}")
T_MAX = _sym("t_max", "T_max", r"T_{\max}")
MAX_LR = _sym("max_lr", "η_max", r"\eta_{\max}")
BASE_MOMENTUM = _sym("base_momentum", "μ_base", r"\mu_{\mathrm{base}}")
MAX_MOMENTUM = _sym("max_momentum", "μ_max", r"\mu_{\max}")


def _gamma(default: float | None) -> Hyperparameter:
    return _argument("gamma", GAMMA, default, "factor the rate is multiplied by", POSITIVE)


def _cycle_momentum_arguments(base: float, top: float) -> tuple[Hyperparameter, ...]:
    return (
        _argument(
            "cycle_momentum",
            _sym("cycle_momentum", "cycle_momentum", r"\text{cycle\_momentum}"),
            True,
            "also cycle the momentum (β₁ for Adam-like optimizers) against the rate",
        ),
        _argument("base_momentum", BASE_MOMENTUM, base, "lowest momentum", UNIT_INTERVAL),
        _argument("max_momentum", MAX_MOMENTUM, top, "highest momentum", UNIT_INTERVAL),
    )


# --- StepLR, MultiStepLR, ExponentialLR, LinearLR ----------------------------------------------

STEP_SIZE = _sym("step_size", "s", "s")


def _step_rule(values: Mapping[str, Any]) -> Rule:
    return Rule(
        (_rate(BASE_LR * GAMMA ** floor(K / STEP_SIZE)),),
        _constants(values),
    )


MILESTONES = _sym("milestones", "M", "M")
PASSED = _sym("passed", "nₖ", r"n_k")


def _multistep_rule(values: Mapping[str, Any]) -> Rule:
    marks = ", ".join(str(m) for m in sorted(values["milestones"]))
    counted = Definition(
        PASSED, func("reached", MILESTONES, K), f"how many milestones ({marks}) are ≤ k"
    )
    return Rule((counted, _rate(BASE_LR * GAMMA**PASSED)), _constants(values))


def _exponential_rule(values: Mapping[str, Any]) -> Rule:
    return Rule((_rate(BASE_LR * GAMMA**K),), _constants(values))


START_FACTOR = _sym("start_factor", "f₀", r"f_0")
END_FACTOR = _sym("end_factor", "f₁", r"f_1")
TOTAL_ITERS = _sym("total_iters", "T", "T")


def _linear_factor(start: Expr, end: Expr, total: Expr) -> Expr:
    return start + (end - start) * minimum(K, total) / total


def _linear_rule(values: Mapping[str, Any]) -> Rule:
    return Rule(
        (_rate(BASE_LR * _linear_factor(START_FACTOR, END_FACTOR, TOTAL_ITERS)),),
        _constants(values),
    )


def _start_factor(default: float) -> Hyperparameter:
    return _argument(
        "start_factor",
        START_FACTOR,
        default,
        "fraction of lr at the first step",
        Bound(low=0.0, low_inclusive=False, high=1.0),
    )


# --- CosineAnnealingLR, CosineAnnealingWarmRestarts, warmup then cosine ---------------------------


def _cosine_rule(values: Mapping[str, Any]) -> Rule:
    return Rule((_rate(_cosine_between(ETA_MIN, BASE_LR, K / T_MAX)),), _constants(values))


T_0 = _sym("t_0", "T₀", r"T_0")
T_MULT = _sym("t_mult", "T_mult", r"T_{\mathrm{mult}}")
T_CUR = _sym("t_cur", "T_cur", r"T_{\mathrm{cur}}")
T_I = _sym("t_i", "Tᵢ", r"T_i")
T_CUR_PREV = _sym("t_cur_prev", "T_cur,ₖ₋₁", r"T_{\mathrm{cur},k-1}")
T_I_PREV = _sym("t_i_prev", "Tᵢ,ₖ₋₁", r"T_{i,k-1}")


def _warm_restarts_rule(values: Mapping[str, Any]) -> Rule:
    # Before the first scheduler step the position is 0 in a cycle of T₀ steps; each step adds
    # 1 and restarts the cycle when the position reaches Tᵢ, the next cycle T_mult times longer.
    restart = T_CUR_PREV + 1 >= T_I_PREV
    position = Definition(
        T_CUR,
        where(restart, 0.0, T_CUR_PREV + 1),
        "scheduler steps since the last restart",
        initial=0.0,
    )
    cycle = Definition(
        T_I,
        where(restart, T_I_PREV * T_MULT, T_I_PREV),
        "the length of the current cycle",
        initial=float(values["t_0"]),
    )
    return Rule(
        (position, cycle, _rate(_cosine_between(ETA_MIN, BASE_LR, T_CUR / T_I))),
        _constants(values),
    )


WARMUP_STEPS = _sym("warmup_steps", "W", "W")


def _warmup_cosine_rule(values: Mapping[str, Any]) -> Rule:
    # SequentialLR([LinearLR(start_factor, 1, W), CosineAnnealingLR(T_max, eta_min)], [W]):
    # the linear ramp for k < W, then the cosine restarted at its own step 0 at k = W.
    warmup = BASE_LR * (START_FACTOR + (1 - START_FACTOR) * K / WARMUP_STEPS)
    after = _cosine_between(ETA_MIN, BASE_LR, (K - WARMUP_STEPS) / T_MAX)
    return Rule((_rate(where(K < WARMUP_STEPS, warmup, after)),), _constants(values))


def _complete_warmup(values: dict[str, Any], steps: int) -> None:
    if values["t_max"] is None:  # the cosine takes the steps after the warm-up
        if steps <= values["warmup_steps"]:
            raise ScheduleError(
                f"warmup-cosine: warmup_steps={values['warmup_steps']} leaves no step for the "
                f"cosine in a run of {steps}; give t_max or more steps"
            )
        values["t_max"] = steps - values["warmup_steps"]


# --- OneCycleLR ----------------------------------------------------------------------------------

INITIAL_LR = _sym("initial_lr", "η_start", r"\eta_{\mathrm{start}}")
FINAL_LR = _sym("final_lr", "η_final", r"\eta_{\mathrm{final}}")
DIV_FACTOR = _sym("div_factor", "d", "d")
FINAL_DIV = _sym("final_div_factor", "d_final", r"d_{\mathrm{final}}")
PCT_START = _sym("pct_start", "p", "p")
TOTAL_STEPS = _sym("total_steps", "N", "N")
PHASE = _sym("phase_position", "pₖ", r"p_k")


def _anneal(strategy: str, start: Expr, end: Expr, position: Expr) -> Expr:
    if strategy == "cos":  # torch: end + (start − end)/2·(cos(π·pct) + 1)
        return end + (start - end) / 2.0 * (cos(PI * position) + 1)
    return (end - start) * position + start


PHASE_ENDS = (
    _sym("end1", "e₁", "e_1"),
    _sym("end2", "e₂", "e_2"),
    _sym("end3", "e₃", "e_3"),
)


def _onecycle_rule(values: Mapping[str, Any]) -> Rule:
    # torch's phases end at scheduler steps pN − 1 (the peak) and N − 1 (three_phase: pN − 1,
    # 2pN − 2 and N − 1); within a phase the rate moves from its start to its end value as
    # the position goes from 0 to 1.
    if values["three_phase"]:
        ends: list[Expr] = [
            PCT_START * TOTAL_STEPS - 1,
            2 * PCT_START * TOTAL_STEPS - 2,
            TOTAL_STEPS - 1,
        ]
        rates = [(INITIAL_LR, MAX_LR), (MAX_LR, INITIAL_LR), (INITIAL_LR, FINAL_LR)]
        moments = [
            (MAX_MOMENTUM, BASE_MOMENTUM),
            (BASE_MOMENTUM, MAX_MOMENTUM),
            (MAX_MOMENTUM, MAX_MOMENTUM),
        ]
    else:
        ends = [PCT_START * TOTAL_STEPS - 1, TOTAL_STEPS - 1]
        rates = [(INITIAL_LR, MAX_LR), (MAX_LR, FINAL_LR)]
        moments = [(MAX_MOMENTUM, BASE_MOMENTUM), (BASE_MOMENTUM, MAX_MOMENTUM)]
    strategy = values["anneal_strategy"]
    marks = PHASE_ENDS[: len(ends)]
    described = (
        ("the scheduler step of the peak", "the last scheduler step")
        if len(ends) == 2
        else (
            "the scheduler step of the peak",
            "the scheduler step back at the starting rate",
            "the last scheduler step",
        )
    )

    def phased(pairs: list[tuple[Sym, Sym]]) -> Expr:
        formula: Expr | None = None
        for i in reversed(range(len(ends))):
            position = (K - marks[i - 1]) / (marks[i] - marks[i - 1]) if i else K / marks[0]
            piece = _anneal(strategy, pairs[i][0], pairs[i][1], position)
            formula = piece if formula is None else where(marks[i] >= K, piece, formula)
        assert formula is not None
        return formula

    definitions = [
        Definition(INITIAL_LR, MAX_LR / DIV_FACTOR, "the starting rate"),
        Definition(FINAL_LR, INITIAL_LR / FINAL_DIV, "the final rate"),
        *(
            Definition(mark, end, what)
            for mark, end, what in zip(marks, ends, described, strict=True)
        ),
        _rate(phased(rates)),
    ]
    if values["cycle_momentum"]:
        definitions.append(
            Definition(MOMENTUM_RATE, phased(moments), "the momentum of step t = k + 1")
        )
    return Rule(tuple(definitions), _constants(values))


def _check_onecycle(values: Mapping[str, Any], steps: int) -> None:
    if steps > values["total_steps"]:
        raise ScheduleError(
            f"onecycle runs for total_steps={values['total_steps']} steps but {steps} were asked "
            "for (torch raises an error once the schedule is stepped past its total)"
        )
    if values["base_momentum"] > values["max_momentum"]:
        raise HyperparameterError("base_momentum must be <= max_momentum")


# --- CyclicLR -------------------------------------------------------------------------------------

BASE_LR_CYCLIC = _sym("base_lr", "η_base", r"\eta_{\mathrm{base}}")
STEP_UP = _sym("step_size_up", "S_up", r"S_{\mathrm{up}}")
STEP_DOWN = _sym("step_size_down", "S_down", r"S_{\mathrm{down}}")
CYCLE = _sym("cycle", "c", "c")
CYCLE_POSITION = _sym("x", "x", "x")
HEIGHT = _sym("height", "h", "h")
SCALE = _sym("scale", "σ", r"\sigma")


CYCLE_LENGTH = _sym("cycle_length", "S", "S")
UP_RATIO = _sym("up_ratio", "r", "r")


def _cyclic_rule(values: Mapping[str, Any]) -> Rule:
    down = STEP_UP if values["step_size_down"] is None else STEP_DOWN
    mode = values["mode"]
    if mode == "triangular":
        scale: Expr = Num(1.0)
        described = "1 (triangular)"
    elif mode == "triangular2":
        scale = 1 / 2.0 ** (CYCLE - 1)
        described = "halved every cycle (triangular2)"
    else:
        scale = GAMMA**K
        described = "γᵏ (exp_range)"
    definitions = [
        Definition(CYCLE_LENGTH, STEP_UP + down, "scheduler steps in one cycle"),
        Definition(UP_RATIO, STEP_UP / CYCLE_LENGTH, "the fraction of a cycle spent rising"),
        Definition(CYCLE, floor(1 + K / CYCLE_LENGTH), "the cycle number, from 1"),
        Definition(
            CYCLE_POSITION, 1.0 + K / CYCLE_LENGTH - CYCLE, "position within the cycle, 0 to 1"
        ),
        Definition(
            HEIGHT,
            where(
                CYCLE_POSITION <= UP_RATIO,
                CYCLE_POSITION / UP_RATIO,
                (CYCLE_POSITION - 1) / (UP_RATIO - 1),
            ),
            "how far up the triangle (0 at the bottom, 1 at the top)",
        ),
        Definition(SCALE, scale, f"the amplitude's scale: {described}"),
        _rate(BASE_LR_CYCLIC + (MAX_LR - BASE_LR_CYCLIC) * HEIGHT * SCALE),
    ]
    if values["cycle_momentum"]:
        definitions.append(
            Definition(
                MOMENTUM_RATE,
                MAX_MOMENTUM - (MAX_MOMENTUM - BASE_MOMENTUM) * HEIGHT * SCALE,
                "the momentum of step t = k + 1",
            )
        )
    return Rule(tuple(definitions), _constants(values))


def _check_cyclic(values: Mapping[str, Any], steps: int) -> None:
    if values["max_lr"] < values["base_lr"]:
        raise HyperparameterError("max_lr must be >= base_lr")
    if values["base_momentum"] > values["max_momentum"]:
        raise HyperparameterError("base_momentum must be <= max_momentum")


# --- ReduceLROnPlateau ----------------------------------------------------------------------------

FACTOR = _sym("factor", "γ", r"\gamma")
PATIENCE = _sym("patience", "P", "P")
THRESHOLD = _sym("threshold", "δ", r"\delta")
COOLDOWN = _sym("cooldown", "C", "C")
MIN_LR = _sym("min_lr", "η_min", r"\eta_{\min}")
PLATEAU_EPS = _sym("eps", "ε", r"\varepsilon")
BEST = _sym("best", "bestₖ", r"\mathrm{best}_k")
BEST_PREV = _sym("best_prev", "bestₖ₋₁", r"\mathrm{best}_{k-1}")
BETTER = _sym("better", "improvedₖ", r"\mathrm{improved}_k")
BAD = _sym("bad", "badₖ", r"\mathrm{bad}_k")
BAD_PREV = _sym("bad_prev", "badₖ₋₁", r"\mathrm{bad}_{k-1}")
WAIT = _sym("wait", "coolₖ", r"\mathrm{cool}_k")
WAIT_PREV = _sym("wait_prev", "coolₖ₋₁", r"\mathrm{cool}_{k-1}")
REDUCE = _sym("reduce", "reduceₖ", r"\mathrm{reduce}_k")
RATE_PREV = _sym("lr_prev", "ηₜ₋₁", r"\eta_{t-1}")
LOWER = _sym("lower", "η′", r"\eta'")


COUNT = _sym("count", "countₖ", r"\mathrm{count}_k")


def _plateau_rule(values: Mapping[str, Any]) -> Rule:
    # One scheduler step in torch's order: compare the loss with the best, count the steps
    # without improvement, let a cool-down absorb the count, and reduce (starting a cool-down)
    # once the count exceeds the patience. Before the first step every count is 0.
    relative = values["threshold_mode"] == "rel"
    if values["mode"] == "min":
        target = BEST_PREV * (1 - THRESHOLD) if relative else BEST_PREV - THRESHOLD
        improved = target > METRIC
        worst = math.inf
    else:
        target = BEST_PREV * (1 + THRESHOLD) if relative else BEST_PREV + THRESHOLD
        improved = target < METRIC
        worst = -math.inf
    cooling = WAIT_PREV > 0
    definitions = (
        Definition(BETTER, improved, "the loss beat the best so far (by the threshold)"),
        Definition(BEST, where(BETTER, METRIC, BEST_PREV), "the best loss seen", initial=worst),
        Definition(COUNT, where(BETTER, 0.0, BAD_PREV + 1), "steps without improvement"),
        Definition(
            REDUCE,
            where(cooling, False, COUNT > PATIENCE),
            "more than P steps without improvement, outside a cool-down",
        ),
        Definition(
            BAD,
            where(cooling, 0.0, where(REDUCE, 0.0, COUNT)),
            "the count carried to the next step (reset by a cool-down or a reduction)",
            initial=0.0,
        ),
        Definition(
            WAIT,
            where(REDUCE, COOLDOWN, maximum(WAIT_PREV - 1, 0.0)),
            "cool-down steps left",
            initial=0.0,
        ),
        Definition(LOWER, maximum(RATE_PREV * FACTOR, MIN_LR), "the reduced rate"),
        Definition(
            RATE,
            where(REDUCE, where(RATE_PREV - LOWER > PLATEAU_EPS, LOWER, RATE_PREV), RATE_PREV),
            "the learning rate of step t = k + 1 (reduced only by more than ε)",
            initial=float(values["lr"]),
            initial_shown=BASE_LR,
        ),
    )
    return Rule(definitions, _constants(values), reads_loss=True)


# --- The registry --------------------------------------------------------------------------------


def _constants(values: Mapping[str, Any]) -> dict[str, Any]:
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


def _check_linear(values: Mapping[str, Any], steps: int) -> None:
    if not 0.0 <= values["end_factor"] <= 1.0:
        raise HyperparameterError("end_factor must be in [0, 1]")


def _complete_from_steps(*names: str) -> Callable[[dict[str, Any], int], None]:
    def complete(values: dict[str, Any], steps: int) -> None:
        for name in names:
            if values[name] is None:
                values[name] = steps

    return complete


def _check_milestones(values: Mapping[str, Any], steps: int) -> None:
    if not values["milestones"]:
        raise ScheduleError(
            "the multistep schedule needs milestones, e.g. 'multistep:milestones=[30,80]'"
        )


def _check_factor(values: Mapping[str, Any], steps: int) -> None:
    if values["factor"] >= 1.0:
        raise HyperparameterError("factor must be < 1 (torch: 'Factor should be < 1.0')")


_T_MAX = _argument(
    "t_max",
    T_MAX,
    0,
    "scheduler steps from lr down to eta_min (torch's T_max)",
    AT_LEAST_ONE,
    torch_name="T_max",
)
_ETA_MIN = _argument("eta_min", ETA_MIN, 0.0, "the lowest rate")
_TOTAL_ITERS = _argument(
    "total_iters", TOTAL_ITERS, 5, "scheduler steps the ramp takes", NON_NEGATIVE
)
_MAX_LR = _argument("max_lr", MAX_LR, 0.1, "the highest rate", POSITIVE)

SCHEDULE_SPECS: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        "step",
        "StepLR",
        "Step decay",
        "multiply the rate by γ every step_size scheduler steps",
        (
            _argument("step_size", STEP_SIZE, 1, "scheduler steps between decays", AT_LEAST_ONE),
            _gamma(0.1),
        ),
        _step_rule,
        aliases=("steplr", "step-decay"),
        required=("step_size",),
    ),
    ScheduleSpec(
        "multistep",
        "MultiStepLR",
        "Multi-step decay",
        "multiply the rate by γ at each milestone",
        (
            _argument(
                "milestones",
                MILESTONES,
                (),
                "scheduler steps at which the rate is multiplied by γ",
            ),
            _gamma(0.1),
        ),
        _multistep_rule,
        aliases=("multisteplr", "multi-step"),
        check=_check_milestones,
    ),
    ScheduleSpec(
        "exponential",
        "ExponentialLR",
        "Exponential decay",
        "multiply the rate by γ at every scheduler step",
        (_gamma(0.1),),
        _exponential_rule,
        aliases=("exponentiallr", "exp"),
        required=("gamma",),
    ),
    ScheduleSpec(
        "linear",
        "LinearLR",
        "Linear ramp",
        "move the rate's factor linearly from start_factor to end_factor over total_iters steps",
        (
            _start_factor(1.0 / 3),
            _argument(
                "end_factor",
                END_FACTOR,
                1.0,
                "fraction of lr at the end of the ramp",
                UNIT_INTERVAL,
            ),
            _TOTAL_ITERS,
        ),
        _linear_rule,
        aliases=("linearlr",),
    ),
    ScheduleSpec(
        "cosine",
        "CosineAnnealingLR",
        "Cosine annealing",
        "lower the rate from lr to eta_min along half a cosine over t_max steps",
        (_T_MAX, _ETA_MIN),
        _cosine_rule,
        aliases=("cosine-annealing", "cosineannealinglr", "cosine-annealing-lr"),
        run_defaults={"t_max": STEPS_DEFAULT},
        complete=_complete_from_steps("t_max"),
    ),
    ScheduleSpec(
        "cosine-warm-restarts",
        "CosineAnnealingWarmRestarts",
        "Cosine annealing with warm restarts (SGDR)",
        "cosine annealing that jumps back to lr after t_0 steps, each cycle t_mult times longer",
        (
            _argument(
                "t_0",
                T_0,
                1,
                "length of the first cycle (torch's T_0)",
                AT_LEAST_ONE,
                torch_name="T_0",
            ),
            _argument(
                "t_mult",
                T_MULT,
                1,
                "factor each cycle is longer than the last",
                AT_LEAST_ONE,
                torch_name="T_mult",
            ),
            _ETA_MIN,
        ),
        _warm_restarts_rule,
        aliases=("sgdr", "cosineannealingwarmrestarts", "warm-restarts"),
        required=("t_0",),
    ),
    ScheduleSpec(
        "warmup-cosine",
        "SequentialLR(LinearLR, CosineAnnealingLR)",
        "Linear warm-up, then cosine annealing",
        "ramp from start_factor·lr to lr over warmup_steps, then cosine-anneal to eta_min",
        (
            _argument("warmup_steps", WARMUP_STEPS, 1, "scheduler steps of the ramp", AT_LEAST_ONE),
            _start_factor(1.0 / 3),
            _argument(
                "t_max",
                T_MAX,
                0,
                "scheduler steps of the cosine after the warm-up (torch's T_max)",
                AT_LEAST_ONE,
                torch_name="T_max",
            ),
            _ETA_MIN,
        ),
        _warmup_cosine_rule,
        aliases=("warmup", "linear-warmup-cosine"),
        required=("warmup_steps",),
        run_defaults={"t_max": "the steps after the warm-up"},
        complete=_complete_warmup,
    ),
    ScheduleSpec(
        "onecycle",
        "OneCycleLR",
        "One-cycle policy",
        "climb from max_lr/div_factor to max_lr, then anneal far below the start",
        (
            _MAX_LR,
            _argument(
                "total_steps", TOTAL_STEPS, 0, "scheduler steps of the whole cycle", AT_LEAST_ONE
            ),
            _argument(
                "pct_start", PCT_START, 0.3, "fraction of the cycle spent climbing", UNIT_INTERVAL
            ),
            _argument(
                "anneal_strategy",
                _sym("anneal_strategy", "anneal", r"	ext{anneal}"),
                "cos",
                "cosine or linear interpolation",
                choices=("cos", "linear"),
            ),
            *_cycle_momentum_arguments(0.85, 0.95),
            _argument("div_factor", DIV_FACTOR, 25.0, "max_lr / starting rate", POSITIVE),
            _argument("final_div_factor", FINAL_DIV, 1e4, "starting rate / final rate", POSITIVE),
            _argument(
                "three_phase",
                _sym("three_phase", "three_phase", r"	ext{three\_phase}"),
                False,
                "come back down to the starting rate before annealing further",
            ),
        ),
        _onecycle_rule,
        aliases=("one-cycle", "onecyclelr", "1cycle"),
        required=("max_lr",),
        run_defaults={"total_steps": STEPS_DEFAULT},
        complete=_complete_from_steps("total_steps"),
        reads_lr=False,
        check=_check_onecycle,
    ),
    ScheduleSpec(
        "cyclic",
        "CyclicLR",
        "Cyclical learning rate",
        "move the rate up and down between base_lr and max_lr in triangles",
        (
            _argument("base_lr", BASE_LR_CYCLIC, 0.001, "the lowest rate", POSITIVE),
            _MAX_LR,
            _argument("step_size_up", STEP_UP, 2000, "scheduler steps going up", AT_LEAST_ONE),
            _argument(
                "step_size_down",
                STEP_DOWN,
                0,
                "scheduler steps going down (default: step_size_up)",
                AT_LEAST_ONE,
            ),
            _argument(
                "mode",
                _sym("mode", "mode", r"	ext{mode}"),
                "triangular",
                "how the amplitude changes from cycle to cycle",
                choices=("triangular", "triangular2", "exp_range"),
            ),
            _argument("gamma", GAMMA, 1.0, "exp_range's factor per scheduler step", POSITIVE),
            *_cycle_momentum_arguments(0.8, 0.9),
        ),
        _cyclic_rule,
        aliases=("cycliclr", "clr", "cyclical", "triangular"),
        required=("base_lr", "max_lr"),
        run_defaults={"step_size_down": "step_size_up"},
        reads_lr=False,
        check=_check_cyclic,
    ),
    ScheduleSpec(
        "plateau",
        "ReduceLROnPlateau",
        "Reduce on plateau",
        "multiply the rate by factor when the loss has not improved for patience steps",
        (
            _argument(
                "mode",
                _sym("mode", "mode", r"	ext{mode}"),
                "min",
                "min: lower losses are better; max: higher are",
                choices=("min", "max"),
            ),
            _argument("factor", FACTOR, 0.1, "factor the rate is multiplied by", POSITIVE),
            _argument("patience", PATIENCE, 10, "steps without improvement tolerated"),
            _argument("threshold", THRESHOLD, 1e-4, "how much better counts as better"),
            _argument(
                "threshold_mode",
                _sym("threshold_mode", "threshold_mode", r"	ext{threshold\_mode}"),
                "rel",
                "rel: a fraction of the best loss; abs: an amount",
                choices=("rel", "abs"),
            ),
            _argument("cooldown", COOLDOWN, 0, "steps to wait after a reduction"),
            _argument("min_lr", MIN_LR, 0.0, "the rate is never reduced below this"),
            _argument("eps", PLATEAU_EPS, 1e-8, "smaller reductions are skipped"),
        ),
        _plateau_rule,
        aliases=("reducelronplateau", "reduce-on-plateau"),
        check=_check_factor,
    ),
)

SCHEDULES: Mapping[str, ScheduleSpec] = {spec.name: spec for spec in SCHEDULE_SPECS}


def get_schedule(name: str) -> ScheduleSpec:
    """The schedule called ``name`` or one of its aliases (case-insensitive), or a
    ScheduleError suggesting the closest."""
    key = name.strip().lower().replace("_", "-")
    for spec in SCHEDULE_SPECS:
        if key == spec.name or key in spec.aliases:
            return spec
    names = [spec.name for spec in SCHEDULE_SPECS]
    everything = names + [a for spec in SCHEDULE_SPECS for a in spec.aliases]
    close = difflib.get_close_matches(key, everything, n=1)
    if close:
        hint = f" (did you mean {get_schedule(close[0]).name!r}?)"
    else:
        hint = f" (known: {', '.join(names)})"
    raise ScheduleError(f"unknown schedule {name!r}{hint}")


def configure_schedule(
    name: str, arguments: Mapping[str, Any], steps: int, lr: float | None
) -> ScheduleConfig:
    """The schedule ``name`` with ``arguments`` validated, for ``steps`` steps from rate ``lr``
    (ignored by schedules that set the rate themselves)."""
    spec = get_schedule(name)
    return spec.configure(arguments, steps, lr if spec.reads_lr else None)


def momentum_target(
    schedule: ScheduleConfig, hyperparameters: Sequence[str], optimizer: str
) -> str | None:
    """The optimizer's hyper-parameter a momentum-cycling schedule drives: ``beta1`` where the
    optimizer has betas, else ``momentum`` (torch's rule), or None if it cycles none."""
    if not schedule.values.get("cycle_momentum"):
        return None
    if "beta1" in hyperparameters:
        return "beta1"
    if "momentum" in hyperparameters:
        return "momentum"
    raise ScheduleError(
        f"the {schedule.spec.name} schedule cycles the momentum, but {optimizer} has neither "
        f"momentum nor beta1; add 'cycle_momentum=false' (torch raises the same error)"
    )


class Scheduled:
    """A schedule driving an optimizer: the engine's per-step ``schedule(t, losses)``.

    It maps the rule's ``lr`` to the optimizer's learning rate and its ``momentum`` (if it
    cycles one) to ``momentum`` or ``beta1``, and keeps every definition's value of every step
    it has served in :attr:`rows` (for the tables).
    """

    def __init__(self, config: ScheduleConfig, optimizer: str, hyperparameters: Sequence[str]):
        self.config = config
        self.momentum = momentum_target(config, hyperparameters, optimizer)
        self.targets = {"lr": "lr"}
        if self.momentum is not None:
            self.targets["momentum"] = self.momentum
        self._run = config.run()
        self.rows: list[dict[str, float]] = []

    @property
    def rule(self) -> Rule:
        return self._run.rule

    def __call__(self, t: int, losses: Sequence[float]) -> dict[str, float]:
        while len(self.rows) < t:
            n = len(self.rows) + 1
            metric = float(losses[n - 2]) if n > 1 and self._run.rule.reads_loss else None
            self.rows.append(self._run.advance(metric))
        row = self.rows[t - 1]
        return {target: row[key] for key, target in self.targets.items()}
