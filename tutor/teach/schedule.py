"""Learning-rate schedules as a learner meets them: asked for in text, evaluated, shown per step.

* :func:`parse_schedule` reads ``cosine:t_max=10,eta_min=0.001`` (torch's argument names) through
  a small whitelist: names, numbers, ``true``/``false``, words and ``[3,6]`` lists; nothing else.
* :func:`schedule_curve` is ``tutor schedule``: every step's rate (and momentum) with the rule's
  formulas.
* :class:`ScheduleTrace` is what a ``tutor solve --schedule`` run used at each step, with the
  environment that prints each formula with its numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine.formula import Expr
from tutor.engine.schedules import (
    Definition,
    Rule,
    ScheduleConfig,
    Scheduled,
    ScheduleError,
    get_schedule,
)
from tutor.engine.schedules import configure_schedule as engine_configure

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
MAX_TEXT = 500
MAX_LOSSES = 100_000


def parse_schedule(text: str) -> tuple[str, dict[str, Any]]:
    """``"cosine:t_max=10,eta_min=0.001"`` as ``("cosine", {"t_max": 10.0, "eta_min": 0.001})``.

    Values are numbers, ``true``/``false``, words (``triangular2``) or lists ``[30,80]``; a
    ScheduleError names the first part that is none of these.
    """
    if len(text) > MAX_TEXT:
        raise ScheduleError(f"--schedule is longer than {MAX_TEXT} characters")
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if not _NAME.match(name):
        raise ScheduleError(
            f"--schedule {text!r}: start with a schedule name, e.g. 'cosine:t_max=10,eta_min=0.001'"
        )
    arguments: dict[str, Any] = {}
    for part in _split(rest, text):
        key, equals, value = part.partition("=")
        key = key.strip()
        if not equals or not _NAME.match(key):
            raise ScheduleError(
                f"--schedule {text!r}: {part.strip()!r} is not of the form name=value"
            )
        if key in arguments:
            raise ScheduleError(f"--schedule {text!r}: {key} is given twice")
        arguments[key] = _value(value.strip(), key, text)
    return name, arguments


def _split(rest: str, text: str) -> list[str]:
    """Split at commas outside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in rest:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise ScheduleError(f"--schedule {text!r}: a ']' without its '['")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise ScheduleError(f"--schedule {text!r}: a '[' without its ']'")
    parts.append("".join(current))
    return [p for p in parts if p.strip()] if rest.strip() else []


def _value(value: str, key: str, text: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _NUMBER.match(value):
        number = float(value)
        if not math.isfinite(number):
            raise ScheduleError(f"--schedule {text!r}: {key}={value} is too large")
        return number
    if value.startswith("[") and value.endswith("]"):
        items = [item.strip() for item in value[1:-1].split(",") if item.strip()]
        if not all(_NUMBER.match(item) for item in items):
            raise ScheduleError(f"--schedule {text!r}: {key} must list numbers, e.g. [30,80]")
        return tuple(float(item) for item in items)
    if _NAME.match(value):
        return value
    raise ScheduleError(f"--schedule {text!r}: {key}={value!r} is not a number, word or list")


def configure_schedule(
    text_or_name: str,
    arguments: Mapping[str, Any] | None,
    steps: int,
    lr: float | None,
) -> ScheduleConfig:
    """A validated schedule from ``name:args`` text (``arguments`` None) or a name and
    arguments."""
    if arguments is None:
        text_or_name, arguments = parse_schedule(text_or_name)
    return engine_configure(text_or_name, arguments, steps, lr)


@dataclass(frozen=True)
class ScheduleLine:
    """One definition of a rule at one step: symbol, formula, formula with numbers, value."""

    key: str
    symbol: tuple[str, str]
    formula: Expr
    environment: Mapping[str, Any]
    value: float
    description: str


@dataclass(frozen=True, eq=False)
class ScheduleTrace:
    """The values a schedule took in a run: one row of every definition per step.

    Attributes:
        config: the schedule and its arguments.
        rule: its formulas.
        rows: row ``t − 1`` holds every definition's value at step t.
        momentum: the optimizer's hyper-parameter it cycles (``beta1``, ``momentum``) or None.
        losses: the loss after each step, fed to a schedule that reads it (else None).
    """

    config: ScheduleConfig
    rule: Rule
    rows: Sequence[Mapping[str, float]]
    momentum: str | None = None
    losses: Sequence[float] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def series(self, key: str) -> np.ndarray:
        return np.array([row[key] for row in self.rows])

    def environment(self, t: int) -> dict[str, Any]:
        """Every value the definitions of step ``t`` read."""
        env: dict[str, Any] = {**self.rule.constants, "pi": math.pi, "k": float(t - 1)}
        for item in self.rule.definitions:
            if item.initial is not None:
                env[f"{item.key}_prev"] = (
                    self.rows[t - 2][item.key] if t > 1 else float(item.initial)
                )
        if self.rule.reads_loss:
            env["metric"] = float(self.losses[t - 2]) if t > 1 and self.losses else math.nan
        env.update(self.rows[t - 1])
        return env

    def lines(self, t: int, *, every: bool = True) -> list[ScheduleLine]:
        """The shown definitions that change from step to step, at step ``t`` (``every=False``:
        only the rate and momentum); constants of the run are in the rule."""
        env = self.environment(t)
        varying = self.rule.varying
        wanted = [
            d
            for d in self.rule.definitions
            if d.shown and d.key in varying and (every or d.key in ("lr", "momentum"))
        ]
        lines = []
        for item in wanted:
            if t == 1 and item.initial is not None:  # no scheduler step yet: the start value
                lines.append(_line(item, env, item.starting_formula))
            elif not math.isnan(float(env[item.key])):  # NaN: nothing to compare yet
                lines.append(_line(item, env))
        return lines


def _line(item: Definition, env: Mapping[str, Any], shown: Expr | None = None) -> ScheduleLine:
    return ScheduleLine(
        item.key,
        (item.symbol.text, item.symbol.tex),
        (item.formula if shown is None else shown).specialize(env),
        env,
        float(env[item.key]),
        item.description,
    )


def trace_of(scheduled: Scheduled, losses: Sequence[float] | None) -> ScheduleTrace:
    """What ``scheduled`` served in a run (the run's losses after each step, for plateau)."""
    return ScheduleTrace(
        scheduled.config,
        scheduled.rule,
        tuple(scheduled.rows),
        scheduled.momentum,
        list(losses) if losses is not None and scheduled.rule.reads_loss else None,
    )


@dataclass(frozen=True, eq=False)
class ScheduleCurve:
    """``tutor schedule``: a schedule's rate for steps 1 … N, with its formulas."""

    kind = "schedule"

    trace: ScheduleTrace

    @property
    def config(self) -> ScheduleConfig:
        return self.trace.config

    @property
    def steps(self) -> int:
        return len(self.trace)

    @property
    def lr(self) -> np.ndarray:
        return self.trace.series("lr")

    @property
    def momentum(self) -> np.ndarray | None:
        return self.trace.series("momentum") if self.trace.rule.cycles_momentum else None

    @property
    def peak(self) -> int:
        """The first step with the highest rate."""
        return int(np.argmax(self.lr)) + 1


def schedule_curve(
    name: str,
    arguments: Mapping[str, Any],
    steps: int,
    lr: float | None = None,
    losses: Sequence[float] | None = None,
) -> ScheduleCurve:
    """The schedule ``name`` for a run of ``steps`` steps starting from rate ``lr``.

    ``losses`` (L(θ₁), L(θ₂), …: the loss after each step) feed ReduceLROnPlateau; it needs
    ``steps − 1`` of them.
    """
    spec = get_schedule(name)
    if spec.reads_lr and lr is None:
        raise ScheduleError(f"the {spec.name} schedule scales a starting rate: give --lr")
    config = spec.configure(arguments, steps, lr if spec.reads_lr else None)
    rule = config.rule
    if rule.reads_loss:
        if losses is None:
            raise ScheduleError(
                f"the {spec.name} schedule reacts to the loss after each step: give them with "
                "--losses 1,0.9,0.9,… or run it with 'tutor solve … --schedule plateau'"
            )
        if len(losses) < steps - 1:
            raise ScheduleError(
                f"the {spec.name} schedule needs the loss after each of the first {steps - 1} "
                f"steps; --losses gave {len(losses)}"
            )
        for value in losses:
            if not math.isfinite(value):
                raise ScheduleError(f"--losses must be finite numbers, got {value}")
    rates = config.rates(losses)
    rows = [{key: float(column[i]) for key, column in rates.items()} for i in range(steps)]
    trace = ScheduleTrace(
        config,
        rule,
        tuple(rows),
        "momentum" if rule.cycles_momentum else None,
        list(losses) if rule.reads_loss and losses is not None else None,
    )
    return ScheduleCurve(trace)
