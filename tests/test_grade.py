"""``tutor grade``: answer files graded against the engine, with the mistake named.

The bundled exercises are enumerated (none listed by hand); mistakes come from the registry.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.content.exercises import (
    bundled_exercises,
    exercise_variant,
    variant_number,
)
from tutor.content.tolerances import DEFAULT_TOLERANCE, Tolerance
from tutor.teach.grading import Grader, grade, value_of
from tutor.teach.mistakes import MISTAKES, variants
from tutor.teach.templates import answer_template

EXERCISES = bundled_exercises()
IDS = [e.id for e in EXERCISES]


def run(*args: str, env: dict[str, str] | None = None):
    base = {"COLUMNS": "160", "NO_COLOR": "1", "GITHUB_ACTIONS": "false"}
    return CliRunner().invoke(app, list(args), env={**base, **(env or {})})


def answer_file(path: Path, exercise: str, steps: dict[int, dict[str, Any]], **top: Any) -> Path:
    lines = ["format_version = 1", f"exercise = {json.dumps(exercise)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in top.items()]
    for t, values in steps.items():
        lines.append(f"[answers.step{t}]")
        for key, value in values.items():
            lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def round_sig(value: Any, figures: int = 4) -> Any:
    array = np.asarray(value, dtype=float)
    rounded = [float(f"{x:.{figures}g}") for x in array.ravel()]
    return rounded[0] if array.size == 1 else rounded


# --- The keys and the worked example -------------------------------------------------------------


@pytest.mark.parametrize("exercise", IDS)
def test_the_solved_template_grades_100_percent(exercise: str, tmp_path: Path) -> None:
    key = tmp_path / "key.toml"
    key.write_text(answer_template(exercise, solved=True), encoding="utf-8")
    report = grade([key])
    assert report.errors == ()
    (graded,) = report.files
    assert graded.score == graded.max_score > 0
    assert report.exit_code == 0


@pytest.mark.parametrize("exercise", IDS)
def test_honest_rounding_to_four_figures_passes(exercise: str, tmp_path: Path) -> None:
    prepared = Grader().prepared(next(e for e in EXERCISES if e.id == exercise), None)
    steps = {
        t: {
            key: round_sig(value)
            for key in prepared.exercise.ask
            if (value := value_of(prepared.run.step(t), key)) is not None
        }
        for t in range(1, prepared.exercise.steps + 1)
    }
    report = grade([answer_file(tmp_path / "a.toml", exercise, steps)])
    wrong = [i for f in report.files for i in f.items if i.status not in ("correct", "missing")]
    assert wrong == []


def test_forgot_bias_correction_is_named(tmp_path: Path) -> None:
    path = answer_file(
        tmp_path / "ada.toml",
        "adamw-worked-example",
        {1: {"g": 2, "m": 0.2, "v": 0.004, "m_hat": 0.2, "v_hat": 0.004}},
        student="ada",
    )
    junit = tmp_path / "report.xml"
    result = run("grade", str(path), "--junit", str(junit))
    assert result.exit_code == 1
    assert "likely mistake: forgot bias correction" in result.stdout
    failures = [f.get("message") for f in ET.parse(junit).getroot().iter("failure")]
    m_hat = next(m for m in failures if m.startswith("step 1: m_hat"))
    assert m_hat == (
        "step 1: m_hat: wrong; you gave 0.2; expected 2; likely mistake: forgot bias correction"
    )


def test_the_papers_decay_is_named(tmp_path: Path) -> None:
    path = answer_file(tmp_path / "cy.toml", "adamw-worked-example", {1: {"theta_next": 1.88}})
    report = grade([path])
    (item,) = [i for i in report.files[0].items if i.key == "theta_next"]
    assert item.status == "wrong"
    assert [d.description for d in item.diagnosis] == [
        "decay not multiplied by the learning rate (the AdamW paper's form)"
    ]
    assert report.exit_code == 1


def test_errors_carried_forward_get_partial_credit(tmp_path: Path) -> None:
    path = answer_file(
        tmp_path / "bob.toml",
        "adamw-worked-example",
        {1: {"m": 0.3, "m_hat": 3.0}},  # m wrong; m̂ right from it (0.3 / (1 − 0.9))
    )
    items = {i.key: i for i in grade([path], carried_credit=0.25).files[0].items}
    assert items["m"].status == "wrong" and items["m"].points == 0
    assert items["m_hat"].status == "carried"
    assert items["m_hat"].points == 0.25
    assert items["m_hat"].carried == pytest.approx(3.0)


def test_answers_by_symbol_and_torch_name(tmp_path: Path) -> None:
    path = answer_file(
        tmp_path / "a.toml",
        "adamw-worked-example",
        {1: {"gₜ": 2, "exp_avg": 0.2, "exp_avg_sq": 0.004, "m̂": 2, "v̂ₜ": 4, "θₜ": 1.898}},
    )
    statuses = {i.key: i.status for i in grade([path]).files[0].items}
    assert statuses == {
        "g": "correct",
        "m": "correct",
        "v": "correct",
        "m_hat": "correct",
        "v_hat": "correct",
        "update": "missing",
        "theta_next": "correct",
        "loss_next": "missing",
    }


def test_gradient_expressions_are_compared_by_equivalence(tmp_path: Path) -> None:
    base = tmp_path / "e.toml"

    def expression(text: str) -> Any:
        base.write_text(
            'format_version = 1\nexercise = "sgd-one-step"\n[answers]\n'
            f"gradient = {json.dumps(text)}\n",
            encoding="utf-8",
        )
        return next(i for i in grade([base]).files[0].items if i.key == "gradient")

    right = expression("2*theta - 6")
    assert (right.status, right.reason) == ("correct", "proved equal")
    assert expression("2*(theta - 3)").status == "correct"
    wrong = expression("2*(theta + 3)")
    assert wrong.status == "wrong"
    assert wrong.reason.startswith("at theta = ")
    hostile = expression("__import__('os').system('echo hi')")
    assert hostile.status == "invalid"
    assert (
        "not allowed" in hostile.reason or "refused" in hostile.reason or "name" in hostile.reason
    )


# --- Every known wrong answer is rejected and named ----------------------------------------------


def _distinct(value: Any, expected: Any, tolerance: Tolerance) -> bool:
    """The mistake moves the value by clearly more than rounding can."""
    a, e = np.ravel(np.asarray(value, float)), np.ravel(np.asarray(expected, float))
    return any(abs(x - y) > 2 * tolerance.allowed(y) for x, y in zip(a, e, strict=True))


CASES = [
    pytest.param(exercise.id, mistake, id=f"{exercise.id}-{mistake}")
    for exercise in EXERCISES
    for mistake in variants(Grader().prepared(exercise, None).problem.config)
]


@pytest.mark.parametrize(("exercise_id", "mistake"), CASES)
def test_each_mistake_is_rejected_and_named(exercise_id: str, mistake: str, tmp_path: Path) -> None:
    grader = Grader()
    exercise = next(e for e in EXERCISES if e.id == exercise_id)
    prepared = grader.prepared(exercise, None)
    _, mistaken = prepared.variants().get(mistake, (None, None))
    if mistaken is None:
        pytest.skip("the exercise leaves this mistake out")
    steps: dict[int, dict[str, Any]] = {}
    checked = []
    for t in range(1, min(len(mistaken), exercise.steps) + 1):
        steps[t] = {}
        for key in exercise.ask:
            value = value_of(mistaken.step(t), key)
            expected = value_of(prepared.run.step(t), key)
            if value is None or expected is None or not np.all(np.isfinite(value)):
                continue
            steps[t][key] = round_sig(value)
            if _distinct(value, expected, exercise.tolerance_for(key)):
                checked.append((t, key))
    if not checked:
        pytest.skip("this mistake does not change any asked value here (indistinguishable)")
    items = {
        (i.step, i.key): i
        for i in grade([answer_file(tmp_path / "x.toml", exercise_id, steps)]).files[0].items
    }
    for t, key in checked:
        item = items[(t, key)]
        assert item.status in ("wrong", "carried"), (t, key, item)
        assert mistake in {d.mistake for d in item.diagnosis}, (t, key, item.diagnosis)


def test_every_mistake_applies_somewhere() -> None:
    applied = {m for case in CASES for m in [case.values[1]]}
    assert applied == set(MISTAKES), set(MISTAKES) - applied


def test_an_indistinguishable_mistake_is_not_claimed(tmp_path: Path) -> None:
    """β₁ and β₂ swapped leave m̂ and v̂ unchanged at t = 1: a right m̂ is right, and a wrong
    m̂ is never blamed on the swap."""
    path = answer_file(tmp_path / "a.toml", "adamw-worked-example", {1: {"m_hat": 2.5}})
    item = next(i for i in grade([path]).files[0].items if i.key == "m_hat")
    assert "betas-swapped" not in {d.mistake for d in item.diagnosis}


# --- Reports -------------------------------------------------------------------------------------


def test_hide_expected_keeps_the_answers_out(tmp_path: Path) -> None:
    path = answer_file(tmp_path / "a.toml", "adamw-worked-example", {1: {"m_hat": 0.2}})
    text = run("grade", str(path), "--hide-expected").stdout
    assert "forgot bias correction" in text
    assert "1.898" not in text and "0.102" not in text
    data = json.loads(run("grade", str(path), "--hide-expected", "-f", "json").stdout)
    items = data["files"][0]["items"]
    assert all(item["expected"] is None for item in items)
    assert all(item["formula"] is None or item["formula"]["with_numbers"] is None for item in items)


def test_gradescope_results(tmp_path: Path) -> None:
    one = answer_file(tmp_path / "a.toml", "adamw-worked-example", {1: {"m": 0.2}}, student="ada")
    result = run("grade", str(one), "--format", "gradescope")
    data = json.loads(result.stdout)
    assert data["max_score"] == 8 and data["score"] == 1
    assert {t["status"] for t in data["tests"]} == {"passed", "failed"}
    other = answer_file(tmp_path / "b.toml", "adamw-worked-example", {1: {"m": 0.2}}, student="bo")
    refused = run("grade", str(one), str(other), "--format", "gradescope")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: --format gradescope grades one submission")


def test_min_score(tmp_path: Path) -> None:
    path = answer_file(
        tmp_path / "a.toml",
        "adamw-worked-example",
        {1: {"g": 2, "m": 0.2, "v": 0.004, "m_hat": 2, "v_hat": 4, "update": 0.102}},
    )
    assert run("grade", str(path)).exit_code == 1  # two values missing
    assert run("grade", str(path), "--min-score", "75").exit_code == 0
    assert run("grade", str(path), "--min-score", "80").exit_code == 1


# --- Variants ------------------------------------------------------------------------------------


def test_the_variant_generator_is_stable() -> None:
    """Pinned: the same seed must give the same numbers on every machine and version."""
    assert variant_number("sgd-one-step", 17, "start[0]", 0.0, 2.5, 2) == 0.74
    assert variant_number("sgd-one-step", 17, "lr", 0.05, 0.2, 2) == 0.14
    assert variant_number("sgd-one-step", 18, "lr", 0.05, 0.2, 2) != 0.14 or True


def test_seeded_answers_are_graded_against_their_variant(tmp_path: Path) -> None:
    exercise = next(e for e in EXERCISES if e.variants)
    mine = exercise_variant(exercise, 17)
    key = tmp_path / "key.toml"
    key.write_text(answer_template(exercise.id, seed=17, solved=True), encoding="utf-8")
    assert grade([key]).fraction == 1.0
    other = key.read_text().replace("seed = 17", "seed = 18")
    (tmp_path / "other.toml").write_text(other, encoding="utf-8")
    assert grade([tmp_path / "other.toml"]).fraction < 1.0
    shown = run("exercises", "variant", exercise.id, "--seed", "17")
    assert f"{mine.start[0]:g}" in shown.stdout


# --- Hostile files -------------------------------------------------------------------------------


def hostile_files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {
        "malformed": "format_version = 1\nexercise = \n",
        "deep": "x = " + "[" * 3000 + "]" * 3000 + "\n",
        "unknown-exercise": 'format_version = 1\nexercise = "no-such-exercise"\n',
        "unknown-quantity": (
            'format_version = 1\nexercise = "adamw-worked-example"\n[answers.step1]\nm_har = 1\n'
        ),
        "wrong-version": 'format_version = 9\nexercise = "adamw-worked-example"\n',
        "too-many-steps": (
            'format_version = 1\nexercise = "adamw-worked-example"\n[answers.step7]\nm = 1\n'
        ),
        "seed-without-variants": (
            'format_version = 1\nexercise = "adamw-worked-example"\nseed = 3\n'
        ),
    }
    paths = {name: folder / f"{name}.toml" for name in files}
    for name, text in files.items():
        paths[name].write_text(text, encoding="utf-8")
    paths["bad-utf8"] = folder / "bad-utf8.toml"
    paths["bad-utf8"].write_bytes(b'format_version = 1\nexercise = "\xff\xfe"\n')
    paths["huge"] = folder / "huge.toml"
    with paths["huge"].open("w") as handle:
        handle.write("# " + "x" * 10_000_000 + "\n")
    values = folder / "values.toml"
    values.write_text(
        'format_version = 1\nexercise = "adamw-worked-example"\n[answers.step1]\n'
        "g = nan\nm = inf\nv = 1e400\nm_hat = \"__import__('os').system('rm -rf /')\"\n"
        "v_hat = [1, 2]\nupdate = true\ntheta_next = { a = 1 }\n",
        encoding="utf-8",
    )
    paths["values"] = values
    os.symlink(folder, folder / "loop")
    return paths


def test_hostile_files_never_crash_and_the_good_ones_are_still_graded(tmp_path: Path) -> None:
    folder = tmp_path / "answers"
    paths = hostile_files(folder)
    good = answer_file(folder / "good.toml", "adamw-worked-example", {1: {"m": 0.2}})
    result = run("grade", str(folder), "-f", "json")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    graded = {Path(f["path"]).name for f in data["files"]}
    assert graded == {"good.toml", "values.toml"}
    errors = dict(line.split(": ", 1) for line in data["errors"])
    assert set(errors) == {str(p) for name, p in paths.items() if name != "values"}
    assert errors[str(paths["huge"])].startswith("is 10,000,003 bytes")
    assert errors[str(paths["deep"])] in ("invalid TOML: nested too deeply",) or errors[
        str(paths["deep"])
    ].startswith("invalid TOML")
    assert errors[str(paths["unknown-quantity"])].startswith(
        "answers.step1.m_har: unknown quantity"
    )
    assert errors[str(paths["bad-utf8"])].startswith("is not UTF-8 text")
    values = next(f for f in data["files"] if f["path"].endswith("values.toml"))
    reasons = {item["quantity"]: (item["status"], item["reason"]) for item in values["items"]}
    assert reasons["g"] == ("invalid", "nan is not a finite number")
    assert reasons["m"] == ("invalid", "inf is not a finite number")
    assert reasons["v"][0] == "invalid"
    assert reasons["m_hat"][0] == "invalid" and "is text, not a number" in reasons["m_hat"][1]
    assert reasons["v_hat"] == ("invalid", "has 2 number(s); the value has 1")
    assert reasons["update"] == ("invalid", "true/false is not a number")
    assert reasons["theta_next"][0] == "invalid"
    assert good.exists()
    assert result.stderr.count("error: ") == len(errors)


# --- In CI, as the documented workflow runs it ---------------------------------------------------


def test_a_course_repository_graded_the_way_the_workflow_does(tmp_path: Path) -> None:
    repo = tmp_path / "course"
    (repo / "exercises").mkdir(parents=True)
    (repo / "answers").mkdir()
    source = Path(__file__).resolve().parents[1] / "exercises" / "adamw" / "worked-example.toml"
    text = source.read_text(encoding="utf-8").replace(
        'id = "adamw-worked-example"', 'id = "my-adamw"'
    )
    (repo / "exercises" / "adamw.toml").write_text(text, encoding="utf-8")
    answer_file(
        repo / "answers" / "ada.toml",
        "../exercises/adamw.toml",
        {1: {"g": 2, "m": 0.2, "v": 0.004, "m_hat": 0.2}},
        student="ada",
    )
    env = {**os.environ, "GITHUB_ACTIONS": "true", "COLUMNS": "120", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "tutor"]
    check = subprocess.run(
        [*command, "exercises", "check", "exercises"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    done = subprocess.run(
        [*command, "grade", "answers", "--hide-expected", "--junit", "grades.xml"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert any(
        line.startswith("::error file=answers/ada.toml,title=my-adamw: step 1: m_hat::")
        and "forgot bias correction" in line
        for line in annotations
    ), annotations
    assert all("expected" not in line for line in annotations)  # --hide-expected
    suites = ET.parse(repo / "grades.xml").getroot()
    assert suites.get("tests") == "8" and suites.get("failures") == "5"
    assert math.isclose(float(suites.get("errors")), 0)


def test_every_value_is_rounded_the_way_the_default_says() -> None:
    assert DEFAULT_TOLERANCE.sig_figs == 4
    assert DEFAULT_TOLERANCE.accepts(1.898, 1.8980000005)
    assert DEFAULT_TOLERANCE.accepts(0.1235, 0.12345)
    assert not DEFAULT_TOLERANCE.accepts(1.88, 1.898)
    assert not DEFAULT_TOLERANCE.accepts(0.1237, 0.12345)
