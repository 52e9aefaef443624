"""Schedules that cycle: OneCycleLR (one climb and a long descent) and CyclicLR (triangles),
both with the momentum (or β₁) moved against the rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.engine.formula import Expr, Num, Sym, cos, floor, where
from tutor.engine.schedules.rule import (
    BASE_MOMENTUM,
    GAMMA,
    MAX_LR,
    MAX_LR_ARGUMENT,
    MAX_MOMENTUM,
    MOMENTUM_RATE,
    PI,
    STEPS_DEFAULT,
    Definition,
    K,
    Rule,
    ScheduleError,
    ScheduleSpec,
    argument,
    argument_constants,
    complete_from_steps,
    cycle_momentum_arguments,
    rate,
    sym,
)
from tutor.engine.spec import (
    AT_LEAST_ONE,
    POSITIVE,
    UNIT_INTERVAL,
)
from tutor.errors import HyperparameterError

# --- OneCycleLR ----------------------------------------------------------------------------------

INITIAL_LR = sym("initial_lr", "η_start", r"\eta_{\mathrm{start}}")
FINAL_LR = sym("final_lr", "η_final", r"\eta_{\mathrm{final}}")
DIV_FACTOR = sym("div_factor", "d", "d")
FINAL_DIV = sym("final_div_factor", "d_final", r"d_{\mathrm{final}}")
PCT_START = sym("pct_start", "p", "p")
TOTAL_STEPS = sym("total_steps", "N", "N")


def _anneal(strategy: str, start: Expr, end: Expr, position: Expr) -> Expr:
    if strategy == "cos":  # torch: end + (start − end)/2·(cos(π·pct) + 1)
        return end + (start - end) / 2.0 * (cos(PI * position) + 1)
    return (end - start) * position + start


PHASE_ENDS = (
    sym("end1", "e₁", "e_1"),
    sym("end2", "e₂", "e_2"),
    sym("end3", "e₃", "e_3"),
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
        rate(phased(rates)),
    ]
    if values["cycle_momentum"]:
        definitions.append(
            Definition(MOMENTUM_RATE, phased(moments), "the momentum of step t = k + 1")
        )
    return Rule(tuple(definitions), argument_constants(values))


def _check_onecycle(values: Mapping[str, Any], steps: int) -> None:
    if steps > values["total_steps"]:
        raise ScheduleError(
            f"onecycle runs for total_steps={values['total_steps']} steps but {steps} were asked "
            "for (torch raises an error once the schedule is stepped past its total)"
        )
    if values["base_momentum"] > values["max_momentum"]:
        raise HyperparameterError("base_momentum must be <= max_momentum")


# --- CyclicLR -------------------------------------------------------------------------------------

BASE_LR_CYCLIC = sym("base_lr", "η_base", r"\eta_{\mathrm{base}}")
STEP_UP = sym("step_size_up", "S_up", r"S_{\mathrm{up}}")
STEP_DOWN = sym("step_size_down", "S_down", r"S_{\mathrm{down}}")
CYCLE = sym("cycle", "c", "c")
CYCLE_POSITION = sym("x", "x", "x")
HEIGHT = sym("height", "h", "h")
SCALE = sym("scale", "σ", r"\sigma")


CYCLE_LENGTH = sym("cycle_length", "S", "S")
UP_RATIO = sym("up_ratio", "r", "r")


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
        rate(BASE_LR_CYCLIC + (MAX_LR - BASE_LR_CYCLIC) * HEIGHT * SCALE),
    ]
    if values["cycle_momentum"]:
        definitions.append(
            Definition(
                MOMENTUM_RATE,
                MAX_MOMENTUM - (MAX_MOMENTUM - BASE_MOMENTUM) * HEIGHT * SCALE,
                "the momentum of step t = k + 1",
            )
        )
    return Rule(tuple(definitions), argument_constants(values))


def _check_cyclic(values: Mapping[str, Any], steps: int) -> None:
    if values["max_lr"] < values["base_lr"]:
        raise HyperparameterError("max_lr must be >= base_lr")
    if values["base_momentum"] > values["max_momentum"]:
        raise HyperparameterError("base_momentum must be <= max_momentum")


SPECS: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        "onecycle",
        "OneCycleLR",
        "One-cycle policy",
        "climb from max_lr/div_factor to max_lr, then anneal far below the start",
        (
            MAX_LR_ARGUMENT,
            argument(
                "total_steps", TOTAL_STEPS, 0, "scheduler steps of the whole cycle", AT_LEAST_ONE
            ),
            argument(
                "pct_start", PCT_START, 0.3, "fraction of the cycle spent climbing", UNIT_INTERVAL
            ),
            argument(
                "anneal_strategy",
                sym("anneal_strategy", "anneal", r"\text{anneal}"),
                "cos",
                "cosine or linear interpolation",
                choices=("cos", "linear"),
            ),
            *cycle_momentum_arguments(0.85, 0.95),
            argument("div_factor", DIV_FACTOR, 25.0, "max_lr / starting rate", POSITIVE),
            argument("final_div_factor", FINAL_DIV, 1e4, "starting rate / final rate", POSITIVE),
            argument(
                "three_phase",
                sym("three_phase", "three_phase", r"\text{three\_phase}"),
                False,
                "come back down to the starting rate before annealing further",
            ),
        ),
        _onecycle_rule,
        aliases=("one-cycle", "onecyclelr", "1cycle"),
        required=("max_lr",),
        run_defaults={"total_steps": STEPS_DEFAULT},
        complete=complete_from_steps("total_steps"),
        reads_lr=False,
        check=_check_onecycle,
    ),
    ScheduleSpec(
        "cyclic",
        "CyclicLR",
        "Cyclical learning rate",
        "move the rate up and down between base_lr and max_lr in triangles",
        (
            argument("base_lr", BASE_LR_CYCLIC, 0.001, "the lowest rate", POSITIVE),
            MAX_LR_ARGUMENT,
            argument("step_size_up", STEP_UP, 2000, "scheduler steps going up", AT_LEAST_ONE),
            argument(
                "step_size_down",
                STEP_DOWN,
                0,
                "scheduler steps going down (default: step_size_up)",
                AT_LEAST_ONE,
            ),
            argument(
                "mode",
                sym("mode", "mode", r"\text{mode}"),
                "triangular",
                "how the amplitude changes from cycle to cycle",
                choices=("triangular", "triangular2", "exp_range"),
            ),
            argument("gamma", GAMMA, 1.0, "exp_range's factor per scheduler step", POSITIVE),
            *cycle_momentum_arguments(0.8, 0.9),
        ),
        _cyclic_rule,
        aliases=("cycliclr", "clr", "cyclical", "triangular"),
        required=("base_lr", "max_lr"),
        run_defaults={"step_size_down": "step_size_up"},
        reads_lr=False,
        check=_check_cyclic,
    ),
)
