"""``tutor explain``: every topic renders in every format, its links and names resolve, its
computed parts come from the engine when it is shown, and the linter catches broken content.

Topics are enumerated from the registry (the file names); the only list written here is the set
of ids the issue requires, all of which the registry must hold.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_render import check_latex_fragment, check_markdown
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.content import hooks
from tutor.content.explain import bundled_topics, check_topics, find_topic, groups
from tutor.content.texmath import COMMANDS, TexError, normalize, to_unicode
from tutor.content.topics import topic_ids
from tutor.engine import OPTIMIZERS, get_optimizer
from tutor.engine.formula import Computed, Expr
from tutor.render import registry
from tutor.render.blocks import Bullets, Fields, Heading, Paragraph, Preformatted, Table, Text
from tutor.render.options import RenderOptions
from tutor.teach import examples
from tutor.teach.explain import explain

REQUIRED = {
    "adafactor", "adagrad", "adam-8bit", "adam", "adamax", "adamw", "batchnorm-vs-layernorm",
    "bias-correction", "contrastive-and-triplet", "conventions", "convexity", "cosine-annealing",
    "cross-entropy", "cyclical-lr", "focal-loss", "gradient-clipping", "infonce", "kkt", "l1-l2",
    "lbfgs", "learning-rate", "lion", "minibatch", "mixed-precision", "momentum", "muon", "nadam",
    "natural-gradient", "nesterov", "newton", "onecycle", "radam", "reduce-on-plateau",
    "rmsprop", "saddle-points", "sgd", "warmup", "weight-decay-vs-l2", "zero",
}  # fmt: skip
TOPICS = topic_ids()
FORMATS = registry.formats_for("explanation")


def run(*args: str, width: int = 100) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width), "NO_COLOR": "1"})


def text(*args: str) -> str:
    """The terminal output, wide enough that no sentence is wrapped."""
    result = run(*args, width=2000)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def data(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def error_line(*args: str) -> str:
    """The one stderr line of a refused command (exit 2, nothing on stdout)."""
    result = run(*args)
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- The registry --------------------------------------------------------------------------------


def test_the_registry_holds_every_required_topic() -> None:
    """The issue's topics all exist; topics added since (a new optimizer's) need no code."""
    assert set(TOPICS) >= REQUIRED


def test_the_linter_finds_nothing_in_the_bundled_topics() -> None:
    result = run("explain", "--check")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_topic_renders_in_every_format(topic: str, fmt: str) -> None:
    result = run("explain", topic, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    title = bundled_topics()[topic].title
    if fmt == "json":
        parsed = json.loads(text)
        assert parsed["format_version"] == 1
        assert parsed["topic"]["id"] == topic
    elif fmt == "markdown":
        check_markdown(text)
        assert text.startswith(f"# {title}")
    elif fmt == "latex":
        check_latex_fragment(text)
    else:
        assert text.startswith(title)


def test_every_alias_resolves_to_its_topic() -> None:
    for topic in bundled_topics().values():
        for name in (topic.id, topic.id.upper(), topic.id.replace("-", " "), *topic.aliases):
            assert find_topic(name).id == topic.id, name


@pytest.mark.parametrize(
    ("name", "topic"),
    [
        ("bias correction", "bias-correction"),
        ("adam-vs-adamw", "weight-decay-vs-l2"),
        ("l2", "l1-l2"),
        ("cosine", "cosine-annealing"),
    ],
)
def test_the_issues_names_reach_their_topics(name: str, topic: str) -> None:
    assert data("explain", name)["topic"]["id"] == topic


def test_every_related_link_is_a_topic() -> None:
    for topic in bundled_topics().values():
        assert topic.related, topic.id
        for related in topic.related:
            assert related in TOPICS and related != topic.id, (topic.id, related)


def test_exercises_and_quiz_questions_name_registered_topics() -> None:
    import tomllib

    from tutor.content.index import bundled_index

    assert {e.topic for e in bundled_index()} <= set(TOPICS)
    quiz = Path(__file__).resolve().parent.parent / "tutor" / "data" / "quiz"
    for path in sorted(quiz.glob("*.toml")):
        for question in tomllib.loads(path.read_text(encoding="utf-8")).get("question", []):
            assert question["topic"] in TOPICS, (path.name, question["id"])


def test_an_unknown_topic_suggests_close_names() -> None:
    assert error_line("explain", "bias-corection") == (
        "error: unknown topic 'bias-corection' (did you mean 'bias-correction'?)"
    )
    assert "did you mean 'momentum'" in error_line("explain", "momentun")
    assert error_line("explain", "zzzz") == (
        "error: unknown topic 'zzzz' ('tutor explain' lists the topics)"
    )


def test_the_list_shows_every_topic_once_by_group() -> None:
    listed = data("explain")["groups"]
    ids = [t["id"] for group in listed for t in group["topics"]]
    assert sorted(ids) == sorted(TOPICS)
    expected = [(g, [t.id for t in ts]) for g, ts in groups(bundled_topics().values())]
    assert [(g["name"], [t["id"] for t in g["topics"]]) for g in listed] == expected
    text = run("explain").stdout
    for group, topics in expected:
        assert group in text
        for topic in topics:
            assert topic in text
    assert bundled_topics()["bias-correction"].summary.split(",")[0] in text


# --- The example is computed when it is shown ---------------------------------------------------


def test_bias_correction_shows_the_factors_and_m_versus_m_hat() -> None:
    text = run("explain", "bias-correction").stdout
    for piece in ("1 / (1 − β₁ᵗ)", "1 / (1 − β₂ᵗ)", "m̂ₜ", "Adam's moments on a constant gradient"):
        assert piece in text
    example = data("explain", "bias-correction")["example"]
    t = np.arange(1, 11)
    assert example["t"] == t.tolist()
    assert example["factor1"] == pytest.approx(1 / (1 - 0.9**t), rel=1e-12)
    assert example["factor2"] == pytest.approx(1 / (1 - 0.999**t), rel=1e-12)
    assert example["m"] == pytest.approx(1 - 0.9**t, rel=1e-12)  # g = 1
    assert example["m_hat"] == pytest.approx([1.0] * 10, rel=1e-12)
    assert example["v_hat"] == pytest.approx([1.0] * 10, rel=1e-12)


def test_changing_an_input_changes_the_example() -> None:
    default = data("explain", "bias-correction")["example"]
    changed = data("explain", "bias correction", "--beta1", "0.5", "--set", "g=3", "-n", "4")
    example = changed["example"]
    assert default["factor1"][0] == pytest.approx(10.0)
    assert example["factor1"][0] == pytest.approx(2.0)
    assert len(example["t"]) == 4
    assert example["m_hat"] == pytest.approx([3.0] * 4)
    assert changed["overrides"] == {"beta1": "0.5", "g": "3", "steps": "4"}


def test_adam_takes_the_learning_rate_and_steps_given() -> None:
    run_default = data("explain", "adam")["example"]["run"]
    run_given = data("explain", "adam", "--lr", "0.01", "--steps", "5")["example"]["run"]
    assert run_given["hyperparameters"]["lr"] == 0.01
    assert len(run_given["steps"]) == 5
    assert run_given["steps"][0]["values"]["update"] == pytest.approx([0.01], rel=1e-6)
    assert run_default["steps"][0]["values"]["update"] == pytest.approx([0.1], rel=1e-6)
    text = run("explain", "adam", "--lr", "0.01", "--steps", "5").stdout
    assert "tutor solve adam --loss quadratic --theta 2 --steps 5 --lr 0.01" in text


def test_weight_decay_differs_per_parameter_only_with_l2_inside_adam() -> None:
    example = data("explain", "adam-vs-adamw")["example"]
    lr, wd = example["lr"], example["weight_decay"]
    decoupled = np.array(example["decoupled"]["decay_fraction"])
    l2 = np.array(example["l2"]["decay_fraction"])
    assert decoupled == pytest.approx(np.full_like(decoupled, lr * wd), rel=1e-9)
    assert l2.shape == (5, 2)
    ratio = l2[1:, 0] / l2[1:, 1]  # x's gradients are 100 times smaller than y's
    assert np.all(ratio > 50)
    assert l2[-1, 0] == pytest.approx(5.93247418e-04, rel=1e-6)
    assert l2[-1, 1] == pytest.approx(6.22855847e-06, rel=1e-6)
    assert "the same fraction, ηλ = 0.01, for every coordinate" in text(
        "explain", "weight-decay-vs-l2"
    )


def test_momentum_shows_a_table_and_a_plot_of_both_runs() -> None:
    result = explain("momentum")
    example = result.example
    plain, heavy = example.plain, example.heavy
    assert plain.reversals().tolist() == [0, plain.steps - 1]  # y flips on every step
    assert heavy.loss[-1] < plain.loss[-1] / 5
    assert example.limit_plain == pytest.approx(0.01)
    document = registry.document(result, RenderOptions())
    plots = [b for b in document.blocks if isinstance(b, Preformatted)]
    assert len(plots) == 1 and "* without momentum   o with momentum" in plots[0].text
    assert any(isinstance(b, Table) and "Every few steps" in str(b.title) for b in document.blocks)


def test_adagrad_shows_the_effective_learning_rate_shrinking() -> None:
    example = explain("adagrad").example
    rates = example.effective_lr
    assert np.all(np.diff(rates, axis=0) < 0)
    g = example.grad
    expected = 0.1 / (np.sqrt(np.cumsum(g**2, axis=0)) + 1e-10)
    assert rates == pytest.approx(expected, rel=1e-12)


def test_examples_the_engine_cannot_compute_say_so() -> None:
    import importlib.util

    pending = [t for t in TOPICS if isinstance(explain(t).example, examples.Unavailable)]
    if importlib.util.find_spec("tutor.engine.schedules") is None:
        assert {"cosine-annealing", "warmup", "onecycle", "cyclical-lr"} <= set(pending)
    for topic in pending:
        text = run("explain", topic).stdout
        section = text.split("Worked example", 1)[1].split("Pitfalls", 1)[0]
        assert "Not computed yet: " in section
        assert "Once it does, this example will show" in section
    newton = explain("newton").example
    assert newton.eigenvalues.tolist() == pytest.approx([-42.0, -26.0])
    assert isinstance(newton.steps, examples.SolveSteps) == ("newton" in OPTIMIZERS)


def test_a_schedule_is_the_engines_curve_with_a_plot() -> None:
    import importlib.util

    if importlib.util.find_spec("tutor.engine.schedules") is None:
        pytest.skip("the engine has no schedules yet (the example says so)")
    example = explain("cosine", {"lr": 0.5, "steps": 40, "t_max": 40}).example
    k = np.arange(40)
    assert example.lr == pytest.approx(0.001 + (0.5 - 0.001) * (1 + np.cos(np.pi * k / 40)) / 2)
    document = registry.document(explain("cosine-annealing"), RenderOptions())
    plots = [b for b in document.blocks if isinstance(b, Preformatted)]
    assert len(plots) == 1 and "* learning rate" in plots[0].text


# --- The spec's parts ----------------------------------------------------------------------------


def _textbook(formula: Expr) -> Expr:
    return formula.transform(lambda n: _textbook(n.shown) if isinstance(n, Computed) else None)


SPEC_TOPICS = [t for t in TOPICS if "equations" in bundled_topics()[t].placeholders()]


@pytest.mark.parametrize("topic", SPEC_TOPICS)
def test_the_equations_shown_are_the_ones_the_spec_computes(topic: str) -> None:
    result = explain(topic)
    spec = get_optimizer(bundled_topics()[topic].optimizer)  # type: ignore[arg-type]
    names = {h.name for h in spec.hyperparameters}
    config = spec.configure({k: v for k, v in result.options.items() if k in names})
    algorithm = config.algorithm()
    expected = [
        f"{q.symbol.text} = {_textbook(algorithm.formulas[q.key]).plain()}"
        for q in algorithm.quantities
    ]
    document = registry.document(result, RenderOptions())
    shown = [
        " = ".join(cell[0].plain for cell in row[:2])  # type: ignore[union-attr]
        for block in document.blocks
        if isinstance(block, Table) and block.columns[1].header == (Text("formula"),)
        for row in block.rows
    ]
    for line in expected:
        assert line in shown, line
    parsed = data("explain", topic)["equations"]
    assert [f"{e['symbol']} = {e['formula']}" for e in parsed] == expected


def test_the_hyperparameters_and_defaults_come_from_the_spec() -> None:
    parsed = data("explain", "adam")
    spec = get_optimizer("adam")
    assert [(h["name"], h["default"]) for h in parsed["hyperparameters"]] == [
        (h.name, h.default) for h in spec.hyperparameters
    ]
    text = run("explain", "adam").stdout
    assert f"β₁ = {spec.hyperparameter('beta1').default}, β₂ = 0.999 and ε = 1e-08" in text
    assert {c["name"] for c in parsed["conventions"]} == {c.name for c in spec.conventions}


def test_torchs_order_of_operations_is_said_once() -> None:
    text = run("explain", "adam", "--format", "markdown").stdout
    assert text.count("evaluates") == 1
    assert "in another order than printed" in text


# --- Losses, clipping, memory: computed from the inputs --------------------------------------


def _numeric_gradient(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = h
        out[i] = (f(x + step) - f(x - step)) / (2 * h)
    return out


def test_cross_entropy_and_infonce_gradients_match_finite_differences() -> None:
    z = np.array([2.0, 0.5, -1.0])
    ce = examples.cross_entropy(z, 0)
    numeric = _numeric_gradient(lambda v: examples.cross_entropy(v, 0).value, z)
    assert ce.gradient == pytest.approx(numeric, abs=1e-8)
    assert ce.value == pytest.approx(-math.log(math.exp(2) / sum(math.exp(v) for v in z)))
    s = np.array([0.9, 0.6, 0.3, -0.2])
    nce = examples.info_nce(s, 0, 0.1)
    numeric = _numeric_gradient(lambda v: examples.info_nce(v, 0, 0.1).value, s)
    assert nce.gradient == pytest.approx(numeric, abs=1e-6)
    big = examples.cross_entropy(np.array([1000.0, 0.0]), 1)  # stable log-softmax
    assert big.value == pytest.approx(1000.0)


@pytest.mark.parametrize("p", [0.05, 0.3, 0.9, 0.999])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_focal_loss_derivatives_match_finite_differences(p: float, gamma: float) -> None:
    row = examples.focal_row(p, gamma, 0.25)
    assert row.value == pytest.approx(-0.25 * (1 - p) ** gamma * math.log(p))
    h = 1e-7 * min(p, 1 - p)
    numeric = (
        examples.focal_row(p + h, gamma, 0.25).value - examples.focal_row(p - h, gamma, 0.25).value
    ) / (2 * h)
    assert row.d_p == pytest.approx(numeric, rel=1e-5)

    def by_logit(z: float) -> float:
        return examples.focal_row(1 / (1 + math.exp(-z)), gamma, 0.25).value

    z = math.log(p / (1 - p))
    assert row.d_logit == pytest.approx((by_logit(z + 1e-6) - by_logit(z - 1e-6)) / 2e-6, rel=1e-5)


def test_focal_loss_keeps_more_of_a_hard_examples_loss() -> None:
    rows = data("explain", "focal-loss")["example"]["rows"]
    easy, hard = rows
    assert (easy["p"], hard["p"]) == (0.9, 0.1)
    assert easy["factor"] == pytest.approx(0.01) and hard["factor"] == pytest.approx(0.81)


def test_triplet_and_contrastive_gradients_match_finite_differences() -> None:
    a, p, n = np.array([0.0, 0.0]), np.array([1.0, 0.2]), np.array([0.3, 1.1])
    t = examples.triplet(a, p, n, 1.0)
    assert t.active
    for name, point in (("anchor", a), ("positive", p), ("negative", n)):

        def value(x: np.ndarray, name: str = name) -> float:
            args = {"anchor": a, "positive": p, "negative": n, name: x}
            return examples.triplet(args["anchor"], args["positive"], args["negative"], 1.0).value

        assert t.gradients[name] == pytest.approx(_numeric_gradient(value, point), abs=1e-6)
    far = examples.triplet(a, p, np.array([5.0, 5.0]), 1.0)
    assert far.value == 0 and not far.active
    assert all(not np.any(g) for g in far.gradients.values())
    x1, x2 = np.array([0.0, 0.0]), np.array([0.5, 0.1])
    for y in (0, 1):
        c = examples.contrastive(x1, x2, y, 1.0)
        numeric = _numeric_gradient(lambda v, y=y: examples.contrastive(v, x2, y, 1.0).value, x1)
        assert c.gradients["x1"] == pytest.approx(numeric, abs=1e-6)


def test_absolute_and_squared_error_gradients_match_finite_differences() -> None:
    yhat, y = np.array([2.5, 0.1, 2.2, 8.0]), np.array([3.0, -0.5, 2.0, 7.0])
    r = examples.residuals("l1", yhat, y)
    assert r.grad_mae == pytest.approx(
        _numeric_gradient(lambda v: examples.residuals("l1", v, y).mae, yhat), abs=1e-6
    )
    assert r.grad_mse == pytest.approx(
        _numeric_gradient(lambda v: examples.residuals("l1", v, y).mse, yhat), abs=1e-6
    )


def test_clipping_follows_torch() -> None:
    example = data("explain", "gradient-clipping")["example"]
    coefficient = 1.0 / (13.0 + 1e-6)
    assert example["norm"] == 13.0
    assert example["coefficient"] == pytest.approx(coefficient, rel=1e-15)
    assert example["by_norm"] == pytest.approx(
        [3 * coefficient, -4 * coefficient, 12 * coefficient]
    )
    assert example["by_value"] == [1.0, -1.0, 1.0]
    small = data("explain", "gradient-clipping", "--set", "g=0.3,0.4")["example"]
    assert small["coefficient"] == 1.0 and small["by_norm"] == [0.3, 0.4]


def test_memory_reproduces_the_zero_papers_example() -> None:
    table = explain("zero").example  # 7.5e9 parameters on 64 GPUs
    gb = {row.name: row.total * table.params / 1e9 for row in table.rows}
    assert gb["Adam, mixed precision"] == pytest.approx(120)
    assert gb["ZeRO stage 1"] == pytest.approx(31.4, abs=0.05)
    assert gb["ZeRO stage 2"] == pytest.approx(16.6, abs=0.05)
    assert gb["ZeRO stage 3"] == pytest.approx(1.875)
    one = explain("zero", {"gpus": 1}).example
    assert one.row("ZeRO stage 3").total == one.row("Adam, mixed precision").total == 16


def test_convexity_and_saddle_examples() -> None:
    check = explain("convexity").example
    assert not check.convex_on_grid and check.violation_count > 0
    bowl = explain("convexity", {"loss": "x**2 + y**2"}).example
    assert bowl.convex_on_grid and bowl.violation_count == 0
    saddle = explain("saddle-points").example
    assert saddle.eigenvalues.tolist() == pytest.approx([-2.0, 2.0])
    assert saddle.growth()[:, 0] == pytest.approx(0.8) and saddle.growth()[:, 1] == pytest.approx(
        1.2
    )


# --- Options and errors --------------------------------------------------------------------------


def test_an_option_the_example_does_not_take_is_refused_with_the_ones_it_takes() -> None:
    assert error_line("explain", "bias-correction", "--lr", "0.1") == (
        "error: the example of 'bias-correction' (bias_correction) takes no option 'lr' "
        "(it takes: beta1, beta2, g, steps)"
    )
    assert error_line("explain", "kkt", "--momentum", "0.9") == (
        "error: topic 'kkt' has no worked example, so it takes no options (given: momentum)"
    )
    assert error_line("explain", "focal-loss", "--set", "gamma") == (
        "error: --set takes NAME=VALUE (for example --set gamma=0.5), got 'gamma'"
    )
    assert "gamma must be a number >= 0" in error_line("explain", "focal-loss", "--set", "gamma=-1")
    assert "given twice" in error_line("explain", "adam", "--lr", "0.1", "--set", "lr=0.2")


def test_every_shortcut_flag_is_an_option_of_the_command() -> None:
    from tutor.cli.explain import explain as command

    help_text = run("explain", "--help").stdout
    for name in hooks.SHORTCUTS:
        assert f"--{name.replace('_', '-')}" in help_text
    assert set(hooks.SHORTCUTS) <= set(command.__annotations__)


def test_quiz_hands_over_or_says_it_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``tutor quiz`` registered, --quiz runs it with --topic set to the topic's id (here a
    stand-in that records the call); without it, the refusal says the quiz is not available."""
    registered = [info for info in app.registered_commands if info.name == "quiz"]
    if not registered:
        assert error_line("explain", "bias correction", "--quiz") == (
            "error: the quiz is not available yet ('tutor quiz' does not exist), so there are "
            "no questions to hand over to; read 'tutor explain bias-correction' instead"
        )
        return
    called: list[str | None] = []

    def stand_in(topic: str | None = None) -> None:
        called.append(topic)

    monkeypatch.setattr(registered[0], "callback", stand_in)
    result = run("explain", "bias correction", "--quiz")
    assert result.exit_code == 0, result.stderr
    assert called == ["bias-correction"]


# --- The content and its linter ------------------------------------------------------------------


def test_every_example_kind_has_a_function_and_back() -> None:
    assert set(examples.HOOKS) == set(hooks.EXAMPLES)


def test_every_command_of_the_latex_subset_converts() -> None:
    arguments = {"text": "{ab}", "mathrm": "{ab}", "operatorname": "{ab}", "mathbb": "{R}"}
    for command in COMMANDS:
        if command in ("left", "right"):
            tex = r"\left( x \right)"
        elif command in ("frac",):
            tex = r"\frac{a}{b}"
        elif len(command) == 1:
            tex = f"x \\{command} y"
        else:
            tex = f"\\{command}{arguments.get(command, '{x}')}"
        assert to_unicode(tex), tex
    assert to_unicode(r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}") == "m̂ₜ = mₜ/(1 − β₁ᵗ)"
    assert normalize(r"\frac{\text{π} t}{2}") == r"\frac{\pi t}{2}"
    for bad in (r"\foo", r"\frac{a}{b", "a}", "π", r"\text{\alpha}", r"\\", r"\mathbb{Q}"):
        with pytest.raises(TexError):
            to_unicode(bad)


GOOD = """+++
format_version = 1
id = "{id}"
title = "A topic"
group = "Adaptive methods"
summary = "One line."
aliases = ["{alias}"]
related = ["{related}"]
{extra}
+++

## Intuition

Words with $\\beta_1$ and `code`.

## The math

{math}

## Pitfalls

- One.
"""


def _write(folder: Path, topic: str, **fields: str) -> None:
    values = {"id": topic, "alias": f"{topic} alias", "related": "", "extra": "", "math": ""}
    values.update(fields)
    (folder / f"{topic}.md").write_text(GOOD.format(**values), encoding="utf-8")


def test_the_linter_reports_each_problem_as_file_key_message(tmp_path: Path) -> None:
    _write(tmp_path, "alpha", related="beta")
    _write(tmp_path, "beta", related="alpha", alias="alpha")
    _write(tmp_path, "gamma", related="nowhere", extra='colour = "red"')
    _write(tmp_path, "delta", related="alpha", math="$$\\unknown{x}$$")
    _write(
        tmp_path,
        "epsilon",
        related="alpha",
        extra='optimizer = "adam"\nexample = "bias_correction"\n[options]\nlr = 0.1',
        math="{{ example }}\n\n{{ wrong }}\n\nText and {{ defaults adam }}.",
    )
    problems = check_topics(tmp_path)
    text = "\n".join(problems)
    assert f"{tmp_path / 'beta.md'}: aliases[0]: 'alpha' is the id of another topic" in problems
    assert f"{tmp_path / 'gamma.md'}: colour: unknown key" in text
    assert f"{tmp_path / 'delta.md'}: body line " in text and "\\unknown" in text
    assert "unknown placeholder {{ wrong }}" in text
    assert "unknown inline placeholder {{ defaults adam }}" in text
    assert all(line.startswith(str(tmp_path)) for line in problems)
    _write(tmp_path, "gamma", related="nowhere")
    _write(
        tmp_path,
        "epsilon",
        related="alpha",
        extra='optimizer = "adam"\nexample = "bias_correction"\n[options]\nlr = 0.1',
        math="## Worked example\n\n{{ example }}\n\nIt uses {{ default adam nothing }}.",
    )
    problems = check_topics(tmp_path)
    assert f"{tmp_path / 'gamma.md'}: related[0]: no topic 'nowhere'" in problems
    text = "\n".join(problems)
    assert "{{ default adam nothing }}: adam has no nothing" in text
    assert "options.lr: the bias_correction example takes no such option" in text
    _write(tmp_path, "epsilon", related="alpha", extra='example = "clipping"')
    assert f"{tmp_path / 'epsilon.md'}: example: is set, but the text has no {{{{ example }}}}" in (
        check_topics(tmp_path)
    )


def test_the_document_is_made_of_format_neutral_blocks() -> None:
    document = registry.document(explain("bias-correction"), RenderOptions())
    kinds = {type(b) for b in document.blocks}
    assert kinds <= {Heading, Paragraph, Fields, Table, Bullets, Preformatted}
    headings = [b for b in document.blocks if isinstance(b, Heading) and b.level == 2]
    titles = [h.content[0].text for h in headings]  # type: ignore[union-attr]
    assert titles[:3] == ["Intuition", "The math", "Worked example"]
    assert titles[-1] == "Related topics"
