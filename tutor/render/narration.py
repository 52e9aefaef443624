"""Sentences for claims: each :class:`~tutor.teach.verdicts.Claim` kind as inline pieces.

The claim says what is true (it was checked when it was made); this module only words it. Math
is :class:`~tutor.render.blocks.Math` and numbers are :class:`~tutor.render.blocks.Number`, so
every format prints the same sentence in its own syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tutor.render.blocks import Code, Inline, Inlines, Math, Number, Text, inlines
from tutor.teach.verdicts import Claim

ETA = Math("η", r"\eta")
LAMBDA = Math("λ", r"\lambda")
EPS = Math("ε", r"\varepsilon")
THETA_START = Math("θₜ₋₁", r"\theta_{t-1}")
THETA_END = Math("θₜ", r"\theta_t")
FLOAT64_MAX = 1.7976931348623157e308
LARGEST = Math("maxᵢ|θᵢ|", r"\max_i \lvert\theta_i\rvert")


def _step(claim: Claim) -> Inlines:
    return inlines(Text(f"Step {claim.step}", "bold"), ": ")


def _cause(claim: Claim, verb: str) -> Inlines:
    cause = claim.evidence.get("cause")
    if cause == "weight_decay":
        return inlines(" Without weight decay (", LAMBDA, " = 0) the same step ", verb, ".")
    if cause == "state":
        return inlines(
            " With the optimizer's state reset (nothing carried over from earlier steps: no "
            "momentum, no stored curvature pairs), the same step ",
            verb,
            ".",
        )
    return ()


def _not_moved(claim: Claim) -> Inlines:
    return _step(claim) + inlines("the parameters did not move: the update was exactly zero.")


def _flat(claim: Claim) -> Inlines:
    return _step(claim) + inlines(
        "θ moved but the loss kept its value, ", Number(claim.evidence["loss"]), "."
    )


def _stationary(claim: Claim) -> Inlines:
    cause = claim.evidence.get("cause")
    head = _step(claim) + inlines("the gradient is exactly 0 here (a stationary point), ")
    if cause == "weight_decay":
        return head + inlines(
            "so only weight decay moved θ: recomputed with ",
            LAMBDA,
            " = 0, the step does not move at all. That move raised the loss.",
        )
    if cause == "state":
        return head + inlines(
            "so θ was moved by the optimizer's state (momentum from earlier steps): recomputed "
            "with the state reset, the step does not move. That move raised the loss."
        )
    return head + inlines("yet θ moved by ", Number(claim.evidence["step_norm"]), ".")


def _uphill(claim: Claim) -> Inlines:
    return (
        _step(claim)
        + inlines(
            "the step pointed uphill: the loss's slope along it at ",
            THETA_START,
            " is +",
            Number(claim.evidence["slope"]),
            ".",
        )
        + _cause(claim, "would have pointed downhill")
    )


def _overshoot(claim: Claim) -> Inlines:
    e = claim.evidence
    return _step(claim) + inlines(
        "the step overshot: its direction goes downhill at ",
        THETA_START,
        ", but the step went past the lowest point along it and the loss rose from ",
        Number(e["loss"]),
        " to ",
        Number(e["loss_next"]),
        ". The same step with ",
        ETA,
        " = ",
        Number(e["smaller_lr"]),
        " instead of ",
        Number(e["lr"]),
        " lowers the loss to ",
        Number(e["loss_smaller"]),
        ".",
    )


def _curved(claim: Claim) -> Inlines:
    return _step(claim) + inlines(
        "the loss rose although the step's direction goes downhill at ",
        THETA_START,
        "; even ",
        ETA,
        " = ",
        Number(claim.evidence["smallest_lr"]),
        " does not lower it.",
    )


def _diverged(claim: Claim) -> Inlines:
    e = claim.evidence
    t = e["t"]
    head = inlines(Text(f"Stopped at step {t}", "bold"), ": ")
    key, operation = e["quantity"], e.get("operation")
    if key == "g":
        body = inlines(
            "the gradient is not finite at ",
            THETA_START,
            ", where ",
            LARGEST,
            " = ",
            Number(e["theta_max"]),
            ".",
        )
    elif key == "loss":
        body = inlines(
            "the loss is not finite at ",
            THETA_END,
            ", where ",
            LARGEST,
            " = ",
            Number(e["theta_max"]),
            ".",
        )
    else:
        symbol = Math(e.get("symbol", key), e.get("symbol", key))
        node = Math(e.get("node", ""), e.get("node_tex", ""))
        if operation == "zero_over_zero":
            body = inlines(symbol, " is 0/0: computing ", node, " divides 0 by 0")
            if e.get("eps_zero"):
                body += inlines(
                    " (",
                    EPS,
                    " = 0, so nothing keeps the divisor away from 0). No learning rate fixes "
                    "this; set ",
                    Code("--eps"),
                    " to a positive value.",
                )
            else:
                body += inlines(".")
        elif operation == "division_by_zero":
            body = inlines(symbol, " divides by 0 in ", node)
            body += inlines(" (", EPS, " = 0).") if e.get("eps_zero") else inlines(".")
        elif operation == "invalid":
            body = inlines(symbol, " takes the root or log of a negative number in ", node, ".")
        elif "node" not in e:  # computed by a procedure (L-BFGS's inner loop), not a formula
            body = inlines(symbol, " is not finite (infinite or undefined).")
        else:
            body = inlines(
                symbol,
                " overflowed: ",
                node,
                " exceeds float64's range (about ",
                Number(FLOAT64_MAX),
                "); its inputs reach ",
                Number(e.get("largest_input", 0.0)),
                ".",
            )
    if e.get("grew"):
        body += inlines(
            " Before that, ",
            LARGEST,
            " grew from ",
            Number(e["start_max"]),
            " to ",
            Number(e["reached_max"]),
            ".",
        )
        if "smaller_lr_ok" in e:
            body += inlines(
                " With ",
                ETA,
                " = ",
                Number(e["smaller_lr_ok"]),
                " the same ",
                Text(str(t)),
                " steps stay finite.",
            )
    before = (
        " No step completed."
        if t == 1
        else f" The {t - 1} step{'s' if t > 2 else ''} before it completed and are shown."
    )
    return head + body + inlines(before)


def _numbers(values: Any) -> Inlines:
    """``a``, ``a and b``, ``a, b and c``: a few numbers in a sentence."""
    items = [Number(float(v)) for v in values]
    parts: list[Inline] = []
    for i, item in enumerate(items):
        if i:
            parts.append(Text(" and " if i == len(items) - 1 else ", "))
        parts.append(item)
    return tuple(parts)


def _indefinite(claim: Claim) -> Inlines:
    e = claim.evidence
    matrix = Math(e["matrix"], e["matrix_tex"])
    eigenvalues = list(e["eigenvalues"])
    maximum = e["shape"] == "maximum"
    if len(eigenvalues) <= 4:
        values = inlines("its eigenvalues are ") + _numbers(eigenvalues)
        values += inlines(", all negative" if maximum else ", of both signs")
    else:
        negative = sum(1 for v in eigenvalues if v < 0)
        values = inlines(
            "its eigenvalues range from ",
            Number(float(eigenvalues[0])),
            " to ",
            Number(float(eigenvalues[-1])),
            f" ({negative} of {len(eigenvalues)} negative)",
        )
    head = inlines(Text(f"Warning, step {claim.step}", "bold"), ": ")
    body = head + inlines(matrix, " is not positive definite at ", THETA_START, ": ")
    body += values + inlines(". ")
    point = "a maximum" if maximum else "a saddle point"
    if e["stationary"]:
        body += inlines(
            "The quadratic model of the loss with this matrix has ",
            point,
            ", not a minimum, and the step heads for it; the model predicts a loss of ",
            Number(e["model_value"]),
            " there, against ",
            Number(e["loss"]),
            " at ",
            THETA_START,
            ". ",
        )
    if e["climbs"]:
        body += inlines(
            "The step climbs: the loss's slope along it at ",
            THETA_START,
            " is +",
            Number(e["slope"]),
            ", and at ",
            Math(
                f"θₜ₋₁ + {e['near']:g}·Δθₜ", rf"\theta_{{t-1}} + {e['near']:g} \cdot \Delta\theta_t"
            ),
            " the loss is already ",
            Number(e["loss_near"]),
            ".",
        )
    elif e["slope"] < 0:
        body += inlines(
            "It still starts downhill: the loss's slope along it at ",
            THETA_START,
            " is ",
            Number(e["slope"]),
            ".",
        )
    return body


def _newton_relation(claim: Claim) -> Inlines:
    e = claim.evidence
    head = _step(claim) + inlines("compared with Newton's method on the same loss at ", THETA_START)
    if e.get("newton_singular"):
        return head + inlines(
            ": the Hessian there is singular or nearly so, so Newton's step is not defined; the "
            "entries of Fₜ differ from the Hessian's by up to ",
            Number(e["matrix_difference"]),
            ".",
        )
    body = head + inlines(
        " (the Hessian ",
        Math("Hₜ", "H_t"),
        " in place of ",
        Math("Fₜ", "F_t"),
        ", the same ",
        LAMBDA,
        "), the largest entry of ",
        Math("|Fₜ − Hₜ|", r"\lvert F_t - H_t \rvert"),
        " is ",
        Number(e["matrix_difference"]),
        " and the two directions differ by ",
        Number(e["relative_difference"]),
        " relative to Newton's",
    )
    if e["agree"]:
        return body + inlines(
            ": within ",
            Number(e["tolerance"]),
            ", this natural-gradient step is Newton's step.",
        )
    return body + inlines(
        ": the steps differ. Newton's direction would be ",
        Number(e["newton_direction"]),
        ".",
    )


def outcome(claim: Claim, symbol_end: Math) -> Inlines:
    """The run's last line: loss before and after, and whether it moved towards the goal."""
    e = claim.evidence
    before, after = e["loss_before"], e["loss_after"]
    maximize = e["goal"] == "maximize"
    if after == before:
        verdict, style = "the loss did not change", "bad"
    elif (after < before) != maximize:
        verdict = "the loss increased ✓ (maximizing)" if maximize else "the loss decreased ✓"
        style = "good"
    else:
        verdict = "the loss decreased ✗ (maximizing)" if maximize else "the loss increased ✗"
        style = "bad"
    return inlines(
        "Loss ",
        Math("L(θ₀)", r"L(\theta_0)"),
        " = ",
        Number(before),
        " → ",
        Math(f"L({symbol_end.plain})", f"L({symbol_end.tex})"),
        " = ",
        Number(after),
        ": ",
        Text(verdict, style),  # type: ignore[arg-type]
    )


SENTENCES: dict[str, Callable[[Claim], Inlines]] = {
    "not_moved": _not_moved,
    "flat": _flat,
    "stationary": _stationary,
    "uphill": _uphill,
    "overshoot": _overshoot,
    "curved": _curved,
    "diverged": _diverged,
    "indefinite": _indefinite,
    "newton_relation": _newton_relation,
}


def sentence(claim: Claim) -> Inlines:
    """The claim in words (a step claim or a divergence)."""
    return SENTENCES[claim.kind](claim)
