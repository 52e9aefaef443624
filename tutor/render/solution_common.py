"""Facts about a solution that every text format states the same way (chosen once here)."""

from __future__ import annotations

from collections.abc import Iterator

from tutor.engine import StepRecord
from tutor.render.numbers import value_text
from tutor.teach.solve import Solution

# Long runs show the first and last few step tables in full, and every step in a summary.
FULL_TABLES_UP_TO = 5
HEAD_TABLES = 2
TAIL_TABLES = 1


def tabled_steps(solution: Solution) -> list[StepRecord]:
    """The steps whose full table is shown: all of a short run, the ends of a long one."""
    steps = list(solution.steps)
    if len(steps) <= FULL_TABLES_UP_TO:
        return steps
    return steps[:HEAD_TABLES] + steps[-TAIL_TABLES:]


def hyperparameter_items(solution: Solution, precision: int) -> Iterator[tuple[str, str, str]]:
    """``(symbol, name, value)`` for each hyper-parameter, in the optimizer's order."""
    spec = solution.problem.spec
    for hyper in spec.hyperparameters:
        value = solution.problem.hyperparameters[hyper.name]
        yield hyper.symbol.text, hyper.name, value_text(value, precision)


def convention_text(solution: Solution) -> str:
    """``PyTorch: <what it does> [source]``."""
    convention = solution.problem.convention
    return f"{convention.title}: {convention.summary} [{convention.source}]"


def verdict(solution: Solution, precision: int) -> str:
    """One sentence: the loss before and after the whole run, and whether it went down."""
    first = solution.steps[0].loss if solution.steps else solution.final_loss
    last = solution.final_loss
    n = len(solution.steps)
    before, after = value_text(first, precision), value_text(last, precision)
    if last < first:
        outcome = "decreased ✓"
    elif last == first:
        outcome = "did not change"
    else:
        outcome = "increased ✗"
    return f"Loss L(θ₀) = {before} → L(θ{subscript(n)}) = {after}: the loss {outcome}"


def rises(solution: Solution) -> list[tuple[int, str]]:
    """``(t, reason)`` for every step that did not lower the loss."""
    return [
        (record.t, check.reason or "")
        for record, check in zip(solution.steps, solution.checks, strict=True)
        if not check.decreased
    ]


def divergence_text(solution: Solution) -> str | None:
    """Where and how the run blew up, or None."""
    divergence = solution.trajectory.divergence
    if divergence is None:
        return None
    spec = solution.problem.spec
    key = divergence.quantity
    name = {"g": "the gradient gₜ", "loss": "the loss"}.get(key)
    if name is None:
        name = f"{spec.quantity(key).symbol.text} ({key})"
    return (
        f"Diverged at step {divergence.t}: {name} became infinite or not a number. The steps "
        "before it are shown; a smaller learning rate (--lr) usually prevents this."
    )


def subscript(n: int) -> str:
    """``12`` as ``₁₂``."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
