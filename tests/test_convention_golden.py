"""The optax and keras conventions replay trajectories recorded from the real libraries.

``tests/golden/convention_trajectories.json`` is written by ``scripts/make_convention_golden.py``
with optax and Keras 3 (JAX backend, float64); the tests need neither. Each case runs our engine
under the named convention and compares θ after every step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tutor.engine import OPTIMIZERS, trajectory
from tutor.symbolic.loss import compile_loss

GOLDEN = Path(__file__).resolve().parent / "golden" / "convention_trajectories.json"
DOCUMENT: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES = DOCUMENT["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_engine_matches_the_library(case: dict[str, Any]) -> None:
    spec = OPTIMIZERS[case["optimizer"]]
    config = spec.configure(case["hyperparameters"], case["convention"])
    loss = compile_loss(case["loss"], case["params"])
    run = trajectory(config, loss, np.array(case["start"]), case["steps"])
    ours = run.values["theta_next"].tolist()
    np.testing.assert_allclose(ours, case["theta_next"], rtol=1e-12, atol=0)


def test_every_optax_and_keras_convention_is_recorded() -> None:
    recorded = {(c["optimizer"], c["convention"]) for c in CASES}
    for name, spec in OPTIMIZERS.items():
        for convention in spec.conventions:
            if convention.name == "optax":
                assert (name, "optax") in recorded, name
            if convention.name == "keras":
                assert (name, "keras") in recorded, name
