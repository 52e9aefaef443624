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
from collections.abc import Mapping, Sequence
from typing import Any

from tutor.engine.schedules import cyclical, decay, plateau
from tutor.engine.schedules.rule import (
    Definition,
    Rule,
    ScheduleConfig,
    ScheduleError,
    ScheduleRun,
    ScheduleSpec,
    evaluate,
)

# The order of `tutor schedule --help` and of the docs: decays, cycles, then the plateau rule.
SCHEDULE_SPECS: tuple[ScheduleSpec, ...] = (*decay.SPECS, *cyclical.SPECS, *plateau.SPECS)
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


__all__ = [
    "SCHEDULES",
    "SCHEDULE_SPECS",
    "Definition",
    "Rule",
    "ScheduleConfig",
    "ScheduleError",
    "ScheduleRun",
    "ScheduleSpec",
    "Scheduled",
    "configure_schedule",
    "evaluate",
    "get_schedule",
    "momentum_target",
]
