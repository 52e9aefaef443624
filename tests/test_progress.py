"""Progress: answers and FSRS schedules in SQLite that survive kill -9, a corrupt file set aside
and reported, review order, reset, export, and the report in every format."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.errors import TutorError
from tutor.render import registry
from tutor.teach.progress import (
    FILE_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    open_progress,
    parse_now,
    progress_report,
    transaction,
)
from tutor.teach.quiz import select

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def run(*args: str, input: str | None = None, now: datetime | None = None):
    env = {"COLUMNS": "120", "NO_COLOR": "1"}
    if now is not None:
        env["TUTOR_NOW"] = now.isoformat()
    return CliRunner().invoke(app, list(args), input=input, env=env)


def _record(store, session: int, item: str, rating: str, now: datetime, topic: str = "adam"):
    return store.record(
        session,
        question=item,
        item=item,
        topic=topic,
        kind="choice",
        correct=rating != "again",
        hinted=rating == "hard",
        rating=rating,
        given="a",
        now=now,
    )


def test_a_new_database_has_the_schema_version(tmp_path: Path) -> None:
    store, note = open_progress(tmp_path / FILE_NAME)
    with store:
        version = store.connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            row[0]
            for row in store.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert (note, version, SCHEMA_VERSION) == (None, len(MIGRATIONS), 1)
    assert tables == {"sessions", "answers", "cards"}


@pytest.mark.parametrize(
    ("rating", "name"), [("again", "Again"), ("hard", "Hard"), ("good", "Good")]
)
def test_ratings_are_fsrs_ratings(tmp_path: Path, rating: str, name: str) -> None:
    """Wrong is Again, right after a hint is Hard, right is Good: the card is what FSRS itself
    makes of that rating."""
    from fsrs import Card, Rating, Scheduler

    with open_progress(tmp_path / FILE_NAME)[0] as store:
        session = store.start_session(1, 1, False, T0)
        state = _record(store, session, "adam-state-tensors", rating, T0)
    expected, _ = Scheduler(enable_fuzzing=False).review_card(
        Card(card_id=1, due=T0), Rating[name], review_datetime=T0
    )
    assert (state.due, state.stability, state.difficulty) == (
        expected.due,
        expected.stability,
        expected.difficulty,
    )
    assert (state.reviews, state.lapses, state.last_correct) == (
        1,
        int(rating == "again"),
        rating != "again",
    )


def test_tutor_now_must_be_a_time() -> None:
    assert parse_now("2025-03-01T09:00:00Z") == T0
    assert parse_now("2025-03-01T09:00:00") == T0
    with pytest.raises(TutorError, match="TUTOR_NOW must be an ISO 8601 time"):
        parse_now("tomorrow")


# --- Review --------------------------------------------------------------------------------------


def test_review_puts_wrong_then_due_questions_first() -> None:
    """With the clock fixed by TUTOR_NOW: a first session answers three adam questions (one
    wrong); five minutes later the wrong one (due after 1 minute) comes first, the right ones
    (due after 10 minutes) last; a day later the right ones, now due, come before the unseen."""
    first = select(n=3, topic="adam", kind="choice", seed=8).questions
    answers = [
        "abcde"[first[0].answer],
        "abcde"[(first[1].answer + 1) % 3],
        "abcde"[first[2].answer],
    ]
    result = run(
        "quiz",
        "--topic",
        "adam",
        "--kind",
        "choice",
        "-n",
        "3",
        "--seed",
        "8",
        "-f",
        "json",
        input="\n".join(answers) + "\n",
        now=T0,
    )
    assert [a["correct"] for a in json.loads(result.stdout)["answers"]] == [True, False, True]
    wrong, right = first[1].item, {first[0].item, first[2].item}
    unseen = {"adam-second-moment-at-step-two", "adam-without-bias-correction-first-step"}

    def order(now: datetime) -> list[str]:
        review = run(
            "quiz",
            "--review",
            "--topic",
            "adam",
            "-n",
            "5",
            "--seed",
            "1",
            "-f",
            "json",
            input="skip\n" * 5,
            now=now,
        )
        assert review.exit_code == 0, review.output
        return [a["question"]["item"] for a in json.loads(review.stdout)["answers"]]

    soon = order(T0 + timedelta(minutes=5))
    assert soon[0] == wrong and set(soon[1:3]) == unseen and set(soon[3:]) == right
    # The review skipped everything, so now all five were last answered wrong.
    later = order(T0 + timedelta(days=1))
    assert later[0] == wrong


def test_review_order_by_state(tmp_path: Path) -> None:
    with open_progress(tmp_path / FILE_NAME)[0] as store:
        session = store.start_session(1, 3, False, T0)
        _record(store, session, "adam-state-tensors", "good", T0)
        _record(store, session, "adam-first-step-is-sign-like", "again", T0)
        _record(store, session, "gen:adam-v_hat", "good", T0 - timedelta(hours=1))
        states = store.states(T0)
    chosen = select(n=5, topic="adam", seed=2, review=states, now=T0).questions
    assert [q.item for q in chosen][:2] == ["adam-first-step-is-sign-like", "gen:adam-v_hat"]
    assert chosen[-1].item == "adam-state-tensors"


# --- Safety --------------------------------------------------------------------------------------

WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from tutor.teach.progress import open_progress
store, _ = open_progress(Path(sys.argv[1]))
session = store.start_session(0, 0, False, datetime.now(UTC))
print("writing", flush=True)
i = 0
while True:
    store.record(session, question=f"q{i % 40}", item=f"q{i % 40}", topic="adam",
                 kind="choice", correct=i % 3 != 0, hinted=False,
                 rating="good" if i % 3 else "again", given="a" * 400, now=datetime.now(UTC))
    i += 1
"""


def _count(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_kill_9_mid_write_leaves_the_database_intact(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(2):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env, text=True
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
            before = _count(path)
            deadline = time.monotonic() + 20
            while _count(path) < before + 10 + 7 * round_ and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.wait(10)
        assert writer.returncode == -signal.SIGKILL
        store, note = open_progress(path)
        with store:
            db = store.connection
            assert note is None
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            answers = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            reviews = db.execute("SELECT COALESCE(SUM(reviews), 0) FROM cards").fetchone()[0]
            assert answers == reviews > before  # every answer is in its card: no half-writes


def test_a_file_that_is_not_a_database_is_set_aside_and_reported(
    tutor_home: Path,
) -> None:
    tutor_home.mkdir()
    path = tutor_home / FILE_NAME
    path.write_bytes(b"not a database at all\n" * 100)
    result = run("progress", now=T0)
    assert result.exit_code == 0
    aside = tutor_home / f"{FILE_NAME}.corrupt-20250301T090000Z"
    assert result.stderr == (
        f"warning: progress database {path} is not a readable SQLite database (file is not a "
        f"database); moved it to {aside} and started afresh\n"
    )
    assert aside.read_bytes() == b"not a database at all\n" * 100
    assert "No answers yet" in result.stdout
    assert run("progress", now=T0).stderr == ""


def test_a_damaged_database_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with open_progress(path)[0] as store:
        session = store.start_session(1, 1, False, T0)
        _record(store, session, "adam-state-tensors", "good", T0)
        with transaction(store.connection) as db:  # more pages, in one transaction
            db.executemany(
                "INSERT INTO answers (session, question, item, topic, kind, correct, hinted, "
                "rating, given, answered) VALUES (?, 'q', 'q', 'adam', 'choice', 1, 0, 'good', "
                "?, ?)",
                [(session, "a" * 200, T0.isoformat())] * 300,
            )
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 4 * page] = b"\xff" * (2 * page)
    path.write_bytes(bytes(data))
    store, note = open_progress(path, T0)
    with store:
        assert store.count() == 0
    assert note is not None and note.startswith(f"progress database {path} ")
    assert note.endswith(f"moved it to {path}.corrupt-20250301T090000Z and started afresh")
    assert Path(f"{path}.corrupt-20250301T090000Z").read_bytes() == bytes(data)


def test_a_newer_schema_is_refused_not_set_aside(tutor_home: Path) -> None:
    tutor_home.mkdir()
    path = tutor_home / FILE_NAME
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    result = run("progress")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {path} has schema version 99, newer than this tutor's (1); upgrade tutor, "
        "or set TUTOR_HOME to use another folder\n"
    )
    assert path.exists()


# --- The command ---------------------------------------------------------------------------------


def _answer_some() -> None:
    result = run(
        "quiz",
        "--topic",
        "adam",
        "--kind",
        "choice",
        "-n",
        "2",
        "--seed",
        "8",
        input="a\nb\n",
        now=T0,
    )
    assert result.exit_code == 0, result.output


def test_reset_asks_first(tutor_home: Path) -> None:
    _answer_some()
    path = tutor_home / FILE_NAME
    declined = run("progress", "--reset", input="n\n")
    assert declined.exit_code == 1
    assert declined.stderr == (
        f"Erase all progress in {path} (2 answers)? [y/N]: n\nnothing erased\n"
    )
    assert json.loads(run("progress", "-f", "json").stdout)["answers"] == 2
    accepted = run("progress", "--reset", input="y\n")
    assert accepted.exit_code == 0
    assert accepted.stderr.endswith(f"erased 2 answers from {path}\n")
    assert json.loads(run("progress", "-f", "json").stdout)["answers"] == 0
    _answer_some()
    scripted = run("progress", "--reset", "--yes")
    assert (scripted.exit_code, scripted.stderr) == (0, f"erased 2 answers from {path}\n")


def test_export_writes_every_answer(tmp_path: Path) -> None:
    _answer_some()
    data = json.loads(run("progress", "--export", "-").stdout)
    assert (data["format_version"], data["schema_version"]) == (1, SCHEMA_VERSION)
    assert [(a["item"], a["answered"]) for a in data["answers"]] == [
        (q.item, T0.isoformat()) for q in select(n=2, topic="adam", kind="choice", seed=8).questions
    ]
    assert len(data["cards"]) == 2 and data["sessions"][0]["ending"] == "completed"
    target = tmp_path / "export.json"
    result = run("progress", "--export", str(target))
    assert result.stderr == f"wrote {target}\n"
    assert json.loads(target.read_text(encoding="utf-8")) == data


def test_the_report_in_every_format(tmp_path: Path) -> None:
    from test_render import check_latex_fragment, check_markdown

    with open_progress(tmp_path / FILE_NAME)[0] as store:
        session = store.start_session(1, 3, False, T0)
        _record(store, session, "adam-state-tensors", "good", T0)
        _record(store, session, "gen:adam-v_hat", "again", T0)
        _record(store, session, "momentum-buffer-after-three-steps", "hard", T0, "momentum")
        report = progress_report(store, T0 + timedelta(minutes=5))
    adam = next(t for t in report.topics if t.topic == "adam")
    assert (adam.items, adam.seen, adam.answers, adam.right, adam.due) == (5, 2, 2, 1, 1)
    text = registry.render_text(report, "rich")
    assert "adam     |" in text and "wrong" in text and "in 5 min" in text
    check_markdown(registry.render_text(report, "markdown"))
    check_latex_fragment(registry.render_text(report, "latex"))
    data = json.loads(registry.render_text(report, "json"))
    assert [t["topic"] for t in data["topics"]] == ["adam", "momentum"]
