"""Answer-file templates: an empty file for a student to fill in, or the instructor's key.

``tutor grade --template EXERCISE`` writes every asked value of every step as ``key = ""`` (an
empty answer is graded as missing); with ``--solved`` the engine's values are filled in (a key
that must grade 100%).
"""

from __future__ import annotations

import json

import numpy as np

from tutor.content.exercises import exercise_variant, find_exercise
from tutor.errors import TutorError
from tutor.teach.grading import Grader, value_of

EMPTY = '""'  # an empty answer, graded as missing until it is filled in


def _toml_value(value: object) -> str:
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return repr(float(array.ravel()[0]))
    return json.dumps(array.ravel().tolist())


def answer_template(ref: str, *, seed: int | None = None, solved: bool = False) -> str:
    """The TOML text of an answer file for exercise ``ref`` (a bundled id or a path)."""
    exercise = find_exercise(ref)
    if seed is not None:
        if not exercise.variants:
            raise TutorError(f"exercise {exercise.id!r} declares no [variants]; leave out --seed")
        exercise = exercise_variant(exercise, seed)
    prepared = Grader().prepared(exercise, None)
    run = prepared.run
    lines = [
        f"# Answers to {exercise.title!r} ({exercise.id}).",
        f"# {'The key: every value from the engine.' if solved else 'Fill in every value.'}"
        f" Tolerance: {exercise.tolerance.describe()}. Check with: tutor grade THIS_FILE",
        "format_version = 1",
        f"exercise = {json.dumps(ref if seed is None else exercise.id)}",
        'student = ""',
    ]
    if seed is not None:
        lines.append(f"seed = {seed}")
    for t in range(1, exercise.steps + 1):
        record = run.step(t)
        lines += ["", f"[answers.step{t}]"]
        for key in exercise.ask:
            value = value_of(record, key)
            if value is None:
                lines.append(f"# {key}: not computed at step {t}")
                continue
            lines.append(f"{key} = {_toml_value(value) if solved else EMPTY}")
    if exercise.ask_gradient:
        names = prepared.problem.layout.component_names()
        lines += ["", "[answers]"] if len(names) == 1 else ["", "[answers.gradient]"]
        for name, expr in zip(names, prepared.problem.loss.gradient_exprs, strict=True):
            key = "gradient" if len(names) == 1 else json.dumps(name)
            text = json.dumps(str(expr)) if solved else EMPTY
            lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"
