"""The README matches the program: it names what the registries hold and its examples run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.engine import OPTIMIZERS
from tutor.engine.schedules import SCHEDULE_SPECS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_names_every_optimizer_schedule_and_command() -> None:
    missing = [name for name in OPTIMIZERS if f"`{name}`" not in README]
    missing += [spec.name for spec in SCHEDULE_SPECS if f"`{spec.name}`" not in README]
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    missing += [f"tutor {name}" for name in group.commands if f"tutor {name}" not in README]
    assert not missing, f"the README does not mention {missing}"


def _examples() -> list[str]:
    """Self-contained ``tutor solve|schedule|explain`` lines of the README's shell blocks."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #")[0].strip()
            if re.match(r"tutor (solve|schedule|explain) ", command) and not re.search(
                r"\b[A-Z]{2,}\b|\[|\|", command
            ):
                lines.append(command)
    return lines


EXAMPLES = _examples()


def test_the_readme_has_runnable_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("command", EXAMPLES)
def test_readme_examples_run(command: str) -> None:
    result = CliRunner().invoke(app, shlex.split(command)[1:], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
