"""The named hooks a topic file may use: placeholders in its text and the kinds of worked example.

A topic never holds a computed number. It names the parts that are computed when it is shown:

* placeholders alone on a line, ``{{ equations }}``, ``{{ hyperparameters }}``,
  ``{{ conventions }}`` (read from the spec of the topic's ``optimizer``) and ``{{ example }}``
  (the worked example); inline, ``{{ default OPTIMIZER NAME }}`` (a hyper-parameter's default);
* ``example = "KIND"``, one of :data:`EXAMPLES`, with its inputs in an ``[options]`` table.

This module is the contract between the content and the code: which example kinds exist and which
options each accepts (name, type, default, valid range). :mod:`tutor.teach.examples` implements
one function per kind; a test checks that the two agree, and ``tutor explain --check`` checks
every topic's options against :func:`example_options`. Adding a topic that uses an existing kind
needs no code.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tutor.errors import TutorError

PLACEHOLDERS: Mapping[str, str] = {
    "equations": "the optimizer's update, formula by formula, as the engine computes it",
    "hyperparameters": "the optimizer's hyper-parameters: option, symbol, default, range",
    "conventions": "how each convention (PyTorch, paper, optax, Keras, textbook) differs",
    "example": "the worked example, computed when the topic is shown",
}
"""Block placeholders, each alone on a line: ``{{ name }}``."""

SPEC_PLACEHOLDERS = frozenset({"equations", "hyperparameters", "conventions"})
"""Placeholders read from the topic's optimizer spec (the topic must name an ``optimizer``)."""

OptionKind = Literal["number", "integer", "flag", "text", "numbers", "choice"]


@dataclass(frozen=True)
class Option:
    """One input of a worked example.

    Attributes:
        name: as written in ``[options]`` and given with ``--set NAME=VALUE``.
        kind: ``number``, ``integer``, ``flag``, ``text``, ``numbers`` (a list) or ``choice``.
        default: used when neither the topic nor the user gives a value (None: the example
            decides, e.g. a preset's starting point).
        description: one line for ``--help`` and error messages.
        low, high: the valid range of a number (``low_open``: the low end excluded).
        choices: the values of a choice.
        from_spec: the option is one of the engine's hyper-parameters (an optimizer's, with its
            default); listings show it only when a topic or the user sets it.
    """

    name: str
    kind: OptionKind
    default: Any
    description: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    choices: tuple[str | None, ...] = ()
    from_spec: bool = False

    def describe(self) -> str:
        """``a number > 0``, ``a whole number from 1 to 1000``, ``one of cosine, cyclic``."""
        if self.kind == "choice":
            return "one of " + ", ".join("none" if c is None else c for c in self.choices)
        noun = {
            "number": "a number",
            "integer": "a whole number",
            "flag": "true or false",
            "text": "text",
            "numbers": "numbers separated by commas",
        }[self.kind]
        if self.kind not in ("number", "integer", "numbers"):
            return noun
        if self.low > -math.inf and self.high < math.inf:
            return f"{noun} from {_show(self.low)} to {_show(self.high)}"
        if self.low > -math.inf:
            return f"{noun} {'>' if self.low_open else '>='} {_show(self.low)}"
        return noun

    def convert(self, value: Any) -> Any:
        """The value in this option's type (a tuple for ``numbers``), or a TutorError whose
        message says what is expected (without the option's name)."""
        if self.kind == "choice":
            if value == "none" and None in self.choices:
                return None
            if value not in self.choices:
                raise TutorError(f"must be {self.describe()}, got {value!r}")
            return value
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise TutorError(f"must be {self.describe()}, got {value!r}")
            return value.strip()
        if self.kind == "flag":
            if not isinstance(value, bool):
                raise TutorError(f"must be true or false, got {value!r}")
            return value
        if self.kind == "numbers":
            items = value if isinstance(value, (list, tuple)) else [value]
            if not items:
                raise TutorError("must list at least one number")
            return tuple(self._number(item) for item in items)
        return self._number(value)

    def _number(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TutorError(f"must be {self.describe()}, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise TutorError(f"must be a finite number, got {value!r}")
        if self.kind == "integer" and not number.is_integer():
            raise TutorError(f"must be {self.describe()}, got {value!r}")
        above = number > self.low if self.low_open else number >= self.low
        if not above or number > self.high:
            raise TutorError(f"must be {self.describe()}, got {_show(number)}")
        return int(number) if self.kind == "integer" else number

    def parse(self, text: str) -> Any:
        """The value of a command-line string (``0.1``, ``1.5,-0.5``, ``true``, ``cosine``)."""
        text = text.strip()
        if self.kind in ("text", "choice"):
            return self.convert(text)
        if self.kind == "flag":
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise TutorError(f"must be true or false, got {text!r}")
            return lowered == "true"
        parts = [p.strip() for p in text.split(",")] if self.kind == "numbers" else [text]
        numbers: list[Any] = []
        for part in parts:
            try:
                numbers.append(float(part))
            except ValueError:
                raise TutorError(f"must be {self.describe()}, got {text!r}") from None
        return self.convert(numbers if self.kind == "numbers" else numbers[0])


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


def _number(name: str, default: Any, description: str, **bounds: Any) -> Option:
    return Option(name, "number", default, description, **bounds)


def _integer(name: str, default: Any, description: str, **bounds: Any) -> Option:
    return Option(name, "integer", default, description, **bounds)


def _steps(default: int, what: str = "how many steps to run") -> Option:
    return _integer("steps", default, what, low=1, high=1000)


def _loss(default: str) -> Option:
    return Option("loss", "text", default, "the loss: an expression or a preset name")


def _theta(default: tuple[float, ...] | None) -> Option:
    return Option("theta", "numbers", default, "the start, one value per parameter")


POSITIVE: dict[str, Any] = {"low": 0.0, "low_open": True}
NON_NEGATIVE: dict[str, Any] = {"low": 0.0}
PROBABILITY: dict[str, Any] = {"low": 0.0, "high": 1.0, "low_open": True}

# --- Options that depend on the optimizer --------------------------------------------------------


def _from_hyperparameter(hyper: Any) -> Option:
    """An example option for one of the engine's hyper-parameters (same name and default; the
    engine checks the range when the optimizer is configured)."""
    kinds: dict[str, OptionKind] = {
        "flag": "flag",
        "int": "integer",
        "float": "number",
        "choice": "choice",
    }
    kind = kinds[hyper.kind]
    return Option(
        hyper.name, kind, hyper.default, hyper.description, choices=hyper.choices, from_spec=True
    )


def _spec_options(optimizer: str | None) -> dict[str, Option]:
    if optimizer is None:
        return {}
    from tutor.engine import OPTIMIZERS

    spec = OPTIMIZERS.get(optimizer)
    if spec is None:
        return {}
    return {h.name: _from_hyperparameter(h) for h in spec.hyperparameters}


def _run_options(loss: str, theta: tuple[float, ...] | None, steps: int) -> dict[str, Option]:
    return {o.name: o for o in (_loss(loss), _theta(theta), _steps(steps))}


def _optimizer_run(
    name: str, loss: str, theta: tuple[float, ...] | None, steps: int
) -> Callable[[str | None, Mapping[str, Any]], dict[str, Option]]:
    """Options of an example that runs the optimizer ``name``: the run's and its
    hyper-parameters, read from the registry."""

    def options(optimizer: str | None, given: Mapping[str, Any]) -> dict[str, Option]:
        return {**_run_options(loss, theta, steps), **_spec_options(name)}

    return options


# --- Example kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleKind:
    """A kind of worked example: what it shows and which options it takes.

    ``options(optimizer, given)`` returns the accepted options for a topic's optimizer and the
    values given so far (a choice such as ``schedule`` or ``which`` decides the rest).
    ``needs_optimizer``: the topic must name an optimizer (the example runs it).
    """

    name: str
    shows: str
    options: Callable[[str | None, Mapping[str, Any]], dict[str, Option]]
    needs_optimizer: bool = False


def _fixed(*options: Option) -> Callable[[str | None, Mapping[str, Any]], dict[str, Option]]:
    table = {o.name: o for o in options}
    return lambda optimizer, given: dict(table)


def _by_choice(
    choice: Option, each: Mapping[str, tuple[Option, ...]]
) -> Callable[[str | None, Mapping[str, Any]], dict[str, Option]]:
    """Options decided by one choice (``which``, ``schedule``): the choice plus its own set."""

    def options(optimizer: str | None, given: Mapping[str, Any]) -> dict[str, Option]:
        picked = given.get(choice.name, choice.default)
        extra = each.get(picked, ()) if isinstance(picked, str) else ()
        return {choice.name: choice, **{o.name: o for o in extra}}

    return options


def _natural_options(optimizer: str | None, given: Mapping[str, Any]) -> dict[str, Option]:
    """The natural gradient's run: its model defines the loss, so there is no ``loss``; the
    example uses the logistic model unless told otherwise (none while the engine lacks it)."""
    found = _spec_options(NATURAL_GRADIENT)
    if not found:
        return {}
    if "model" in found:
        found["model"] = dataclasses.replace(found["model"], default="logistic", from_spec=False)
    return {"theta": _theta(None), "steps": _steps(3), **found}


NATURAL_GRADIENT = "natural-gradient"


def _solve_options(optimizer: str | None, given: Mapping[str, Any]) -> dict[str, Option]:
    return {**_run_options("quadratic", None, 3), **_spec_options(optimizer)}


_SCHEDULE = Option(
    "schedule",
    "choice",
    "cosine",
    "which schedule",
    choices=("cosine", "warmup-cosine", "cyclic", "onecycle", "plateau"),
)
_SCHEDULES: Mapping[str, tuple[Option, ...]] = {
    "cosine": (
        _number("lr", 0.1, "the starting learning rate", **POSITIVE),
        _steps(100),
        _integer("t_max", 100, "T_max: steps in half a cosine period", low=1),
        _number("eta_min", 0.0, "the floor", **NON_NEGATIVE),
    ),
    "warmup-cosine": (
        _number("lr", 0.001, "the peak learning rate", **POSITIVE),
        _steps(100),
        _integer("warmup_steps", 10, "steps of the linear ramp", low=0),
        _integer("t_max", 100, "T_max: steps of the cosine after the ramp", low=1),
        _number("eta_min", 0.0, "the floor", **NON_NEGATIVE),
    ),
    "cyclic": (
        _number("base_lr", 0.001, "the lower bound", **POSITIVE),
        _number("max_lr", 0.01, "the upper bound", **POSITIVE),
        _integer("step_size_up", 2000, "steps of the rising half-cycle", low=1),
        _steps(100),
    ),
    "onecycle": (
        _number("max_lr", 0.1, "the peak learning rate", **POSITIVE),
        _steps(100),
        _number("pct_start", 0.3, "the share of steps spent rising", **PROBABILITY),
        _number("div_factor", 25.0, "start = max_lr / div_factor", **POSITIVE),
        _number("final_div_factor", 1e4, "end = start / final_div_factor", **POSITIVE),
    ),
    "plateau": (
        _number("lr", 0.1, "the starting learning rate", **POSITIVE),
        _steps(60),
        _number("factor", 0.1, "the factor applied at each cut", low=0.0, high=1.0, low_open=True),
        _integer("patience", 10, "steps without improvement before a cut", low=0),
    ),
}


def _engine_schedule(name: Any) -> Any:
    """The engine's schedule called ``name`` (None while the engine has no schedules)."""
    import importlib.util

    if not isinstance(name, str) or importlib.util.find_spec("tutor.engine.schedules") is None:
        return None
    from tutor.engine.schedules import get_schedule

    try:
        return get_schedule(name)
    except TutorError:
        return None


def _schedule_options(optimizer: str | None, given: Mapping[str, Any]) -> dict[str, Option]:
    """``schedule`` and the chosen schedule's arguments: the engine's (torch's names and
    defaults; those that default to the run's length are left to the run), or the list above
    while the engine has no schedules."""
    picked = given.get(_SCHEDULE.name, _SCHEDULE.default)
    spec = _engine_schedule(picked)
    if spec is None:
        extra = _SCHEDULES.get(picked, ()) if isinstance(picked, str) else ()
        return {_SCHEDULE.name: _SCHEDULE, **{o.name: o for o in extra}}
    options = {_SCHEDULE.name: _SCHEDULE, "steps": _steps(100)}
    if spec.reads_lr:
        options["lr"] = _number("lr", 0.1, "the optimizer's starting learning rate", **POSITIVE)
    for parameter in spec.parameters:
        option = _from_hyperparameter(parameter)
        if parameter.name in (*spec.required, *spec.run_defaults):
            option = dataclasses.replace(option, default=None)
        options[parameter.name] = option
    return options


_WHICH = Option(
    "which",
    "choice",
    "cross-entropy",
    "which loss",
    choices=("cross-entropy", "focal", "infonce", "triplet", "contrastive", "l1", "l2"),
)
_RESIDUALS = (
    Option("predictions", "numbers", (2.5, 0.0, 2.0, 8.0), "the predictions ŷ"),
    Option("targets", "numbers", (3.0, -0.5, 2.0, 7.0), "the targets y"),
)
_LOSSES: Mapping[str, tuple[Option, ...]] = {
    "cross-entropy": (
        Option("logits", "numbers", (2.0, 0.5, -1.0), "one logit per class"),
        _integer("target", 0, "the index of the true class (from 0)", low=0),
    ),
    "focal": (
        _number("p", 0.9, "the predicted probability of the true class", **PROBABILITY),
        _number("hard_p", 0.1, "a second probability to compare with", **PROBABILITY),
        _number("gamma", 2.0, "the focusing parameter γ", **NON_NEGATIVE),
        _number("alpha", 0.25, "the class weight αₜ", low=0.0, high=1.0),
    ),
    "infonce": (
        Option(
            "similarities",
            "numbers",
            (0.9, 0.6, 0.3, -0.2),
            "the similarity of the query to each candidate",
        ),
        _integer("positive", 0, "the index of the true partner (from 0)", low=0),
        _number("temperature", 0.1, "the temperature τ", **POSITIVE),
    ),
    "triplet": (
        Option("anchor", "numbers", (0.0, 0.0), "the anchor's embedding"),
        Option("positive", "numbers", (1.0, 0.0), "the positive's embedding"),
        Option("negative", "numbers", (0.0, 1.5), "the negative's embedding"),
        _number("margin", 1.0, "the margin m", **NON_NEGATIVE),
    ),
    "contrastive": (
        Option("x1", "numbers", (0.0, 0.0), "the first embedding"),
        Option("x2", "numbers", (0.5, 0.0), "the second embedding"),
        _integer("y", 1, "0: a similar pair, 1: a dissimilar pair", low=0, high=1),
        _number("margin", 1.0, "the margin m", **NON_NEGATIVE),
    ),
    "l1": _RESIDUALS,
    "l2": _RESIDUALS,
}

EXAMPLES: Mapping[str, ExampleKind] = {
    kind.name: kind
    for kind in (
        ExampleKind(
            "solve_steps",
            "the topic's optimizer run for a few steps, every quantity computed",
            _solve_options,
            needs_optimizer=True,
        ),
        ExampleKind(
            "bias_correction",
            "the factors 1/(1 − βᵗ) and Adam's moments, raw and corrected, on a constant gradient",
            _fixed(
                _number("beta1", 0.9, "β₁", low=0.0, high=1.0 - 1e-12),
                _number("beta2", 0.999, "β₂", low=0.0, high=1.0 - 1e-12),
                _steps(10),
                _number("g", 1.0, "the constant gradient"),
            ),
        ),
        ExampleKind(
            "decay_vs_l2",
            "Adam with L2 and AdamW on one problem: the decay each coordinate feels",
            _fixed(
                *_run_options("(x - 1)**2 + 100*(y - 1)**2", (2.0, 2.0), 5).values(),
                _number("lr", 0.1, "learning rate", **POSITIVE),
                _number("weight_decay", 0.1, "λ, the same for both", **NON_NEGATIVE),
            ),
        ),
        ExampleKind(
            "momentum_ravine",
            "gradient descent with and without momentum in a narrow valley",
            _fixed(
                *_run_options("x**2 + 100*y**2", (3.0, 1.0), 60).values(),
                _number("lr", 0.009, "learning rate (the same for both runs)", **POSITIVE),
                _number("momentum", 0.9, "momentum μ of the second run", low=0.0, high=1.0),
            ),
        ),
        ExampleKind(
            "adagrad_effective_lr",
            "AdaGrad's per-coordinate effective learning rate η/(√G + ε), step by step",
            _optimizer_run("adagrad", "x**2 + 10*y**2", (1.0, 1.0), 20),
        ),
        ExampleKind(
            "schedule_curve",
            "a learning-rate schedule's ηₜ for every step, as a table and a terminal plot",
            _schedule_options,
        ),
        ExampleKind(
            "clipping",
            "a gradient clipped by its norm and by value, as torch.nn.utils does",
            _fixed(
                Option("g", "numbers", (3.0, -4.0, 12.0), "the gradient"),
                _number("max_norm", 1.0, "clip_grad_norm_'s max_norm", **POSITIVE),
                _number("clip_value", 1.0, "clip_grad_value_'s clip_value", **NON_NEGATIVE),
            ),
        ),
        ExampleKind(
            "newton_step",
            "the Hessian's eigenvalues at the start and Newton's step from there",
            _optimizer_run("newton", "himmelblau", None, 1),
        ),
        ExampleKind(
            "lbfgs_steps",
            "L-BFGS steps with their two-loop recursion and line search",
            _optimizer_run("lbfgs", "rosenbrock", None, 10),
        ),
        ExampleKind(
            "natural_gradient",
            "the ordinary and the natural gradient of a small model side by side",
            _natural_options,
        ),
        ExampleKind(
            "memory_table",
            "bytes per parameter and per GPU for Adam, 8-bit Adam, Adafactor and ZeRO",
            _fixed(
                _number("params", 1e9, "the number of parameters", low=1.0),
                _integer("gpus", 1, "the number of GPUs (data-parallel)", low=1),
                _integer("block_size", 2048, "8-bit Adam's quantization block", low=1),
                _integer("rows", 4096, "rows of a typical weight matrix (Adafactor)", low=1),
                _integer("cols", 4096, "columns of a typical weight matrix (Adafactor)", low=1),
            ),
        ),
        ExampleKind(
            "loss_function",
            "a loss's value and gradient on a small example",
            _by_choice(_WHICH, _LOSSES),
        ),
        ExampleKind(
            "saddle_point",
            "gradient descent leaving the saddle of x² − y²",
            _fixed(
                *_run_options("x**2 - y**2", (1.0, 0.001), 30).values(),
                _number("lr", 0.1, "learning rate", **POSITIVE),
            ),
        ),
        ExampleKind(
            "convexity_check",
            "the chord test and the Hessian's eigenvalues on a grid of points",
            _fixed(
                _loss("(x**2 - 1)**2 + y**2"),
                _number("box", 2.0, "the grid spans [−box, box] in every coordinate", **POSITIVE),
                _integer("points", 5, "grid points per coordinate", low=2, high=9),
            ),
        ),
    )
}
"""Every kind of worked example, by the name topic files use."""


def example_options(
    kind: str, optimizer: str | None, given: Mapping[str, Any]
) -> dict[str, Option]:
    """The options ``kind`` accepts for a topic's optimizer and the values given so far."""
    return EXAMPLES[kind].options(optimizer, given)


def resolve_options(
    kind: str, optimizer: str | None, *layers: Mapping[str, Any], label: str | None = None
) -> dict[str, Any]:
    """Every option of an example: defaults, then each layer of values (the topic's
    ``[options]``, then the user's), each converted (text from a command line is parsed in the
    option's type). A TutorError names an option the example does not take, listing those it
    does, or a bad value. ``label`` names the example in messages (``'adam' example``)."""
    given: dict[str, Any] = {}
    for layer in layers:
        given.update(layer)
    accepted = example_options(kind, optimizer, given)
    values: dict[str, Any] = {name: option.default for name, option in accepted.items()}
    what = label or f"the {kind} example"
    for name, value in given.items():
        option = accepted.get(name)
        if option is None:
            known = ", ".join(sorted(accepted)) or "none"
            raise TutorError(f"{what} takes no option {name!r} (it takes: {known})")
        try:
            values[name] = option.parse(value) if isinstance(value, str) else option.convert(value)
        except TutorError as error:
            raise TutorError(f"option {name} {error}") from None
    return values


SHORTCUTS = ("lr", "steps", "beta1", "beta2", "momentum", "weight_decay", "theta", "loss")
"""Options that ``tutor explain`` accepts as flags of their own (``--lr 0.01``); every other
option is given with ``--set NAME=VALUE``."""
