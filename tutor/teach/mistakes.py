"""Mistaken variants of an optimizer: the conceptual slips students make, as engine configurations.

Each :class:`Mistake` turns a correct :class:`~tutor.engine.spec.Config` into the configuration a
student with that misconception would be computing with: one convention switch flipped
(``bias_correction``, ``eps``, ``decay``, ``momentum_form``) or one formula tree rewritten (β₁ and
β₂ swapped, ``t − 1`` in the bias correction, ``g`` where ``g²`` belongs). Nothing here holds a
number: a mistake's values come from running the engine on the variant, so grading can say which
misconception reproduces a wrong answer, and the quiz can offer real misconceptions as the wrong
choices.

A mistake returns ``None`` where it does not apply (an optimizer without bias correction cannot
forget it; AdamW without weight decay cannot misplace it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tutor.engine import symbols as s
from tutor.engine.formula import BinOp, Computed, Expr, Func, Num, Sym
from tutor.engine.spec import Config

Rewrite = Callable[[Expr], Expr]


@dataclass(frozen=True)
class Mistake:
    """One misconception.

    Attributes:
        id: a stable name (exercise files refer to it).
        description: how a report names it to a student ("forgot bias correction").
        make: the variant configuration, or None where the mistake does not apply.
    """

    id: str
    description: str
    make: Callable[[Config], Config | None]

    def variant(self, config: Config) -> Config | None:
        variant = self.make(config)
        if variant is None:
            return None
        return variant


# --- Helpers -------------------------------------------------------------------------------------


def _switch(config: Config, name: str, value: Any, when: Any = None) -> Config | None:
    """The config with switch ``name`` set to ``value``, if the optimizer has that switch and it
    is not already ``value`` (and, given ``when``, currently equals it)."""
    allowed = config.switches.allowed()
    if name not in allowed or value not in allowed[name]:
        return None
    current = getattr(config.switches, name)
    if current == value or (when is not None and current != when):
        return None
    return config.with_switches(name=f"{config.convention.name} with a mistake", **{name: value})


def _rewrite_everywhere(config: Config, rule: Callable[[Expr], Expr | None]) -> Config | None:
    """Apply ``rule`` to every formula (both sides of Computed nodes); None if nothing changed."""

    def rewrite(formula: Expr) -> Expr:
        return formula.transform(rule)

    algorithm = config.algorithm()
    changed = any(rewrite(f) != f for f in algorithm.formulas.values())
    return config.with_formula("*", rewrite) if changed else None


def _rewrite_quantities(
    config: Config, keys: tuple[str, ...], rule: Callable[[Expr], Expr | None]
) -> Config | None:
    """Rewrite the formulas of the first of ``keys`` the algorithm has, with Computed nodes
    replaced by their printed side (the student writes the textbook formula)."""

    def rewrite(formula: Expr) -> Expr:
        plain = formula.transform(lambda n: n.shown if isinstance(n, Computed) else None)
        return plain.transform(rule)

    formulas = config.algorithm().formulas
    for key in keys:
        if key in formulas and rewrite(formulas[key]) != formulas[key].transform(
            lambda n: n.shown if isinstance(n, Computed) else None
        ):
            return config.with_formula(key, rewrite)
    return None


def _is_power_of_t(node: Expr, betas: tuple[str, ...]) -> bool:
    return (
        isinstance(node, BinOp)
        and node.op == "**"
        and isinstance(node.left, Sym)
        and node.left.key in betas
        and isinstance(node.right, Sym)
        and node.right.key == "t"
    )


BETAS = ("beta1", "beta2")


def _bias_correction_term(node: Expr) -> bool:
    """``1 − βᵗ``."""
    return (
        isinstance(node, BinOp)
        and node.op == "-"
        and isinstance(node.left, Num)
        and node.left.value == 1
        and _is_power_of_t(node.right, BETAS)
    )


# --- The mistakes ---------------------------------------------------------------------------------


def _forgot_bias_correction(config: Config) -> Config | None:
    return _rewrite_everywhere(config, lambda n: Num(1.0) if _bias_correction_term(n) else None)


def _eps_inside(config: Config) -> Config | None:
    return _switch(config, "eps", "inside", when="outside")


def _decay_on(config: Config) -> bool:
    return bool(config.values.get("weight_decay"))


def _l2_instead_of_decoupled(config: Config) -> Config | None:
    if not _decay_on(config):
        return None
    if config.values.get("decoupled_weight_decay"):
        return config.with_values(decoupled_weight_decay=False)
    return _switch(config, "decay", "l2", when="decoupled")


def _decoupled_instead_of_l2(config: Config) -> Config | None:
    if not _decay_on(config):
        return None
    if "decoupled_weight_decay" in config.values and not config.values["decoupled_weight_decay"]:
        return config.with_values(decoupled_weight_decay=True)
    return _switch(config, "decay", "decoupled", when="l2")


def _decay_not_scaled(config: Config) -> Config | None:
    if not _decay_on(config):
        return None
    return _switch(config, "decay", "decoupled_unscaled", when="decoupled")


def _sign_error(config: Config) -> Config | None:
    if "update" not in config.algorithm().formulas:
        return None
    return config.with_formula("theta_next", lambda _: s.THETA + s.UPDATE)


def _drop_one_minus_beta(node: Expr) -> Expr | None:
    """``(1 − β₁)·x`` (or ``(1 − μ)·x``) as ``x``."""
    if (
        isinstance(node, BinOp)
        and node.op == "*"
        and isinstance(node.left, BinOp)
        and node.left.op == "-"
        and isinstance(node.left.left, Num)
        and node.left.left.value == 1
        and isinstance(node.left.right, Sym)
        and node.left.right.key in ("beta1", "momentum")
    ):
        return node.right
    return None


def _momentum_without_one_minus_beta(config: Config) -> Config | None:
    return _rewrite_quantities(config, ("m", "momentum_buffer"), _drop_one_minus_beta)


def _momentum_with_one_minus_beta(config: Config) -> Config | None:
    if not config.values.get("momentum"):
        return None
    return _switch(config, "momentum_form", "ema", when="torch")


def _betas_swapped(config: Config) -> Config | None:
    swap = {"beta1": s.BETA2, "beta2": s.BETA1}
    symbols = set().union(*(f.symbols for f in config.algorithm().formulas.values()))
    if not {"beta1", "beta2"} <= symbols or config.values["beta1"] == config.values["beta2"]:
        return None
    return _rewrite_everywhere(
        config, lambda n: swap.get(n.key) if isinstance(n, Sym) and n.key in swap else None
    )


def _shifted_t(shift: int) -> Callable[[Config], Config | None]:
    def make(config: Config) -> Config | None:
        def rule(node: Expr) -> Expr | None:
            if _is_power_of_t(node, BETAS):
                assert isinstance(node, BinOp)
                return BinOp("**", node.left, s.T + shift if shift > 0 else s.T - (-shift))
            return None

        return _rewrite_everywhere(config, rule)

    return make


def _square_as_value(node: Expr) -> Expr | None:
    """``x²`` as ``x`` (a second moment built from g instead of g²)."""
    squared = isinstance(node, BinOp) and node.op == "**" and isinstance(node.right, Num)
    if squared and node.right.value == 2:  # type: ignore[attr-defined]
        return node.left  # type: ignore[attr-defined]
    return None


def _v_from_g(config: Config) -> Config | None:
    return _rewrite_quantities(config, ("v", "square_avg", "sum"), _square_as_value)


def _accumulator_reset(config: Config) -> Config | None:
    formulas = config.algorithm().formulas
    if "sum" not in formulas:
        return None
    return config.with_formula(
        "sum",
        lambda f: f.transform(lambda n: n.shown if isinstance(n, Computed) else None).substitute(
            {"sum_prev": Num(0.0)}
        ),
    )


def _nesterov_paper(config: Config) -> Config | None:
    if not config.values.get("nesterov"):
        return None
    return _switch(config, "momentum_form", "velocity", when="torch")


def _stale_moments(config: Config) -> Config | None:
    """The update built from last step's moments (``mₜ₋₁, vₜ₋₁``): an index off by one."""
    algorithm = config.algorithm()
    stored = [q for q in algorithm.stored if q.key not in ("theta",)]
    if not stored:
        return None
    order = [q.key for q in algorithm.quantities]
    replacements = {q.key: q.previous for q in stored}
    first_after = {q.key: order.index(q.key) for q in stored}
    later = [k for k in order if any(order.index(k) > first_after[q] for q in replacements)]
    config_out = config
    changed = False
    for key in later:
        mapping = {q: p for q, p in replacements.items() if order.index(key) > first_after[q]}
        formula = algorithm.formulas[key]
        if set(mapping) & formula.symbols:
            config_out = config_out.with_formula(
                key,
                lambda f, m=mapping: f.substitute(m),  # type: ignore[misc]
            )
            changed = True
    return config_out if changed else None


MISTAKES: Mapping[str, Mistake] = {
    m.id: m
    for m in (
        Mistake("no-bias-correction", "forgot bias correction", _forgot_bias_correction),
        Mistake("eps-inside-root", "ε inside the square root", _eps_inside),
        Mistake(
            "l2-instead-of-decoupled",
            "L2 added to the gradient instead of decoupled weight decay",
            _l2_instead_of_decoupled,
        ),
        Mistake(
            "decoupled-instead-of-l2",
            "decoupled weight decay instead of L2 added to the gradient",
            _decoupled_instead_of_l2,
        ),
        Mistake(
            "decay-not-scaled-by-lr",
            "decay not multiplied by the learning rate (the AdamW paper's form)",
            _decay_not_scaled,
        ),
        Mistake("sign-error", "sign error in the update (θ + Δθ)", _sign_error),
        Mistake(
            "momentum-without-one-minus-beta",
            "momentum without the (1 − β) factor on the gradient",
            _momentum_without_one_minus_beta,
        ),
        Mistake(
            "momentum-with-one-minus-beta",
            "momentum as a moving average with (1 − μ), where torch adds the whole gradient",
            _momentum_with_one_minus_beta,
        ),
        Mistake("betas-swapped", "β₁ and β₂ swapped", _betas_swapped),
        Mistake("bias-correction-t-minus-1", "bias correction with t − 1", _shifted_t(-1)),
        Mistake("bias-correction-t-plus-1", "bias correction with t + 1", _shifted_t(1)),
        Mistake("v-from-g", "second moment built from g instead of g²", _v_from_g),
        Mistake(
            "accumulator-reset",
            "AdaGrad's accumulator reset each step (only this step's g²)",
            _accumulator_reset,
        ),
        Mistake(
            "nesterov-paper-form",
            "the paper's (velocity) Nesterov instead of torch's",
            _nesterov_paper,
        ),
        Mistake(
            "stale-moments",
            "the update used last step's values (mₜ₋₁ where mₜ belongs): an index off by one",
            _stale_moments,
        ),
    )
}
"""Every known mistake, by id."""


def variants(config: Config, chosen: tuple[str, ...] | None = None) -> dict[str, Config]:
    """The mistaken configurations that apply to ``config`` (all, or the ``chosen`` ids)."""
    out = {}
    for mistake_id in chosen if chosen is not None else tuple(MISTAKES):
        variant = MISTAKES[mistake_id].variant(config)
        if variant is not None:
            out[mistake_id] = variant
    return out


__all__ = ["MISTAKES", "Func", "Mistake", "variants"]
