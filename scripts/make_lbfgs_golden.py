"""Write tests/golden/lbfgs.json: reference runs of torch.optim.LBFGS, one step(closure) per step.

Every case below is run with ``torch.optim.LBFGS`` in float64. After each call of
``step(closure)`` the script records the parameters before and after, the loss before, and
every piece of state torch keeps between calls (``d``, ``t``, ``old_dirs``, ``old_stps``,
``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``n_iter``, ``func_evals``; not ``al``,
a scratch buffer), plus the number of closure calls, all as exact floats.
``tests/test_lbfgs.py`` replays every case through `tutor`'s engine, without torch. This script
does not import `tutor`: it is an independent reference, with its losses written here as torch
code (mirroring the presets of ``tutor/data/presets.toml``) beside the text the engine parses.

Run with torch installed (the output is byte-for-byte stable for one torch version)::

    python scripts/make_lbfgs_golden.py

L-BFGS feeds every rounding error of an inner iteration into the next one (twenty per step by
default), and a line search's decisions (which trial to keep) can flip on a last bit. So each
case is also run with every loss and gradient the closure returns, and the parameters after
every step, multiplied by 1 ± 1e-13 (signs alternating), which imitates the rounding
differences between torch and the engine. A case is written only if that run takes the same
number of iterations and evaluations at every step and its parameters stay within a relative
1e-11 (rounding errors amplified at most 100 times, far inside the test's 1e-12 for errors of
a few units in the last place); the largest drift of every recorded value is stored with the
case, and the test reads its tolerance for the state from it. The script stops with a message
naming the case otherwise, and prints each case with its measured amplification.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import torch
except ImportError:
    sys.exit("make_lbfgs_golden.py needs torch (pip install torch); the test suite does not")

from make_golden import _flat, bind_tensors, unique_names, write_golden

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "lbfgs.json"
FORMAT_VERSION = 1

Tensors = Mapping[str, torch.Tensor]

# --------------------------------------------------------------------------------------------
# Losses: the text the engine parses, the parameter names in θ's order, and the same function
# written in torch (parameters and data by name).


def _quadratic(v: Tensors) -> torch.Tensor:
    return (v["theta"] - 1) ** 2


def _bowl(v: Tensors) -> torch.Tensor:
    return v["x"] ** 2 + 10 * v["y"] ** 2


def _rosenbrock(v: Tensors) -> torch.Tensor:
    return (1 - v["x"]) ** 2 + 100 * (v["y"] - v["x"] ** 2) ** 2


def _himmelblau(v: Tensors) -> torch.Tensor:
    return (v["x"] ** 2 + v["y"] - 11) ** 2 + (v["x"] + v["y"] ** 2 - 7) ** 2


def _booth(v: Tensors) -> torch.Tensor:
    return (v["x"] + 2 * v["y"] - 7) ** 2 + (2 * v["x"] + v["y"] - 5) ** 2


def _linear(v: Tensors) -> torch.Tensor:
    return torch.sum((v["W"] @ v["x"] - v["y"]) ** 2)


def _ridge(v: Tensors) -> torch.Tensor:
    fit = torch.sum((v["W"] @ v["x"] + v["b"] - v["y"]) ** 2)
    return fit + 0.1 * torch.sum((v["W"] - 0.5) ** 2)


LOSSES: dict[str, tuple[str, tuple[str, ...], Callable[[Tensors], torch.Tensor]]] = {
    "quadratic": ("(theta - 1)**2", ("theta",), _quadratic),
    "bowl": ("x**2 + 10*y**2", ("x", "y"), _bowl),
    "rosenbrock": ("(1 - x)**2 + 100*(y - x**2)**2", ("x", "y"), _rosenbrock),
    "himmelblau": ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", ("x", "y"), _himmelblau),
    "booth": ("(x + 2*y - 7)**2 + (2*x + y - 5)**2", ("x", "y"), _booth),
    "linear": ("sum((W @ x - y)**2)", ("W",), _linear),
    "ridge": ("sum((W @ x + b - y)**2) + 0.1*sum((W - 0.5)**2)", ("W", "b"), _ridge),
}
SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "linear": {"W": (2, 3)},
    "ridge": {"W": (2, 3), "b": (2,)},
}
DATA: dict[str, dict[str, list[float]]] = {
    "linear": {"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0]},
    "ridge": {"x": [0.5, -1.0, 2.0], "y": [1.0, -0.5]},
}

# --------------------------------------------------------------------------------------------
# Cases: (variant, torch hyper-parameters, loss, start, steps). Every option is set to a
# non-default value in at least one case; the history wraps in several (history_size below
# the iterations run); tolerance_grad, tolerance_change, max_eval and the slope test each stop
# an inner loop early somewhere; max_iter = 1 makes one iteration per step.

WOLFE = "strong_wolfe"
MATRIX_START = [0.5, -0.2, 0.1, 0.3, 0.4, -0.6]
RIDGE_START = [0.3, -0.7, 0.9, 0.4, 1.5, -0.6, 0.8, -1.1]
CASES: list[tuple[str, dict[str, Any], str, list[float], int]] = [
    # One iteration lands on the minimum; the next step stops at once (max|g| ≤ tolerance_grad).
    ("defaults", {}, "quadratic", [2.0], 2),
    ("defaults", {}, "booth", [0.0, 0.0], 2),
    ("strong_wolfe", {"line_search_fn": WOLFE}, "booth", [0.0, 0.0], 2),
    ("strong_wolfe", {"line_search_fn": WOLFE}, "himmelblau", [0.0, 0.0], 2),
    (
        "strong_wolfe-max_iter",
        {"line_search_fn": WOLFE, "max_iter": 5},
        "rosenbrock",
        [-1.5, 2.0],
        3,
    ),
    # The history wraps: more iterations than history_size pairs.
    (
        "history_size-strong_wolfe",
        {"line_search_fn": WOLFE, "history_size": 2, "max_iter": 5},
        "booth",
        [0.0, 0.0],
        3,
    ),
    ("history_size", {"history_size": 2, "max_iter": 6, "lr": 0.5}, "himmelblau", [0.0, 0.0], 3),
    # One iteration per step; with the line search and max_eval = max_iter·5/4 = 1 the first
    # trial is the only one, and a trial that raises the loss leaves θ where it was.
    ("max_iter-1", {"max_iter": 1, "lr": 0.05}, "himmelblau", [0.0, 0.0], 6),
    (
        "max_iter-1-strong_wolfe",
        {"max_iter": 1, "line_search_fn": WOLFE},
        "rosenbrock",
        [-1.5, 2.0],
        3,
    ),
    (
        "max_iter-1-max_eval-strong_wolfe",
        {"max_iter": 1, "max_eval": 5, "line_search_fn": WOLFE},
        "rosenbrock",
        [-1.5, 2.0],
        4,
    ),
    ("max_iter-lr", {"max_iter": 4, "lr": 0.1}, "rosenbrock", [-1.5, 2.0], 3),
    # The inner loop stopped early by max_eval, tolerance_grad and tolerance_change.
    (
        "max_eval-strong_wolfe",
        {"max_iter": 10, "max_eval": 7, "line_search_fn": WOLFE},
        "rosenbrock",
        [-1.5, 2.0],
        1,
    ),
    ("tolerance_grad", {"tolerance_grad": 1e-2, "lr": 0.3}, "himmelblau", [0.0, 0.0], 3),
    # Moves shorter than tolerance_change: tiny steps (lr) on a steep slope.
    ("tolerance_change", {"tolerance_change": 1e-3, "lr": 1e-4}, "rosenbrock", [-1.5, 2.0], 3),
    (
        "tolerance_change-strong_wolfe",
        {"tolerance_change": 1e-3, "line_search_fn": WOLFE},
        "himmelblau",
        [0.0, 0.0],
        3,
    ),
    # Matrix parameters (one tensor per parameter, as a model's layers).
    ("matrix", {"max_iter": 5}, "linear", MATRIX_START, 3),
    (
        "matrix-strong_wolfe",
        {"line_search_fn": WOLFE, "history_size": 2},
        "linear",
        MATRIX_START,
        2,
    ),
    ("matrix-history_size", {"history_size": 3, "max_iter": 4, "lr": 0.1}, "ridge", RIDGE_START, 1),
    (
        "matrix-history_size-strong_wolfe",
        {"line_search_fn": WOLFE, "history_size": 3, "max_iter": 3},
        "ridge",
        RIDGE_START,
        1,
    ),
]

STATE_KEYS = (
    "d",
    "t",
    "old_dirs",
    "old_stps",
    "ro",
    "H_diag",
    "prev_flat_grad",
    "prev_loss",
    "n_iter",
    "func_evals",
)
COUNTS = ("n_iter", "func_evals", "closure_calls", "pairs")

# --------------------------------------------------------------------------------------------
# Running a case.


def _tensors(loss_name: str, start: Sequence[float]) -> tuple[list[torch.Tensor], dict[str, Any]]:
    """The parameter tensors (one for scalar parameters, one per shaped parameter, as a model's
    layers) and the names the loss reads."""
    _, names, _ = LOSSES[loss_name]
    return bind_tensors(names, SHAPES.get(loss_name), DATA.get(loss_name, {}), start)


def _number(value: Any) -> float:
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


def _state(state: Mapping[str, Any]) -> dict[str, Any]:
    """torch's L-BFGS state as JSON: tensors as flat lists, lists of tensors as lists of lists."""
    out: dict[str, Any] = {}
    for key in STATE_KEYS:
        if key not in state:
            continue
        value = state[key]
        if isinstance(value, list):
            out[key] = [
                _number(v) if v.dim() == 0 else v.detach().reshape(-1).tolist() for v in value
            ]
        elif isinstance(value, torch.Tensor) and value.dim() > 0:
            out[key] = value.detach().reshape(-1).tolist()
        else:
            out[key] = _number(value)
    return out


def run(
    hyper: Mapping[str, Any],
    loss_name: str,
    start: Sequence[float],
    steps: int,
    wobble: float = 0.0,
) -> list[dict[str, Any]]:
    """One case's records. ``wobble`` > 0 multiplies each loss and gradient the closure returns,
    and the parameters after each step, by 1 ± wobble (signs alternating by call and entry)."""
    _, _, function = LOSSES[loss_name]
    tensors, bound = _tensors(loss_name, start)
    opt = torch.optim.LBFGS(tensors, **hyper)
    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        opt.zero_grad()
        value = function(bound)
        value.backward()
        if wobble:
            with torch.no_grad():
                index = 0
                for p in tensors:
                    flat = p.grad.view(-1)
                    for j in range(flat.numel()):
                        flat[j] *= 1 + wobble * (-1.0) ** (index + calls)
                        index += 1
                value = value.detach() * (1 + wobble * (-1.0) ** calls)
        return value

    records = []
    for t in range(1, steps + 1):
        theta = _flat(tensors)
        with torch.no_grad():
            loss = float(function(bound))
        before = calls
        opt.step(closure)
        state = _state(opt.state[tensors[0]])
        records.append(
            {
                "t": t,
                "theta": theta,
                "loss": loss,
                "theta_next": _flat(tensors),
                "closure_calls": calls - before,
                "pairs": len(opt.state[tensors[0]].get("old_dirs", [])),
                "state": state,
            }
        )
        if wobble:
            with torch.no_grad():
                index = 0
                for p in tensors:
                    flat = p.view(-1)
                    for j in range(flat.numel()):
                        flat[j] *= 1 + wobble * (-1.0) ** (index + t)
                        index += 1
    return records


WOBBLE = 1e-13
MAX_DRIFT = 1e-11  # rounding errors amplified at most 100 times


def _relative(a: Any, b: Any) -> float:
    """Largest relative difference between two nested lists of floats."""
    if isinstance(a, list):
        return max((_relative(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def _normwise(a: Any, b: Any) -> float:
    """max|a − b| / max|a| over one value (a vector, a list of vectors, or a number)."""
    flat_a, flat_b = _flatten(a), _flatten(b)
    scale = max((abs(x) for x in flat_a), default=0.0)
    if scale == 0.0:
        return 0.0 if flat_a == flat_b else math.inf
    return max(abs(x - y) for x, y in zip(flat_a, flat_b, strict=True)) / scale


def _flatten(value: Any) -> list[float]:
    if isinstance(value, list):
        return [x for item in value for x in _flatten(item)]
    return [float(value)]


def drift(
    clean: list[dict[str, Any]], wobbled: list[dict[str, Any]], name: str
) -> dict[str, float]:
    """Each recorded value's largest drift under the wobble: θ entry by entry, the state
    normwise; the counts must not change at all."""
    out: dict[str, float] = {"theta_next": 0.0}
    for a, b in zip(clean, wobbled, strict=True):
        for key in COUNTS[2:]:
            if a[key] != b[key]:
                sys.exit(f"{name}: step {a['t']}: {key} changes under rounding errors")
        if a["state"].keys() != b["state"].keys():
            sys.exit(f"{name}: step {a['t']}: the state's keys change under rounding errors")
        for key in COUNTS[:2]:
            if a["state"].get(key) != b["state"].get(key):
                sys.exit(f"{name}: step {a['t']}: {key} changes under rounding errors")
        out["theta_next"] = max(out["theta_next"], _relative(a["theta_next"], b["theta_next"]))
        for key, value in a["state"].items():
            if key not in COUNTS:
                out[key] = max(out.get(key, 0.0), _normwise(value, b["state"][key]))
    return out


def build_case(row: tuple[str, dict[str, Any], str, list[float], int]) -> dict[str, Any]:
    variant, hyper, loss_name, start, steps = row
    text, params, _ = LOSSES[loss_name]
    name = f"lbfgs-{variant}-{loss_name}"
    shapes = SHAPES.get(loss_name, {})
    size = sum(math.prod(shapes.get(p, ())) for p in params)
    if len(start) != size:
        sys.exit(f"{name}: start has {len(start)} values for {size} parameter entries")
    records = run(hyper, loss_name, start, steps)
    measured = drift(records, run(hyper, loss_name, start, steps, wobble=WOBBLE), name)
    if measured["theta_next"] > MAX_DRIFT:
        sys.exit(
            f"{name}: ill-conditioned (relative errors of {WOBBLE:g} grew to "
            f"{measured['theta_next']:.3g} in θ); change its options, start or steps"
        )
    iterations = [r["state"]["n_iter"] for r in records]
    print(
        f"{name:50} steps {steps}  iterations {iterations}  "
        f"amplification {measured['theta_next'] / WOBBLE:8.2f}"
    )
    return {
        "name": name,
        "optimizer": "lbfgs",
        "variant": variant,
        "torch_hyperparameters": dict(hyper),
        "hyperparameters": dict(hyper),  # torch's names are the engine's
        "loss": text,
        "loss_name": loss_name,
        "params": list(params),
        "shapes": {p: list(shape) for p, shape in shapes.items()},
        "data": DATA.get(loss_name, {}),
        "start": [float(x) for x in start],
        "steps": steps,
        "drift": {key: measured[key] for key in sorted(measured)},
        "trajectory": records,
    }


def torch_defaults() -> dict[str, Any]:
    parameters = inspect.signature(torch.optim.LBFGS).parameters
    return {key: p.default for key, p in parameters.items() if key != "params"}


def main() -> None:
    torch.set_default_dtype(torch.float64)
    cases = [build_case(row) for row in CASES]
    unique_names(cases)
    document = {
        "format_version": FORMAT_VERSION,
        "torch_version": torch.__version__,
        "generated_by": "scripts/make_lbfgs_golden.py",
        "torch_defaults": {"lbfgs": torch_defaults()},
        "cases": cases,
    }
    write_golden(OUTPUT, document, f"{len(cases)} cases")


if __name__ == "__main__":
    main()
