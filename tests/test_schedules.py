"""Learning-rate schedules and gradient clipping against torch, without torch.

``tests/golden/torch_schedules.json`` is written by ``scripts/make_schedule_golden.py`` (which
needs torch; these tests do not): every schedule's rates (and cycled momentum) as torch's
lr_scheduler sets them, and training runs with a schedule and/or torch.nn.utils clipping.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import get_optimizer, trajectory
from tutor.engine.clipping import Clipping
from tutor.engine.schedules import (
    SCHEDULE_SPECS,
    Scheduled,
    ScheduleError,
    configure_schedule,
    get_schedule,
)
from tutor.errors import HyperparameterError, TutorError
from tutor.render.registry import formats_for, render_text
from tutor.symbolic.loss import compile_loss
from tutor.teach.problem import make_problem
from tutor.teach.schedule import parse_schedule, schedule_curve
from tutor.teach.solve import solve

GOLDEN = Path(__file__).resolve().parent / "golden" / "torch_schedules.json"
DOCUMENT: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
SCHEDULE_CASES = DOCUMENT["schedules"]
RUN_CASES = DOCUMENT["runs"]
# torch steps cosine annealing and ExponentialLR by a recursion on the previous rate; the closed
# forms agree with it to a few units in the 15th digit after 50 steps.
RATE_RTOL = 1e-13
RUN_RTOL = 1e-12

runner = CliRunner()


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _config(case: dict[str, Any]) -> Any:
    spec = get_schedule(case["schedule"])
    return spec.configure(case["arguments"], case["steps"], case["lr"] if spec.reads_lr else None)


def test_golden_file_is_well_formed() -> None:
    assert DOCUMENT["format_version"] == 1
    assert DOCUMENT["generated_by"] == "scripts/make_schedule_golden.py"
    assert len(set(_ids(SCHEDULE_CASES))) == len(SCHEDULE_CASES)
    assert len(set(_ids(RUN_CASES))) == len(RUN_CASES)


@pytest.mark.parametrize("spec", SCHEDULE_SPECS, ids=lambda s: s.name)
def test_every_schedule_and_argument_is_checked_against_torch(spec: Any) -> None:
    cases = [c for c in SCHEDULE_CASES if c["schedule"] == spec.name]
    assert cases, f"no golden case for {spec.name}"
    set_somewhere = {name for case in cases for name in case["arguments"]}
    missing = {p.name for p in spec.parameters} - set_somewhere
    assert not missing, f"{spec.name}: no golden case sets {sorted(missing)}"


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_ids(SCHEDULE_CASES))
def test_rates_match_torch(case: dict[str, Any]) -> None:
    rates = _config(case).rates(case.get("losses"))
    np.testing.assert_allclose(rates["lr"], case["rates"], rtol=RATE_RTOL, atol=0)
    if "momenta" in case:
        np.testing.assert_allclose(rates["momentum"], case["momenta"], rtol=RATE_RTOL, atol=0)
    else:
        assert "momentum" not in rates


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_ids(SCHEDULE_CASES))
def test_step_by_step_evaluation_equals_the_vectorised_one(case: dict[str, Any]) -> None:
    config = _config(case)
    rates = config.rates(case.get("losses"))
    run = config.run()
    losses = case.get("losses")
    for t in range(1, case["steps"] + 1):
        row = run.advance(losses[t - 2] if losses and t > 1 else None)
        for key, column in rates.items():
            value = column[t - 1]
            assert row[key] == value or (math.isnan(row[key]) and math.isnan(value)), (t, key)


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_ids(SCHEDULE_CASES))
def test_printed_formulas_compute_the_values_shown(case: dict[str, Any]) -> None:
    """Each row of a table: the formula beside a value, evaluated with the numbers shown next
    to it, gives that value (so the printed rule is the rule that ran)."""
    curve = schedule_curve(
        case["schedule"],
        case["arguments"],
        case["steps"],
        case["lr"] if get_schedule(case["schedule"]).reads_lr else None,
        case.get("losses"),
    )
    checked = 0
    for t in range(1, case["steps"] + 1):
        for line in curve.trace.lines(t):
            with np.errstate(all="ignore"):
                again = float(line.formula.evaluate(line.environment))
            assert again == pytest.approx(line.value, rel=1e-15, abs=0), (t, line.key)
            assert line.formula.plain(line.environment) and line.formula.latex()
            checked += 1
    assert checked >= case["steps"]


def _run(case: dict[str, Any]) -> Any:
    spec = get_optimizer(case["optimizer"])
    config = spec.configure(case["hyperparameters"])
    shapes = {name: tuple(shape) for name, shape in case["shapes"].items()}
    data = {name: np.array(values) for name, values in case["data"].items()}
    loss = compile_loss(case["loss"], case["params"], shapes=shapes or None, data=data or None)
    scheduled = None
    if case["schedule"] is not None:
        chosen = configure_schedule(
            case["schedule"]["name"],
            case["schedule"]["arguments"],
            case["steps"],
            config.values["lr"],
        )
        scheduled = Scheduled(chosen, spec.name, [h.name for h in spec.hyperparameters])
    if case["clipping"] is not None:
        clip = dict(case["clipping"])
        if "norm_type" in clip:
            clip["norm_type"] = float(clip["norm_type"])
        config = config.with_clipping(Clipping(**clip))
    start = np.array(case["start"], dtype=np.float64)
    return trajectory(config, loss, start, case["steps"], layout=loss.layout, schedule=scheduled)


@pytest.mark.parametrize("case", RUN_CASES, ids=_ids(RUN_CASES))
def test_runs_with_schedules_and_clipping_match_torch(case: dict[str, Any]) -> None:
    run = _run(case)
    assert run.divergence is None
    ours = np.vstack([run.theta, run.values["theta_next"][-1:]])
    expected = np.array(case["thetas"])
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(ours, expected, rtol=RUN_RTOL, atol=RUN_RTOL * 1e-3 * scale)
    if case["schedule"] is not None:
        np.testing.assert_allclose(run.hyper["lr"], case["rates"], rtol=RATE_RTOL, atol=0)
    if "norms" in case:
        np.testing.assert_allclose(run.values["grad_norm"], case["norms"], rtol=1e-14, atol=0)
        assert np.any(run.values["clip_coef"] < 1), "the case never clips"


def test_clipping_cases_cover_every_rule() -> None:
    rules = {
        ("value",) if "clip_value" in c["clipping"] else ("norm", c["clipping"]["norm_type"])
        for c in RUN_CASES
        if c["clipping"] is not None
    }
    assert {("value",), ("norm", 1.0), ("norm", 2.0), ("norm", "inf")} <= rules


# --- Units ----------------------------------------------------------------------------------------


def test_onecycle_cycles_beta1_of_adam_and_momentum_of_sgd() -> None:
    chosen = configure_schedule("onecycle", {"max_lr": 0.1}, 10, None)
    adam, sgd = get_optimizer("adam"), get_optimizer("sgd")
    assert Scheduled(chosen, "adam", [h.name for h in adam.hyperparameters]).momentum == "beta1"
    assert Scheduled(chosen, "sgd", [h.name for h in sgd.hyperparameters]).momentum == "momentum"
    adagrad = get_optimizer("adagrad")
    with pytest.raises(ScheduleError, match="cycle_momentum=false"):
        Scheduled(chosen, "adagrad", [h.name for h in adagrad.hyperparameters])


def test_rprop_reads_the_scheduled_rate_only_for_its_first_step_sizes() -> None:
    problem = make_problem(
        "rprop",
        loss="himmelblau",
        steps=4,
        hyperparameters={"lr": 0.05},
        schedule="exponential:gamma=0.5",
    )
    assert any("changes nothing after step 1" in note for note in problem.notes)
    plain = make_problem("rprop", loss="himmelblau", steps=4, hyperparameters={"lr": 0.05})
    np.testing.assert_array_equal(problem.run().final_theta, plain.run().final_theta)


def test_a_cosine_run_shows_each_steps_rate() -> None:
    problem = make_problem(
        "sgd",
        loss="quadratic",
        theta=[3.0],
        steps=3,
        hyperparameters={"lr": 0.4},
        schedule="cosine:t_max=3,eta_min=0.01",
    )
    solution = solve(problem)
    expected = [0.01 + (0.4 - 0.01) * (1 + math.cos(math.pi * k / 3)) / 2 for k in range(3)]
    np.testing.assert_allclose(solution.run.hyper["lr"], expected, rtol=1e-15)
    assert solution.step(2).values["update"] == pytest.approx(expected[1] * 2 * (1.4 - 1))
    text = render_text(solution, "rich", width=160)
    assert "ηₜ" in text and "CosineAnnealingLR(optimizer, T_max=3, eta_min=0.01)" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cosine", ("cosine", {})),
        ("cosine:t_max=10,eta_min=0.001", ("cosine", {"t_max": 10.0, "eta_min": 0.001})),
        (
            " multistep : milestones=[3, 6] , gamma=0.5",
            ("multistep", {"milestones": (3.0, 6.0), "gamma": 0.5}),
        ),
        (
            "cyclic:mode=triangular2,cycle_momentum=false",
            ("cyclic", {"mode": "triangular2", "cycle_momentum": False}),
        ),
    ],
)
def test_schedule_text_is_parsed_through_a_whitelist(text: str, expected: Any) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cosine:t_max", "not of the form name=value"),
        ("cosine:t_max=__import__('os')", "not a number, word or list"),
        ("multistep:milestones=[3,", "without its ']'"),
        ("cosine:t_max=1,t_max=2", "given twice"),
        (":t_max=1", "start with a schedule name"),
        ("cosin", "did you mean 'cosine'"),
        ("cosine:tmax=3", "has no argument 'tmax'"),
        ("cosine:t_max=0", "t_max must be >= 1"),
        ("step", "needs step_size"),
        ("onecycle:max_lr=0.1,total_steps=3", "total_steps=3 steps but 5"),
        ("onecycle:lr=0.1,max_lr=0.1", "sets the rate itself"),
        ("plateau:factor=1.5", "factor must be < 1"),
        ("multistep", "needs milestones"),
        ("cyclic:base_lr=0.1,max_lr=0.01", "max_lr must be >= base_lr"),
    ],
)
def test_bad_schedules_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(TutorError, match=message.replace("[", r"\[").replace("(", r"\(")):
        make_problem("sgd", steps=5, hyperparameters={"momentum": 0.9}, schedule=text)


def test_clipping_rules_are_validated() -> None:
    with pytest.raises(HyperparameterError, match="choose one"):
        Clipping()
    with pytest.raises(HyperparameterError, match="choose one"):
        Clipping(max_norm=1.0, clip_value=1.0)
    with pytest.raises(HyperparameterError, match="--clip-norm must be a number > 0"):
        Clipping(max_norm=0.0)
    with pytest.raises(HyperparameterError, match="--norm-type"):
        Clipping(max_norm=1.0, norm_type=-1.0)
    newton = get_optimizer("newton").configure({})
    with pytest.raises(HyperparameterError, match="first-order optimizers"):
        newton.with_clipping(Clipping(max_norm=1.0))


def test_norm_clipping_scales_by_max_norm_over_norm_plus_a_millionth() -> None:
    config = get_optimizer("sgd").configure({"lr": 1.0}).with_clipping(Clipping(max_norm=1.0))
    loss = compile_loss("3*x + 4*y")  # gradient (3, 4), norm 5
    run = trajectory(config, loss, np.zeros(2), 1, layout=loss.layout)
    coef = 1.0 / (5.0 + 1e-6)
    assert run.values["grad_norm"][0] == pytest.approx(5.0, rel=1e-15)
    assert run.values["clip_coef"][0] == pytest.approx(coef, rel=1e-15)
    np.testing.assert_allclose(run.values["theta_next"][0], [-3 * coef, -4 * coef], rtol=1e-15)
    short = get_optimizer("sgd").configure({"lr": 1.0}).with_clipping(Clipping(max_norm=10.0))
    run = trajectory(short, loss, np.zeros(2), 1, layout=loss.layout)
    assert run.values["clip_coef"][0] == 1.0  # a short gradient is left alone
    np.testing.assert_array_equal(run.values["g_clipped"][0], [3.0, 4.0])


def test_clipping_comes_before_l2_weight_decay() -> None:
    """torch's loop clips the loss gradient; SGD then adds λθ to the clipped gradient."""
    clip = Clipping(clip_value=0.5)
    config = get_optimizer("sgd").configure({"lr": 0.1, "weight_decay": 1.0}).with_clipping(clip)
    loss = compile_loss("10*x")
    run = trajectory(config, loss, np.array([2.0]), 1, layout=loss.layout)
    assert run.values["g_clipped"][0][0] == 0.5
    assert run.values["theta_next"][0][0] == pytest.approx(2.0 - 0.1 * (0.5 + 1.0 * 2.0))


# --- Command line ---------------------------------------------------------------------------------

FIRST_CASE = {c["schedule"]: c for c in reversed(SCHEDULE_CASES)}


def _schedule_args(case: dict[str, Any]) -> list[str]:
    args = ["schedule", case["schedule"], "--steps", str(case["steps"])]
    if get_schedule(case["schedule"]).reads_lr:
        args += ["--lr", str(case["lr"])]
    for name, value in case["arguments"].items():
        option = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            args.append(option if value else f"--no-{option[2:]}")
        elif isinstance(value, list):
            args += [option, ",".join(str(v) for v in value)]
        else:
            args += [option, str(value)]
    if "losses" in case:
        args += ["--losses", ",".join(str(x) for x in case["losses"][: case["steps"] - 1])]
    return args


@pytest.mark.parametrize("name", [s.name for s in SCHEDULE_SPECS])
@pytest.mark.parametrize("fmt", formats_for("schedule"))
def test_tutor_schedule_prints_every_schedule_in_every_format(name: str, fmt: str) -> None:
    case = FIRST_CASE[name]
    result = runner.invoke(app, [*_schedule_args(case), "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(result.stdout)
        rates = [step["lr"] for step in data["steps"]]
        np.testing.assert_allclose(rates, case["rates"], rtol=RATE_RTOL)
        assert data["schedule"]["name"] == name
    else:
        assert str(case["steps"]) in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schedule", "cosin"], "did you mean 'cosine'"),
        (
            ["schedule", "cosine", "--max-lr", "0.1"],
            "has no option --max-lr (it belongs to onecycle, cyclic)",
        ),
        (["schedule", "onecycle", "--max-lr", "0.1", "--lr", "0.1"], "leave out --lr"),
        (["schedule", "plateau"], "give them with --losses"),
        (["schedule", "plateau", "--losses", "1,x"], "comma-separated numbers"),
        (["schedule", "cosine", "--losses", "1,2"], "goes with the plateau schedule"),
        (["schedule", "cosine", "--steps", "0"], "steps"),
        (["solve", "sgd", "--schedule", "cosine:t_max=-1"], "t_max must be >= 1"),
        (["solve", "adagrad", "--schedule", "onecycle:max_lr=0.1"], "cycle_momentum=false"),
        (["solve", "sgd", "--clip-norm", "1", "--clip-value", "1"], "choose one clipping rule"),
        (["solve", "sgd", "--norm-type", "1"], "--norm-type goes with --clip-norm"),
        (["solve", "sgd", "--clip-norm", "-1"], "--clip-norm must be a number > 0"),
        (["solve", "newton", "--loss", "himmelblau", "--clip-norm", "1"], "first-order"),
    ],
)
def test_bad_command_lines_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


@pytest.mark.parametrize("fmt", formats_for("solution"))
def test_solve_with_a_schedule_and_clipping_in_every_format(fmt: str) -> None:
    if fmt == "gradescope":
        pytest.skip("gradescope shows grade reports only")
    result = runner.invoke(
        app,
        [
            "solve",
            "adam",
            "--loss",
            "rosenbrock",
            "--lr",
            "0.05",
            "-n",
            "4",
            "--schedule",
            "onecycle:max_lr=0.05",
            "--clip-norm",
            "5",
            "--norm-type",
            "inf",
            "--format",
            fmt,
        ],
    )
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["schedule"]["momentum"] == "beta1"
        assert data["clipping"]["norm_type"] == "inf"
        assert data["steps"][0]["schedule"]["lr"] == pytest.approx(0.05 / 25)
        names = [q["name"] for q in data["steps"][0]["quantities"]]
        assert names[:3] == ["grad_norm", "clip_coef", "g_clipped"]


def test_every_symbol_is_printable_latex() -> None:
    """No symbol's LaTeX holds a control character (``r"\\text"`` once became a TAB followed
    by ``ext``, which TeX prints as the letters "ext")."""
    from tutor.engine import OPTIMIZERS
    from tutor.engine.schedules import SCHEDULES

    symbols = [p.symbol for spec in SCHEDULES.values() for p in spec.parameters]
    symbols += [h.symbol for spec in OPTIMIZERS.values() for h in spec.hyperparameters]
    assert len(symbols) > 50
    for symbol in symbols:
        assert symbol.tex.isprintable() and symbol.text.isprintable(), symbol
