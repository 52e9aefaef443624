"""``tutor schedule``: a learning-rate schedule's ηₜ for every step, as a table and a plot.

The schedules' options are generated from the engine's schedule registry (torch's argument names
in lower case, ``_`` written ``-``: ``--t-max``, ``--eta-min``, ``--max-lr``), the first time the
command parses or shows help, as ``tutor solve`` does for optimizers. An option that the named
schedule does not take is an error naming the schedules that do.
"""

# No `from __future__ import annotations` here (see tutor/cli/solve.py).

import functools
from typing import Annotated, Any

import click
import typer
from typer.core import TyperCommand

from tutor.cli.options import (
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
    complete_schedule,
    with_examples,
)
from tutor.errors import TutorError

ARGS_META = "tutor.schedule-arguments"
DEFAULT_LR = 0.1
DEFAULT_STEPS = 20

EXAMPLES = """\
Examples:

\b
  tutor schedule cosine --lr 0.1 --t-max 10 --eta-min 0.001 --steps 10
  tutor schedule warmup-cosine --lr 0.001 --warmup-steps 5 --steps 50
  tutor schedule onecycle --max-lr 0.1 --steps 100
  tutor schedule cyclic --base-lr 0.001 --max-lr 0.01 --step-size-up 5 --mode triangular2 -n 40
  tutor schedule multistep --milestones 3,6 --gamma 0.5 --steps 10 --format json
  tutor schedule plateau --patience 1 --losses 1,0.9,0.9,0.9,0.8 --steps 6
"""


@functools.cache
def argument_options() -> dict[str, tuple[click.Option, list[str]]]:
    """One option per argument name of any schedule, with the schedules that take it."""
    from tutor.engine.schedules import SCHEDULE_SPECS

    table: dict[str, tuple[click.Option, list[str]]] = {}
    for spec in SCHEDULE_SPECS:
        for parameter in spec.parameters:
            if parameter.name in table:
                table[parameter.name][1].append(spec.name)
                continue
            table[parameter.name] = (_make_option(parameter), [spec.name])
    for name, (option, owners) in table.items():
        option.help = f"{_first(name).description} ({', '.join(owners)})."
    return table


def _first(name: str) -> Any:
    from tutor.engine.schedules import SCHEDULE_SPECS

    return next(p for s in SCHEDULE_SPECS for p in s.parameters if p.name == name)


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and not ctx.resilient_parsing:
        ctx.meta.setdefault(ARGS_META, {})[param.name] = value
    return value


def _make_option(parameter: Any) -> click.Option:
    option = "--" + parameter.name.replace("_", "-")
    if parameter.kind == "flag":
        return click.Option(
            [f"{option}/--no-{option[2:]}"], default=None, expose_value=False, callback=_store
        )
    kind: Any = {"int": click.INT, "float": click.FLOAT}.get(parameter.kind, click.STRING)
    metavar = {"ints": "N,N,…", "choice": "WORD"}.get(parameter.kind)
    return click.Option(
        [option], type=kind, default=None, expose_value=False, callback=_store, metavar=metavar
    )


class ScheduleCommand(TyperCommand):
    """``tutor schedule`` with the schedules' arguments as generated options."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        generated = [option for option, _ in argument_options().values()]
        return params[:-1] + generated + params[-1:]


def _arguments(ctx: click.Context, spec: Any) -> dict[str, Any]:
    """The generated options given, checked against the schedule and converted."""
    given = dict(ctx.meta.get(ARGS_META, {}))
    own = {p.name: p for p in spec.parameters}
    arguments: dict[str, Any] = {}
    for name, value in given.items():
        if name not in own:
            owners = ", ".join(argument_options()[name][1])
            option = "--" + name.replace("_", "-")
            raise TutorError(
                f"the {spec.name} schedule has no option {option} (it belongs to {owners}); "
                f"see 'tutor schedule --help'"
            )
        if own[name].kind == "ints":
            value = _numbers(value, "--" + name.replace("_", "-"))
        arguments[name] = value
    return arguments


def _numbers(text: str, option: str) -> tuple[float, ...]:
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise TutorError(
                f"{option} takes comma-separated numbers such as 30,80; got {part!r}"
            ) from None
    return tuple(values)


def schedule(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="The schedule: step, multistep, exponential, linear, cosine, "
            "cosine-warm-restarts, warmup-cosine, onecycle, cyclic or plateau.",
            show_default=False,
            autocompletion=complete_schedule,
        ),
    ],
    lr: Annotated[
        float | None,
        typer.Option(
            "--lr",
            help=f"The optimizer's learning rate, which the schedule scales (η₀).  "
            f"[default: {DEFAULT_LR}; onecycle and cyclic set the rate themselves]",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[
        int,
        typer.Option("--steps", "-n", help="Number of optimizer steps (1 to 100000)."),
    ] = DEFAULT_STEPS,
    losses: Annotated[
        str | None,
        typer.Option(
            "--losses",
            help="plateau only: the loss after each step, e.g. 1,0.9,0.9,0.8 (steps − 1 of "
            "them are read).",
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Show a learning-rate schedule: ηₜ (the rate step t runs with) for t = 1, 2, …

    The rates are torch.optim.lr_scheduler's for the same arguments (named as torch names them,
    lower case, '_' written '-'), in float64. Step t runs with the rate the scheduler holds after
    k = t − 1 of its steps, so η₁ is the starting rate. Apply one to a run with
    'tutor solve OPTIMIZER --schedule NAME:ARG=VALUE,…'.
    """
    fmt = check_output("schedule", output_format, standalone)
    from tutor.cli.output import emit
    from tutor.engine.run import check_steps
    from tutor.engine.schedules import get_schedule
    from tutor.teach.schedule import schedule_curve

    spec = get_schedule(name)
    check_steps(steps)
    arguments = _arguments(ctx, spec)
    if lr is not None and not spec.reads_lr:
        raise TutorError(
            f"the {spec.name} schedule sets the rate itself (from --max-lr); leave out --lr"
        )
    rate = (DEFAULT_LR if lr is None else lr) if spec.reads_lr else None
    if rate is not None and not rate > 0:
        raise TutorError(f"--lr must be a number > 0, got {rate:g}")
    history = list(_numbers(losses, "--losses")) if losses is not None else None
    if history is not None and not get_schedule(name).name == "plateau":
        raise TutorError(f"--losses goes with the plateau schedule, not {spec.name}")
    curve = schedule_curve(spec.name, arguments, steps, rate, history)
    emit(curve, fmt, precision=precision, standalone=standalone, output=output)


schedule.__doc__ = with_examples(schedule.__doc__, EXAMPLES)
