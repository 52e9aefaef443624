"""Learning-rate schedules as documents: ``tutor schedule`` and the ηₜ rows of solve's tables."""

from __future__ import annotations

import math
from typing import Any

from tutor.render.blocks import (
    Block,
    Code,
    Document,
    Fields,
    Heading,
    Inlines,
    Math,
    Number,
    Paragraph,
    Preformatted,
    Table,
    inlines,
    table,
)
from tutor.render.numbers import substitution_formatter, tex_substitution_formatter
from tutor.render.options import RenderOptions
from tutor.render.textplot import Series, plot
from tutor.teach.schedule import ScheduleCurve, ScheduleLine, ScheduleTrace

MAX_SUBSTITUTED = 100  # characters: longer "with numbers" cells are left out
FULL_TABLE_UP_TO = 40  # longer curves list every K-th step
TABLE_ROWS = 30
K_NOTE = "k = t − 1: the scheduler steps taken before step t (its last_epoch)"


def torch_call(trace: ScheduleTrace) -> str:
    """``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)``."""
    config = trace.config
    spec = config.spec
    parts = ["optimizer"]
    for parameter in spec.parameters:
        value = config.values.get(parameter.name)
        if value is None:
            continue
        name = parameter.torch_name or parameter.name
        parts.append(f"{name}={_python(value)}")
    return f"torch.optim.lr_scheduler.{spec.torch_name}({', '.join(parts)})"


def _python(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return repr(value)


def line_row(line: ScheduleLine, options: RenderOptions) -> tuple[Inlines, ...]:
    """One definition at one step: symbol, formula, formula with numbers, value."""
    plain_fmt = substitution_formatter(options.precision)
    tex_fmt = tex_substitution_formatter(options.precision)
    numbers = line.formula.plain(line.environment, plain_fmt)
    return (
        inlines(Math(*line.symbol)),
        inlines(Math(line.formula.plain(), line.formula.latex())),
        inlines(Math(numbers, line.formula.latex(line.environment, tex_fmt)))
        if len(numbers) <= MAX_SUBSTITUTED
        else (),
        inlines(Number(line.value)),
    )


def step_rows(trace: ScheduleTrace, t: int, options: RenderOptions) -> list[tuple[Inlines, ...]]:
    """The schedule's rows of step ``t``'s table: every shown definition, the rate last."""
    return [line_row(line, options) for line in trace.lines(t)]


def rule_lines(trace: ScheduleTrace) -> list[tuple[str, Inlines]]:
    """The rule's formulas, one field each: ``ηₜ = …  (the learning rate of step t)``."""
    fields = []
    for item in trace.rule.definitions:
        if not item.shown:
            continue
        fields.append(
            (
                "Rule",
                inlines(
                    Math(
                        f"{item.symbol.text} = {item.formula.plain()}",
                        f"{item.symbol.tex} = {item.formula.latex()}",
                    ),
                    f"  ({item.description})",
                ),
            )
        )
    return fields


def header_items(trace: ScheduleTrace, summary: bool = True) -> list[tuple[str, Inlines]]:
    """The schedule's lines for a solution's header (``summary``: with its one-line summary)."""
    config = trace.config
    said = f": {config.spec.summary}" if summary else ""
    items: list[tuple[str, Inlines]] = [
        ("Schedule", inlines(Code(config.label()), said)),
        ("As in torch", inlines(Code(torch_call(trace)))),
    ]
    items.extend(rule_lines(trace))
    items.append(("Steps", inlines(K_NOTE)))
    if trace.momentum is not None:
        items.append(("Momentum", inlines(f"cycled against the rate: sets {trace.momentum}")))
    if trace.rule.reads_loss:
        items.append(("Fed", inlines("the loss after each step, L(θₜ), as the metric Lₖ")))
    return items


def _shown_steps(steps: int) -> list[int]:
    if steps <= FULL_TABLE_UP_TO:
        return list(range(1, steps + 1))
    every = -(-steps // TABLE_ROWS)
    return sorted({1, steps, *range(every, steps + 1, every)})


def curve_table(curve: ScheduleCurve) -> Table:
    trace = curve.trace
    varying = trace.rule.varying
    definitions = [d for d in trace.rule.definitions if d.shown and d.key in varying]
    headings: list[Any] = ["t", "k"]
    headings += [d.symbol.text for d in definitions]
    rows = []
    for t in _shown_steps(curve.steps):
        row = trace.rows[t - 1]
        cells = [inlines(str(t)), inlines(str(t - 1))]
        cells += [_cell(row[d.key]) for d in definitions]
        rows.append(tuple(cells))
    every = "" if curve.steps <= FULL_TABLE_UP_TO else " (every few steps)"
    return table(inlines(f"Each step{every}"), headings, rows)


def _cell(value: float) -> Inlines:
    """A value, or a dash where it is not defined yet (a plateau rule before any loss)."""
    return inlines("—") if math.isnan(value) else inlines(Number(value))


def curve_plot(curve: ScheduleCurve, precision: int) -> Preformatted:
    steps = list(range(1, curve.steps + 1))
    series = [Series("learning rate", steps, list(curve.lr), "*")]
    text = plot(series, x_label="step t", y_label="learning rate", precision=precision)
    if curve.momentum is not None:
        momentum = Series("momentum", steps, list(curve.momentum), "o")
        text += "\n\n" + plot([momentum], x_label="step t", y_label="momentum", precision=precision)
    return Preformatted(text)


def build(curve: ScheduleCurve, options: RenderOptions) -> Document:
    """``tutor schedule``: the rule, a table of every step's values and a terminal plot."""
    trace = curve.trace
    spec = curve.config.spec
    items = header_items(trace, summary=False)
    if trace.rule.reads_loss and trace.losses is not None:
        shown = ", ".join(f"{x:g}" for x in trace.losses[:8])
        more = " …" if len(trace.losses) > 8 else ""
        items.append(("Losses", inlines(f"{shown}{more}")))
    lr = curve.lr
    lowest, highest = int(lr.argmin()) + 1, curve.peak
    summary = inlines(
        "Highest rate ",
        Number(float(lr[highest - 1])),
        f" at step {highest}; lowest ",
        Number(float(lr[lowest - 1])),
        f" at step {lowest}; last ",
        Number(float(lr[-1])),
        f" at step {curve.steps}.",
    )
    blocks: list[Block] = [
        Heading(1, inlines(f"{spec.title}: {spec.summary}")),
        Fields(tuple(items)),
        curve_table(curve),
        curve_plot(curve, options.precision),
        Paragraph(summary),
        Paragraph(
            inlines(
                "Apply it to a run: ",
                Code(f"tutor solve sgd --schedule '{curve.config.label()}' --steps {curve.steps}"),
            )
        ),
    ]
    return Document(f"{spec.title} schedule", tuple(blocks))
