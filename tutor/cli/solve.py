"""``tutor solve``: one optimizer on one loss, every quantity of every step."""

# No `from __future__ import annotations` here: Typer would then have to evaluate every
# annotation string when it builds the commands, which costs 10 ms of start-up.

from enum import StrEnum
from typing import Annotated, Any

import typer

from tutor.errors import TutorError

HYPER = "Hyper-parameters (torch.optim's names; defaults are the optimizer's own)"
OUTPUT = "Output"


class Format(StrEnum):
    rich = "rich"
    json = "json"
    markdown = "markdown"
    latex = "latex"


def parse_numbers(text: str, option: str) -> list[float]:
    """``"1.5,-0.5"`` as ``[1.5, -0.5]``; anything else is a TutorError naming ``option``."""
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    values = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError:
            raise TutorError(
                f"{option} takes comma-separated numbers such as 1.5,-0.5; got {part!r}"
            ) from None
    return values


def parse_names(text: str) -> list[str]:
    return [p.strip() for p in text.split(",")]


def solve(
    optimizer: Annotated[
        str | None,
        typer.Argument(
            help="sgd, adagrad, rmsprop, adam, adamw or lion (may be left out with --exercise).",
            show_default=False,
        ),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss",
            "-l",
            help="Loss expression such as '(theta - 1)**2', or a preset name: quadratic, bowl, "
            "rosenbrock, himmelblau, beale, booth, logistic.  [default: quadratic]",
            show_default=False,
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            help="Parameter names in order, e.g. 'x,y'.  [default: the loss's names, sorted]",
            show_default=False,
        ),
    ] = None,
    theta: Annotated[
        str | None,
        typer.Option(
            help="Starting values, one per parameter, e.g. '1.5,-0.5'.  [default: the "
            "preset's start]",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option("--steps", "-n", help="Number of steps.  [default: 1]", show_default=False),
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
            help="Whose arithmetic: pytorch, paper, optax, keras or textbook (see 'tutor "
            "conventions').  [default: pytorch; lion: paper]",
            show_default=False,
        ),
    ] = None,
    compare_conventions: Annotated[
        bool,
        typer.Option(
            "--compare-conventions",
            help="Run the problem under every convention and show where they differ.",
        ),
    ] = False,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.", rich_help_panel=OUTPUT)
    ] = Format.rich,
    precision: Annotated[
        int,
        typer.Option(
            "--precision",
            "-p",
            min=1,
            max=17,
            help="Significant digits shown (JSON always has full precision).",
            rich_help_panel=OUTPUT,
        ),
    ] = 6,
    lr: Annotated[
        float | None,
        typer.Option(help="Learning rate η.", rich_help_panel=HYPER, show_default=False),
    ] = None,
    beta1: Annotated[
        float | None,
        typer.Option(
            help="β₁ (betas[0]): adam, adamw, lion.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    beta2: Annotated[
        float | None,
        typer.Option(
            help="β₂ (betas[1]): adam, adamw, lion.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    eps: Annotated[
        float | None,
        typer.Option(
            help="ε: adagrad, rmsprop, adam, adamw.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    weight_decay: Annotated[
        float | None,
        typer.Option(
            help="Weight decay λ (every optimizer).", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    momentum: Annotated[
        float | None,
        typer.Option(help="Momentum μ: sgd, rmsprop.", rich_help_panel=HYPER, show_default=False),
    ] = None,
    dampening: Annotated[
        float | None,
        typer.Option(help="Dampening τ: sgd.", rich_help_panel=HYPER, show_default=False),
    ] = None,
    nesterov: Annotated[
        bool | None,
        typer.Option(
            "--nesterov/--no-nesterov",
            help="Nesterov momentum: sgd.",
            rich_help_panel=HYPER,
            show_default=False,
        ),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            help="Smoothing constant α: rmsprop.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    centered: Annotated[
        bool | None,
        typer.Option(
            "--centered/--no-centered",
            help="Centered variant: rmsprop.",
            rich_help_panel=HYPER,
            show_default=False,
        ),
    ] = None,
    lr_decay: Annotated[
        float | None,
        typer.Option(
            help="Learning-rate decay: adagrad.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    initial_accumulator_value: Annotated[
        float | None,
        typer.Option(
            help="Starting sum of squares: adagrad.", rich_help_panel=HYPER, show_default=False
        ),
    ] = None,
    amsgrad: Annotated[
        bool | None,
        typer.Option(
            "--amsgrad/--no-amsgrad",
            help="AMSGrad variant: adam, adamw.",
            rich_help_panel=HYPER,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Solve optimizer steps one quantity at a time, with formulas, numbers and a loss check.

    The gradient is derived symbolically; the numbers follow torch.optim's algorithm for the
    optimizer (Lion: the paper's rule) in float64.

    Examples:

    \b
      tutor solve adamw --theta 2.0 --lr 0.1
      tutor solve adam --loss rosenbrock --lr 0.01 --steps 5
      tutor solve sgd --loss 'x**2 + 10*y**2' --theta 3,1 --lr 0.05 --momentum 0.9 -n 10
      tutor solve rmsprop --loss '(w - 3)**2' --theta 0 --centered --format json
      tutor solve --exercise adamw-worked-example
      tutor solve adamw --theta 2.0 --lr 0.1 --compare-conventions
    """
    overrides: dict[str, Any] = {
        name: value
        for name, value in {
            "lr": lr,
            "beta1": beta1,
            "beta2": beta2,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "alpha": alpha,
            "centered": centered,
            "lr_decay": lr_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "amsgrad": amsgrad,
        }.items()
        if value is not None
    }
    from tutor.cli.output import print_comparison, print_solution
    from tutor.teach.solve import make_problem, problem_from_exercise
    from tutor.teach.solve import solve as run_solve

    names = parse_names(params) if params is not None else None
    start = parse_numbers(theta, "--theta") if theta is not None else None
    if exercise is not None:
        problem = problem_from_exercise(
            exercise,
            optimizer=optimizer,
            loss=loss,
            params=names,
            theta=start,
            steps=steps,
            hyperparameters=overrides,
            convention=convention,
        )
    elif optimizer is None:
        raise TutorError("name an optimizer (e.g. 'tutor solve adamw') or give --exercise")
    else:
        problem = make_problem(
            optimizer,
            loss=loss,
            params=names,
            theta=start,
            steps=1 if steps is None else steps,
            hyperparameters=overrides,
            convention=convention,
        )
    if compare_conventions:
        from tutor.teach.conventions import compare_conventions as compare

        if convention is not None:
            raise TutorError("--compare-conventions runs every convention; leave out --convention")
        print_comparison(compare(problem), output_format.value, precision)
    else:
        print_solution(run_solve(problem), output_format.value, precision)
