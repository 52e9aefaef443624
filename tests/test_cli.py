"""The command line, as a user meets it: whole outputs, exit codes, and one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tutor.cli.main as main_module
from tutor.cli.main import app

SNAPSHOTS = Path(__file__).parent / "snapshots"


def run(*args: str, columns: int = 140):
    runner = CliRunner()
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns), "NO_COLOR": "1"})


def test_worked_example_json_contract() -> None:
    result = run("solve", "adamw", "--theta", "2.0", "--lr", "0.1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["format_version"] == 1
    assert data["optimizer"] == "adamw"
    assert data["params"] == [{"name": "theta", "shape": []}]
    assert data["loss"] == "(theta - 1)**2"
    assert data["gradient"] == ["2*theta - 2"]
    assert data["hyperparameters"] == {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.01,
        "amsgrad": False,
        "maximize": False,
    }
    (step,) = data["steps"]
    assert step["t"] == 1
    assert step["theta"] == [2.0]
    assert step["loss"] == 1.0
    assert step["grad"] == [2.0]
    names = [q["name"] for q in step["quantities"]]
    assert names == ["m", "v", "m_hat", "v_hat", "update", "theta_next"]
    values = {q["name"]: q["value"] for q in step["quantities"]}
    expected = {
        "m": 0.2,
        "v": 0.004,
        "m_hat": 2.0,
        "v_hat": 4.0,
        "update": 0.102,
        "theta_next": 1.898,
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx([value], rel=1e-8), name
    assert step["theta_next"] == pytest.approx([1.898], abs=1e-9)
    assert step["loss_next"] == pytest.approx(0.806404, abs=1e-8)
    assert step["loss_decreased"] is True
    assert data["final"]["theta"] == step["theta_next"]
    assert data["final"]["loss"] == step["loss_next"]
    assert data["diverged"] is None
    assert step["claim"] is None
    assert data["outcome"]["kind"] == "outcome"
    assert data["outcome"]["text"] == "Loss L(θ₀) = 1 → L(θ₁) = 0.806404: the loss decreased ✓"


def test_json_round_trips_the_engine_values_exactly() -> None:
    import numpy as np

    from tutor.engine import get_optimizer, trajectory

    result = run("solve", "adam", "--loss", "rosenbrock", "--lr", "0.01", "-n", "3", "-f", "json")
    data = json.loads(result.stdout)
    from tutor.symbolic.loss import compile_loss

    config = get_optimizer("adam").configure({"lr": 0.01})
    loss = compile_loss("(1 - x)**2 + 100*(y - x**2)**2")
    run_ = trajectory(config, loss, np.array([-1.5, 2.0]), 3)
    for ours, record in zip(data["steps"], run_.steps(), strict=True):
        assert ours["theta_next"] == record.theta_next.tolist()  # exact: JSON keeps every bit
        assert ours["loss_next"] == record.loss_next
        for quantity in ours["quantities"]:
            assert quantity["value"] == record.values[quantity["name"]].tolist()
    assert [p["name"] for p in data["params"]] == ["x", "y"]


def _snapshot(name: str, text: str) -> None:
    """Compare with the committed snapshot; a missing one fails (``TUTOR_UPDATE_SNAPSHOTS=1``
    writes it, for review before committing)."""
    import os

    path = SNAPSHOTS / name
    if os.environ.get("TUTOR_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with TUTOR_UPDATE_SNAPSHOTS=1 and review it")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("solve_adamw_rich.txt", ["solve", "adamw", "--theta", "2.0", "--lr", "0.1"]),
        (
            "solve_adamw_markdown.md",
            ["solve", "adamw", "--theta", "2.0", "--lr", "0.1", "-f", "markdown"],
        ),
        (
            "solve_adamw_latex.tex",
            ["solve", "adamw", "--theta", "2.0", "--lr", "0.1", "-f", "latex"],
        ),
        (
            "solve_sgd_bowl_rich.txt",
            [
                "solve",
                "sgd",
                "--loss",
                "bowl",
                "--lr",
                "0.12",
                "--momentum",
                "0.9",
                "-n",
                "8",
                "-p",
                "4",
            ],
        ),
        ("solve_sgd_overshoot_rich.txt", ["solve", "sgd", "--theta", "2", "--lr", "1.5"]),
    ],
)
def test_output_snapshots(name: str, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    _snapshot(name, result.stdout)


BAD_INPUTS = [
    (["solve", "adamm"], "error: unknown optimizer 'adamm' (did you mean 'adam'?)"),
    (["solve", "adamw", "--lrr", "0.1"], None),
    (["solve", "adamw", "--lr", "0"], "error: lr must be > 0, got 0"),
    (["solve", "adamw", "--lr", "-1"], "error: lr must be > 0, got -1"),
    (["solve", "adamw", "--lr", "nan"], "error: lr must be a finite number, got nan"),
    (["solve", "adamw", "--lr", "abc"], None),
    (["solve", "adam", "--beta1", "1"], "error: beta1 must be in [0, 1), got 1"),
    (["solve", "adam", "--beta2", "-0.1"], "error: beta2 must be in [0, 1), got -0.1"),
    (["solve", "adam", "--eps", "-1e-8"], "error: eps must be >= 0, got -1e-08"),
    (["solve", "sgd", "--weight-decay", "-0.5"], "error: weight_decay must be >= 0, got -0.5"),
    (
        ["solve", "adam", "--momentum", "0.9"],
        "error: adam has no option --momentum (it belongs to sgd, rmsprop); "
        "see 'tutor solve adam --help'",
    ),
    (
        ["solve", "adam", "--learning-rate", "0.1"],
        "error: no such option '--learning-rate' (did you mean --lr?) (see 'tutor solve --help')",
    ),
    (
        ["solve", "adam", "--lr"],
        "error: option '--lr' requires an argument (see 'tutor solve --help')",
    ),
    (
        ["solv", "adam"],
        "error: no such command 'solv'. Did you mean 'solve'? (see 'tutor --help')",
    ),
    (
        ["solve", "adam", "--loss", ""],
        "error: --loss is empty: give an expression or a preset name (quadratic, bowl, "
        "rosenbrock, himmelblau, beale, booth, logistic)",
    ),
    (
        ["solve", "adam", "--loss", "ln(x)", "--theta", "1"],
        "error: expression 'ln(x)': 'ln' is not a function here; use log, the natural "
        "logarithm at column 1",
    ),
    (
        ["solve", "adam", "--convention", "foo"],
        "error: invalid value for '--convention': 'foo' is not one of 'pytorch', 'paper', "
        "'optax', 'keras', 'textbook' (see 'tutor solve --help')",
    ),
    (
        ["solve", "lion", "--convention", "keras"],
        "error: lion has no 'keras' convention (available: paper, optax)",
    ),
    (["solve", "sgd", "--nesterov"], "error: nesterov needs momentum > 0 and dampening = 0"),
    (
        ["solve", "adamw", "--steps", "0"],
        "error: steps must be a whole number from 1 to 100000, got 0",
    ),
    (
        ["solve", "adamw", "--steps", "1000000"],
        "error: steps must be a whole number from 1 to 100000, got 1000000",
    ),
    (
        ["solve", "adamw", "--theta", "1,2"],
        "error: expected 1 starting value (one each for theta), got 2",
    ),
    (
        ["solve", "adamw", "--theta", "inf"],
        "error: starting value of theta must be a finite number, got inf",
    ),
    (
        ["solve", "adamw", "--theta", "x"],
        "error: --theta takes comma-separated numbers such as 1.5,-0.5; got 'x'",
    ),
    (["solve", "adamw", "--loss", "(x - 1)^2", "--theta", "1"], None),
    (["solve", "adamw", "--loss", "__import__('os').system('echo hi')", "--theta", "1"], None),
    (["solve", "adamw", "--loss", "10**10**10*x", "--theta", "1"], None),
    (
        ["solve", "adamw", "--loss", "(x-1)**2"],
        "error: give a starting point with --theta (one value each for x)",
    ),
    (
        ["solve", "adamw", "--loss", "sqrt(x)", "--theta", "0"],
        "error: the loss is not differentiable at the start (x = 0)",
    ),
    (
        ["solve", "adamw", "--loss", "log(x)", "--theta", "-1"],
        "error: the loss is not finite at the start (x = -1): nan",
    ),
    (
        ["solve", "adamw", "--loss", "3", "--theta", "1"],
        "error: loss '3' has no parameters to optimize",
    ),
    (["solve", "adamw", "--format", "pdf"], None),
    (["solve", "adamw", "--standalone"], "error: --standalone goes with --format latex"),
    (
        ["solve", "adam", "--show-steps", "3-1"],
        "error: --show-steps: '3-1' is not a range of steps from 1 up",
    ),
    (["solve", "adamw", "--precision", "0"], None),
    (["solve", "--exercise", "no-such-exercise"], None),
    (["solve", "adam", "--exercise", "adamw-worked-example"], None),
    (
        ["solve", "--lr", "0.1"],
        "error: name an optimizer (e.g. 'tutor solve adamw') or give --exercise",
    ),
    (["bogus"], None),
    (["exercises", "show", "nope"], None),
    (
        ["exercises", "show"],
        "error: missing argument 'EXERCISE' (see 'tutor exercises show --help')",
    ),
    (
        ["solve", "adamw", "--lr", "abc"],
        "error: invalid value for '--lr': 'abc' is not a valid float (see 'tutor solve --help')",
    ),
    (["exercises", "check", "/nonexistent/folder"], "error: no such folder: /nonexistent/folder"),
    (
        ["solve", "adamw", "--loss", "rosenbrok", "--theta", "1,2"],
        "error: expected 1 starting value (one each for rosenbrok), got 2; note: 'rosenbrok' is "
        "not a preset; treating it as a parameter (did you mean 'rosenbrock'?)",
    ),
    (
        ["solve", "adamw", "--loss", "Rosenbrok"],
        "error: give a starting point with --theta (one value each for Rosenbrok); note: "
        "'Rosenbrok' is not a preset; treating it as a parameter (did you mean 'rosenbrock'?)",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str | None) -> None:
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    if message is not None:
        assert lines[0] == message


def test_refused_expression_points_at_the_problem() -> None:
    result = run("solve", "adamw", "--loss", "(x - 1)^2", "--theta", "1")
    assert "use ** for powers" in result.stderr
    assert "column" in result.stderr


def test_unknown_option_suggests_the_right_one() -> None:
    result = run("solve", "adamw", "--lrr", "0.1")
    assert "--lrr" in result.stderr
    assert "--lr" in result.stderr.replace("--lrr", "")


def test_divergence_is_reported_not_printed_as_garbage() -> None:
    result = run(
        "solve", "sgd", "--loss", "x**4", "--theta", "2", "--lr", "3", "-n", "50", "-f", "json"
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["diverged"]["t"] == len(data["steps"]) + 1
    assert data["divergence"]["evidence"]["grew"] is True
    smaller = data["divergence"]["evidence"]["smaller_lr_ok"]
    assert smaller == 0.3
    text = run("solve", "sgd", "--loss", "x**4", "--theta", "2", "--lr", "3", "-n", "50").stdout
    assert "Stopped at step" in text
    assert re.search(r"\b(nan|inf)\b", text.lower()) is None


def _commands() -> list[list[str]]:
    """Every command path of the app, read off the Click tree (no list written by hand)."""
    import click
    import typer

    paths: list[list[str]] = []

    def walk(command: click.Command, prefix: list[str]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                paths.append([*prefix, name])
                walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


COMMANDS = _commands()


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert result.stdout.startswith(f"Usage: tutor {' '.join(command)}")
    assert run("-h").stdout == run("--help").stdout


def test_root_help_lists_every_command() -> None:
    root = run("--help").stdout
    for command in COMMANDS:
        if len(command) == 1:
            assert command[0] in root


def test_a_flat_step_is_not_called_a_rise() -> None:
    data = json.loads(
        run("solve", "sgd", "--loss", "max(x, 0)", "--theta", "0", "-f", "json").stdout
    )
    (step,) = data["steps"]
    assert step["grad"] == [0.5]  # SymPy's Heaviside(0) = 1/2
    assert step["loss"] == step["loss_next"] == 0.0
    assert step["loss_decreased"] is False
    assert step["claim"]["kind"] == "flat"
    assert step["claim"]["text"] == "Step 1: θ moved but the loss kept its value, 0."


def test_bare_commands_show_their_help() -> None:
    for args, usage in ((), "Usage: tutor [OPTIONS] COMMAND"), (("solve",), "Usage: tutor solve"):
        result = run(*args)
        assert result.exit_code == 0
        assert result.stdout.startswith(usage)
        assert "Examples:" in result.stdout
        assert result.stderr == ""


def test_version() -> None:
    from tutor import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"tutor {__version__}\n"


def test_preset_start_follows_the_parameter_order() -> None:
    swapped = json.loads(
        run("solve", "sgd", "--loss", "rosenbrock", "--params", "y,x", "-f", "json").stdout
    )
    assert [p["name"] for p in swapped["params"]] == ["y", "x"]
    assert swapped["theta0"] == [2.0, -1.5]
    plain = json.loads(run("solve", "sgd", "--loss", "rosenbrock", "-f", "json").stdout)
    assert plain["theta0"] == [-1.5, 2.0]
    assert swapped["final"]["loss"] == plain["final"]["loss"]


def test_exercise_runs_through_solve() -> None:
    result = run("solve", "--exercise", "adamw-worked-example", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["exercise"] == "adamw-worked-example"
    assert data["steps"][0]["theta_next"] == pytest.approx([1.898], abs=1e-9)


def test_exercise_values_can_be_overridden() -> None:
    result = run("solve", "--exercise", "adamw-worked-example", "--lr", "0.01", "-f", "json")
    data = json.loads(result.stdout)
    assert data["hyperparameters"]["lr"] == 0.01
    assert data["steps"][0]["theta_next"] == pytest.approx([1.9898], abs=1e-6)


def test_exercise_file_path_works(tmp_path: Path) -> None:
    source = Path(__file__).parent.parent / "exercises" / "adamw" / "worked-example.toml"
    copy = tmp_path / "mine.toml"
    copy.write_text(source.read_text(encoding="utf-8").replace("lr = 0.1", "lr = 0.2"))
    result = run("solve", "--exercise", str(copy), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["hyperparameters"]["lr"] == 0.2


def test_exercises_list_and_show() -> None:
    listing = run("exercises")
    assert listing.exit_code == 0
    assert "adamw-worked-example" in listing.stdout
    shown = run("exercises", "show", "adamw-worked-example")
    assert shown.exit_code == 0
    assert "(theta - 1)**2" in shown.stdout
    assert "1.898" not in shown.stdout
    check = run("exercises", "check")
    assert check.exit_code == 0
    assert check.stdout.strip().endswith("all good")


def test_a_terminal_gets_colour_and_the_same_numbers() -> None:
    """Run the real console entry point in a pseudo-terminal, as a user at a shell would."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": "100", "TERM": "xterm-256color"})
    process = subprocess.run(
        [sys.executable, "-m", "tutor", "solve", "adamw", "--theta", "2.0", "--lr", "0.1"],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal has no writer left
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    output = b"".join(chunks).decode("utf-8")
    assert process.returncode == 0
    assert "\x1b[" in output  # Rich styles the tables on a terminal
    assert "1.898" in output
    assert "0.806404" in output


@pytest.mark.parametrize("name", main_module.COMMANDS)
def test_the_console_script_registers_the_named_command_as_the_full_app_does(name: str) -> None:
    """``tutor NAME …`` builds an app with NAME (and the commands it hands over to) only; each
    of those has the same parameters and help as in the app with every command."""
    import click
    import typer

    only = main_module.commands_for([name, "--help"])
    assert only is not None and only[0] == name
    pruned = typer.main.get_command(main_module.build_app(only))
    full = typer.main.get_command(app)
    assert isinstance(pruned, click.Group) and isinstance(full, click.Group)
    assert list(pruned.commands) == [c for c in main_module.COMMANDS if c in only]
    for kept in only:
        ours, theirs = pruned.commands[kept], full.commands[kept]
        assert type(ours) is type(theirs)
        with click.Context(ours, info_name=kept) as a, click.Context(theirs, info_name=kept) as b:
            assert ours.get_help(a) == theirs.get_help(b)


def test_a_command_that_runs_another_declares_it() -> None:
    """A command module that looks up another command on the root group (``tutor explain
    --quiz`` runs ``tutor quiz``) has that command in HANDS_OVER, so the console script
    registers both."""
    folder = Path(main_module.__file__).parent
    for name in main_module.COMMANDS:
        source = (folder / f"{name}.py").read_text(encoding="utf-8")
        wanted = set(re.findall(r"get_command\(\s*\w+,\s*\"([a-z-]+)\"\s*\)", source))
        assert wanted <= set(main_module.HANDS_OVER.get(name, ())), name
    assert main_module.HANDS_OVER["explain"] == ("quiz",)


def test_help_mistyped_names_and_completion_get_every_command(monkeypatch) -> None:
    assert main_module.commands_for([]) is None
    assert main_module.commands_for(["--help"]) is None
    assert main_module.commands_for(["slove"]) is None  # "did you mean 'solve'?" needs them all
    assert main_module.commands_for(["explain", "adam"]) == ("explain", "quiz")
    monkeypatch.setenv("_TUTOR_COMPLETE", "complete_bash")
    assert main_module.commands_for(["solve"]) is None


def test_the_console_script_runs_without_the_cyclic_collector(monkeypatch) -> None:
    """main() turns the cyclic garbage collector off before it builds and runs the app."""
    import gc

    seen: list[Any] = []

    def fake_build(only: Any) -> Any:
        seen.append((only, gc.isenabled()))
        return lambda prog_name: seen.append(prog_name)

    monkeypatch.setattr(main_module, "build_app", fake_build)
    monkeypatch.setattr("sys.argv", ["tutor", "solve", "adamw"])
    was = gc.isenabled()
    try:
        main_module.main()
    finally:
        if was:
            gc.enable()
    assert seen == [(("solve",), False), "tutor"]


def test_a_bare_name_close_to_a_preset_gets_a_note_even_when_it_then_fails() -> None:
    """``--loss rosenbrok`` minimises a parameter called rosenbrok, so say on stderr that it is
    not the preset (when the start that follows fails, the error says it: see BAD_INPUTS);
    presets and optimizers are named in any case."""
    note = "'rosenbrok' is not a preset; treating it as a parameter (did you mean 'rosenbrock'?)"
    ran = run("solve", "adamw", "--loss", "rosenbrok", "--theta", "1")
    assert ran.exit_code == 0
    assert ran.stderr.strip() == f"note: {note}"
    assert run("solve", "adamw", "--loss", "ROSENBROCK", "-n", "1").exit_code == 0
    assert run("solve", "ADAMW", "--theta", "2").exit_code == 0


def _complete(*words: str) -> list[str]:
    """What bash completion offers after ``tutor WORDS…`` (the last word being typed)."""
    env = {
        "_TUTOR_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(["tutor", *words]),
        "COMP_CWORD": str(len(words)),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="tutor")
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()


def test_shell_completion_offers_the_registries_names() -> None:
    from tutor.content.topics import topic_ids
    from tutor.engine import OPTIMIZERS
    from tutor.engine.schedules import SCHEDULES
    from tutor.symbolic.presets import presets

    assert set(main_module.COMMANDS) <= set(_complete(""))
    assert _complete("solve", "") == list(OPTIMIZERS)
    assert _complete("solve", "ada") == [name for name in OPTIMIZERS if name.startswith("ada")]
    assert _complete("conventions", "") == list(OPTIMIZERS)
    assert _complete("schedule", "") == list(SCHEDULES)
    assert _complete("explain", "") == list(topic_ids())
    assert _complete("solve", "adam", "--loss", "") == list(presets())


def test_names_written_into_help_texts_are_the_registries() -> None:
    """Help texts are static (building them from the registries would cost start-up), so this
    holds the names they list to the registries: a new preset or schedule fails here."""
    import click
    import typer

    from tutor.engine.schedules import SCHEDULES
    from tutor.symbolic.presets import presets

    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)

    def help_of(command: str, name: str) -> str:
        params = {p.name: p for p in group.commands[command].params}
        text = getattr(params[name], "help", None)
        assert text, (command, name)
        return " ".join(text.split())

    listed = re.search(r"a preset: ([a-z, ]+)\.", help_of("solve", "loss"))
    assert listed is not None and listed.group(1).split(", ") == list(presets())
    schedules = re.search(r"The schedule: ([a-z, -]+)\.", help_of("schedule", "name"))
    assert schedules is not None
    assert re.split(r", | or ", schedules.group(1)) == list(SCHEDULES)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_argument_has_its_help_in_help(command: list[str]) -> None:
    """Each positional argument is explained in ``--help`` (typer 0.25 with Click 8.5 dropped
    every argument's help; pyproject pins Click below 8.5 for it)."""
    import click
    import typer

    found: click.Command = typer.main.get_command(app)
    for name in command:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    shown = " ".join(run(*command, "--help").stdout.split())
    for param in found.params:
        if isinstance(param, click.Argument):
            text = getattr(param, "help", None)
            assert text, f"{' '.join(command)} {param.name}: no help"
            assert " ".join(text.split())[:40] in shown


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_descriptions_are_wrapped_prose(command: list[str]) -> None:
    """Every paragraph of a command's help that is not marked preformatted (``\\b``) starts
    at the margin, so Click reflows it as prose (a docstring joined to unindented examples
    without dedenting kept its source indentation, mid-sentence gaps and all)."""
    import inspect

    import click
    import typer

    found: click.Command = typer.main.get_command(app)
    for name in command:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    for paragraph in re.split(r"\n\s*\n", inspect.cleandoc(found.help or "")):
        if not paragraph.startswith("\b"):
            assert paragraph == paragraph.lstrip(), paragraph
