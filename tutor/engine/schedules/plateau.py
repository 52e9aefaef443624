"""ReduceLROnPlateau: the rate drops when the loss after each step stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tutor.engine.formula import maximum, where
from tutor.engine.schedules.rule import (
    BASE_LR,
    METRIC,
    RATE,
    Definition,
    Rule,
    ScheduleSpec,
    argument,
    argument_constants,
    sym,
)
from tutor.engine.spec import POSITIVE
from tutor.errors import HyperparameterError

FACTOR = sym("factor", "γ", r"\gamma")
PATIENCE = sym("patience", "P", "P")
THRESHOLD = sym("threshold", "δ", r"\delta")
COOLDOWN = sym("cooldown", "C", "C")
MIN_LR = sym("min_lr", "η_min", r"\eta_{\min}")
PLATEAU_EPS = sym("eps", "ε", r"\varepsilon")
BEST = sym("best", "bestₖ", r"\mathrm{best}_k")
BEST_PREV = sym("best_prev", "bestₖ₋₁", r"\mathrm{best}_{k-1}")
BETTER = sym("better", "improvedₖ", r"\mathrm{improved}_k")
BAD = sym("bad", "badₖ", r"\mathrm{bad}_k")
BAD_PREV = sym("bad_prev", "badₖ₋₁", r"\mathrm{bad}_{k-1}")
WAIT = sym("wait", "coolₖ", r"\mathrm{cool}_k")
WAIT_PREV = sym("wait_prev", "coolₖ₋₁", r"\mathrm{cool}_{k-1}")
REDUCE = sym("reduce", "reduceₖ", r"\mathrm{reduce}_k")
RATE_PREV = sym("lr_prev", "ηₜ₋₁", r"\eta_{t-1}")
LOWER = sym("lower", "η′", r"\eta'")


COUNT = sym("count", "countₖ", r"\mathrm{count}_k")


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
    return Rule(definitions, argument_constants(values), reads_loss=True)


def _check_factor(values: Mapping[str, Any], steps: int) -> None:
    if values["factor"] >= 1.0:
        raise HyperparameterError("factor must be < 1 (torch: 'Factor should be < 1.0')")


SPECS: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        "plateau",
        "ReduceLROnPlateau",
        "Reduce on plateau",
        "multiply the rate by factor when the loss has not improved for patience steps",
        (
            argument(
                "mode",
                sym("mode", "mode", r"\text{mode}"),
                "min",
                "min: lower losses are better; max: higher are",
                choices=("min", "max"),
            ),
            argument("factor", FACTOR, 0.1, "factor the rate is multiplied by", POSITIVE),
            argument("patience", PATIENCE, 10, "steps without improvement tolerated"),
            argument("threshold", THRESHOLD, 1e-4, "how much better counts as better"),
            argument(
                "threshold_mode",
                sym("threshold_mode", "threshold_mode", r"\text{threshold\_mode}"),
                "rel",
                "rel: a fraction of the best loss; abs: an amount",
                choices=("rel", "abs"),
            ),
            argument("cooldown", COOLDOWN, 0, "steps to wait after a reduction"),
            argument("min_lr", MIN_LR, 0.0, "the rate is never reduced below this"),
            argument("eps", PLATEAU_EPS, 1e-8, "smaller reductions are skipped"),
        ),
        _plateau_rule,
        aliases=("reducelronplateau", "reduce-on-plateau"),
        check=_check_factor,
    ),
)
