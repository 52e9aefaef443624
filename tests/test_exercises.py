"""Exercise files: the bundled set, the worked example, and every way a file can be wrong."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.content.exercises import (
    FORMAT_VERSION,
    Exercise,
    ExerciseError,
    asked_value,
    bundled_exercises,
    check_exercises,
    exercises_dir,
    find_exercise,
    load_exercise,
    run_exercise,
)
from tutor.content.tolerances import DEFAULT_TOLERANCE
from tutor.engine import OPTIMIZERS
from tutor.errors import TutorError
from tutor.symbolic.loss import compile_loss

# --- The bundled exercises ----------------------------------------------------------------------


def test_bundled_exercises_are_clean() -> None:
    assert check_exercises(exercises_dir()) == []
    assert len(bundled_exercises()) >= 10


def test_bundled_exercises_are_sorted_and_unique() -> None:
    exercises = bundled_exercises()
    ids = [e.id for e in exercises]
    assert len(set(ids)) == len(ids)
    assert list(exercises) == sorted(exercises, key=lambda e: (e.topic, e.id))


def test_every_optimizer_has_an_exercise() -> None:
    covered = {e.optimizer for e in bundled_exercises()}
    assert covered == set(OPTIMIZERS)


def test_bundled_files_sit_in_their_topic_folder() -> None:
    for exercise in bundled_exercises():
        assert exercise.source.parent.name == exercise.topic
        assert exercise.source.parent.parent == exercises_dir()


def test_descriptions_and_hints_never_give_the_final_answer() -> None:
    for exercise in bundled_exercises():
        run = run_exercise(exercise)
        final = run.step(len(run)).theta_next
        text = exercise.description + " ".join(exercise.hints)
        for value in final:
            assert f"{value:.4g}" not in text, (exercise.id, value)


def test_worked_example_fields() -> None:
    exercise = find_exercise("adamw-worked-example")
    fields = {f.name: getattr(exercise, f.name) for f in dataclasses.fields(exercise)}
    fields["hyperparameters"] = dict(fields["hyperparameters"])
    description, hints = fields.pop("description"), fields.pop("hints")
    assert fields == {
        "id": "adamw-worked-example",
        "title": "One AdamW step on a parabola",
        "topic": "adamw",
        "optimizer": "adamw",
        "loss": "(theta - 1)**2",
        "params": ("theta",),
        "start": (2.0,),
        "steps": 1,
        "hyperparameters": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01},
        "ask": ("g", "m", "v", "m_hat", "v_hat", "update", "theta_next", "loss_next"),
        "tolerance": DEFAULT_TOLERANCE,
        "convention": "pytorch",
        "source": exercises_dir() / "adamw" / "worked-example.toml",
        "data": {},
        "tolerances": {},
        "points": {},
        "ask_gradient": False,
        "mistakes": None,
        "exclude_mistakes": (),
        "variants": {},
        "seed": None,
        "schedule": {},
        "clipping": {},
    }
    assert description.startswith("A single weight θ sits at θ₀ = 2")
    assert len(hints) == 4 and all(h.strip() for h in hints)
    assert exercise == bundled_exercises()[[e.id for e in bundled_exercises()].index(exercise.id)]


def test_worked_example_solves_to_the_chapter_numbers() -> None:
    run = run_exercise(find_exercise("adamw-worked-example"))
    assert run.divergence is None and len(run) == 1
    step = run.step(1)
    expected = {"g": 2.0, "m": 0.2, "v": 0.004, "m_hat": 2.0, "v_hat": 4.0, "update": 0.102}
    for key, value in expected.items():
        assert asked_value(step, key) == pytest.approx([value], abs=1e-9), key
    assert asked_value(step, "theta_next") == pytest.approx([1.898], abs=1e-9)
    assert float(asked_value(step, "loss_next")) == pytest.approx(0.806404, abs=1e-6)
    assert float(asked_value(step, "loss")) == 1.0


def test_exercise_is_frozen() -> None:
    exercise = find_exercise("adamw-worked-example")
    with pytest.raises(dataclasses.FrozenInstanceError):
        exercise.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        exercise.hyperparameters["lr"] = 1.0  # type: ignore[index]


# --- Bad files ----------------------------------------------------------------------------------

BASE = {
    "format_version": "1",
    "id": '"my-exercise"',
    "title": '"A title"',
    "topic": '"adam"',
    "optimizer": '"adam"',
    "description": '"Take one step."',
    "loss": '"(theta - 1)**2"',
    "start": "[2.0]",
    "ask": '["g", "m"]',
    "hints": '["Differentiate first."]',
}


def toml(table: str | None = None, **changes: str | None) -> str:
    """BASE with keys changed (a TOML literal) or removed (None), and a [hyperparameters] body."""
    fields = {**BASE, **changes}
    lines = [f"{key} = {value}" for key, value in fields.items() if value is not None]
    if table is not None:
        lines += ["", "[hyperparameters]", table]
    return "\n".join(lines) + "\n"


def problems_of(tmp_path: Path, text: str | bytes) -> tuple[Path, list[str]]:
    """Write ``text`` to bad.toml and return the path and the lines of the ExerciseError."""
    path = tmp_path / "bad.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ExerciseError) as caught:
        load_exercise(path)
    return path, list(caught.value.problems)


def loss_message(text: str) -> str:
    with pytest.raises(TutorError) as caught:
        compile_loss(text)
    return caught.value.message


ADAM_KEYS = "g, loss, m, v, m_hat, v_hat, update, theta_next, loss_next"
ALLOWED = (
    "format_version, id, title, topic, optimizer, description, loss, params, start, steps, ask, "
    "tolerance, hints, convention, hyperparameters, data, tolerances, points, ask_gradient, "
    "mistakes, exclude_mistakes, variants, schedule, clipping"
)

CASES: list[tuple[str, str, str]] = [
    # (test id, file text, the expected line after "<file>: ")
    (
        "version-missing",
        toml(format_version=None),
        "format_version: missing required key (expected an integer)",
    ),
    (
        "version-string",
        toml(format_version='"1"'),
        "format_version: must be an integer, got string '1'",
    ),
    (
        "version-other",
        toml(format_version="2", id='"Bad Id"'),
        "format_version: must be 1, got 2 (this version of tutor reads format 1 only)",
    ),
    (
        "id-pattern",
        toml(id='"Adam_1"'),
        "id: must be lowercase letters and digits joined by single hyphens, e.g. 'adam-one-step', "
        "got 'Adam_1'",
    ),
    ("id-number", toml(id="7"), "id: must be a string, got integer 7"),
    ("title-missing", toml(title=None), "title: missing required key (expected a string)"),
    ("title-blank", toml(title='"  "'), "title: must not be blank"),
    (
        "optimizer-unknown",
        toml(optimizer='"adamm"'),
        "optimizer: unknown optimizer 'adamm' (did you mean 'adam'?)",
    ),
    ("loss-refused", toml(loss='"(theta - 1"'), "loss: " + "{loss:(theta - 1}"),
    ("loss-not-string", toml(loss="1.5"), "loss: must be a string, got float 1.5"),
    (
        "params-empty",
        toml(params="[]"),
        "params: must name at least one parameter (or leave params out)",
    ),
    (
        "params-name",
        toml(params='["x y"]'),
        "params[0]: 'x y' is not a parameter name, or a name with a shape such as 'W:2x3'",
    ),
    (
        "params-repeat",
        toml(params='["theta", "theta"]'),
        "params[1]: 'theta' is already a parameter (remove the repeat)",
    ),
    (
        "start-count",
        toml(start="[1.0, 2.0]"),
        "start: has 2 values but the loss has 1 parameter (theta): give one value per parameter, "
        "in that order",
    ),
    ("start-infinite", toml(start="[inf]"), "start[0]: must be a finite number, got inf"),
    ("start-nan", toml(start="[nan]"), "start[0]: must be a finite number, got nan"),
    ("start-string", toml(start='["2"]'), "start[0]: must be a number, got string '2'"),
    ("start-scalar", toml(start="2.0"), "start: must be an array of numbers, got float 2.0"),
    ("steps-zero", toml(steps="0"), "steps: must be from 1 to 1000, got 0"),
    ("steps-large", toml(steps="1001"), "steps: must be from 1 to 1000, got 1001"),
    ("steps-float", toml(steps="2.5"), "steps: must be an integer, got float 2.5"),
    ("steps-bool", toml(steps="true"), "steps: must be an integer, got boolean true"),
    (
        "tolerance-zero",
        toml(tolerance="0"),
        "tolerance: must be a table such as { sig_figs = 4 } (or a relative tolerance in (0, 1)),"
        " got integer 0",
    ),
    (
        "tolerance-table",
        toml(tolerance="{ sig_figs = 40 }"),
        "tolerance: must be a table such as { sig_figs = 4 } (or a relative tolerance in (0, 1)),"
        " got a table",
    ),
    (
        "tolerance-string",
        toml(tolerance='"small"'),
        "tolerance: must be a table such as { sig_figs = 4 } (or a relative tolerance in (0, 1)),"
        " got string 'small'",
    ),
    (
        "hints-missing",
        toml(hints=None),
        "hints: missing required key (expected an array of strings)",
    ),
    ("hints-empty", toml(hints="[]"), "hints: must hold at least one hint"),
    ("hints-blank", toml(hints='["ok", " "]'), "hints[1]: must not be blank"),
    ("hints-string", toml(hints='"one"'), "hints: must be an array of strings, got string 'one'"),
    ("hints-item", toml(hints='["ok", 3]'), "hints[1]: must be a string, got integer 3"),
    (
        "convention",
        toml(convention='"tensorflow"'),
        "convention: must be one of keras, optax, paper, pytorch, textbook, got 'tensorflow'",
    ),
    (
        "convention-optimizer",
        toml(optimizer='"lion"', convention='"pytorch"', ask='["g"]'),
        "convention: lion has no 'pytorch' convention (available: paper, optax)",
    ),
    (
        "convention-hyperparameter",
        toml("weight_decay = 0.1", convention='"optax"'),
        "hyperparameters: weight_decay is not part of the optax convention of adam; leave it at 0",
    ),
    (
        "ask-unknown",
        toml(ask='["g", "mhat"]'),
        f"ask[1]: 'mhat' is not computed by adam with these hyper-parameters "
        f"(choose from: {ADAM_KEYS})",
    ),
    (
        "ask-inactive",
        toml(ask='["v_max"]'),
        f"ask[0]: 'v_max' is not computed by adam with these hyper-parameters "
        f"(choose from: {ADAM_KEYS})",
    ),
    ("ask-empty", toml(ask="[]"), "ask: must name at least one value to compute"),
    ("ask-repeat", toml(ask='["g", "m", "g"]'), "ask[2]: 'g' is already asked (remove the repeat)"),
    ("hp-range", toml("lr = -1"), "hyperparameters.lr: must be > 0, got -1"),
    ("hp-beta", toml("beta2 = 1.0"), "hyperparameters.beta2: must be in [0, 1), got 1"),
    (
        "hp-unknown",
        toml("lrr = 0.1"),
        "hyperparameters.lrr: adam has no hyper-parameter 'lrr' (did you mean 'lr'?)",
    ),
    ("hp-string", toml('lr = "0.1"'), "hyperparameters.lr: must be a number, got '0.1'"),
    ("hp-flag", toml("amsgrad = 1"), "hyperparameters.amsgrad: must be true or false, got 1"),
    ("hp-not-table", toml(hyperparameters="3"), "hyperparameters: must be a table, got integer 3"),
    (
        "hp-combination",
        toml("nesterov = true", optimizer='"sgd"', ask='["g"]'),
        "hyperparameters: nesterov needs momentum > 0 and dampening = 0",
    ),
    (
        "unknown-key-typo",
        toml(hyperparamters="{ lr = 0.1 }"),
        "unknown key 'hyperparamters' (did you mean 'hyperparameters'?)",
    ),
    ("unknown-key", toml(zzz="1"), f"unknown key 'zzz' (allowed keys: {ALLOWED})"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_has_its_line(tmp_path: Path, text: str, expected: str) -> None:
    if "{loss:" in expected:
        expected = "loss: " + loss_message(expected.removeprefix("loss: {loss:").rstrip("}"))
    path, problems = problems_of(tmp_path, text)
    assert problems == [f"{path}: {expected}"]


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(toml("lr = 1"), encoding="utf-8")
    exercise = load_exercise(path)
    assert exercise == Exercise(
        id="my-exercise",
        title="A title",
        topic="adam",
        optimizer="adam",
        description="Take one step.",
        loss="(theta - 1)**2",
        params=None,
        start=(2.0,),
        steps=1,
        hyperparameters={"lr": 1.0},
        ask=("g", "m"),
        tolerance=DEFAULT_TOLERANCE,
        hints=("Differentiate first.",),
        convention="pytorch",
        source=path,
    )
    assert FORMAT_VERSION == 1


def test_hyperparameter_problems_are_all_reported(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, toml("lr = 0\nbeta1 = 2\neps = -1"))
    assert problems == [
        f"{path}: hyperparameters.lr: must be > 0, got 0",
        f"{path}: hyperparameters.beta1: must be in [0, 1), got 2",
        f"{path}: hyperparameters.eps: must be >= 0, got -1",
    ]


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    text = toml(id='"Bad"', steps="0", ask='["g", "mhat"]', title=None)
    path = tmp_path / "many.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExerciseError) as caught:
        load_exercise(path)
    ask = (
        "ask[1]: 'mhat' is not computed by adam with these hyper-parameters "
        f"(choose from: {ADAM_KEYS})"
    )
    parts = [
        "id: must be lowercase letters and digits joined by single hyphens, "
        "e.g. 'adam-one-step', got 'Bad'",
        "title: missing required key (expected a string)",
        "steps: must be from 1 to 1000, got 0",
        ask,
    ]
    assert caught.value.problems == tuple(f"{path}: {p}" for p in parts)
    assert str(caught.value).splitlines() == [
        f"{path}: 4 problems: " + "; ".join(parts),
        *(f"{path}: {p}" for p in parts),
    ]


def test_invalid_toml(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, 'format_version = 1\nid = "open\n')
    assert problems == [f"{path}: invalid TOML at line 2, column 11: illegal character '\\n'"]


def test_invalid_toml_at_the_end(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, "format_version = 1\nid =")
    assert problems == [f"{path}: invalid TOML at end of document: invalid value"]


def test_toml_nested_too_deeply(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, "hints = " + "[" * 100_000)
    assert problems == [f"{path}: invalid TOML: nested too deeply"]


def test_not_utf8(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, b'format_version = 1\nid = "\xff"\n')
    assert problems == [f"{path}: is not UTF-8 text (byte 0xff at offset 25); save it as UTF-8"]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + toml().encode())
    assert load_exercise(path).id == "my-exercise"


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(tmp_path)
    assert caught.value.problems == (f"{tmp_path}: is a directory, not an exercise file",)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(tmp_path / "nope.toml")
    assert str(caught.value) == f"no such exercise file: {tmp_path / 'nope.toml'}"


# --- find_exercise ------------------------------------------------------------------------------


def test_find_unknown_id_suggests() -> None:
    with pytest.raises(ExerciseError) as caught:
        find_exercise("adamw-worked-exampel")
    assert str(caught.value) == (
        "unknown exercise 'adamw-worked-exampel' (did you mean 'adamw-worked-example'?)"
    )


def test_find_unknown_id_without_a_close_match_lists_them() -> None:
    with pytest.raises(ExerciseError) as caught:
        find_exercise("zzzz")
    ids = ", ".join(sorted(e.id for e in bundled_exercises()))
    assert str(caught.value) == f"unknown exercise 'zzzz' (bundled exercises: {ids})"


def test_find_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(toml(), encoding="utf-8")
    assert find_exercise(str(path)) == load_exercise(path)


def test_find_an_unreadable_path() -> None:
    with pytest.raises(ExerciseError) as caught:
        find_exercise("bad\0name.toml")
    assert str(caught.value) == "bad\0name.toml: cannot be read (embedded null byte)"


def test_find_missing_path() -> None:
    with pytest.raises(ExerciseError) as caught:
        find_exercise("no/such/file.toml")
    assert str(caught.value) == "no such exercise file: no/such/file.toml"


# --- check_exercises ----------------------------------------------------------------------------


def test_check_reports_bad_files_duplicates_and_divergence(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.toml").write_text(toml(), encoding="utf-8")
    (tmp_path / "a" / "two.toml").write_text(toml(), encoding="utf-8")
    (tmp_path / "bad.toml").write_text(toml(steps="0"), encoding="utf-8")
    blow_up = toml(
        "lr = 1",
        optimizer='"sgd"',
        loss='"theta**4"',
        start="[10.0]",
        steps="20",
        ask='["g"]',
        id='"blow-up"',
    )
    (tmp_path / "blow.toml").write_text(blow_up, encoding="utf-8")
    assert check_exercises(tmp_path) == [
        f"{tmp_path / 'a' / 'two.toml'}: id: 'my-exercise' is already used by "
        f"{tmp_path / 'a' / 'one.toml'} (ids must be unique: rename one)",
        f"{tmp_path / 'bad.toml'}: steps: must be from 1 to 1000, got 0",
        f"{tmp_path / 'blow.toml'}: the run diverges at step 4 (loss is not finite): "
        "lower hyperparameters.lr, move start, or ask for fewer steps",
    ]


def test_check_never_raises_on_a_loss_the_engine_cannot_evaluate(tmp_path: Path) -> None:
    path = tmp_path / "complex.toml"
    path.write_text(toml(loss='"sqrt(-1)*theta"'), encoding="utf-8")
    (line,) = check_exercises(tmp_path)
    assert line.startswith(f"{path}: loss: ")


def test_check_a_clean_folder(tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(toml(), encoding="utf-8")
    assert check_exercises(tmp_path) == []


def test_check_an_empty_folder_and_a_file(tmp_path: Path) -> None:
    assert check_exercises(tmp_path) == [f"{tmp_path}: holds no .toml exercise files"]
    assert check_exercises(tmp_path / "x") == [
        f"{tmp_path / 'x'}: is not a folder (give the folder that holds the .toml files)"
    ]


# --- Nothing but ExerciseError, whatever the file holds -----------------------------------------

_SCALARS = st.one_of(
    st.integers(-3, 2000),
    st.floats(allow_nan=True),
    st.booleans(),
    st.sampled_from(
        [
            "",
            " ",
            "adam",
            "sgd",
            "g",
            "m",
            "x",
            "theta",
            "(theta - 1)**2",
            "x**2 +",
            "1/0",
            "lr",
            "pytorch",
            "__import__('os')",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["lr", "beta1", "momentum", "amsgrad", "nesterov", "zz"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=6,
)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "nan" if value != value else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [*BASE, "params", "steps", "tolerance", "convention", "hyperparameters", "hintz"]
        ),
        _VALUES,
        max_size=6,
    )
)
def test_any_content_gives_an_exercise_or_an_exercise_error(
    tmp_path_factory: pytest.TempPathFactory, changes: dict[str, object]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.toml"
    path.write_text(toml(**{k: _literal(v) for k, v in changes.items()}), encoding="utf-8")
    try:
        exercise = load_exercise(path)
    except ExerciseError as exc:
        assert exc.problems and all(line.startswith(f"{path}: ") for line in exc.problems)
    else:
        assert isinstance(exercise, Exercise)


def test_asked_values_have_one_entry_per_parameter() -> None:
    for exercise in bundled_exercises():
        for step in run_exercise(exercise).steps():
            for key in exercise.ask:
                value = asked_value(step, key)
                if value is None:  # a quantity this step does not compute (RAdam's rₜ early on)
                    assert key in step.values or key in {"rect", "adaptive_lr"}, key
                    continue
                assert value.shape in {(), (len(exercise.start),)}, (exercise.id, key)
                assert np.all(np.isfinite(value))


def test_a_built_index_is_read_only_while_it_matches_the_files(monkeypatch, tmp_path: Path) -> None:
    """The index a wheel carries (written by index_rows at build time) gives the same summaries
    as parsing the files, without parsing them; a file added, removed or edited (another size),
    or a damaged index, and the files are parsed instead."""
    import json
    import shutil

    from tutor.content import index

    copy = tmp_path / "exercises"
    shutil.copytree(index.exercises_dir(), copy, ignore=shutil.ignore_patterns(index.INDEX))
    monkeypatch.setattr(index, "exercises_dir", lambda: copy)

    def listing() -> tuple:
        index.bundled_index.cache_clear()
        return index.bundled_index()

    parsed = listing()  # no index yet: every file parsed
    assert len(parsed) == len(list(copy.rglob("*.toml")))
    (copy / index.INDEX).write_text(json.dumps(index.index_rows(copy)), encoding="utf-8")
    real_summary = index._summary
    monkeypatch.setattr(index, "_summary", lambda path: pytest.fail(f"parsed {path}"))
    assert listing() == parsed  # read from the index alone
    monkeypatch.setattr(index, "_summary", real_summary)

    first = sorted(copy.rglob("*.toml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("title = ", "title = 'x' #", 1))
    edited = listing()
    assert "x" in {s.title for s in edited} and len(edited) == len(parsed)
    (copy / "extra.toml").write_text("not toml at all [", encoding="utf-8")
    assert listing() == edited  # an unreadable file is listed by nobody, and parsed again
    rows = index.index_rows(copy)
    twice = json.dumps([rows[0], *rows[:-1]])  # one file twice, another missing
    unhashable = json.dumps([[[1], 2]] * len(rows))
    for damaged in ("[", '[["../x.toml", 1, "a", "b", "c", "d", 1]]', "{}", unhashable, twice):
        (copy / index.INDEX).write_text(damaged, encoding="utf-8")
        assert listing() == edited


def test_an_installed_wheel_carries_the_index_of_its_exercises() -> None:
    """Installed from a wheel (as CI and users install), the bundled index is there and says
    what parsing the files says."""
    import json

    from tutor.content import index

    folder = index.exercises_dir()
    if folder.name != "_exercises":
        pytest.skip("running from a source checkout (an editable install reads the files)")
    rows = json.loads((folder / index.INDEX).read_text(encoding="utf-8"))
    assert rows == index.index_rows(folder)
