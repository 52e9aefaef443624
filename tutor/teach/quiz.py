"""The quiz as data: which questions to ask, what an answer means, and whether it is right.

Nothing here reads a terminal or prints: the command (:mod:`tutor.cli.quiz`) reads each answer,
hands the text to :func:`interpret` (a command such as ``?`` for a hint, a refusal to re-ask
with, or a value), then to :func:`check`, which returns a :class:`Verdict`: right or wrong, and
for a wrong number the mistakes that reproduce it. Numbers are compared under the question's
tolerance and expressions by equivalence, with the one checker ``tutor grade`` also uses
(:mod:`tutor.teach.checking`); student text only ever goes through the safe parser.

Selection (:func:`select`) mixes bank questions and generated ones (:mod:`tutor.teach.generated`)
by topic, kind and difficulty, in an order fixed by the session's seed, or, for a review, with
what the student got wrong and what is due first.
"""

from __future__ import annotations

import difflib
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from tutor.content.quiz import DIFFICULTIES, KINDS, Bank, bundled_bank
from tutor.content.topics import topic_ids
from tutor.errors import TutorError
from tutor.teach.generated import TEMPLATES, Template, generate
from tutor.teach.questions import Asked, from_bank

MAX_ANSWER = 500
"""Longest answer accepted, in characters (a longer one is refused and asked again)."""
MAX_QUESTIONS = 200
HINT_WORDS = frozenset({"?", "hint"})
QUIT_WORDS = frozenset({"q", "quit", "exit"})
SKIP_WORDS = frozenset({"skip"})
TRUE_WORDS = frozenset({"t", "true", "y", "yes"})
FALSE_WORDS = frozenset({"f", "false", "n", "no"})
LETTERS = "abcde"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_CHOICE = re.compile(r"([a-eA-E])\)?")
_CHOICE_TRIES = 8  # seeds tried for a generated choice question before leaving it out


# --- What a line of input means ------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """``hint`` (``?``), ``quit`` (``q``) or ``skip``."""

    name: str


@dataclass(frozen=True)
class Given:
    """An answer: the text as typed, and its value (a choice index, a truth value, a number, or
    a checked expression's text)."""

    text: str
    value: Any


@dataclass(frozen=True)
class Refused:
    """Input that is not an answer to this question, and why (one line, to re-ask with)."""

    reason: str


Action = Command | Given | Refused


def letter(index: int) -> str:
    """The letter of choice ``index`` (0 is ``a``)."""
    return LETTERS[index]


def _what_to_type(asked: Asked) -> str:
    if asked.kind == "choice":
        last = letter(len(asked.choices) - 1)
        return f"a letter from a to {last}"
    if asked.kind == "truefalse":
        return "true or false (t or f)"
    if asked.kind == "numeric":
        return "a number such as 0.25, 1e-3 or 1/3"
    return f"an expression in {', '.join(asked.variables)}"


def answer_help(asked: Asked) -> str:
    """What the student may type at this question, in one line."""
    hint = ", ? for a hint" if asked.hint else ""
    return f"type {_what_to_type(asked)}{hint}, skip, or q to stop"


def interpret(asked: Asked, text: str | None) -> Action:
    """What ``text`` means at ``asked``: a command, an answer, or a refusal to re-ask with.

    Nothing is executed: numbers and expressions go through the safe parser, and anything
    longer than :data:`MAX_ANSWER` characters is refused unread.
    """
    if text is None:
        return Refused("no answer given")
    if len(text) > MAX_ANSWER:
        return Refused(
            f"that answer has {len(text):,} characters; answers are at most {MAX_ANSWER}"
        )
    stripped = text.strip()
    word = stripped.lower()
    if not stripped:
        return Refused(f"empty answer: {answer_help(asked)}")
    if word in HINT_WORDS:
        return Command("hint")
    if word in QUIT_WORDS:
        return Command("quit")
    if word in SKIP_WORDS:
        return Command("skip")
    if asked.kind == "choice":
        match = _CHOICE.fullmatch(stripped)
        if match is None or LETTERS.index(match.group(1).lower()) >= len(asked.choices):
            return Refused(f"{_short(stripped)} is not a choice: {answer_help(asked)}")
        return Given(stripped, LETTERS.index(match.group(1).lower()))
    if asked.kind == "truefalse":
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return Given(stripped, word in TRUE_WORDS)
        return Refused(f"{_short(stripped)} is not true or false: {answer_help(asked)}")
    if asked.kind == "numeric":
        return _number(stripped, asked)
    return _expression(stripped, asked)


def _short(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _number(text: str, asked: Asked) -> Action:
    if _PLAIN_NUMBER.fullmatch(text):
        value = float(text)
    else:
        from tutor.symbolic.parse import parse_expression

        try:
            parsed = parse_expression(text, [])
        except TutorError as exc:
            return Refused(f"{_why_not_a_number(text, exc)}; {answer_help(asked)}")
        value = float(parsed.expr)
    if not math.isfinite(value):
        return Refused(f"{_short(text)} is not a finite number")
    return Given(text, value)


def _why_not_a_number(text: str, error: TutorError) -> str:
    """``'b' is not a number`` when the text is a formula in names, else the parser's reason."""
    from tutor.symbolic.parse import parse_expression

    try:
        names = parse_expression(text).names
    except TutorError:
        return error.message
    return f"{_short(text)} is not a number (it uses {', '.join(names)})"


def _expression(text: str, asked: Asked) -> Action:
    from tutor.symbolic.parse import parse_expression

    try:
        parse_expression(text, list(asked.variables))
    except TutorError as exc:
        return Refused(exc.message)
    return Given(text, text)


# --- Whether an answer is right ------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """A mistake that reproduces a wrong answer."""

    mistake: str
    description: str


@dataclass(frozen=True)
class Verdict:
    """What the checker says about one answer.

    Attributes:
        correct: the answer is right (within the tolerance, or equivalent).
        given: the answer as typed (None when skipped).
        value: its value (a choice index, a truth value, a number, an expression's text).
        mistakes: for a wrong number, the mistaken variants that reproduce it.
        note: for an expression, how it was judged (proved equal, or a point where it
            differs).
    """

    correct: bool
    given: str | None
    value: Any = None
    mistakes: tuple[Diagnosis, ...] = ()
    note: str | None = None

    @property
    def skipped(self) -> bool:
        return self.given is None


SKIPPED = Verdict(False, None)


def check(asked: Asked, given: Given) -> Verdict:
    """Judge ``given`` against the question's answer (see the module docstring)."""
    from tutor.teach.mistakes import MISTAKES

    if asked.kind in ("choice", "truefalse"):
        correct = given.value == asked.answer
        mistakes: tuple[Diagnosis, ...] = ()
        if not correct and asked.choice_mistakes:
            mistake = asked.choice_mistakes[given.value]
            if mistake is not None:
                mistakes = (Diagnosis(mistake, MISTAKES[mistake].description),)
        return Verdict(correct, given.text, given.value, mistakes)
    if asked.kind == "numeric":
        assert asked.tolerance is not None
        if asked.tolerance.accepts(given.value, asked.answer):
            return Verdict(True, given.text, given.value)
        return Verdict(False, given.text, given.value, diagnose(asked, given.value))
    return _check_expression(asked, given)


def diagnose(asked: Asked, number: float) -> tuple[Diagnosis, ...]:
    """The mistaken variants whose value of the asked quantity reproduces ``number`` (those that
    give the right value there explain nothing and are never named), as ``tutor grade`` does."""
    from tutor.teach.mistakes import MISTAKES

    if asked.worked is None or asked.tolerance is None:
        return ()
    found = []
    for mistake_id, value in asked.worked.mistaken.items():
        if asked.tolerance.accepts(value, asked.answer):
            continue
        if asked.tolerance.accepts(number, value):
            found.append(Diagnosis(mistake_id, MISTAKES[mistake_id].description))
    return tuple(found)


def _check_expression(asked: Asked, given: Given) -> Verdict:
    from tutor.symbolic.parse import parse_expression
    from tutor.teach.checking import POINTS, equivalent

    expected = parse_expression(str(asked.answer), list(asked.variables)).expr
    verdict = equivalent(given.text, expected, asked.variables)
    if verdict.equivalent:
        how = "proved equal" if verdict.proved else f"equal at {POINTS} random points"
        return Verdict(True, given.text, given.value, note=how)
    note = None
    if verdict.counterexample is not None:
        point, mine, right = verdict.counterexample
        at = ", ".join(f"{k} = {v:.4g}" for k, v in point.items())
        note = f"at {at} yours gives {mine:.6g} and the answer {right:.6g}"
    return Verdict(False, given.text, given.value, note=note)


# --- A session's results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """One answered (or skipped) question of a session."""

    number: int
    asked: Asked
    verdict: Verdict
    hinted: bool = False

    @property
    def rating(self) -> str:
        """How progress rates it: ``again`` (wrong or skipped), ``hard`` (right after a hint),
        ``good`` (right)."""
        if not self.verdict.correct:
            return "again"
        return "hard" if self.hinted else "good"


@dataclass(frozen=True)
class TopicScore:
    topic: str
    correct: int
    answered: int


ENDINGS = {
    "completed": "every question answered",
    "quit": "stopped with q",
    "interrupted": "stopped with Ctrl-C",
    "end-of-input": "the answers ran out",
}


@dataclass(frozen=True)
class QuizSession:
    """``tutor quiz``: the questions asked, the answers and verdicts, and the score.

    Attributes:
        seed: the session's seed (the same seed and options ask the same questions).
        planned: how many questions were selected.
        answered: the questions answered so far, in order.
        ending: a key of :data:`ENDINGS`.
        review: whether the questions were ordered for review.
        show_questions: whether the report repeats every question (False after an
            interactive session, which showed each one's feedback as it went).
        notes: remarks on the selection (fewer questions matched than asked for).
        saved: where the answers were recorded (None: not recorded).
    """

    kind = "quiz-session"

    seed: int
    planned: int
    answered: tuple[Answered, ...]
    ending: str
    review: bool = False
    show_questions: bool = True
    notes: tuple[str, ...] = ()
    saved: str | None = None

    @property
    def correct(self) -> int:
        return sum(1 for a in self.answered if a.verdict.correct)

    @property
    def by_topic(self) -> tuple[TopicScore, ...]:
        counts: dict[str, list[int]] = {}
        for answer in self.answered:
            entry = counts.setdefault(answer.asked.topic, [0, 0])
            entry[0] += answer.verdict.correct
            entry[1] += 1
        return tuple(TopicScore(t, c, n) for t, (c, n) in sorted(counts.items()))


# --- Choosing the questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The questions of a session, in order, with its seed and any remarks."""

    questions: tuple[Asked, ...]
    seed: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """What ``--topic``, ``--kind`` and ``--difficulty`` keep."""

    topic: str | None = None
    kind: str | None = None
    difficulty: int | None = None

    def keeps(self, topic: str, kind: str | Sequence[str], difficulty: int) -> bool:
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        return (
            (self.topic is None or topic == self.topic)
            and (self.kind is None or self.kind in kinds)
            and (self.difficulty is None or difficulty == self.difficulty)
        )


def check_filters(topic: str | None, kind: str | None, difficulty: int | None) -> Filters:
    """Validated filters: a TutorError naming the bad value and the fix."""
    if topic is not None:
        known = topic_ids()
        topic = topic.strip().lower()
        if topic not in known:
            close = difflib.get_close_matches(topic, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see 'tutor quiz --list'"
            raise TutorError(f"unknown topic {topic!r} ({hint})")
    if kind is not None and kind not in KINDS:
        raise TutorError(f"unknown kind {kind!r} (use {', '.join(KINDS)})")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise TutorError(f"--difficulty must be 1, 2 or 3, got {difficulty}")
    return Filters(topic, kind, difficulty)


def matching(bank: Bank, filters: Filters) -> tuple[list[str], list[Template]]:
    """The bank ids and the templates that the filters keep."""
    ids = [q.id for q in bank.questions if filters.keeps(q.topic, q.kind, q.difficulty)]
    templates = [t for t in TEMPLATES.values() if filters.keeps(t.topic, t.kinds, t.difficulty)]
    return ids, templates


def review_order(items: Sequence[str], states: Mapping[str, Any], now: datetime) -> list[str]:
    """``items`` reordered for review: first those last answered wrong, then those due (each
    by due time), then those never answered, then the rest by due time. The sort is stable, so
    ties keep the order they came in.

    ``states`` maps an item to its progress (anything with ``due`` and ``last_correct``).
    """

    def key(item: str) -> tuple[int, float]:
        state = states.get(item)
        if state is None:
            return (2, 0.0)
        due = state.due.timestamp()
        if not state.last_correct:
            return (0, due)
        if state.due <= now:
            return (1, due)
        return (3, due)

    return sorted(items, key=key)


def new_seed() -> int:
    """A fresh session seed (so two students get different questions and numbers)."""
    return secrets.randbelow(2**31)


def select(
    *,
    n: int = 10,
    topic: str | None = None,
    kind: str | None = None,
    difficulty: int | None = None,
    seed: int | None = None,
    review: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    bank: Bank | None = None,
) -> Selection:
    """The ``n`` questions of a session.

    Bank questions and templates that match the filters are shuffled together with the
    session's seed (:func:`numpy.random.default_rng`; a fresh one when ``seed`` is None); each
    template drawn becomes a generated question with its own seed from the same generator. When
    more questions are asked for than the bank and templates hold, further generated questions
    fill the session. With ``review`` (progress by item) the order is :func:`review_order`.
    """
    if isinstance(n, bool) or not 1 <= n <= MAX_QUESTIONS:
        raise TutorError(f"--n must be from 1 to {MAX_QUESTIONS}, got {n}")
    if seed is not None and seed < 0:
        raise TutorError(f"--seed must be a whole number >= 0, got {seed}")
    filters = check_filters(topic, kind, difficulty)
    seed = new_seed() if seed is None else seed
    bank = bank or bundled_bank()
    rng = np.random.default_rng(seed)
    ids, templates = matching(bank, filters)
    pool = [*ids, *(t.id for t in templates)]
    pool = [pool[i] for i in rng.permutation(len(pool)).tolist()]
    if review is not None:
        pool = review_order(pool, review, now or datetime.now().astimezone())
    picks = pool[:n]
    extra = [templates[i].id for i in rng.permutation(len(templates)).tolist()]
    while len(picks) < n and extra:
        picks.append(extra[(len(picks) - len(pool)) % len(extra)])
    questions: list[Asked] = []
    notes: list[str] = []
    for item in picks:
        if item in TEMPLATES:
            asked = _generated(TEMPLATES[item], rng, filters.kind)
            if asked is None:
                notes.append(f"{item} could not make a {filters.kind} question; left out")
                continue
            questions.append(asked)
        else:
            questions.append(from_bank(bank.by_id[item]))
    if not questions:
        raise TutorError(f"no quiz question matches {_describe(filters)}")
    if len(questions) < n:
        notes.append(
            f"only {len(questions)} question{'s' if len(questions) != 1 else ''} match "
            f"{_describe(filters)}"
        )
    return Selection(tuple(questions), seed, tuple(notes))


def _generated(chosen: Template, rng: np.random.Generator, kind: str | None) -> Asked | None:
    tries = _CHOICE_TRIES if kind == "choice" else 1
    for _ in range(tries):
        asked = generate(chosen.id, int(rng.integers(2**31)), kind)
        if kind is None or asked.kind == kind:
            return asked
    return None


def _describe(filters: Filters) -> str:
    parts = [
        f"{name} {value}"
        for name, value in (
            ("topic", filters.topic),
            ("kind", filters.kind),
            ("difficulty", filters.difficulty),
        )
        if value is not None
    ]
    return " and ".join(parts) if parts else "the bank"


# --- Listing the bank ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BankListing:
    """``tutor quiz --list``: the bank's questions and the generated-question templates."""

    kind = "quiz-bank"

    questions: tuple[Any, ...]
    templates: tuple[Template, ...]
    filters: Filters = field(default_factory=Filters)


def bank_listing(
    topic: str | None = None, kind: str | None = None, difficulty: int | None = None
) -> BankListing:
    filters = check_filters(topic, kind, difficulty)
    bank = bundled_bank()
    ids, templates = matching(bank, filters)
    return BankListing(tuple(bank.by_id[i] for i in ids), tuple(templates), filters)
