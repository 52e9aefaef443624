"""Schedules that only lower the rate: StepLR, MultiStepLR, ExponentialLR, LinearLR (a ramp),
CosineAnnealingLR, CosineAnnealingWarmRestarts and a linear warm-up followed by a cosine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.engine.formula import Expr, floor, func, minimum, where
from tutor.engine.schedules.rule import (
    BASE_LR,
    ETA_MIN,
    ETA_MIN_ARGUMENT,
    GAMMA,
    STEPS_DEFAULT,
    T_MAX,
    T_MAX_ARGUMENT,
    Definition,
    K,
    Rule,
    ScheduleError,
    ScheduleSpec,
    argument,
    argument_constants,
    complete_from_steps,
    cosine_between,
    gamma_argument,
    rate,
    sym,
)
from tutor.engine.spec import (
    AT_LEAST_ONE,
    UNIT_INTERVAL,
    Bound,
    Hyperparameter,
)

STEP_SIZE = sym("step_size", "s", "s")


def _step_rule(values: Mapping[str, Any]) -> Rule:
    return Rule(
        (rate(BASE_LR * GAMMA ** floor(K / STEP_SIZE)),),
        argument_constants(values),
    )


MILESTONES = sym("milestones", "M", "M")
PASSED = sym("passed", "nₖ", r"n_k")


def _multistep_rule(values: Mapping[str, Any]) -> Rule:
    marks = ", ".join(str(m) for m in sorted(values["milestones"]))
    counted = Definition(
        PASSED, func("reached", MILESTONES, K), f"how many milestones ({marks}) are ≤ k"
    )
    return Rule((counted, rate(BASE_LR * GAMMA**PASSED)), argument_constants(values))


def _exponential_rule(values: Mapping[str, Any]) -> Rule:
    return Rule((rate(BASE_LR * GAMMA**K),), argument_constants(values))


START_FACTOR = sym("start_factor", "f₀", r"f_0")
END_FACTOR = sym("end_factor", "f₁", r"f_1")
TOTAL_ITERS = sym("total_iters", "T", "T")


_TOTAL_ITERS = argument(
    "total_iters", TOTAL_ITERS, 5, "scheduler steps the ramp takes", AT_LEAST_ONE
)


def _linear_factor(start: Expr, end: Expr, total: Expr) -> Expr:
    return start + (end - start) * minimum(K, total) / total


def _linear_rule(values: Mapping[str, Any]) -> Rule:
    return Rule(
        (rate(BASE_LR * _linear_factor(START_FACTOR, END_FACTOR, TOTAL_ITERS)),),
        argument_constants(values),
    )


def _start_factor(default: float) -> Hyperparameter:
    return argument(
        "start_factor",
        START_FACTOR,
        default,
        "fraction of lr at the first step",
        Bound(low=0.0, low_inclusive=False, high=1.0),
    )


# --- CosineAnnealingLR, CosineAnnealingWarmRestarts, warmup then cosine ---------------------------


def _cosine_rule(values: Mapping[str, Any]) -> Rule:
    return Rule((rate(cosine_between(ETA_MIN, BASE_LR, K / T_MAX)),), argument_constants(values))


T_0 = sym("t_0", "T₀", r"T_0")
T_MULT = sym("t_mult", "T_mult", r"T_{\mathrm{mult}}")
T_CUR = sym("t_cur", "T_cur", r"T_{\mathrm{cur}}")
T_I = sym("t_i", "Tᵢ", r"T_i")
T_CUR_PREV = sym("t_cur_prev", "T_cur,ₖ₋₁", r"T_{\mathrm{cur},k-1}")
T_I_PREV = sym("t_i_prev", "Tᵢ,ₖ₋₁", r"T_{i,k-1}")


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
        (position, cycle, rate(cosine_between(ETA_MIN, BASE_LR, T_CUR / T_I))),
        argument_constants(values),
    )


WARMUP_STEPS = sym("warmup_steps", "W", "W")


def _warmup_cosine_rule(values: Mapping[str, Any]) -> Rule:
    # SequentialLR([LinearLR(start_factor, 1, W), CosineAnnealingLR(T_max, eta_min)], [W]):
    # the linear ramp for k < W, then the cosine restarted at its own step 0 at k = W.
    warmup = BASE_LR * (START_FACTOR + (1 - START_FACTOR) * K / WARMUP_STEPS)
    after = cosine_between(ETA_MIN, BASE_LR, (K - WARMUP_STEPS) / T_MAX)
    return Rule((rate(where(K < WARMUP_STEPS, warmup, after)),), argument_constants(values))


def _complete_warmup(values: dict[str, Any], steps: int) -> None:
    if values["t_max"] is None:  # the cosine takes the steps after the warm-up
        if steps <= values["warmup_steps"]:
            raise ScheduleError(
                f"warmup-cosine: warmup_steps={values['warmup_steps']} leaves no step for the "
                f"cosine in a run of {steps}; give t_max or more steps"
            )
        values["t_max"] = steps - values["warmup_steps"]


def _check_milestones(values: Mapping[str, Any], steps: int) -> None:
    if not values["milestones"]:
        raise ScheduleError(
            "the multistep schedule needs milestones, e.g. 'multistep:milestones=[30,80]'"
        )


SPECS: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        "step",
        "StepLR",
        "Step decay",
        "multiply the rate by γ every step_size scheduler steps",
        (
            argument("step_size", STEP_SIZE, 1, "scheduler steps between decays", AT_LEAST_ONE),
            gamma_argument(0.1),
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
            argument(
                "milestones",
                MILESTONES,
                (),
                "scheduler steps at which the rate is multiplied by γ",
            ),
            gamma_argument(0.1),
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
        (gamma_argument(0.1),),
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
            argument(
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
        (T_MAX_ARGUMENT, ETA_MIN_ARGUMENT),
        _cosine_rule,
        aliases=("cosine-annealing", "cosineannealinglr", "cosine-annealing-lr"),
        run_defaults={"t_max": STEPS_DEFAULT},
        complete=complete_from_steps("t_max"),
    ),
    ScheduleSpec(
        "cosine-warm-restarts",
        "CosineAnnealingWarmRestarts",
        "Cosine annealing with warm restarts (SGDR)",
        "cosine annealing that jumps back to lr after t_0 steps, each cycle t_mult times longer",
        (
            argument(
                "t_0",
                T_0,
                1,
                "length of the first cycle (torch's T_0)",
                AT_LEAST_ONE,
                torch_name="T_0",
            ),
            argument(
                "t_mult",
                T_MULT,
                1,
                "factor each cycle is longer than the last",
                AT_LEAST_ONE,
                torch_name="T_mult",
            ),
            ETA_MIN_ARGUMENT,
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
            argument("warmup_steps", WARMUP_STEPS, 1, "scheduler steps of the ramp", AT_LEAST_ONE),
            _start_factor(1.0 / 3),
            argument(
                "t_max",
                T_MAX,
                0,
                "scheduler steps of the cosine after the warm-up (torch's T_max)",
                AT_LEAST_ONE,
                torch_name="T_max",
            ),
            ETA_MIN_ARGUMENT,
        ),
        _warmup_cosine_rule,
        aliases=("warmup", "linear-warmup-cosine"),
        required=("warmup_steps",),
        run_defaults={"t_max": "the steps after the warm-up"},
        complete=_complete_warmup,
    ),
)
