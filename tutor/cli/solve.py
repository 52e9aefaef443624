"""``tutor solve``: one optimizer on one loss, every quantity of every step.

The hyper-parameter options are not written here: :class:`SolveCommand` generates them from the
optimizer registry the first time the command parses or shows help (names, types, defaults,
valid ranges and descriptions all come from the specs), and ``tutor solve OPTIMIZER --help``
shows that optimizer's options, its update and its reference. Adding an optimizer needs no edit
here.
"""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

import functools
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperCommand

from tutor.cli.options import (
    OUTPUT_PANEL,
    FormatOption,
    OutputOption,
    PrecisionOption,
    StandaloneOption,
    check_output,
    complete_optimizer,
    complete_preset,
    with_examples,
)
from tutor.engine.names import CONVENTION_NAMES
from tutor.errors import TutorError

HYPER_META = "tutor.hyperparameters"
TRAINING_PANEL = "Training loop"
ARGS_META = "tutor.args"

EXAMPLES = """\
Examples:

\b
  tutor solve adamw --theta 2.0 --lr 0.1
  tutor solve adam --loss rosenbrock --lr 0.01 --steps 5
  tutor solve sgd --loss 'x**2 + 10*y**2' --theta 3,1 --lr 0.05 --momentum 0.9 -n 10
  tutor solve adam --loss 'sum((W @ x - y)**2)' --params W:2x3 --data x=1,2,3 --data y=0,1 \\
      --theta 0.1,0.2,0.3,0.4,0.5,0.6 --lr 0.1
  tutor solve --exercise adamw-worked-example
  tutor solve adamw --theta 2.0 --lr 0.1 --compare-conventions
  tutor solve adam --steps 1000 --show-steps 3,17,40-45 --format markdown
  tutor solve sgd --loss rosenbrock --lr 0.001 --momentum 0.9 -n 30 \\
      --schedule 'cosine:t_max=30,eta_min=0.0001' --clip-norm 1.0
"""


@functools.cache
def hyper_options() -> dict[str, tuple[click.Option, list[Any]]]:
    """One option per hyper-parameter name in the registry, with the specs that have it.

    Built on first use (it imports the engine), so ``tutor --help`` stays fast.
    """
    from tutor.engine import OPTIMIZERS

    table: dict[str, tuple[click.Option, list[Any]]] = {}
    for spec in OPTIMIZERS.values():
        for hyper in spec.hyperparameters:
            if hyper.name in table:
                table[hyper.name][1].append((spec, hyper))
                continue
            table[hyper.name] = (_make_option(hyper), [(spec, hyper)])
    for option, owners in table.values():
        names = ", ".join(spec.name for spec, _ in owners)
        first = owners[0][1]
        option.help = f"{first.description} ({first.symbol.text}; {names})."
    return table


def option_for_alias(name: str) -> str | None:
    """``--lr`` for ``--learning-rate`` (or ``--eta``): a hyper-parameter's other names."""
    key = name.lstrip("-").lower().replace("-", "_")
    for hyper_name, (_, owners) in hyper_options().items():
        aliases = {hyper_name, *(a.replace("-", "_") for _, h in owners for a in h.also)}
        if key in aliases:
            return "--" + hyper_name.replace("_", "-")
    return None


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and not ctx.resilient_parsing:
        ctx.meta.setdefault(HYPER_META, {})[param.name] = value
    return value


def _make_option(hyper: Any) -> click.Option:
    option = hyper.option
    if hyper.kind == "flag":
        return click.Option(
            [f"{option}/--no-{option[2:]}"],
            default=None,
            expose_value=False,
            callback=_store,
        )
    if hyper.kind == "choice":
        kind: Any = click.Choice([c or "none" for c in hyper.choices])
    elif hyper.kind == "int":
        kind = click.INT
    else:
        kind = click.FLOAT
    return click.Option([option], type=kind, default=None, expose_value=False, callback=_store)


class SolveCommand(TyperCommand):
    """``tutor solve`` with hyper-parameter options generated from the registry."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        generated = [option for option, _ in hyper_options().values()]
        return params[:-1] + generated + params[-1:]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[ARGS_META] = list(args)
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        spec = _spec_from_args(ctx.meta.get(ARGS_META, []), self.get_params(ctx))
        if spec is None:
            super().format_help(ctx, formatter)
            return
        _format_optimizer_help(self, spec, ctx, formatter)


def _spec_from_args(args: list[str], params: list[click.Parameter]) -> Any:
    """The optimizer named on the command line (or by ``--exercise``), for its own help."""
    takes_value = {
        opt for p in params if isinstance(p, click.Option) and not p.is_flag for opt in p.opts
    }
    positional = None
    exercise = None
    i = 0
    while i < len(args):
        token = args[i]
        name = token.split("=", 1)[0]
        if token.startswith("-"):
            if name in ("--exercise", "-e"):
                exercise = (
                    token.split("=", 1)[1]
                    if "=" in token
                    else (args[i + 1] if i + 1 < len(args) else None)
                )
            if name in takes_value and "=" not in token:
                i += 1
        elif positional is None:
            positional = token
        i += 1
    from tutor.engine import OPTIMIZERS

    if positional is not None and positional.lower() in OPTIMIZERS:
        return OPTIMIZERS[positional.lower()]
    if exercise is not None:
        from tutor.content.index import bundled_index

        for summary in bundled_index():
            if summary.id == exercise and summary.optimizer in OPTIMIZERS:
                return OPTIMIZERS[summary.optimizer]
    return None


def number_text(value: Any) -> str:
    from tutor.engine.formula import number_text as text

    return text(value)


def _format_optimizer_help(
    command: click.Command, spec: Any, ctx: click.Context, formatter: click.HelpFormatter
) -> None:
    """The help of ``tutor solve OPTIMIZER``: its update, its options with defaults and ranges,
    its quantities and its reference, all read from the spec."""
    formatter.write_usage(f"{ctx.command_path} {spec.name}", "[OPTIONS]")
    with formatter.indentation():
        formatter.write_paragraph()
        formatter.write_text(f"{spec.title}: {spec.summary}")
        formatter.write_text(f"Reference: {spec.reference}.")
    config = spec.configure({})
    convention = spec.default_convention
    formatter.write_paragraph()
    with formatter.section(f"One step ({convention.title} convention; t = 1, 2, …)"):
        lines = []
        algorithm = config.algorithm()
        for quantity in algorithm.quantities:
            formula = algorithm.formulas[quantity.key].specialize({"t": 2.0})
            lines.append((quantity.symbol.text, f"= {formula.plain()}   ({quantity.description})"))
        formatter.write_dl(lines)
    own = {hyper.name for hyper in spec.hyperparameters}
    with formatter.section(
        f"{spec.title}'s options (torch.optim's names; betas as --beta1/--beta2)"
    ):
        rows = []
        for hyper in spec.hyperparameters:
            if hyper.kind == "flag":
                flag = f"{hyper.option} / --no-{hyper.option[2:]}"
                default = "on" if hyper.default else "off"
            else:
                metavar = {"int": "INTEGER", "choice": "CHOICE"}.get(hyper.kind, "FLOAT")
                flag = f"{hyper.option} {metavar}"
                default = (
                    str(hyper.default) if hyper.kind != "float" else number_text(hyper.default)
                )
                if hyper.default is None:
                    default = "none"  # as the option is typed
            rows.append(
                (
                    flag,
                    f"{hyper.description} ({hyper.symbol.text}).  "
                    f"[default: {default}; {hyper.describe_range()}]",
                )
            )
        formatter.write_dl(rows)
    conventions = ", ".join(c.name for c in spec.conventions)
    rows = []
    for param in command.get_params(ctx):
        if (
            isinstance(param, click.Option)
            and param.name in hyper_options()
            and param.name not in own
        ):
            continue
        if param.name in own:
            continue
        record = param.get_help_record(ctx)
        if record is not None and param.param_type_name == "option":
            rows.append(record)
    with formatter.section("Problem and output options"):
        formatter.write_dl(rows)
    formatter.write_paragraph()
    formatter.write_text(
        f"Conventions of {spec.name}: {conventions} (see 'tutor conventions {spec.name}')."
    )
    with formatter.section("Examples"):
        examples = [
            f"tutor solve {spec.name} --theta 2.0 --lr 0.1",
            f"tutor solve {spec.name} --loss rosenbrock --lr 0.01 --steps 20",
            f"tutor solve {spec.name} --loss 'x**2 + 10*y**2' --theta 3,1 --lr 0.1 -n 5 "
            "-f markdown",
        ]
        if len(spec.conventions) > 1:
            examples.append(f"tutor solve {spec.name} --theta 2.0 --lr 0.1 --compare-conventions")
        models = [h for h in spec.hyperparameters if h.name == "model"]
        if models:  # the loss is a model's likelihood (the natural gradient): name the model
            first, *others = [c for c in models[0].choices if c is not None]
            examples = [
                f"tutor solve {spec.name} --model {first}",
                f"tutor solve {spec.name} --model {first} --fisher empirical -n 3",
                *(f"tutor solve {spec.name} --model {o} --damping 0.1 -f markdown" for o in others),
            ]
        for line in examples:
            formatter.write_text(line)


def _parse_numbers(text: str, option: str) -> list[float]:
    """``"1.5,-0.5"`` as ``[1.5, -0.5]``; anything else is a TutorError naming ``option``."""
    values = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        try:
            values.append(float(part))
        except ValueError:
            raise TutorError(
                f"{option} takes comma-separated numbers such as 1.5,-0.5; got {part!r}"
            ) from None
    return values


def _clipping(clip_norm: float | None, norm_type: float | None, clip_value: float | None) -> Any:
    """The clipping rule the options ask for (None: no clipping)."""
    if clip_norm is None and clip_value is None:
        if norm_type is not None:
            raise TutorError("--norm-type goes with --clip-norm")
        return None
    if clip_value is not None and (clip_norm is not None or norm_type is not None):
        raise TutorError("choose one clipping rule: --clip-norm (with --norm-type) or --clip-value")
    from tutor.engine.clipping import Clipping

    return Clipping(
        max_norm=clip_norm, norm_type=2.0 if norm_type is None else norm_type, clip_value=clip_value
    )


def _hyperparameters(ctx: click.Context, spec: Any) -> dict[str, Any]:
    given: dict[str, Any] = dict(ctx.meta.get(HYPER_META, {}))
    own = {hyper.name: hyper for hyper in spec.hyperparameters}
    for name, value in given.items():
        if name not in own:
            owners = ", ".join(s.name for s, _ in hyper_options()[name][1])
            option = "--" + name.replace("_", "-")
            raise TutorError(
                f"{spec.name} has no option {option} (it belongs to {owners}); "
                f"see 'tutor solve {spec.name} --help'"
            )
        if own[name].kind == "choice" and value == "none":
            given[name] = None
    return given


def _progress_reporter(steps: int) -> Any:
    """A progress bar on stderr for runs that take more than about a second (only when stderr is
    a terminal; never on stdout)."""
    if steps < 2000 or not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    from tutor.cli.output import stderr_console

    started = time.monotonic()
    state: dict[str, Any] = {}

    def report(t: int) -> None:
        if "bar" not in state:
            if time.monotonic() - started < 1.0:
                return
            bar = Progress(console=stderr_console(), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("steps", total=steps)
        state["bar"].update(state["task"], completed=t)

    def close() -> None:
        if "bar" in state:
            state["bar"].stop()

    return report, close


def solve(
    ctx: typer.Context,
    optimizer: Annotated[
        str | None,
        typer.Argument(
            help="The optimizer (see 'tutor optimizers'); may be left out with --exercise.",
            show_default=False,
            autocompletion=complete_optimizer,
        ),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss",
            "-l",
            help="Loss expression such as '(theta - 1)**2', or a preset: quadratic, bowl, "
            "rosenbrock, himmelblau, beale, booth, logistic.  [default: quadratic]",
            show_default=False,
            autocompletion=complete_preset,
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            help="Parameters in order, with shapes for vectors and matrices: 'x,y' or "
            "'W:2x3,b:3'.  [default: the loss's names, sorted]",
            show_default=False,
        ),
    ] = None,
    theta: Annotated[
        str | None,
        typer.Option(
            help="Starting values, one per entry (matrices row by row), e.g. '1.5,-0.5'.  "
            "[default: the preset's start]",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            help="Named data the loss reads: x=[1,2,3], x=1,2,3 or A=[[1,2],[3,4]] (repeatable).",
            show_default=False,
        ),
    ] = None,
    data_file: Annotated[
        Path | None,
        typer.Option(
            "--data-file",
            help="Data from a JSON file (name -> list) or a CSV file (one column per name).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", "-n", help="Number of steps (1 to 100000).  [default: 1]", show_default=False
        ),
    ] = None,
    exercise: Annotated[
        str | None,
        typer.Option(
            "--exercise",
            "-e",
            help="Run a bundled exercise (its id) or an exercise file (its path).",
            show_default=False,
        ),
    ] = None,
    convention: Annotated[
        str | None,
        typer.Option(
            help="Whose arithmetic (see 'tutor conventions').  [default: the optimizer's own]",
            show_default=False,
            click_type=click.Choice(list(CONVENTION_NAMES), case_sensitive=False),
        ),
    ] = None,
    compare_conventions: Annotated[
        bool,
        typer.Option(
            "--compare-conventions",
            help="Run the problem under every convention and show where they differ.",
        ),
    ] = False,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="A learning-rate schedule with torch's argument names, e.g. "
            "'cosine:t_max=10,eta_min=0.001' (see 'tutor schedule --help').",
            rich_help_panel=TRAINING_PANEL,
            show_default=False,
        ),
    ] = None,
    clip_norm: Annotated[
        float | None,
        typer.Option(
            "--clip-norm",
            help="Clip the gradient's total norm to MAX before each step "
            "(torch.nn.utils.clip_grad_norm_).",
            metavar="MAX",
            rich_help_panel=TRAINING_PANEL,
            show_default=False,
        ),
    ] = None,
    norm_type: Annotated[
        float | None,
        typer.Option(
            "--norm-type",
            help="The norm --clip-norm measures: 2 (the default), 1, inf or any p > 0.",
            metavar="P",
            rich_help_panel=TRAINING_PANEL,
            show_default=False,
        ),
    ] = None,
    clip_value: Annotated[
        float | None,
        typer.Option(
            "--clip-value",
            help="Clamp every gradient component to [-V, V] before each step "
            "(torch.nn.utils.clip_grad_value_).",
            metavar="V",
            rich_help_panel=TRAINING_PANEL,
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            min=1,
            help="Show every K-th step (tables and summary).",
            rich_help_panel=OUTPUT_PANEL,
            show_default=False,
        ),
    ] = None,
    show_steps: Annotated[
        str | None,
        typer.Option(
            "--show-steps",
            help="Show these steps in full, e.g. 3,17,40-45.",
            rich_help_panel=OUTPUT_PANEL,
            show_default=False,
        ),
    ] = None,
    describe: Annotated[
        bool | None,
        typer.Option(
            "--describe/--no-describe",
            help="Each quantity's meaning under the tables.  [default: for one step]",
            rich_help_panel=OUTPUT_PANEL,
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = "rich",  # type: ignore[assignment]
    output: OutputOption = None,
    precision: PrecisionOption = 6,
    standalone: StandaloneOption = False,
) -> None:
    """Solve optimizer steps one quantity at a time, with formulas, numbers and a loss check.

    The gradient is derived symbolically; the numbers follow torch.optim's algorithm for the
    optimizer (Lion: the paper's rule) in float64. Each optimizer's own options are listed by
    'tutor solve OPTIMIZER --help'.
    """
    kind = "comparison" if compare_conventions else "solution"
    fmt = check_output(kind, output_format, standalone)
    from tutor.engine import get_optimizer
    from tutor.symbolic.data import parse_data, parse_params, read_data_file
    from tutor.teach.problem import make_problem, problem_from_exercise
    from tutor.teach.solve import View, parse_steps
    from tutor.teach.solve import solve as run_solve

    if exercise is None and optimizer is None:
        raise TutorError("name an optimizer (e.g. 'tutor solve adamw') or give --exercise")
    names = parse_params(params) if params is not None else None
    start = _parse_numbers(theta, "--theta") if theta is not None else None
    arrays = {
        **(read_data_file(data_file) if data_file is not None else {}),
        **parse_data(data or []),
    }
    view = View(every, parse_steps(show_steps) if show_steps else None, describe)
    clipping = _clipping(clip_norm, norm_type, clip_value)
    if exercise is not None:
        from tutor.content.exercises import find_exercise

        spec = get_optimizer(optimizer or find_exercise(exercise).optimizer)
        problem = problem_from_exercise(
            exercise,
            optimizer=optimizer,
            loss=loss,
            params=names,
            theta=start,
            steps=steps,
            hyperparameters=_hyperparameters(ctx, spec),
            convention=convention,
            data=arrays or None,
            schedule=schedule,
            clipping=clipping,
        )
    else:
        assert optimizer is not None
        spec = get_optimizer(optimizer)
        problem = make_problem(
            optimizer,
            loss=loss,
            params=names,
            theta=start,
            steps=1 if steps is None else steps,
            hyperparameters=_hyperparameters(ctx, spec),
            convention=convention,
            data=arrays or None,
            schedule=schedule,
            clipping=clipping,
        )
    for note in problem.notes:
        typer.echo(f"note: {note}", err=True)
    from tutor.cli.output import emit

    if compare_conventions:
        from tutor.teach.conventions import compare_conventions as compare

        if convention is not None:
            raise TutorError("--compare-conventions runs every convention; leave out --convention")
        emit(compare(problem), fmt, precision=precision, standalone=standalone, output=output)
        return
    report, close = _progress_reporter(problem.steps)
    try:
        solution = run_solve(problem, view, progress=report)
    finally:
        close()
    emit(solution, fmt, precision=precision, standalone=standalone, output=output)


solve.__doc__ = with_examples(solve.__doc__, EXAMPLES)
