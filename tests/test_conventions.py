"""Conventions: each one's numbers against an independent reference, and the comparison tools.

No optax or Keras runs here, so each convention is checked against a plain-Python reference
written from that source's published update rule (cited beside it), stepping one parameter on
L(θ) = (θ - 1)², whose gradient is 2(θ - 1). The PyTorch convention has its own golden files
recorded from torch.optim (test_golden.py).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import OPTIMIZERS, trajectory
from tutor.errors import TutorError
from tutor.teach.conventions import compare_conventions, convention_rows, matching_conventions
from tutor.teach.problem import make_problem

STEPS = 4
THETA0 = 2.0


def grad(theta: float) -> float:
    return 2 * (theta - 1)


class Quadratic:
    def value(self, theta: np.ndarray) -> float:
        return float(np.sum((theta - 1) ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return 2 * (theta - 1)


def engine_run(name: str, convention: str, **hp: float) -> list[float]:
    config = OPTIMIZERS[name].configure(hp, convention)
    run = trajectory(config, Quadratic(), np.array([THETA0]), STEPS)
    assert run.divergence is None
    return [float(x[0]) for x in run.values["theta_next"]]


def adam_like(lr, b1, b2, eps, wd, *, form, decay, corrected=True):
    """Adam family, one coordinate. form: 'outside' (m̂/(√v̂+ε)) or 'hat' (Keras's ε̂).
    decay: 'unscaled' (AdamW paper, Alg. 2 with η_t = 1: θ − (η·step + λθ)),
    'in_update' (optax: θ − η·(step + λθ)), 'first' (Keras: θ ← θ − θλη, then the step)."""
    theta, m, v, out = THETA0, 0.0, 0.0, []
    for t in range(1, STEPS + 1):
        g = grad(theta)
        if decay == "first":
            theta = theta - theta * wd * lr
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if form == "hat":
            alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            theta = theta - m * alpha / (math.sqrt(v) + eps)
        else:
            m_hat = m / (1 - b1**t) if corrected else m
            v_hat = v / (1 - b2**t) if corrected else v
            step = m_hat / (math.sqrt(v_hat) + eps)
            if decay == "unscaled":
                theta = theta - (lr * step + wd * theta)
            elif decay == "in_update":
                theta = theta - lr * (step + wd * theta)
            else:
                theta = theta - lr * step
        out.append(theta)
    return out


def test_worked_example_pytorch_1_898_paper_1_88() -> None:
    # PyTorch: θ(1 − ηλ) − η·m̂/(√v̂ + ε) = 2·0.999 − 0.1·2/(2 + 1e-8) = 1.8980000005
    # Paper:   θ − η·m̂/(√v̂ + ε) − λθ   = 2 − 0.1·2/(2 + 1e-8) − 0.01·2 = 1.8800000005
    spec = OPTIMIZERS["adamw"]
    for convention, expected in (("pytorch", 1.898), ("paper", 1.88)):
        run = trajectory(spec.configure({"lr": 0.1}, convention), Quadratic(), np.array([2.0]), 1)
        assert run.step(1).theta_next[0] == pytest.approx(expected, abs=1e-9)
    assert pytest.approx(1.8800000005, abs=1e-15) == 2 - 0.1 * 2 / (2 + 1e-8) - 0.01 * 2


@pytest.mark.parametrize(
    ("name", "convention", "hp", "reference"),
    [
        (
            "adamw",
            "paper",
            {"lr": 0.1, "weight_decay": 0.05},
            lambda: adam_like(0.1, 0.9, 0.999, 1e-8, 0.05, form="outside", decay="unscaled"),
        ),
        (
            "adamw",
            "optax",
            {"lr": 0.1, "weight_decay": 0.05},
            lambda: adam_like(0.1, 0.9, 0.999, 1e-8, 0.05, form="outside", decay="in_update"),
        ),
        (
            "adamw",
            "keras",
            {"lr": 0.1, "weight_decay": 0.05, "eps": 1e-3},
            lambda: adam_like(0.1, 0.9, 0.999, 1e-3, 0.05, form="hat", decay="first"),
        ),
        (
            "adam",
            "keras",
            {"lr": 0.1, "weight_decay": 0.05, "eps": 1e-3},
            lambda: adam_like(0.1, 0.9, 0.999, 1e-3, 0.05, form="hat", decay="first"),
        ),
        (
            "adam",
            "textbook",
            {"lr": 0.1},
            lambda: adam_like(
                0.1, 0.9, 0.999, 1e-8, 0.0, form="outside", decay="none", corrected=False
            ),
        ),
        (
            "adamw",
            "textbook",
            {"lr": 0.1, "weight_decay": 0.0},
            lambda: adam_like(
                0.1, 0.9, 0.999, 1e-8, 0.0, form="outside", decay="none", corrected=False
            ),
        ),
        (
            "adam",
            "optax",
            {"lr": 0.1},
            lambda: adam_like(0.1, 0.9, 0.999, 1e-8, 0.0, form="outside", decay="none"),
        ),
    ],
)
def test_adam_family_conventions(name, convention, hp, reference) -> None:
    np.testing.assert_allclose(engine_run(name, convention, **hp), reference(), rtol=1e-12)


def sgd_velocity(lr, mu, wd=0.0, nesterov=False):
    """Keras 3 SGD.update_step / Sutskever et al. (2013) eq. (1)-(2): v = μv − ηg, θ + v;
    Keras's Nesterov: θ + μv − ηg; Keras's weight decay: θ ← θ − θλη before the step."""
    theta, v, out = THETA0, 0.0, []
    for _ in range(STEPS):
        g = grad(theta)
        theta = theta - theta * wd * lr
        v = v * mu - g * lr
        theta = theta + (v * mu - g * lr if nesterov else v)
        out.append(theta)
    return out


def sgd_ema(lr, mu):
    """The seeds' momentum: b = βb + (1 − β)g from b = 0, θ − ηb."""
    theta, b, out = THETA0, 0.0, []
    for _ in range(STEPS):
        b = mu * b + (1 - mu) * grad(theta)
        theta = theta - lr * b
        out.append(theta)
    return out


@pytest.mark.parametrize(
    ("convention", "hp", "reference"),
    [
        (
            "keras",
            {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
            lambda: sgd_velocity(0.1, 0.9, 0.1),
        ),
        (
            "keras",
            {"lr": 0.1, "momentum": 0.9, "nesterov": True},
            lambda: sgd_velocity(0.1, 0.9, nesterov=True),
        ),
        ("paper", {"lr": 0.1, "momentum": 0.9}, lambda: sgd_velocity(0.1, 0.9)),
        ("textbook", {"lr": 0.1, "momentum": 0.9}, lambda: sgd_ema(0.1, 0.9)),
        ("optax", {"lr": 0.1, "momentum": 0.9}, lambda: sgd_velocity(0.1, 0.9)),
    ],
)
def test_sgd_conventions(convention, hp, reference) -> None:
    np.testing.assert_allclose(engine_run("sgd", convention, **hp), reference(), rtol=1e-12)


def adagrad_inside(lr, eps, initial=0.0, wd=0.0):
    """Keras 3 Adagrad / optax.scale_by_rss / the seeds: G += g², θ − η·g/√(G + ε);
    Keras's weight decay θ ← θ − θλη first."""
    theta, total, out = THETA0, initial, []
    for _ in range(STEPS):
        g = grad(theta)
        theta = theta - theta * wd * lr
        total = total + g * g
        theta = theta - lr * g / math.sqrt(total + eps)
        out.append(theta)
    return out


@pytest.mark.parametrize(
    ("convention", "hp", "reference"),
    [
        (
            "keras",
            {"lr": 0.1, "eps": 0.5, "initial_accumulator_value": 0.1, "weight_decay": 0.1},
            lambda: adagrad_inside(0.1, 0.5, 0.1, 0.1),
        ),
        (
            "optax",
            {"lr": 0.1, "eps": 0.5, "initial_accumulator_value": 0.1},
            lambda: adagrad_inside(0.1, 0.5, 0.1),
        ),
        ("textbook", {"lr": 0.1, "eps": 0.5}, lambda: adagrad_inside(0.1, 0.5)),
    ],
)
def test_adagrad_conventions(convention, hp, reference) -> None:
    np.testing.assert_allclose(engine_run("adagrad", convention, **hp), reference(), rtol=1e-12)


def rmsprop_reference(lr, rho, eps, mu=0.0, centered=False, wd=0.0, lr_in_buffer=True):
    """Keras 3 RMSprop.update_step (lr_in_buffer): v = ρv + (1−ρ)g²; centered ḡ = ρḡ + (1−ρ)g
    and d = √(v − ḡ² + ε), else √(v + ε); b = μb + ηg/d; θ − b (θ − ηg/d without momentum).
    optax.rmsprop (not lr_in_buffer): b = g/d + μb, θ − ηb."""
    theta, v, gbar, b, out = THETA0, 0.0, 0.0, 0.0, []
    for _ in range(STEPS):
        g = grad(theta)
        theta = theta - theta * wd * lr
        v = rho * v + (1 - rho) * g * g
        if centered:
            gbar = rho * gbar + (1 - rho) * g
        d = math.sqrt(v - gbar * gbar + eps)
        if lr_in_buffer:
            b = mu * b + lr * g / d
            theta = theta - b
        else:
            b = g / d + mu * b
            theta = theta - lr * b
        out.append(theta)
    return out


@pytest.mark.parametrize(
    ("convention", "hp", "reference"),
    [
        (
            "keras",
            {
                "lr": 0.01,
                "alpha": 0.9,
                "eps": 1e-3,
                "momentum": 0.5,
                "centered": True,
                "weight_decay": 0.1,
            },
            lambda: rmsprop_reference(0.01, 0.9, 1e-3, 0.5, True, 0.1),
        ),
        (
            "paper",
            {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "momentum": 0.5, "centered": True},
            lambda: rmsprop_reference(0.01, 0.9, 1e-3, 0.5, True),
        ),
        (
            "optax",
            {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "momentum": 0.5},
            lambda: rmsprop_reference(0.01, 0.9, 1e-3, 0.5, lr_in_buffer=False),
        ),
        (
            "textbook",
            {"lr": 0.01, "alpha": 0.9, "eps": 1e-3},
            lambda: rmsprop_reference(0.01, 0.9, 1e-3),
        ),
    ],
)
def test_rmsprop_conventions(convention, hp, reference) -> None:
    np.testing.assert_allclose(engine_run("rmsprop", convention, **hp), reference(), rtol=1e-12)


def test_every_convention_has_a_source_and_a_summary() -> None:
    for spec in OPTIMIZERS.values():
        assert spec.conventions
        for convention in spec.conventions:
            assert convention.source and convention.summary
    assert [c.name for c in OPTIMIZERS["lion"].conventions] == ["paper", "optax"]


@pytest.mark.parametrize(
    ("name", "convention", "overrides", "message"),
    [
        (
            "adamw",
            "tensorflow",
            {},
            "unknown convention 'tensorflow' (known: pytorch, paper, optax, keras, textbook)",
        ),
        ("lion", "pytorch", {}, "lion has no 'pytorch' convention (available: paper, optax)"),
        (
            "adam",
            "optax",
            {"weight_decay": 0.1},
            "weight_decay is not part of the optax convention of adam; leave it at 0",
        ),
        (
            "sgd",
            "textbook",
            {"momentum": 0.9, "nesterov": True},
            "nesterov is not part of the textbook convention of sgd; leave it off",
        ),
    ],
)
def test_convention_errors(name: str, convention: str, overrides: dict, message: str) -> None:
    with pytest.raises(TutorError) as caught:
        OPTIMIZERS[name].configure(overrides, convention)
    assert str(caught.value) == message


def test_compare_conventions_on_the_worked_example() -> None:
    comparison = compare_conventions(
        make_problem("adamw", theta=[2.0], hyperparameters={"lr": 0.1})
    )
    runs = {run.convention.name: run for run in comparison.runs}
    assert list(runs) == ["pytorch", "paper", "optax", "keras", "textbook"]
    assert runs["pytorch"].run.final_theta[0] == pytest.approx(1.898, abs=1e-9)
    paper = runs["paper"]
    assert paper.run.final_theta[0] == pytest.approx(1.88, abs=1e-9)
    assert paper.difference.key == "update"
    assert paper.difference.t == 1
    assert paper.difference.formula[0] == "η·m̂ₜ / (√v̂ₜ + ε) + λ·θₜ₋₁"
    assert paper.difference.default_formula[0] == "η·(m̂ₜ / (√v̂ₜ + ε) + λ·θₜ₋₁)"
    assert float(paper.difference.value[0]) == pytest.approx(0.12, abs=1e-9)
    assert runs["optax"].difference is None
    assert runs["textbook"].missing == ("m̂ₜ", "v̂ₜ")


def test_the_textbook_ratio_is_measured_not_assumed() -> None:
    """Without bias correction Adam's first step is larger, not smaller: the comparison says by
    how much, measured on the runs (0.318228 / 0.102 here, with λθ in both steps)."""
    comparison = compare_conventions(
        make_problem("adamw", theta=[2.0], hyperparameters={"lr": 0.1})
    )
    textbook = {run.convention.name: run for run in comparison.runs}["textbook"]
    t, ratio = textbook.step_ratio
    steps = textbook.run.values["update"][0][0], comparison.default.run.values["update"][0][0]
    assert t == 1
    assert ratio == pytest.approx(steps[0] / steps[1], rel=1e-12)
    assert ratio == pytest.approx(0.318228 / 0.102, rel=1e-5)
    text = run_cli("solve", "adamw", "--theta", "2", "--lr", "0.1", "--compare-conventions")
    assert "Measured: at step 1 its step Δθₜ is 3.11988 times pytorch's." in text.stdout
    for spec in OPTIMIZERS.values():  # no summary still claims the old "too small"
        for convention in spec.conventions:
            assert "too small" not in convention.summary


def test_grading_can_recognise_another_convention() -> None:
    problem = make_problem("adamw", theta=[2.0], hyperparameters={"lr": 0.1})
    assert matching_conventions(problem, "theta_next", 1, [1.88], rtol=1e-6) == ["paper"]
    assert matching_conventions(problem, "theta_next", 1, [1.898], rtol=1e-6) == [
        "pytorch",
        "optax",
        "keras",
    ]


def test_convention_rows_are_computed_from_the_formulas() -> None:
    rows = {row.convention.name: row for row in convention_rows(OPTIMIZERS["adamw"])}
    assert [r.is_default for r in rows.values()] == [True, False, False, False, False]
    assert rows["pytorch"].formulas == ()
    assert [(k, sym[0], f[0]) for k, sym, f in rows["paper"].formulas] == [
        ("update", "Δθₜ", "η·m̂ₜ / (√v̂ₜ + ε) + λ·θₜ₋₁")
    ]
    assert rows["optax"].formulas == ()
    assert [key for key, _, _ in rows["textbook"].formulas] == [
        "m_hat",
        "v_hat",
        "update",
    ]


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "140"})


def test_cli_convention_option_and_json() -> None:
    result = run_cli(
        "solve", "adamw", "--theta", "2", "--lr", "0.1", "--convention", "paper", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["convention"]["name"] == "paper"
    assert "Algorithm 2" in data["convention"]["source"]
    assert data["final"]["theta"] == pytest.approx([1.88], abs=1e-9)


def test_cli_compare_conventions_json() -> None:
    result = run_cli(
        "solve", "adamw", "--theta", "2.0", "--lr", "0.1", "--compare-conventions", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["default"] == "pytorch"
    by_name = {c["name"]: c for c in data["conventions"]}
    assert by_name["pytorch"]["final"]["theta"] == pytest.approx([1.898], abs=1e-9)
    assert by_name["paper"]["final"]["theta"] == pytest.approx([1.88], abs=1e-9)
    assert by_name["paper"]["first_difference"]["quantity"] == "update"
    assert "not by the learning rate" in by_name["paper"]["summary"]


def test_cli_compare_conventions_says_why() -> None:
    result = run_cli("solve", "adamw", "--theta", "2.0", "--lr", "0.1", "--compare-conventions")
    assert result.exit_code == 0, result.stderr
    assert "1.88" in result.stdout
    assert "1.898" in result.stdout
    assert "not by the learning rate" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["solve", "adamw", "--convention", "tf"],
            "error: invalid value for '--convention': 'tf' is not one of 'pytorch', 'paper', "
            "'optax', 'keras', 'textbook' (see 'tutor solve --help')",
        ),
        (
            ["solve", "lion", "--convention", "keras"],
            "error: lion has no 'keras' convention (available: paper, optax)",
        ),
        (
            ["solve", "adamw", "--compare-conventions", "-f", "bogus"],
            "error: invalid value for '--format' / '-f': 'bogus' is not one of 'rich', 'json', "
            "'markdown', 'latex', 'gradescope' (see 'tutor solve --help')",
        ),
        (
            ["solve", "adamw", "--compare-conventions", "--convention", "paper"],
            "error: --compare-conventions runs every convention; leave out --convention",
        ),
        (
            ["conventions", "adamm"],
            "error: unknown optimizer 'adamm' (did you mean 'adam'?)",
        ),
    ],
)
def test_cli_convention_errors(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message]


def test_cli_conventions_command() -> None:
    result = run_cli("conventions", "adamw", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format_version"] == 1
    rows = data["conventions"]
    assert [row["name"] for row in rows] == ["pytorch", "paper", "optax", "keras", "textbook"]
    paper = rows[1]
    assert paper["differences"] == [
        {
            "quantity": "update",
            "symbol": "Δθₜ",
            "formula": "η·m̂ₜ / (√v̂ₜ + ε) + λ·θₜ₋₁",
            "latex": r"\eta \cdot \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \varepsilon}"
            r" + \lambda \cdot \theta_{t-1}",
        }
    ]
    table = run_cli("conventions")
    assert table.exit_code == 0
    for name in OPTIMIZERS:
        assert name in table.stdout


def test_lion_rows_start_from_its_paper() -> None:
    rows = convention_rows(OPTIMIZERS["lion"])
    assert [(r.convention.name, r.is_default, r.formulas) for r in rows] == [
        ("paper", True, ()),
        ("optax", False, ()),
    ]


def test_an_exercise_can_declare_its_convention() -> None:
    from tutor.content.exercises import find_exercise, run_exercise

    exercise = find_exercise("adamw-paper-decay")
    assert exercise.convention == "paper"
    run = run_exercise(exercise)
    assert run.step(1).theta_next[0] == pytest.approx(1.88, abs=1e-9)
    assert find_exercise("adamw-worked-example").convention == "pytorch"
    assert find_exercise("lion-sign").convention == "paper"  # lion's first convention
