"""JSON: one object per result, with ``format_version``; every number at full float64 precision.

The solution object is the stable contract other tools read::

    {"format_version": 1, "optimizer", "title", "convention": {name, title, source, summary},
     "exercise", "params": [{"name", "shape"}], "loss", "gradient", "hyperparameters",
     "theta0", "steps": [{"t", "theta", "loss", "grad", "quantities": [{"name", "symbol",
     "formula", "latex", "value"}], "theta_next", "loss_next", "loss_decreased", "claim"}],
     "final": {"theta", "loss"}, "diverged", "outcome", "divergence", "claims", "topics"}

A step of an optimizer with procedures also has ``"notes"``: each table of inner iterations
(L-BFGS's iterations, curvature pairs, two-loop recursions, line-search trials) as a list of
rows, each a mapping from column to value.

``theta``, ``grad`` and ``theta_next`` are flat lists in the order of ``params`` (row-major within
a matrix). Step t takes θₜ₋₁ (``theta``) to θₜ (``theta_next``). Every step is written, however
long the run; a solution is streamed step by step (the text is never held whole), and runs of
more than :data:`INDENTED_UP_TO` steps are written one step per line, a chunk of steps at a time,
with their numbers written by orjson (the shortest text that reads back as the same float64).

A claim is ``{"kind", "step", "evidence", "text"}``: ``text`` is the plain-text sentence, and
``evidence`` holds the numbers that were checked before the claim was made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from tutor.engine.formula import ByStep, Computed, Expr, Where
from tutor.render.blocks import Code, Inlines, Math, Number, Text
from tutor.render.narration import outcome as outcome_sentence
from tutor.render.narration import sentence
from tutor.render.numbers import json_value, value_text
from tutor.render.options import RenderOptions
from tutor.teach.verdicts import Claim

FORMAT_VERSION = 1
INDENTED_UP_TO = 1000


def _safe(value: Any) -> Any:
    """JSON-ready data: arrays as lists, numpy scalars as Python numbers, non-finite as text."""
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    if isinstance(value, (np.ndarray, np.floating, np.integer, np.bool_)):
        return _safe(json_value(value))
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)
    return value


def dumps(data: Any, indent: int | None = 2) -> str:
    return json.dumps(_safe(data), indent=indent, ensure_ascii=False, allow_nan=False)


def plain_text(content: Inlines) -> str:
    """A sentence as plain text (the ``text`` of a claim)."""
    out = []
    for piece in content:
        if isinstance(piece, Text):
            out.append(piece.text)
        elif isinstance(piece, Math):
            out.append(piece.plain)
        elif isinstance(piece, Number):
            out.append(value_text(piece.value, 17 if piece.full else 6, piece.layout))
        elif isinstance(piece, Code):
            out.append(piece.text)
    return "".join(out)


def claim_data(claim: Claim | None, text: Inlines | None = None) -> dict[str, Any] | None:
    if claim is None:
        return None
    words = text if text is not None else sentence(claim)
    return {
        "kind": claim.kind,
        "step": claim.step,
        "evidence": _safe(dict(claim.evidence)),
        "text": plain_text(words),
    }


def convention_data(convention: Any) -> dict[str, Any]:
    return {
        "name": convention.name,
        "title": convention.title,
        "source": convention.source,
        "summary": convention.summary,
        "switches": {k: v for k, v in convention.switches.items()},
    }


# --- Solutions -----------------------------------------------------------------------------------


def _dynamic(formula: Expr) -> bool:
    """Whether the printed formula changes with the step (a ByStep or Where outside the
    reference-order side of a Computed node)."""
    stack = [formula]
    while stack:
        node = stack.pop()
        if isinstance(node, (ByStep, Where)):
            return True
        stack.extend([node.shown] if isinstance(node, Computed) else node.children())
    return False


class _Formulas:
    """Each quantity's printed formula, printed once (or once per branch for formulas that
    change with the step, such as SGD's first momentum buffer)."""

    def __init__(self, algorithm: Any) -> None:
        self.algorithm = algorithm
        self.static: dict[str, tuple[str, str]] = {}
        self.dynamic: dict[str, Expr] = {}
        self.cache: dict[Expr, tuple[str, str]] = {}
        for key, formula in algorithm.formulas.items():
            if _dynamic(formula):
                self.dynamic[key] = formula
            else:
                shown = formula.specialize({})
                self.static[key] = (shown.plain(), shown.latex())

    def texts(self, key: str, env: dict[str, Any]) -> tuple[str, str]:
        if key in self.static:
            return self.static[key]
        shown = self.dynamic[key].specialize(env)
        if shown not in self.cache:
            self.cache[shown] = (shown.plain(), shown.latex())
        return self.cache[shown]


def _header(solution: Any) -> dict[str, Any]:
    problem = solution.problem
    spec, config = problem.spec, problem.config
    return {
        "format_version": FORMAT_VERSION,
        "optimizer": spec.name,
        "title": spec.title,
        "convention": convention_data(problem.convention),
        "exercise": problem.exercise,
        "params": [{"name": p.name, "shape": list(p.shape)} for p in problem.layout],
        "loss": problem.loss.text,
        "gradient": [d.expression_plain for d in solution.derivatives],
        "hyperparameters": {k: json_value(v) for k, v in config.values.items()},
        "schedule": None if solution.schedule is None else schedule_data(solution.schedule),
        "clipping": None if config.clipping is None else clipping_data(config.clipping),
        "theta0": json_value(problem.theta0),
        **_matrices(solution),
    }


def schedule_data(trace: Any) -> dict[str, Any]:
    """A schedule: its name, torch's class and arguments, and its rule's formulas."""
    config = trace.config
    return {
        "name": config.spec.name,
        "torch": config.spec.torch_name,
        "label": config.label(),
        "arguments": {k: json_value(v) for k, v in config.arguments().items() if v is not None},
        "momentum": trace.momentum,
        "rule": [
            {
                "name": d.key,
                "symbol": d.symbol.text,
                "formula": d.formula.plain(),
                "latex": d.formula.latex(),
                "description": d.description,
            }
            for d in trace.rule.definitions
            if d.shown
        ],
    }


def clipping_data(clipping: Any) -> dict[str, Any]:
    return {
        "max_norm": clipping.max_norm,
        "norm_type": json_value(clipping.norm_type),
        "clip_value": clipping.clip_value,
        "torch": clipping.torch_call,
    }


def _schedule_values(result: Any, t: int) -> dict[str, Any]:
    """The schedule's values at step ``t`` (nothing without a schedule)."""
    if result.schedule is None:
        return {}
    row = result.schedule.rows[t - 1]
    shown = [d.key for d in result.schedule.rule.definitions if d.shown]
    return {"schedule": {key: row[key] for key in shown}}


def _matrices(solution: Any) -> dict[str, Any]:
    """The matrices a second-order method reads (``H``, ``F``), as defined; none for others."""
    if not solution.matrices:
        return {}
    return {
        "matrices": [
            {
                "name": m.key,
                "symbol": m.symbol[0],
                "formula": m.formula[0],
                "latex": m.formula[1],
                "definitions": [plain for plain, _ in m.definitions],
            }
            for m in solution.matrices
        ]
    }


def _inputs(record: Any) -> dict[str, Any]:
    """A step's matrices (``H``, ``F``) as nested lists; the identity ``I`` is left out."""
    if not record.inputs:
        return {}
    return {"inputs": {k: np.asarray(v).tolist() for k, v in record.inputs.items() if k != "I"}}


def _step(solution: Any, t: int, formulas: _Formulas, constants: dict[str, Any]) -> dict[str, Any]:
    record = solution.step(t)
    env: dict[str, Any] | None = None
    quantities = []
    for quantity in solution.run.quantities:
        if quantity.key not in record.values:
            continue
        if quantity.key in formulas.dynamic and env is None:
            env = record.environment(constants)
            env["t"] = float(t)
        plain, tex = formulas.texts(quantity.key, env or {})
        quantities.append(
            {
                "name": quantity.key,
                "symbol": quantity.symbol.text,
                "formula": plain,
                "latex": tex,
                "value": json_value(record.values[quantity.key]),
            }
        )
    claim = solution.claims.get(t)
    if claim is None and t in solution.against_goal_set:
        claim_json: dict[str, Any] | None = {
            "kind": "not_analysed",
            "step": t,
            "evidence": {"limit": solution.explained_limit},
            "text": (
                "not analysed: only the first "
                f"{solution.explained_limit} steps against the goal get a checked reason"
            ),
        }
    else:
        claim_json = claim_data(claim)
    return {
        "t": t,
        "theta": json_value(record.theta),
        "loss": record.loss,
        "grad": json_value(record.grad),
        "quantities": quantities,
        "theta_next": json_value(record.theta_next),
        "loss_next": record.loss_next,
        "loss_decreased": bool(record.loss_next < record.loss),
        **_schedule_values(solution, t),
        "claim": claim_json,
        **_inputs(record),
        **_notes(record),
    }


def _notes(record: Any) -> dict[str, Any]:
    """A step's inner iterations (procedures' notes), by table: ``{"notes": {name: [row, …]}}``
    with each row a mapping of column to value; none for optimizers without procedures."""
    notes = {key: rows for key, rows in record.notes.items() if rows}
    if not notes:
        return {}
    return {"notes": _safe(notes)}


def _ending(result: Any) -> dict[str, Any]:
    from tutor.render.documents.solution import outcome_symbol

    divergence = result.run.divergence
    return {
        "final": {"theta": json_value(result.final_theta), "loss": result.final_loss},
        "diverged": None
        if divergence is None
        else {"t": divergence.t, "quantity": divergence.quantity},
        "outcome": claim_data(
            result.outcome, outcome_sentence(result.outcome, outcome_symbol(result))
        ),
        "divergence": claim_data(result.divergence),
        "failed_step": None if result.failed is None else _failed(result),
        "claims": [claim_data(result.claims[t]) for t in sorted(result.claims)],
        **_curvature(result),
        "against_goal": list(result.against_goal),
        "topics": list(result.topics),
    }


def _curvature(result: Any) -> dict[str, Any]:
    """Claims about the matrix a second-order step solved with (none for other optimizers)."""
    if not result.curvature:
        return {}
    claims = [claim for t in sorted(result.curvature) for claim in result.curvature[t]]
    return {"curvature": [claim_data(claim) for claim in claims]}


def _failed(result: Any) -> dict[str, Any]:
    """The step at which the run stopped, with its non-finite values (as text)."""
    record = result.failed
    return {
        "t": record.t,
        "theta": json_value(record.theta),
        "grad": json_value(record.grad),
        "values": {key: json_value(value) for key, value in record.values.items()},
    }


def solution(result: Any, options: RenderOptions) -> Iterator[str]:
    """The solution, streamed: the header, then each step, then the ending."""
    steps = result.steps
    indent = 2 if steps <= INDENTED_UP_TO else None
    header = dumps(_header(result), indent)
    yield header[:-1].rstrip() + (",\n  " if indent else ", ") + '"steps": ['
    if indent:
        formulas = _Formulas(result.run.program.algorithm)
        constants = dict(result.run.program.constants)
        for t in range(1, steps + 1):
            text = dumps(_step(result, t, formulas, constants), indent)
            yield ("," if t > 1 else "") + "\n    " + text.replace("\n", "\n    ")
    else:
        yield from _compact_steps(result)
    body = dumps(_ending(result), indent)
    yield ("\n  ]," if indent else "],") + body[1:]
    yield "\n"


CHUNK = 200  # steps written at a time: memory stays bounded however long the run


def _quantity_head(q: Any, plain: str, tex: str) -> str:
    """``{"name": …, "latex": …, "value": `` of one quantity (its value and ``}`` follow)."""
    fields = {"name": q.key, "symbol": q.symbol.text, "formula": plain, "latex": tex}
    return dumps(fields, None)[:-1] + ', "value": '


def _percent(text: str) -> str:
    return text.replace("%", "%%")


def _rows(series: np.ndarray) -> list[str]:
    """Each step's value as JSON text: a number, or a flat list (row-major) for a vector or
    matrix. orjson writes the shortest text that reads back as the same float64 (``1e-05`` may
    appear as ``0.00001``), about thirty times faster than ``repr``; kept steps hold no NaN."""
    import orjson

    if series.ndim > 2:  # a matrix per step (L-BFGS's pairs): flat, as json_value writes it
        series = series.reshape(len(series), -1)
    flat = np.ascontiguousarray(series, dtype=np.float64)
    text = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY).decode().replace(",", ", ")
    if flat.ndim == 1:
        return text[1:-1].split(", ")
    return [f"[{row}]" for row in text[2:-2].split("], [")]


def _compact_steps(result: Any) -> Iterator[str]:
    """Every step on its own line, written from the run's arrays a chunk at a time: the same
    fields and numbers as the indented form, formatted by one template per run.

    A quantity whose printed formula never changes and that every step computes has its name,
    symbol and formulas in the template; the others (formulas that change with the step,
    quantities computed on some steps only) are written step by step.
    """
    run = result.run
    formulas = _Formulas(run.program.algorithm)
    constants = dict(run.program.constants)
    fixed = [q for q in run.quantities if q.key in formulas.static and q.key not in run.present]
    varying = len(fixed) < len(run.quantities)
    if varying:
        quantities = "%s"
    else:
        quantities = ", ".join(
            _percent(_quantity_head(q, *formulas.static[q.key])) + "%s}" for q in fixed
        )
    scheduled = result.schedule is not None
    template = (
        ',\n{"t": %d, "theta": %s, "loss": %s, "grad": %s, "quantities": ['
        + quantities
        + '], "theta_next": %s, "loss_next": %s, "loss_decreased": %s, '
        + ("%s, " if scheduled else "")
        + '"claim": %s'
        + ("%s" if run.inputs else "")
        + ("%s" if run.notes else "")
        + "}"
    )
    claim = _ClaimTexts(result)
    decreased = ("false", "true")
    for start in range(0, len(run), CHUNK):
        stop = min(start + CHUNK, len(run))
        steps = range(start + 1, stop + 1)
        after = _rows(run.values["theta_next"][start:stop])
        before = [*_rows(run.theta[start : start + 1]), *after[:-1]]  # θₜ₋₁: the last step's θₜ
        loss = run.loss[start:stop]
        loss_next = run.loss_next[start:stop]
        columns: list[Any] = [steps, before, _rows(loss), _rows(run.grad[start:stop])]
        if varying:
            columns.append(_quantity_texts(result, formulas, constants, start, stop))
        else:
            columns.extend(_rows(run.values[q.key][start:stop]) for q in fixed)
        columns += [
            after,
            _rows(loss_next),
            map(decreased.__getitem__, (loss_next < loss).tolist()),
        ]
        if scheduled:
            columns.append([dumps(_schedule_values(result, t), None)[1:-1] for t in steps])
        columns.append(map(claim, steps))
        if run.inputs:
            columns.append([", " + dumps(_inputs(run.step(t)), None)[1:-1] for t in steps])
        if run.notes:
            columns.append(
                [
                    ", " + dumps(_notes(run.step(t)), None)[1:-1] if t in run.notes else ""
                    for t in steps
                ]
            )
        text = "".join(map(template.__mod__, zip(*columns, strict=True)))
        yield text[1:] if start == 0 else text


class _ClaimTexts:
    """The JSON of a step's claim: a checked claim, "not analysed" for a step against the goal
    beyond the explained limit, else ``null`` (made per chunk: a long run can have tens of
    thousands of steps against the goal)."""

    def __init__(self, result: Any) -> None:
        self.claims = {t: dumps(claim_data(c), None) for t, c in result.claims.items()}
        self.against = result.against_goal_set
        self.unexplained = dumps(
            {
                "kind": "not_analysed",
                "step": 0,
                "evidence": {"limit": result.explained_limit},
                "text": "not analysed: only the first "
                f"{result.explained_limit} steps against the goal get a checked reason",
            },
            None,
        ).split('"step": 0', 1)

    def __call__(self, t: int) -> str:
        text = self.claims.get(t)
        if text is not None:
            return text
        if t in self.against:
            return f'{self.unexplained[0]}"step": {t}{self.unexplained[1]}'
        return "null"


def _quantity_texts(
    result: Any, formulas: _Formulas, constants: dict[str, Any], start: int, stop: int
) -> list[str]:
    """The quantities of steps ``start + 1 … stop`` as text, for runs whose quantities change
    formula with the step or are computed on some steps only."""
    run = result.run
    cells: list[list[str | None]] = []  # per quantity, per step (None: not computed)
    for q in run.quantities:
        values = _rows(run.values[q.key][start:stop])
        mask = run.present[q.key][start:stop].tolist() if q.key in run.present else None
        static = formulas.static.get(q.key)
        head = None if static is None else _quantity_head(q, *static)
        column: list[str | None] = []
        for i, text in enumerate(values):
            if mask is not None and not mask[i]:
                column.append(None)
                continue
            if static is None:
                env = run.step(start + i + 1).environment(constants)
                env["t"] = float(start + i + 1)
                head = _quantity_head(q, *formulas.texts(q.key, env))
            column.append(f"{head}{text}}}")
        cells.append(column)
    return [", ".join(c for c in row if c is not None) for row in zip(*cells, strict=True)]


# --- Other results -------------------------------------------------------------------------------


def comparison(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.conventions import comparison_data

    return dumps({"format_version": FORMAT_VERSION, **comparison_data(result)}) + "\n"


def conventions(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.conventions import table_data

    return dumps({"format_version": FORMAT_VERSION, **table_data(result)}) + "\n"


def optimizers(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.catalog import optimizers_data

    return dumps({"format_version": FORMAT_VERSION, **optimizers_data(result)}) + "\n"


def exercises(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.catalog import exercises_data

    return dumps({"format_version": FORMAT_VERSION, **exercises_data(result)}) + "\n"


def exercise(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.catalog import exercise_data

    return dumps({"format_version": FORMAT_VERSION, **exercise_data(result)}) + "\n"


def exercise_check(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.catalog import check_data

    return dumps({"format_version": FORMAT_VERSION, **check_data(result)}) + "\n"


def grade_report(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.grade import report_data

    return dumps({"format_version": FORMAT_VERSION, **report_data(result)}) + "\n"


def explanation(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.explain import explanation_data

    return dumps({"format_version": FORMAT_VERSION, **explanation_data(result)}) + "\n"


def topics(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.explain import topics_data

    return dumps({"format_version": FORMAT_VERSION, **topics_data(result)}) + "\n"


def quiz_session(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.quiz import session_data

    return dumps({"format_version": FORMAT_VERSION, **session_data(result)}) + "\n"


def quiz_bank(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.quiz import bank_data

    return dumps({"format_version": FORMAT_VERSION, **bank_data(result)}) + "\n"


def progress(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.quiz import progress_data

    return dumps({"format_version": FORMAT_VERSION, **progress_data(result)}) + "\n"


def schedule(result: Any, options: RenderOptions) -> str:
    """``tutor schedule``: the schedule, then every step's rate (and each varying value)."""
    trace = result.trace
    keys = [d.key for d in trace.rule.definitions if d.shown]
    steps = [
        {"t": t, "k": t - 1, **{key: trace.rows[t - 1][key] for key in keys}}
        for t in range(1, len(trace) + 1)
    ]
    data = {"format_version": FORMAT_VERSION, "schedule": schedule_data(trace), "steps": steps}
    if trace.losses is not None:
        data["losses"] = list(trace.losses)
    return dumps(data) + "\n"
