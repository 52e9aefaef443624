"""The engine replays trajectories recorded from torch.optim, to a relative 1e-12, without torch.

``tests/golden/torch_trajectories.json`` is written by ``scripts/make_golden.py`` (which needs
torch; the tests do not). Each case is one optimizer configuration on one loss; for every step
the engine must reproduce torch's parameters before and after the step, the gradient, and every
state tensor torch keeps, matched to the engine's quantity whose ``torch_state`` names it.

The losses go through the whole pipeline: the loss text is parsed, differentiated and compiled by
:func:`tutor.symbolic.loss.compile_loss`, then run by :func:`tutor.engine.trajectory`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tutor.engine import OPTIMIZERS, get_optimizer, iterate, trajectory
from tutor.symbolic.loss import compile_loss

GOLDEN = Path(__file__).resolve().parent / "golden" / "torch_trajectories.json"
DOCUMENT: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DOCUMENT["cases"]
# Optimizers whose torch reference has its own file and replay (L-BFGS: tests/test_lbfgs.py).
OWN_FILES = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(GOLDEN.parent.glob("*.json"))
    if path != GOLDEN and path.stem in OPTIMIZERS
]
TORCH_DEFAULTS = {
    name: defaults
    for document in (DOCUMENT, *OWN_FILES)
    for name, defaults in document["torch_defaults"].items()
}
ALL_CASES = CASES + [case for document in OWN_FILES for case in document["cases"]]
BY_NAME = {case["name"]: case for case in CASES}

RTOL = 1e-12
ATOL = 1e-300  # relative error only: exact zeros must stay exact zeros
WORKED_EXAMPLE = "adamw-worked-example-quadratic"


def assert_close(ours: Any, torch_value: Any, what: str) -> None:
    """Fail with the step and quantity named unless ``ours`` matches torch to ``RTOL``."""
    ours = np.asarray(ours, dtype=np.float64)
    expected = np.asarray(torch_value, dtype=np.float64)
    assert ours.shape == expected.shape, (
        f"{what}: shape {ours.shape} differs from torch's {expected.shape}"
    )
    if not np.allclose(ours, expected, rtol=RTOL, atol=ATOL):
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.max(np.abs(ours - expected) / np.abs(expected))
        pytest.fail(
            f"{what}: engine {ours.tolist()!r} != torch {expected.tolist()!r} "
            f"(relative error {relative:.3g} > {RTOL:g})",
            pytrace=False,
        )


def torch_value(hyperparameters: Mapping[str, Any], torch_name: str) -> Any:
    """The value torch spells ``torch_name`` (``lr``, ``betas[1]``), or KeyError if unset."""
    base, _, index = torch_name.partition("[")
    value = hyperparameters[base]
    return value[int(index.rstrip("]"))] if index else value


def case_loss(case: Mapping[str, Any]) -> Any:
    shapes = {name: tuple(shape) for name, shape in case.get("shapes", {}).items()}
    data = {name: np.array(values, dtype=np.float64) for name, values in case["data"].items()}
    return compile_loss(case["loss"], case["params"], shapes=shapes or None, data=data or None)


def run_engine(case: Mapping[str, Any]) -> Any:
    spec = get_optimizer(case["optimizer"])
    config = spec.configure(case["hyperparameters"])
    loss = case_loss(case)
    start = np.array(case["start"], dtype=np.float64)
    run = trajectory(config, loss, start, case["steps"], layout=loss.layout)
    return spec, config, loss, run


def test_golden_file_is_well_formed() -> None:
    assert DOCUMENT["format_version"] == 1
    assert DOCUMENT["generated_by"] == "scripts/make_golden.py"
    assert DOCUMENT["torch_version"]
    assert len(BY_NAME) == len(CASES), "case names must be unique"
    assert len(CASES) >= 75
    for case in CASES:
        assert len(case["trajectory"]) == case["steps"], case["name"]
        assert [r["t"] for r in case["trajectory"]] == list(range(1, case["steps"] + 1))
        shapes = case["shapes"]
        size = sum(int(np.prod(shapes.get(p, ()))) for p in case["params"])
        assert len(case["start"]) == size, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_engine_matches_torch(case: dict[str, Any]) -> None:
    _, _, _, run = run_engine(case)
    assert run.divergence is None, f"engine diverged: {run.divergence}"
    assert len(run) == case["steps"]
    by_state = {q.torch_state: q.key for q in run.quantities if q.torch_state}
    for step, record in zip(run.steps(), case["trajectory"], strict=True):
        t = record["t"]
        assert step.t == t
        assert_close(step.theta, record["theta"], f"step {t}: theta")
        assert_close(step.grad, record["grad"], f"step {t}: gradient")
        assert set(record["state"]) == set(by_state), (
            f"step {t}: torch keeps state {sorted(record['state'])}, but the engine's active "
            f"quantities name {sorted(by_state)}"
        )
        for name, value in sorted(record["state"].items()):
            key = by_state[name]
            assert_close(step.values[key], value, f"step {t}: {key} (torch state {name!r})")
        assert_close(step.theta_next, record["theta_next"], f"step {t}: theta_next")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_hyperparameters_are_torchs(case: dict[str, Any]) -> None:
    """Our hyper-parameters are torch's, renamed only through each spec's ``torch_name``."""
    spec = get_optimizer(case["optimizer"])
    ours, theirs = case["hyperparameters"], case["torch_hyperparameters"]
    assert set(ours) <= {h.name for h in spec.hyperparameters}
    used = set()
    for hyper in spec.hyperparameters:
        base = hyper.torch_name.partition("[")[0]
        if base in theirs:
            used.add(base)
            assert torch_value(theirs, hyper.torch_name) == ours[hyper.name], hyper.name
        else:
            assert hyper.name not in ours, hyper.name
    assert used == set(theirs), f"torch options the engine does not model: {set(theirs) - used}"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_defaults_are_torchs(name: str) -> None:
    """Every default equals torch.optim's (Lion: the paper's), as recorded by the script."""
    defaults = TORCH_DEFAULTS[name]
    for hyper in OPTIMIZERS[name].hyperparameters:
        assert torch_value(defaults, hyper.torch_name) == hyper.default, hyper.name


def test_every_option_has_golden_coverage() -> None:
    """Each optimizer has cases, and each of its hyper-parameters is set to a non-default value
    in at least one: a new option without a golden case fails here."""
    missing = []
    for name, spec in OPTIMIZERS.items():
        cases = [case for case in ALL_CASES if case["optimizer"] == name]
        if not cases:
            missing.append(f"{name} (no case at all)")
            continue
        for hyper in spec.hyperparameters:
            if not any(
                hyper.name in case["hyperparameters"]
                and case["hyperparameters"][hyper.name] != hyper.default
                for case in cases
            ):
                missing.append(f"{name} {hyper.name}")
    assert not missing, (
        "no golden case sets these to a non-default value (add cases to scripts/make_golden.py "
        f"and regenerate): {', '.join(missing)}"
    )
    assert {case["optimizer"] for case in CASES} <= set(OPTIMIZERS)


def test_worked_example_ends_at_1_898() -> None:
    """One AdamW step (lr 0.1, default decay 0.01) from θ = 2 on (θ − 1)² lands on 1.898."""
    case = BY_NAME[WORKED_EXAMPLE]
    assert case["optimizer"] == "adamw"
    assert case["loss"] == "(theta - 1)**2"
    assert case["start"] == [2.0]
    assert case["hyperparameters"] == {"lr": 0.1}
    assert case["trajectory"][-1]["theta_next"][0] == pytest.approx(1.898, abs=1e-9)
    _, config, loss, run = run_engine(case)
    assert run.step(len(run)).theta_next[0] == pytest.approx(1.898, abs=1e-9)
    start = np.array(case["start"])
    final = iterate(config, start, loss.gradient, case["steps"])
    assert final[0] == pytest.approx(1.898, abs=1e-9)


def test_matrix_parameters_are_covered() -> None:
    """Adam and AdamW are checked on matrix parameters (one torch tensor per parameter)."""
    shaped = {case["optimizer"] for case in CASES if case["shapes"]}
    assert {"adam", "adamw"} <= shaped
