"""Grading answer files against the engine, with feedback that names the mistake.

For every value an exercise asks (each step's ``m``, ``v_hat``, ``theta_next``, …) the student's
number is compared with the engine's under the exercise's tolerance. A wrong number is then

* checked against the student's own earlier numbers ("errors carried forward"): an m̂ computed
  correctly from a wrong m earns partial credit (:attr:`Grader.carried_credit`);
* recomputed under every mistaken variant of the optimizer (:mod:`tutor.teach.mistakes`): the
  variants that reproduce it, within the tolerance, are named. Variants that give the right
  value there cannot explain a wrong one and are never named; when several fit, all are named
  as indistinguishable on this exercise; when none fits, the report says so.

A :class:`Grader` caches each exercise (parsed, differentiated, compiled, run) and each variant
run, so a class's files cost little more than one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tutor.content.answers import AnswerFile, AnswerFileError, as_number, load_answers
from tutor.content.exercises import (
    Exercise,
    ExerciseError,
    exercise_variant,
    find_exercise,
    load_exercise,
)
from tutor.content.tolerances import Tolerance
from tutor.engine import Program, StepRecord, Trajectory
from tutor.errors import TutorError
from tutor.teach.checking import equivalent
from tutor.teach.mistakes import MISTAKES, variants
from tutor.teach.problem import Problem, make_problem

SPECIAL = {
    "g": ("gₜ", "g_t", "the gradient at θₜ₋₁"),
    "loss": ("L(θₜ₋₁)", r"L(\theta_{t-1})", "the loss before the step"),
    "loss_next": ("L(θₜ)", r"L(\theta_t)", "the loss after the step"),
}
CARRIED_CREDIT = 0.5
MAX_FILES = 10_000


@dataclass(frozen=True)
class Diagnosis:
    """A mistake that reproduces a wrong answer."""

    mistake: str
    description: str
    how: str  # "from the start" (the whole run under the mistake) or "from your own values"


@dataclass(frozen=True)
class Item:
    """One asked value of one step (``step`` None for an expression such as the gradient)."""

    step: int | None
    key: str
    symbol: str
    symbol_tex: str
    given: Any
    expected: Any
    status: str  # correct, carried, wrong, missing, invalid
    points: float
    max_points: float
    reason: str | None = None
    diagnosis: tuple[Diagnosis, ...] = ()
    carried: Any = None
    formula: tuple[str, str] | None = None  # the formula, and with the engine's numbers
    formula_tex: tuple[str, str] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    @property
    def label(self) -> str:
        return self.key if self.step is None else f"step {self.step}: {self.key}"


@dataclass(frozen=True)
class FileGrade:
    """One answer file, graded."""

    path: Path
    student: str | None
    exercise: str
    title: str
    seed: int | None
    items: tuple[Item, ...]
    tolerance: str

    @property
    def score(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def max_score(self) -> float:
        return sum(item.max_points for item in self.items)

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)


@dataclass(frozen=True)
class GradeReport:
    """``tutor grade``: every file's grades, and the files that could not be graded."""

    kind = "grade-report"

    files: tuple[FileGrade, ...]
    errors: tuple[str, ...]
    hide_expected: bool = False
    min_score: float | None = None

    @property
    def score(self) -> float:
        return sum(f.score for f in self.files)

    @property
    def max_score(self) -> float:
        return sum(f.max_score for f in self.files)

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 1.0

    @property
    def passed(self) -> bool:
        if self.min_score is not None:
            return all(
                (f.score / f.max_score if f.max_score else 1.0) * 100 >= self.min_score
                for f in self.files
            )
        return all(f.passed for f in self.files)

    @property
    def exit_code(self) -> int:
        """2 if any file could not be graded, else 1 if anything is wrong (or below
        ``--min-score``), else 0."""
        if self.errors:
            return 2
        return 0 if self.passed else 1


# --- Preparing an exercise (once per exercise and seed) ------------------------------------------


@dataclass
class Prepared:
    """An exercise ready to grade against: its problem, its run and (lazily) its variants."""

    exercise: Exercise
    problem: Problem
    run: Trajectory
    aliases: Mapping[str, str]
    variant_runs: dict[str, tuple[Program, Trajectory]] = field(default_factory=dict)
    gradient_texts: tuple[str, ...] = ()
    _variants_done: bool = False

    def variants(self) -> dict[str, tuple[Program, Trajectory]]:
        """The applicable mistaken variants, each compiled and run from the start (cached)."""
        if not self._variants_done:
            chosen = self.exercise.mistakes
            excluded = set(self.exercise.exclude_mistakes)
            for mistake_id, config in variants(self.problem.config, chosen).items():
                if mistake_id in excluded:
                    continue
                with np.errstate(all="ignore"):
                    run = self.problem.run(config)
                self.variant_runs[mistake_id] = (run.program, run)
            self._variants_done = True
        return self.variant_runs


def problem_of(exercise: Exercise) -> Problem:
    return make_problem(
        exercise.optimizer,
        loss=exercise.loss,
        params=exercise.param_specs,
        theta=exercise.start,
        steps=exercise.steps,
        hyperparameters=dict(exercise.hyperparameters),
        convention=exercise.convention,
        data=exercise.data_arrays(),
        exercise=exercise.id,
        schedule=exercise.schedule_request,
        clipping=exercise.clipping_rule,
    )


def aliases_for(run: Trajectory) -> dict[str, str]:
    """Every name a student may use for an asked value, to its key: the key itself, the
    table's symbol with and without its subscript, torch's state name."""
    names: dict[str, str] = {}
    for key, (symbol, _, _) in SPECIAL.items():
        names[key] = key
        names[symbol] = key
    names["grad"] = "g"
    names["g_t"] = "g"
    for quantity in run.quantities:
        names[quantity.key] = quantity.key
        names[quantity.symbol.text] = quantity.key
        names[quantity.symbol.text.removesuffix("ₜ")] = quantity.key
        if quantity.torch_state:
            names.setdefault(quantity.torch_state, quantity.key)
    names.setdefault("new_theta", "theta_next")
    return names


# --- The grader ----------------------------------------------------------------------------------


class Grader:
    """Grades answer files; caches every exercise it meets.

    Args:
        carried_credit: the fraction of a value's points given when it is wrong but correct
            from the student's own earlier values.
        hide_expected: keep the right values out of the report (feedback still names the wrong
            value and the likely mistake), so answers do not leak through CI logs.
    """

    def __init__(self, carried_credit: float = CARRIED_CREDIT, hide_expected: bool = False) -> None:
        if not 0 <= carried_credit <= 1:
            raise TutorError(f"--carried-credit must be from 0 to 1, got {carried_credit:g}")
        self.carried_credit = carried_credit
        self.hide_expected = hide_expected
        self._exercises: dict[tuple[str, str], Exercise] = {}
        self._prepared: dict[tuple[str, int | None], Prepared] = {}

    def exercise(self, answers: AnswerFile) -> Exercise:
        """The exercise an answer file names (a path relative to it, or a bundled id)."""
        ref = answers.exercise
        key = (str(answers.exercise_path) if answers.exercise_path else "", ref)
        if key not in self._exercises:
            if answers.exercise_path is not None and answers.exercise_path.is_file():
                self._exercises[key] = load_exercise(answers.exercise_path)
            else:
                self._exercises[key] = find_exercise(ref)
        return self._exercises[key]

    def prepared(self, exercise: Exercise, seed: int | None) -> Prepared:
        key = (f"{exercise.source}#{exercise.id}", seed)
        if key not in self._prepared:
            chosen = (
                exercise
                if seed is None or not exercise.variants
                else exercise_variant(exercise, seed)
            )
            problem = problem_of(chosen)
            with np.errstate(all="ignore"):
                run = problem.run()
            if run.divergence is not None:
                raise TutorError(
                    f"exercise {exercise.id!r} diverges at step {run.divergence.t}: it cannot be "
                    "graded (check it with 'tutor exercises check')"
                )
            texts = (
                tuple(str(e) for e in problem.loss.gradient_exprs) if chosen.ask_gradient else ()
            )
            self._prepared[key] = Prepared(
                chosen, problem, run, aliases_for(run), gradient_texts=texts
            )
        return self._prepared[key]

    def grade_file(self, path: Path) -> FileGrade:
        """Grade one answer file; an AnswerFileError (one line) if it cannot be graded."""
        answers = load_answers(path)
        try:
            exercise = self.exercise(answers)
        except ExerciseError as exc:
            raise AnswerFileError(f"{path}: exercise: {exc.message}") from None
        if answers.seed is not None and not exercise.variants:
            raise AnswerFileError(
                f"{path}: seed: exercise {exercise.id!r} has no variants, so it takes no seed"
            )
        prepared = self.prepared(exercise, answers.seed)
        steps = self._resolve_names(answers, prepared)
        items = list(self._grade_steps(steps, prepared))
        items += self._grade_expressions(answers, prepared)
        return FileGrade(
            path,
            answers.student,
            exercise.id,
            exercise.title,
            answers.seed,
            tuple(items),
            exercise.tolerance.describe(),
        )

    def _resolve_names(self, answers: AnswerFile, prepared: Prepared) -> dict[int, dict[str, Any]]:
        steps: dict[int, dict[str, Any]] = {}
        asked = set(prepared.exercise.ask)
        for t, given in answers.steps.items():
            if t > prepared.exercise.steps:
                raise AnswerFileError(
                    f"{answers.path}: answers.step{t}: the exercise has {prepared.exercise.steps} "
                    f"step{'s' if prepared.exercise.steps > 1 else ''}"
                )
            resolved: dict[str, Any] = {}
            for name, value in given.items():
                key = prepared.aliases.get(name.strip())
                if key is None:
                    known = ", ".join(prepared.exercise.ask)
                    raise AnswerFileError(
                        f"{answers.path}: answers.step{t}.{name}: unknown quantity (asked: {known})"
                    )
                if key in resolved:
                    raise AnswerFileError(
                        f"{answers.path}: answers.step{t}.{name}: {key} is answered twice"
                    )
                if key in asked:
                    resolved[key] = value
            steps[t] = resolved
        return steps

    # --- numbers -----------------------------------------------------------------------------

    def _grade_steps(
        self, steps: Mapping[int, Mapping[str, Any]], prepared: Prepared
    ) -> Iterator[Item]:
        exercise, run = prepared.exercise, prepared.run
        for t in range(1, exercise.steps + 1):
            record = run.step(t)
            given_here = steps.get(t, {})
            for key in exercise.ask:
                expected = value_of(record, key)
                if expected is None:  # not computed at this step (RAdam's rₜ while ρₜ ≤ 5)
                    continue
                yield self._grade_value(prepared, steps, t, key, given_here.get(key), expected)

    def _grade_value(
        self,
        prepared: Prepared,
        steps: Mapping[int, Mapping[str, Any]],
        t: int,
        key: str,
        given: Any,
        expected: Any,
    ) -> Item:
        exercise = prepared.exercise
        tolerance = exercise.tolerance_for(key)
        max_points = exercise.points_for(key)
        symbol, symbol_tex = self._symbol(prepared, key)
        formula = self._formula(prepared, key, t)
        base: dict[str, Any] = {
            "step": t,
            "key": key,
            "symbol": symbol,
            "symbol_tex": symbol_tex,
            "given": given,
            "expected": _plain(expected),
            "max_points": max_points,
            "formula": formula[0] if formula else None,
            "formula_tex": formula[1] if formula else None,
        }
        if given is None or given == "":
            return Item(**base, status="missing", points=0.0, reason="not answered")
        number, reason = as_number(given)
        if reason is not None or number is None:
            return Item(**base, status="invalid", points=0.0, reason=reason)
        if np.size(number) != np.size(expected):
            return Item(
                **base,
                status="invalid",
                points=0.0,
                reason=f"has {np.size(number)} number(s); the value has {np.size(expected)}",
            )
        if tolerance.accepts(number, expected):
            return Item(**base, status="correct", points=max_points)
        carried = self._carried(prepared, steps, t, key)
        consistent = carried is not None and not tolerance.accepts(carried, expected)
        if consistent and tolerance.accepts(number, carried):
            return Item(
                **base,
                status="carried",
                points=max_points * self.carried_credit,
                reason="right from your own earlier values, which were wrong",
                diagnosis=self._diagnose(prepared, None, t, key, number, expected, tolerance),
                carried=_plain(carried),
            )
        diagnosis = self._diagnose(prepared, steps, t, key, number, expected, tolerance)
        return Item(
            **base,
            status="wrong",
            points=0.0,
            diagnosis=diagnosis,
            carried=None if carried is None else _plain(carried),
        )

    def _symbol(self, prepared: Prepared, key: str) -> tuple[str, str]:
        if key in SPECIAL:
            return SPECIAL[key][0], SPECIAL[key][1]
        quantity = prepared.run.program.algorithm.quantity(key)
        return quantity.symbol.text, quantity.symbol.tex

    def _formula(
        self, prepared: Prepared, key: str, t: int
    ) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """The formula, and with this step's numbers (text and LaTeX); None for g and the loss."""
        if key in SPECIAL:
            return None
        program = prepared.run.program
        record = prepared.run.step(t)
        env = record.environment(program.constants)
        env["t"] = float(t)
        shown = program.algorithm.formulas[key].specialize(env)

        def fmt(value: Any) -> str:
            array = np.asarray(value, dtype=float)
            if array.size == 1:
                text = f"{float(array.ravel()[0]):.6g}"
            else:
                text = "[" + ", ".join(f"{x:.6g}" for x in array.ravel()) + "]"
            return f"({text})" if text.startswith("-") else text

        return (shown.plain(), shown.plain(env, fmt)), (shown.latex(), shown.latex(env, fmt))

    def _student_env(
        self, prepared: Prepared, steps: Mapping[int, Mapping[str, Any]], t: int
    ) -> dict[str, Any] | None:
        """This step's inputs as the student has them: the engine's, overridden by the
        student's own numbers for this step and, for carried state and θ, the previous step."""
        program = prepared.run.program
        record = prepared.run.step(t)
        env = record.environment(program.constants)
        env["t"] = float(t)
        changed = False
        previous = steps.get(t - 1, {})
        theta = _number(previous.get("theta_next"))
        if theta is not None and np.size(theta) == np.size(record.theta):
            env["theta"] = np.asarray(theta, dtype=float).reshape(np.shape(record.theta))
            changed = True
        for quantity in program.algorithm.stored:
            value = _number(previous.get(quantity.key))
            if value is not None and quantity.previous is not None:
                env[quantity.previous.key] = np.asarray(value, dtype=float)
                changed = True
        for name, value in steps.get(t, {}).items():
            number = _number(value)
            if number is not None:
                env[name] = np.asarray(number, dtype=float)
                changed = True
        return env if changed else None

    def _carried(
        self, prepared: Prepared, steps: Mapping[int, Mapping[str, Any]], t: int, key: str
    ) -> Any | None:
        """The value of ``key`` computed from the student's own inputs (None when they gave none
        that differ, or when the value is not a formula of them)."""
        env = self._student_env(prepared, steps, t)
        if env is None:
            return None
        env.pop(key, None)
        return _evaluate(prepared.problem, prepared.run.program, key, env)

    def _diagnose(
        self,
        prepared: Prepared,
        steps: Mapping[int, Mapping[str, Any]] | None,
        t: int,
        key: str,
        number: Any,
        expected: Any,
        tolerance: Tolerance,
    ) -> tuple[Diagnosis, ...]:
        found: list[Diagnosis] = []
        student_env = None if steps is None else self._student_env(prepared, steps, t)
        for mistake_id, (program, run) in prepared.variants().items():
            mistake = MISTAKES[mistake_id]
            candidates = []
            if len(run) >= t:
                candidates.append(("from the start", value_of(run.step(t), key)))
            if student_env is not None:
                env = dict(student_env)
                env.pop(key, None)
                candidates.append(
                    ("from your own values", _evaluate(prepared.problem, program, key, env))
                )
            for how, value in candidates:
                if value is None or tolerance.accepts(value, expected):
                    continue  # the mistake does not change this value: it explains nothing here
                if tolerance.accepts(number, value):
                    found.append(Diagnosis(mistake_id, mistake.description, how))
                    break
        return tuple(found)

    # --- expressions ---------------------------------------------------------------------------

    def _grade_expressions(self, answers: AnswerFile, prepared: Prepared) -> list[Item]:
        exercise = prepared.exercise
        if not exercise.ask_gradient:
            return []
        loss = prepared.problem.loss
        names = loss.layout.component_names()
        items = []
        variables = list(names)
        for i, name in enumerate(names):
            key = "gradient" if len(names) == 1 else f"gradient.{name}"
            given = answers.expressions.get(key)
            if given is None and len(names) == 1:
                given = answers.expressions.get(f"gradient.{name}")
            expected = loss.gradient_exprs[i]
            base: dict[str, Any] = {
                "step": None,
                "key": key,
                "symbol": f"∂L/∂{name}",
                "symbol_tex": rf"\partial L / \partial {name}",
                "given": given,
                "expected": prepared.gradient_texts[i],
                "max_points": exercise.points_for("gradient"),
            }
            if given is None or given == "":
                items.append(Item(**base, status="missing", points=0.0, reason="not answered"))
                continue
            if not isinstance(given, str):
                items.append(
                    Item(
                        **base,
                        status="invalid",
                        points=0.0,
                        reason="write the expression in quotes",
                    )
                )
                continue
            try:
                verdict = equivalent(given, expected, variables)
            except TutorError as exc:
                items.append(Item(**base, status="invalid", points=0.0, reason=exc.message))
                continue
            if verdict.equivalent:
                how = "proved equal" if verdict.proved else "equal at 24 random points"
                items.append(Item(**base, status="correct", points=base["max_points"], reason=how))
            else:
                reason = None
                if verdict.counterexample is not None:
                    point, mine, right = verdict.counterexample
                    at = ", ".join(f"{k} = {v:.4g}" for k, v in point.items())
                    reason = f"at {at} it gives {mine:.6g}" + (
                        "" if self.hide_expected else f" instead of {right:.6g}"
                    )
                items.append(Item(**base, status="wrong", points=0.0, reason=reason))
        return items


def value_of(record: StepRecord, key: str) -> Any | None:
    """An asked value at one step (None when the step does not compute it)."""
    special = {"g": record.grad, "loss": record.loss, "loss_next": record.loss_next}
    if key in special:
        return special[key]
    return record.values.get(key)


def _evaluate(problem: Problem, program: Program, key: str, env: dict[str, Any]) -> Any | None:
    """``key`` from the inputs in ``env``: a formula of the program, or the loss's gradient and
    values at the student's θ."""
    with np.errstate(all="ignore"):
        try:
            if key == "g":
                return problem.loss.gradient(np.asarray(env["theta"], dtype=float))
            if key == "loss":
                return problem.loss.value(np.asarray(env["theta"], dtype=float))
            if key == "loss_next":
                theta_next = env.get("theta_next")
                if theta_next is None:
                    return None
                return problem.loss.value(np.asarray(theta_next, dtype=float))
            value = program.evaluate(key, env, shown=True)
        except (KeyError, ValueError, TypeError, ArithmeticError):
            return None
    array = np.asarray(value, dtype=float)
    return value if np.all(np.isfinite(array)) else None


def _number(value: Any) -> Any | None:
    if value is None:
        return None
    number, reason = as_number(value)
    return None if reason is not None else number


def _plain(value: Any) -> Any:
    """A value for reports: one number as a float, several as a flat list."""
    array = np.asarray(value, dtype=float)
    return float(array.ravel()[0]) if array.size == 1 else array.ravel().tolist()


# --- Folders -------------------------------------------------------------------------------------


def answer_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The ``.toml`` files under ``paths`` (files, or folders searched recursively), sorted, and
    one line per path that cannot be searched. Symbolic links to folders are not followed, so a
    folder that contains itself is read once."""
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        if not path.is_dir():
            problems.append(f"{path}: no such file or folder")
            continue
        seen: set[tuple[int, int]] = set()
        for root, folders, files in os.walk(path, followlinks=False):
            stat = os.stat(root)
            if (stat.st_dev, stat.st_ino) in seen:
                folders[:] = []
                continue
            seen.add((stat.st_dev, stat.st_ino))
            folders.sort()
            found += [Path(root) / name for name in sorted(files) if name.endswith(".toml")]
            if len(found) > MAX_FILES:
                problems.append(
                    f"{path}: more than {MAX_FILES:,} answer files; grade fewer at once"
                )
                return found[:MAX_FILES], problems
    return found, problems


def grade(
    paths: Iterable[Path],
    *,
    carried_credit: float = CARRIED_CREDIT,
    hide_expected: bool = False,
    min_score: float | None = None,
) -> GradeReport:
    """Grade every answer file under ``paths``; a file that cannot be read or validated is one
    line in :attr:`GradeReport.errors`, and every other file is still graded."""
    if min_score is not None and not 0 <= min_score <= 100:
        raise TutorError(f"--min-score is a percentage from 0 to 100, got {min_score:g}")
    grader = Grader(carried_credit, hide_expected)
    files, errors = answer_files(paths)
    graded = []
    for path in files:
        try:
            graded.append(grader.grade_file(path))
        except TutorError as exc:
            errors.append(
                exc.message if exc.message.startswith(str(path)) else f"{path}: {exc.message}"
            )
        except RecursionError:
            errors.append(f"{path}: nested too deeply to read")
    return GradeReport(tuple(graded), tuple(errors), hide_expected, min_score)
