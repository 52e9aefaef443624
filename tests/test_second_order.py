"""Second-order methods: Newton's method and the natural gradient, against closed forms.

Every expected number here is derived by hand (exact fractions where the arithmetic allows) or
computed with NumPy from the textbook formula, independently of the engine: the Hessian of
Himmelblau's and Rosenbrock's functions written out, Newton landing on a quadratic's minimizer,
the logistic and Gaussian Fisher matrices in closed form, and the definition of the true Fisher
(an expectation under the model) evaluated by enumeration and Gauss–Hermite quadrature.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import get_optimizer, trajectory
from tutor.errors import SingularMatrixError, TutorError
from tutor.render import registry
from tutor.symbolic.loss import compile_loss
from tutor.symbolic.models import MODELS, model_loss
from tutor.teach.problem import make_problem
from tutor.teach.solve import Solution, solve

FORMATS = ("rich", "json", "markdown", "latex")


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "140", "NO_COLOR": "1"})


def check_document(fmt: str, text: str) -> None:
    """Markdown parses as CommonMark and LaTeX balances (the checks of test_render.py)."""
    from test_render import check_latex_fragment, check_markdown

    if fmt == "markdown":
        check_markdown(text)
    elif fmt == "latex":
        check_latex_fragment(text)


def solved(optimizer: str, steps: int = 1, **given: Any) -> Solution:
    hyper = given.pop("hyper", {})
    return solve(make_problem(optimizer, steps=steps, hyperparameters=hyper, **given))


def curvature(solution: Solution, t: int, kind: str) -> Any:
    return next(c for c in solution.curvature.get(t, ()) if c.kind == kind)


# --- Newton's method: closed forms ----------------------------------------------------------------


def test_newton_on_himmelblau_at_the_origin_is_the_hand_computed_step() -> None:
    # ∂L/∂x = 4x(x² + y − 11) + 2(x + y² − 7) = −14, ∂L/∂y = 2(x² + y − 11) + 4y(x + y² − 7) = −22;
    # H = [[12x² + 4y − 42, 4x + 4y], [4x + 4y, 4x + 12y² − 26]] = diag(−42, −26) at (0, 0).
    record = solved("newton", loss="himmelblau", theta=[0.0, 0.0]).step(1)
    assert record.grad.tolist() == [-14.0, -22.0]
    assert record.inputs["H"].tolist() == [[-42.0, 0.0], [0.0, -26.0]]
    np.testing.assert_allclose(record.values["direction"], [1 / 3, 11 / 13], rtol=1e-15)
    np.testing.assert_allclose(record.theta_next, [-1 / 3, -11 / 13], rtol=1e-15)


def test_newton_on_rosenbrock_matches_theta_minus_h_inverse_g_in_fractions() -> None:
    # At (−1.5, 2): y − x² = −1/4, g = (−2(1 − x) − 400x(y − x²), 200(y − x²)) = (−155, −50),
    # H = [[2 − 400(y − x²) + 800x², −400x], [−400x, 200]] = [[1902, 600], [600, 200]].
    x, y = Fraction(-3, 2), Fraction(2)
    g = (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))
    H = ((2 - 400 * (y - x**2) + 800 * x**2, -400 * x), (-400 * x, Fraction(200)))
    det = H[0][0] * H[1][1] - H[0][1] * H[1][0]
    d = ((H[1][1] * g[0] - H[0][1] * g[1]) / det, (H[0][0] * g[1] - H[1][0] * g[0]) / det)
    assert g == (-155, -50) and d == (Fraction(-5, 102), Fraction(-7, 68))
    record = solved("newton", loss="rosenbrock", theta=[-1.5, 2.0]).step(1)
    assert record.inputs["H"].tolist() == [[1902.0, 600.0], [600.0, 200.0]]
    np.testing.assert_allclose(record.theta_next, [float(x - d[0]), float(y - d[1])], rtol=1e-15)


def test_newton_lands_on_booths_minimizer_in_one_step() -> None:
    # Booth: H = [[10, 8], [8, 10]] everywhere, g(0, 0) = (−34, −38); the minimizer is (1, 3).
    solution = solved("newton", loss="booth", theta=[0.0, 0.0])
    np.testing.assert_allclose(solution.step(1).theta_next, [1.0, 3.0], rtol=1e-15)
    assert solution.curvature == {}  # positive definite: nothing to warn about


def test_damping_and_learning_rate_scale_the_solved_system() -> None:
    # (H + 2I)·d = g with H + 2I = [[12, 8], [8, 12]], g = (−34, −38): d = (−1.3, −2.3).
    record = solved("newton", loss="booth", theta=[0.0, 0.0], hyper={"damping": 2.0, "lr": 0.5})
    np.testing.assert_allclose(record.step(1).values["direction"], [-1.3, -2.3], rtol=1e-15)
    np.testing.assert_allclose(record.step(1).theta_next, [0.65, 1.15], rtol=1e-15)


coefficients = st.floats(0.5, 5.0)
shifts = st.floats(-3.0, 3.0)


@settings(max_examples=40, deadline=None)
@given(
    a=coefficients, c=coefficients, r=st.floats(-0.9, 0.9), d=shifts, e=shifts, x=shifts, y=shifts
)
def test_newton_lands_on_any_convex_quadratics_minimizer(a, c, r, d, e, x, y) -> None:
    b = r * 2 * math.sqrt(a * c)  # 4ac − b² > 0: positive definite
    loss = f"{a!r}*x**2 + {b!r}*x*y + {c!r}*y**2 + {d!r}*x + {e!r}*y"
    minimizer = np.linalg.solve(np.array([[2 * a, b], [b, 2 * c]]), [-d, -e])
    solution = solved("newton", loss=loss, theta=[x, y])
    np.testing.assert_allclose(solution.step(1).theta_next, minimizer, rtol=1e-9, atol=1e-9)
    assert solution.curvature == {}


# --- Golden runs from torch's autograd ---------------------------------------------------------

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_CASES = [
    case
    for name in ("newton", "natural-gradient")
    for case in json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))["cases"]
]


def _golden_objective(case: dict[str, Any]) -> Any:
    data = {name: np.array(values) for name, values in case["data"].items()}
    if case["optimizer"] == "natural-gradient":
        values = get_optimizer(case["optimizer"]).configure(case["hyperparameters"]).values
        loss = model_loss(values["model"], values["fisher"], data)
        assert loss.text == case["loss"] and list(loss.params) == case["params"]
        return loss
    shapes = {name: tuple(shape) for name, shape in case["shapes"].items()}
    return compile_loss(case["loss"], case["params"], shapes=shapes or None, data=data or None)


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[case["name"] for case in GOLDEN_CASES])
def test_every_step_matches_torch_autograd(case: dict[str, Any]) -> None:
    """scripts/make_second_order_golden.py: torch.func's gradient and Hessian, the Fisher matrix
    from per-example scores by its definition, and torch.linalg.solve, all in float64."""
    config = get_optimizer(case["optimizer"]).configure(case["hyperparameters"])
    loss = _golden_objective(case)
    run = trajectory(config, loss, np.array(case["start"]), case["steps"], layout=loss.layout)
    key = "H" if case["optimizer"] == "newton" else "F"
    assert len(run) == case["steps"]
    for record, expected in zip(run.steps(), case["trajectory"], strict=True):
        where = f"{case['name']} step {record.t}"
        assert record.loss == pytest.approx(expected["loss"], rel=1e-12), where
        pairs = {
            "theta": (record.theta, expected["theta"]),
            "grad": (record.grad, expected["grad"]),
            key: (record.inputs[key], expected["matrix"]),
            "direction": (record.values["direction"], expected["direction"]),
            "theta_next": (record.theta_next, expected["theta_next"]),
        }
        for name, (ours, theirs) in pairs.items():  # norm-wise: a cancelled entry may be ~1e-16
            error = np.linalg.norm(np.subtract(ours, theirs))
            assert error <= 1e-12 * np.linalg.norm(theirs), f"{where}: {name} off by {error:.3g}"


# --- Singular matrices --------------------------------------------------------------------------


def test_a_singular_hessian_is_an_error_naming_the_step_and_theta() -> None:
    with pytest.raises(SingularMatrixError) as caught:
        solved("newton", loss="x**4", theta=[0.0])
    assert str(caught.value) == (
        "step 1 of newton at θ = 0: Hₜ is singular, so Hₜ·d = gₜ has no unique solution; add "
        "damping (e.g. --damping 0.1) or start elsewhere"
    )


def test_a_numerically_singular_hessian_is_refused_by_its_condition_number() -> None:
    # H = [[2 + 2e-13, 2], [2, 2]]: condition number about 4e13, above the limit of 1e10.
    with pytest.raises(SingularMatrixError) as caught:
        solved("newton", loss="(x + y)**2 + 1e-13*x**2", theta=[1.0, 1.0])
    message = str(caught.value)
    assert message.startswith("step 1 of newton at θ = (1, 1): Hₜ is numerically singular")
    assert "> 1e+10" in message


def test_a_later_singular_step_is_named_with_its_own_theta() -> None:
    # Newton on sqrt(1 + x²) maps x to −x³: the curvature (1 + x²)^(−3/2) soon vanishes
    # beside y's curvature of 1.
    problem = make_problem("newton", loss="sqrt(1 + x**2) + 0.5*y**2", theta=[2.0, 0.0], steps=6)
    with pytest.raises(SingularMatrixError) as caught:
        solve(problem)
    t = int(str(caught.value).split()[1])
    assert t > 1
    before = trajectory(problem.config, problem.loss, problem.theta0, t - 1, layout=problem.layout)
    x = before.final_theta[0]
    assert str(caught.value).startswith(f"step {t} of newton at θ = ({x:.6g}, 0): ")


def test_damping_makes_a_singular_hessian_solvable() -> None:
    record = solved("newton", loss="x**4 + x", theta=[0.0], hyper={"damping": 0.5}).step(1)
    np.testing.assert_allclose(record.values["direction"], [2.0], rtol=1e-15)  # (0 + 0.5)·d = 1


def test_an_objective_without_a_hessian_is_named() -> None:
    class Bare:
        def value(self, theta: np.ndarray) -> float:
            return float(theta @ theta)

        def gradient(self, theta: np.ndarray) -> np.ndarray:
            return 2 * theta

    with pytest.raises(TutorError) as caught:
        trajectory(get_optimizer("newton").configure({}), Bare(), np.array([1.0]), 1)
    assert str(caught.value) == "newton needs the Hessian H, which this objective does not supply"


# --- Indefinite curvature: a checked warning ----------------------------------------------------


def test_himmelblau_at_the_origin_warns_that_the_step_heads_for_a_maximum() -> None:
    solution = solved("newton", loss="himmelblau", theta=[0.0, 0.0])
    claim = curvature(solution, 1, "indefinite")
    e = claim.evidence
    assert e["eigenvalues"] == [-42.0, -26.0]
    assert e["shape"] == "maximum" and e["stationary"] is True
    # The model's value at its stationary point: L − gᵀH⁻¹g/2 = 170 + (14/3 + 242/13)/2.
    assert e["model_value"] == pytest.approx(170 + 454 / 39, rel=1e-15)
    slope = float(np.dot([-14.0, -22.0], [-1 / 3, -11 / 13]))
    assert e["slope"] == pytest.approx(slope, rel=1e-14) and e["climbs"] is True
    near = np.array([-1 / 3, -11 / 13]) * 1e-3
    assert e["loss_near"] == pytest.approx(
        (near[0] ** 2 + near[1] - 11) ** 2 + (near[0] + near[1] ** 2 - 7) ** 2
    )
    assert e["loss_near"] > 170


def test_a_saddle_shaped_model_that_still_starts_downhill_is_not_said_to_climb() -> None:
    # x² + xy − y²: H = [[2, 1], [1, −2]] with eigenvalues ±√5; from (1, 1) the step goes to the
    # saddle at (0, 0) and the slope along it is g·Δθ = (3, −1)·(−1, −1) = −2.
    solution = solved("newton", loss="x**2 + x*y - y**2", theta=[1.0, 1.0])
    e = curvature(solution, 1, "indefinite").evidence
    np.testing.assert_allclose(e["eigenvalues"], [-math.sqrt(5), math.sqrt(5)], rtol=1e-15)
    assert e["shape"] == "saddle" and e["climbs"] is False
    assert e["slope"] == pytest.approx(-2.0, rel=1e-15)
    np.testing.assert_allclose(solution.step(1).theta_next, [0.0, 0.0], atol=1e-15)
    text = " ".join(registry.render_text(solution, "rich").split())
    assert "a saddle point, not a minimum" in text and "It still starts downhill" in text


def _himmelblau_hessian(x: float, y: float) -> np.ndarray:
    return np.array(
        [[12 * x**2 + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 4 * x + 12 * y**2 - 26]]
    )


def _himmelblau(theta: np.ndarray) -> float:
    x, y = theta
    return float((x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-4, 4), y=st.floats(-4, 4), damping=st.sampled_from([0.0, 5.0]))
def test_every_curvature_warning_holds_for_the_numbers(x: float, y: float, damping: float) -> None:
    try:
        solution = solved("newton", 3, loss="himmelblau", theta=[x, y], hyper={"damping": damping})
    except SingularMatrixError:
        return
    for record in solution.run.steps():
        if record.t not in solution.curvature:  # no warning: the matrix was positive definite
            matrix = _himmelblau_hessian(*record.theta) + damping * np.eye(2)
            assert np.linalg.eigvalsh(matrix)[0] > 0
            continue
        e = curvature(solution, record.t, "indefinite").evidence
        matrix = _himmelblau_hessian(*record.theta) + damping * np.eye(2)
        np.testing.assert_allclose(e["eigenvalues"], np.linalg.eigvalsh(matrix), atol=1e-9)
        assert e["eigenvalues"][0] <= 0
        assert e["shape"] == ("maximum" if e["eigenvalues"][-1] < 0 else "saddle")
        delta = record.theta_next - record.theta
        assert e["slope"] == pytest.approx(float(record.grad @ delta))
        if e["climbs"]:
            assert e["slope"] > 0 and _himmelblau(record.theta + 1e-3 * delta) > record.loss


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_warning_is_in_every_format(fmt: str) -> None:
    result = run("solve", "newton", "--loss", "himmelblau", "--theta", "0,0", "--format", fmt)
    assert result.exit_code == 0 and result.stderr == ""
    if fmt == "json":
        data = json.loads(result.stdout)
        (claim,) = data["curvature"]
        assert claim["kind"] == "indefinite" and claim["evidence"]["eigenvalues"] == [-42.0, -26.0]
        assert data["steps"][0]["inputs"] == {"H": [[-42.0, 0.0], [0.0, -26.0]]}
        assert data["matrices"][0]["definitions"] == [
            "∂²L/∂x² = 12*x**2 + 4*y - 42",
            "∂²L/∂x∂y = 4*x + 4*y",
            "∂²L/∂y² = 4*x + 12*y**2 - 26",
        ]
        text = claim["text"]
    else:
        check_document(fmt, result.stdout)
        text = " ".join(result.stdout.split())
    assert "is not positive definite" in text
    assert "has a maximum, not a minimum" in text
    assert "The step climbs" in text


def test_the_hessian_is_shown_as_formula_and_numbers() -> None:
    text = run("solve", "newton", "--loss", "himmelblau", "--theta", "0,0").stdout
    assert "Hessian: ∂²L/∂x² = 12*x**2 + 4*y - 42" in text
    assert "[[12*0**2 + 4*0 - 42, 4*0 + 4*0], [4*0 + 4*0, 4*0 + 12*0**2 - 26]]" in text
    assert "[[-42, 0], [0, -26]]" in text


# --- Natural gradient: closed forms -------------------------------------------------------------


def _logistic_by_hand(theta, x, y, kind):
    w, b = theta
    p = 1 / (1 + np.exp(-(w * x + b)))
    phi = np.column_stack([x, np.ones_like(x)])
    g = ((p - y)[:, None] * phi).mean(axis=0)
    weight = p * (1 - p) if kind == "true" else (p - y) ** 2
    F = (phi * weight[:, None]).T @ phi / len(x)
    H = (phi * (p * (1 - p))[:, None]).T @ phi / len(x)
    return g, F, H


def _gaussian_by_hand(theta, x, kind):
    mu, s = theta
    scores = np.column_stack([-(x - mu) * np.exp(-s), 0.5 - (x - mu) ** 2 * np.exp(-s) / 2])
    g = scores.mean(axis=0)
    F = np.diag([np.exp(-s), 0.5]) if kind == "true" else scores.T @ scores / len(x)
    return g, F


CLOSED_FORM_CASES = [
    pytest.param(model, kind, lr, damping, id=f"{model}-{kind}-lr{lr}-damping{damping}")
    for model in MODELS
    for kind in ("true", "empirical")
    for lr, damping in ((1.0, 0.0), (0.5, 0.1))
]


@pytest.mark.parametrize(("model", "kind", "lr", "damping"), CLOSED_FORM_CASES)
def test_natural_gradient_steps_match_the_closed_form_fisher(model, kind, lr, damping) -> None:
    hyper = {"model": model, "fisher": kind, "lr": lr, "damping": damping}
    solution = solved("natural-gradient", 3, hyper=hyper)
    data = {name: np.array(values) for name, values in MODELS[model].data.items()}
    for record in solution.run.steps():
        if model == "logistic":
            g, F, _ = _logistic_by_hand(record.theta, data["x"], data["y"], kind)
        else:
            g, F = _gaussian_by_hand(record.theta, data["x"], kind)
        np.testing.assert_allclose(record.grad, g, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(record.inputs["F"], F, rtol=1e-12, atol=1e-15)
        expected = record.theta - lr * np.linalg.solve(F + damping * np.eye(2), g)
        np.testing.assert_allclose(record.theta_next, expected, rtol=1e-12, atol=1e-15)


def test_the_true_fisher_is_the_expected_outer_product_of_the_score() -> None:
    """The definition, evaluated independently: the label enumerated for logistic regression
    (weights p and 1 − p), Gauss–Hermite quadrature over x for the normal distribution."""
    theta = np.array([0.7, -0.3])
    logistic = model_loss("logistic")
    x = logistic.examples[:, 0]
    p = 1 / (1 + np.exp(-(theta[0] * x + theta[1])))
    phi = np.column_stack([x, np.ones_like(x)])
    expected = sum(
        (
            weight[:, None, None]
            * np.einsum("ni,nj->nij", (p - label)[:, None] * phi, (p - label)[:, None] * phi)
        ).mean(axis=0)
        for label, weight in ((0.0, 1 - p), (1.0, p))
    )
    np.testing.assert_allclose(logistic.true_fisher(theta), expected, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(logistic.true_fisher(theta), logistic.hessian(theta), rtol=1e-12)

    mu, s = 1.5, 0.4
    nodes, weights = np.polynomial.hermite.hermgauss(5)
    draws = mu + math.sqrt(2 * math.exp(s)) * nodes
    scores = np.column_stack(
        [-(draws - mu) / math.exp(s), 0.5 - (draws - mu) ** 2 / (2 * math.exp(s))]
    )
    quadrature = (scores * (weights / math.sqrt(math.pi))[:, None]).T @ scores
    gaussian = model_loss("gaussian")
    np.testing.assert_allclose(gaussian.true_fisher(np.array([mu, s])), quadrature, atol=1e-12)


def test_the_spec_offers_exactly_the_models_that_exist() -> None:
    spec = get_optimizer("natural-gradient")
    assert spec.hyperparameter("model").choices == (None, *MODELS)


def test_data_overrides_the_inline_points() -> None:
    record = solved(
        "natural-gradient",
        hyper={"model": "gaussian", "fisher": "empirical"},
        theta=[2.0, 0.0],
        data={"x": np.array([1.0, 2.0, 6.0])},
    ).step(1)
    # Scores (1, 0), (0, 1/2), (−4, −15/2): F = [[17, 30], [30, 56.5]]/3, g = (−1, −7/3).
    np.testing.assert_allclose(record.inputs["F"], np.array([[17, 30], [30, 56.5]]) / 3, rtol=1e-15)
    np.testing.assert_allclose(record.grad, [-1.0, -7 / 3], rtol=1e-15)


# --- The natural gradient beside Newton's method ------------------------------------------------


def test_logistic_true_fisher_steps_are_measured_to_be_newton_steps() -> None:
    solution = solved("natural-gradient", 4, hyper={"model": "logistic"})
    for t in range(1, 5):
        e = curvature(solution, t, "newton_relation").evidence
        record = solution.step(t)
        _, _, H = _logistic_by_hand(record.theta, *model_loss("logistic").examples.T, "true")
        assert e["agree"] is True and e["relative_difference"] <= 1e-12
        assert e["matrix_difference"] == pytest.approx(
            float(np.max(np.abs(record.inputs["F"] - e["hessian"])))
        )
        np.testing.assert_allclose(e["hessian"], H, rtol=1e-12)
        np.testing.assert_allclose(
            e["newton_direction"], np.linalg.solve(H, record.grad), rtol=1e-10
        )


def test_the_empirical_fisher_is_measured_to_differ_from_newton() -> None:
    solution = solved("natural-gradient", hyper={"model": "logistic", "fisher": "empirical"})
    record = solution.step(1)
    _, _, H = _logistic_by_hand(record.theta, *model_loss("logistic").examples.T, "true")
    newton = np.linalg.solve(H, record.grad)
    relative = np.linalg.norm(record.values["direction"] - newton) / np.linalg.norm(newton)
    e = curvature(solution, 1, "newton_relation").evidence
    assert e["agree"] is False and relative > 0.1
    assert e["relative_difference"] == pytest.approx(relative, rel=1e-10)
    text = registry.render_text(solution, "rich")
    assert "the steps differ. Newton's direction would be" in " ".join(text.split())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", list(MODELS))
def test_natural_gradient_prints_in_every_format(model: str, fmt: str) -> None:
    result = run("solve", "natural-gradient", "--model", model, "--format", fmt)
    assert result.exit_code == 0 and result.stderr == ""
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["hyperparameters"]["model"] == model
        assert data["curvature"][0]["kind"] == "newton_relation"
        assert data["curvature"][0]["evidence"]["agree"] is (model == "logistic")
        assert set(data["steps"][0]["inputs"]) == {"F"}
    else:
        check_document(fmt, result.stdout)
        assert "Newton's method on the same loss" in " ".join(result.stdout.split())


# --- The command line ---------------------------------------------------------------------------

ERRORS = [
    (
        ["solve", "newton", "--loss", "x**4", "--theta", "0"],
        "error: step 1 of newton at θ = 0: Hₜ is singular, so Hₜ·d = gₜ has no unique solution; "
        "add damping (e.g. --damping 0.1) or start elsewhere",
    ),
    (
        ["solve", "natural-gradient"],
        "error: natural-gradient needs the Fisher matrix of a model whose likelihood is known: "
        "add --model logistic or --model gaussian",
    ),
    (
        ["solve", "natural-gradient", "--loss", "himmelblau", "--theta", "0,0"],
        "error: natural-gradient needs the Fisher matrix of a model whose likelihood is known: "
        "add --model logistic or --model gaussian; the loss 'himmelblau' alone has none",
    ),
    (
        ["solve", "natural-gradient", "--model", "logistic", "--loss", "x**2"],
        "error: --model logistic defines the loss (mean(softplus(w*x + b) - y*(w*x + b))); "
        "leave out --loss",
    ),
    (
        ["solve", "natural-gradient", "--model", "logistic", "--data", "y=0,1,2,0,1,1"],
        "error: logistic regression's labels y must be 0 or 1, got 2",
    ),
    (
        ["solve", "natural-gradient", "--model", "logistic", "--data", "x=1,2"],
        "error: the logistic model needs one value of each data per example: x has 2, y has 6",
    ),
    (
        ["solve", "newton", "--model", "logistic"],
        "error: newton has no option --model (it belongs to natural-gradient); see "
        "'tutor solve newton --help'",
    ),
    (["solve", "natural-gradient", "--model", "probit"], None),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_errors_are_one_line_and_exit_2(args: list[str], message: str | None) -> None:
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    if message is not None:
        assert lines[0] == message


def test_help_lists_the_models_and_every_example_runs() -> None:
    text = run("solve", "natural-gradient", "--help").stdout
    assert "none or logistic or gaussian" in text and "true or empirical" in text
    examples = [line.strip() for line in text.split("Examples:")[1].splitlines() if line.strip()]
    assert len(examples) == 3
    for line in examples:
        args = line.split()[1:]
        result = run(*args)
        assert result.exit_code == 0, (line, result.stderr)


def test_a_hessian_beyond_the_entry_limit_is_a_one_line_error() -> None:
    from tutor.symbolic.loss import MAX_HESSIAN_ENTRIES

    side = int(MAX_HESSIAN_ENTRIES**0.5) + 1
    loss = compile_loss("norm(W)", ["W"], shapes={"W": (side, side)})
    with pytest.raises(TutorError, match=f"at most {MAX_HESSIAN_ENTRIES} parameter entries"):
        loss.hessian(np.ones(side * side))
