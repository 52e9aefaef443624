"""Explanations and the list of topics as documents, and as JSON-ready data.

A topic's prose becomes blocks (paragraphs, lists, display math) with its inline math as
:class:`~tutor.render.blocks.Math` (the LaTeX as written, the Unicode from
:mod:`tutor.content.texmath`); the placeholders become blocks built from the computed parts: the
spec's equations, hyper-parameters and conventions, and the worked example, one builder per kind
of example data (:data:`EXAMPLE_BLOCKS`). Plots are drawn here, from the example's numbers.

When the engine cannot compute a topic's example yet, the example says so, and the rest of the
Worked example section (which reads the example's numbers) is left out.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tutor.content import explain as content
from tutor.content.hooks import SHORTCUTS
from tutor.render.blocks import (
    Block,
    Bullets,
    Code,
    Column,
    Document,
    Fields,
    Heading,
    Inline,
    Inlines,
    Math,
    Number,
    Paragraph,
    Preformatted,
    Table,
    Text,
    inlines,
    join,
    table,
)
from tutor.render.documents.catalog import hyperparameter_data
from tutor.render.documents.conventions import _row_differences
from tutor.render.numbers import json_value
from tutor.render.options import RenderOptions
from tutor.render.textplot import Series, plot
from tutor.teach import examples as ex
from tutor.teach.explain import Explanation, TopicList

# --- Prose ---------------------------------------------------------------------------------------


def _inline(piece: content.Inline, result: Explanation) -> Inline:
    if isinstance(piece, content.Words):
        return Text(piece.text, "bold" if piece.bold else "")
    if isinstance(piece, content.Formula):
        return Math(piece.plain, piece.tex)
    if isinstance(piece, content.CodeText):
        return Code(piece.text)
    return Number(result.defaults[(piece.optimizer, piece.name)])


def _run(pieces: Sequence[content.Inline], result: Explanation) -> Inlines:
    return tuple(_inline(p, result) for p in pieces)


def _prose(part: content.Part, result: Explanation) -> list[Block]:
    if isinstance(part, content.Prose):
        return [Paragraph(_run(part.content, result))]
    if isinstance(part, content.ItemList):
        items = [_run(item, result) for item in part.items]
        if part.numbered:
            items = [inlines(f"{i}. ") + item for i, item in enumerate(items, start=1)]
        return [Bullets(tuple(items))]
    if isinstance(part, content.DisplayFormula):
        return [Paragraph(inlines(Math(part.formula.plain, part.formula.tex)))]
    raise TypeError(type(part).__name__)


def _sym(pair: tuple[str, str]) -> Math:
    return Math(pair[0], pair[1])


# --- The spec's parts ----------------------------------------------------------------------------


def _equations(result: Explanation) -> list[Block]:
    parts = result.spec
    assert parts is not None
    rows = []
    for eq in parts.equations:
        formula = inlines(_sym(eq.formula))
        if eq.condition is not None:
            formula += inlines(" (only when ", _sym(eq.condition), ")")
        meaning = eq.description + (" (computed by a procedure)" if eq.procedure else "")
        rows.append((inlines(_sym(eq.symbol)), formula, inlines(meaning)))
    convention = parts.config.convention
    blocks: list[Block] = [
        table(
            inlines(f"{parts.spec.title}, {convention.title} convention, at step t"),
            ["quantity", "formula", "meaning"],
            rows,
        )
    ]
    computed = [eq for eq in parts.equations if eq.computed is not None]
    if computed:
        forms = join(
            (
                inlines(
                    _sym(eq.symbol),
                    " as ",
                    Math(eq.computed[0], eq.computed[1]),  # type: ignore[index]
                )
                for eq in computed
            ),
            "; ",
        )
        blocks.append(
            Paragraph(
                inlines("The numbers follow the order of operations of ")
                + inlines(f"{convention.source}, which evaluates ")
                + join(inlines(_sym(eq.symbol)) for eq in computed)
                + inlines(" in another order than printed (the same values up to rounding): ")
                + forms
                + inlines("."),
                "note",
            )
        )
    return blocks


def _hyperparameters(result: Explanation) -> list[Block]:
    parts = result.spec
    assert parts is not None
    rows = [
        (
            inlines(Code(h.option)),
            inlines(Math(h.symbol.text, h.symbol.tex)),
            inlines(Number(h.default)),
            inlines(h.describe_range()),
            inlines(h.description),
        )
        for h in parts.spec.hyperparameters
    ]
    return [
        table(
            inlines(f"{parts.spec.title}'s hyper-parameters (torch.optim's names and defaults)"),
            ["option", "symbol", ("default", "right"), "valid values", "meaning"],
            rows,
        )
    ]


def _conventions(result: Explanation) -> list[Block]:
    parts = result.spec
    assert parts is not None
    rows = [
        (inlines(Code(row.convention.name)), inlines(row.convention.source), _row_differences(row))
        for row in parts.conventions
    ]
    return [
        table(
            inlines(f"{parts.spec.title} under each convention (formulas built from the spec)"),
            ["convention", "source", "what differs"],
            rows,
        )
    ]


# --- Examples ------------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(_value_text(v) for v in value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)


def _flag(name: str, value: Any) -> str:
    if value is None:
        return f"--set {name}=none"
    if name in SHORTCUTS:
        return f"--{name.replace('_', '-')} {shlex.quote(_value_text(value))}"
    return f"--set {shlex.quote(f'{name}={_value_text(value)}')}"


def _inputs(result: Explanation) -> Paragraph:
    shown = [(k, result.options[k]) for k in result.inputs if result.options[k] is not None]
    changed = inlines(" (yours: ", *join(inlines(Code(k)) for k in result.overrides), ")")
    return Paragraph(
        inlines(
            "Computed now from these inputs",
            *(changed if result.overrides else ()),
            "; change any of them on the command line: ",
        )
        + join(inlines(Code(_flag(k, v))) for k, v in shown)
        + (
            inlines(
                " (and any of the optimizer's options: ", Code(f"tutor solve {name} --help"), ")"
            )
            if (name := _optimizer_of(result)) is not None
            else ()
        ),
        "note",
    )


def _optimizer_of(result: Explanation) -> str | None:
    """The optimizer whose hyper-parameters the example also takes, if any."""
    from tutor.content.hooks import example_options

    kind = result.topic.example
    if kind is None:
        return None
    accepted = example_options(kind, result.topic.optimizer, result.options)
    return result.topic.optimizer if any(o.from_spec for o in accepted.values()) else None


def _table(
    title: Inlines, headers: Sequence[Inlines | str], rows: Sequence[Sequence[Inlines]]
) -> Table:
    columns = tuple(
        Column(inlines(h) if isinstance(h, str) else h, "left" if i == 0 else "right")
        for i, h in enumerate(headers)
    )
    return Table(title, columns, tuple(tuple(row) for row in rows))


def _stride(steps: int, rows: int = 10) -> list[int]:
    """Steps 0 … steps, about ``rows`` of them, first and last included."""
    every = max(1, -(-steps // rows))
    return sorted({0, steps, *range(every, steps, every)})


def _names(params: Sequence[str]) -> str:
    return ", ".join(params)


def _unavailable(item: ex.Unavailable, result: Explanation, options: RenderOptions) -> list[Block]:
    return [
        Paragraph(
            inlines(
                Text("Not computed yet: ", "bold"),
                f"{item.missing}. Once it does, this example will show {item.shows}.",
            ),
            "note",
        )
    ]


STEP_COLUMNS = 6  # values of one parameter per table row; a table shows 6 // n steps


def _steps_tables(solution: Any) -> list[Block]:
    """Every step's values, one column per step (a few steps per table, so that no table is
    wider than a terminal): θₜ₋₁, gₜ, each quantity, L(θₜ)."""
    run = solution.run
    layout = solution.problem.layout
    quantities = [q for q in run.quantities if q.key in run.values and q.in_tables]
    per_table = max(1, STEP_COLUMNS // max(1, layout.size))
    records = list(run.steps())
    blocks: list[Block] = []
    for first in range(0, len(records), per_table):
        chunk = records[first : first + per_table]
        rows: list[tuple[Inlines, ...]] = [
            (
                inlines(Math("θₜ₋₁", r"\theta_{t-1}")),
                *(inlines(Number(r.theta, layout)) for r in chunk),
            ),
            (inlines(Math("gₜ", "g_t")), *(inlines(Number(r.grad, layout)) for r in chunk)),
        ]
        for q in quantities:
            cells = (
                inlines("—") if q.key not in r.values else inlines(Number(r.values[q.key]))
                for r in chunk
            )
            rows.append((inlines(Math(q.symbol.text, q.symbol.tex)), *cells))
        rows.append(
            (inlines(Math("L(θₜ)", r"L(\theta_t)")), *(inlines(Number(r.loss_next)) for r in chunk))
        )
        span = f"Step {chunk[0].t}" if len(chunk) == 1 else f"Steps {chunk[0].t} to {chunk[-1].t}"
        headers = ["", *(f"t = {r.t}" for r in chunk)]
        blocks.append(_table(inlines(span), headers, rows))
    return blocks


def _solve_steps(item: ex.SolveSteps, result: Explanation, options: RenderOptions) -> list[Block]:
    from tutor.render.documents.solution import header, step_table, verification

    solution = item.solution
    blocks: list[Block] = [header(solution)]
    if len(solution.run):
        blocks.append(step_table(solution, 1, options))
        blocks.extend(_steps_tables(solution))
    blocks.extend(verification(solution))
    blocks.append(Paragraph(inlines("The same run, step by step: ", Code(item.command))))
    return blocks


def _bias_correction(
    item: ex.BiasCorrection, result: Explanation, options: RenderOptions
) -> list[Block]:
    f, sym = item.formulas, item.symbols
    headers: list[Inlines | str] = [
        "t",
        inlines(Math(*f["factor1"])),
        inlines(_sym(sym["m"])),
        inlines(_sym(sym["m_hat"])),
        inlines(Math(*f["factor2"])),
        inlines(_sym(sym["v"])),
        inlines(_sym(sym["v_hat"])),
    ]
    rows = [
        (
            inlines(str(int(t))),
            *(
                inlines(Number(a[i]))
                for a in (item.factor1, item.m, item.m_hat, item.factor2, item.v, item.v_hat)
            ),
        )
        for i, t in enumerate(item.t)
    ]
    title = inlines(
        "Adam's moments on a constant gradient g = ",
        Number(item.g),
        ", ",
        Math("β₁", r"\beta_1"),
        " = ",
        Number(item.beta1),
        ", ",
        Math("β₂", r"\beta_2"),
        " = ",
        Number(item.beta2),
        " (the engine's run)",
    )
    last = len(item.t) - 1
    said = inlines(
        "At t = 1 the correction multiplies ",
        _sym(sym["m"]),
        " by ",
        Number(item.factor1[0]),
        " and ",
        _sym(sym["v"]),
        " by ",
        Number(item.factor2[0]),
        f"; at t = {int(item.t[last])} by ",
        Number(item.factor1[last]),
        " and ",
        Number(item.factor2[last]),
        ". ",
        _sym(sym["m"]),
        " goes from ",
        Number(item.m[0]),
        " to ",
        Number(item.m[last]),
        ", while ",
        _sym(sym["m_hat"]),
        " equals g at every step (largest difference ",
        Number(item.largest_m_hat_error),
        "). The formulas: ",
        Math(f"{sym['m_hat'][0]} = {f['m_hat'][0]}", f"{sym['m_hat'][1]} = {f['m_hat'][1]}"),
        ", ",
        Math(f"{sym['v_hat'][0]} = {f['v_hat'][0]}", f"{sym['v_hat'][1]} = {f['v_hat'][1]}"),
        ".",
    )
    return [_table(title, headers, rows), Paragraph(said)]


def _decay_vs_l2(item: ex.DecayVsL2, result: Explanation, options: RenderOptions) -> list[Block]:
    names = item.params
    headers: list[Inlines | str] = ["t"]
    for run in (item.l2, item.decoupled):
        short = "Adam + L2" if run is item.l2 else "AdamW"
        headers += [f"{short}: {name}" for name in names]
    steps = min(len(item.l2.decay_fraction), len(item.decoupled.decay_fraction))
    rows = [
        (
            inlines(str(t + 1)),
            *(inlines(Number(v)) for v in item.l2.decay_fraction[t]),
            *(inlines(Number(v)) for v in item.decoupled.decay_fraction[t]),
        )
        for t in range(steps)
    ]
    blocks: list[Block] = [
        Fields(
            (
                ("Loss", inlines(Code(item.loss))),
                ("Start", inlines(Number(item.l2.run.theta[0]))),
                (
                    "Hyper-parameters",
                    inlines(
                        Math("η", r"\eta"),
                        " = ",
                        Number(item.lr),
                        ", ",
                        Math("λ", r"\lambda"),
                        " = ",
                        Number(item.weight_decay),
                        " for both",
                    ),
                ),
            )
        ),
        _table(
            inlines(
                "The part of each step due to weight decay, as a fraction of the weight ",
                Math("θₜ₋₁", r"\theta_{t-1}"),
                " (the step minus the step from the same state with ",
                Math("λ = 0", r"\lambda = 0"),
                ")",
            ),
            headers,
            rows,
        ),
    ]
    if steps:
        t = steps - 1
        sentence: list[Inline] = [Text(f"On step {t + 1}, with L2 inside Adam the decay removed ")]
        sentence += join(
            inlines(Number(v), f" of {n}")
            for v, n in zip(item.l2.decay_fraction[t], names, strict=True)
        )
        l2 = np.abs(item.l2.decay_fraction[t])
        spread = item.spread(l2)
        if spread is not None and len(names) > 1 and not np.isclose(spread, 1.0, rtol=1e-9):
            high, low = names[int(np.argmax(l2))], names[int(np.argmin(l2))]
            sentence += inlines(f": {high}'s fraction is ", Number(spread), f" times {low}'s")
        sentence += inlines(". With AdamW it removed ")
        sentence += join(
            inlines(Number(v), f" of {n}")
            for v, n in zip(item.decoupled.decay_fraction[t], names, strict=True)
        )
        decoupled = item.decoupled.decay_fraction[t]
        if np.allclose(decoupled, decoupled[0], rtol=1e-9, atol=0):
            sentence += inlines(
                ": the same fraction, ",
                Math("ηλ", r"\eta\lambda"),
                " = ",
                Number(item.lr * item.weight_decay),
                ", for every coordinate",
            )
        sentence += inlines(".")
        blocks.append(Paragraph(tuple(sentence)))
    end = [
        (
            inlines(run.run.title),
            inlines(Number(run.run.theta[-1])),
            inlines(Number(run.run.loss[-1])),
        )
        for run in (item.l2, item.decoupled)
    ]
    blocks.append(table(inlines(f"After {steps} steps"), ["run", "θ", ("loss", "right")], end))
    return blocks


def _path_plot(runs: Sequence[ex.Run], params: Sequence[str], markers: str = "*o") -> Preformatted:
    if len(params) == 2:
        series = [
            Series(run.title, list(run.theta[:, 0]), list(run.theta[:, 1]), marker)
            for run, marker in zip(runs, markers, strict=False)
        ]
        return Preformatted(plot(series, x_label=params[0], y_label=params[1]))
    series = [
        Series(run.title, list(range(len(run.loss))), list(run.loss), marker)
        for run, marker in zip(runs, markers, strict=False)
    ]
    return Preformatted(plot(series, x_label="step t", y_label="loss"))


def _momentum_ravine(
    item: ex.MomentumRavine, result: Explanation, options: RenderOptions
) -> list[Block]:
    plain, heavy = item.plain, item.heavy
    eta, mu = Math("η", r"\eta"), Math("μ", r"\mu")
    blocks: list[Block] = [
        Fields(
            (
                ("Loss", inlines(Code(item.loss))),
                ("Start", inlines(Number(plain.theta[0]))),
                (
                    "Hyper-parameters",
                    inlines(
                        eta,
                        " = ",
                        Number(item.lr),
                        " for both; ",
                        mu,
                        " = ",
                        Number(item.momentum),
                        " for the second run",
                    ),
                ),
            )
        )
    ]
    limit_plain, limit_heavy = item.limit_plain, item.limit_momentum
    curvature = inlines(
        "The Hessian's eigenvalues at the start are ",
        Number(item.eigenvalues),
        ". ",
    )
    if limit_plain is not None and limit_heavy is not None:
        curvature += inlines(
            "On a quadratic with this largest curvature, gradient descent is stable only for ",
            Math("η < 2/λₘₐₓ", r"\eta < 2/\lambda_{\max}"),
            " = ",
            Number(limit_plain),
            ", and heavy-ball momentum for ",
            Math("η < 2(1 + μ)/λₘₐₓ", r"\eta < 2(1 + \mu)/\lambda_{\max}"),
            " = ",
            Number(limit_heavy),
            "; here ",
            eta,
            " = ",
            Number(item.lr),
            ".",
        )
    blocks.append(Paragraph(curvature))
    steps = min(plain.steps, heavy.steps)
    rows = [
        (
            inlines(str(t)),
            inlines(Number(plain.theta[t])),
            inlines(Number(plain.loss[t])),
            inlines(Number(heavy.theta[t])),
            inlines(Number(heavy.loss[t])),
        )
        for t in _stride(steps)
    ]
    blocks.append(
        table(
            inlines("Every few steps"),
            [
                ("t", "right"),
                "θ without momentum",
                ("loss", "right"),
                "θ with momentum",
                ("loss", "right"),
            ],
            rows,
        )
    )
    blocks.append(_path_plot((plain, heavy), item.params))
    said: list[Inline] = []
    for run in (plain, heavy):
        counts = run.reversals()
        said += inlines(
            f"{run.title.capitalize()}, the step reversed direction ",
            *join(
                inlines(f"{int(c)} times in {n}") for c, n in zip(counts, item.params, strict=True)
            ),
            f" (over {max(run.steps - 1, 0)} chances), and the loss went from ",
            Number(run.loss[0]),
            " to ",
            Number(run.loss[-1]),
            ". ",
        )
    blocks.append(Paragraph(tuple(said)))
    for run in (plain, heavy):
        if run.diverged_at is not None:
            blocks.append(
                Paragraph(
                    inlines(f"The run {run.title} diverged at step {run.diverged_at}."), "bad"
                )
            )
    return blocks


def _adagrad(item: ex.AdagradRates, result: Explanation, options: RenderOptions) -> list[Block]:
    run = item.run
    rate = Math(*item.formula)
    rows = [
        (
            inlines(str(t + 1)),
            inlines(Number(run.theta[t])),
            inlines(Number(item.grad[t])),
            inlines(Number(item.effective_lr[t])),
            inlines(Number(item.update[t])),
        )
        for t in range(len(item.effective_lr))
    ]
    blocks: list[Block] = [
        Fields(
            (
                ("Loss", inlines(Code(item.loss))),
                ("Start", inlines(Number(run.theta[0]))),
                (
                    "Learning rate",
                    inlines(Math("η", r"\eta"), " = ", Number(run.hyperparameters["lr"])),
                ),
            )
        ),
        _table(
            inlines("Each coordinate's effective learning rate ", rate, " (the engine's run)"),
            [
                "t",
                inlines(Math("θₜ₋₁", r"\theta_{t-1}")),
                inlines(Math("gₜ", "g_t")),
                inlines(rate),
                inlines(Math("Δθₜ", r"\Delta\theta_t")),
            ],
            rows,
        ),
    ]
    if len(item.effective_lr):
        first, last = item.effective_lr[0], item.effective_lr[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            fell = first / last
        said = inlines(
            "From step 1 to step ",
            str(len(item.effective_lr)),
            " the effective learning rate went from ",
            Number(first),
            " to ",
            Number(last),
            ": it fell by a factor of ",
            Number(fell),
            ".",
        )
        blocks.append(Paragraph(said))
    blocks.append(Paragraph(inlines("Every quantity of every step: ", Code(item.command))))
    return blocks


def _clipping(item: ex.Clipping, result: Explanation, options: RenderOptions) -> list[Block]:
    rows = [
        (inlines(str(i)), inlines(Number(g)), inlines(Number(a)), inlines(Number(b)))
        for i, (g, a, b) in enumerate(zip(item.g, item.by_norm, item.by_value, strict=True))
    ]
    rows.append(
        (
            inlines(Math("‖·‖", r"\lVert\cdot\rVert")),
            inlines(Number(item.norm)),
            inlines(Number(float(np.linalg.norm(item.by_norm)))),
            inlines(Number(float(np.linalg.norm(item.by_value)))),
        )
    )
    norm_cos = item.cosine(item.g, item.by_norm)
    value_cos = item.cosine(item.g, item.by_value)
    if item.clipped:
        by_norm = inlines(
            "‖g‖ = ",
            Number(item.norm),
            " is above max_norm = ",
            Number(item.max_norm),
            ", so clip_grad_norm_ multiplies every component by max_norm/(‖g‖ + 10⁻⁶) = ",
            Number(item.coefficient),
        )
    else:
        by_norm = inlines(
            "‖g‖ = ",
            Number(item.norm),
            " is within max_norm = ",
            Number(item.max_norm),
            ", so clip_grad_norm_'s coefficient is clamped to 1 and g is unchanged",
        )
    said = by_norm + inlines(
        "; the result points the same way (cosine with g: ",
        Number(norm_cos) if norm_cos is not None else "undefined",
        "). clip_grad_value_ clamps each component to [−",
        Number(item.clip_value),
        ", ",
        Number(item.clip_value),
        "]; its cosine with g is ",
        Number(value_cos) if value_cos is not None else "undefined",
        ".",
    )
    return [
        table(
            inlines("A gradient clipped as torch.nn.utils does it"),
            [
                ("component", "right"),
                ("g", "right"),
                ("clip_grad_norm_", "right"),
                ("clip_grad_value_", "right"),
            ],
            rows,
        ),
        Paragraph(said),
    ]


def _memory(item: ex.MemoryTable, result: Explanation, options: RenderOptions) -> list[Block]:
    rows = [
        (
            inlines(row.name),
            inlines(Number(row.weights)),
            inlines(Number(row.gradients)),
            inlines(Number(row.states)),
            inlines(Number(row.total)),
            inlines(Number(row.total * item.params / 1e9)),
            inlines(row.note),
        )
        for row in item.rows
    ]
    adam, eight = item.row("Adam or AdamW, fp32"), item.row("8-bit Adam")
    factored = item.row("Adafactor (no momentum)")
    mixed, stage3 = item.row("Adam, mixed precision"), item.row("ZeRO stage 3")
    said = inlines(
        "Optimizer state per parameter: Adam ",
        Number(adam.states),
        " bytes, 8-bit Adam ",
        Number(eight.states),
        " (",
        Number(adam.states / eight.states),
        " times less), Adafactor ",
        Number(factored.states),
        f". On {item.gpus} GPU{'s' if item.gpus != 1 else ''}, ZeRO stage 3 holds ",
        Number(stage3.total * item.params / 1e9),
        " GB per GPU against ",
        Number(mixed.total * item.params / 1e9),
        " GB without ZeRO.",
    )
    return [
        table(
            inlines(
                "Model-state memory per GPU for ",
                Number(item.params),
                f" parameters on {item.gpus} GPU{'s' if item.gpus != 1 else ''} (bytes per "
                "parameter; GB = 10⁹ bytes; activations not counted)",
            ),
            [
                "setup",
                ("weights", "right"),
                ("gradients", "right"),
                ("optimizer state", "right"),
                ("total", "right"),
                ("GB per GPU", "right"),
                "what is stored",
            ],
            rows,
        ),
        Paragraph(said),
    ]


def _cross_entropy(
    item: ex.CrossEntropy, result: Explanation, options: RenderOptions
) -> list[Block]:
    rows = [
        (
            inlines(str(k) + (" (true)" if k == item.target else "")),
            inlines(Number(z)),
            inlines(Number(p)),
            inlines(Number(1.0 if k == item.target else 0.0)),
            inlines(Number(g)),
        )
        for k, (z, p, g) in enumerate(
            zip(item.logits, item.probabilities, item.gradient, strict=True)
        )
    ]
    headers: list[Inlines | str] = [
        "class k",
        inlines(Math("zₖ", "z_k")),
        inlines(Math("pₖ", "p_k")),
        inlines(Math("yₖ", "y_k")),
        inlines(Math("∂L/∂zₖ = pₖ − yₖ", r"\partial L/\partial z_k = p_k - y_k")),
    ]
    said = inlines(
        Math("L = −log p_c", r"L = -\log p_c"),
        " = ",
        Number(item.value),
        " (log-softmax computed with the largest logit subtracted first). The gradient's entries "
        "sum to ",
        Number(total := float(np.sum(item.gradient))),
        " (zero up to rounding)." if 0 < abs(total) < 1e-12 else ".",
    )
    return [_table(inlines("Softmax cross-entropy of one example"), headers, rows), Paragraph(said)]


def _focal(item: ex.Focal, result: Explanation, options: RenderOptions) -> list[Block]:
    rows = [
        (
            inlines(Number(r.p)),
            inlines(Number(r.cross_entropy)),
            inlines(Number(r.factor)),
            inlines(Number(r.value)),
            inlines(Number(r.value / r.cross_entropy) if r.cross_entropy else "—"),
            inlines(Number(r.d_p)),
            inlines(Number(r.d_logit)),
        )
        for r in item.rows
    ]
    headers: list[Inlines | str] = [
        inlines(Math("pₜ", "p_t")),
        inlines(Math("−log pₜ", r"-\log p_t")),
        inlines(Math("(1 − pₜ)^γ", r"(1 - p_t)^\gamma")),
        inlines(Math("FL(pₜ)", r"\operatorname{FL}(p_t)")),
        "share of −log pₜ",
        inlines(Math("∂FL/∂pₜ", r"\partial \operatorname{FL}/\partial p_t")),
        inlines(Math("∂FL/∂z", r"\partial \operatorname{FL}/\partial z")),
    ]
    title = inlines(
        "Focal loss ",
        Math("−αₜ(1 − pₜ)^γ log pₜ", r"-\alpha_t (1 - p_t)^\gamma \log p_t"),
        " with γ = ",
        Number(item.gamma),
        " and αₜ = ",
        Number(item.alpha),
        " (∂FL/∂z for pₜ = σ(z))",
    )
    return [_table(title, headers, rows)]


def _infonce(item: ex.InfoNCE, result: Explanation, options: RenderOptions) -> list[Block]:
    rows = [
        (
            inlines(str(j)),
            inlines("positive" if j == item.positive else "negative"),
            inlines(Number(s)),
            inlines(Number(z)),
            inlines(Number(p)),
            inlines(Number(g)),
        )
        for j, (s, z, p, g) in enumerate(
            zip(item.similarities, item.logits, item.probabilities, item.gradient, strict=True)
        )
    ]
    headers: list[Inlines | str] = [
        "candidate j",
        "role",
        inlines(Math("sⱼ", "s_j")),
        inlines(Math("sⱼ/τ", r"s_j/\tau")),
        inlines(Math("pⱼ", "p_j")),
        inlines(Math("∂L/∂sⱼ = (pⱼ − yⱼ)/τ", r"\partial L/\partial s_j = (p_j - y_j)/\tau")),
    ]
    negatives = [j for j in range(len(item.similarities)) if j != item.positive]
    said = inlines("L = ", Number(item.value), " with τ = ", Number(item.temperature), ".")
    if negatives:
        pushed = max(negatives, key=lambda j: item.gradient[j])
        said += inlines(
            f" The negative pushed hardest is candidate {pushed} (similarity ",
            Number(item.similarities[pushed]),
            ", gradient ",
            Number(item.gradient[pushed]),
            ").",
        )
    return [_table(inlines("InfoNCE for one query"), headers, rows), Paragraph(said)]


def _points(points: dict[str, np.ndarray], grads: Any) -> Table:
    rows = [
        (inlines(name), inlines(Number(value)), inlines(Number(grads[name])))
        for name, value in points.items()
    ]
    return table(
        inlines("Points and gradients"), ["point", "coordinates", "gradient of the loss"], rows
    )


def _triplet(item: ex.Triplet, result: Explanation, options: RenderOptions) -> list[Block]:
    state = (
        "active: the loss and its gradients are not zero"
        if item.active
        else (
            "inactive: the negative is farther than the positive by more than the margin, so the "
            "loss and every gradient are zero"
        )
    )
    said = inlines(
        "d(a, p) = ",
        Number(item.d_positive),
        ", d(a, n) = ",
        Number(item.d_negative),
        ", margin = ",
        Number(item.margin),
        ": L = max(d(a, p) − d(a, n) + m, 0) = ",
        Number(item.value),
        f"; the hinge is {state}.",
    )
    points = {"anchor": item.anchor, "positive": item.positive, "negative": item.negative}
    return [Paragraph(said), _points(points, item.gradients)]


def _contrastive(item: ex.Contrastive, result: Explanation, options: RenderOptions) -> list[Block]:
    kind = "similar (y = 0)" if item.y == 0 else "dissimilar (y = 1)"
    said = inlines(
        f"A {kind} pair at distance d = ",
        Number(item.distance),
        " with margin ",
        Number(item.margin),
        ": L = ",
        Number(item.value),
        ".",
    )
    return [Paragraph(said), _points({"x1": item.x1, "x2": item.x2}, item.gradients)]


def _residuals(item: ex.Residuals, result: Explanation, options: RenderOptions) -> list[Block]:
    rows = [
        (
            inlines(str(i)),
            inlines(Number(p)),
            inlines(Number(y)),
            inlines(Number(r)),
            inlines(Number(a)),
            inlines(Number(b)),
        )
        for i, (p, y, r, a, b) in enumerate(
            zip(
                item.predictions,
                item.targets,
                item.residuals,
                item.grad_mae,
                item.grad_mse,
                strict=True,
            )
        )
    ]
    headers: list[Inlines | str] = [
        "i",
        inlines(Math("ŷᵢ", r"\hat{y}_i")),
        inlines(Math("yᵢ", "y_i")),
        inlines(Math("rᵢ = ŷᵢ − yᵢ", r"r_i = \hat{y}_i - y_i")),
        inlines(
            Math(
                "∂MAE/∂ŷᵢ = sign(rᵢ)/N",
                r"\partial\,\mathrm{MAE}/\partial \hat{y}_i = \operatorname{sign}(r_i)/N",
            )
        ),
        inlines(Math("∂MSE/∂ŷᵢ = 2rᵢ/N", r"\partial\,\mathrm{MSE}/\partial \hat{y}_i = 2 r_i/N")),
    ]
    said = inlines("MAE = ", Number(item.mae), ", MSE = ", Number(item.mse), ".")
    return [
        _table(inlines("Absolute and squared error, averaged over the elements"), headers, rows),
        Paragraph(said),
    ]


def _saddle(item: ex.SaddlePoint, result: Explanation, options: RenderOptions) -> list[Block]:
    run = item.run
    growth = item.growth()
    blocks: list[Block] = [
        Fields(
            (
                ("Loss", inlines(Code(item.loss))),
                ("Start", inlines(Number(run.theta[0]))),
                ("Learning rate", inlines(Math("η", r"\eta"), " = ", Number(item.lr))),
            )
        )
    ]
    negative = int(np.sum(item.eigenvalues < 0))
    said = inlines("The Hessian's eigenvalues at the start are ", Number(item.eigenvalues))
    if negative:
        which = "that eigenvector" if negative == 1 else "those eigenvectors"
        said += inlines(f", {negative} of them negative: the loss curves downward along {which}. ")
    else:
        said += inlines(", none of them negative. ")
    parts = []
    for i, name in enumerate(item.params):
        column = growth[:, i][np.isfinite(growth[:, i])]
        if len(column) == 0:
            continue
        if np.allclose(column, column[0], rtol=1e-9, atol=0):
            parts.append(inlines(f"{name} by ", Number(column[0])))
        else:
            parts.append(
                inlines(
                    f"{name} by between ",
                    Number(float(np.min(column))),
                    " and ",
                    Number(float(np.max(column))),
                )
            )
    if parts:
        said += inlines("Each step multiplied ") + join(parts, "; ") + inlines(".")
    blocks.append(Paragraph(said))
    rows = [
        (inlines(str(t)), inlines(Number(run.theta[t])), inlines(Number(run.loss[t])))
        for t in _stride(run.steps)
    ]
    blocks.append(
        table(inlines("Every few steps"), [("t", "right"), "θₜ", ("loss", "right")], rows)
    )
    markers = "*o+x#"
    series = [
        Series(name, list(range(run.steps + 1)), list(run.theta[:, i]), markers[i % len(markers)])
        for i, name in enumerate(item.params)
    ]
    blocks.append(Preformatted(plot(series, x_label="step t", y_label="coordinates")))
    return blocks


def _convexity(item: ex.ConvexityCheck, result: Explanation, options: RenderOptions) -> list[Block]:
    dims = len(item.params)
    where = (
        f"a grid of {len(item.points)} points"
        if dims <= ex.MAX_GRID_PARAMETERS
        else f"{len(item.points)} sampled points"
    )
    negative = int(np.sum(item.min_eigenvalues < -1e-12))
    said = inlines(
        f"The chord test on {where} in [−",
        Number(item.box),
        ", ",
        Number(item.box),
        f"] for each of {_names(item.params)} ({item.pairs} pairs): ",
        f"{item.violation_count} of them have the function above the chord at their midpoint. ",
        f"The Hessian's smallest eigenvalue is negative at {negative} of {len(item.points)} points",
    )
    if negative:
        worst = int(np.argmin(item.min_eigenvalues))
        said += inlines(
            " (lowest ",
            Number(item.min_eigenvalues[worst]),
            " at ",
            Number(item.points[worst]),
            ")",
        )
    said += inlines(". ")
    if item.convex_on_grid:
        said += inlines("No sign of non-convexity on these points (evidence, not a proof).")
    else:
        said += inlines(Text("So the loss is not convex.", "bold"))
    blocks: list[Block] = [Fields((("Loss", inlines(Code(item.loss))),)), Paragraph(said)]
    if item.violations:
        rows = [
            (
                inlines(Number(v.a)),
                inlines(Number(v.b)),
                inlines(Number(v.midpoint_value)),
                inlines(Number(v.chord_value)),
                inlines(Number(v.gap)),
            )
            for v in item.violations
        ]
        blocks.append(
            table(
                inlines("The pairs whose chord passes farthest below the function"),
                [
                    "a",
                    "b",
                    ("f((a + b)/2)", "right"),
                    ("(f(a) + f(b))/2", "right"),
                    ("gap", "right"),
                ],
                rows,
            )
        )
    return blocks


def _newton(item: ex.NewtonStep, result: Explanation, options: RenderOptions) -> list[Block]:
    signs = np.sign(item.eigenvalues)
    if np.all(signs > 0):
        shape = "all positive: the quadratic model has a minimum, and Newton's step heads for it"
    elif np.all(signs < 0):
        shape = (
            "all negative: the model curves downward in every direction, so its stationary "
            "point, where Newton's step heads, is a maximum"
        )
    elif np.any(signs == 0):
        shape = "zero for some direction: the Hessian is singular and the Newton step undefined"
    else:
        shape = "of both signs: the model's stationary point is a saddle"
    fields: list[tuple[str, Inlines]] = []
    if isinstance(item.steps, ex.Unavailable):  # else the run's own header says these
        fields += [
            ("Loss", inlines(Code(item.loss))),
            ("Start", inlines(Math("θ₀", r"\theta_0"), " = ", Number(item.theta0))),
            ("Loss at the start", inlines(Number(item.value))),
            ("Gradient", inlines(Number(item.gradient))),
        ]
    fields += [
        (
            "Hessian at the start",
            inlines("[", *join(inlines(Number(row)) for row in item.hessian), "]"),
        ),
        ("Its eigenvalues", inlines(Number(item.eigenvalues))),
    ]
    blocks: list[Block] = [
        Fields(tuple(fields)),
        Paragraph(inlines(f"The Hessian's eigenvalues are {shape}.")),
    ]
    return blocks + example_blocks(item.steps, result, options)


def _schedule(item: ex.ScheduleCurve, result: Explanation, options: RenderOptions) -> list[Block]:
    rate = Math("ηₜ", r"\eta_t")
    formulas = [
        (inlines(_sym(sym)), inlines(_sym(formula)), inlines(meaning))
        for sym, formula, meaning in item.definitions
    ]
    steps = len(item.t)
    shown = sorted({1, *(t for t in _stride(steps) if t >= 1)})
    headers: list[Inlines | str] = ["t", inlines(rate)]
    if item.momentum is not None:
        headers.append(inlines(Math("μₜ", r"\mu_t")))
    rows = []
    for t in shown:
        cells = [inlines(str(t)), inlines(Number(item.lr[t - 1]))]
        if item.momentum is not None:
            cells.append(inlines(Number(item.momentum[t - 1])))
        rows.append(tuple(cells))
    said = inlines(
        rate,
        " starts at ",
        Number(item.lr[0]),
        f", is highest at step {item.peak} (",
        Number(item.lr[item.peak - 1]),
        f") and ends at step {steps} at ",
        Number(item.lr[-1]),
        ".",
    )
    series = [Series("learning rate", list(item.t), list(item.lr), "*")]
    return [
        Fields(
            (
                ("Schedule", inlines(f"{item.title} (torch.optim.lr_scheduler.{item.torch_name})")),
                (
                    "Arguments",
                    join(inlines(Code(f"{k}={_value_text(v)}")) for k, v in item.arguments.items()),
                ),
            )
        ),
        table(
            inlines("The engine's rule, with k = t − 1 scheduler steps taken"),
            ["quantity", "formula", "meaning"],
            formulas,
        ),
        _table(inlines("Every few steps"), headers, rows),
        Preformatted(plot(series, x_label="step t", y_label="learning rate")),
        Paragraph(said),
    ]


EXAMPLE_BLOCKS: dict[str, Callable[[Any, Explanation, RenderOptions], list[Block]]] = {
    "unavailable": _unavailable,
    "solve_steps": _solve_steps,
    "bias_correction": _bias_correction,
    "decay_vs_l2": _decay_vs_l2,
    "momentum_ravine": _momentum_ravine,
    "adagrad_effective_lr": _adagrad,
    "clipping": _clipping,
    "schedule_curve": _schedule,
    "memory_table": _memory,
    "cross_entropy": _cross_entropy,
    "focal": _focal,
    "infonce": _infonce,
    "triplet": _triplet,
    "contrastive": _contrastive,
    "residuals": _residuals,
    "saddle_point": _saddle,
    "convexity_check": _convexity,
    "newton_step": _newton,
}
"""Blocks for each kind of example data (the ``kind`` of the objects in
:mod:`tutor.teach.examples`)."""


def example_blocks(item: Any, result: Explanation, options: RenderOptions) -> list[Block]:
    return EXAMPLE_BLOCKS[item.kind](item, result, options)


# --- Documents -----------------------------------------------------------------------------------


def _placeholder(name: str, result: Explanation, options: RenderOptions) -> list[Block]:
    if name == "example":
        return [_inputs(result), *example_blocks(result.example, result, options)]
    if name == "equations":
        return _equations(result)
    if name == "hyperparameters":
        return _hyperparameters(result)
    return _conventions(result)


def _pending(item: Any) -> bool:
    return isinstance(item, ex.Unavailable) or (
        isinstance(item, ex.NewtonStep) and isinstance(item.steps, ex.Unavailable)
    )


def build_explanation(result: Explanation, options: RenderOptions) -> Document:
    topic = result.topic
    items: list[tuple[str, Inlines]] = [("Group", inlines(topic.group))]
    if topic.aliases:
        items.append(("Also called", inlines(", ".join(topic.aliases))))
    if topic.optimizer is not None:
        items.append(("Try it", inlines(Code(f"tutor solve {topic.optimizer} --help"))))
    blocks: list[Block] = [
        Heading(1, inlines(topic.title)),
        Paragraph(inlines(topic.summary)),
        Fields(tuple(items)),
    ]
    for section in topic.sections:
        blocks.append(Heading(2, inlines(section.title)))
        for part in section.parts:
            if isinstance(part, content.Placeholder):
                blocks.extend(_placeholder(part.name, result, options))
                if part.name == "example" and _pending(result.example):
                    break  # the section's remaining text reads numbers that were not computed
            else:
                blocks.extend(_prose(part, result))
    if result.related:
        blocks.append(Heading(2, inlines("Related topics")))
        blocks.append(
            Bullets(
                tuple(
                    inlines(Code(f"tutor explain {t.id}"), f": {t.summary}") for t in result.related
                )
            )
        )
    return Document(topic.title, tuple(blocks))


def build_topics(result: TopicList, options: RenderOptions) -> Document:
    title = "Topics"
    blocks: list[Block] = [
        Heading(1, inlines(title)),
        Paragraph(
            inlines(
                "Show one with ",
                Code("tutor explain TOPIC"),
                " (an id below, or another name for it such as ",
                Code("'bias correction'"),
                ").",
            )
        ),
    ]
    for group, topics in result.groups:
        rows = [(inlines(Code(t.id)), inlines(t.summary)) for t in topics]
        blocks.append(table(inlines(group), ["topic", "what it explains"], rows))
    return Document(title, tuple(blocks))


# --- JSON ----------------------------------------------------------------------------------------


def _inline_data(piece: content.Inline, result: Explanation) -> dict[str, Any]:
    if isinstance(piece, content.Words):
        return {"text": piece.text, "bold": piece.bold}
    if isinstance(piece, content.Formula):
        return {"math": piece.tex, "plain": piece.plain}
    if isinstance(piece, content.CodeText):
        return {"code": piece.text}
    value = result.defaults[(piece.optimizer, piece.name)]
    return {"default": {"optimizer": piece.optimizer, "name": piece.name, "value": value}}


def _part_data(part: content.Part, result: Explanation) -> dict[str, Any]:
    if isinstance(part, content.Prose):
        return {"type": "paragraph", "content": [_inline_data(p, result) for p in part.content]}
    if isinstance(part, content.ItemList):
        items = [[_inline_data(p, result) for p in item] for item in part.items]
        return {"type": "list", "numbered": part.numbered, "items": items}
    if isinstance(part, content.DisplayFormula):
        return {"type": "math", "math": part.formula.tex, "plain": part.formula.plain}
    return {"type": "placeholder", "name": part.name}  # type: ignore[union-attr]


def _solution_data(solution: Any) -> dict[str, Any]:
    problem = solution.problem
    return {
        "optimizer": problem.spec.name,
        "loss": problem.loss.text,
        "params": list(problem.layout.component_names()),
        "theta0": json_value(problem.theta0),
        "hyperparameters": {k: json_value(v) for k, v in problem.config.values.items()},
        "convention": problem.convention.name,
        "steps": [
            {
                "t": record.t,
                "theta": json_value(record.theta),
                "loss": record.loss,
                "grad": json_value(record.grad),
                "values": {k: json_value(v) for k, v in record.values.items()},
                "loss_next": record.loss_next,
            }
            for record in solution.run.steps()
        ],
    }


def example_data(item: Any) -> Any:
    """An example's data as JSON-ready values: every field, arrays as lists."""
    if isinstance(item, ex.SolveSteps):
        return {"kind": item.kind, "command": item.command, "run": _solution_data(item.solution)}
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        data = {f.name: example_data(getattr(item, f.name)) for f in dataclasses.fields(item)}
        kind = getattr(item, "kind", None)
        return {"kind": kind, **data} if kind is not None else data
    if isinstance(item, dict) or hasattr(item, "items"):
        return {str(k): example_data(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return [example_data(v) for v in item]
    if isinstance(item, np.ndarray):
        return item.tolist()
    if isinstance(item, (np.floating, np.integer, np.bool_)):
        return item.item()
    return item


def _equation_data(eq: Any) -> dict[str, Any]:
    return {
        "quantity": eq.key,
        "symbol": eq.symbol[0],
        "formula": eq.formula[0],
        "latex": f"{eq.symbol[1]} = {eq.formula[1]}",
        "description": eq.description,
        "condition": None if eq.condition is None else eq.condition[0],
        "computed_as": None if eq.computed is None else eq.computed[0],
        "procedure": eq.procedure,
    }


def explanation_data(result: Explanation) -> dict[str, Any]:
    from tutor.render.documents.conventions import table_data
    from tutor.teach.conventions import ConventionTable

    topic = result.topic
    parts = result.spec
    used = topic.placeholders()
    return {
        "topic": {
            "id": topic.id,
            "title": topic.title,
            "group": topic.group,
            "summary": topic.summary,
            "aliases": list(topic.aliases),
            "related": list(topic.related),
            "optimizer": topic.optimizer,
            "example": topic.example,
        },
        "options": example_data(dict(result.options)),
        "overrides": example_data(dict(result.overrides)),
        "sections": [
            {"title": s.title, "parts": [_part_data(p, result) for p in s.parts]}
            for s in topic.sections
        ],
        "equations": [_equation_data(eq) for eq in parts.equations] if parts else [],
        "hyperparameters": [hyperparameter_data(h) for h in parts.spec.hyperparameters]
        if parts and "hyperparameters" in used
        else [],
        "conventions": table_data(ConventionTable(parts.conventions))["conventions"]
        if parts and parts.conventions
        else [],
        "example": None if result.example is None else example_data(result.example),
        "related": [{"id": t.id, "title": t.title, "summary": t.summary} for t in result.related],
    }


def topics_data(result: TopicList) -> dict[str, Any]:
    return {
        "groups": [
            {
                "name": group,
                "topics": [
                    {
                        "id": t.id,
                        "title": t.title,
                        "summary": t.summary,
                        "aliases": list(t.aliases),
                        "related": list(t.related),
                        "optimizer": t.optimizer,
                        "example": t.example,
                    }
                    for t in topics
                ],
            }
            for group, topics in result.groups
        ]
    }
