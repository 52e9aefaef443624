"""The error funnel: every bad input becomes ``error: <one line>`` on stderr and exit status 2.

Our own :class:`~tutor.errors.TutorError` and Click's usage errors (unknown option,
bad value) end here; no traceback and no boxed panel reaches the user.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click
import typer
from typer.core import TyperGroup

from tutor.errors import TutorError

USAGE_ERROR = 2
INTERNAL_ERROR = 70


def fail(message: str) -> NoReturn:
    """Print ``error: message`` (its first line) to stderr and exit with status 2.

    Errors that list several problems put a self-contained summary on their first line.
    """
    lines = message.strip().splitlines() or [""]
    line = " ".join(lines[0].split())
    typer.echo(f"error: {line}", err=True)
    sys.exit(USAGE_ERROR)


def _command_path(group: click.Group, args: list[str]) -> str:
    """The deepest command named on the command line (``tutor solve``), for errors that Click
    raises without a context."""
    path: list[str] = ["tutor"]
    command: click.Command = group
    for token in args:
        if token.startswith("-") or not isinstance(command, click.Group):
            if not token.startswith("-"):
                break
            continue
        sub = command.commands.get(token)
        if sub is None:
            break
        path.append(token)
        command = sub
    return " ".join(path)


def _usage_message(error: click.UsageError, group: click.Group, args: list[str]) -> str:
    message = error.message if "Did you mean" in error.message else error.format_message()
    if isinstance(error, click.NoSuchOption):
        message = error.message
        hint = _option_hint(error.option_name, error.possibilities)
        if hint:
            message = f"{message.rstrip('.')} (did you mean {hint}?)"
    message = message.rstrip(".")
    if message:
        message = message[0].lower() + message[1:]
    command = error.ctx.command_path if error.ctx is not None else _command_path(group, args)
    return f"{message} (see '{command} --help')"


def _option_hint(name: str, possibilities: Any) -> str | None:
    """A known option close to a mistyped one: a hyper-parameter's other name (``--learning-rate``
    is ``--lr``) or a spelling Click found close."""
    from tutor.cli.solve import option_for_alias

    option = option_for_alias(name)
    if option is not None:
        return option
    close = sorted(possibilities or ())
    return " or ".join(close[:2]) if close else None


class FunnelGroup(TyperGroup):
    """The root group: runs Click in non-standalone mode and funnels every error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        given = args[0] if args else kwargs.get("args")
        argv = list(given) if given is not None else sys.argv[1:]
        try:
            result = super().main(*args, **kwargs)
        except TutorError as error:
            fail(str(error))
        except click.exceptions.NoArgsIsHelpError as error:  # a bare `tutor` or `tutor solve`
            if error.ctx is not None:
                typer.echo(error.ctx.get_help())
            sys.exit(0)
        except click.UsageError as error:
            fail(_usage_message(error, self, argv))
        except click.exceptions.Exit as error:
            sys.exit(error.exit_code)
        except click.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception as error:  # a bug of ours: still one line, but say so
            if os.environ.get("TUTOR_DEBUG"):
                raise
            typer.echo(
                f"error: internal error ({type(error).__name__}: {error}); please report it, "
                "and set TUTOR_DEBUG=1 to see the traceback",
                err=True,
            )
            sys.exit(INTERNAL_ERROR)
        sys.exit(result if isinstance(result, int) else 0)
