"""A student's progress: every answer, and each question's FSRS schedule, in one SQLite file.

The caller (the CLI) chooses the file: ``progress.sqlite`` in :func:`platformdirs.user_data_dir`
(``"tutor"``), or in ``$TUTOR_HOME`` when that is set. This module does no I/O beyond that
database.

Safety. Every answer is recorded in one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back
on any exception, Ctrl-C included) with SQLite's rollback journal and ``synchronous = FULL``, so a
crash, ``kill -9`` or Ctrl-C mid-write leaves the previous state intact: SQLite rolls the hot
journal back the next time the file is opened. A file that is not a SQLite database, or fails
``PRAGMA integrity_check``, is renamed aside (``progress.sqlite.corrupt-<UTC time>``, with its
journal) and a fresh database is created; :func:`open_progress` returns a one-line note saying
so, which the CLI prints on stderr. Nothing is ever dropped silently.

Schema. ``PRAGMA user_version`` is the schema version; :data:`MIGRATIONS` lists, for each
version, the statements that bring the previous one up to it, each migration in its own
transaction. A database written by a newer `tutor` is refused (not set aside: it is not
corrupt).

Scheduling. Each item (a bank question's id, or a generated question's template id, so
"Adam's v̂ₜ" is one item whatever its numbers) is an FSRS card (the scheduler Anki uses; the
``fsrs`` package), which models the item's stability and difficulty. Ratings: a wrong or skipped
answer is Again, a right one after a hint is Hard, a right one is Good. Fuzzing is off, so a
fixed clock (``TUTOR_NOW``) gives reproducible schedules.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutor.errors import TutorError

FILE_NAME = "progress.sqlite"
MAX_GIVEN = 500  # characters of an answer kept in the database

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # Version 1: sessions, every answer, and each item's FSRS card.
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            seed INTEGER NOT NULL,
            review INTEGER NOT NULL CHECK (review IN (0, 1)),
            planned INTEGER NOT NULL,
            ended TEXT,
            ending TEXT
        )""",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            session INTEGER NOT NULL REFERENCES sessions(id),
            question TEXT NOT NULL,
            item TEXT NOT NULL,
            topic TEXT NOT NULL,
            kind TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            hinted INTEGER NOT NULL CHECK (hinted IN (0, 1)),
            rating TEXT NOT NULL CHECK (rating IN ('again', 'hard', 'good')),
            given TEXT,
            answered TEXT NOT NULL
        )""",
        "CREATE INDEX answers_by_item ON answers(item)",
        """CREATE TABLE cards (
            item TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            card TEXT NOT NULL,
            due TEXT NOT NULL,
            reviews INTEGER NOT NULL,
            lapses INTEGER NOT NULL,
            last_correct INTEGER NOT NULL CHECK (last_correct IN (0, 1)),
            last_review TEXT NOT NULL
        )""",
    ),
)
"""``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``."""
SCHEMA_VERSION = len(MIGRATIONS)


def parse_now(text: str | None) -> datetime:
    """``TUTOR_NOW`` (ISO 8601; a time without a zone is UTC) as an aware UTC time; the real
    clock when it is None or empty."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TutorError(
            f"TUTOR_NOW must be an ISO 8601 time such as 2025-01-31T09:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --- Opening, checking and setting aside ---------------------------------------------------------

_SIDECARS = ("-journal", "-wal", "-shm")


def _problem(connection: sqlite3.Connection) -> str | None:
    """Why the open database cannot be used, or None."""
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return f"is not a readable SQLite database ({exc})"
    if [tuple(r) for r in rows] != [("ok",)]:
        first = str(rows[0][0]) if rows else "no result"
        return f"failed its integrity check ({first})"
    if version > SCHEMA_VERSION:
        raise TutorError(
            f"{connection_path(connection)} has schema version {version}, newer than this "
            f"tutor's ({SCHEMA_VERSION}); upgrade tutor, or set TUTOR_HOME to use another folder"
        )
    return None


def connection_path(connection: sqlite3.Connection) -> str:
    row = connection.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else "the progress database"


def _set_aside(path: Path, now: datetime) -> Path:
    """Rename ``path`` (and its journal files) to ``<name>.corrupt-<UTC time>``."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in _SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, target.with_name(target.name + suffix))
    return target


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception (KeyboardInterrupt too) rolls back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _migrate(connection: sqlite3.Connection) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(connection):
            for statement in MIGRATIONS[target - 1]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {int(target)}")


def open_progress(path: Path, now: datetime | None = None) -> tuple[Progress, str | None]:
    """The progress database at ``path`` (created, or migrated, as needed), and a one-line note
    when a corrupt file had to be set aside first."""
    now = now or datetime.now(UTC)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TutorError(f"cannot create the progress folder {path.parent}: {exc}") from None
    note = None
    if path.exists():
        problem: str | None
        try:
            connection = _connect(path)
        except sqlite3.DatabaseError as exc:
            problem = f"is not a readable SQLite database ({exc})"
        else:
            try:
                problem = _problem(connection)
            finally:
                connection.close()
        if problem is not None:
            aside = _set_aside(path, now)
            note = f"progress database {path} {problem}; moved it to {aside} and started afresh"
    try:
        connection = _connect(path)
        _migrate(connection)
    except sqlite3.Error as exc:
        raise TutorError(f"cannot open the progress database {path}: {exc}") from None
    return Progress(path, connection), note


# --- The store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """One item's progress.

    Attributes:
        item: a bank question's id or a template id.
        topic: its topic.
        due: when FSRS next wants it asked.
        last_correct: whether the last answer was right.
        reviews: how many answers it has had.
        lapses: how many of them were wrong.
        stability: FSRS's stability (days for recall to fall to 90%), None before a review.
        difficulty: FSRS's difficulty (1 to 10).
        retrievability: the predicted probability of recalling it now.
        last_review: when it was last answered.
    """

    item: str
    topic: str
    due: datetime
    last_correct: bool
    reviews: int
    lapses: int
    stability: float | None
    difficulty: float | None
    retrievability: float
    last_review: datetime


def _scheduler() -> Any:
    from fsrs import Scheduler

    return Scheduler(enable_fuzzing=False)


RATINGS = {"again": 1, "hard": 2, "good": 3}
"""Our ratings as FSRS's (``fsrs.Rating``): Again, Hard, Good."""


def card_id(item: str) -> int:
    """A stable FSRS card id for an item (FSRS's own default is the creation time)."""
    return zlib.crc32(item.encode("utf-8"))


class Progress:
    """The open progress database. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection
        self._fsrs: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @property
    def scheduler(self) -> Any:
        if self._fsrs is None:
            self._fsrs = _scheduler()
        return self._fsrs

    # --- writing -----------------------------------------------------------------------------

    def start_session(self, seed: int, planned: int, review: bool, now: datetime) -> int:
        with transaction(self.connection) as db:
            cursor = db.execute(
                "INSERT INTO sessions (started, seed, review, planned) VALUES (?, ?, ?, ?)",
                (_stamp(now), seed, int(review), planned),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end_session(self, session: int, ending: str, now: datetime) -> None:
        with transaction(self.connection) as db:
            db.execute(
                "UPDATE sessions SET ended = ?, ending = ? WHERE id = ?",
                (_stamp(now), ending, session),
            )

    def record(
        self,
        session: int,
        *,
        question: str,
        item: str,
        topic: str,
        kind: str,
        correct: bool,
        hinted: bool,
        rating: str,
        given: str | None,
        now: datetime,
    ) -> ItemState:
        """Record one answer and reschedule its item, in one transaction."""
        from fsrs import Card, Rating

        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {', '.join(RATINGS)}, got {rating!r}")
        with transaction(self.connection) as db:
            db.execute(
                "INSERT INTO answers (session, question, item, topic, kind, correct, hinted, "
                "rating, given, answered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session,
                    question,
                    item,
                    topic,
                    kind,
                    int(correct),
                    int(hinted),
                    rating,
                    None if given is None else given[:MAX_GIVEN],
                    _stamp(now),
                ),
            )
            row = db.execute(
                "SELECT card, reviews, lapses FROM cards WHERE item = ?", (item,)
            ).fetchone()
            if row is None:
                card, reviews, lapses = Card(card_id=card_id(item), due=now), 0, 0
            else:
                card, reviews, lapses = Card.from_json(row[0]), row[1], row[2]
            card, _ = self.scheduler.review_card(
                card, Rating(RATINGS[rating]), review_datetime=now.astimezone(UTC)
            )
            db.execute(
                "INSERT INTO cards (item, topic, card, due, reviews, lapses, last_correct, "
                "last_review) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(item) DO UPDATE SET "
                "topic = excluded.topic, card = excluded.card, due = excluded.due, "
                "reviews = excluded.reviews, lapses = excluded.lapses, "
                "last_correct = excluded.last_correct, last_review = excluded.last_review",
                (
                    item,
                    topic,
                    card.to_json(),
                    _stamp(card.due),
                    reviews + 1,
                    lapses + (not correct),
                    int(correct),
                    _stamp(now),
                ),
            )
        return self._state(item, topic, card, reviews + 1, lapses + (not correct), correct, now)

    def reset(self) -> int:
        """Erase every session, answer and card; the number of answers erased."""
        with transaction(self.connection) as db:
            count = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            for table in ("answers", "cards", "sessions"):
                db.execute(f"DELETE FROM {table}")
        return int(count)

    # --- reading -----------------------------------------------------------------------------

    def _state(
        self,
        item: str,
        topic: str,
        card: Any,
        reviews: int,
        lapses: int,
        last_correct: bool,
        now: datetime,
    ) -> ItemState:
        return ItemState(
            item,
            topic,
            card.due,
            bool(last_correct),
            reviews,
            lapses,
            card.stability,
            card.difficulty,
            float(self.scheduler.get_card_retrievability(card, now.astimezone(UTC))),
            card.last_review,
        )

    def states(self, now: datetime) -> dict[str, ItemState]:
        """Every item answered so far, by item."""
        from fsrs import Card

        rows = self.connection.execute(
            "SELECT item, topic, card, reviews, lapses, last_correct FROM cards ORDER BY item"
        ).fetchall()
        return {
            item: self._state(item, topic, Card.from_json(card), reviews, lapses, correct, now)
            for item, topic, card, reviews, lapses, correct in rows
        }

    def answer_counts(self) -> dict[str, tuple[int, int]]:
        """``topic -> (answers, right answers)``."""
        rows = self.connection.execute(
            "SELECT topic, COUNT(*), SUM(correct) FROM answers GROUP BY topic"
        ).fetchall()
        return {topic: (int(n), int(right or 0)) for topic, n, right in rows}

    def count(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def export(self) -> dict[str, Any]:
        """Everything in the database, as JSON-ready data."""
        db = self.connection

        def rows(query: str) -> list[dict[str, Any]]:
            cursor = db.execute(query)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        cards = rows("SELECT * FROM cards ORDER BY item")
        for card in cards:
            card["card"] = json.loads(card["card"])
            card["last_correct"] = bool(card["last_correct"])
        answers = rows("SELECT * FROM answers ORDER BY id")
        for answer in answers:
            answer["correct"] = bool(answer["correct"])
            answer["hinted"] = bool(answer["hinted"])
        sessions = rows("SELECT * FROM sessions ORDER BY id")
        for session in sessions:
            session["review"] = bool(session["review"])
        return {
            "schema_version": SCHEMA_VERSION,
            "sessions": sessions,
            "answers": answers,
            "cards": cards,
        }


# --- Mastery -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicMastery:
    """One topic's progress.

    Attributes:
        topic: the topic id.
        items: how many items (bank questions and templates) the topic has.
        seen: how many of them have been answered.
        answers: answers given, and ``right`` of them right.
        due: items due now.
        mastery: the mean over the topic's items of the predicted probability of recall now
            (FSRS's retrievability) for an item last answered right, and 0 for an item last
            answered wrong or never answered.
    """

    topic: str
    items: int
    seen: int
    answers: int
    right: int
    due: int
    mastery: float


@dataclass(frozen=True)
class ProgressReport:
    """``tutor progress``: mastery per topic and what is due when."""

    kind = "progress"

    path: str
    now: datetime
    topics: tuple[TopicMastery, ...]
    items: tuple[ItemState, ...]
    answers: int
    untouched: tuple[str, ...]


def mastery(
    states: Mapping[str, ItemState],
    counts: Mapping[str, tuple[int, int]],
    items_by_topic: Mapping[str, Sequence[str]],
    now: datetime,
) -> tuple[tuple[TopicMastery, ...], tuple[str, ...]]:
    """Each topic with answers, and the topics without (see :class:`TopicMastery`)."""
    found = []
    untouched = []
    for topic in sorted(set(items_by_topic) | {s.topic for s in states.values()}):
        items = set(items_by_topic.get(topic, ())) | {
            s.item for s in states.values() if s.topic == topic
        }
        answers, right = counts.get(topic, (0, 0))
        seen = [states[i] for i in items if i in states]
        if not seen:
            untouched.append(topic)
            continue
        recall = sum(s.retrievability for s in seen if s.last_correct)
        found.append(
            TopicMastery(
                topic,
                len(items),
                len(seen),
                answers,
                right,
                sum(1 for s in seen if s.due <= now),
                recall / len(items),
            )
        )
    return tuple(found), tuple(untouched)


def progress_report(progress: Progress, now: datetime) -> ProgressReport:
    """The report ``tutor progress`` prints, from the bank, the templates and the database."""
    from tutor.content.quiz import bundled_bank
    from tutor.teach.generated import TEMPLATES

    by_topic: dict[str, list[str]] = {}
    for question in bundled_bank().questions:
        by_topic.setdefault(question.topic, []).append(question.id)
    for template in TEMPLATES.values():
        by_topic.setdefault(template.topic, []).append(template.id)
    states = progress.states(now)
    topics, untouched = mastery(states, progress.answer_counts(), by_topic, now)
    items = tuple(sorted(states.values(), key=lambda s: (s.due, s.item)))
    return ProgressReport(str(progress.path), now, topics, items, progress.count(), untouched)
