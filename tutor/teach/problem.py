"""A validated optimization problem: an optimizer configuration, a loss, a start and a step count.

:func:`make_problem` turns what a user typed (or an exercise file holds) into a :class:`Problem`,
checking every part and naming the first bad input in a :class:`~tutor.errors.TutorError`.
Warnings that are not errors (``--loss rosenbrok`` is a bare name close to a preset, so it is
taken as a parameter) are kept as :attr:`Problem.notes` for the caller to show.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tutor.engine import Config, Layout, Trajectory, get_optimizer, trajectory
from tutor.engine.run import check_steps
from tutor.errors import TutorError
from tutor.symbolic.loss import Loss, compile_loss
from tutor.symbolic.models import reads_model, resolve_model
from tutor.symbolic.presets import presets

if TYPE_CHECKING:  # imported when a run has a schedule or clipping (start-up of plain runs)
    from tutor.engine.clipping import Clipping
    from tutor.engine.schedules import ScheduleConfig, Scheduled

DEFAULT_LOSS = "quadratic"

ParamSpec = str | tuple[str, tuple[int, ...]]
"""A parameter as a name (a scalar) or ``(name, shape)``."""


@dataclass(frozen=True, eq=False)
class Problem:
    """A fully validated optimization problem.

    Attributes:
        config: the optimizer, every hyper-parameter and the convention.
        loss: the compiled loss (an engine objective: value, gradient, Hessian).
        theta0: the start, flat, in the order of ``loss.layout``.
        steps: how many steps to take.
        exercise: the exercise id when the problem came from one.
        preset: the preset name when the loss is one.
        notes: warnings for the user that do not stop the run.
        schedule: the learning-rate schedule, if any (gradient clipping is part of ``config``).
    """

    config: Config
    loss: Loss
    theta0: np.ndarray
    steps: int
    exercise: str | None = None
    preset: str | None = None
    notes: tuple[str, ...] = ()
    schedule: ScheduleConfig | None = None

    @property
    def spec(self) -> Any:
        return self.config.spec

    @property
    def convention(self) -> Any:
        return self.config.convention

    @property
    def layout(self) -> Layout:
        return self.loss.layout

    def with_config(self, config: Config) -> Problem:
        """The same problem under another configuration (a convention, a variant); the
        problem's gradient clipping carries over."""
        return replace(self, config=config.with_clipping(self.config.clipping))

    def scheduled(self, config: Config | None = None) -> Scheduled | None:
        """A fresh per-step driver of the schedule for one run (None without a schedule)."""
        if self.schedule is None:
            return None
        from tutor.engine.schedules import Scheduled

        spec = (config or self.config).spec
        return Scheduled(self.schedule, spec.name, [h.name for h in spec.hyperparameters])

    def run(
        self,
        config: Config | None = None,
        steps: int | None = None,
        progress: Callable[[int], None] | None = None,
        scheduled: Scheduled | None = None,
    ) -> Trajectory:
        """The problem run by the engine (under ``config``, default its own), with its
        schedule and clipping; pass ``scheduled`` to keep the schedule's per-step values."""
        chosen = (config or self.config).with_clipping(self.config.clipping)
        return trajectory(
            chosen,
            self.loss,
            self.theta0,
            self.steps if steps is None else steps,
            layout=self.layout,
            schedule=scheduled if scheduled is not None else self.scheduled(chosen),
            progress=progress,
        )


def _names_and_shapes(
    params: Sequence[ParamSpec] | None,
) -> tuple[list[str] | None, dict[str, tuple[int, ...]] | None]:
    if params is None:
        return None, None
    names: list[str] = []
    shapes: dict[str, tuple[int, ...]] = {}
    for item in params:
        if isinstance(item, str):
            names.append(item)
        else:
            name, shape = item
            names.append(name)
            if shape:
                shapes[name] = tuple(shape)
    return names, shapes or None


def resolve_loss(
    text: str | None,
    params: Sequence[ParamSpec] | None = None,
    data: Mapping[str, np.ndarray] | None = None,
) -> tuple[Loss, tuple[float, ...], str | None, tuple[str, ...]]:
    """The loss for ``--loss`` (an expression or a preset name, case-insensitive).

    Returns ``(loss, the preset's start or (), the preset's name or None, notes)``.
    """
    if text is not None and not text.strip():
        known = ", ".join(presets())
        raise TutorError(f"--loss is empty: give an expression or a preset name ({known})")
    written = (text or DEFAULT_LOSS).strip()
    names, shapes = _names_and_shapes(params)
    preset = presets().get(written.lower())
    if preset is None:
        notes: tuple[str, ...] = ()
        if written.isidentifier() and (names is None or written not in names):
            close = difflib.get_close_matches(written.lower(), list(presets()), n=1, cutoff=0.7)
            if close:
                notes = (
                    f"{written!r} is not a preset; treating it as a parameter "
                    f"(did you mean {close[0]!r}?)",
                )
        return compile_loss(written, names, shapes=shapes, data=data), (), None, notes
    by_name = dict(zip(compile_loss(preset.loss).params, preset.start, strict=True))
    loss = compile_loss(preset.loss, names, shapes=shapes, data=data)
    if not loss.layout.all_scalar:
        raise TutorError(f"preset {preset.name!r} has scalar parameters; --params gave shapes")
    return loss, tuple(by_name[name] for name in loss.params), preset.name, ()


def _start(values: Sequence[float], loss: Loss) -> np.ndarray:
    names = loss.layout.component_names()
    if len(values) != len(names):
        layout = loss.layout
        if layout.all_scalar:
            each = ", ".join(layout.names)
            detail = f"one each for {each}"
        else:
            detail = ", ".join(f"{p.name}: {p.size} ({p.shape_text()})" for p in layout)
            detail = f"{detail}; matrices row by row"
        raise TutorError(
            f"expected {len(names)} starting value{'s' if len(names) != 1 else ''} "
            f"({detail}), got {len(values)}"
        )
    for name, value in zip(names, values, strict=True):
        if not math.isfinite(value):
            raise TutorError(f"starting value of {name} must be a finite number, got {value!r}")
    return np.array(values, dtype=np.float64)


def make_problem(
    optimizer: str,
    *,
    loss: str | None = None,
    params: Sequence[ParamSpec] | None = None,
    theta: Sequence[float] | None = None,
    steps: int = 1,
    hyperparameters: Mapping[str, Any] | None = None,
    convention: str | None = None,
    data: Mapping[str, np.ndarray] | None = None,
    exercise: str | None = None,
    schedule: str | tuple[str, Mapping[str, Any]] | None = None,
    clipping: Clipping | None = None,
) -> Problem:
    """Validate every input and build a :class:`Problem`.

    ``loss`` is an expression or a preset name (default: the quadratic ``(theta - 1)**2``).
    ``theta`` defaults to the preset's starting point; a custom loss needs it. ``schedule`` is
    ``"cosine:t_max=10"`` text or ``(name, arguments)``. Raises :class:`TutorError` naming the
    first bad input.
    """
    spec = get_optimizer(optimizer)
    compiled: Loss
    preset: str | None
    notes: tuple[str, ...]
    if reads_model(spec):  # the natural gradient: the loss is a model's, with its Fisher matrix
        values = spec.configure(hyperparameters, convention).values
        given = None if params is None else _names_and_shapes(params)[0]
        compiled, preset_start = resolve_model(spec.name, values, loss, given, data)
        preset, notes = None, ()
    else:
        compiled, preset_start, preset, notes = resolve_loss(loss, params, data)
    try:
        if theta is None:
            if not preset_start:
                names = ", ".join(compiled.layout.component_names()[:8])
                raise TutorError(f"give a starting point with --theta (one value each for {names})")
            theta = preset_start
        theta0 = _start(theta, compiled)
    except TutorError as error:  # a mistyped preset is the likely cause: say so
        if not notes:
            raise
        raise TutorError(f"{error}; note: {notes[0]}") from None
    config = spec.configure(hyperparameters, convention).with_clipping(clipping)
    check_steps(steps)
    _check_start(compiled, theta0)
    chosen = None
    if schedule is not None:
        from tutor.engine.schedules import momentum_target
        from tutor.teach.schedule import configure_schedule

        name, arguments = (schedule, None) if isinstance(schedule, str) else schedule
        chosen = configure_schedule(name, arguments, steps, config.values.get("lr"))
        momentum_target(chosen, [h.name for h in spec.hyperparameters], spec.name)
        notes = (*notes, *_schedule_notes(chosen, config))
    return Problem(config, compiled, theta0, steps, exercise, preset, notes, chosen)


def _schedule_notes(schedule: ScheduleConfig, config: Config) -> tuple[str, ...]:
    """What a reader should know about how the schedule meets this optimizer (each checked)."""
    spec = schedule.spec
    notes = []
    if not spec.reads_lr and "lr" in config.values:
        notes.append(
            f"the {spec.name} schedule sets the learning rate itself; the optimizer's lr "
            f"({config.values['lr']:g}) is not used, as in torch"
        )
    algorithm = config.algorithm()
    read_each_step = any("lr" in formula.symbols for formula in algorithm.formulas.values())
    read_at_start = any("lr" in q.initial.symbols for q in algorithm.stored)
    if spec.reads_lr and read_at_start and not read_each_step:
        notes.append(
            f"{config.spec.title} reads the learning rate only when it sets up its state, so the "
            "schedule changes nothing after step 1 (as in torch)"
        )
    return tuple(notes)


def _check_start(loss: Loss, theta0: np.ndarray) -> None:
    names = loss.layout.component_names()
    where = ", ".join(f"{n} = {v:g}" for n, v in list(zip(names, theta0, strict=True))[:6])
    with np.errstate(all="ignore"):
        try:
            value = loss.value(theta0)
            grad = loss.gradient(theta0)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise TutorError(
                f"the loss cannot be evaluated at the start ({where}): {exc}"
            ) from None
    if not math.isfinite(value):
        raise TutorError(f"the loss is not finite at the start ({where}): {value}")
    if not np.all(np.isfinite(grad)):
        raise TutorError(f"the loss is not differentiable at the start ({where})")


def problem_from_exercise(
    ref: str,
    *,
    optimizer: str | None = None,
    loss: str | None = None,
    params: Sequence[ParamSpec] | None = None,
    theta: Sequence[float] | None = None,
    steps: int | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    convention: str | None = None,
    data: Mapping[str, np.ndarray] | None = None,
    schedule: str | tuple[str, Mapping[str, Any]] | None = None,
    clipping: Clipping | None = None,
) -> Problem:
    """The problem an exercise states, with any of its values overridden ("what if lr were…").

    ``ref`` is a bundled exercise id or a path to an exercise file. Naming a different optimizer
    than the exercise's is an error: the exercise's hyper-parameters belong to its optimizer.
    """
    from tutor.content.exercises import find_exercise

    exercise = find_exercise(ref)
    if optimizer is not None and optimizer.strip().lower() != exercise.optimizer:
        raise TutorError(
            f"exercise {exercise.id!r} is about {exercise.optimizer}, not {optimizer!r}; "
            "leave out the optimizer or change it in the exercise file"
        )
    return make_problem(
        exercise.optimizer,
        loss=loss if loss is not None else exercise.loss,
        params=params if params is not None else exercise.param_specs,
        theta=theta if theta is not None else exercise.start,
        steps=steps if steps is not None else exercise.steps,
        hyperparameters={**exercise.hyperparameters, **(hyperparameters or {})},
        convention=convention if convention is not None else exercise.convention,
        data=data if data is not None else exercise.data_arrays(),
        exercise=exercise.id,
        schedule=schedule if schedule is not None else exercise.schedule_request,
        clipping=clipping if clipping is not None else exercise.clipping_rule,
    )
