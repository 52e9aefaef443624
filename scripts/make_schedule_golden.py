"""Write tests/golden/torch_schedules.json: learning rates and clipped runs recorded from torch.

Three tables of cases, each run in float64 with torch itself:

* ``schedules``: a torch.optim.lr_scheduler scheduler driving an optimizer of one parameter; for
  every optimizer step t the learning rate (and, for OneCycleLR and CyclicLR, the momentum or
  β₁) that the step runs with, read from the optimizer's param_group before ``optimizer.step()``.
  ReduceLROnPlateau is stepped with a fixed list of losses written in the case.
* ``runs``: an optimizer with a scheduler (and possibly gradient clipping) on a loss, as a
  training loop runs them: gradient, clip (``torch.nn.utils.clip_grad_norm_`` or
  ``clip_grad_value_``), ``optimizer.step()``, then ``scheduler.step()`` (ReduceLROnPlateau gets
  the loss at the new parameters). Every θₜ is recorded, with each step's rate and, for norm
  clipping, the total norm torch returns.

``tests/test_schedules.py`` replays every case through `tutor`'s engine without torch. This
script does not import `tutor`; losses and parameter tensors come from ``make_golden.py``'s
whitelist evaluator (nothing is passed to ``eval``).

Run (needs torch; the output is byte-for-byte stable)::

    python scripts/make_schedule_golden.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import torch
    from torch.optim import lr_scheduler
except ImportError:
    sys.exit("make_schedule_golden.py needs torch (pip install torch); the tests do not")

from make_golden import (
    DATA,
    LOSSES,
    SHAPES,
    _flat,
    _jsonable,
    _tensors,
    evaluate,
    make_optimizer,
    our_hyperparameters,
    unique_names,
    write_golden,
)

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "torch_schedules.json"
FORMAT_VERSION = 1

# A scheduler from (optimizer, our arguments, steps of the run); our names are torch's in lower
# case (t_max for T_max), and warmup-cosine is SequentialLR(LinearLR, CosineAnnealingLR).
Builder = Callable[[Any, Mapping[str, Any], int], Any]


def _cosine(opt: Any, a: Mapping[str, Any], steps: int) -> Any:
    return lr_scheduler.CosineAnnealingLR(
        opt, T_max=a.get("t_max", steps), eta_min=a.get("eta_min", 0.0)
    )


def _warm_restarts(opt: Any, a: Mapping[str, Any], steps: int) -> Any:
    return lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=a["t_0"], T_mult=a.get("t_mult", 1), eta_min=a.get("eta_min", 0.0)
    )


def _warmup_cosine(opt: Any, a: Mapping[str, Any], steps: int) -> Any:
    warmup = a["warmup_steps"]
    ramp = lr_scheduler.LinearLR(
        opt, start_factor=a.get("start_factor", 1.0 / 3), end_factor=1.0, total_iters=warmup
    )
    cosine = lr_scheduler.CosineAnnealingLR(
        opt, T_max=a.get("t_max", steps - warmup), eta_min=a.get("eta_min", 0.0)
    )
    return lr_scheduler.SequentialLR(opt, [ramp, cosine], milestones=[warmup])


def _onecycle(opt: Any, a: Mapping[str, Any], steps: int) -> Any:
    rest = {k: v for k, v in a.items() if k != "total_steps"}
    return lr_scheduler.OneCycleLR(opt, total_steps=a.get("total_steps", steps), **rest)


BUILDERS: dict[str, Builder] = {
    "step": lambda opt, a, steps: lr_scheduler.StepLR(opt, **a),
    "multistep": lambda opt, a, steps: lr_scheduler.MultiStepLR(opt, **a),
    "exponential": lambda opt, a, steps: lr_scheduler.ExponentialLR(opt, **a),
    "linear": lambda opt, a, steps: lr_scheduler.LinearLR(opt, **a),
    "cosine": _cosine,
    "cosine-warm-restarts": _warm_restarts,
    "warmup-cosine": _warmup_cosine,
    "onecycle": _onecycle,
    "cyclic": lambda opt, a, steps: lr_scheduler.CyclicLR(opt, **a),
    "plateau": lambda opt, a, steps: lr_scheduler.ReduceLROnPlateau(opt, **a),
}

# A loss history with plateaus, improvements smaller than the threshold, and a rise.
PLATEAU_LOSSES = [
    1.0,
    0.9,
    0.9,
    0.9,
    0.9,
    0.8,
    0.79995,
    0.79995,
    0.8,
    0.8,
    0.8,
    0.8,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
    0.69,
]

# (schedule, our arguments, optimizer, lr, steps)
SCHEDULE_CASES: list[tuple[str, dict[str, Any], str, float, int]] = [
    ("step", {"step_size": 3}, "sgd", 0.1, 10),
    ("step", {"step_size": 2, "gamma": 0.5}, "sgd", 1.0, 9),
    ("multistep", {"milestones": [2, 5, 5, 7]}, "sgd", 0.1, 10),
    ("multistep", {"milestones": [3, 6], "gamma": 0.5}, "adam", 0.2, 9),
    ("exponential", {"gamma": 0.9}, "sgd", 0.1, 40),
    ("linear", {}, "sgd", 0.1, 8),
    ("linear", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 4}, "sgd", 0.2, 8),
    ("cosine", {"t_max": 10}, "sgd", 0.1, 10),
    ("cosine", {"t_max": 10, "eta_min": 0.001}, "sgd", 0.1, 30),
    ("cosine", {"t_max": 7, "eta_min": 0.01}, "adam", 0.05, 50),
    ("cosine-warm-restarts", {"t_0": 4}, "sgd", 0.1, 13),
    ("cosine-warm-restarts", {"t_0": 2, "t_mult": 2, "eta_min": 0.001}, "sgd", 0.1, 31),
    ("warmup-cosine", {"warmup_steps": 5}, "sgd", 0.1, 25),
    (
        "warmup-cosine",
        {"warmup_steps": 3, "start_factor": 0.01, "t_max": 10, "eta_min": 0.001},
        "adam",
        0.001,
        20,
    ),
    ("onecycle", {"max_lr": 0.1}, "sgd", 0.1, 20),
    ("onecycle", {"max_lr": 0.1, "total_steps": 30, "anneal_strategy": "linear"}, "adam", 0.1, 30),
    ("onecycle", {"max_lr": 0.5, "three_phase": True, "pct_start": 0.25}, "sgd", 0.1, 40),
    (
        "onecycle",
        {"max_lr": 0.01, "cycle_momentum": False, "div_factor": 10.0, "final_div_factor": 100.0},
        "adagrad",
        0.1,
        16,
    ),
    (
        "onecycle",
        {"max_lr": 0.2, "total_steps": 25, "base_momentum": 0.6, "max_momentum": 0.9},
        "sgd",
        0.1,
        25,
    ),
    ("cyclic", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4}, "sgd", 0.1, 20),
    (
        "cyclic",
        {
            "base_lr": 0.001,
            "max_lr": 0.01,
            "step_size_up": 3,
            "step_size_down": 5,
            "mode": "triangular2",
        },
        "adam",
        0.1,
        30,
    ),
    (
        "cyclic",
        {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2, "mode": "exp_range", "gamma": 0.9},
        "sgd",
        0.1,
        20,
    ),
    (
        "cyclic",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "cycle_momentum": False},
        "adagrad",
        0.1,
        12,
    ),
    (
        "cyclic",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 2,
            "base_momentum": 0.5,
            "max_momentum": 0.99,
        },
        "adam",
        0.1,
        9,
    ),
    ("plateau", {"patience": 2}, "sgd", 0.1, 30),
    ("plateau", {"factor": 0.5, "patience": 1, "cooldown": 2, "threshold": 0.0}, "sgd", 0.1, 30),
    (
        "plateau",
        {"factor": 0.5, "patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": 0.02},
        "sgd",
        0.1,
        30,
    ),
    ("plateau", {"mode": "max", "factor": 0.5, "patience": 1}, "sgd", 0.1, 30),
    ("plateau", {"factor": 0.5, "patience": 0, "min_lr": 0.02, "eps": 0.03}, "sgd", 0.1, 30),
]

OPTIMIZER_HYPER: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.9},
    "adam": {},
    "adagrad": {},
}


def _momentum(group: Mapping[str, Any]) -> float | None:
    if "betas" in group:
        return float(group["betas"][0])
    if "momentum" in group:
        return float(group["momentum"])
    return None


def schedule_case(row: tuple[str, dict[str, Any], str, float, int]) -> dict[str, Any]:
    name, arguments, optimizer, lr, steps = row
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, [param], {"lr": lr, **OPTIMIZER_HYPER[optimizer]})
    scheduler = BUILDERS[name](opt, arguments, steps)
    rates, momenta = [], []
    for t in range(1, steps + 1):
        group = opt.param_groups[0]
        rates.append(float(group["lr"]))
        momenta.append(_momentum(group))
        param.grad = torch.ones_like(param)
        opt.step()
        if name == "plateau":
            scheduler.step(PLATEAU_LOSSES[t - 1])
        else:
            scheduler.step()
    label = ",".join(f"{k}={v}" for k, v in arguments.items())
    record: dict[str, Any] = {
        "name": f"{name}:{label}/{optimizer}",
        "schedule": name,
        "arguments": arguments,
        "optimizer": optimizer,
        "lr": lr,
        "steps": steps,
        "rates": rates,
    }
    if name == "plateau":
        record["losses"] = PLATEAU_LOSSES[:steps]
    if arguments.get("cycle_momentum", True) and name in ("onecycle", "cyclic"):
        record["momenta"] = momenta
    print(f"{record['name']:90} {steps:3} steps")
    return record


# (optimizer, torch hyper-parameters, loss, start, steps, schedule or None, clipping or None)
# clipping: {"max_norm": m, "norm_type": p} or {"clip_value": v}
RUN_CASES: list[tuple[str, dict[str, Any], str, list[float], int, Any, Any]] = [
    (
        "sgd",
        {"lr": 0.03, "momentum": 0.9},
        "bowl",
        [1.0, 1.0],
        12,
        ("cosine", {"t_max": 12, "eta_min": 0.001}),
        None,
    ),
    ("adam", {"lr": 0.05}, "rosenbrock", [-1.0, 1.5], 15, ("onecycle", {"max_lr": 0.05}), None),
    (
        "sgd",
        {"lr": 0.05, "momentum": 0.5},
        "himmelblau",
        [0.0, 0.0],
        15,
        ("cyclic", {"base_lr": 0.001, "max_lr": 0.02, "step_size_up": 3}),
        None,
    ),
    (
        "sgd",
        {"lr": 0.3},
        "quadratic",
        [3.0],
        25,
        ("plateau", {"factor": 0.5, "patience": 1, "threshold": 0.2}),
        None,
    ),
    (
        "adamw",
        {"lr": 0.1, "weight_decay": 0.1},
        "wavy",
        [1.0, -1.0],
        12,
        ("warmup-cosine", {"warmup_steps": 3, "start_factor": 0.1}),
        None,
    ),
    ("rprop", {"lr": 0.05}, "himmelblau", [0.0, 0.0], 6, ("exponential", {"gamma": 0.5}), None),
    (
        "asgd",
        {"lr": 0.03, "t0": 2.0},
        "bowl",
        [1.0, 1.0],
        8,
        ("step", {"step_size": 2, "gamma": 0.5}),
        None,
    ),
    ("sgd", {"lr": 0.01}, "rosenbrock", [-1.0, 1.5], 6, None, {"max_norm": 1.0, "norm_type": 2.0}),
    (
        "sgd",
        {"lr": 0.01, "weight_decay": 0.5},
        "rosenbrock",
        [-1.0, 1.5],
        6,
        None,
        {"max_norm": 2.0, "norm_type": 1.0},
    ),
    (
        "adam",
        {"lr": 0.1},
        "himmelblau",
        [0.0, 0.0],
        6,
        None,
        {"max_norm": 5.0, "norm_type": float("inf")},
    ),
    (
        "sgd",
        {"lr": 0.01, "momentum": 0.9},
        "affine",
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.0, 0.0],
        5,
        None,
        {"max_norm": 1.0, "norm_type": 2.0},
    ),
    ("rmsprop", {"lr": 0.01}, "beale_like", [1.0, 1.0], 6, None, {"clip_value": 0.5}),
    (
        "sgd",
        {"lr": 0.03, "momentum": 0.9},
        "bowl",
        [1.0, 1.0],
        10,
        ("cosine", {"t_max": 10}),
        {"max_norm": 3.0, "norm_type": 2.0},
    ),
]

EXTRA_LOSSES = {"beale_like": ("(x - 2)**2 + 10*(y + 1)**2", ("x", "y"))}


def run_case(row: tuple[str, dict[str, Any], str, list[float], int, Any, Any]) -> dict[str, Any]:
    optimizer, hyper, loss_name, start, steps, schedule, clipping = row
    text, names = LOSSES[loss_name]
    tensors, bound = _tensors(loss_name, start)
    opt = make_optimizer(optimizer, tensors, hyper)
    scheduler = None
    if schedule is not None:
        scheduler = BUILDERS[schedule[0]](opt, schedule[1], steps)
    thetas, rates, norms = [_flat(tensors)], [], []
    for _ in range(steps):
        rates.append(float(opt.param_groups[0]["lr"]))
        value = evaluate(text, bound)
        value.backward()
        if clipping is not None and "max_norm" in clipping:
            total = torch.nn.utils.clip_grad_norm_(
                tensors, clipping["max_norm"], norm_type=clipping["norm_type"], foreach=False
            )
            norms.append(float(total))
        elif clipping is not None:
            torch.nn.utils.clip_grad_value_(tensors, clipping["clip_value"], foreach=False)
        opt.step()
        opt.zero_grad()
        if scheduler is not None:
            if schedule[0] == "plateau":
                with torch.no_grad():
                    scheduler.step(float(evaluate(text, bound)))
            else:
                scheduler.step()
        thetas.append(_flat(tensors))
    parts = [optimizer, loss_name]
    if schedule is not None:
        parts.append(schedule[0])
    if clipping is not None:
        parts.append("clip-" + "-".join(f"{k}={v}" for k, v in clipping.items()))
    record: dict[str, Any] = {
        "name": "/".join(parts),
        "optimizer": optimizer,
        "torch_hyperparameters": _jsonable(hyper),
        "hyperparameters": our_hyperparameters(hyper),
        "loss": text,
        "loss_name": loss_name,
        "params": list(names),
        "shapes": {p: list(shape) for p, shape in SHAPES.get(loss_name, {}).items()},
        "data": DATA.get(loss_name, {}),
        "start": [float(x) for x in start],
        "steps": steps,
        "schedule": None if schedule is None else {"name": schedule[0], "arguments": schedule[1]},
        "clipping": None if clipping is None else {k: _number(v) for k, v in clipping.items()},
        "thetas": thetas,
        "rates": rates,
    }
    if norms:
        record["norms"] = norms
    print(f"{record['name']:90} {steps:3} steps")
    return record


def _number(value: float) -> Any:
    return "inf" if value == float("inf") else value


def main() -> None:
    torch.set_default_dtype(torch.float64)
    LOSSES.update(EXTRA_LOSSES)
    document = {
        "format_version": FORMAT_VERSION,
        "torch_version": torch.__version__,
        "generated_by": "scripts/make_schedule_golden.py",
        "schedules": [schedule_case(row) for row in SCHEDULE_CASES],
        "runs": [run_case(row) for row in RUN_CASES],
    }
    for table in ("schedules", "runs"):
        unique_names(document[table], f"{table} case")
    write_golden(
        OUTPUT,
        document,
        f"{len(document['schedules'])} schedules and {len(document['runs'])} runs",
    )


if __name__ == "__main__":
    main()
