"""Generated numeric questions: templates drawn from the optimizer definitions with a seed.

A :class:`Template` draws an optimizer's hyper-parameters, a small loss ``a·(θ − c)²`` and a start
from a seeded generator, runs the engine, and asks one quantity at one step ("what is v̂₂ for
Adam with …?"). So a student can practise without end, two seeds give different numbers, and
the answer is always the engine's, never one written by hand.

A generated multiple-choice question offers as wrong choices the values of the same quantity
under the mistaken variants of the optimizer (:func:`tutor.teach.mistakes.variants`, each run by
the engine): every wrong choice is a real misconception. A variant whose value is within the
tolerance of the answer, or of a choice already offered, is dropped, and so is one more than
:data:`PLAUSIBLE` times larger than the answer (dividing by a zero moment, say); with fewer than
two wrong choices left the question is asked as a numeric one. The schedule template (the rate
at optimizer step t of a cosine schedule, computed by :mod:`tutor.engine.schedules`) has no
mistaken variants, so its questions are always numeric, with the schedule's formula as the
worked answer.

Randomness: :func:`numpy.random.default_rng` seeded with the question's seed (PCG64), so a seed
gives the same numbers on every machine with the same NumPy (NumPy keeps the bit stream of a
seed fixed, but does not promise that every ``Generator`` method maps it to the same values in
all future versions). A generated question's id is ``gen:<name>:<seed>``; its template id
``gen:<name>`` is what progress schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from tutor.content.tolerances import Tolerance
from tutor.engine.formula import number_text
from tutor.errors import TutorError
from tutor.teach.problem import make_problem
from tutor.teach.questions import Asked, FormulaLine, Worked

PREFIX = "gen:"
TOLERANCE = Tolerance(sig_figs=4)
MAX_DISTRACTORS = 3
PLAUSIBLE = 100.0
"""A wrong choice more than this many times the answer's size (or 0.01) is not offered."""


@dataclass(frozen=True)
class Draw:
    """What one seed drew: an optimizer run and the value asked of it.

    The loss is ``a·(θ − c)²`` in one parameter θ, started at ``theta0``.
    """

    optimizer: str
    hyperparameters: Mapping[str, float | bool]
    a: float
    c: float
    theta0: float
    quantity: str
    step: int

    def ask(self, chosen: Template, seed: int, kind: str, rng: np.random.Generator) -> Asked:
        return _optimizer_question(self, chosen, seed, kind, rng)


@dataclass(frozen=True)
class ScheduleDraw:
    """What one seed drew for a learning-rate schedule: its arguments, the optimizer's
    starting rate ``lr``, and the optimizer step ``step`` whose rate is asked."""

    schedule: str
    arguments: Mapping[str, float]
    lr: float
    step: int

    def ask(self, chosen: Template, seed: int, kind: str, rng: np.random.Generator) -> Asked:
        return _schedule_question(self, chosen, seed)


@dataclass(frozen=True)
class Template:
    """A family of generated questions.

    Attributes:
        id: ``gen:<name>``; progress schedules a generated question by it.
        topic: a topic id.
        difficulty: 1 to 3.
        summary: what it asks, in a few words (for listings).
        asks: the asked value in words, after its symbol (``the bias-corrected second moment``).
        draw: the numbers of one question, from a seeded generator.
        shown: the hyper-parameters the prompt states (the others are torch's defaults).
        kinds: the kinds it can ask (a choice needs mistaken variants for its wrong choices).
        explanation: the method, shown after answering (the worked table shows the numbers).
        hint: shown on request.
    """

    id: str
    topic: str
    difficulty: int
    summary: str
    asks: str
    draw: Callable[[np.random.Generator], Draw | ScheduleDraw]
    shown: tuple[str, ...]
    explanation: str
    hint: str
    kinds: tuple[str, ...] = ("numeric", "choice")

    @property
    def name(self) -> str:
        return self.id.removeprefix(PREFIX)


# --- Drawing numbers -----------------------------------------------------------------------------


def _pick(rng: np.random.Generator, options: Sequence[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _loss(rng: np.random.Generator) -> tuple[float, float, float]:
    """``(a, c, θ₀)``: a curvature, a minimum and a start 0.5 to 3 away from it (0.1 grid)."""
    a = float(_pick(rng, (0.5, 1.0, 2.0)))
    c = float(rng.integers(-2, 3))
    offset = int(rng.integers(5, 31)) / 10 * (1 if rng.integers(2) else -1)
    return a, c, round(c + offset, 1)


def _adam(quantity: str) -> Callable[[np.random.Generator], Draw]:
    def draw(rng: np.random.Generator) -> Draw:
        hyper = {
            "lr": float(_pick(rng, (0.01, 0.05, 0.1, 0.2))),
            "beta1": float(_pick(rng, (0.8, 0.9))),
            "beta2": float(_pick(rng, (0.99, 0.999))),
        }
        a, c, theta0 = _loss(rng)
        return Draw("adam", hyper, a, c, theta0, quantity, int(rng.integers(2, 4)))

    return draw


def _adamw(rng: np.random.Generator) -> Draw:
    hyper = {
        "lr": float(_pick(rng, (0.01, 0.05, 0.1, 0.2))),
        "weight_decay": float(_pick(rng, (0.01, 0.05, 0.1, 0.2))),
    }
    a, c, theta0 = _loss(rng)
    return Draw("adamw", hyper, a, c, theta0, "theta_next", int(rng.integers(1, 3)))


def _nesterov(rng: np.random.Generator) -> Draw:
    hyper = {
        "lr": float(_pick(rng, (0.01, 0.02, 0.05, 0.1))),
        "momentum": float(_pick(rng, (0.5, 0.8, 0.9))),
        "nesterov": True,
    }
    a, c, theta0 = _loss(rng)
    return Draw("sgd", hyper, a, c, theta0, "theta_next", 1)


def _momentum(rng: np.random.Generator) -> Draw:
    hyper = {
        "lr": float(_pick(rng, (0.01, 0.02, 0.05, 0.1))),
        "momentum": float(_pick(rng, (0.5, 0.8, 0.9))),
    }
    a, c, theta0 = _loss(rng)
    return Draw("sgd", hyper, a, c, theta0, "momentum_buffer", int(rng.integers(2, 4)))


def _rmsprop(rng: np.random.Generator) -> Draw:
    hyper = {
        "lr": float(_pick(rng, (0.001, 0.01, 0.05))),
        "alpha": float(_pick(rng, (0.9, 0.99))),
    }
    a, c, theta0 = _loss(rng)
    return Draw("rmsprop", hyper, a, c, theta0, "update", int(rng.integers(1, 3)))


def _adagrad(rng: np.random.Generator) -> Draw:
    hyper = {"lr": float(_pick(rng, (0.1, 0.5, 1.0)))}
    a, c, theta0 = _loss(rng)
    return Draw("adagrad", hyper, a, c, theta0, "theta_next", 2)


def _cosine(rng: np.random.Generator) -> ScheduleDraw:
    t_max = int(_pick(rng, (50, 100, 200, 500)))
    arguments = {"t_max": float(t_max), "eta_min": float(_pick(rng, (0.0, 1e-4, 1e-3)))}
    lr = float(_pick(rng, (0.01, 0.05, 0.1, 0.2)))
    return ScheduleDraw("cosine", arguments, lr, int(rng.integers(2, t_max + 1)))


TEMPLATES: Mapping[str, Template] = MappingProxyType(
    {
        t.id: t
        for t in (
            Template(
                "gen:adam-v_hat",
                "adam",
                2,
                "Adam's bias-corrected second moment v̂ₜ at step 2 or 3",
                "the bias-corrected second moment",
                _adam("v_hat"),
                ("lr", "beta1", "beta2", "eps"),
                "Adam's second moment is a moving average of squared gradients, "
                "vₜ = β₂·vₜ₋₁ + (1 − β₂)·gₜ² from v₀ = 0, and v̂ₜ = vₜ/(1 − β₂ᵗ) undoes the "
                "pull towards that zero start. Each gradient is taken where the previous step "
                "left θ, so the steps are computed in order.",
                "Square the gradient before averaging, and divide by 1 − β₂ᵗ with this step's t.",
            ),
            Template(
                "gen:adam-m_hat",
                "bias-correction",
                2,
                "Adam's bias-corrected first moment m̂ₜ at step 2 or 3",
                "the bias-corrected first moment",
                _adam("m_hat"),
                ("lr", "beta1", "beta2", "eps"),
                "mₜ = β₁·mₜ₋₁ + (1 − β₁)·gₜ from m₀ = 0 has collected weight 1 − β₁ᵗ after t "
                "steps, so m̂ₜ = mₜ/(1 − β₁ᵗ) is a weighted average of the gradients seen so far. "
                "Each gradient is taken where the previous step left θ.",
                "m̂ₜ = mₜ/(1 − β₁ᵗ); compute θ₁ first to get the gradient of step 2.",
            ),
            Template(
                "gen:adamw-theta",
                "adamw",
                2,
                "θₜ after one or two AdamW steps with weight decay",
                "the parameter after the step",
                _adamw,
                ("lr", "weight_decay", "beta1", "beta2", "eps"),
                "torch.optim.AdamW first shrinks θ to θ·(1 − η·λ), then takes the Adam step "
                "η·m̂ₜ/(√v̂ₜ + ε) computed from the loss gradient alone: the decay never enters "
                "the moments.",
                "Decay first, by the factor 1 − lr·weight_decay; the gradient is taken at the "
                "undecayed θ.",
            ),
            Template(
                "gen:sgd-nesterov-theta",
                "nesterov",
                2,
                "θ₁ after one Nesterov SGD step",
                "the parameter after the step",
                _nesterov,
                ("lr", "momentum", "nesterov"),
                "torch's SGD starts the momentum buffer at the first gradient, b₁ = g₁, and with "
                "nesterov = true steps along dₜ = gₜ + μ·bₜ, so θ₁ = θ₀ − η·(1 + μ)·g₁.",
                "torch's first buffer is the gradient itself, not (1 − μ)·g.",
            ),
            Template(
                "gen:sgd-momentum-buffer",
                "momentum",
                2,
                "SGD's momentum buffer bₜ at step 2 or 3",
                "the momentum buffer (torch's momentum_buffer)",
                _momentum,
                ("lr", "momentum"),
                "torch's buffer adds the whole gradient: b₁ = g₁, then bₜ = μ·bₜ₋₁ + gₜ (no "
                "(1 − μ) factor, unlike the moving average of many course notes), and "
                "θₜ = θₜ₋₁ − η·bₜ.",
                "b₁ = g₁; after that bₜ = μ·bₜ₋₁ + gₜ, with gₜ taken at θₜ₋₁.",
            ),
            Template(
                "gen:rmsprop-update",
                "rmsprop",
                2,
                "RMSprop's step Δθₜ at step 1 or 2",
                "the step subtracted from θ",
                _rmsprop,
                ("lr", "alpha", "eps"),
                "torch's RMSprop keeps vₜ = α·vₜ₋₁ + (1 − α)·gₜ² from v₀ = 0, with no bias "
                "correction, and steps by Δθₜ = η·gₜ/(√vₜ + ε).",
                "There is no bias correction, so √v₁ = √(1 − α)·|g₁|.",
            ),
            Template(
                "gen:adagrad-theta",
                "adagrad",
                1,
                "θ₂ after two AdaGrad steps",
                "the parameter after the step",
                _adagrad,
                ("lr", "eps"),
                "AdaGrad adds each squared gradient to its accumulator, Gₜ = Gₜ₋₁ + gₜ², and "
                "steps by η·gₜ/(√Gₜ + ε), so the step size per coordinate only ever shrinks.",
                "The accumulator of step 2 holds g₁² + g₂².",
            ),
            Template(
                "gen:cosine-lr",
                "cosine-annealing",
                2,
                "the learning rate at step t of a cosine schedule",
                "the learning rate",
                _cosine,
                (),
                "CosineAnnealingLR sets ηₜ = η_min + (η₀ − η_min)·(1 + cos(π·k/T_max))/2 with "
                "k = t − 1 scheduler steps taken before optimizer step t, so step 1 runs at η₀ "
                "and the rate reaches η_min after T_max scheduler steps.",
                "Count the scheduler steps taken before this optimizer step: k = t − 1.",
                kinds=("numeric",),
            ),
        )
    }
)
"""Every template, by id."""


def template(template_id: str) -> Template:
    """The template called ``template_id`` (with or without ``gen:``)."""
    key = template_id if template_id.startswith(PREFIX) else PREFIX + template_id
    found = TEMPLATES.get(key)
    if found is None:
        raise TutorError(
            f"no generated-question template {template_id!r} (known: {', '.join(TEMPLATES)})"
        )
    return found


# --- Building a question -------------------------------------------------------------------------


def loss_texts(a: float, c: float) -> tuple[str, str]:
    """``a·(θ − c)²`` for the engine (``2*(theta - 1)**2``) and for people (``2·(θ − 1)²``)."""
    if c == 0:
        inner, shown = "theta", "θ"
    else:
        sign, size = ("-", "−") if c > 0 else ("+", "+"), number_text(abs(c))
        inner, shown = f"(theta {sign[0]} {size})", f"(θ {sign[1]} {size})"
    if a == 1:
        return f"{inner}**2", f"{shown}²"
    return f"{number_text(a)}*{inner}**2", f"{number_text(a)}·{shown}²"


def _setting(name: str, values: Mapping[str, Any]) -> str:
    value = values[name]
    if isinstance(value, bool):
        return f"{name} = {str(value).lower()}"
    return f"{name} = {number_text(value)}"


def distinct_texts(values: Sequence[float], tolerance: Tolerance) -> tuple[str, ...]:
    """The values as text, each with the fewest significant figures (at least the tolerance's)
    that tells every value apart."""
    start = tolerance.sig_figs or 4
    for digits in range(start, 18):
        texts = tuple(f"{v:.{digits}g}" for v in values)
        if len(set(texts)) == len(texts):
            return texts
    return tuple(repr(v) for v in values)


def _distractors(
    worked: Worked, answer: float, tolerance: Tolerance, rng: np.random.Generator
) -> list[tuple[str, float]]:
    """Mistaken values that differ from the answer and from each other (within tolerance)."""
    limit = PLAUSIBLE * max(abs(answer), 0.01)
    kept: list[tuple[str, float]] = []
    for mistake_id, value in worked.mistaken.items():
        if abs(value) > limit or tolerance.accepts(value, answer):
            continue
        if any(tolerance.accepts(value, other) for _, other in kept):
            continue
        kept.append((mistake_id, value))
    if len(kept) > MAX_DISTRACTORS:
        chosen = sorted(rng.choice(len(kept), MAX_DISTRACTORS, replace=False).tolist())
        kept = [kept[i] for i in chosen]
    return kept


def generate(template_id: str, seed: int, kind: str | None = None) -> Asked:
    """The question template ``template_id`` draws for ``seed``.

    ``kind`` is ``numeric`` or ``choice``; None lets the seed decide. A choice question with
    fewer than two wrong choices left (see the module docstring), or from a template without
    mistaken variants, is asked as a numeric one.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TutorError(f"a seed is a whole number >= 0, got {seed!r}")
    if kind not in (None, "numeric", "choice"):
        raise TutorError(f"generated questions are numeric or choice, not {kind!r}")
    chosen = template(template_id)
    rng = np.random.default_rng(seed)
    drawn = chosen.draw(rng)
    if kind is None:
        kind = "choice" if rng.integers(2) else "numeric"
    return drawn.ask(chosen, seed, kind, rng)


def _common(chosen: Template, seed: int) -> dict[str, Any]:
    return {
        "id": f"{chosen.id}:{seed}",
        "item": chosen.id,
        "topic": chosen.topic,
        "difficulty": chosen.difficulty,
        "explanation": chosen.explanation,
        "hint": chosen.hint,
        "tolerance": TOLERANCE,
        "template": chosen.id,
        "seed": seed,
    }


def _optimizer_question(
    drawn: Draw, chosen: Template, seed: int, kind: str, rng: np.random.Generator
) -> Asked:
    loss, loss_shown = loss_texts(drawn.a, drawn.c)
    problem = make_problem(
        drawn.optimizer,
        loss=loss,
        theta=[drawn.theta0],
        steps=drawn.step,
        hyperparameters=dict(drawn.hyperparameters),
    )
    worked = Worked(problem, drawn.quantity, drawn.step)
    answer = worked.value
    spec = problem.spec
    values = problem.config.values
    settings = ", ".join(_setting(name, values) for name in chosen.shown)
    steps_text = "one step" if drawn.step == 1 else f"{drawn.step} steps"
    prompt = (
        f"PyTorch's {spec.title} with {settings} (other settings at PyTorch's defaults) on "
        f"L(θ) = {loss_shown}, starting at θ₀ = {number_text(drawn.theta0)}. After "
        f"{steps_text}, what is {worked.symbol}, {chosen.asks}?"
    )
    common = {**_common(chosen, seed), "worked": worked}
    if kind == "choice":
        wrong = _distractors(worked, answer, TOLERANCE, rng)
        if len(wrong) >= 2:
            options: list[tuple[str | None, float]] = [(None, answer), *wrong]
            order = rng.permutation(len(options)).tolist()
            options = [options[i] for i in order]
            texts = distinct_texts([v for _, v in options], TOLERANCE)
            return Asked(
                **common,
                kind="choice",
                prompt=prompt,
                choices=texts,
                answer=next(i for i, (m, _) in enumerate(options) if m is None),
                choice_mistakes=tuple(m for m, _ in options),
            )
    return Asked(
        **common,
        kind="numeric",
        prompt=f"{prompt} ({TOLERANCE.describe()})",
        answer=answer,
    )


def _schedule_question(drawn: ScheduleDraw, chosen: Template, seed: int) -> Asked:
    """ηₜ of a learning-rate schedule (:mod:`tutor.engine.schedules`), with its formula."""
    import math

    from tutor.engine.schedules import get_schedule

    spec = get_schedule(drawn.schedule)
    config = spec.configure(dict(drawn.arguments), drawn.step, lr=drawn.lr)
    rates = config.rates()
    rule = config.rule
    answer = float(rates["lr"][drawn.step - 1])
    k = drawn.step - 1
    env: dict[str, Any] = {**rule.constants, "pi": np.float64(math.pi), "k": np.float64(k)}
    lines = []
    for definition in rule.definitions:
        shown = definition.formula.specialize(env)
        lines.append(
            FormulaLine(
                definition.key,
                definition.symbol.text,
                definition.symbol.tex,
                shown.plain(),
                shown.latex(),
                env,
                shown,
                float(rates[definition.key][k]),
            )
        )
    arguments = ", ".join(
        f"{p.torch_name or p.name}={_argument(drawn.arguments[p.name])}"
        for p in spec.parameters
        if p.name in drawn.arguments
    )
    prompt = (
        f"torch.optim.lr_scheduler.{spec.torch_name}(optimizer, {arguments}) on an optimizer "
        f"created with lr = {number_text(drawn.lr)}, with scheduler.step() called after every "
        f"optimizer.step(). What learning rate does optimizer step {drawn.step} use (after "
        f"{k} scheduler step{'s' if k != 1 else ''})? ({TOLERANCE.describe()})"
    )
    return Asked(
        **_common(chosen, seed),
        kind="numeric",
        prompt=prompt,
        answer=answer,
        formulas=tuple(lines),
        asked_formula="lr",
    )


def _argument(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) >= 1 else number_text(value)
