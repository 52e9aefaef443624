"""L-BFGS: torch.optim.LBFGS's runs replayed without torch, the two-loop recursion and the line
search checked by hand, and every output format showing the inner iterations.

``tests/golden/lbfgs.json`` is written by ``scripts/make_lbfgs_golden.py`` (which needs torch;
these tests do not). One `tutor` step is one call of torch's ``step(closure)``: after every
step the engine must reproduce torch's parameters to a relative 1e-12, its iteration and
evaluation counts exactly, and the state torch carries to the next call (direction, step
length, stored pairs, H_diag, previous gradient and loss) to the accuracy the script measured
for it: near a minimum the gradient is mostly rounding error, so the script records how far
each value drifts when every evaluation is perturbed by 1e-13, and the state must agree within
ten times that (and never worse than 1e-12 where it is well conditioned).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import Program, get_optimizer, trajectory
from tutor.engine.optimizers.lbfgs import (
    ITERATION_TABLE,
    LINE_SEARCH_TABLE,
    PAIR_TABLE,
    TWO_LOOP_TABLE,
    cubic_minimum,
    strong_wolfe,
    two_loop,
)
from tutor.errors import HyperparameterError, TutorError
from tutor.render import registry
from tutor.symbolic.loss import compile_loss

GOLDEN = Path(__file__).resolve().parent / "golden" / "lbfgs.json"
DOCUMENT: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DOCUMENT["cases"]
SPEC = get_optimizer("lbfgs")

RTOL = 1e-12
ATOL = 1e-300  # relative error only
COUNTS = ("n_iter", "func_evals")
HISTORY = ("old_dirs", "old_stps", "ro")  # lists in torch, the first `pairs` rows here


def case_loss(case: Mapping[str, Any]) -> Any:
    shapes = {name: tuple(shape) for name, shape in case["shapes"].items()}
    data = {name: np.array(values, dtype=np.float64) for name, values in case["data"].items()}
    return compile_loss(case["loss"], case["params"], shapes=shapes or None, data=data or None)


def run_case(case: Mapping[str, Any]) -> Any:
    loss = case_loss(case)
    config = SPEC.configure(case["hyperparameters"])
    return trajectory(config, loss, np.array(case["start"]), case["steps"], layout=loss.layout)


RUNS = {case["name"]: run_case(case) for case in CASES}


def assert_close(ours: Any, theirs: Any, what: str, rtol: float = RTOL) -> None:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    if not np.allclose(ours, theirs, rtol=rtol, atol=ATOL):
        worst = np.max(np.abs(ours - theirs) / np.abs(theirs))
        pytest.fail(f"{what}: {ours.tolist()} != torch {theirs.tolist()} ({worst:.3g})", False)


def assert_normwise(ours: Any, theirs: Any, what: str, rtol: float) -> None:
    """max|ours − torch| ≤ rtol·max|torch|: a vector judged as a whole."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    error = float(np.max(np.abs(ours - theirs), initial=0.0))
    scale = float(np.max(np.abs(theirs), initial=0.0))
    assert error <= rtol * scale, f"{what}: off by {error:.3g}, more than {rtol:.3g} × {scale:.3g}"


# --- torch's numbers -----------------------------------------------------------------------------


def test_golden_file_is_well_formed() -> None:
    assert DOCUMENT["format_version"] == 1
    assert DOCUMENT["generated_by"] == "scripts/make_lbfgs_golden.py"
    assert DOCUMENT["torch_version"]
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)) and len(names) >= 15
    for case in CASES:
        assert [r["t"] for r in case["trajectory"]] == list(range(1, case["steps"] + 1))
        assert case["hyperparameters"] == case["torch_hyperparameters"], case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_every_step_matches_torch(case: dict[str, Any]) -> None:
    run = RUNS[case["name"]]
    assert run.divergence is None
    by_state = {q.torch_state: q.key for q in run.quantities if q.torch_state}
    for step, record in zip(run.steps(), case["trajectory"], strict=True):
        t = record["t"]
        assert_close(step.theta, record["theta"], f"step {t}: θ before")
        assert_close(step.theta_next, record["theta_next"], f"step {t}: θ after")
        # Counts: torch's closure calls in this step, its totals, and the stored pairs.
        assert step.values["evaluations"] == record["closure_calls"], f"step {t}: evaluations"
        assert step.values["pairs"] == record["pairs"], f"step {t}: stored pairs"
        state = record["state"]
        assert set(state) <= set(by_state), sorted(set(state) - set(by_state))
        for name in COUNTS:
            assert step.values[by_state[name]] == state[name], f"step {t}: {name}"
        for name, value in state.items():
            if name in COUNTS:
                continue
            ours = step.values[by_state[name]]
            if name in HISTORY:
                ours = ours[: record["pairs"]]
                if not record["pairs"]:  # torch's empty list
                    assert np.size(ours) == 0 and value == []
                    continue
            rtol = max(RTOL, 10 * case["drift"][name])
            assert_normwise(ours, value, f"step {t}: {by_state[name]} (torch {name})", rtol)


def test_the_largest_error_in_theta_is_far_below_the_tolerance() -> None:
    """Over every step of every case θ agrees to far better than 1e-12 (measured: 9e-14)."""
    worst = 0.0
    for case in CASES:
        for step, record in zip(RUNS[case["name"]].steps(), case["trajectory"], strict=True):
            expected = np.asarray(record["theta_next"])
            worst = max(worst, float(np.max(np.abs(step.theta_next - expected) / abs(expected))))
    assert worst < 5e-13


def test_golden_cases_cover_every_option_and_stopping_rule() -> None:
    """Every option off its default somewhere, the history wrapping, and every reason torch's
    inner loop stops."""
    for hyper in SPEC.hyperparameters:
        assert any(
            case["hyperparameters"].get(hyper.name, hyper.default) != hyper.default
            for case in CASES
        ), hyper.name
    reasons = set()
    wrapped = False
    for run in RUNS.values():
        for record in run.steps():
            reasons |= {row["stop"] for row in record.notes[ITERATION_TABLE]} - {""}
            wrapped |= any("oldest dropped" in row["memory"] for row in record.notes[PAIR_TABLE])
    assert wrapped
    assert reasons == {
        "gᵀd > −tolerance_change",
        "k = max_iter",
        "evaluations ≥ max_eval",
        "max|g| ≤ tolerance_grad",
        "|ΔL| < tolerance_change",
        "max|a·d| ≤ tolerance_change",
    }


def test_defaults_and_names_are_torchs() -> None:
    torch_defaults = DOCUMENT["torch_defaults"]["lbfgs"]
    assert {h.torch_name for h in SPEC.hyperparameters} == set(torch_defaults)
    for hyper in SPEC.hyperparameters:
        assert torch_defaults[hyper.torch_name] == hyper.default, hyper.name
    assert SPEC.hyperparameter("max_eval").default is None
    assert SPEC.hyperparameter("line_search_fn").choices == (None, "strong_wolfe")


# --- The parts, by hand --------------------------------------------------------------------------


def test_two_loop_on_one_pair_by_hand() -> None:
    """L = x² + 4y², one pair along x: s = (1, 0), y = ∇L(1, 0) − ∇L(0, 0) = (2, 0), so
    ρ = 1/yᵀs = 1/2 and γ = sᵀy/yᵀy = 1/2. For g = (4, 1): α = ρ·sᵀg = 2, q = g − αy = (0, 1),
    r = γq = (0, 0.5), β = ρ·yᵀr = 0, r + (α − β)s = (2, 0.5): d = (−2, −0.5), the Newton step
    along x (−4/2) and the gradient scaled by γ along y, about which the pair says nothing."""
    s, y = np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])
    d, alpha, beta = two_loop(np.array([4.0, 1.0]), s, y, np.array([0.5]), 0.5)
    assert d.tolist() == [-2.0, -0.5]
    assert alpha.tolist() == [2.0]
    assert beta.tolist() == [0.0]


def test_two_loop_with_no_pairs_is_scaled_steepest_descent() -> None:
    d, alpha, beta = two_loop(np.array([3.0, -1.0]), np.zeros((0, 2)), np.zeros((0, 2)), [], 0.25)
    assert d.tolist() == [-0.75, 0.25]
    assert alpha.size == beta.size == 0


def _dense_inverse_hessian(s: np.ndarray, y: np.ndarray, gamma: float) -> np.ndarray:
    """BFGS's H = (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ from H = γI, one pair at a time (oldest first)."""
    n = s.shape[1]
    h = gamma * np.eye(n)
    for s_i, y_i in zip(s, y, strict=True):
        rho = 1.0 / (y_i @ s_i)
        left = np.eye(n) - rho * np.outer(s_i, y_i)
        h = left @ h @ left.T + rho * np.outer(s_i, s_i)
    return h


def test_two_loop_applies_the_bfgs_inverse_hessian_without_forming_it() -> None:
    """On a quadratic with Hessian A (so y = A·s), the two-loop direction is −H·g for the dense
    BFGS matrix built from the same pairs, and H maps the newest y back to the newest s."""
    rng = np.random.default_rng(7)
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    s = rng.normal(size=(3, 3))
    y = s @ a  # rows y_i = A s_i (A is symmetric)
    rho = 1.0 / np.einsum("ij,ij->i", s, y)
    gamma = float(s[-1] @ y[-1] / (y[-1] @ y[-1]))
    g = np.array([1.0, -2.0, 0.5])
    d, _, _ = two_loop(g, s, y, rho, gamma)
    h = _dense_inverse_hessian(s, y, gamma)
    np.testing.assert_allclose(d, -h @ g, rtol=1e-12)
    newest, _, _ = two_loop(y[-1], s, y, rho, gamma)
    np.testing.assert_allclose(newest, -s[-1], rtol=1e-12)  # the secant condition


def test_cubic_interpolation_finds_a_cubics_minimum() -> None:
    """f = x³ − 3x has its minimum at x = 1; sampled at 0 (f = 0, f' = −3) and 2 (f = 2,
    f' = 9) the interpolating cubic is f itself. Without a minimum: the middle of the
    bounds."""
    assert cubic_minimum(0.0, 0.0, -3.0, 2.0, 2.0, 9.0) == 1.0
    assert cubic_minimum(2.0, 2.0, 9.0, 0.0, 0.0, -3.0) == 1.0
    assert cubic_minimum(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, bounds=(1.5, 4.0)) == 1.5
    # Slopes 1 and 1 at 0 and 1 with f rising by 2/3: d1 = 0, d2² = −1, no minimum.
    assert cubic_minimum(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0) == 0.5


def test_strong_wolfe_by_hand_on_a_parabola() -> None:
    """L(θ) = (θ − 1)² from θ = 3 along d = −4 (so gᵀd = −16), first trial a = 1: θ = −1 has
    the same loss 4, no sufficient decrease, so [0, 1] brackets the minimum; the cubic
    through (0, 4, −16) and (1, 4, 16) has its minimum at a = 0.5, θ = 1, slope 0: done."""
    theta, d = 3.0, np.array([-4.0])

    def evaluate(a: float) -> tuple[float, np.ndarray]:
        x = theta + a * d[0]
        return (x - 1) ** 2, np.array([2 * (x - 1)])

    loss, g, a, trials = strong_wolfe(evaluate, 1.0, d, 4.0, np.array([4.0]), -16.0, 25)
    assert (a, loss, g.tolist()) == (0.5, 0.0, [0.0])
    assert [(t.phase, t.a, t.loss, t.slope) for t in trials] == [
        ("bracket", 1.0, 4.0, 16.0),
        ("zoom", 0.5, 0.0, 0.0),
    ]


def test_one_step_on_a_parabola_by_hand() -> None:
    """From θ = 2 on (θ − 1)²: d = −g = −2, a = min(1, 1/‖g‖₁)·η = 0.5, θ = 1 where g = 0:
    one iteration, two evaluations, and the next step stops at once (max|g| ≤ 1e-7)."""
    loss = compile_loss("(theta - 1)**2")
    run = trajectory(SPEC.configure({}), loss, np.array([2.0]), 2)
    first, second = run.step(1), run.step(2)
    assert first.theta_next.tolist() == [1.0]
    values = {k: float(np.ravel(first.values[k])[0]) for k in ("iterations", "evaluations")}
    assert values == {"iterations": 1.0, "evaluations": 2.0}
    assert first.values["direction"].tolist() == [-2.0]
    assert first.values["step_length"] == 0.5
    assert (second.values["iterations"], second.values["evaluations"]) == (0.0, 1.0)
    assert second.values["func_evals"] == 3.0 and second.values["n_iter"] == 1.0
    assert second.notes[ITERATION_TABLE] == [
        {
            "k": "—",
            "gᵀd": "—",
            "a": "—",
            "θ + a·d": "no move",
            "L(θ + a·d)": "—",
            "evals": 1,
            "stop": "max|g| ≤ tolerance_grad",
        }
    ]


def test_consecutive_steps_carry_the_state() -> None:
    """Three program steps, each fed the last one's state, are the trajectory's three steps:
    the state (pairs, direction, step length, previous gradient) is all a step needs."""
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    config = SPEC.configure({"max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"})
    run = trajectory(config, loss, np.array([-1.5, 2.0]), 3)
    program = Program(config)
    theta = np.array([-1.5, 2.0])
    state = program.init(theta)
    for record in run.steps():
        values, state = program.step(theta, loss.gradient(theta), state, record.t, objective=loss)
        assert values["theta_next"].tolist() == record.theta_next.tolist()
        theta = values["theta_next"]
    assert state["pairs"] == 3.0  # history_size rows, all in use
    assert state["s_history"].shape == (3, 2)


def test_max_eval_unset_is_max_iter_five_quarters() -> None:
    """Unset, max_eval is ⌊max_iter·5/4⌋ as in torch: 5 for max_iter 4, so the line search
    gets the evaluations that are left of those five."""
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    config = SPEC.configure({"max_iter": 4, "line_search_fn": "strong_wolfe"})
    assert config.values["max_eval"] is None
    unset = trajectory(config, loss, np.array([-1.5, 2.0]), 2)
    given = trajectory(config.with_values(max_eval=5), loss, np.array([-1.5, 2.0]), 2)
    assert unset.values["theta_next"].tolist() == given.values["theta_next"].tolist()
    assert max(unset.values["evaluations"]) <= 5


def test_a_step_needs_the_objective() -> None:
    program = Program(SPEC.configure({}))
    theta = np.array([1.0])
    with pytest.raises(TutorError, match="needs the objective"):
        program.step(theta, np.array([1.0]), program.init(theta), 1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_iter": 0}, "max_iter must be >= 1, got 0"),
        ({"max_eval": 0}, "max_eval must be >= 1, got 0"),
        ({"history_size": 0}, "history_size must be >= 1, got 0"),
        ({"history_size": 2.5}, "history_size must be a whole number, got 2.5"),
        ({"tolerance_grad": -1e-7}, "tolerance_grad must be >= 0, got -1e-07"),
        ({"line_search_fn": "wolfe"}, "line_search_fn must be none or strong_wolfe, got 'wolfe'"),
        ({"lr": 0}, "lr must be > 0, got 0"),
    ],
)
def test_invalid_options_are_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(HyperparameterError) as caught:
        SPEC.configure(overrides)
    assert str(caught.value) == message


# --- The command line ----------------------------------------------------------------------------


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "140", "NO_COLOR": "1"})


DEMO = ("solve", "lbfgs", "--loss", "rosenbrock", "--theta", "-1.5,2", "--steps", "3")
WOLFE = (*DEMO, "--line-search-fn", "strong_wolfe", "--max-iter", "5")


@pytest.mark.parametrize("fmt", registry.formats_for("solution"))
@pytest.mark.parametrize("args", [DEMO, WOLFE], ids=["fixed-steps", "strong-wolfe"])
def test_every_format_shows_the_inner_iterations(fmt: str, args: tuple[str, ...]) -> None:
    result = cli(*args, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    tables = [ITERATION_TABLE, PAIR_TABLE, TWO_LOOP_TABLE]
    if "strong_wolfe" in args:
        tables.append(LINE_SEARCH_TABLE)
    if fmt == "json":
        data = json.loads(result.stdout)
        for step in data["steps"]:
            assert list(step["notes"]) == tables
            values = {q["name"]: q["value"] for q in step["quantities"]}
            assert len(step["notes"][ITERATION_TABLE]) == values["iterations"]
            assert len(step["notes"][TWO_LOOP_TABLE]) == values["iterations"]
        return
    for t in (1, 2, 3):
        for table in tables:
            assert f"Step {t}: {table}" in result.stdout, (t, table)


def test_json_notes_hold_the_engines_numbers() -> None:
    data = json.loads(cli(*WOLFE, "--format", "json").stdout)
    run = trajectory(
        SPEC.configure({"line_search_fn": "strong_wolfe", "max_iter": 5}),
        compile_loss("(1 - x)**2 + 100*(y - x**2)**2"),
        np.array([-1.5, 2.0]),
        3,
    )
    for ours, record in zip(data["steps"], run.steps(), strict=True):
        trials = record.notes[LINE_SEARCH_TABLE]
        assert [row["a"] for row in ours["notes"][LINE_SEARCH_TABLE]] == [r["a"] for r in trials]
        pairs = record.notes[PAIR_TABLE]
        assert [row["y = Δg"] for row in ours["notes"][PAIR_TABLE]] == [
            r["y = Δg"].tolist() for r in pairs
        ]


def test_the_step_table_leaves_the_stored_pairs_to_the_notes() -> None:
    text = cli(*WOLFE, "--steps", "1").stdout
    for symbol in ("Kₜ", "eₜ", "dₜ", "aₜ", "pₜ", "γₜ", "ǧₜ", "Nₜ", "Eₜ", "Δθₜ", "θₜ"):
        assert f"│ {symbol} " in text, symbol
    for symbol in ("Sₜ", "Yₜ", "ρₜ", "Ľₜ"):
        assert f"│ {symbol} " not in text, symbol
    assert "max_eval (--max-eval) = none, so max_iter·5/4, rounded down" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--max-iter", "0"), "error: max_iter must be >= 1, got 0"),
        (("--max-eval", "0"), "error: max_eval must be >= 1, got 0"),
        (("--history-size", "0"), "error: history_size must be >= 1, got 0"),
        (("--tolerance-change", "-1"), "error: tolerance_change must be >= 0, got -1"),
        (("--max-iter", "2.5"), None),
        (("--line-search-fn", "wolfe"), None),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], message: str | None) -> None:
    result = cli(*DEMO, *args)
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    if message is not None:
        assert lines[0] == message


def test_help_lists_torchs_options_and_defaults() -> None:
    text = " ".join(cli("solve", "lbfgs", "--help").stdout.split())
    for option in (
        "--max-iter",
        "--max-eval",
        "--tolerance-grad",
        "--tolerance-change",
        "--history-size",
        "--line-search-fn",
    ):
        assert option in text, option
    assert "none or strong_wolfe]" in text
    assert "a whole number >= 1 (unset: max_iter·5/4, rounded down)]" in text
