"""Worked examples, computed when a topic is shown: one function per kind of example.

:data:`HOOKS` maps each kind named in :data:`tutor.content.hooks.EXAMPLES` to a function of the
topic's optimizer and the example's options (already validated) that returns typed data. Nothing
here is stored: the optimizer examples run the engine (``make_problem`` + ``solve``,
``trajectory``, ``Program``), and the rest (clipping, losses, memory, convexity) are computed
with NumPy and the symbolic layer from the options, so changing an input changes the numbers.

Where the engine cannot compute an example yet (learning-rate schedules, Newton's method,
L-BFGS, the natural gradient), the function returns :class:`Unavailable`, saying what the
example will show and what is missing, rather than numbers from anywhere else.
"""

from __future__ import annotations

import importlib.util
import itertools
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.errors import TutorError

# --- Shared --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unavailable:
    """An example the engine cannot compute yet: what it will show, and what is missing."""

    kind = "unavailable"

    example: str
    shows: str
    missing: str


@dataclass(frozen=True, eq=False)
class Run:
    """One optimizer run kept as a path: ``theta[0]`` is θ₀ and ``theta[t]`` is θₜ."""

    optimizer: str
    title: str
    hyperparameters: Mapping[str, Any]
    theta: np.ndarray  # (steps + 1, n)
    loss: np.ndarray  # (steps + 1,)
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.loss) - 1

    def reversals(self) -> np.ndarray:
        """Per coordinate: on how many steps the step Δθ pointed against the previous one."""
        delta = np.diff(self.theta, axis=0)
        if len(delta) < 2:
            return np.zeros(self.theta.shape[1], dtype=int)
        return np.sum(np.sign(delta[1:]) * np.sign(delta[:-1]) < 0, axis=0)


def _problem(optimizer: str, options: Mapping[str, Any], hyper: Mapping[str, Any]) -> Any:
    from tutor.teach.problem import make_problem

    theta = options.get("theta")
    return make_problem(
        optimizer,
        loss=options.get("loss"),
        theta=list(theta) if theta is not None else None,
        steps=options["steps"],
        hyperparameters=dict(hyper),
    )


def _path(problem: Any, title: str) -> Run:
    from tutor.engine import trajectory

    run = trajectory(
        problem.config, problem.loss, problem.theta0, problem.steps, layout=problem.layout
    )
    theta = np.vstack([problem.theta0[None, :], run.values["theta_next"]])
    loss = np.concatenate([[problem.loss.value(problem.theta0)], run.loss_next])
    diverged = run.divergence.t if run.divergence is not None else None
    values = {k: v for k, v in problem.config.values.items() if not isinstance(v, bool) or v}
    return Run(problem.spec.name, title, values, theta, loss, diverged)


def _hessian_eigenvalues(problem: Any, theta: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(problem.loss.hessian(theta))


def _hyperparameters(optimizer: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that are hyper-parameters of ``optimizer`` and differ from its defaults."""
    from tutor.engine import get_optimizer

    spec = get_optimizer(optimizer)
    return {
        h.name: options[h.name]
        for h in spec.hyperparameters
        if h.name in options and options[h.name] != h.default
    }


def solve_command(optimizer: str, options: Mapping[str, Any], hyper: Mapping[str, Any]) -> str:
    """The ``tutor solve`` command line that runs the same problem."""
    parts = ["tutor", "solve", optimizer]
    if options.get("loss") is not None:
        parts += ["--loss", options["loss"]]
    if options.get("theta") is not None:
        parts += ["--theta", ",".join(_number(v) for v in options["theta"])]
    parts += ["--steps", str(options["steps"])]
    for name, value in hyper.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parts += [flag] if value else []
        else:
            parts += [flag, _number(value) if isinstance(value, (int, float)) else str(value)]
    return shlex.join(parts)


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)


# --- solve_steps ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SolveSteps:
    """The topic's optimizer run step by step: a whole :class:`~tutor.teach.solve.Solution`."""

    kind = "solve_steps"

    solution: Any
    command: str


def solve_steps(optimizer: str | None, options: Mapping[str, Any]) -> SolveSteps:
    from tutor.teach.solve import solve

    if optimizer is None:
        raise TutorError("the solve_steps example needs the topic's optimizer")
    hyper = _hyperparameters(optimizer, options)
    problem = _problem(optimizer, options, hyper)
    return SolveSteps(solve(problem), solve_command(optimizer, options, hyper))


# --- bias_correction -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConstantGradient:
    """The objective L(θ) = g·Σθ, whose gradient is g everywhere."""

    g: float

    def value(self, theta: np.ndarray) -> float:
        return float(self.g * np.sum(theta))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return np.full(np.shape(theta), self.g)


@dataclass(frozen=True, eq=False)
class BiasCorrection:
    """Adam's moments on a constant gradient, raw and bias-corrected, and the factors
    1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ), for t = 1 … steps.

    ``formulas`` maps ``factor1``, ``factor2``, ``m``, ``m_hat``, ``v``, ``v_hat`` to (plain,
    LaTeX) as the engine prints them.
    """

    kind = "bias_correction"

    beta1: float
    beta2: float
    g: float
    t: np.ndarray
    factor1: np.ndarray
    factor2: np.ndarray
    m: np.ndarray
    m_hat: np.ndarray
    v: np.ndarray
    v_hat: np.ndarray
    formulas: Mapping[str, tuple[str, str]]
    symbols: Mapping[str, tuple[str, str]]

    @property
    def largest_m_hat_error(self) -> float:
        """max |m̂ₜ − g| over the steps (0 up to rounding: the correction is exact here)."""
        return float(np.max(np.abs(self.m_hat - self.g)))


def bias_correction(optimizer: str | None, options: Mapping[str, Any]) -> BiasCorrection:
    from tutor.engine import get_optimizer, trajectory
    from tutor.engine import symbols as s
    from tutor.engine.optimizers.common import bias_correction as correction

    beta1, beta2, g, steps = options["beta1"], options["beta2"], options["g"], options["steps"]
    config = get_optimizer("adam").configure({"beta1": beta1, "beta2": beta2})
    run = trajectory(config, _ConstantGradient(g), np.zeros(1), steps)
    t = np.arange(1, len(run) + 1, dtype=np.float64)
    factors = {"factor1": 1 / correction(s.BETA1), "factor2": 1 / correction(s.BETA2)}
    env = {"beta1": np.float64(beta1), "beta2": np.float64(beta2), "t": t}
    algorithm = run.program.algorithm
    formulas = {key: (f.plain(), f.latex()) for key, f in factors.items()}
    symbols: dict[str, tuple[str, str]] = {}
    for key in ("m", "m_hat", "v", "v_hat"):
        shown = algorithm.formulas[key].specialize({"t": 2.0})
        formulas[key] = (shown.plain(), shown.latex())
        symbol = algorithm.quantity(key).symbol
        symbols[key] = (symbol.text, symbol.tex)
    return BiasCorrection(
        beta1,
        beta2,
        g,
        t,
        np.broadcast_to(factors["factor1"].evaluate(env), t.shape).copy(),
        np.broadcast_to(factors["factor2"].evaluate(env), t.shape).copy(),
        run.values["m"][:, 0],
        run.values["m_hat"][:, 0],
        run.values["v"][:, 0],
        run.values["v_hat"][:, 0],
        formulas,
        symbols,
    )


# --- decay_vs_l2 ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DecayRun:
    """One run and, per step and coordinate, the part of its step due to weight decay: the
    step minus the step the same state would take with λ = 0 (computed by the engine), as a
    fraction of the weight θₜ₋₁."""

    run: Run
    decay: np.ndarray  # (steps, n)
    decay_fraction: np.ndarray  # (steps, n)


@dataclass(frozen=True, eq=False)
class DecayVsL2:
    kind = "decay_vs_l2"

    loss: str
    params: tuple[str, ...]
    lr: float
    weight_decay: float
    l2: DecayRun
    decoupled: DecayRun

    @staticmethod
    def spread(fractions: np.ndarray) -> float | None:
        """Largest over smallest decay fraction across coordinates (None if one is 0)."""
        low, high = float(np.min(np.abs(fractions))), float(np.max(np.abs(fractions)))
        return high / low if low > 0 and np.isfinite(high / low) else None


def _decay_run(problem: Any, title: str) -> DecayRun:
    from tutor.engine import Program, trajectory

    run = trajectory(
        problem.config, problem.loss, problem.theta0, problem.steps, layout=problem.layout
    )
    without = Program(problem.config.with_values(weight_decay=0.0), problem.layout)
    decay = np.empty_like(run.grad)
    for record in run.steps():
        state = {key.removesuffix("_prev"): value for key, value in record.previous.items()}
        values, _ = without.step(record.theta, record.grad, state, record.t)
        decay[record.t - 1] = record.values["update"] - values["update"]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(run.theta != 0, decay / run.theta, np.nan)
    theta = np.vstack([problem.theta0[None, :], run.values["theta_next"]])
    loss = np.concatenate([[problem.loss.value(problem.theta0)], run.loss_next])
    values = {
        "lr": problem.config.values["lr"],
        "weight_decay": problem.config.values["weight_decay"],
    }
    diverged = run.divergence.t if run.divergence is not None else None
    return DecayRun(Run(problem.spec.name, title, values, theta, loss, diverged), decay, fraction)


def decay_vs_l2(optimizer: str | None, options: Mapping[str, Any]) -> DecayVsL2:
    hyper = {"lr": options["lr"], "weight_decay": options["weight_decay"]}
    l2 = _problem("adam", options, hyper)
    decoupled = _problem("adamw", options, hyper)
    return DecayVsL2(
        l2.loss.text,
        l2.layout.component_names(),
        options["lr"],
        options["weight_decay"],
        _decay_run(l2, "Adam with L2 (weight_decay added to the gradient)"),
        _decay_run(decoupled, "AdamW (decoupled weight decay)"),
    )


# --- momentum_ravine -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MomentumRavine:
    """Gradient descent with and without momentum from the same start, with the curvature
    that limits the learning rate (the Hessian's eigenvalues at θ₀)."""

    kind = "momentum_ravine"

    loss: str
    params: tuple[str, ...]
    lr: float
    momentum: float
    plain: Run
    heavy: Run
    eigenvalues: np.ndarray

    @property
    def limit_plain(self) -> float | None:
        """2/λmax: plain gradient descent on a quadratic is stable below it."""
        top = float(np.max(self.eigenvalues))
        return 2.0 / top if top > 0 else None

    @property
    def limit_momentum(self) -> float | None:
        """2(1 + μ)/λmax: heavy-ball momentum on a quadratic is stable below it."""
        top = float(np.max(self.eigenvalues))
        return 2.0 * (1.0 + self.momentum) / top if top > 0 else None


def momentum_ravine(optimizer: str | None, options: Mapping[str, Any]) -> MomentumRavine:
    lr, mu = options["lr"], options["momentum"]
    plain = _problem("sgd", options, {"lr": lr})
    heavy = _problem("sgd", options, {"lr": lr, "momentum": mu})
    return MomentumRavine(
        plain.loss.text,
        plain.layout.component_names(),
        lr,
        mu,
        _path(plain, "without momentum"),
        _path(heavy, "with momentum"),
        _hessian_eigenvalues(plain, plain.theta0),
    )


# --- adagrad_effective_lr ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AdagradRates:
    """AdaGrad's run with each coordinate's effective learning rate ηₜ/dₜ = η/(√Gₜ + ε)."""

    kind = "adagrad_effective_lr"

    loss: str
    params: tuple[str, ...]
    run: Run
    grad: np.ndarray  # (steps, n)
    effective_lr: np.ndarray  # (steps, n)
    update: np.ndarray  # (steps, n)
    formula: tuple[str, str]  # the effective learning rate, from the spec's trees
    command: str


def adagrad_effective_lr(optimizer: str | None, options: Mapping[str, Any]) -> AdagradRates:
    from tutor.engine import trajectory

    hyper = _hyperparameters("adagrad", options)
    problem = _problem("adagrad", options, hyper)
    run = trajectory(
        problem.config, problem.loss, problem.theta0, problem.steps, layout=problem.layout
    )
    algorithm = run.program.algorithm
    rate = algorithm.quantity("lr_t").symbol / algorithm.formulas["denom"]
    shown = rate.specialize({"t": 2.0})
    theta = np.vstack([problem.theta0[None, :], run.values["theta_next"]])
    loss = np.concatenate([[problem.loss.value(problem.theta0)], run.loss_next])
    diverged = run.divergence.t if run.divergence is not None else None
    return AdagradRates(
        problem.loss.text,
        problem.layout.component_names(),
        Run("adagrad", "AdaGrad", dict(problem.config.values), theta, loss, diverged),
        run.grad,
        run.values["lr_t"].reshape(len(run), -1) / run.values["denom"],
        run.values["update"],
        (shown.plain(), shown.latex()),
        solve_command("adagrad", options, hyper),
    )


# --- Examples the engine cannot compute yet ------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ScheduleCurve:
    """A learning-rate schedule evaluated by the engine for steps 1 … N.

    ``definitions`` are the rule's formulas as (symbol, formula, description), each (plain,
    LaTeX) where a pair; ``momentum`` is set for schedules that cycle it.
    """

    kind = "schedule_curve"

    name: str
    title: str
    torch_name: str
    arguments: Mapping[str, Any]
    t: np.ndarray
    lr: np.ndarray
    momentum: np.ndarray | None
    definitions: tuple[tuple[tuple[str, str], tuple[str, str], str], ...]

    @property
    def peak(self) -> int:
        """The first step with the highest rate."""
        return int(np.argmax(self.lr)) + 1


def schedule_curve(optimizer: str | None, options: Mapping[str, Any]) -> Any:
    name, steps = options["schedule"], options["steps"]
    shows = (
        f"the learning rate ηₜ of the {name} schedule for steps 1 to {steps}, as a table and a "
        "terminal plot, computed by the engine's schedule"
    )
    if importlib.util.find_spec("tutor.engine.schedules") is None:
        missing = "tutor's engine has no learning-rate schedules yet (tutor.engine.schedules)"
        return Unavailable("schedule_curve", shows, missing)
    from tutor.engine.schedules import get_schedule

    spec = get_schedule(name)
    arguments = {
        p.name: options[p.name] for p in spec.parameters if options.get(p.name) is not None
    }
    config = spec.configure(arguments, steps, lr=options.get("lr") if spec.reads_lr else None)
    rule = config.rule
    if rule.reads_loss:
        return Unavailable(
            "schedule_curve",
            shows,
            f"the {spec.title} schedule reacts to the losses of a training run, and this "
            "example has none; see it react in 'tutor solve --exercise reduce-on-plateau-sgd', "
            "or give it losses with 'tutor schedule plateau --losses 1,0.9,0.9,…'",
        )
    rates = config.rates()
    definitions = tuple(
        ((d.symbol.text, d.symbol.tex), (d.formula.plain(), d.formula.latex()), d.description)
        for d in rule.definitions
        if d.shown
    )
    return ScheduleCurve(
        spec.name,
        spec.title,
        spec.torch_name,
        {k: v for k, v in config.arguments().items() if v is not None},
        np.arange(1, steps + 1),
        rates["lr"],
        rates.get("momentum"),
        definitions,
    )


def _registered(name: str) -> bool:
    from tutor.engine import OPTIMIZERS

    return name in OPTIMIZERS


def _pending_run(
    example: str, name: str, title: str, options: Mapping[str, Any]
) -> SolveSteps | Unavailable:
    """The optimizer ``name`` run as :func:`solve_steps` once the engine registers it."""
    if not _registered(name):
        return Unavailable(
            example,
            f"{title} run from the topic's start, every quantity of every step computed",
            f"tutor's engine has no {name} optimizer yet",
        )
    return solve_steps(name, options)


@dataclass(frozen=True, eq=False)
class NewtonStep:
    """The local quadratic model at θ₀ (gradient, Hessian and its eigenvalues) and Newton's
    steps from there, or why they cannot be computed yet."""

    kind = "newton_step"

    loss: str
    params: tuple[str, ...]
    theta0: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    steps: SolveSteps | Unavailable


def newton_step(optimizer: str | None, options: Mapping[str, Any]) -> NewtonStep:
    from tutor.teach.problem import resolve_loss

    loss, start, _, _ = resolve_loss(options["loss"])
    theta = options.get("theta")
    if theta is None:
        if not start:
            raise TutorError("give a starting point with --theta")
        theta = start
    theta0 = np.array(theta, dtype=np.float64)
    if theta0.shape != (len(loss.layout.component_names()),):
        names = ", ".join(loss.layout.component_names())
        raise TutorError(f"--theta needs one value each for {names}, got {len(theta0)}")
    hessian = loss.hessian(theta0)
    return NewtonStep(
        loss.text,
        loss.layout.component_names(),
        theta0,
        float(loss.value(theta0)),
        loss.gradient(theta0),
        hessian,
        np.linalg.eigvalsh(hessian),
        _pending_run(
            "newton_step", "newton", "Newton's method", {**options, "theta": tuple(theta0)}
        ),
    )


def lbfgs_steps(optimizer: str | None, options: Mapping[str, Any]) -> SolveSteps | Unavailable:
    return _pending_run("lbfgs_steps", "lbfgs", "L-BFGS", options)


def natural_gradient(optimizer: str | None, options: Mapping[str, Any]) -> SolveSteps | Unavailable:
    """The engine's natural-gradient optimizer on a model with a known likelihood: the tables
    show the gradient gₜ beside the direction dₜ = F⁻¹gₜ."""
    from tutor.content.hooks import NATURAL_GRADIENT

    if not _registered(NATURAL_GRADIENT):
        return Unavailable(
            "natural_gradient",
            "the ordinary and the natural gradient F⁻¹∇L of a small model side by side, with its "
            "Fisher matrix",
            "tutor's engine has no natural-gradient optimizer yet",
        )
    return solve_steps(NATURAL_GRADIENT, options)


# --- clipping ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Clipping:
    """A gradient clipped as torch.nn.utils does it.

    ``clip_grad_norm_``: the total norm ‖g‖, the coefficient max_norm/(‖g‖ + 1e-6) clamped to at
    most 1 (so a short gradient is left alone), and g times it. ``clip_grad_value_``: every
    component clamped to [−clip_value, clip_value].
    """

    kind = "clipping"

    g: np.ndarray
    max_norm: float
    clip_value: float
    norm: float
    coefficient: float
    by_norm: np.ndarray
    by_value: np.ndarray

    @property
    def clipped(self) -> bool:
        return self.coefficient < 1.0

    @staticmethod
    def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
        """cos of the angle between two vectors (1: same direction); None for a zero vector."""
        na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
        return float(np.dot(a, b) / (na * nb)) if na > 0 and nb > 0 else None


def clipping(optimizer: str | None, options: Mapping[str, Any]) -> Clipping:
    from tutor.engine.clipping import Clipping as Rule

    g = np.array(options["g"], dtype=np.float64)
    max_norm, clip_value = options["max_norm"], options["clip_value"]
    by_norm = Rule(max_norm=max_norm).evaluate(g)  # the engine's formulas, as a run uses them
    by_value = Rule(clip_value=clip_value).evaluate(g)
    return Clipping(
        g,
        max_norm,
        clip_value,
        float(by_norm["grad_norm"]),
        float(by_norm["clip_coef"]),
        by_norm["g_clipped"],
        by_value["g_clipped"],
    )


# --- memory_table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryRow:
    """Bytes per parameter held on each GPU: weights, gradients, optimizer state."""

    name: str
    weights: float
    gradients: float
    states: float
    note: str

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.states


@dataclass(frozen=True)
class MemoryTable:
    """Model-state memory per GPU for ``params`` parameters (activations not counted).

    Every row is in bytes per parameter; totals are rows times ``params``. ZeRO rows divide the
    partitioned parts by ``gpus``; the other rows keep a full copy on every GPU.
    """

    kind = "memory_table"

    params: float
    gpus: int
    block_size: int
    rows_cols: tuple[int, int]
    rows: tuple[MemoryRow, ...]

    def row(self, name: str) -> MemoryRow:
        return next(r for r in self.rows if r.name == name)


FP32, FP16 = 4.0, 2.0
ADAM_STATES = 2 * FP32  # m and v
MIXED_STATES = 3 * FP32  # the ZeRO paper's K = 12: fp32 master weights, m and v


def memory_table(optimizer: str | None, options: Mapping[str, Any]) -> MemoryTable:
    n, block = options["gpus"], options["block_size"]
    r, c = options["rows"], options["cols"]
    eight_bit = 2 * 1.0 + 2 * FP32 / block  # one byte per moment, one fp32 scale per block each
    factored = FP32 * (r + c) / (r * c)  # Adafactor: row and column statistics of v
    rows = (
        MemoryRow("SGD, fp32", FP32, FP32, 0.0, "no optimizer state"),
        MemoryRow("SGD with momentum, fp32", FP32, FP32, FP32, "one buffer b"),
        MemoryRow("Adam or AdamW, fp32", FP32, FP32, ADAM_STATES, "m and v in fp32"),
        MemoryRow(
            "8-bit Adam",
            FP32,
            FP32,
            eight_bit,
            f"m and v in one byte each, plus one fp32 scale per block of {block} per state",
        ),
        MemoryRow(
            "Adafactor (no momentum)",
            FP32,
            FP32,
            factored,
            f"row and column statistics of v for {r} × {c} matrices",
        ),
        MemoryRow(
            "Adam, mixed precision",
            FP16,
            FP16,
            MIXED_STATES,
            "fp16 weights and gradients; fp32 master weights, m and v (K = 12)",
        ),
        MemoryRow("ZeRO stage 1", FP16, FP16, MIXED_STATES / n, "optimizer states split"),
        MemoryRow("ZeRO stage 2", FP16, FP16 / n, MIXED_STATES / n, "states and gradients split"),
        MemoryRow("ZeRO stage 3", FP16 / n, FP16 / n, MIXED_STATES / n, "everything split"),
    )
    return MemoryTable(options["params"], n, block, (r, c), rows)


# --- loss_function -------------------------------------------------------------------------------


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log pₖ computed stably: the largest logit is subtracted before exponentiating."""
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted)))


@dataclass(frozen=True, eq=False)
class CrossEntropy:
    """Softmax cross-entropy of one example from its logits: L = −log p_c, ∂L/∂z = p − y."""

    kind = "cross_entropy"

    logits: np.ndarray
    target: int
    probabilities: np.ndarray
    value: float
    gradient: np.ndarray


def cross_entropy(logits: np.ndarray, target: int) -> CrossEntropy:
    if not 0 <= target < len(logits):
        raise TutorError(f"target must be a class index from 0 to {len(logits) - 1}")
    log_p = _log_softmax(logits)
    p = np.exp(log_p)
    onehot = np.zeros_like(p)
    onehot[target] = 1.0
    return CrossEntropy(logits, target, p, float(-log_p[target]), p - onehot)


@dataclass(frozen=True)
class FocalRow:
    """Focal loss at one probability pₜ of the true class (binary, from p = σ(z))."""

    p: float
    cross_entropy: float  # −log pₜ
    factor: float  # (1 − pₜ)^γ
    value: float  # −αₜ(1 − pₜ)^γ log pₜ
    d_p: float  # ∂FL/∂pₜ
    d_logit: float  # ∂FL/∂z with pₜ = σ(z)


@dataclass(frozen=True)
class Focal:
    kind = "focal"

    gamma: float
    alpha: float
    rows: tuple[FocalRow, ...]


def focal_row(p: float, gamma: float, alpha: float) -> FocalRow:
    """FL(p) = −α(1 − p)^γ log p and its derivatives (closed forms; the tests compare them with
    finite differences)."""
    ce = -float(np.log(p))
    factor = float((1 - p) ** gamma)
    value = alpha * factor * ce
    # d/dp [−α(1 − p)^γ log p] = α(1 − p)^(γ−1)·(γ log p − (1 − p)/p); written without the
    # negative power so that p = 1 is finite.
    d_p = alpha * (gamma * (1 - p) ** (gamma - 1) * np.log(p) if gamma else 0.0) - alpha * (
        (1 - p) ** gamma / p
    )
    return FocalRow(p, ce, factor, value, float(d_p), float(d_p * p * (1 - p)))


@dataclass(frozen=True, eq=False)
class InfoNCE:
    """InfoNCE for one query: softmax cross-entropy over similarities divided by τ.

    ``gradient`` is ∂L/∂sⱼ = (pⱼ − yⱼ)/τ for each candidate's similarity.
    """

    kind = "infonce"

    similarities: np.ndarray
    positive: int
    temperature: float
    logits: np.ndarray
    probabilities: np.ndarray
    value: float
    gradient: np.ndarray


def info_nce(similarities: np.ndarray, positive: int, temperature: float) -> InfoNCE:
    if not 0 <= positive < len(similarities):
        raise TutorError(f"positive must be a candidate index from 0 to {len(similarities) - 1}")
    inner = cross_entropy(similarities / temperature, positive)
    return InfoNCE(
        similarities,
        positive,
        temperature,
        inner.logits,
        inner.probabilities,
        inner.value,
        inner.gradient / temperature,
    )


@dataclass(frozen=True, eq=False)
class Triplet:
    """max(d(a, p) − d(a, n) + m, 0) with Euclidean distances, and its gradients."""

    kind = "triplet"

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    margin: float
    d_positive: float
    d_negative: float
    value: float
    gradients: Mapping[str, np.ndarray]

    @property
    def active(self) -> bool:
        return self.d_positive - self.d_negative + self.margin > 0


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    if norm == 0:
        raise TutorError("two points coincide: the distance has no gradient there")
    return v / norm


def triplet(a: np.ndarray, p: np.ndarray, n: np.ndarray, margin: float) -> Triplet:
    if not len(a) == len(p) == len(n):
        raise TutorError("anchor, positive and negative need the same number of coordinates")
    d_ap, d_an = float(np.linalg.norm(a - p)), float(np.linalg.norm(a - n))
    raw = d_ap - d_an + margin
    zero = np.zeros_like(a)
    if raw > 0:
        u_ap, u_an = _unit(a - p), _unit(a - n)
        grads = {"anchor": u_ap - u_an, "positive": -u_ap, "negative": u_an}
    else:
        grads = {"anchor": zero, "positive": zero, "negative": zero}
    return Triplet(a, p, n, margin, d_ap, d_an, max(raw, 0.0), grads)


@dataclass(frozen=True, eq=False)
class Contrastive:
    """(1 − y)·½d² + y·½max(0, m − d)² for a pair (y = 0 similar, 1 dissimilar)."""

    kind = "contrastive"

    x1: np.ndarray
    x2: np.ndarray
    y: int
    margin: float
    distance: float
    value: float
    gradients: Mapping[str, np.ndarray]


def contrastive(x1: np.ndarray, x2: np.ndarray, y: int, margin: float) -> Contrastive:
    if len(x1) != len(x2):
        raise TutorError("x1 and x2 need the same number of coordinates")
    diff = x1 - x2
    d = float(np.linalg.norm(diff))
    if y == 0:
        value, g1 = 0.5 * d * d, diff
    else:
        hinge = max(0.0, margin - d)
        value = 0.5 * hinge * hinge
        g1 = -hinge * _unit(diff) if hinge > 0 else np.zeros_like(diff)
    return Contrastive(x1, x2, y, margin, d, value, {"x1": g1, "x2": -g1})


@dataclass(frozen=True, eq=False)
class Residuals:
    """MAE and MSE of predictions against targets, with their gradients by prediction:
    sign(r)/N and 2r/N for residuals r = ŷ − y (torch's L1Loss and MSELoss, mean reduction;
    sign(0) = 0)."""

    kind = "residuals"

    which: str
    predictions: np.ndarray
    targets: np.ndarray
    residuals: np.ndarray
    mae: float
    mse: float
    grad_mae: np.ndarray
    grad_mse: np.ndarray


def residuals(which: str, predictions: np.ndarray, targets: np.ndarray) -> Residuals:
    if len(predictions) != len(targets):
        raise TutorError("predictions and targets need the same length")
    r = predictions - targets
    n = len(r)
    return Residuals(
        which,
        predictions,
        targets,
        r,
        float(np.mean(np.abs(r))),
        float(np.mean(r * r)),
        np.sign(r) / n,
        2 * r / n,
    )


def loss_function(optimizer: str | None, options: Mapping[str, Any]) -> Any:
    which = options["which"]

    def vector(name: str) -> np.ndarray:
        return np.array(options[name], dtype=np.float64)

    if which == "cross-entropy":
        return cross_entropy(vector("logits"), options["target"])
    if which == "focal":
        rows = tuple(
            focal_row(p, options["gamma"], options["alpha"])
            for p in (options["p"], options["hard_p"])
        )
        return Focal(options["gamma"], options["alpha"], rows)
    if which == "infonce":
        return info_nce(vector("similarities"), options["positive"], options["temperature"])
    if which == "triplet":
        return triplet(vector("anchor"), vector("positive"), vector("negative"), options["margin"])
    if which == "contrastive":
        return contrastive(vector("x1"), vector("x2"), options["y"], options["margin"])
    return residuals(which, vector("predictions"), vector("targets"))


# --- saddle_point --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SaddlePoint:
    """Gradient descent near a saddle: the path, the Hessian's eigenvalues at θ₀, and each
    coordinate's growth factor θₜ/θₜ₋₁ on every step."""

    kind = "saddle_point"

    loss: str
    params: tuple[str, ...]
    lr: float
    run: Run
    eigenvalues: np.ndarray

    def growth(self) -> np.ndarray:
        """θₜ/θₜ₋₁ per step and coordinate (NaN where θₜ₋₁ = 0)."""
        before, after = self.run.theta[:-1], self.run.theta[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(before != 0, after / before, np.nan)


def saddle_point(optimizer: str | None, options: Mapping[str, Any]) -> SaddlePoint:
    problem = _problem("sgd", options, {"lr": options["lr"]})
    return SaddlePoint(
        problem.loss.text,
        problem.layout.component_names(),
        options["lr"],
        _path(problem, "gradient descent"),
        _hessian_eigenvalues(problem, problem.theta0),
    )


# --- convexity_check -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ChordViolation:
    """A pair of points whose chord passes below the function at the midpoint."""

    a: np.ndarray
    b: np.ndarray
    midpoint_value: float  # f((a + b)/2)
    chord_value: float  # (f(a) + f(b))/2

    @property
    def gap(self) -> float:
        return self.midpoint_value - self.chord_value


@dataclass(frozen=True, eq=False)
class ConvexityCheck:
    """The midpoint chord test on every pair of grid points, and the smallest eigenvalue of the
    Hessian at every grid point.

    A violation, or a negative eigenvalue, proves the loss is not convex; finding neither on a
    grid is evidence, not proof.
    """

    kind = "convexity_check"

    loss: str
    params: tuple[str, ...]
    box: float
    points: np.ndarray  # (k, n)
    pairs: int
    violations: tuple[ChordViolation, ...]  # the largest gaps first
    violation_count: int
    min_eigenvalues: np.ndarray  # (k,)

    @property
    def convex_on_grid(self) -> bool:
        return self.violation_count == 0 and bool(np.all(self.min_eigenvalues >= -1e-12))


SHOWN_VIOLATIONS = 5
MAX_GRID_PARAMETERS = 2
SAMPLED_POINTS = 40


def convexity_check(optimizer: str | None, options: Mapping[str, Any]) -> ConvexityCheck:
    from tutor.symbolic.loss import compile_loss

    loss = compile_loss(options["loss"])
    names = loss.layout.component_names()
    box, k = options["box"], options["points"]
    axis = np.linspace(-box, box, k)
    if len(names) <= MAX_GRID_PARAMETERS:
        points = np.array(list(itertools.product(axis, repeat=len(names))), dtype=np.float64)
    else:  # a fixed pseudo-random sample, the same on every run
        points = np.random.default_rng(0).uniform(-box, box, size=(SAMPLED_POINTS, len(names)))
    with np.errstate(all="ignore"):
        values = np.array([loss.value(p) for p in points])
        found = []
        for i, j in itertools.combinations(range(len(points)), 2):
            middle = loss.value((points[i] + points[j]) / 2)
            chord = (values[i] + values[j]) / 2
            if middle > chord + 1e-12 * max(1.0, abs(chord)):
                found.append(ChordViolation(points[i], points[j], float(middle), float(chord)))
        eigen = np.array([float(np.min(np.linalg.eigvalsh(loss.hessian(p)))) for p in points])
    found.sort(key=lambda v: -v.gap)
    pairs = len(points) * (len(points) - 1) // 2
    return ConvexityCheck(
        loss.text,
        names,
        box,
        points,
        pairs,
        tuple(found[:SHOWN_VIOLATIONS]),
        len(found),
        eigen,
    )


# --- The registry --------------------------------------------------------------------------------

Hook = Callable[[str | None, Mapping[str, Any]], Any]

HOOKS: dict[str, Hook] = {
    "solve_steps": solve_steps,
    "bias_correction": bias_correction,
    "decay_vs_l2": decay_vs_l2,
    "momentum_ravine": momentum_ravine,
    "adagrad_effective_lr": adagrad_effective_lr,
    "schedule_curve": schedule_curve,
    "clipping": clipping,
    "newton_step": newton_step,
    "lbfgs_steps": lbfgs_steps,
    "natural_gradient": natural_gradient,
    "memory_table": memory_table,
    "loss_function": loss_function,
    "saddle_point": saddle_point,
    "convexity_check": convexity_check,
}
"""Each example kind of :data:`tutor.content.hooks.EXAMPLES` and the function computing it."""


def run_example(kind: str, optimizer: str | None, options: Mapping[str, Any]) -> Any:
    """Compute the example ``kind`` now, from ``options``."""
    return HOOKS[kind](optimizer, options)
