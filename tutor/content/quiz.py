"""The quiz bank: TOML files of questions in ``tutor/data/quiz``, validated into frozen objects.

A file in format 1 holds ``[[question]]`` tables::

    format_version = 1

    [[question]]
    id = "adam-first-step-is-sign-like"   # lowercase letters and digits joined by hyphens
    topic = "adam"                        # an id of the topic registry (tutor explain)
    kind = "choice"                       # choice | truefalse | numeric | symbolic
    difficulty = 2                        # 1 to 3
    prompt = "…"
    explanation = "…"                     # shown after the student answers
    hint = "…"                            # optional
    choices = ["…", "…", "…"]             # choice: 3 to 5, distinct
    answer = 2                            # choice: the right choice's index, from 0
    # truefalse: answer = true | false
    # symbolic:  answer = "eta/sqrt(t)" and variables = ["eta", "t"] (the answer may use only
    #            some of them); compared by equivalence through the safe parser
    # numeric:   a [question.compute] table with exactly one of
    #              expression = "(1 - 0.9)/sqrt(1 - 0.999)"   (through the safe parser)
    #              solve = { optimizer, loss, theta, steps, quantity, step, hyperparameters }
    #            and an optional tolerance = { sig_figs = 4 } (the default)

No file holds a numeric answer: an expression is evaluated through
:func:`tutor.symbolic.parse.parse_expression` (never ``eval``) and a ``solve`` table is run by
the engine when the question is asked (:mod:`tutor.teach.quiz`).

Errors. :func:`load_bank` collects every problem of every file and raises one
:class:`QuizError` whose ``problems`` are lines ``<file>: question[<id>].<key>: <message>``
(``question[<n>]`` by position when the id itself is missing or bad). Unknown keys are errors,
so a typo in course content fails the test that loads the bank.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tutor.content.tolerances import DEFAULT_TOLERANCE, Tolerance, tolerance_from
from tutor.content.topics import topic_ids
from tutor.content.values import describe
from tutor.errors import TutorError

FORMAT_VERSION = 1
QUIZ_DIR = Path(__file__).resolve().parent.parent / "data" / "quiz"
KINDS = ("choice", "truefalse", "numeric", "symbolic")
DIFFICULTIES = (1, 2, 3)
MAX_CHOICES = 5
MIN_CHOICES = 3
MAX_SOLVE_STEPS = 100
SPECIAL_QUANTITIES = ("g", "loss", "loss_next")
"""Values every optimizer can be asked for, besides its own quantities."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COMMON = ("id", "topic", "kind", "difficulty", "prompt", "explanation", "hint")
_BY_KIND = {
    "choice": ("choices", "answer"),
    "truefalse": ("answer",),
    "numeric": ("compute",),
    "symbolic": ("answer", "variables"),
}
_COMPUTE_KEYS = ("expression", "solve", "tolerance")
_SOLVE_REQUIRED = ("optimizer", "loss", "theta", "quantity", "step")
_SOLVE_KEYS = (*_SOLVE_REQUIRED, "steps", "hyperparameters")


@dataclass(frozen=True)
class Solve:
    """A numeric answer computed by the engine: ``quantity`` at step ``step`` of a run.

    Attributes:
        optimizer: a registered optimizer's name.
        loss: the loss expression (or a preset name).
        theta: the start, one value per parameter.
        steps: how many steps to run (at least ``step``).
        quantity: ``g``, ``loss``, ``loss_next`` or one of the optimizer's quantities.
        step: the step whose value is asked, from 1.
        hyperparameters: the values that differ from torch's defaults.
    """

    optimizer: str
    loss: str
    theta: tuple[float, ...]
    steps: int
    quantity: str
    step: int
    hyperparameters: Mapping[str, float | bool] = field(hash=False)


@dataclass(frozen=True)
class Compute:
    """How a numeric answer is computed: an arithmetic ``expression`` or a ``solve``."""

    expression: str | None
    solve: Solve | None
    tolerance: Tolerance


@dataclass(frozen=True)
class Question:
    """One validated question of the bank.

    Attributes:
        id: unique across the bank.
        topic: a topic id (:func:`tutor.content.topics.topic_ids`).
        kind: ``choice``, ``truefalse``, ``numeric`` or ``symbolic``.
        difficulty: 1 (recall) to 3 (a computation with several steps).
        prompt: the question.
        explanation: shown after the student answers.
        hint: shown on request, if the question has one.
        choices: for ``choice``, the options in order.
        answer: the right choice's index, the truth value, or a symbolic answer's expression;
            None for ``numeric`` (computed from ``compute``).
        variables: for ``symbolic``, the names the answer may use.
        compute: for ``numeric``, how the answer is computed.
        source: the file it was read from.
    """

    id: str
    topic: str
    kind: str
    difficulty: int
    prompt: str
    explanation: str
    hint: str | None
    choices: tuple[str, ...] = ()
    answer: int | bool | str | None = None
    variables: tuple[str, ...] = ()
    compute: Compute | None = None
    source: Path = QUIZ_DIR


@dataclass(frozen=True)
class Bank:
    """Every question of a folder, in file order (files sorted by name)."""

    questions: tuple[Question, ...]

    @functools.cached_property
    def by_id(self) -> Mapping[str, Question]:
        return MappingProxyType({q.id: q for q in self.questions})

    def __len__(self) -> int:
        return len(self.questions)

    def question(self, question_id: str) -> Question:
        found = self.by_id.get(question_id)
        if found is None:
            raise TutorError(
                f"no quiz question {question_id!r}{_suggest(question_id, list(self.by_id))}"
            )
        return found


class QuizError(TutorError):
    """A quiz file or folder that cannot be used.

    Attributes:
        problems: one self-contained line per problem (``<file>: question[<id>].<key>: …``).
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else "the quiz bank is empty"
        count = len(self.problems)
        super().__init__(first if count <= 1 else f"{count} problems in the quiz bank; {first}")


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    return describe(value, longest=40)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    """Collects ``(key, message)`` problems of one question."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is missing")
            return None
        if not isinstance(value, str):
            self.fail(key, f"must be a string, got {_describe(value)}")
            return None
        if not value.strip():
            self.fail(key, "must not be blank")
            return None
        return value


def _unknown(checker: _Checker, keys: Iterable[str], allowed: tuple[str, ...], prefix: str) -> None:
    for key in keys:
        if key not in allowed:
            hint = _suggest(key, allowed) or f" (known: {', '.join(allowed)})"
            checker.fail(f"{prefix}{key}", f"unknown key{hint}")


def _check_symbolic(checker: _Checker) -> tuple[str | None, tuple[str, ...]]:
    from tutor.symbolic.parse import name_problem, parse_expression

    answer = checker.text("answer")
    raw = checker.data.get("variables")
    if raw is None:
        checker.fail("variables", "is missing (the names the answer may use)")
        return answer, ()
    if not isinstance(raw, list) or not raw:
        checker.fail("variables", "must be a non-empty array of names")
        return answer, ()
    variables: list[str] = []
    for i, name in enumerate(raw):
        if not isinstance(name, str):
            checker.fail(f"variables[{i}]", f"must be a string, got {_describe(name)}")
            continue
        problem = name_problem(name, "a variable")
        if problem is not None:
            checker.fail(f"variables[{i}]", problem)
        elif name in variables:
            checker.fail(f"variables[{i}]", f"{name!r} is listed twice")
        else:
            variables.append(name)
    if answer is not None and len(variables) == len(raw):
        try:
            parse_expression(answer, variables)
        except TutorError as exc:
            checker.fail("answer", exc.message)
    return answer, tuple(variables)


def _check_choice(checker: _Checker) -> tuple[tuple[str, ...], int | None]:
    raw = checker.data.get("choices")
    choices: list[str] = []
    if not isinstance(raw, list) or not MIN_CHOICES <= len(raw) <= MAX_CHOICES:
        checker.fail("choices", f"must be an array of {MIN_CHOICES} to {MAX_CHOICES} strings")
    else:
        for i, choice in enumerate(raw):
            if not isinstance(choice, str) or not choice.strip():
                checker.fail(f"choices[{i}]", "must be a non-blank string")
            elif choice.strip() in choices:
                checker.fail(f"choices[{i}]", "repeats an earlier choice")
            else:
                choices.append(choice.strip())
    answer = checker.data.get("answer")
    if answer is None:
        checker.fail("answer", "is missing (the right choice's index, from 0)")
        return tuple(choices), None
    if not _is_int(answer):
        checker.fail(
            "answer", f"must be the right choice's index (from 0), got {_describe(answer)}"
        )
        return tuple(choices), None
    if isinstance(raw, list) and not 0 <= answer < len(raw):
        checker.fail("answer", f"must be from 0 to {len(raw) - 1} (an index into choices)")
        return tuple(choices), None
    return tuple(choices), answer


def _check_solve(checker: _Checker, raw: Any) -> Solve | None:
    from tutor.engine import get_optimizer
    from tutor.symbolic.parse import parse_expression
    from tutor.symbolic.presets import presets

    prefix = "compute.solve."
    if not isinstance(raw, dict):
        checker.fail("compute.solve", f"must be a table, got {_describe(raw)}")
        return None
    _unknown(checker, raw, _SOLVE_KEYS, prefix)
    for key in _SOLVE_REQUIRED:
        if key not in raw:
            checker.fail(f"{prefix}{key}", "is missing")
    before = len(checker.problems)
    optimizer, loss, quantity = raw.get("optimizer"), raw.get("loss"), raw.get("quantity")
    for key, value in (("optimizer", optimizer), ("loss", loss), ("quantity", quantity)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            checker.fail(f"{prefix}{key}", f"must be a non-blank string, got {_describe(value)}")
    theta = raw.get("theta")
    if theta is not None and not (
        isinstance(theta, list) and theta and all(_is_number(x) and math.isfinite(x) for x in theta)
    ):
        checker.fail(f"{prefix}theta", "must be a non-empty array of finite numbers")
    step = raw.get("step")
    steps = raw.get("steps", step)
    for key, value in (("step", step), ("steps", steps)):
        if value is not None and not (_is_int(value) and 1 <= value <= MAX_SOLVE_STEPS):
            checker.fail(f"{prefix}{key}", f"must be a whole number from 1 to {MAX_SOLVE_STEPS}")
    if isinstance(step, int) and isinstance(steps, int) and step > steps:
        checker.fail(f"{prefix}step", f"is {step} but the run has only {steps} steps")
    hyper = raw.get("hyperparameters", {})
    if not isinstance(hyper, dict):
        checker.fail(f"{prefix}hyperparameters", f"must be a table, got {_describe(hyper)}")
        hyper = {}
    if len(checker.problems) > before:
        return None
    assert isinstance(optimizer, str) and isinstance(loss, str) and isinstance(quantity, str)
    assert isinstance(theta, list) and isinstance(step, int) and isinstance(steps, int)
    try:
        spec = get_optimizer(optimizer)
    except TutorError as exc:
        checker.fail(f"{prefix}optimizer", exc.message)
        return None
    try:
        config = spec.configure(hyper)
    except TutorError as exc:
        checker.fail(f"{prefix}hyperparameters", exc.message)
        return None
    preset = presets().get(loss.strip().lower())
    try:
        names = parse_expression(preset.loss if preset else loss).names
    except TutorError as exc:
        checker.fail(f"{prefix}loss", exc.message)
        return None
    if len(theta) != len(names):
        checker.fail(
            f"{prefix}theta",
            f"gives {len(theta)} value(s); the loss has {len(names)} parameter(s) "
            f"({', '.join(names)})",
        )
    known = (*SPECIAL_QUANTITIES, *(q.key for q in config.algorithm().quantities))
    if quantity not in known:
        checker.fail(
            f"{prefix}quantity",
            f"{spec.name} computes no {quantity!r}{_suggest(quantity, known)} (known: "
            f"{', '.join(known)})",
        )
    if len(checker.problems) > before:
        return None
    return Solve(
        spec.name,
        loss,
        tuple(float(x) for x in theta),
        steps,
        quantity,
        step,
        MappingProxyType(dict(hyper)),
    )


def _check_compute(checker: _Checker) -> Compute | None:
    from tutor.symbolic.parse import parse_expression

    raw = checker.data.get("compute")
    if raw is None:
        checker.fail("compute", "is missing (a [question.compute] table)")
        return None
    if not isinstance(raw, dict):
        checker.fail("compute", f"must be a table, got {_describe(raw)}")
        return None
    _unknown(checker, raw, _COMPUTE_KEYS, "compute.")
    tolerance = DEFAULT_TOLERANCE
    if "tolerance" in raw:
        try:
            tolerance = tolerance_from(raw["tolerance"], "compute.tolerance")
        except TutorError as exc:
            checker.fail("compute.tolerance", exc.message.removeprefix("compute.tolerance: "))
    has_expression, has_solve = "expression" in raw, "solve" in raw
    if has_expression == has_solve:
        checker.fail("compute", "give exactly one of expression or solve")
        return None
    if has_expression:
        text = raw["expression"]
        if not isinstance(text, str) or not text.strip():
            checker.fail("compute.expression", "must be a non-blank string")
            return None
        try:
            parse_expression(text, [])  # no names allowed: a number
        except TutorError as exc:
            checker.fail("compute.expression", exc.message)
            return None
        return Compute(text, None, tolerance)
    solve = _check_solve(checker, raw["solve"])
    return None if solve is None else Compute(None, solve, tolerance)


def _question(data: Any, index: int, source: Path) -> tuple[Question | None, list[str]]:
    """One ``[[question]]`` table, or the problems found in it (as whole lines)."""
    if not isinstance(data, dict):
        return None, [f"{source}: question[{index}]: must be a table, got {_describe(data)}"]
    checker = _Checker(data)
    question_id = data.get("id")
    if not isinstance(question_id, str) or not _ID.fullmatch(question_id):
        label = f"question[{index}]"
        checker.fail(
            "id",
            "is missing"
            if question_id is None
            else "must be lowercase letters and digits joined by single hyphens, got "
            + _describe(question_id),
        )
    else:
        label = f"question[{question_id}]"
    kind = data.get("kind")
    if kind not in KINDS:
        checker.fail(
            "kind",
            "is missing"
            if kind is None
            else f"must be one of {', '.join(KINDS)}, got {_describe(kind)}",
        )
        allowed: tuple[str, ...] = (*_COMMON, "choices", "answer", "variables", "compute")
    else:
        allowed = (*_COMMON, *_BY_KIND[kind])
    _unknown(checker, data, allowed, "")
    topic = checker.text("topic")
    if topic is not None and topic not in topic_ids():
        checker.fail("topic", f"{topic!r} is not a topic{_suggest(topic, topic_ids())}")
    difficulty = data.get("difficulty")
    if not (_is_int(difficulty) and difficulty in DIFFICULTIES):
        checker.fail(
            "difficulty",
            "is missing"
            if difficulty is None
            else f"must be 1, 2 or 3, got {_describe(difficulty)}",
        )
    prompt = checker.text("prompt")
    explanation = checker.text("explanation")
    hint = checker.text("hint", required=False)
    choices: tuple[str, ...] = ()
    answer: int | bool | str | None = None
    variables: tuple[str, ...] = ()
    compute: Compute | None = None
    if kind == "choice":
        choices, answer = _check_choice(checker)
    elif kind == "truefalse":
        answer = data.get("answer")
        if not isinstance(answer, bool):
            checker.fail(
                "answer",
                "is missing"
                if answer is None
                else f"must be true or false, got {_describe(answer)}",
            )
    elif kind == "symbolic":
        answer, variables = _check_symbolic(checker)
    elif kind == "numeric":
        compute = _check_compute(checker)
    if checker.problems:
        return None, [
            f"{source}: {label}.{key}: {message}" if key else f"{source}: {label}: {message}"
            for key, message in checker.problems
        ]
    assert isinstance(question_id, str) and isinstance(kind, str) and topic is not None
    assert prompt is not None and explanation is not None and isinstance(difficulty, int)
    return (
        Question(
            question_id,
            topic,
            kind,
            difficulty,
            prompt.strip(),
            explanation.strip(),
            hint.strip() if hint else None,
            choices,
            answer,
            variables,
            compute,
            source,
        ),
        [],
    )


def load_file(path: Path) -> tuple[list[Question], list[str]]:
    """The questions of one file, and every problem found (whole lines)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot be read ({exc})"]
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{path}: not valid TOML ({exc})"]
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        return [], [f"{path}: format_version: must be {FORMAT_VERSION}, got {version!r}"]
    problems = [
        f"{path}: {key}: unknown key (a quiz file holds format_version and [[question]] tables)"
        for key in data
        if key not in ("format_version", "question")
    ]
    raw = data.get("question")
    if not isinstance(raw, list) or not raw:
        return [], [*problems, f"{path}: question: no [[question]] tables"]
    questions: list[Question] = []
    for index, item in enumerate(raw):
        question, found = _question(item, index, path)
        problems += found
        if question is not None:
            questions.append(question)
    return questions, problems


def load_bank(folder: Path = QUIZ_DIR) -> Bank:
    """Every question in the ``.toml`` files of ``folder``; a :class:`QuizError` listing every
    problem (repeated ids across files included) if any file has one."""
    paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not paths:
        raise QuizError([f"{folder}: no quiz files (*.toml)"])
    questions: list[Question] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        found, file_problems = load_file(path)
        problems += file_problems
        for question in found:
            if question.id in seen:
                problems.append(
                    f"{path}: question[{question.id}].id: already used in {seen[question.id].name}"
                )
                continue
            seen[question.id] = path
            questions.append(question)
    if problems:
        raise QuizError(problems)
    return Bank(tuple(questions))


@functools.cache
def bundled_bank() -> Bank:
    """The bank that ships with `tutor` (loaded and validated once per process)."""
    return load_bank(QUIZ_DIR)
