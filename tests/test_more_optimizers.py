"""What is particular to Adadelta, Rprop and ASGD, beyond the registry-wide checks of
``test_engine.py`` and the torch trajectories of ``test_golden.py``: Adadelta's two accumulators
and their order, Rprop's per-coordinate sign rule, and ASGD's step size, averaging weight and
averaged parameters."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.engine import Program, get_optimizer, trajectory
from tutor.errors import HyperparameterError


class Quadratic:
    """``sum((θ − 1)²)``."""

    def value(self, theta: np.ndarray) -> float:
        return float(np.sum((theta - 1) ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return 2 * (theta - 1)


QUADRATIC = Quadratic()


def formulas(name: str, **overrides: object) -> dict[str, str]:
    algorithm = get_optimizer(name).configure(overrides).algorithm()
    return {key: formula.plain() for key, formula in algorithm.formulas.items()}


# --- Adadelta -------------------------------------------------------------------------------------


def test_adadelta_prints_its_two_accumulators_in_torchs_order() -> None:
    assert formulas("adadelta") == {
        "v": "ρ·vₜ₋₁ + (1 − ρ)·gₜ²",
        "delta": "√(uₜ₋₁ + ε) / √(vₜ + ε)·gₜ",
        "u": "ρ·uₜ₋₁ + (1 − ρ)·δₜ²",
        "update": "η·δₜ",
        "theta_next": "θₜ₋₁ − Δθₜ",
    }


def test_adadelta_steps_use_the_squared_steps_from_before_the_step() -> None:
    """Two steps by hand: v is updated before δ, u after it, so δₜ reads uₜ₋₁."""
    rho, eps = 0.9, 1e-6
    run = trajectory(get_optimizer("adadelta").configure({}), QUADRATIC, np.array([2.0]), 2)
    first, second = run.step(1), run.step(2)

    v1 = (1 - rho) * 2.0**2
    delta1 = np.sqrt(eps) / np.sqrt(v1 + eps) * 2.0
    u1 = (1 - rho) * delta1**2
    assert first.values["v"] == pytest.approx([0.4], rel=1e-15)
    assert first.values["delta"] == pytest.approx([delta1], rel=1e-15)
    assert first.values["delta"] == pytest.approx([0.003162273707328716], rel=1e-15)
    assert first.values["u"] == pytest.approx([u1], rel=1e-15)
    assert first.theta_next == pytest.approx([2.0 - delta1], rel=1e-15)

    g2 = 2 * (2.0 - delta1 - 1)
    v2 = rho * v1 + (1 - rho) * g2**2
    delta2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * g2
    assert second.grad == pytest.approx([g2], rel=1e-15)
    assert second.values["v"] == pytest.approx([v2], rel=1e-15)
    assert second.values["delta"] == pytest.approx([delta2], rel=1e-15)
    assert second.values["u"] == pytest.approx([rho * u1 + (1 - rho) * delta2**2], rel=1e-15)
    # The first steps are tiny (√ε over the gradient's RMS) and grow as u fills up.
    assert second.values["delta"][0] > first.values["delta"][0]


def test_adadelta_learning_rate_only_scales_the_step() -> None:
    """δ does not depend on η; Δθ = η·δ."""
    theta, g = np.array([2.0, -1.0]), np.array([2.0, -4.0])
    steps = {}
    for lr in (1.0, 0.5):
        program = Program(get_optimizer("adadelta").configure({"lr": lr}))
        steps[lr], _ = program.step(theta, g, program.init(theta), 1)
    np.testing.assert_array_equal(steps[1.0]["delta"], steps[0.5]["delta"])
    np.testing.assert_array_equal(steps[0.5]["update"], 0.5 * steps[1.0]["delta"])


# --- Rprop ----------------------------------------------------------------------------------------


def test_rprop_prints_a_per_coordinate_sign_rule() -> None:
    assert formulas("rprop") == {
        "factor": "η⁺ if gₜ·ǧₜ₋₁ > 0, else η⁻ if gₜ·ǧₜ₋₁ < 0, else 1",
        "step_size": "clamp(ηₜ₋₁·fₜ, Γmin, Γmax)",
        "prev": "0 if gₜ·ǧₜ₋₁ < 0, else gₜ",
        "update": "ηₜ·sign(ǧₜ)",
        "theta_next": "θₜ₋₁ − Δθₜ",
    }


def test_rprop_sign_rule_for_each_coordinate() -> None:
    """Coordinates whose gradient kept its sign, flipped it, and met a stored 0, in one step."""
    program = Program(get_optimizer("rprop").configure({}))
    theta = np.array([0.0, 0.0, 0.0])
    state = {"step_size": np.array([0.1, 0.1, 0.1]), "prev": np.array([1.0, -2.0, 0.0])}
    values, new_state = program.step(theta, np.array([3.0, 4.0, -5.0]), state, 2)
    assert values["factor"].tolist() == [1.2, 0.5, 1.0]
    np.testing.assert_allclose(values["step_size"], [0.12, 0.05, 0.1], rtol=1e-15)
    assert values["prev"].tolist() == [3.0, 0.0, -5.0]  # the flipped gradient is stored as 0
    np.testing.assert_allclose(values["update"], [0.12, 0.0, -0.1], rtol=1e-15)
    np.testing.assert_allclose(values["theta_next"], [-0.12, 0.0, 0.1], rtol=1e-15)
    assert new_state.keys() == {"step_size", "prev"}
    # The Where node selects per coordinate; printed for this step, it stays the whole rule.
    env = {**program.constants, "g": np.array([3.0, 4.0, -5.0]), "prev_prev": state["prev"]}
    assert program.evaluate("factor", env).tolist() == [1.2, 0.5, 1.0]


def test_rprop_step_sizes_are_clamped() -> None:
    config = get_optimizer("rprop").configure({"step_size_min": 0.06, "step_size_max": 0.11})
    program = Program(config)
    state = {"step_size": np.array([0.1, 0.1]), "prev": np.array([1.0, 1.0])}
    values, _ = program.step(np.zeros(2), np.array([1.0, -1.0]), state, 2)
    assert values["step_size"].tolist() == [0.11, 0.06]


def test_rprop_waits_one_step_after_a_sign_flip() -> None:
    """Wherever the step size shrank, that coordinate did not move, and on the next step its
    step size was left alone (the stored gradient is 0)."""
    config = get_optimizer("rprop").configure({"lr": 0.3})
    run = trajectory(config, QUADRATIC, np.array([1.7, -0.4, 2.5]), 25)
    factor, update = run.values["factor"], run.values["update"]
    flips = factor == 0.5
    assert flips.sum() >= 5
    assert np.all(update[flips] == 0)
    assert np.all(factor[1:][flips[:-1]] == 1.0)
    assert np.all(np.abs(update[~flips]) == run.values["step_size"][~flips])


def test_rprop_lr_is_only_the_initial_step_size() -> None:
    a = Program(get_optimizer("rprop").configure({"lr": 0.1}))
    b = Program(get_optimizer("rprop").configure({"lr": 0.7}))
    theta = np.array([2.0])
    assert a.init(theta)["step_size"].tolist() == [0.1]
    assert b.init(theta)["step_size"].tolist() == [0.7]
    state = {"step_size": np.array([0.2]), "prev": np.array([1.0])}
    np.testing.assert_array_equal(
        a.step(theta, np.array([2.0]), state, 3)[0]["theta_next"],
        b.step(theta, np.array([2.0]), state, 3)[0]["theta_next"],
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"etaminus": 1.0}, "etaminus must be in (0, 1), got 1"),
        ({"etaminus": 0.0}, "etaminus must be in (0, 1), got 0"),
        ({"etaplus": 1.0}, "etaplus must be > 1, got 1"),
        (
            {"step_size_min": 0.5, "step_size_max": 0.1},
            "step_size_min must be <= step_size_max, got 0.5 > 0.1",
        ),
    ],
)
def test_rprop_refuses_invalid_factors_and_bounds(overrides: dict, message: str) -> None:
    with pytest.raises(HyperparameterError) as caught:
        get_optimizer("rprop").configure(overrides)
    assert str(caught.value) == message


def test_rprop_hyperparameters_split_torchs_pairs() -> None:
    spec = get_optimizer("rprop")
    assert [(h.name, h.torch_name, h.default) for h in spec.hyperparameters] == [
        ("lr", "lr", 0.01),
        ("etaminus", "etas[0]", 0.5),
        ("etaplus", "etas[1]", 1.2),
        ("step_size_min", "step_sizes[0]", 1e-6),
        ("step_size_max", "step_sizes[1]", 50.0),
        ("maximize", "maximize", False),
    ]


# --- ASGD -----------------------------------------------------------------------------------------


def test_asgd_prints_its_schedule_and_average() -> None:
    assert formulas("asgd") == {
        "update": "ηₜ₋₁·(gₜ + κ·θₜ₋₁)",
        "theta_next": "θₜ₋₁ − Δθₜ",
        "theta_bar": "θₜ if μₜ₋₁ = 1, else θ̄ₜ₋₁ + (θₜ − θ̄ₜ₋₁)·μₜ₋₁",
        "eta": "η / (1 + κ·η·t)^α",
        "mu": "1 / max(1, t − t₀)",
    }


def test_asgd_step_size_and_averaging_weight_follow_torchs_schedule() -> None:
    lr, lambd, alpha, t0 = 0.05, 0.3, 0.75, 3.0
    config = get_optimizer("asgd").configure({"lr": lr, "lambd": lambd, "t0": t0})
    run = trajectory(config, QUADRATIC, np.array([2.0, -1.0]), 8)
    t = np.arange(1, 9)
    np.testing.assert_allclose(run.values["eta"], lr / (1 + lambd * lr * t) ** alpha, rtol=1e-15)
    assert run.values["mu"].tolist() == [1.0, 1.0, 1.0, 1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5]
    assert run.values["eta"].shape == (8,)  # one number per tensor, not per coordinate
    # Step t uses the step size stored at the end of step t − 1 (the learning rate at t = 1).
    etas = np.concatenate([[lr], run.values["eta"][:-1]])
    expected = run.theta * (1 - lambd * etas[:, None]) - etas[:, None] * run.grad
    np.testing.assert_allclose(run.values["theta_next"], expected, rtol=1e-15)


def test_asgd_average_is_a_copy_until_t0_then_the_mean_of_the_iterates() -> None:
    t0 = 3
    config = get_optimizer("asgd").configure({"lr": 0.1, "t0": float(t0)})
    run = trajectory(config, QUADRATIC, np.array([2.0, -1.0]), 9)
    thetas, bars = run.values["theta_next"], run.values["theta_bar"]
    for t in range(1, 10):
        if t <= t0 + 2:  # μₜ₋₁ = 1: torch copies θ (bit for bit, not θ̄ + 1·(θ − θ̄))
            np.testing.assert_array_equal(bars[t - 1], thetas[t - 1])
        else:  # the running mean of θ_{t0+2}, …, θₜ
            mean = thetas[t0 + 1 : t].mean(axis=0)
            np.testing.assert_allclose(bars[t - 1], mean, rtol=1e-14)
            assert not np.array_equal(bars[t - 1], thetas[t - 1])


def test_asgd_prints_the_branch_of_the_average_it_took() -> None:
    config = get_optimizer("asgd").configure({"lr": 0.1, "t0": 0.0})
    run = trajectory(config, QUADRATIC, np.array([2.0]), 3)
    formula = run.program.algorithm.formulas["theta_bar"]
    constants = Program(config).constants
    shown = [formula.specialize(record.environment(constants)).plain() for record in run.steps()]
    assert shown == ["θₜ", "θₜ", "θ̄ₜ₋₁ + (θₜ − θ̄ₜ₋₁)·μₜ₋₁"]


def test_asgd_with_torchs_default_t0_never_averages_in_a_short_run() -> None:
    run = trajectory(get_optimizer("asgd").configure({}), QUADRATIC, np.array([2.0]), 20)
    np.testing.assert_array_equal(run.values["theta_bar"], run.values["theta_next"])
    assert set(run.values["mu"].tolist()) == {1.0}
