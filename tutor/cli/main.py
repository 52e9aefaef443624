"""The ``tutor`` application: the root command and the registry of sub-commands.

Importing this module must stay cheap (``tutor --help`` imports no NumPy or SymPy): commands import
the engine and the symbolic layer inside their functions, and a command's module is imported only
when the command is registered. :data:`app` has every command; :func:`main` (the console script)
registers only the command named on the command line, and those it hands over to, when it names
one exactly: Typer converts every registered command on every call, which costs start-up.
"""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from tutor import __version__
from tutor.cli.errors import FunnelGroup

# The sub-commands in the order `tutor --help` lists them. Each is the function of that name in
# the module of that name in tutor.cli, or that module's Typer `app` for a group of commands.
COMMANDS: tuple[str, ...] = (
    "solve",
    "optimizers",
    "conventions",
    "explain",
    "exercises",
    "grade",
    "quiz",
    "progress",
    "schedule",
)
# Click settings of the commands that have their own (the class that generates options).
_SETTINGS: dict[str, dict[str, Any]] = {
    "solve": {"cls": "SolveCommand", "no_args_is_help": True},
    "schedule": {"cls": "ScheduleCommand", "no_args_is_help": True},
}
# Commands that run another one (`tutor explain TOPIC --quiz` runs `tutor quiz`).
HANDS_OVER: dict[str, tuple[str, ...]] = {"explain": ("quiz",)}

ROOT_SETTINGS: dict[str, Any] = dict(
    name="tutor",
    cls=FunnelGroup,
    help=(
        "See what neural-network optimizers do to the numbers, one step at a time.\n\n"
        "Examples:\n\n"
        "\b\n"
        "  tutor solve adamw --theta 2.0 --lr 0.1\n"
        "  tutor solve sgd --loss rosenbrock --lr 0.001 --momentum 0.9 --steps 20\n"
        "  tutor solve adamw --theta 2.0 --lr 0.1 --compare-conventions\n"
        "  tutor solve newton --loss himmelblau --theta 0,0\n"
        "  tutor schedule cosine --lr 0.1 --t-max 10 --eta-min 0.001 --steps 10\n"
        "  tutor explain bias-correction\n"
        "  tutor quiz --topic adam\n"
        "  tutor solve --exercise adamw-worked-example\n"
        "  tutor grade answers/\n"
        "  tutor optimizers"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: Rich's help formatter costs 0.1 s of start-up
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tutor {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """See what neural-network optimizers do to the numbers, one step at a time."""


def build_app(only: Sequence[str] | None = None) -> typer.Typer:
    """The application with every command, or with the commands ``only`` names."""
    built = typer.Typer(**ROOT_SETTINGS)
    built.callback()(root)
    for name in COMMANDS:
        if only is not None and name not in only:
            continue
        module = importlib.import_module(f"tutor.cli.{name}")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            built.add_typer(group, name=name)
            continue
        settings = dict(_SETTINGS.get(name, {}))
        if "cls" in settings:
            settings["cls"] = getattr(module, settings["cls"])
        built.command(name, **settings)(getattr(module, name))
    return built


def commands_for(args: Sequence[str]) -> tuple[str, ...] | None:
    """The commands a command line can run: the one it names first (exactly) and those that one
    hands over to; None (every command) for help, a mistyped name or shell completion."""
    if not args or args[0] not in COMMANDS or os.environ.get("_TUTOR_COMPLETE"):
        return None
    return (args[0], *HANDS_OVER.get(args[0], ()))


def __getattr__(name: str) -> Any:
    """``app``, with every command, built on first use (for tests and anything else that reads
    the whole command tree)."""
    if name == "app":
        full = globals()["app"] = build_app()
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point.

    Python's cyclic garbage collector is off for the command's short life. Importing NumPy and
    SymPy creates tens of thousands of long-lived objects that the collector walks again and
    again while finding almost nothing to free: about 40 ms of a `tutor solve` that derives its
    loss with SymPy (measured with ``gc.callbacks``). Reference counting still frees everything
    that is not in a cycle at once; a 100,000-step run and grading 500 files peak within 2 MB of
    what they do with it on.
    """
    gc.disable()
    build_app(commands_for(sys.argv[1:]))(prog_name="tutor")
