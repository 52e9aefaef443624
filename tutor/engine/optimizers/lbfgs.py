"""L-BFGS: a quasi-Newton method that builds curvature from the last few steps, with an optional
strong-Wolfe line search.

One ``tutor`` step is one call of torch.optim.LBFGS's ``step(closure)``, which runs up to
``max_iter`` inner iterations k = 1, 2, …, Kₜ from θₜ,₀ = θₜ₋₁ (torch's ``n_iter`` counts them
over every step; its ``func_evals`` counts loss-and-gradient evaluations)::

    L, g = L(θₜ₋₁), ∇L(θₜ₋₁)                 (one evaluation)
    stop at once if max|g| ≤ tolerance_grad
    for k = 1, 2, …, max_iter:
        if this is the first iteration ever:  d = −g, no pairs, γ = 1
        else:
            s = a·d  (last step length × last direction),  y = g − ǧ  (ǧ: where it began)
            if yᵀs > 1e-10:  store (s, y, ρ = 1/yᵀs), dropping the oldest pair beyond m;
                              γ = sᵀy/yᵀy
            d = −H̃g by the two-loop recursion:
                q = g;  for i = newest … oldest:  αᵢ = ρᵢ·sᵢᵀq,  q = q − αᵢ·yᵢ
                r = γ·q; for i = oldest … newest:  βᵢ = ρᵢ·yᵢᵀr,  r = r + (αᵢ − βᵢ)·sᵢ
                d = −r
        ǧ = g
        a = min(1, 1/‖g‖₁)·η on the first iteration ever, else η
        stop if gᵀd > −tolerance_change  (d does not descend)
        with a line search:  a = strong_wolfe(from a);  θ = θ + a·d;  L, g at θ from it
        without:             θ = θ + a·d;  L, g = L(θ), ∇L(θ) unless k = max_iter
        stop if k = max_iter, or evaluations ≥ max_eval, or max|g| ≤ tolerance_grad,
             or max|a·d| ≤ tolerance_change, or |L − L_before| < tolerance_change
    θₜ = θ

The tables show the step's outcome (Kₜ, the evaluations, the last direction dₜ and step length
aₜ, the stored pairs' count pₜ and scale γₜ, θₜ), and the procedure's notes show every inner
iteration: one table of iterations (slope gᵀd, step length, the point reached and its loss,
the evaluations so far, why the loop stopped), one of curvature pairs (s, y, yᵀs, ρ, whether
the pair was kept), one of two-loop recursions (each αᵢ and βᵢ, and the direction d) and, with
``line_search_fn='strong_wolfe'``, one of line-search trials (each trial step length, its loss
and slope, and which Wolfe conditions hold). Vectors longer than eight entries show their ends
in the tables; JSON has every entry.

The strong-Wolfe search is torch's port of minFunc's: bracket a step length whose loss is low
enough (Armijo, c₁ = 1e-4) and whose slope has flattened (|∇Lᵀd| ≤ c₂·|gᵀd|, c₂ = 0.9) by cubic
interpolation, then zoom in on it; after its first trial it may make as many more as
``max_eval`` minus the evaluations already made. Its own tolerance on the bracket's width is
torch's default 1e-9, whatever ``tolerance_change`` is (torch does not pass it on).

Conventions of torch worth knowing: the two-loop recursion starts from q = −g, so torch's αᵢ
and βᵢ are the negatives of the textbook's (printed here) and its result is d directly; the
numbers are the same bit for bit. The last iteration without a line search does not evaluate
the loss at its new point (the next step's first evaluation does). A pair whose yᵀs ≤ 1e-10
is not stored (and γ is left as it was), which keeps H̃ positive definite.

How the state is carried. torch keeps, between calls: the last direction ``d`` and step length
``t`` (here aₜ), the lists ``old_stps``, ``old_dirs`` and ``ro`` (here the matrices Sₜ and Yₜ
and the vector ρₜ, one row per stored pair, oldest first), ``H_diag`` (γₜ), ``prev_flat_grad``
(ǧₜ), ``prev_loss``, ``n_iter`` and ``func_evals``. The engine's state must have the same shape
at every step, so the pairs live in ``history_size`` rows and the count pₜ says how many are in
use (rows from pₜ on are 0); when all rows are full, the oldest row is dropped and the rest move
up, as torch's ``pop(0)`` and ``append`` do. Before the first step the history is empty and held
as the single number 0 (the first iteration allocates its rows). The matrices stay out of the
step tables (the curvature-pair notes show each pair as it is made); JSON has them.

Reference: Nocedal, "Updating quasi-Newton matrices with limited storage", Mathematics of
Computation 35, 1980; Liu & Nocedal, "On the limited memory BFGS method for large scale
optimization", Mathematical Programming 45, 1989; line search as in Nocedal & Wright,
"Numerical Optimization", 2006, Algorithms 3.5 and 3.6 (torch follows Schmidt's minFunc).

One step from θ₀ = 2 on L(θ) = (θ − 1)²: the first direction is −g = −2 and the first step
length min(1, 1/‖g‖₁)·η = 0.5, which lands on the minimum, where the gradient is 0, so the
inner loop stops after one iteration and two evaluations:

>>> import numpy as np
>>> from tutor.engine.program import Program
>>> class Parabola:
...     def value(self, theta): return float(np.sum((theta - 1) ** 2))
...     def gradient(self, theta): return 2 * (theta - 1)
>>> program = Program(LBFGS.configure({}))
>>> theta = np.array([2.0])
>>> values, _ = program.step(theta, np.array([2.0]), program.init(theta), 1, objective=Parabola())
>>> [float(values[k]) for k in ("iterations", "evaluations", "step_length")]
[1.0, 2.0, 0.5]
>>> values["theta_next"]
array([1.])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.engine import symbols as s
from tutor.engine.formula import Expr, Sym
from tutor.engine.optimizers.common import finish, lr
from tutor.engine.spec import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    Assign,
    Convention,
    Hyperparameter,
    NoSwitches,
    OptimizerSpec,
    Procedure,
    ProcedureCall,
    Quantity,
    Setup,
    Step,
    state,
    value,
)
from tutor.errors import TutorError

# torch's constants: the curvature a pair must show to be stored, and the line search's.
CURVATURE_MIN = 1e-10
C1 = 1e-4  # sufficient decrease (Armijo)
C2 = 0.9  # curvature (strong Wolfe)
LINE_SEARCH_TOLERANCE = 1e-9  # _strong_wolfe's tolerance_change: torch never passes its own

# --- Symbols and hyper-parameters ---------------------------------------------------------------

MAX_ITER = Sym("max_iter", "max_iter", r"\mathrm{max\_iter}")
MAX_EVAL = Sym("max_eval", "max_eval", r"\mathrm{max\_eval}")
TOLERANCE_GRAD = Sym("tolerance_grad", "tolerance_grad", r"\mathrm{tolerance\_grad}")
TOLERANCE_CHANGE = Sym("tolerance_change", "tolerance_change", r"\mathrm{tolerance\_change}")
HISTORY_SIZE = Sym("history_size", "m", "m")
LINE_SEARCH_FN = Sym("line_search_fn", "line_search_fn", r"\mathrm{line\_search\_fn}")

HYPERPARAMETERS = (
    dataclasses.replace(
        lr(1.0),
        description="learning rate: the step length a of each move, or where a line search "
        "starts (the very first move uses min(1, 1/‖g‖₁)·η)",
    ),
    Hyperparameter(
        "max_iter",
        MAX_ITER,
        20,
        "most inner iterations one step runs (one step is one call of torch's step(closure))",
        AT_LEAST_ONE,
        "max_iter",
    ),
    Hyperparameter(
        "max_eval",
        MAX_EVAL,
        None,
        "the inner loop stops once a step has made this many loss-and-gradient evaluations "
        "(its last iteration may make one more)",
        AT_LEAST_ONE,
        "max_eval",
        unset="max_iter·5/4, rounded down",
    ),
    Hyperparameter(
        "tolerance_grad",
        TOLERANCE_GRAD,
        1e-7,
        "the inner loop stops once every gradient component is at most this in size",
        NON_NEGATIVE,
        "tolerance_grad",
    ),
    Hyperparameter(
        "tolerance_change",
        TOLERANCE_CHANGE,
        1e-9,
        "the inner loop stops when a move max|a·d| is at most this, or the change of the loss "
        "or the slope −gᵀd is below it",
        NON_NEGATIVE,
        "tolerance_change",
    ),
    Hyperparameter(
        "history_size",
        HISTORY_SIZE,
        100,
        "how many curvature pairs (s, y) are kept",
        AT_LEAST_ONE,
        "history_size",
    ),
    Hyperparameter(
        "line_search_fn",
        LINE_SEARCH_FN,
        None,
        "the line search: none (fixed step lengths η) or strong_wolfe",
        torch_name="line_search_fn",
        choices=(None, "strong_wolfe"),
    ),
)

# --- Quantities ----------------------------------------------------------------------------------

ITERATIONS = value(
    "iterations",
    "K",
    "K",
    "inner iterations this step ran (each computes a direction, then moves along it unless "
    "the slope test stops it)",
)
EVALUATIONS = value(
    "evaluations",
    "e",
    "e",
    "loss-and-gradient evaluations this step made: one at θₜ₋₁, then one per line-search "
    "trial or, without a line search, one per move except the move of iteration max_iter",
)
DIRECTION = state(
    "direction",
    "d",
    "d",
    "the last inner iteration's search direction: the two-loop recursion applied to the gradient "
    "where that iteration started",
    torch_state="d",
)
STEP_LENGTH = state(
    "step_length",
    "a",
    "a",
    "the last inner iteration's step length (torch's t)",
    torch_state="t",
    scalar=True,
)
PAIRS = state(
    "pairs",
    "p",
    "p",
    "how many curvature pairs (s, y) are stored: at most m = history_size",
    scalar=True,
)
GAMMA = state(
    "gamma",
    "γ",
    r"\gamma",
    "the scale of the initial inverse Hessian, sᵀy/yᵀy of the newest pair (1 before any)",
    torch_state="H_diag",
    initial=1.0,
    scalar=True,
)
S_HISTORY = state(
    "s_history",
    "S",
    "S",
    "the stored steps s = a·d, one row per pair, oldest first (rows from p on are 0)",
    torch_state="old_stps",
    scalar=True,
    in_tables=False,
)
Y_HISTORY = state(
    "y_history",
    "Y",
    "Y",
    "the stored gradient changes y, one row per pair, oldest first (rows from p on are 0)",
    torch_state="old_dirs",
    scalar=True,
    in_tables=False,
)
RHO_HISTORY = state(
    "rho_history",
    "ρ",
    r"\rho",
    "1/yᵀs of each stored pair, oldest first (entries from p on are 0)",
    torch_state="ro",
    scalar=True,
    in_tables=False,
)
G_LAST = state(
    "g_last",
    "ǧ",
    r"\check{g}",
    "the gradient where the last inner iteration started: the next step measures y from it",
    torch_state="prev_flat_grad",
)
LOSS_LAST = state(
    "loss_last",
    "Ľ",
    r"\check{L}",
    "the loss where the last inner iteration started",
    torch_state="prev_loss",
    scalar=True,
    in_tables=False,
)
THETA_LAST = Quantity(
    "theta_last",
    Sym("theta_last", "θₜ,K", r"\theta_{t,K}"),
    "the point the inner iterations reached",
    in_tables=False,
)
N_ITER = state(
    "n_iter", "N", "N", "inner iterations of every step so far", torch_state="n_iter", scalar=True
)
FUNC_EVALS = state(
    "func_evals",
    "E",
    "E",
    "loss-and-gradient evaluations of every step so far",
    torch_state="func_evals",
    scalar=True,
)

OUTPUTS = (
    ITERATIONS,
    EVALUATIONS,
    DIRECTION,
    STEP_LENGTH,
    PAIRS,
    GAMMA,
    G_LAST,
    S_HISTORY,
    Y_HISTORY,
    RHO_HISTORY,
    LOSS_LAST,
    THETA_LAST,
)


@dataclass(frozen=True, repr=False)
class _Words(Sym):
    """A formula cell that describes in words what the procedure computes: it prints the same
    with or without a step's numbers (no number stands for it), and its key is in no step's
    values, so nothing evaluates it."""

    def plain(self, values: Mapping[str, Any] | None = None, fmt: Any = str) -> str:
        return self.text

    def latex(self, values: Mapping[str, Any] | None = None, fmt: Any = str) -> str:
        return self.tex


def _words(key: str, text: str, tex: str) -> Sym:
    return _Words(f"lbfgs_{key}", text, tex)


def _shown(line_search: bool) -> tuple[Expr, ...]:
    """What the tables print for each output of the procedure, in :data:`OUTPUTS` order."""
    first = "min(1, 1/‖g‖₁)·η"
    length = (
        _words(
            "a",
            f"strong-Wolfe line search from η ({first} at the very first iteration)",
            r"\text{strong-Wolfe line search from } \eta"
            r"\ (\min(1, 1/\lVert g \rVert_1)\,\eta \text{ at the very first iteration})",
        )
        if line_search
        else _words(
            "a",
            f"η ({first} at the very first iteration)",
            r"\eta\ (\min(1, 1/\lVert g \rVert_1)\,\eta \text{ at the very first iteration})",
        )
    )
    return (
        _words(
            "K",
            "inner iterations until a stopping test (at most max_iter)",
            r"\text{inner iterations until a stopping test (at most max\_iter)}",
        ),
        _words(
            "e",
            "1 + the inner iterations' evaluations",
            r"1 + \text{the inner iterations' evaluations}",
        ),
        _words(
            "d",
            "−H̃ₜǧₜ (two-loop recursion)",
            r"-\tilde{H}_t \check{g}_t\ \text{(two-loop recursion)}",
        ),
        length,
        _words("p", "min(pairs stored so far, m)", r"\min(\text{pairs stored so far}, m)"),
        _words(
            "gamma",
            "sᵀy/yᵀy of the newest pair (1 before any)",
            r"s^\top y / y^\top y \text{ of the newest pair (1 before any)}",
        ),
        _words(
            "g_last",
            "∇L where the last inner iteration started",
            r"\nabla L \text{ where the last inner iteration started}",
        ),
        _words("S", "the last p steps s = a·d", r"\text{the last } p \text{ steps } s = a d"),
        _words("Y", "the last p gradient changes y", r"\text{the last } p \text{ changes } y"),
        _words("rho", "1/yᵀs of each stored pair", r"1/y^\top s \text{ of each stored pair}"),
        _words(
            "loss_last",
            "L where the last inner iteration started",
            r"L \text{ where the last inner iteration started}",
        ),
        _words(
            "theta_K",
            "θₜ₋₁ + Σₖ aₖdₖ",
            r"\theta_{t-1} + \textstyle\sum_k a_k d_k",
        ),
    )


# --- The two-loop recursion and the line search --------------------------------------------------


def two_loop(
    g: np.ndarray, s: np.ndarray, y: np.ndarray, rho: np.ndarray, gamma: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The direction d = −H̃g, with H̃ the L-BFGS inverse Hessian of the pairs ``(s[i], y[i])``
    (oldest first) scaled by ``gamma``; returns ``(d, alpha, beta)``, indexed like the pairs.

    >>> s, y = np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])  # curvature 2 along x
    >>> d, alpha, beta = two_loop(np.array([4.0, 1.0]), s, y, np.array([0.5]), 0.5)
    >>> d.tolist(), alpha.tolist(), beta.tolist()
    ([-2.0, -0.5], [2.0], [0.0])

    Along x the step is the Newton step −4/2; along y, where no pair says anything, it is the
    gradient scaled by γ.
    """
    q = np.array(g, dtype=np.float64)
    count = len(s)
    alpha = np.zeros(count)
    beta = np.zeros(count)
    for i in range(count - 1, -1, -1):
        alpha[i] = np.dot(s[i], q) * rho[i]
        q = q - alpha[i] * y[i]
    r = q * gamma
    for i in range(count):
        beta[i] = np.dot(y[i], r) * rho[i]
        r = r + (alpha[i] - beta[i]) * s[i]
    return -r, alpha, beta


def cubic_minimum(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped
    to ``bounds`` (default: between x1 and x2); their midpoint where the cubic has no minimum.

    >>> float(cubic_minimum(0.0, 1.0, -2.0, 2.0, 1.0, 2.0))  # (x − 1)², sampled at 0 and 2
    1.0
    """
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(at, low), high)
    return (low + high) / 2.0


Evaluate = Callable[[float], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Trial:
    """One point a line search evaluated: its step length, loss and slope ∇Lᵀd."""

    phase: str
    a: float
    loss: float
    slope: float


def strong_wolfe(
    evaluate: Evaluate,
    a: float,
    d: np.ndarray,
    loss: float,
    g: np.ndarray,
    slope: float,
    max_trials: int,
) -> tuple[float, np.ndarray, float, list[Trial]]:
    """A step length along ``d`` meeting the strong Wolfe conditions, found as torch does.

    ``evaluate(a)`` gives the loss and gradient at θ + a·d; ``loss``, ``g`` and ``slope`` = gᵀd
    are at θ. Returns the loss and gradient at the accepted step length, the step length, and
    every trial (the first one is always made; after it at most ``max_trials``).
    """
    d_norm = np.max(np.abs(d))
    trials: list[Trial] = []

    def trial(phase: str, at: float) -> tuple[float, np.ndarray, float]:
        f_at, g_at = evaluate(at)
        slope_at = np.dot(g_at, d)
        trials.append(Trial(phase, at, f_at, slope_at))
        return f_at, g_at, slope_at

    f_new, g_new, slope_new = trial("bracket", a)
    a_prev, f_prev, g_prev, slope_prev = 0.0, loss, g, slope
    done = False
    count = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[np.ndarray] = []
    bracket_slope: list[float] = []
    # Bracketing: grow the step until the loss rises, the slope flattens or turns upward.
    while count < max_trials:
        if f_new > (loss + C1 * a * slope) or (count > 1 and f_new >= f_prev):
            bracket, bracket_f = [a_prev, a], [f_prev, f_new]
            bracket_g, bracket_slope = [g_prev, g_new], [slope_prev, slope_new]
            break
        if abs(slope_new) <= -C2 * slope:
            bracket, bracket_f, bracket_g = [a], [f_new], [g_new]
            done = True
            break
        if slope_new >= 0:
            bracket, bracket_f = [a_prev, a], [f_prev, f_new]
            bracket_g, bracket_slope = [g_prev, g_new], [slope_prev, slope_new]
            break
        low, high = a + 0.01 * (a - a_prev), a * 10
        last = a
        a = cubic_minimum(a_prev, f_prev, slope_prev, a, f_new, slope_new, bounds=(low, high))
        a_prev, f_prev, g_prev, slope_prev = last, f_new, g_new, slope_new
        f_new, g_new, slope_new = trial("bracket", a)
        count += 1
    if count == max_trials:
        bracket, bracket_f, bracket_g = [0.0, a], [loss, f_new], [g, g_new]
    # Zoom: shrink the bracket around a point that meets both conditions.
    insufficient = False
    low_i, high_i = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and count < max_trials:
        if abs(bracket[1] - bracket[0]) * d_norm < LINE_SEARCH_TOLERANCE:
            break
        a = cubic_minimum(
            bracket[0], bracket_f[0], bracket_slope[0], bracket[1], bracket_f[1], bracket_slope[1]
        )
        edge = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - a, a - min(bracket)) < edge:  # too close to an end of the bracket
            if insufficient or a >= max(bracket) or a <= min(bracket):
                if abs(a - max(bracket)) < abs(a - min(bracket)):
                    a = max(bracket) - edge
                else:
                    a = min(bracket) + edge
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new, slope_new = trial("zoom", a)
        count += 1
        if f_new > (loss + C1 * a * slope) or f_new >= bracket_f[low_i]:
            bracket[high_i], bracket_f[high_i] = a, f_new
            bracket_g[high_i], bracket_slope[high_i] = g_new, slope_new
            low_i, high_i = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(slope_new) <= -C2 * slope:
                done = True
            elif slope_new * (bracket[high_i] - bracket[low_i]) >= 0:
                bracket[high_i], bracket_f[high_i] = bracket[low_i], bracket_f[low_i]
                bracket_g[high_i], bracket_slope[high_i] = bracket_g[low_i], bracket_slope[low_i]
            bracket[low_i], bracket_f[low_i] = a, f_new
            bracket_g[low_i], bracket_slope[low_i] = g_new, slope_new
    return bracket_f[low_i], bracket_g[low_i], bracket[low_i], trials


# --- One call of torch's step(closure) -----------------------------------------------------------

ITERATION_TABLE = "inner iterations"
PAIR_TABLE = "curvature pairs"
TWO_LOOP_TABLE = "two-loop recursion"
LINE_SEARCH_TABLE = "strong-Wolfe line search"

TABLES = (ITERATION_TABLE, PAIR_TABLE, TWO_LOOP_TABLE, LINE_SEARCH_TABLE)

NO_VALUE = "—"


@dataclass
class _Memory:
    """The stored pairs: ``history_size`` rows, the first ``count`` in use, oldest first."""

    s: np.ndarray
    y: np.ndarray
    rho: np.ndarray
    count: int

    @classmethod
    def empty(cls, rows: int, n: int) -> _Memory:
        return cls(np.zeros((rows, n)), np.zeros((rows, n)), np.zeros(rows), 0)

    @classmethod
    def carried(cls, env: Mapping[str, Any], rows: int, n: int) -> _Memory:
        count = int(env["pairs_prev"])
        memory = cls.empty(rows, n)
        if count:  # copies: the step never writes into the state it was given
            memory.s[:count] = env["s_history_prev"][:count]
            memory.y[:count] = env["y_history_prev"][:count]
            memory.rho[:count] = env["rho_history_prev"][:count]
        memory.count = count
        return memory

    def add(self, s: np.ndarray, y: np.ndarray, rho: float) -> bool:
        """Store a pair; True when the oldest had to make room."""
        full = self.count == len(self.rho)
        if full:
            self.s[:-1], self.y[:-1], self.rho[:-1] = self.s[1:], self.y[1:], self.rho[1:]
            self.count -= 1
        self.s[self.count], self.y[self.count], self.rho[self.count] = s, y, rho
        self.count += 1
        return full


def _run(call: ProcedureCall, line_search: bool) -> dict[str, Any]:
    """One call of torch's ``LBFGS.step(closure)`` from the step's θ, gradient and state."""
    env, objective = call.env, call.objective
    if objective is None:
        raise TutorError(
            "L-BFGS evaluates the loss at new points inside a step: it needs the objective "
            "(Program.step(..., objective=...))"
        )
    with np.errstate(all="ignore"):
        return _torch_step(call, env, objective, line_search)


def _torch_step(
    call: ProcedureCall, env: Mapping[str, Any], objective: Any, line_search: bool
) -> dict[str, Any]:
    lr_value = np.float64(env["lr"])
    max_iter = int(env["max_iter"])
    max_eval = int(env["max_eval"]) if "max_eval" in env else max_iter * 5 // 4
    tolerance_grad = np.float64(env["tolerance_grad"])
    tolerance_change = np.float64(env["tolerance_change"])
    history_size = int(env["history_size"])

    theta = np.array(env["theta"], dtype=np.float64)
    n = theta.size
    g = np.array(env["g"], dtype=np.float64)
    loss: Any = np.float64(env["loss"] if "loss" in env else objective.value(theta))
    total_iterations = int(env["n_iter_prev"])
    direction = np.array(env["direction_prev"], dtype=np.float64)
    a: Any = np.float64(env["step_length_prev"])
    gamma = np.float64(env["gamma_prev"])
    g_last = np.array(env["g_last_prev"], dtype=np.float64)
    loss_last = np.float64(env["loss_last_prev"])
    memory = _Memory.carried(env, history_size, n)

    def evaluate(point: np.ndarray) -> tuple[np.float64, np.ndarray]:
        return (
            np.float64(objective.value(point)),
            np.asarray(objective.gradient(point), dtype=np.float64),
        )

    for table in TABLES:  # the tables keep this order, whichever gets its first row first
        call.tables.setdefault(table, [])
    evaluations = 1  # L(θₜ₋₁) and g, which the run has already computed
    k = 0
    x = theta
    if np.max(np.abs(g)) <= tolerance_grad:  # torch returns before its loop
        call.note_in(
            ITERATION_TABLE,
            **_iteration_row(
                NO_VALUE, None, None, None, None, evaluations, "max|g| ≤ tolerance_grad"
            ),
        )
        max_iter = 0
    while k < max_iter:
        k += 1
        total_iterations += 1
        if total_iterations == 1:  # the very first iteration: steepest descent, no pairs
            direction = -g
            memory = _Memory.empty(history_size, n)
            gamma = np.float64(1.0)
            call.note_in(TWO_LOOP_TABLE, **_two_loop_row(k, 0, gamma, None, None, direction))
        else:
            y = g - g_last
            step = direction * a
            ys = np.dot(y, step)
            kept = "skipped: yᵀs ≤ 1e-10"
            rho: Any = NO_VALUE
            if ys > CURVATURE_MIN:
                rho = 1.0 / ys
                dropped = memory.add(step, y, rho)
                gamma = ys / np.dot(y, y)
                kept = f"stored as pair {memory.count}" + ("; oldest dropped" if dropped else "")
            call.note_in(
                PAIR_TABLE,
                **{
                    "k": k,
                    "s = a·d": step,
                    "y = Δg": y,
                    "yᵀs": ys,
                    "ρ = 1/yᵀs": rho,
                    "γ": gamma,
                    "memory": kept,
                },
            )
            used = memory.count
            direction, alpha, beta = two_loop(
                g, memory.s[:used], memory.y[:used], memory.rho[:used], gamma
            )
            call.note_in(TWO_LOOP_TABLE, **_two_loop_row(k, used, gamma, alpha, beta, direction))
        g_last, loss_last = g, loss
        a = (
            min(np.float64(1.0), 1.0 / np.sum(np.abs(g))) * lr_value
            if total_iterations == 1
            else lr_value
        )
        slope = np.dot(g, direction)
        if slope > -tolerance_change:
            call.note_in(
                ITERATION_TABLE,
                **_iteration_row(k, slope, a, None, None, evaluations, "gᵀd > −tolerance_change"),
            )
            break
        evaluated = 0
        if line_search:
            start = x

            def along(
                length: float, start: np.ndarray = start, d: np.ndarray = direction
            ) -> tuple[float, np.ndarray]:
                return evaluate(start + length * d)

            loss, g, a, trials = strong_wolfe(
                along, a, direction, loss, g, slope, max_eval - evaluations
            )
            for j, tried in enumerate(trials, start=1):
                call.note_in(LINE_SEARCH_TABLE, **_trial_row(k, j, tried, loss_last, slope))
            evaluated = len(trials)
            x = start + a * direction
            loss_known = True
        else:
            x = x + a * direction
            loss_known = k != max_iter
            if loss_known:  # torch skips the evaluation after the last iteration
                loss, g = evaluate(x)
                evaluated = 1
        evaluations += evaluated
        reason = _stop_reason(
            k,
            max_iter,
            evaluations,
            max_eval,
            loss_known and bool(np.max(np.abs(g)) <= tolerance_grad),
            direction * a,
            tolerance_change,
            loss - loss_last,
        )
        call.note_in(
            ITERATION_TABLE,
            **_iteration_row(k, slope, a, x, loss if loss_known else None, evaluations, reason),
        )
        if reason:
            break

    return {
        "iterations": np.float64(k),
        "evaluations": np.float64(evaluations),
        "direction": direction,
        "step_length": np.float64(a),
        "pairs": np.float64(memory.count),
        "gamma": np.float64(gamma),
        "g_last": g_last,
        "s_history": memory.s,
        "y_history": memory.y,
        "rho_history": memory.rho,
        "loss_last": np.float64(loss_last),
        "theta_last": x,
    }


def _stop_reason(
    k: int,
    max_iter: int,
    evaluations: int,
    max_eval: int,
    small_gradient: bool,
    move: np.ndarray,
    tolerance_change: float,
    loss_change: float,
) -> str:
    """Why the inner loop stops after iteration k (torch's tests, in torch's order), or ""."""
    if k == max_iter:
        return "k = max_iter"
    if evaluations >= max_eval:
        return "evaluations ≥ max_eval"
    if small_gradient:
        return "max|g| ≤ tolerance_grad"
    if np.max(np.abs(move)) <= tolerance_change:
        return "max|a·d| ≤ tolerance_change"
    if abs(loss_change) < tolerance_change:
        return "|ΔL| < tolerance_change"
    return ""


def _iteration_row(
    k: int | str,
    slope: float | None,
    a: float | None,
    x: np.ndarray | None,
    loss: float | None,
    evaluations: int,
    stop: str,
) -> dict[str, Any]:
    def shown(item: Any, missing: str = NO_VALUE) -> Any:
        return missing if item is None else item

    return {
        "k": k,
        "gᵀd": shown(slope),
        "a": shown(a),
        "θ + a·d": shown(x, "no move"),
        "L(θ + a·d)": shown(loss, "not evaluated" if x is not None else NO_VALUE),
        "evals": evaluations,
        "stop": stop,
    }


def _two_loop_row(
    k: int,
    used: int,
    gamma: float,
    alpha: np.ndarray | None,
    beta: np.ndarray | None,
    direction: np.ndarray,
) -> dict[str, Any]:
    return {
        "k": k,
        "p": used,
        "γ": gamma,
        "α (i = 1…p)": NO_VALUE if alpha is None or not used else alpha,
        "β (i = 1…p)": NO_VALUE if beta is None or not used else beta,
        "d": direction,
    }


def _trial_row(k: int, j: int, trial: Trial, loss: float, slope: float) -> dict[str, Any]:
    armijo = trial.loss <= loss + C1 * trial.a * slope
    curvature = abs(trial.slope) <= -C2 * slope
    return {
        "k": k,
        "trial": j,
        "phase": trial.phase,
        "a": trial.a,
        "L(θ + a·d)": trial.loss,
        "∇Lᵀd": trial.slope,
        "decrease": "yes" if armijo else "no",
        "curvature": "yes" if curvature else "no",
    }


# --- The algorithm -------------------------------------------------------------------------------


def build(setup: Setup) -> Iterator[Step]:
    """L-BFGS's step for one setup: the inner loop as one procedure, then the totals and θₜ."""
    line_search = setup.choice("line_search_fn") == "strong_wolfe"

    def run(call: ProcedureCall) -> Mapping[str, Any]:
        return _run(call, line_search)

    yield Procedure(OUTPUTS, _shown(line_search), run)
    yield Assign(N_ITER, N_ITER.previous + ITERATIONS.symbol)  # type: ignore[operator]
    yield Assign(FUNC_EVALS, FUNC_EVALS.previous + EVALUATIONS.symbol)  # type: ignore[operator]
    yield from finish(s.THETA - THETA_LAST.symbol, THETA_LAST.symbol)


LBFGS = OptimizerSpec(
    name="lbfgs",
    title="L-BFGS",
    summary="A quasi-Newton method: curvature from the last m steps, applied by a two-loop "
    "recursion, with an optional strong-Wolfe line search; one step runs up to max_iter "
    "inner iterations.",
    reference="Nocedal, Math. Comp. 1980; Liu & Nocedal, Math. Programming 1989",
    year=1989,
    hyperparameters=HYPERPARAMETERS,
    conventions=(
        Convention(
            "pytorch",
            "PyTorch",
            "torch.optim.LBFGS, PyTorch 2.13 (step, _strong_wolfe, _cubic_interpolate)",
            "one step(closure) call runs up to max_iter iterations; the first step length is "
            "min(1, 1/‖g‖₁)·η, later ones η (or a strong-Wolfe search from it); pairs with "
            "yᵀs ≤ 1e-10 are not stored",
            NoSwitches(),
        ),
    ),
    build=build,
    scope="vector",
)

SPECS = (LBFGS,)

__all__ = ["LBFGS", "SPECS", "cubic_minimum", "strong_wolfe", "two_loop"]
