"""Explanations: a topic's text with its computed parts filled in, and the list of topics.

:func:`explain` resolves a topic (by id or alias), merges the example's options (the hook's
defaults, the topic's ``[options]``, then the user's overrides), runs the example now, and reads
what an optimizer topic shows from its spec: the update's formula trees, the hyper-parameters and
the conventions table. So an explanation cannot disagree with what ``tutor solve`` computes:
both read the same spec, and the example is the engine's own run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tutor.content.explain import GROUPS, Topic, bundled_topics, find_topic, groups
from tutor.content.hooks import EXAMPLES, example_options, resolve_options
from tutor.engine.formula import ByStep, Computed, Expr, Where
from tutor.errors import TutorError


@dataclass(frozen=True)
class Equation:
    """One line of an optimizer's update as the spec builds it.

    Attributes:
        key: the quantity (``m_hat``).
        symbol: (plain, LaTeX) of the quantity at step t.
        formula: (plain, LaTeX) of its formula at a general step t (the printed, textbook form).
        description: what the quantity is.
        condition: (plain, LaTeX) of the condition under which it is computed, if any.
        computed: (plain, LaTeX) of the order of operations the reference implementation
            evaluates, where it differs from ``formula`` (a :class:`Computed` node).
        procedure: True for a step that is code, not a formula (``formula`` is how it is shown).
    """

    key: str
    symbol: tuple[str, str]
    formula: tuple[str, str]
    description: str
    condition: tuple[str, str] | None = None
    computed: tuple[str, str] | None = None
    procedure: bool = False


def shown_form(formula: Expr) -> Expr:
    """The formula as printed at a general step t: every :class:`Computed` node by its textbook
    form; :class:`ByStep` and per-step :class:`Where` nodes keep both cases."""
    return formula.transform(
        lambda node: shown_form(node.shown) if isinstance(node, Computed) else None
    )


def computed_form(formula: Expr, constants: Mapping[str, Any]) -> Expr:
    """The order of operations the engine evaluates: each :class:`Computed` node by its computed
    side, and conditions that the configuration alone decides (torch.lerp's branch on the
    weight) by the branch taken."""

    def rule(node: Expr) -> Expr | None:
        if isinstance(node, Computed):
            return computed_form(node.computed, constants)
        if isinstance(node, Where) and not isinstance(node, ByStep):
            taken = node.decide(constants)
            if taken is not None:
                return computed_form(node.then if taken else node.otherwise, constants)
        return None

    return formula.transform(rule)


def _has_computed(formula: Expr) -> bool:
    return any(isinstance(node, Computed) for node in formula.walk())


def equations(config: Any) -> tuple[Equation, ...]:
    """Every step of the configuration's algorithm, as the spec's formula trees print it."""
    from tutor.engine.program import constants_of
    from tutor.engine.spec import Assign

    constants = constants_of(config)
    algorithm = config.algorithm()
    out: list[Equation] = []
    for step in algorithm.steps:
        if isinstance(step, Assign):
            quantity, formula = step.quantity, step.formula
            shown = shown_form(formula)
            computed = None
            if _has_computed(formula):
                tree = computed_form(formula, constants)
                computed = (tree.plain(), tree.latex())
            when = step.when
            out.append(
                Equation(
                    quantity.key,
                    (quantity.symbol.text, quantity.symbol.tex),
                    (shown.plain(), shown.latex()),
                    quantity.description,
                    None if when is None else (when.plain(), when.latex()),
                    computed,
                )
            )
        else:
            for quantity, shown in zip(step.outputs, step.shown, strict=True):
                form = shown_form(shown)
                out.append(
                    Equation(
                        quantity.key,
                        (quantity.symbol.text, quantity.symbol.tex),
                        (form.plain(), form.latex()),
                        quantity.description,
                        procedure=True,
                    )
                )
    return tuple(out)


@dataclass(frozen=True, eq=False)
class SpecParts:
    """What an optimizer topic reads from its spec, configured with the example's values."""

    spec: Any
    config: Any
    equations: tuple[Equation, ...]
    conventions: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class Explanation:
    """``tutor explain TOPIC``: the topic, its computed parts and where to go next.

    Attributes:
        topic: the validated topic file.
        options: the example's inputs as used (defaults, the topic's, the user's).
        overrides: the inputs the user changed.
        inputs: the inputs worth listing: the example's own, and the optimizer's
            hyper-parameters that the topic or the user set (not every default).
        example: the example's data (see :mod:`tutor.teach.examples`), or None.
        spec: the optimizer's parts, or None for a topic without an optimizer.
        defaults: the value of every ``{{ default OPTIMIZER NAME }}`` in the text.
        related: the related topics.
    """

    kind = "explanation"

    topic: Topic
    options: Mapping[str, Any]
    overrides: Mapping[str, Any]
    example: Any
    spec: SpecParts | None
    inputs: tuple[str, ...]
    defaults: Mapping[tuple[str, str], Any]
    related: tuple[Topic, ...]


@dataclass(frozen=True)
class TopicList:
    """``tutor explain``: every topic, by group."""

    kind = "topics"

    groups: tuple[tuple[str, tuple[Topic, ...]], ...]


def topic_list() -> TopicList:
    return TopicList(tuple(groups(bundled_topics().values())))


def _spec_parts(topic: Topic, options: Mapping[str, Any]) -> SpecParts | None:
    if topic.optimizer is None:
        return None
    from tutor.engine import get_optimizer
    from tutor.teach.conventions import convention_rows

    spec = get_optimizer(topic.optimizer)
    names = {h.name for h in spec.hyperparameters}
    config = spec.configure({k: v for k, v in options.items() if k in names})
    used = topic.placeholders()
    return SpecParts(
        spec,
        config,
        equations(config) if "equations" in used else (),
        tuple(convention_rows(spec)) if "conventions" in used else (),
    )


def _defaults(topic: Topic) -> dict[tuple[str, str], Any]:
    from tutor.engine import get_optimizer

    return {
        (ref.optimizer, ref.name): get_optimizer(ref.optimizer).hyperparameter(ref.name).default
        for ref in topic.defaults()
    }


def explain(ref: str, overrides: Mapping[str, Any] | None = None) -> Explanation:
    """The explanation of the topic ``ref`` (an id or an alias), its example computed now.

    ``overrides`` change the example's inputs (``{"lr": 0.01, "steps": 5}``); an input the
    example does not take is a TutorError that lists those it does.
    """
    from tutor.teach.examples import run_example

    topic = find_topic(ref)
    overrides = dict(overrides or {})
    example = None
    options: dict[str, Any] = {}
    inputs: tuple[str, ...] = ()
    if topic.example is None:
        if overrides:
            raise TutorError(
                f"topic {topic.id!r} has no worked example, so it takes no options "
                f"(given: {', '.join(sorted(overrides))})"
            )
    else:
        options = resolve_options(
            topic.example,
            topic.optimizer,
            topic.options,
            overrides,
            label=f"the example of {topic.id!r} ({topic.example})",
        )
        example = run_example(topic.example, topic.optimizer, options)
        accepted = example_options(topic.example, topic.optimizer, options)
        inputs = tuple(
            name
            for name in options
            if not accepted[name].from_spec or name in topic.options or name in overrides
        )
    topics = bundled_topics()
    return Explanation(
        topic,
        options,
        overrides,
        example,
        _spec_parts(topic, options),
        inputs,
        _defaults(topic),
        tuple(topics[r] for r in topic.related if r in topics),
    )


def example_kinds() -> tuple[str, ...]:
    """Every example kind the content may name."""
    return tuple(EXAMPLES)


__all__ = ["GROUPS", "Equation", "Explanation", "TopicList", "explain", "topic_list"]
