"""The quiz: the bank validates and every answer is computed, generated questions are seeded and
their wrong choices are real mistakes, answers are checked (and bad input refused), and the
command runs from a file, from stdin, in a real terminal, and as an Anki deck."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.content.quiz import KINDS, QuizError, bundled_bank, load_bank
from tutor.content.topics import topic_ids
from tutor.engine import trajectory
from tutor.render.latex_format import unmapped
from tutor.teach.generated import TEMPLATES, TOLERANCE, generate
from tutor.teach.grading import value_of
from tutor.teach.questions import expression_value, from_bank, solve_problem
from tutor.teach.quiz import (
    MAX_ANSWER,
    Command,
    Given,
    Refused,
    check,
    interpret,
    select,
)

ROOT = Path(__file__).resolve().parent.parent
BANK = bundled_bank()


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(
        app, list(args), input=input, env={"COLUMNS": "120", "NO_COLOR": "1", **(env or {})}
    )


# --- The bank ------------------------------------------------------------------------------------


def test_the_bank_is_large_and_has_every_kind_and_difficulty() -> None:
    assert len(BANK) >= 60
    assert {q.kind for q in BANK.questions} == set(KINDS)
    assert {q.difficulty for q in BANK.questions} == {1, 2, 3}
    assert all(q.explanation.strip() for q in BANK.questions)


# The topics of the source documents the issue lists (each a topic of the registry).
SOURCE_TOPICS = (
    *("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "bias-correction", "adamw"),
    *("weight-decay-vs-l2", "nadam", "radam", "adamax", "lion", "muon", "adafactor"),
    *("adam-8bit", "newton", "lbfgs", "natural-gradient", "learning-rate", "warmup"),
    *("cosine-annealing", "onecycle", "cyclical-lr", "reduce-on-plateau", "gradient-clipping"),
    *("minibatch", "mixed-precision", "zero", "cross-entropy", "focal-loss", "infonce"),
    *("contrastive-and-triplet", "l1-l2", "batchnorm-vs-layernorm", "convexity"),
    *("saddle-points", "kkt", "conventions"),
)


def test_every_source_topic_has_questions() -> None:
    """Topics are one registry: every bank topic is a registry topic, and every topic of the
    source documents has questions."""
    topics = {q.topic for q in BANK.questions}
    assert topics <= set(topic_ids())
    assert set(SOURCE_TOPICS) <= set(topic_ids())
    assert sorted(set(SOURCE_TOPICS) - topics) == []


@pytest.mark.parametrize(
    "question",
    [q for q in BANK.questions if q.kind == "numeric"],
    ids=lambda q: q.id,
)
def test_every_numeric_answer_is_recomputed(question) -> None:
    """A ``solve`` answer is the engine's value at that step (run here again, apart from the
    quiz's own path); an ``expression`` goes through the safe parser. Both are finite."""
    asked = from_bank(question)
    compute = question.compute
    if compute.expression is not None:
        assert asked.answer == expression_value(compute.expression)
    else:
        problem = solve_problem(question)
        run_ = trajectory(problem.config, problem.loss, problem.theta0, problem.steps)
        expected = value_of(run_.step(compute.solve.step), compute.solve.quantity)
        assert asked.answer == float(np.ravel(expected)[0])
    assert math.isfinite(asked.answer)
    assert check(asked, Given(repr(asked.answer), asked.answer)).correct


@pytest.mark.parametrize(
    "question", [q for q in BANK.questions if q.kind == "symbolic"], ids=lambda q: q.id
)
def test_every_symbolic_answer_parses_and_is_accepted(question) -> None:
    asked = from_bank(question)
    action = interpret(asked, question.answer)
    assert isinstance(action, Given)
    verdict = check(asked, action)
    assert verdict.correct
    wrong = interpret(asked, f"({question.answer}) + 1")
    assert not check(asked, wrong).correct


def test_every_question_prints_in_latex() -> None:
    """No character of a prompt, choice, hint or explanation lacks a LaTeX form."""
    missing = {
        q.id: unmapped(text)
        for q in BANK.questions
        for text in (q.prompt, q.explanation, q.hint or "", *q.choices)
        if unmapped(text)
    }
    assert missing == {}


def _write(folder: Path, body: str) -> Path:
    path = folder / "bad.toml"
    path.write_text("format_version = 1\n" + body, encoding="utf-8")
    return path


GOOD = """
[[question]]
id = "fine"
topic = "adam"
kind = "truefalse"
difficulty = 1
prompt = "Adam keeps two moments."
explanation = "m and v."
answer = true
"""


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            GOOD.replace("answer = true", "answer = true\nanswr = 1"),
            "question[fine].answr: unknown key (did you mean 'answer'?)",
        ),
        (
            GOOD.replace('"adam"', '"adamm"'),
            "question[fine].topic: 'adamm' is not a topic (did you mean 'adam'?)",
        ),
        (
            GOOD.replace("difficulty = 1", "difficulty = 4"),
            "question[fine].difficulty: must be 1, 2 or 3, got integer 4",
        ),
        (
            GOOD.replace('id = "fine"', 'id = "Fine One"'),
            "question[0].id: must be lowercase letters and digits joined by single hyphens, got "
            "string 'Fine One'",
        ),
        (
            GOOD.replace('kind = "truefalse"', 'kind = "choice"').replace(
                "answer = true", 'choices = ["a", "b", "c"]\nanswer = 3'
            ),
            "question[fine].answer: must be from 0 to 2 (an index into choices)",
        ),
        (
            GOOD.replace('kind = "truefalse"', 'kind = "numeric"').replace(
                "answer = true", '[question.compute]\nexpression = "x + 1"'
            ),
            "question[fine].compute.expression: expression 'x + 1': unknown name 'x' "
            "(parameters: none) at column 1",
        ),
        (
            GOOD.replace('kind = "truefalse"', 'kind = "numeric"').replace(
                "answer = true",
                '[question.compute]\nsolve = { optimizer = "adam", loss = "theta**2", '
                'theta = [1.0], quantity = "v_hatt", step = 1 }',
            ),
            "question[fine].compute.solve.quantity: adam computes no 'v_hatt' (did you mean "
            "'v_hat'?) (known: g, loss, loss_next, m, v, m_hat, v_hat, update, theta_next)",
        ),
        (
            GOOD.replace('kind = "truefalse"', 'kind = "symbolic"').replace(
                "answer = true", 'answer = "2*y"\nvariables = ["x"]'
            ),
            "question[fine].answer: expression '2*y': unknown name 'y' (parameters: x) at column 3",
        ),
        (GOOD + GOOD, "question[fine].id: already used in bad.toml"),
    ],
    ids=[
        "unknown-key",
        "topic",
        "difficulty",
        "id",
        "choice",
        "expression",
        "quantity",
        "symbolic",
        "duplicate",
    ],
)
def test_bad_questions_are_reported_by_file_question_and_key(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(QuizError) as error:
        load_bank(tmp_path)
    assert error.value.problems == (f"{path}: {problem}",)


def test_every_problem_of_a_folder_is_collected(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("difficulty = 1", "").replace('"adam"', '"nope"'))
    with pytest.raises(QuizError) as error:
        load_bank(tmp_path)
    assert [p.split(": ", 1)[1] for p in error.value.problems] == [
        "question[fine].topic: 'nope' is not a topic",
        "question[fine].difficulty: is missing",
    ]
    assert error.value.message.startswith("2 problems in the quiz bank; ")


# --- Generated questions -------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", list(TEMPLATES))
def test_the_same_seed_gives_the_same_question(template_id: str) -> None:
    first, second = generate(template_id, 11), generate(template_id, 11)
    assert (first.id, first.prompt, first.choices, first.answer) == (
        second.id,
        second.prompt,
        second.choices,
        second.answer,
    )
    assert first.id == f"{template_id}:11" and first.item == template_id


@pytest.mark.parametrize("template_id", list(TEMPLATES))
def test_different_seeds_give_different_numbers(template_id: str) -> None:
    answers = {generate(template_id, seed, kind="numeric").answer for seed in range(10)}
    assert len(answers) == 10


@pytest.mark.parametrize("template_id", [t.id for t in TEMPLATES.values() if "choice" in t.kinds])
def test_wrong_choices_are_mistaken_variants_never_the_answer(template_id: str) -> None:
    """Each wrong choice is the engine's value under the named mistake; none is within the
    tolerance of the answer or of another choice; the right choice is the answer."""
    made = 0
    for seed in range(12):
        asked = generate(template_id, seed, kind="choice")
        if asked.kind != "choice":
            continue
        made += 1
        assert 3 <= len(asked.choices) <= 4
        mistaken = asked.worked.mistaken
        values = []
        for text, mistake in zip(asked.choices, asked.choice_mistakes, strict=True):
            value = asked.worked.value if mistake is None else mistaken[mistake]
            assert TOLERANCE.accepts(float(text), value)
            values.append(value)
        assert asked.choice_mistakes.count(None) == 1
        assert asked.choice_mistakes[asked.answer] is None
        for i, value in enumerate(values):
            for other in values[i + 1 :]:
                assert not TOLERANCE.accepts(value, other)
                assert not TOLERANCE.accepts(other, value)
    assert made >= 3


def test_the_cosine_schedule_question_matches_torchs_closed_form() -> None:
    """ηₜ = η_min + (η₀ − η_min)·(1 + cos(π·k/T_max))/2 with k = t − 1 scheduler steps; a
    schedule has no mistaken variants, so its questions are numeric even when a choice is
    asked for."""
    if "gen:cosine-lr" not in TEMPLATES:
        pytest.skip("no schedules in the engine")
    for seed in range(5):
        asked = generate("gen:cosine-lr", seed, kind="choice")
        arguments = dict(
            part.split("=")
            for part in asked.prompt.split("(optimizer, ")[1].split(")")[0].split(", ")
        )
        lr = float(asked.prompt.split("lr = ")[1].split(",")[0])
        step = int(asked.prompt.split("optimizer step ")[1].split(" ")[0])
        t_max, eta_min = float(arguments["T_max"]), float(arguments["eta_min"])
        expected = eta_min + (lr - eta_min) * (1 + math.cos(math.pi * (step - 1) / t_max)) / 2
        assert asked.kind == "numeric"
        assert asked.answer == pytest.approx(expected, rel=1e-12)
        assert [line.key for line in asked.formulas] == ["lr"]


def test_a_choice_question_with_too_few_wrong_choices_is_asked_as_a_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tutor.teach.generated as generated

    monkeypatch.setattr(generated, "_distractors", lambda *args: [("sign-error", 1.0)])
    asked = generate("gen:adam-v_hat", 3, kind="choice")
    assert asked.kind == "numeric" and asked.choices == ()


def test_a_wrong_choice_names_its_mistake() -> None:
    asked = next(
        a
        for seed in range(20)
        if (a := generate("gen:adamw-theta", seed, kind="choice")).kind == "choice"
    )
    wrong = next(i for i, m in enumerate(asked.choice_mistakes) if m is not None)
    verdict = check(asked, Given("x", wrong))
    assert not verdict.correct
    assert [d.mistake for d in verdict.mistakes] == [asked.choice_mistakes[wrong]]


def test_a_number_from_a_mistake_is_named() -> None:
    asked = generate("gen:adam-v_hat", 1, kind="numeric")
    forgot = asked.worked.mistaken["no-bias-correction"]
    verdict = check(asked, Given(f"{forgot:.6g}", float(f"{forgot:.6g}")))
    assert not verdict.correct
    assert [d.mistake for d in verdict.mistakes] == ["no-bias-correction"]
    assert check(asked, Given("x", float(f"{asked.answer:.4g}"))).correct


# --- Reading answers -----------------------------------------------------------------------------

HOSTILE = [
    None,
    "",
    "   ",
    "garbage",
    "x" * 10_000,
    "__import__('os').system('echo hi')",
    "().__class__.__bases__[0].__subclasses__()",
    "'; DROP TABLE answers; --",
    "\x00\x1b[2J",
    "9" * 400,
    "1e999",
    "f",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:20])
def test_bad_input_is_refused_never_raised(kind: str, text: str | None) -> None:
    asked = from_bank(next(q for q in BANK.questions if q.kind == kind))
    action = interpret(asked, text)
    if isinstance(action, Given):  # 'f' is an answer to a true/false question
        assert (kind, text) == ("truefalse", "f")
        return
    assert isinstance(action, Refused)
    assert "\n" not in action.reason and len(action.reason) < 300


def test_long_answers_are_refused_with_their_length() -> None:
    asked = from_bank(next(q for q in BANK.questions if q.kind == "numeric"))
    assert interpret(asked, "1" * (MAX_ANSWER + 1)) == Refused(
        f"that answer has {MAX_ANSWER + 1} characters; answers are at most {MAX_ANSWER}"
    )


def test_commands_and_answers() -> None:
    choice = from_bank(next(q for q in BANK.questions if q.kind == "choice"))
    numeric = from_bank(next(q for q in BANK.questions if q.kind == "numeric"))
    assert [interpret(choice, t) for t in ("?", "hint", "q", "skip", "B", "c)")] == [
        Command("hint"),
        Command("hint"),
        Command("quit"),
        Command("skip"),
        Given("B", 1),
        Given("c)", 2),
    ]
    assert interpret(numeric, "1/4") == Given("1/4", 0.25)
    assert interpret(numeric, "-2.5e-3") == Given("-2.5e-3", -0.0025)


# --- The command ---------------------------------------------------------------------------------


def _session(*args: str, answers: list[str], env: dict[str, str] | None = None):
    result = run(
        "quiz", *args, "--format", "json", input="".join(a + "\n" for a in answers), env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_a_session_from_stdin_grades_and_names_the_mistake() -> None:
    """The generated Adam question answered with its no-bias-correction value: wrong, and the
    feedback names the mistake; the bank question answered right."""
    chosen = select(n=2, topic="adam", kind="numeric", seed=3).questions
    generated = chosen[0]
    assert generated.template == "gen:adam-v_hat"
    forgot = generated.worked.mistaken["no-bias-correction"]
    data, stderr = _session(
        "--topic",
        "adam",
        "--kind",
        "numeric",
        "-n",
        "2",
        "--seed",
        "3",
        answers=[f"{forgot:.6g}", f"{chosen[1].answer:.5g}"],
    )
    assert stderr == ""
    first, second = data["answers"]
    assert first["question"]["id"] == generated.id
    assert (first["correct"], first["rating"]) == (False, "again")
    assert first["mistakes"] == [
        {"id": "no-bias-correction", "description": "forgot bias correction"}
    ]
    worked = first["question"]["worked"]
    assert (worked["quantity"], worked["step"]) == ("v_hat", len(worked["steps"]))
    assert (second["correct"], second["rating"]) == (True, "good")
    assert (data["correct"], data["answered"], data["ending"]) == (1, 2, "completed")
    assert data["by_topic"] == [{"topic": "adam", "correct": 1, "answered": 2}]


def test_the_rich_report_shows_the_worked_table_with_the_asked_row() -> None:
    result = run(
        "quiz",
        "--topic",
        "adam",
        "--kind",
        "numeric",
        "-n",
        "1",
        "--seed",
        "3",
        input="0.1\n",
    )
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "← asked" in line)
    assert row.split()[:2] == ["│", "→"] and "v̂ₜ" in row
    assert "Wrong: you answered 0.1; the answer is" in result.stdout


def test_bad_input_at_the_prompt_is_reported_and_asked_again() -> None:
    chosen = select(n=1, topic="adam", kind="choice", seed=8).questions[0]
    right = "abcde"[chosen.answer]
    lines = ["", "garbage", "x" * 10_000, "__import__('os')", "?", right]
    data, stderr = _session(
        "--topic", "adam", "--kind", "choice", "-n", "1", "--seed", "8", answers=lines
    )
    last = "abcde"[len(chosen.choices) - 1]
    assert stderr.splitlines() == [
        f"question 1: empty answer: type a letter from a to {last}, skip, or q to stop",
        f"question 1: 'garbage' is not a choice: type a letter from a to {last}, skip, or q to "
        "stop",
        f"question 1: that answer has 10,000 characters; answers are at most {MAX_ANSWER}",
        f"question 1: \"__import__('os')\" is not a choice: type a letter from a to {last}, "
        "skip, or q to stop",
        "question 1: no hint here" if chosen.hint is None else f"question 1: hint: {chosen.hint}",
    ]
    (answer,) = data["answers"]
    assert (answer["correct"], answer["given"]) == (True, right)
    assert answer["rating"] == ("good" if chosen.hint is None else "hard")


def test_bytes_that_are_not_utf8_are_refused_not_a_crash() -> None:
    result = CliRunner().invoke(
        app, ["quiz", "-n", "1", "--seed", "5", "-f", "json"], input=b"\xff\xfe\x00\n"
    )
    assert result.exit_code == 0
    assert result.stderr.startswith("question 1: '\ufffd\ufffd\\x00' is not a choice")
    assert json.loads(result.stdout)["ending"] == "end-of-input"


@pytest.mark.parametrize(
    ("answers", "ending", "count"),
    [([], "end-of-input", 0), (["skip", "q"], "quit", 1), (["skip"], "end-of-input", 1)],
    ids=["eof", "quit", "skip-then-eof"],
)
def test_a_session_ends_cleanly(answers: list[str], ending: str, count: int) -> None:
    data, _ = _session("-n", "3", "--seed", "5", answers=answers)
    assert (data["ending"], data["answered"], data["planned"]) == (ending, count, 3)
    if count:
        assert data["answers"][0]["skipped"] and data["answers"][0]["rating"] == "again"


def test_answers_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"
    path.write_text("1\n2\n", encoding="utf-8")
    data, _ = _session(
        "--kind",
        "numeric",
        "--topic",
        "adam",
        "-n",
        "2",
        "--seed",
        "3",
        "--answers",
        str(path),
        answers=[],
    )
    assert [a["given"] for a in data["answers"]] == ["1", "2"]


def test_the_bank_as_json() -> None:
    result = run("quiz", "--list", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["questions"] == [
        {"id": q.id, "topic": q.topic, "kind": q.kind, "difficulty": q.difficulty}
        for q in BANK.questions
    ]
    assert [t["id"] for t in data["templates"]] == list(TEMPLATES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "adamm"], "error: unknown topic 'adamm' (did you mean 'adam'?)"),
        (
            ["--answers", "/no/such/file"],
            "error: --answers /no/such/file: No such file or directory",
        ),
        (
            ["--topic", "kkt", "--difficulty", "3", "--kind", "symbolic"],
            "error: no quiz question matches topic kkt and kind symbolic and difficulty 3",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run("quiz", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n")


def test_more_questions_than_the_topic_has_are_generated() -> None:
    chosen = select(n=12, topic="adam", seed=4).questions
    assert len(chosen) == 12
    assert len({q.id for q in chosen}) == 12
    assert sum(q.generated for q in chosen) == 12 - sum(q.topic == "adam" for q in BANK.questions)


# --- A real terminal -----------------------------------------------------------------------------


def test_a_student_at_a_terminal(tmp_path: Path) -> None:
    """Arrow keys and letters answer choices, Ctrl-C stops with the score, and progress
    remembers the answers next time."""
    pexpect = pytest.importorskip("pexpect")
    home = tmp_path / "home"
    env = {**os.environ, "TUTOR_HOME": str(home), "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    chosen = select(n=3, topic="adam", seed=8).questions
    assert [q.kind for q in chosen] == ["choice", "choice", "numeric"]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tutor", "quiz", "--topic", "adam", "-n", "3", "--seed", "8"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
    try:
        child.expect("Question 1 of 3")
        child.expect("Enter to answer")
        child.send("\x1b[B")  # down to b, then back up to a
        child.send("\x1b[A")
        for _ in range(chosen[0].answer):
            child.send("\x1b[B")
        child.send("\r")
        child.expect("Right: ")
        child.expect("Question 2 of 3")
        child.expect("Enter to answer")
        child.send("?")
        child.expect("hint|no hint here")
        child.expect("Enter to answer")
        child.send("abcde"[(chosen[1].answer + 1) % len(chosen[1].choices)] + "\r")
        child.expect("Wrong")
        child.expect("answer> ")
        child.sendcontrol("c")
        child.expect("2 of 3 questions answered \\(stopped with Ctrl-C\\)")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    result = run("progress", "--format", "json", env={"TUTOR_HOME": str(home)})
    data = json.loads(result.stdout)
    assert data["answers"] == 2
    assert {(i["item"], i["last_correct"]) for i in data["items"]} == {
        (chosen[0].id, True),
        (chosen[1].id, False),
    }


# --- Anki ----------------------------------------------------------------------------------------


def test_anki_deck(tmp_path: Path) -> None:
    import genanki

    path = tmp_path / "deck.apkg"
    result = run("quiz", "--export-anki", str(path), "--seed", "4")
    assert result.exit_code == 0, result.output
    generated = [f"{t}:{4 + i}" for t in TEMPLATES for i in range(5)]
    ids = [q.id for q in BANK.questions] + generated
    assert result.stderr == f"wrote {path} ({len(ids)} notes)\n"
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        rows = db.execute("SELECT guid, flds FROM notes").fetchall()
    finally:
        db.close()
    by_guid = {guid: fields.split("\x1f") for guid, fields in rows}
    assert set(by_guid) == {genanki.guid_for(i) for i in ids}
    for question_id in ids:
        fields = by_guid[genanki.guid_for(question_id)]
        assert fields[0] == question_id
    symbolic = next(q for q in BANK.questions if q.kind == "symbolic")
    assert r"\(" in by_guid[genanki.guid_for(symbolic.id)][2]
    worked = by_guid[genanki.guid_for(generated[0])][2]
    assert r"\hat{v}_t = " in worked and "← asked" in worked


def test_a_session_of_every_kind_prints_in_every_format() -> None:
    """Right, wrong, skipped and hinted answers of every kind (a bank number asking the loss
    after a step, a generated choice with its mistake) in Rich, Markdown, LaTeX and JSON."""
    from test_render import check_latex_fragment, check_markdown

    from tutor.render import registry
    from tutor.teach.quiz import SKIPPED, Answered, QuizSession

    by_id = BANK.by_id
    loss_next = next(
        q
        for q in BANK.questions
        if q.compute and q.compute.solve and q.compute.solve.quantity == "loss_next"
    )
    generated = next(
        a
        for seed in range(20)
        if (a := generate("gen:sgd-nesterov-theta", seed, kind="choice")).kind == "choice"
    )
    picks = [
        (from_bank(by_id["adam-state-tensors"]), "a", False),
        (from_bank(by_id["bias-correction-constant-gradient"]), "f", True),
        (from_bank(by_id["adagrad-step-size-with-a-steady-gradient"]), "eta/t", False),
        (from_bank(by_id["adam-without-bias-correction-first-step"]), "3.162", False),
        (from_bank(loss_next), "0.5", False),
        (generated, "abcd"[generated.choice_mistakes.index("sign-error")], False),
        (generate("gen:cosine-lr", 1), "0.05", False),
    ]
    answered = [
        Answered(i, asked, check(asked, interpret(asked, text)), hinted)
        for i, (asked, text, hinted) in enumerate(picks, start=1)
    ]
    answered.append(Answered(8, from_bank(by_id["lion-optimizer-state"]), SKIPPED))
    session = QuizSession(5, 9, tuple(answered), "interrupted", notes=("a note",), saved="x.db")
    assert [a.verdict.correct for a in answered] == [True] + [False] * 2 + [True] + [False] * 4
    assert answered[2].verdict.note.startswith("at eta = ")
    assert [d.mistake for d in answered[5].verdict.mistakes] == ["sign-error"]
    text = registry.render_text(session, "rich", width=140)
    assert "Likely mistake: sign error in the update (θ + Δθ)." in text
    assert "L(θ₁) = " in text and "Skipped. The answer is c) " in text
    assert "→ ηₜ" in text
    assert "2 of 8 right (25%); 8 of 9 questions answered (stopped with Ctrl-C)." in text
    check_markdown(registry.render_text(session, "markdown"))
    check_latex_fragment(registry.render_text(session, "latex"))
    data = json.loads(registry.render_text(session, "json"))
    assert [a["rating"] for a in data["answers"]] == ["good", "again", "again", "good"] + [
        "again"
    ] * 4
    assert data["answers"][5]["question"]["choice_mistakes"] == list(generated.choice_mistakes)
