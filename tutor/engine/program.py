"""An optimizer's algorithm compiled for one configuration: ``init`` and ``step``.

:class:`Program` is the pair of pure functions every run calls, in the style of optax's
``init``/``update``::

    state = program.init(theta)
    values, state = program.step(theta, g, state, t)

``values`` maps every quantity computed this step (``m``, ``v_hat``, ``update``, ``theta_next``)
to its value; ``state`` maps each carried quantity to its value for the next step. Both are
computed by the closures that :func:`~tutor.engine.compile.compile_expr` made from the
algorithm's formula trees, nothing else.

Scopes (:attr:`OptimizerSpec.scope`):

* ``coordinate``: every formula is element-wise; the program runs on the flat θ at once, which may
  carry leading batch dimensions (a grid of configurations stepped as one array operation);
* ``vector``: the whole θ is one vector (Newton's Hessian, L-BFGS's history);
* ``tensor``: the algorithm is built and run once per parameter tensor, with its shape, so
  matrices are treated as matrices (Adafactor's row and column statistics, Muon's
  orthogonalisation); values are concatenated back into flat vectors in θ's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tutor.engine.compile import Line, compile_expr, compile_steps
from tutor.engine.layout import Layout
from tutor.engine.spec import Algorithm, Assign, Config, Procedure, ProcedureCall

State = dict[str, Any]
Values = dict[str, Any]

# Inputs a step can read besides θ, g, t and the state: each is computed only when a formula
# of the algorithm names it, from the objective.
OPTIONAL_INPUTS: Mapping[str, str] = {
    "loss": "value",  # L(θₜ)
    "H": "hessian",  # ∇²L(θₜ)
    "F": "fisher",  # the Fisher matrix of a model's likelihood at θₜ
    "I": "identity",  # the identity matrix of θ's size (made by the runner, not the objective)
}


def constants_of(config: Config, varying: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The hyper-parameter values folded into the closures, as float64 (so that a division by
    zero gives inf, as in NumPy, never a Python exception)."""
    constants: dict[str, Any] = {}
    for name, value in config.values.items():
        if name in varying or isinstance(value, (str, type(None))):
            continue
        if isinstance(value, bool):
            constants[name] = value
        elif isinstance(value, np.ndarray):
            constants[name] = value.astype(np.float64)
        else:
            constants[name] = np.float64(value)
    if config.clipping is not None:
        constants.update(config.clipping.constants())
    return constants


class _Compiled:
    """The algorithm for one shape, compiled into one function."""

    def __init__(
        self,
        algorithm: Algorithm,
        constants: Mapping[str, Any],
        initial_constants: Mapping[str, Any] | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.stored = algorithm.stored
        # Initial values read every hyper-parameter at its step-1 value, the varying ones too
        # (Rprop's step sizes start at the learning rate the first step runs with, as in torch).
        start = constants if initial_constants is None else initial_constants
        self.initial = {q.key: compile_expr(q.initial, start)(start) for q in self.stored}
        self.scalar = frozenset(q.key for q in self.stored if q.scalar)
        self.inputs = tuple(
            name
            for name in OPTIONAL_INPUTS
            if any(name in f.symbols for f in algorithm.formulas.values())
        )
        self.constants = constants
        lines: list[Line] = []
        for step in algorithm.steps:
            if isinstance(step, Assign):
                lines.append(Line(step.quantity.key, step.formula, step.when))
            else:
                keys = tuple(q.key for q in step.outputs)
                lines.append(Line(keys[0], call=self._procedure(step), outputs=keys))
        self.lines = lines
        self.function = compile_steps(lines, constants)
        self._lean: Any = None

    def lean(self) -> Any:
        """A function computing only θₜ and the carried state (for :func:`iterate`)."""
        if self._lean is None:
            keep = {"theta_next", *(q.key for q in self.stored)}
            self._lean = compile_steps(self.lines, self.constants, keep)
        return self._lean

    def _procedure(self, procedure: Procedure) -> Any:
        constants = self.constants
        key = procedure.outputs[0].key

        def call(env: dict[str, Any]) -> Mapping[str, Any]:
            made = ProcedureCall({**constants, **env}, env.get("_objective"))
            result = procedure.run(made)
            notes = env.get("_notes")
            if notes is not None:
                if made.notes or not made.tables:
                    notes[key] = made.notes
                notes.update(made.tables)  # named tables, by name
            return result

        return call

    def init(self, theta: np.ndarray) -> State:
        return {
            key: value
            if key in self.scalar
            else np.broadcast_to(value, np.broadcast_shapes(np.shape(value), theta.shape)).astype(
                np.float64
            )
            for key, value in self.initial.items()
        }


class Program:
    """A configuration's algorithm, compiled once; see the module docstring.

    Args:
        config: the optimizer, its hyper-parameters and convention.
        layout: the parameters' names and shapes (needed for ``tensor`` scope).
        varying: hyper-parameters that change from step to step (a learning-rate schedule):
            they are read from ``step``'s ``hyper`` argument instead of being folded in.
    """

    def __init__(
        self,
        config: Config,
        layout: Layout | None = None,
        varying: frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        self.layout = layout
        self.varying = varying
        self.constants = constants_of(config, varying)
        initial = constants_of(config) if varying else None
        self.scope = config.spec.scope
        if self.scope == "tensor":
            if layout is None:
                raise ValueError("a tensor-scope optimizer needs the parameters' layout")
            self._per_tensor = [
                (
                    parameter,
                    where,
                    _Compiled(config.algorithm(parameter.shape), self.constants, initial),
                )
                for parameter, where in layout.slices()
            ]
            self.algorithm = config.algorithm(layout.parameters[0].shape)
        else:
            self._whole = _Compiled(config.algorithm(), self.constants, initial)
            self.algorithm = self._whole.algorithm
            self._previous = tuple(
                (q.key, q.previous.key)  # type: ignore[union-attr]
                for q in self._whole.stored
            )

    @property
    def inputs(self) -> tuple[str, ...]:
        """Optional inputs (``loss``, ``H``) the algorithm reads; the runner supplies them."""
        if self.scope == "tensor":
            return tuple(sorted({i for _, _, c in self._per_tensor for i in c.inputs}))
        return self._whole.inputs

    def init(self, theta: np.ndarray) -> State:
        """The state before step 1 (each carried quantity at its initial value)."""
        if self.scope != "tensor":
            return self._whole.init(theta)
        return {
            f"{parameter.name}:{key}": value
            for parameter, where, compiled in self._per_tensor
            for key, value in compiled.init(theta[where].reshape(parameter.shape)).items()
        }

    def step(
        self,
        theta: np.ndarray,
        g: np.ndarray,
        state: State,
        t: int,
        *,
        hyper: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        objective: Any = None,
        notes: dict[str, list[dict[str, Any]]] | None = None,
    ) -> tuple[Values, State]:
        """One update: every quantity of step ``t`` and the state for step ``t + 1``.

        Args:
            theta: θ at the start of the step (flat; batch dimensions first in coordinate scope).
            g: the gradient of the loss at ``theta``.
            state: the previous step's state (or :meth:`init`'s).
            t: the step number, from 1.
            hyper: this step's values of the ``varying`` hyper-parameters.
            inputs: values of :attr:`inputs` (the loss, the Hessian) at ``theta``.
            objective: what procedures may call (loss and gradient at other points).
            notes: filled with each procedure's inner iterations, by its first output's key.
        """
        extras = _extras(hyper, inputs, objective, notes)
        if self.scope == "tensor":
            return self._step_per_tensor(theta, g, state, t, extras)
        compiled = self._whole
        env: dict[str, Any] = {"t": float(t), "theta": theta, "g": g, **extras}
        for key, previous in self._previous:
            env[previous] = state[key]
        values = compiled.function(env)
        return values, {key: values[key] for key, _ in self._previous}

    def _step_per_tensor(
        self, theta: np.ndarray, g: np.ndarray, state: State, t: int, extras: dict[str, Any]
    ) -> tuple[Values, State]:
        pieces: dict[str, list[np.ndarray]] = {}
        new_state: State = {}
        for parameter, where, compiled in self._per_tensor:
            env: dict[str, Any] = {
                "t": float(t),
                "theta": theta[where].reshape(parameter.shape),
                "g": g[where].reshape(parameter.shape),
                **extras,
            }
            for quantity in compiled.stored:
                key = f"{parameter.name}:{quantity.key}"
                env[quantity.previous.key] = state[key]  # type: ignore[union-attr]
            values = compiled.function(env)
            for key, value in values.items():
                pieces.setdefault(key, []).append(np.ravel(value))
            for quantity in compiled.stored:
                new_state[f"{parameter.name}:{quantity.key}"] = values[quantity.key]
        return {key: np.concatenate(parts) for key, parts in pieces.items()}, new_state

    def full_loop(self) -> Any:
        """``(function, carried)``: the step function computing every quantity, and the
        ``(key, previous key)`` pairs of the state it carries."""
        if self.scope == "tensor":
            raise ValueError("a tensor-scope program has no single step function")
        return self._whole.function, self._previous

    def lean_loop(self) -> Any:
        """``(function, carried)``: the lean step function and ``(key, previous key)`` pairs of
        the state it carries, for loops that keep only the parameters."""
        if self.scope == "tensor":
            raise ValueError("a tensor-scope program has no single lean step")
        return self._whole.lean(), self._previous

    def evaluate(self, key: str, env: Mapping[str, Any], *, shown: bool = False) -> Any:
        """One quantity from given inputs (grading checks a student's m̂ from their own m).

        ``env`` supplies every symbol the formula reads that is not a hyper-parameter
        (``t``, ``m``, ``m_prev``, …); hyper-parameters come from the configuration. With
        ``shown``, the printed (textbook) form is evaluated, as a student following the table
        would compute it, instead of the reference implementation's order.
        """
        formula = self.algorithm.formulas[key]
        merged = {**self.constants, **env}
        if "t" in merged:
            merged["t"] = float(merged["t"])
        with np.errstate(all="ignore"):
            if shown:
                formula = formula.specialize(merged)
            return formula.evaluate(merged)


def _extras(
    hyper: Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None,
    objective: Any,
    notes: dict[str, list[dict[str, Any]]] | None,
) -> dict[str, Any]:
    """What a step's environment holds besides t, θ and g: this step's hyper-parameters, the
    inputs (loss, Hessian), and for procedures the objective and the notes to fill."""
    extras: dict[str, Any] = {**(hyper or {}), **(inputs or {})}
    if objective is not None:
        extras["_objective"] = objective
    if notes is not None:
        extras["_notes"] = notes
    return extras


Gradient = Callable[[np.ndarray], np.ndarray]
