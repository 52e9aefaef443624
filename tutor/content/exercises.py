"""Exercises: one TOML file each, validated into frozen :class:`Exercise` objects.

An exercise states a problem (a loss, a starting point, an optimizer and its hyper-parameters) and
names the values a student must compute at every step from 1 to ``steps``: ``g``, ``loss``,
``loss_next`` or any quantity the optimizer computes with those hyper-parameters (``m``, ``v_hat``,
``theta_next``...). The file never holds the answers: they come from running the engine.

A file in format 1::

    format_version = 1
    id = "adamw-worked-example"          # lowercase letters and digits joined by single hyphens
    title = "One AdamW step on a parabola"
    topic = "adamw"
    optimizer = "adamw"
    description = "Start at 2 on (θ − 1)² ..."
    loss = "(theta - 1)**2"
    params = ["theta"]                   # optional: default the loss's free names, sorted;
                                         # "W:2x3" gives a parameter a shape
    [data]                               # optional: named numbers, vectors or matrices
    x = [1.0, 2.0, 3.0]
    start = [2.0]                        # one value per parameter
    steps = 1                            # optional: 1 to 1000, default 1
    ask = ["g", "m", "v", "theta_next"]
    tolerance = { sig_figs = 4 }         # optional: how close answers must be (the default);
                                         # or { relative = 1e-3 }, { absolute = 1e-6 }
    ask_gradient = false                 # optional: also ask for the gradient as an expression
    mistakes = ["betas-swapped"]         # optional: only these mistakes are diagnosed
    exclude_mistakes = []                # optional: mistakes never claimed for this exercise

    [tolerances]                         # optional: per asked value
    update = { relative = 1e-2 }

    [points]                             # optional: per asked value (default 1 each)
    theta_next = 2

    [variants]                           # optional: each student's numbers from a seed
    start = [[1.5, 2.5]]                 # a range per starting value
    decimals = 2                         # generated values keep this many decimals
    [variants.hyperparameters]
    lr = [0.05, 0.2]
    hints = ["Differentiate first."]     # at least one, none blank
    convention = "pytorch"               # optional: default pytorch (lion: paper)

    [hyperparameters]                    # optional: only the values that differ from defaults
    lr = 0.1

Errors. :func:`load_exercise` collects every problem of a file and raises one
:class:`ExerciseError` whose ``problems`` are lines ``<file>: <key>: <message>``. The key is dotted
for tables (``hyperparameters.lr``) and indexed from 0 for arrays (``start[1]``); problems with
the file as a whole (unreadable, not UTF-8, invalid TOML, an unknown top-level key) have no key:
``<file>: <message>``. With one problem the message is that line. With several, the message's
first line stands alone (``<file>: 3 problems: id: ...; steps: ...; ask[0]: ...``) and the problem
lines follow it. Checks that need another field run only once that field is valid (``start`` is
counted against the compiled loss, ``ask`` against the resolved hyper-parameters), and a file with
another ``format_version`` reports only that, since the rest of its schema is unknown here.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from tutor.content.index import bundled_index, exercises_dir
from tutor.content.tolerances import DEFAULT_TOLERANCE, Tolerance, tolerance_from
from tutor.content.topics import topic_ids
from tutor.content.values import describe
from tutor.engine import (
    OPTIMIZERS,
    Config,
    OptimizerSpec,
    StepRecord,
    Trajectory,
    get_optimizer,
    trajectory,
)
from tutor.engine.spec import CONVENTION_NAMES
from tutor.errors import HyperparameterError, TutorError
from tutor.symbolic.loss import compile_loss
from tutor.symbolic.models import reads_model, resolve_model

if TYPE_CHECKING:  # the schedule and clipping modules load only for files that use them
    from tutor.engine.clipping import Clipping

FORMAT_VERSION = 1
MAX_EXERCISE_STEPS = 1000
CONVENTIONS = frozenset(CONVENTION_NAMES)
INPUT_KEYS = ("g", "loss")
# Set by a learning-rate schedule before the step: the step's rate.
SCHEDULED_KEYS = ("lr",)
"""Values of a step that every optimizer can be asked for, besides its own quantities."""
RESULT_KEYS = ("loss_next",)

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

Problem = tuple[str, str]
"""A ``(dotted key, message)`` pair; the key is ``""`` for the file as a whole."""


@dataclass(frozen=True)
class Exercise:
    """One validated exercise file.

    Attributes:
        id: unique name, lowercase letters and digits joined by hyphens.
        title: one-line title.
        topic: the group it belongs to (usually the optimizer).
        optimizer: canonical optimizer name, a key of ``OPTIMIZERS``.
        description: the problem statement (what is given, what is asked).
        loss: the loss as written, e.g. ``"(theta - 1)**2"``.
        params: parameters as written (``"x"`` or ``"W:2x3"``), or ``None`` for the loss's free
            names, sorted.
        start: one starting value per parameter.
        steps: how many steps the student works through.
        hyperparameters: the values the file sets (not merged with defaults), validated.
        ask: the values a student computes at every step.
        tolerance: how close answers must be (default: 4 significant figures).
        tolerances: per asked value, overriding ``tolerance``.
        points: per asked value (default 1).
        ask_gradient: whether the gradient's expression is asked too.
        mistakes: the mistakes diagnosed (None: every one that applies).
        exclude_mistakes: mistakes never claimed.
        variants: ranges from which a seed draws a student's own numbers.
        schedule: a learning-rate schedule: ``name`` and torch's arguments (``[schedule]``).
        clipping: gradient clipping: ``max_norm`` (with ``norm_type``) or ``clip_value``.
        hints: hints, in the order they should be revealed.
        convention: whose formulas the numbers follow (``"pytorch"``).
        source: the file it was loaded from.
    """

    id: str
    title: str
    topic: str
    optimizer: str
    description: str
    loss: str
    params: tuple[str, ...] | None
    start: tuple[float, ...]
    steps: int
    hyperparameters: Mapping[str, float | bool] = field(hash=False)
    ask: tuple[str, ...]
    tolerance: Tolerance
    hints: tuple[str, ...]
    convention: str
    source: Path
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict, hash=False)
    points: Mapping[str, float] = field(default_factory=dict, hash=False)
    ask_gradient: bool = False
    mistakes: tuple[str, ...] | None = None
    exclude_mistakes: tuple[str, ...] = ()
    variants: Mapping[str, Any] = field(default_factory=dict, hash=False)
    seed: int | None = None
    schedule: Mapping[str, Any] = field(default_factory=dict, hash=False)
    clipping: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def schedule_request(self) -> tuple[str, dict[str, Any]] | None:
        """``(name, arguments)`` of the ``[schedule]`` table, or None."""
        if not self.schedule:
            return None
        arguments = {k: v for k, v in self.schedule.items() if k != "name"}
        return str(self.schedule["name"]), arguments

    @property
    def clipping_rule(self) -> Clipping | None:
        """The ``[clipping]`` table as a rule, or None."""
        return _clipping(self.clipping) if self.clipping else None

    @property
    def statement(self) -> str:
        """The description with its ``{start[0]}``/``{lr}`` placeholders filled in (an exercise
        with variants writes the numbers that change from student to student that way)."""
        return fill_placeholders(self.description, self.start, self.hyperparameters)

    def tolerance_for(self, key: str) -> Tolerance:
        return self.tolerances.get(key, self.tolerance)

    def points_for(self, key: str) -> float:
        return float(self.points.get(key, 1.0))

    @property
    def param_specs(self) -> list[tuple[str, tuple[int, ...]]] | None:
        """The parameters with their shapes (``()`` for scalars)."""
        if self.params is None:
            return None
        return [_param_spec(p) for p in self.params]

    def data_arrays(self) -> dict[str, np.ndarray] | None:
        """The ``[data]`` table as float64 arrays (None when there is none)."""
        if not self.data:
            return None
        return {name: np.array(value, dtype=np.float64) for name, value in self.data.items()}


def _param_spec(text: str) -> tuple[str, tuple[int, ...]]:
    name, _, dims = text.partition(":")
    return name.strip(), tuple(int(d) for d in dims.split("x")) if dims else ()


class ExerciseError(TutorError):
    """An exercise file, id or folder that cannot be used.

    Attributes:
        problems: one self-contained line per problem (``<file>: <key>: <message>``).
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


# --- Field table -------------------------------------------------------------------------------

_INVALID = object()
Check = Callable[[str, Any], list[Problem]]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Type:
    """A TOML type a field accepts; arrays name the type of their items."""

    noun: str
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda value: value
    item: _Type | None = None

    def parse(self, key: str, value: Any, problems: list[Problem]) -> Any:
        if not self.accepts(value):
            problems.append((key, f"must be {self.noun}, got {describe(value)}"))
            return _INVALID
        if self.item is None:
            return self.convert(value)
        items = [self.item.parse(f"{key}[{i}]", v, problems) for i, v in enumerate(value)]
        return _INVALID if any(i is _INVALID for i in items) else tuple(items)


_STRING = _Type("a string", lambda v: isinstance(v, str))
_INTEGER = _Type("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
_NUMBER = _Type("a number", _is_number, float)
_TABLE = _Type("a table", lambda v: isinstance(v, dict), dict)
_STRINGS = _Type("an array of strings", lambda v: isinstance(v, list), item=_STRING)
_BOOLEAN = _Type("true or false", lambda v: isinstance(v, bool))


def _to_tolerance(value: Any) -> Any:
    try:
        return tolerance_from(value, "tolerance")
    except TutorError:
        return _INVALID


_TOLERANCE = _Type(
    "a table such as { sig_figs = 4 } (or a relative tolerance in (0, 1))",
    lambda v: _to_tolerance(v) is not _INVALID,
    _to_tolerance,
)


def _to_tolerances(value: Any) -> Any:
    try:
        return {k: tolerance_from(v, f"tolerances.{k}") for k, v in value.items()}
    except TutorError:
        return _INVALID


_TOLERANCES = _Type(
    "a table of value = { sig_figs = 4 } (or relative/absolute)",
    lambda v: isinstance(v, dict) and _to_tolerances(v) is not _INVALID,
    _to_tolerances,
)


def _topic_problems(key: str, value: str) -> list[Problem]:
    """A topic must be one of the topic registry's ids (shared with explain and quiz)."""
    known = topic_ids()
    if not value.strip():
        return [(key, "must not be blank")]
    if known and value not in known:
        return [(key, f"{value!r} is not a topic ({_suggest(value, known, 'topics')})")]
    return []


def _check_variants(variants: dict[str, Any]) -> list[Problem]:
    """``[variants]``: ``start`` ranges, ``hyperparameters`` ranges and ``decimals``."""
    problems: list[Problem] = []
    for key, value in variants.items():
        where = f"variants.{key}"
        if key == "decimals":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 8:
                problems.append((where, "must be a whole number from 0 to 8"))
        elif key == "start":
            if not isinstance(value, list) or not all(_is_range(r) for r in value):
                problems.append(
                    (where, "must be a list of [low, high] ranges, one per start value")
                )
        elif key == "hyperparameters":
            if not isinstance(value, dict) or not all(_is_range(r) for r in value.values()):
                problems.append((where, "must be a table of name = [low, high]"))
        else:
            problems.append((where, "unknown key (use start, hyperparameters or decimals)"))
    return problems


def _is_range(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_number(x) and math.isfinite(x) for x in value)
        and value[0] <= value[1]
    )


_NUMBERS = _Type("an array of numbers", lambda v: isinstance(v, list), item=_NUMBER)


def _show(value: Any) -> str:
    """A value for a message: strings quoted, whole floats without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _require(test: Callable[[Any], Any], message: str) -> Check:
    """A check of the whole value; ``message`` may show it as ``{value}``."""
    return lambda key, value: [] if test(value) else [(key, message.format(value=_show(value)))]


def _each(test: Callable[[Any], Any], message: str) -> Check:
    """A check of every item of an array, reported as ``key[i]``."""
    return lambda key, values: [
        (f"{key}[{i}]", message.format(value=_show(v))) for i, v in enumerate(values) if not test(v)
    ]


def _no_repeats(what: str) -> Check:
    def check(key: str, values: tuple[str, ...]) -> list[Problem]:
        return [
            (f"{key}[{i}]", f"{v!r} is already {what} (remove the repeat)")
            for i, v in enumerate(values)
            if v in values[:i]
        ]

    return check


def _all(*checks: Check) -> Check:
    return lambda key, value: [p for check in checks for p in check(key, value)]


_NOT_BLANK = _require(str.strip, "must not be blank")


@dataclass(frozen=True)
class _Field:
    """One top-level key: its type, whether it is required, its default and its own checks."""

    name: str
    type: _Type
    required: bool = True
    default: Any = None
    check: Check = lambda key, value: []


_FIELDS = (
    _Field("format_version", _INTEGER),
    _Field(
        "id",
        _STRING,
        check=_require(
            _ID.fullmatch,
            "must be lowercase letters and digits joined by single hyphens, "
            "e.g. 'adam-one-step', got {value}",
        ),
    ),
    _Field("title", _STRING, check=_NOT_BLANK),
    _Field("topic", _STRING, check=lambda key, value: _topic_problems(key, value)),
    _Field("optimizer", _STRING),
    _Field("description", _STRING, check=_NOT_BLANK),
    _Field("loss", _STRING, check=_NOT_BLANK),
    _Field(
        "params",
        _STRINGS,
        required=False,
        check=_all(
            _require(len, "must name at least one parameter (or leave params out)"),
            _each(
                lambda p: re.fullmatch(r"[^\W\d]\w*(:[1-9]\d*(x[1-9]\d*)?)?", p),
                "{value} is not a parameter name, or a name with a shape such as 'W:2x3'",
            ),
            _no_repeats("a parameter"),
        ),
    ),
    _Field(
        "start",
        _NUMBERS,
        check=_all(
            _require(len, "must give one starting value per parameter"),
            _each(math.isfinite, "must be a finite number, got {value}"),
        ),
    ),
    _Field(
        "steps",
        _INTEGER,
        required=False,
        default=1,
        check=_require(
            lambda n: 1 <= n <= MAX_EXERCISE_STEPS,
            f"must be from 1 to {MAX_EXERCISE_STEPS}, got {{value}}",
        ),
    ),
    _Field(
        "ask",
        _STRINGS,
        check=_all(
            _require(len, "must name at least one value to compute"),
            _no_repeats("asked"),
        ),
    ),
    _Field("tolerance", _TOLERANCE, required=False, default=DEFAULT_TOLERANCE),
    _Field(
        "hints",
        _STRINGS,
        check=_all(
            _require(len, "must hold at least one hint"),
            _each(str.strip, "must not be blank"),
        ),
    ),
    _Field(
        "convention",
        _STRING,
        required=False,
        default=None,
        check=_require(
            CONVENTIONS.__contains__,
            f"must be one of {', '.join(sorted(CONVENTIONS))}, got {{value}}",
        ),
    ),
    _Field("hyperparameters", _TABLE, required=False, default={}),
    _Field("data", _TABLE, required=False, default={}),
    _Field("tolerances", _TOLERANCES, required=False, default={}),
    _Field(
        "points",
        _TABLE,
        required=False,
        default={},
        check=lambda key, value: [
            (f"{key}.{name}", f"must be a number > 0, got {_show(v)}")
            for name, v in value.items()
            if not (_is_number(v) and v > 0 and math.isfinite(v))
        ],
    ),
    _Field("ask_gradient", _BOOLEAN, required=False, default=False),
    _Field("mistakes", _STRINGS, required=False, default=None),
    _Field("exclude_mistakes", _STRINGS, required=False, default=()),
    _Field("variants", _TABLE, required=False, default={}, check=lambda k, v: _check_variants(v)),
    _Field("schedule", _TABLE, required=False, default={}),
    _Field("clipping", _TABLE, required=False, default={}),
)
_FIELD_NAMES = tuple(f.name for f in _FIELDS)


def _suggest(name: str, known: Iterable[str], label: str) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"{label}: {', '.join(known)}"


# --- Loading -----------------------------------------------------------------------------------


def _line(source: object, key: str, message: str) -> str:
    return f"{source}: {key}: {message}" if key else f"{source}: {message}"


def _error(source: object, problems: list[Problem]) -> ExerciseError:
    lines = [_line(source, key, message) for key, message in problems]
    if len(lines) == 1:
        return ExerciseError(lines[0])
    joined = "; ".join(f"{k}: {m}" if k else m for k, m in problems)
    return ExerciseError("\n".join([f"{source}: {len(lines)} problems: {joined}", *lines]), lines)


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML table, or an ExerciseError naming why it cannot be had."""
    try:
        if path.is_dir():
            raise IsADirectoryError
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ExerciseError(_line(path, "", "is a directory, not an exercise file")) from None
    except FileNotFoundError:
        raise ExerciseError(f"no such exercise file: {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ExerciseError(_line(path, "", f"cannot be read ({reason})")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise ExerciseError(
            _line(path, "", f"is not UTF-8 text ({where}); save it as UTF-8")
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.fullmatch(r"(.*) \((at .*)\)", str(exc))
        reason, where = match.groups() if match else (str(exc), "")
        message = f"invalid TOML {where}: {reason[:1].lower()}{reason[1:]}".replace("  ", " ")
        raise ExerciseError(_line(path, "", message)) from None
    except RecursionError:
        raise ExerciseError(_line(path, "", "invalid TOML: nested too deeply")) from None


def _check_hyperparameters(
    spec: OptimizerSpec, written: dict[str, Any], problems: list[Problem], convention: str
) -> tuple[dict[str, float | bool], Config] | None:
    """Validate each written value, then the combination; return (as written, resolved)."""
    count = len(problems)
    values: dict[str, float | bool] = {}
    known = [h.name for h in spec.hyperparameters]
    for name, value in written.items():
        key = f"hyperparameters.{name}"
        if name not in known:
            hint = _suggest(name, known, "known")
            problems.append((key, f"{spec.name} has no hyper-parameter {name!r} ({hint})"))
            continue
        try:
            values[name] = spec.hyperparameter(name).validate(value)
        except HyperparameterError as exc:
            problems.append((key, exc.message.removeprefix(f"{name} ")))
    if len(problems) > count:
        return None
    try:
        return values, spec.configure(values, convention)
    except HyperparameterError as exc:
        problems.append(("hyperparameters", exc.message))
        return None


def askable_keys(config: Config, scheduled: bool = False) -> tuple[str, ...]:
    """Every value an exercise may ask for with this configuration, in step order (``lr``, the
    step's rate, when a schedule sets it)."""
    active = tuple(q.key for q in config.algorithm().quantities)
    return INPUT_KEYS + (SCHEDULED_KEYS if scheduled else ()) + active + RESULT_KEYS


def _clipping(table: Mapping[str, Any]) -> Clipping:
    known = {"max_norm", "norm_type", "clip_value"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise HyperparameterError(
            f"has no key {unknown[0]!r} (use max_norm with norm_type, or clip_value)"
        )
    values = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise HyperparameterError(f"{key} must be a number, got {value!r}")
        values[key] = float(value)
    from tutor.engine.clipping import Clipping

    return Clipping(**values)


def _check_schedule_and_clipping(
    fields: dict[str, Any], resolved: Config | None, problems: list[Problem]
) -> Config | None:
    """Validate ``[schedule]`` and ``[clipping]``; return the configuration with clipping."""
    clipping = fields["clipping"]
    if clipping is not _INVALID and clipping:
        try:
            rule = _clipping(clipping)
            if resolved is not None:
                resolved = resolved.with_clipping(rule)
        except HyperparameterError as exc:
            problems.append(("clipping", exc.message))
            resolved = None
    schedule = fields["schedule"]
    if schedule is not _INVALID and schedule:
        name = schedule.get("name")
        if not isinstance(name, str):
            problems.append(("schedule.name", "missing: the schedule's name, e.g. 'cosine'"))
        elif fields["steps"] is not _INVALID and resolved is not None:
            arguments = {k: v for k, v in schedule.items() if k != "name"}
            try:
                from tutor.engine.schedules import configure_schedule

                configure_schedule(name, arguments, fields["steps"], resolved.values.get("lr"))
            except TutorError as exc:
                problems.append(("schedule", exc.message))
    return resolved


def _check_together(fields: dict[str, Any], problems: list[Problem]) -> None:
    """Checks that need several fields; each runs only when the fields it reads are valid."""
    spec = loss = resolved = None
    if fields["optimizer"] is not _INVALID:
        try:
            spec = get_optimizer(fields["optimizer"])
            fields["optimizer"] = spec.name
        except TutorError as exc:
            problems.append(("optimizer", exc.message))
    data = None
    if fields["data"] is not _INVALID and fields["data"]:
        try:
            data = {name: _data_array(name, value) for name, value in fields["data"].items()}
        except TutorError as exc:
            problems.append(("data", exc.message))
            fields["data"] = _INVALID
    if (
        fields["loss"] is not _INVALID
        and fields["params"] is not _INVALID
        and fields["data"] is not _INVALID
    ):
        specs = None if fields["params"] is None else [_param_spec(p) for p in fields["params"]]
        names = None if specs is None else [n for n, _ in specs]
        shapes = None if specs is None else {n: d for n, d in specs if d} or None
        try:
            loss = compile_loss(fields["loss"], names, shapes=shapes, data=data)
        except TutorError as exc:
            problems.append(("loss", exc.message))
    if loss is not None and fields["start"] is not _INVALID:
        n, entries = len(fields["start"]), loss.layout.component_names()
        if n != len(entries):
            problems.append(
                (
                    "start",
                    (
                        f"has {n} value{'s' * (n != 1)} but the loss has {len(entries)} "
                        f"parameter{'s' * (len(entries) != 1)} ({', '.join(entries)}): "
                        "give one value per parameter, in that order"
                    ),
                )
            )
    convention = fields["convention"]
    if spec is not None and convention is not _INVALID:
        try:
            fields["convention"] = spec.convention(convention).name
        except HyperparameterError as exc:
            problems.append(("convention", exc.message))
            fields["convention"] = convention = _INVALID
    if (
        spec is not None
        and fields["hyperparameters"] is not _INVALID
        and convention is not _INVALID
    ):
        checked = _check_hyperparameters(
            spec, fields["hyperparameters"], problems, fields["convention"]
        )
        if checked is not None:
            fields["hyperparameters"], resolved = checked
    if fields["ask"] is not _INVALID:
        asked = set(fields["ask"])
        for table in ("tolerances", "points"):
            if fields[table] is not _INVALID:
                problems.extend(
                    (f"{table}.{name}", f"{name!r} is not asked (ask: {', '.join(fields['ask'])})")
                    for name in fields[table]
                    if name not in asked
                )
    variants = fields["variants"]
    if variants is not _INVALID and variants:
        ranges = variants.get("start")
        start = fields["start"]
        if ranges is not None and start is not _INVALID and len(ranges) != len(start):
            problems.append(
                ("variants.start", f"has {len(ranges)} ranges for {len(start)} start values")
            )
        if spec is not None:
            known = [h.name for h in spec.hyperparameters]
            problems.extend(
                (f"variants.hyperparameters.{name}", f"{spec.name} has no hyper-parameter {name!r}")
                for name in variants.get("hyperparameters", {})
                if name not in known
            )
    resolved = _check_schedule_and_clipping(fields, resolved, problems)
    if spec is not None and resolved is not None and fields["ask"] is not _INVALID:
        valid = askable_keys(resolved, bool(fields["schedule"]))
        problems.extend(
            (
                f"ask[{i}]",
                (
                    f"{key!r} is not computed by {spec.name} with these hyper-parameters "
                    f"(choose from: {', '.join(valid)})"
                ),
            )
            for i, key in enumerate(fields["ask"])
            if key not in valid
        )


def load_exercise(path: Path) -> Exercise:
    """Read and validate one exercise file.

    Args:
        path: the ``.toml`` file; messages name it as given.

    Returns:
        The exercise, with defaults filled in for the optional keys.

    Raises:
        ExerciseError: listing every problem found (see the module docstring for the format).
    """
    path = Path(path)
    data = _read_toml(path)
    version = data.get("format_version")
    if _INTEGER.accepts(version) and version != FORMAT_VERSION:
        raise _error(
            path,
            [
                (
                    "format_version",
                    (
                        f"must be {FORMAT_VERSION}, got {version} (this version of tutor reads "
                        f"format {FORMAT_VERSION} only)"
                    ),
                )
            ],
        )
    problems: list[Problem] = [
        ("", f"unknown key {key!r} ({_suggest(key, _FIELD_NAMES, 'allowed keys')})")
        for key in data
        if key not in _FIELD_NAMES
    ]
    fields: dict[str, Any] = {}
    for entry in _FIELDS:
        if entry.name not in data:
            if entry.required:
                problems.append((entry.name, f"missing required key (expected {entry.type.noun})"))
            fields[entry.name] = _INVALID if entry.required else entry.default
            continue
        value = entry.type.parse(entry.name, data[entry.name], problems)
        if value is not _INVALID:
            own = entry.check(entry.name, value)
            problems.extend(own)
            value = _INVALID if own else value
        fields[entry.name] = value
    _check_together(fields, problems)
    if problems:
        raise _error(path, problems)
    del fields["format_version"]
    fields["hyperparameters"] = MappingProxyType(dict(fields["hyperparameters"]))
    fields["exclude_mistakes"] = tuple(fields["exclude_mistakes"])
    return Exercise(**fields, source=path)


# --- Variants ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\])?)\}")


def _placeholder_values(
    start: tuple[float, ...], hyperparameters: Mapping[str, Any]
) -> dict[str, str]:
    values = {f"start[{i}]": _number_text(x) for i, x in enumerate(start)}
    values.update({name: _number_text(v) for name, v in hyperparameters.items()})
    return values


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):  # a choice (the natural gradient's model)
        return "none" if value is None else value
    return f"{float(value):g}"


def fill_placeholders(
    text: str, start: tuple[float, ...], hyperparameters: Mapping[str, Any]
) -> str:
    """``{start[0]}`` and ``{lr}`` replaced by the exercise's numbers (plain text substitution:
    nothing in the text is evaluated)."""
    values = _placeholder_values(start, hyperparameters)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unknown_placeholders(exercise: Exercise) -> list[str]:
    values = _placeholder_values(exercise.start, exercise.hyperparameters)
    return [
        m.group(1) for m in _PLACEHOLDER.finditer(exercise.description) if m.group(1) not in values
    ]


def variant_number(
    exercise_id: str, seed: int, name: str, low: float, high: float, decimals: int
) -> float:
    """A number in ``[low, high]`` drawn from ``(exercise, seed, name)`` alone, stably.

    The generator is SHA-256 of ``"<exercise id>|<seed>|<name>"``: its first 8 bytes, read as an
    unsigned big-endian integer and divided by 2⁶⁴, give u in [0, 1); the number is
    ``low + u·(high − low)`` rounded to ``decimals`` decimals. It never depends on ``hash()``,
    NumPy's generators or the Python version, so a seed gives the same numbers everywhere.
    """
    digest = hashlib.sha256(f"{exercise_id}|{seed}|{name}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return round(low + u * (high - low), decimals)


def exercise_variant(exercise: Exercise, seed: int) -> Exercise:
    """The exercise with its ``[variants]`` ranges drawn for ``seed`` (a student's numbers).

    Raises:
        ExerciseError: the exercise declares no variants.
    """
    variants = exercise.variants
    if not variants:
        raise ExerciseError(
            f"exercise {exercise.id!r} declares no [variants]: every student gets the same numbers"
        )
    decimals = int(variants.get("decimals", 2))
    start = list(exercise.start)
    for i, (low, high) in enumerate(variants.get("start", [])):
        start[i] = variant_number(exercise.id, seed, f"start[{i}]", low, high, decimals)
    hyperparameters = dict(exercise.hyperparameters)
    for name, (low, high) in variants.get("hyperparameters", {}).items():
        hyperparameters[name] = variant_number(exercise.id, seed, name, low, high, decimals)
    return dataclasses.replace(
        exercise,
        start=tuple(start),
        hyperparameters=MappingProxyType(hyperparameters),
        seed=seed,
    )


# --- Running -----------------------------------------------------------------------------------


def run_exercise(exercise: Exercise) -> Trajectory:
    """Run the exercise through the engine: every step's values, as the answers come from.

    Raises:
        TutorError: the engine refused the run (it should not for a validated exercise).
    """
    spec = OPTIMIZERS[exercise.optimizer]
    config = spec.configure(exercise.hyperparameters, exercise.convention)
    config = config.with_clipping(exercise.clipping_rule)
    loss = exercise_loss(exercise)
    if reads_model(spec):  # the natural gradient: the model's loss, with its Fisher matrix
        specs = exercise.param_specs
        names = None if specs is None else [n for n, _ in specs]
        data = exercise.data_arrays()
        loss = resolve_model(spec.name, config.values, exercise.loss, names, data)[0]
    theta0 = np.array(exercise.start, dtype=np.float64)
    scheduled = None
    if exercise.schedule_request is not None:
        name, arguments = exercise.schedule_request
        from tutor.engine.schedules import Scheduled, configure_schedule

        chosen = configure_schedule(name, arguments, exercise.steps, config.values.get("lr"))
        scheduled = Scheduled(chosen, spec.name, [h.name for h in spec.hyperparameters])
    with np.errstate(all="ignore"):
        return trajectory(
            config, loss, theta0, exercise.steps, layout=loss.layout, schedule=scheduled
        )


def exercise_loss(exercise: Exercise) -> Any:
    """The exercise's compiled loss (with its shapes and data)."""
    specs = exercise.param_specs
    names = None if specs is None else [n for n, _ in specs]
    shapes = None if specs is None else {n: d for n, d in specs if d} or None
    return compile_loss(exercise.loss, names, shapes=shapes, data=exercise.data_arrays())


def _data_array(name: str, value: Any) -> np.ndarray:
    """A ``[data]`` entry as a float64 array: a number, a list or a list of equal-length lists."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TutorError(
            f"{name} must be a number, a list of numbers or a list of equal-length lists"
        ) from None
    if array.ndim > 2 or not np.all(np.isfinite(array)):
        raise TutorError(f"{name} must hold finite numbers in at most 2 dimensions")
    return array


def asked_value(record: StepRecord, key: str) -> np.ndarray | None:
    """The value of one ``ask`` key at one step: ``g``, ``loss``, ``loss_next`` or a quantity;
    None for a quantity this step does not compute (RAdam's rₜ while ρₜ ≤ 5)."""
    special = {"g": record.grad, "loss": record.loss, "loss_next": record.loss_next}
    if key in special:
        return np.asarray(special[key], dtype=np.float64)
    if key in SCHEDULED_KEYS and key in record.hyper:
        return np.asarray(record.hyper[key], dtype=np.float64)
    if key not in record.values:
        return None
    return np.asarray(record.values[key], dtype=np.float64)


# --- The bundled exercises and the folder check ------------------------------------------------


@functools.cache
def bundled_exercises() -> tuple[Exercise, ...]:
    """Every bundled exercise, sorted by (topic, id); loaded once.

    Raises:
        ExerciseError: a bundled file is invalid (CI's check prevents it).
    """
    loaded = (load_exercise(path) for path in sorted(exercises_dir().rglob("*.toml")))
    return tuple(sorted(loaded, key=lambda e: (e.topic, e.id)))


def find_exercise(ref: str) -> Exercise:
    """A bundled exercise by id, or an instructor's own file by path.

    Text shaped like an id (``adam-one-step``) is looked up among the bundled exercises first;
    anything else, or an id-shaped name that is not bundled but is a file, is read as a path.

    Raises:
        ExerciseError: unknown id (with a suggestion), missing file, or an invalid file.
    """
    if _ID.fullmatch(ref):
        by_id = {s.id: s.path for s in bundled_index()}
        if ref in by_id:
            return load_exercise(by_id[ref])
        if not _is_file(Path(ref)):
            hint = _suggest(ref, sorted(by_id), "bundled exercises")
            raise ExerciseError(f"unknown exercise {ref!r} ({hint})")
    return load_exercise(Path(ref))


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _solve_problems(exercise: Exercise) -> list[str]:
    """Lines for an exercise the engine cannot solve with finite numbers."""
    source = exercise.source
    try:
        run = run_exercise(exercise)
    except TutorError as exc:
        return [_line(source, "", f"the engine refuses to run it: {exc.message}")]
    except (ArithmeticError, TypeError, ValueError) as exc:  # e.g. a complex-valued loss
        return [_line(source, "loss", f"cannot be evaluated at start ({exc}); change the loss")]
    if run.divergence is not None:
        t, what = run.divergence.t, run.divergence.quantity
        return [
            _line(
                source,
                "",
                (
                    f"the run diverges at step {t} ({what} is not finite): lower "
                    "hyperparameters.lr, move start, or ask for fewer steps"
                ),
            )
        ]
    return [
        _line(
            source,
            f"ask[{i}]",
            (f"{key!r} is not finite at step {record.t} (change the loss or start so that it is)"),
        )
        for record in run.steps()
        for i, key in enumerate(exercise.ask)
        if (value := asked_value(record, key)) is not None and not np.all(np.isfinite(value))
    ]


def check_exercises(folder: Path) -> list[str]:
    """Lint every ``*.toml`` under ``folder`` the way ``rustlings dev check`` lints its content.

    Every file must load, ids must be unique across files, and every exercise must solve: the
    engine runs it without diverging and every asked value is finite at every step.

    Returns:
        One line per problem, ``<file>: <key>: <message (how to fix)>``; empty when clean.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [_line(folder, "", "is not a folder (give the folder that holds the .toml files)")]
    files = sorted(folder.rglob("*.toml"))
    if not files:
        return [_line(folder, "", "holds no .toml exercise files")]
    lines: list[str] = []
    first_use: dict[str, Path] = {}
    for path in files:
        try:
            exercise = load_exercise(path)
        except ExerciseError as exc:
            lines.extend(exc.problems)
            continue
        if exercise.id in first_use:
            lines.append(
                _line(
                    path,
                    "id",
                    (
                        f"{exercise.id!r} is already used by {first_use[exercise.id]} "
                        "(ids must be unique: rename one)"
                    ),
                )
            )
        first_use.setdefault(exercise.id, path)
        lines.extend(_solve_problems(exercise))
        lines.extend(
            _line(path, "description", f"{{{name}}} names no start value or hyper-parameter")
            for name in unknown_placeholders(exercise)
        )
        if exercise.variants:
            for seed in (0, 1, 2):
                lines.extend(_solve_problems(exercise_variant(exercise, seed)))
    return lines
