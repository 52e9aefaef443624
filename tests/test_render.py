"""The output path: one registry of (kind, format), valid documents, and every claim true.

Every command that prints a result is run in every format it offers (read off the registry);
Markdown goes through a CommonMark parser, LaTeX through a TeX engine where one is installed
(else a LaTeX parser), JSON through ``json.loads``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import OPTIMIZERS, Program
from tutor.errors import SingularMatrixError
from tutor.render import registry
from tutor.render.blocks import Document
from tutor.render.documents import BUILDERS
from tutor.render.options import RenderOptions
from tutor.teach.problem import make_problem
from tutor.teach.solve import View, solve

# One command line per kind of result (what a user would type to get it).
COMMANDS: dict[str, list[str]] = {
    "solution": ["solve", "adam", "--loss", "rosenbrock", "--lr", "0.01", "-n", "3"],
    "comparison": ["solve", "adamw", "--theta", "2", "--lr", "0.1", "--compare-conventions"],
    "conventions": ["conventions", "adam"],
    "optimizers": ["optimizers"],
    "exercises": ["exercises"],
    "exercise": ["exercises", "show", "adam-linear-regression"],
    "exercise-check": ["exercises", "check"],
    "explanation": ["explain", "bias-correction"],
    "topics": ["explain"],
    "grade-report": ["grade", str(Path(__file__).parent / "fixtures" / "answers")],
    "quiz-session": [
        *("quiz", "--topic", "adam", "--kind", "numeric", "-n", "3", "--seed", "3"),
        *("--answers", str(Path(__file__).parent / "fixtures" / "quiz" / "numeric-answers.txt")),
    ],
    "quiz-bank": ["quiz", "--list", "--topic", "adam"],
    "progress": ["progress"],
    "schedule": ["schedule", "cosine", "--lr", "0.1", "--t-max", "10", "--steps", "10"],
}


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1"})


def test_every_kind_has_a_command_here() -> None:
    assert set(COMMANDS) == set(BUILDERS)


CASES = [
    pytest.param(kind, fmt, id=f"{kind}-{fmt}")
    for kind in COMMANDS
    for fmt in registry.formats_for(kind)
]


@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_every_command_prints_every_format(kind: str, fmt: str) -> None:
    result = run(*COMMANDS[kind], "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    assert text.strip()
    if fmt == "json":
        data = json.loads(text)
        assert data["format_version"] == 1
    elif fmt == "markdown":
        check_markdown(text)
    elif fmt == "latex":
        check_latex_fragment(text)


def _inline_nodes(tokens: list[Any]) -> list[Any]:
    nodes = []
    for token in tokens:
        nodes.append(token)
        nodes.extend(_inline_nodes(token.children or []))
    return nodes


def check_markdown(text: str) -> None:
    """CommonMark (with GitHub tables) parses it, no emphasis comes out of a formula, and math
    and code spans are balanced."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # $…$ is math, as GitHub and Jupyter read it; everything else is CommonMark.
    parser = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)
    tokens = parser.parse(text)
    nodes = _inline_nodes(tokens)
    for node in nodes:  # we emit bold as **…** only; a single * or _ is a formula gone italic
        assert node.type != "em_open", node
    for node in nodes:
        if node.type == "text":  # every $ opened a math span that closed
            assert "$" not in node.content.replace(r"\$", ""), node.content
    rendered = parser.render(text)
    assert "<em>" not in rendered, "a formula was read as emphasis"
    widths: list[int] = []  # cells per table row: a | inside math would add a cell
    cells = 0
    for token in tokens:
        if token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            widths.append(cells)
        elif token.type == "table_close":
            assert len(set(widths)) == 1, widths
            widths = []


def check_latex_fragment(text: str) -> None:
    """The fragment's braces and environments balance (a LaTeX parser reads it without
    errors); a whole document is compiled in test_latex_documents_compile."""
    from pylatexenc.latexwalker import LatexWalker

    walker = LatexWalker(text, tolerant_parsing=False)
    walker.get_latex_nodes()
    assert text.count(r"\begin{") == text.count(r"\end{")
    from tutor.render.latex_format import UNMAPPED

    assert UNMAPPED not in text, "a character had no LaTeX form"


@pytest.mark.parametrize("kind", [k for k in COMMANDS if "latex" in registry.formats_for(k)])
def test_latex_documents_compile(kind: str, tmp_path: Path) -> None:
    """``--standalone`` is a whole document: pdflatex compiles it where TeX is installed."""
    result = run(*COMMANDS[kind], "--format", "latex", "--standalone")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(r"\documentclass") == 1
    assert result.stdout.rstrip().endswith(r"\end{document}")
    check_latex_fragment(result.stdout)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed; the LaTeX parser checked the document")
    source = tmp_path / "out.tex"
    source.write_text(result.stdout, encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_a_format_that_cannot_show_a_kind_is_refused_before_work() -> None:
    from tutor.errors import TutorError

    with pytest.raises(TutorError) as caught:
        registry.check_format("solution", "pdf")
    assert str(caught.value) == (
        "format 'pdf' cannot show solution results (use rich, json, markdown, latex)"
    )


def test_a_fifth_format_needs_one_module_and_one_registry_line(monkeypatch) -> None:
    """Plain text, added here as a test: a module with ``render`` and one Format line."""
    import types

    from tutor.render.blocks import Bullets, Fields, Heading, Paragraph, Preformatted, Table
    from tutor.render.json_format import plain_text

    module = types.ModuleType("plain_format_for_test")

    def render(document: Document, options: RenderOptions) -> str:
        lines = []
        for block in document.blocks:
            if isinstance(block, (Heading, Paragraph)):
                lines.append(plain_text(block.content))
            elif isinstance(block, Fields):
                lines += [f"{label}: {plain_text(value)}" for label, value in block.items]
            elif isinstance(block, Table):
                lines.append(plain_text(block.title))
                lines += [" | ".join(plain_text(cell) for cell in row) for row in block.rows]
            elif isinstance(block, Bullets):
                lines += ["- " + plain_text(item) for item in block.items]
            elif isinstance(block, Preformatted):
                lines.append(block.text)
        return "\n".join(lines) + "\n"

    module.render = render  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plain_format_for_test", module)
    monkeypatch.setitem(
        registry.FORMATS, "plain", registry.Format("plain", "plain_format_for_test", "plain text")
    )
    problem = make_problem("adamw", theta=[2.0], hyperparameters={"lr": 0.1})
    text = registry.render_text(solve(problem), "plain")
    assert "m̂ₜ | mₜ / (1 − β₁ᵗ) | 0.2 / (1 − 0.9¹) | 2" in text
    assert registry.formats_for("exercises")[-1] == "plain"


def test_the_same_steps_in_every_format() -> None:
    """A 1000-step run shows the same full tables and the same "and N more" in every format."""
    problem = make_problem("adam", loss="bowl", steps=1000, hyperparameters={"lr": 0.3})
    solution = solve(problem)
    selection = solution.selection
    assert selection.full[0] == 1 and selection.full[-1] == 1000
    assert len(solution.against_goal) > 3
    assert selection.more_claims == len(solution.against_goal) - len(
        {c.step for c in selection.listed}
        | {t for t in selection.full if t in solution.against_goal}
    )
    texts = {fmt: registry.render_text(solution, fmt) for fmt in ("rich", "markdown", "latex")}
    for fmt, text in texts.items():
        for t in selection.full:
            assert f"Step {t}" in text, (fmt, t)
        assert f"and {selection.more_claims} more" in text, fmt
    data = json.loads(registry.render_text(solution, "json"))
    assert len(data["steps"]) == 1000  # JSON carries every step


def test_show_steps_and_every_choose_what_is_shown() -> None:
    problem = make_problem("sgd", loss="bowl", steps=60, hyperparameters={"lr": 0.09})
    chosen = solve(problem, View(show_steps=(3, 17, 40, 41)))
    assert chosen.selection.full == (3, 17, 40, 41)
    every = solve(problem, View(every=20))
    assert every.selection.full == (1, 20, 40, 60)
    assert every.selection.summary_every == 20


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "solution.json"
    target.write_text("old contents")
    result = run("solve", "adamw", "--theta", "2", "--lr", "0.1", "-f", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"wrote {target}\n"
    assert json.loads(target.read_text())["final"]["theta"] == pytest.approx([1.898])
    assert [p.name for p in tmp_path.iterdir()] == ["solution.json"]  # no temporary left
    bad = run("solve", "adamw", "-o", str(tmp_path / "no" / "such" / "x.txt"))
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --output")


def test_the_header_says_which_flag_each_symbol_is() -> None:
    text = run("solve", "adagrad", "--theta", "2", "--lr", "0.1").stdout
    assert "κ (--lr-decay) = 0" in text
    assert "G₀ (--initial-accumulator-value) = 0" in text


def test_every_printed_gradient_row_has_numbers_for_each_parameter() -> None:
    text = run("solve", "sgd", "--loss", "x**2 + 3*x*y + y**2", "--theta", "1,2", "--lr", "0.1")
    assert "[2*1 + 3*2, 3*1 + 2*2]" in text.stdout


def test_descriptions_show_for_one_step_and_on_request() -> None:
    one = run("solve", "adam", "--theta", "2").stdout
    assert "bias-corrected first moment" in one
    many = run("solve", "adam", "--theta", "2", "-n", "3").stdout
    assert "bias-corrected first moment" not in many
    asked = run("solve", "adam", "--theta", "2", "-n", "3", "--describe").stdout
    assert "bias-corrected first moment" in asked


# --- Every claim true ----------------------------------------------------------------------------

LOSSES = ["(x - 1)**2 + 3*(y + 0.5)**2", "x**4 - x**2 + y**2", "sqrt(1 + x**2) + 0.5*y**2"]


def _check_claim(problem: Any, record: Any, claim: Any) -> None:
    """Verify a step claim against the numbers, independently of how it was produced."""
    e = claim.evidence
    sign = -1 if problem.config.values.get("maximize") else 1
    assert sign * record.loss_next >= sign * record.loss  # a claim is only made for such steps
    delta = record.theta_next - record.theta
    if claim.kind == "not_moved":
        assert not np.any(delta)
    elif claim.kind == "flat":
        assert record.loss_next == record.loss and np.any(delta)
    elif claim.kind == "stationary":
        assert not np.any(record.grad) and np.any(delta)
    elif claim.kind == "uphill":
        assert sign * float(np.dot(record.grad, delta)) > 0
        assert e["slope"] == pytest.approx(sign * float(np.dot(record.grad, delta)))
    elif claim.kind in ("overshoot", "curved"):
        assert sign * float(np.dot(record.grad, delta)) <= 0
    if claim.kind == "overshoot":
        smaller = problem.config.with_values(lr=e["smaller_lr"])
        program = Program(smaller, problem.layout)
        state = {k.removesuffix("_prev"): v for k, v in record.previous.items()}
        inputs = dict(record.inputs) or None  # Newton's H, the natural gradient's F
        values, _ = program.step(
            record.theta, record.grad, state, record.t, inputs=inputs, objective=problem.loss
        )  # L-BFGS evaluates the loss inside its step
        loss = problem.loss.value(values["theta_next"])
        assert loss == e["loss_smaller"]
        assert sign * loss < sign * record.loss


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    loss=st.sampled_from(LOSSES),
    lr=st.sampled_from([0.01, 0.3, 1.5]),
    start=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    data=st.data(),
)
def test_every_printed_claim_holds_for_the_numbers(name, loss, lr, start, data) -> None:
    spec = OPTIMIZERS[name]
    convention = data.draw(st.sampled_from([c.name for c in spec.conventions]))
    try:
        problem = make_problem(
            name,
            loss=loss,
            theta=list(start),
            steps=8,
            hyperparameters={"lr": lr},
            convention=convention,
        )
    except Exception:  # a start where the loss is not differentiable: nothing to claim
        return
    try:
        solution = solve(problem)
    except SingularMatrixError:  # Newton's H is singular somewhere on the way: an error, no claim
        return
    for t, claim in solution.claims.items():
        assert claim.step == t
        _check_claim(problem, solution.step(t), claim)
    text = registry.render_text(solution, "rich")
    for claim in solution.selection.listed:
        assert f"Step {claim.step}:" in text


def test_stationary_point_names_weight_decay() -> None:
    result = run("solve", "--exercise", "adamw-at-the-minimum", "-f", "json")
    claims = {c["step"]: c for c in json.loads(result.stdout)["claims"]}
    assert claims[1]["kind"] == "stationary"
    assert claims[1]["evidence"]["cause"] == "weight_decay"
    assert "only weight decay moved θ" in claims[1]["text"]
    assert "overshot" not in claims[1]["text"]


def test_zero_over_zero_is_named_and_no_learning_rate_is_advised() -> None:
    result = run("solve", "adamw", "--theta", "1", "--eps", "0", "--lr", "0.1")
    assert result.exit_code == 0
    assert "Δθₜ is 0/0" in result.stdout
    assert "No learning rate fixes this" in result.stdout
    assert "smaller learning rate" not in result.stdout
    assert "Step 1 (the run stopped here)" in result.stdout


def test_an_overflowing_gradient_is_not_blamed_on_the_learning_rate() -> None:
    result = run("solve", "rmsprop", "--loss", "1e200*x", "--theta", "1", "-f", "json")
    divergence = json.loads(result.stdout)["divergence"]
    assert divergence["evidence"]["operation"] == "overflow"
    assert divergence["evidence"]["largest_input"] == 1e200
    assert "learning rate" not in divergence["text"]
    assert divergence["text"].startswith("Stopped at step 1: vₜ overflowed")


def test_step_numbering_is_torchs_everywhere() -> None:
    text = run("solve", "adamw", "--theta", "2", "--lr", "0.1").stdout
    assert "Step 1: θₜ₋₁ = 2, L(θₜ₋₁) = 1" in text
    assert "L(θ₀) = 1 → L(θ₁) = 0.806404" in text
    assert "θₜ₊₁" not in text
    latex = run("solve", "adamw", "--theta", "2", "--lr", "0.1", "-f", "latex").stdout
    assert r"\theta_{t-1}" in latex and r"\theta_{t+1}" not in latex


def test_every_convention_text_can_be_written_in_latex() -> None:
    from tutor.render.latex_format import unmapped

    for spec in OPTIMIZERS.values():
        texts = [spec.title, spec.summary, spec.reference]
        texts += [c.summary + c.source + c.title for c in spec.conventions]
        texts += [h.description for h in spec.hyperparameters]
        for text in texts:
            assert not unmapped(text), (spec.name, unmapped(text), text)


def test_notebook_api_goes_through_the_registry() -> None:
    from tutor import solve as notebook_solve

    result = notebook_solve("adamw", theta=2.0, lr=0.1)
    assert result.solution.final_theta[0] == pytest.approx(1.898)
    assert json.loads(result.to_json())["format_version"] == 1
    check_markdown(result._repr_markdown_())
    latex = result._repr_latex_()
    assert latex.startswith("$$") and r"\hat{m}_t &= \frac{m_t}{1 - \beta_1^{t}}" in latex
    assert "1.898" in result._repr_html_()
    ipython = pytest.importorskip("IPython.core.formatters")
    formatter = ipython.DisplayFormatter()
    data, _ = formatter.format(result)
    assert "text/markdown" in data and "text/latex" in data


def test_import_tutor_loads_neither_numpy_nor_sympy() -> None:
    code = (
        "import sys, tutor, tutor.cli.main\n"
        "print(sorted(m for m in ('numpy', 'sympy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_document_builders_return_documents() -> None:
    problem = make_problem("sgd", theta=[2.0], hyperparameters={"lr": 0.1})
    document = registry.document(solve(problem), RenderOptions())
    assert isinstance(document, Document)
    assert document.title.startswith("SGD")


def _exercise_solutions() -> list[Any]:
    """Every bundled exercise solved over a few more steps than it asks (schedules, clipping,
    matrices, conditional quantities and procedures' notes all appear among them)."""
    from tutor.content.exercises import bundled_exercises
    from tutor.teach.problem import problem_from_exercise

    solutions = []
    for exercise in bundled_exercises():
        problem = problem_from_exercise(exercise.id, steps=max(exercise.steps, 7))
        try:
            solutions.append(pytest.param(solve(problem), id=exercise.id))
        except SingularMatrixError:
            continue
    # long enough that steps against the goal go beyond the explained ones ("not analysed")
    bowl = make_problem("adam", loss="bowl", steps=1000, hyperparameters={"lr": 0.3})
    solutions.append(pytest.param(solve(bowl), id="adam-bowl-1000-steps"))
    return solutions


@pytest.mark.parametrize("solution", _exercise_solutions())
def test_long_runs_write_the_same_json_one_step_per_line(solution: Any, monkeypatch) -> None:
    """Runs longer than INDENTED_UP_TO steps are written one step per line, from the run's arrays
    a chunk at a time: parsed, that text is the indented text, for every exercise."""
    from tutor.render import json_format

    indented = registry.render_text(solution, "json")
    monkeypatch.setattr(json_format, "INDENTED_UP_TO", 0)
    monkeypatch.setattr(json_format, "CHUNK", 3)  # several chunks, the last one short
    compact = registry.render_text(solution, "json")
    assert len(compact.splitlines()) == solution.steps + 1  # the header, then a line a step
    assert json.loads(compact) == json.loads(indented)


@given(
    st.lists(
        st.floats(min_value=-1e300, max_value=1e300, width=64), min_size=1, max_size=12
    ).flatmap(lambda first: st.tuples(st.just(first), st.sampled_from([1, 2, 3])))
)
def test_long_run_numbers_read_back_as_the_same_floats(case: Any) -> None:
    """Each step's value is written as text that JSON reads back as exactly the same float64:
    one number a step, or a flat list for a vector (columns) or a matrix (2 × columns)."""
    from tutor.render.json_format import _rows

    values, columns = case
    steps = np.array(values, dtype=np.float64)
    assert [json.loads(text) for text in _rows(steps)] == steps.tolist()
    vectors = np.repeat(steps[:, None], columns, axis=1) * np.arange(1, columns + 1)
    assert [json.loads(text) for text in _rows(vectors)] == vectors.tolist()
    matrices = np.stack([vectors, -vectors], axis=1)
    assert [json.loads(text) for text in _rows(matrices)] == matrices.reshape(
        len(steps), -1
    ).tolist()
