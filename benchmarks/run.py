"""How fast is `tutor`? Six measurements, each against a reference, in one run.

    python benchmarks/run.py

1. Start-up: wall time of whole ``tutor`` processes against a bare ``python -c "import ..."`` of
   the libraries the command cannot avoid (median of interleaved runs).
2. Many steps: 10,000 AdamW steps on Rosenbrock through our engine against torch.optim.AdamW.
3. Many configurations: a 64-point learning-rate grid stepped as one batch against one torch
   optimizer per configuration.
4. Memory: peak RSS of ``tutor solve`` against the same imports.
5. Long runs: 100,000 AdamW steps written to JSON against a one-step solve (time and memory).
6. Parsing: a 1,000-term sum against a 10-term one (per term), and against SymPy's parser.

It prints one table and exits 0 whatever the numbers: it reports, it never fails on speed. torch is
optional; without it rows 2 and 3 have no reference. See benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
START = (-1.5, 2.0)
LR = 1e-3
STEPS = 10_000
GRID = 64
GRID_STEPS_OURS = 2_000
GRID_STEPS_TORCH = 150
RTOL = 1e-9

STARTUP_RUNS = 15
STARTUP_WARMUP = 2
MEMORY_RUNS = 5
REPEATS = 3

SOLVE_ARGS = ["solve", "adamw", "--theta", "2.0", "--lr", "0.1"]
LONG_STEPS = 100_000
LONG_ARGS = [
    "solve",
    "adamw",
    "--loss",
    "(x - 1)**2 + 2*(y + 0.5)**2",
    "--theta",
    "3,1",
    "--lr",
    "0.001",
    "--steps",
    str(LONG_STEPS),
    "--format",
    "json",
]
ONE_STEP_JSON_ARGS = [*LONG_ARGS[:-4], "--steps", "1", "--format", "json"]
LONG_RUNS = 3
IMPORT_CLI = "import typer, rich.table"
IMPORT_SOLVE = "import typer, rich.table, sympy, numpy"
MAXRSS_WRAPPER = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


# --- The table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One measurement: our number, the reference's, and the target for their ratio.

    Attributes:
        name: what is measured.
        unit: ``"s"`` (wall time), ``"/s"`` (a rate) or ``"KiB"`` (memory).
        ours: our value, in ``unit``.
        reference: the reference's value, or None when it could not be measured.
        target: the bound on ``ours / reference``, or None for a row shown for information.
        lower_is_better: True for times and memory (``ratio <= target``), False for rates
            (``ratio >= target``).
        missing: shown instead of the reference when there is none (e.g. "torch not installed").
        agrees: for computed rows, whether ours and the reference ended at the same numbers; a
            ratio between different computations means nothing.
    """

    name: str
    unit: str
    ours: float
    reference: float | None
    target: float | None
    lower_is_better: bool
    missing: str = ""
    agrees: bool | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.reference is None else self.ours / self.reference

    @property
    def verdict(self) -> str:
        ratio = self.ratio
        if ratio is None or self.target is None:
            return "-"
        if self.agrees is False:
            return "MISMATCH"
        met = ratio <= self.target if self.lower_is_better else ratio >= self.target
        return "PASS" if met else "FAIL"


def format_value(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    if unit == "KiB":
        return f"{value / 1024:.1f} MiB"
    return f"{value:,.0f} /s"


def format_number(value: float, decimals: int = 2) -> str:
    """``decimals`` places below 10, fewer above (ratios get 3, so that 1.503 never shows as
    1.50 beside FAIL)."""
    if value < 10:
        return f"{value:.{decimals}f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table: a header, a rule, then exactly one line per row."""
    header = ("measurement", "ours", "reference", "ratio", "target", "pass/fail")
    cells = [
        (
            row.name,
            format_value(row.ours, row.unit),
            row.missing if row.reference is None else format_value(row.reference, row.unit),
            "-" if row.ratio is None else format_number(row.ratio, decimals=3),
            "-"
            if row.target is None
            else ("<= " if row.lower_is_better else ">= ") + format_number(row.target),
            row.verdict,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = [value.rjust(width) for value, width in zip(values[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells)])


# --- Processes: start-up and memory --------------------------------------------------------------


def tutor_command() -> list[str]:
    """The ``tutor`` console script next to this Python, or ``python -m tutor`` without one."""
    script = Path(sys.executable).parent / "tutor"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tutor"]


def python_command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def check_runs(command: Sequence[str]) -> None:
    """Stop with the command's own error if it fails: timing a failure would measure nothing."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr.strip() or "(no output)").splitlines()
        sys.exit(f"error: {' '.join(command)} exited {done.returncode}: {lines[-1]}")


def wall_time(command: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def interleaved_medians(
    commands: Sequence[Sequence[str]],
    measure: Callable[[Sequence[str]], float],
    runs: int,
    warmup: int = 0,
) -> list[float]:
    """Median of ``measure`` for each command, all commands run in every round.

    The starting command rotates from round to round, so machine noise and cache effects land on
    ours and the references alike. Warm-up rounds are run and thrown away.
    """
    samples: list[list[float]] = [[] for _ in commands]
    for round_ in range(warmup + runs):
        for k in range(len(commands)):
            i = (round_ + k) % len(commands)
            value = measure(commands[i])
            if round_ >= warmup:
                samples[i].append(value)
    return [statistics.median(s) for s in samples]


def peak_rss_kib(command: Sequence[str]) -> float:
    """Peak resident set size of ``command`` in KiB, measured from a fresh wrapper process."""
    done = subprocess.run(
        [sys.executable, "-c", MAXRSS_WRAPPER, *command],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def startup_rows(tutor: list[str], runs: int = STARTUP_RUNS) -> tuple[list[Row], list[str]]:
    """Start-up rows, and a line on the cyclic garbage collector: ``tutor`` turns it off (see
    tutor.cli.main.main), so the solve reference is also timed with it off, for comparison.

    ``tutor solve`` is timed as every run after a loss's first (its compiled loss read from the
    store, without SymPy), and, for information, with the store off, as a loss's first run is.
    """
    help_, listing, solve = [*tutor, "--help"], [*tutor, "exercises"], [*tutor, *SOLVE_ARGS]
    first = ["env", "TUTOR_NO_CACHE=1", *tutor, *SOLVE_ARGS]
    cli, full = python_command(IMPORT_CLI), python_command(IMPORT_SOLVE)
    full_no_gc = python_command(f"import gc; gc.disable(); {IMPORT_SOLVE}")
    commands = [help_, listing, solve, first, cli, full, full_no_gc]
    for command in commands:
        check_runs(command)
    t_help, t_list, t_solve, t_first, t_cli, t_full, t_no_gc = interleaved_medians(
        commands, wall_time, runs, STARTUP_WARMUP
    )
    rows = [
        Row("start-up: tutor --help", "s", t_help, t_cli, 1.5, lower_is_better=True),
        Row("start-up: tutor exercises", "s", t_list, t_cli, 1.5, lower_is_better=True),
        Row("start-up: tutor solve adamw", "s", t_solve, t_full, 1.25, lower_is_better=True),
        Row("start-up: the same, loss not stored", "s", t_first, t_full, None, True),
    ]
    note = (
        "tutor runs with Python's cyclic garbage collector off; the solve reference with it off "
        f"too: {t_no_gc * 1000:.1f} ms (against it, tutor solve: {t_solve / t_no_gc:.3f}; "
        f"with the loss not stored: {t_first / t_no_gc:.3f})"
    )
    return rows, [note]


def long_run_rows(tutor: list[str], runs: int = LONG_RUNS) -> list[Row]:
    """100,000 AdamW steps to JSON (every step written, streamed to a file) against a one-step
    solve of the same problem: time and peak memory, both as ratios.

    The targets compare runs of a loss not yet stored (``TUTOR_NO_CACHE=1``), the basis on which
    they were set, when every run derived its loss with SymPy. With the loss stored both runs
    start faster by the same amount, so their ratios grow; those are shown for information.
    """

    def to_file(command: Sequence[str]) -> float:
        with tempfile.TemporaryFile() as sink:
            start = time.perf_counter()
            subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True)
            return time.perf_counter() - start

    first = ["env", "TUTOR_NO_CACHE=1", *tutor]
    commands = [
        [*first, *LONG_ARGS],
        [*first, *ONE_STEP_JSON_ARGS],
        [*tutor, *LONG_ARGS],
        [*tutor, *ONE_STEP_JSON_ARGS],
    ]
    t_long, t_short, t_long_stored, t_short_stored = interleaved_medians(
        commands, to_file, runs, warmup=1
    )
    m_long, m_short, m_long_stored, m_short_stored = interleaved_medians(
        commands, peak_rss_kib, runs
    )
    name = f"{LONG_STEPS // 1000}k AdamW steps to JSON"
    return [
        Row(f"{name}, time", "s", t_long, t_short, 6.0, lower_is_better=True),
        Row(f"{name}, peak RSS", "KiB", m_long, m_short, 1.5, lower_is_better=True),
        Row(f"{name}, time, loss stored", "s", t_long_stored, t_short_stored, None, True),
        Row(f"{name}, peak RSS, loss stored", "KiB", m_long_stored, m_short_stored, None, True),
    ]


def parser_rows() -> list[Row]:
    """The parser is linear: per-term time at 1,000 terms against 10 terms (and SymPy's own
    parser on the same 1,000-term text, for scale)."""
    import importlib.util

    path = Path(__file__).resolve().parent / "parser.py"
    spec = importlib.util.spec_from_file_location("benchmarks_parser", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    rows = {row.terms: row for row in module.parser_rows()}
    small, large = rows[min(rows)], rows[max(rows)]
    return [
        Row(
            f"parse {large.terms:,}-term sum, per term vs {small.terms}",
            "s",
            large.ours_per_term,
            small.ours_per_term,
            2.0,
            lower_is_better=True,
        ),
        Row(
            f"parse {large.terms:,}-term sum vs sympy parse_expr",
            "s",
            large.ours_per_term * large.terms,
            large.reference_per_term * large.terms,
            1.0,
            lower_is_better=True,
        ),
    ]


CLASS_SIZE = 500
GRADE_EXERCISE = "sgd-one-step"  # it declares [variants], so students can have their own seeds
GRADE_RUNS = 3


def write_class(folder: Path, students: int, per_student_seed: bool) -> list[Path]:
    """``students`` answer files: solved keys, with one value wrong in every fifth (so some
    diagnoses run), sharing one seed or each with its own."""
    from tutor.teach.templates import answer_template

    paths = []
    shared = answer_template(GRADE_EXERCISE, seed=7, solved=True) if not per_student_seed else ""
    for i in range(students):
        text = answer_template(GRADE_EXERCISE, seed=i, solved=True) if per_student_seed else shared
        text = text.replace('student = ""', f'student = "s{i:04d}"')
        if i % 5 == 0:
            lines = text.splitlines()
            at = next(k for k, line in enumerate(lines) if line.startswith("update = "))
            lines[at] = "update = 0.123"
            text = "\n".join(lines) + "\n"
        path = folder / f"s{i:04d}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def grading_rows(tutor: list[str], runs: int = GRADE_RUNS) -> list[Row]:
    """``tutor grade`` on a class of 500 answer files against one file, both with one shared
    seed and with a seed per student."""
    rows = []
    for per_student in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            paths = write_class(Path(folder), CLASS_SIZE, per_student)
            whole = [*tutor, "grade", folder, "-f", "json", "-o", os.devnull]
            one = [*tutor, "grade", str(paths[1]), "-f", "json", "-o", os.devnull]
            t_whole, t_one = interleaved_medians([whole, one], wall_time, runs)
        how = "a seed per student" if per_student else "one shared seed"
        rows.append(
            Row(f"grade {CLASS_SIZE} files ({how})", "s", t_whole, t_one, 3.0, lower_is_better=True)
        )
    return rows


def memory_row(tutor: list[str], runs: int = MEMORY_RUNS) -> Row:
    ours, reference = interleaved_medians(
        [[*tutor, *SOLVE_ARGS], python_command(IMPORT_SOLVE)], peak_rss_kib, runs
    )
    return Row("peak RSS: tutor solve adamw", "KiB", ours, reference, 1.2, lower_is_better=True)


# --- In process: our engine against torch.optim ---------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """The best rate over a few repeats (work units per second) and the last run's result."""

    rate: float
    result: np.ndarray


def best_rate(run: Callable[[], np.ndarray], work: int, repeats: int) -> Timed:
    best, result = float("inf"), np.empty(0)
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return Timed(work / best, result)


def engine_problem() -> tuple[Any, Any]:
    """AdamW configured at ``LR``, and the compiled Rosenbrock loss."""
    from tutor.engine import get_optimizer
    from tutor.symbolic.loss import compile_loss

    return get_optimizer("adamw").configure({"lr": LR}), compile_loss(ROSENBROCK)


def ours_steps(steps: int = STEPS, repeats: int = REPEATS) -> Timed:
    """Steps per second of one AdamW run through ``tutor.engine.iterate``."""
    from tutor.engine import iterate

    config, loss = engine_problem()
    return best_rate(lambda: iterate(config, np.array(START), loss.gradient, steps), steps, repeats)


def learning_rates(size: int = GRID) -> np.ndarray:
    return np.geomspace(1e-4, 1e-1, size)


def ours_grid(steps: int, lrs: np.ndarray, repeats: int = REPEATS) -> Timed:
    """Configuration-steps per second of the whole grid stepped as one (len(lrs), 2) batch."""
    from tutor.engine import iterate

    config, loss = engine_problem()
    batch = config.with_values(lr=lrs[:, None])
    theta0 = np.tile(START, (len(lrs), 1))
    return best_rate(
        lambda: iterate(batch, theta0, loss.gradient, steps), steps * len(lrs), repeats
    )


def load_torch() -> ModuleType | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_adamw(torch: ModuleType, lr: float, steps: int) -> np.ndarray:
    """``steps`` steps of torch.optim.AdamW (float64, single-tensor path) on Rosenbrock."""
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.AdamW([p], lr=lr, foreach=False)
    for _ in range(steps):
        optimizer.zero_grad()
        x, y = p[0], p[1]
        loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        loss.backward()
        optimizer.step()
    return p.detach().numpy().copy()


def torch_steps(torch: ModuleType, steps: int = STEPS, repeats: int = REPEATS) -> Timed:
    torch_adamw(torch, LR, 200)  # warm-up: first-call dispatch and allocator costs
    return best_rate(lambda: torch_adamw(torch, LR, steps), steps, repeats)


def torch_grid(torch: ModuleType, steps: int, lrs: np.ndarray, repeats: int = 2) -> Timed:
    """Configuration-steps per second of one torch optimizer per learning rate, in turn."""
    torch_adamw(torch, LR, 200)
    return best_rate(
        lambda: np.stack([torch_adamw(torch, float(lr), steps) for lr in lrs]),
        steps * len(lrs),
        repeats,
    )


def agreement(ours: np.ndarray, reference: np.ndarray) -> tuple[bool, float]:
    """Whether the two results agree to ``RTOL``, and their largest relative difference."""
    diff = float(np.max(np.abs(ours - reference) / np.maximum(np.abs(reference), 1e-300)))
    return bool(np.allclose(ours, reference, rtol=RTOL, atol=0.0)), diff


def engine_rows(torch: ModuleType | None) -> tuple[list[Row], list[str]]:
    """Rows 2 and 3, and one line per agreement check."""
    lrs = learning_rates()
    single, grid = ours_steps(), ours_grid(GRID_STEPS_OURS, lrs)
    steps_name = f"{STEPS:,} AdamW steps, steps/s"
    grid_name = f"{GRID}-lr grid, config-steps/s"
    if torch is None:
        missing = "torch not installed"
        return [
            Row(steps_name, "/s", single.rate, None, 10, False, missing),
            Row(grid_name, "/s", grid.rate, None, 100, False, missing),
        ], []
    ref_single, ref_grid = torch_steps(torch), torch_grid(torch, GRID_STEPS_TORCH, lrs)
    same_single, diff_single = agreement(single.result, ref_single.result)
    # The grid's agreement is checked at torch's (shorter) run length, on every configuration.
    ours_short = ours_grid(GRID_STEPS_TORCH, lrs, repeats=1).result
    same_grid, diff_grid = agreement(ours_short, ref_grid.result)
    checks = [
        f"{STEPS:,} AdamW steps, final θ agrees with torch (rtol {RTOL:g}): "
        f"{'yes' if same_single else 'NO'} (largest relative difference {diff_single:.1e})",
        f"{GRID}-lr grid after {GRID_STEPS_TORCH} steps, all rows agree with torch "
        f"(rtol {RTOL:g}): {'yes' if same_grid else 'NO'} "
        f"(largest relative difference {diff_grid:.1e})",
    ]
    return [
        Row(steps_name, "/s", single.rate, ref_single.rate, 10, False, agrees=same_single),
        Row(grid_name, "/s", grid.rate, ref_grid.rate, 100, False, agrees=same_grid),
    ], checks


# --- Context: the machine, the install, the slowest imports --------------------------------------


def machine_line(torch: ModuleType | None) -> str:
    torch_version = torch.__version__ if torch is not None else "not installed"
    return (
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, torch {torch_version}"
    )


def install_warning() -> str | None:
    """A warning when ``tutor`` is an editable install (start-up would then be misleading)."""
    try:
        text = importlib.metadata.distribution("tutor").read_text("direct_url.json") or "{}"
    except importlib.metadata.PackageNotFoundError:
        text = "{}"
    editable = bool(json.loads(text).get("dir_info", {}).get("editable"))
    import tutor

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    outside = site not in Path(tutor.__file__).resolve().parents
    if not (editable or outside):
        return None
    why = (
        "this machine sets PYTHONDONTWRITEBYTECODE=1, so an editable install recompiles our "
        "modules on every start"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "an editable install imports the source tree, not what users get"
    )
    return (
        f"WARNING: tutor is imported from {Path(tutor.__file__).parent} (editable or not "
        f"installed). Measure start-up on a regular `pip install .`: {why}."
    )


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """``python -X importtime`` lines as (module, self µs, cumulative µs, nesting depth)."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        entries.append((name.strip(), int(self_us), int(cumulative_us), depth))
    return entries


def importtime_lines(tutor: list[str], top: int = 5) -> list[str]:
    """Where ``tutor solve`` spends its imports: self time per package, then our slowest modules."""
    entry = tutor[1:] if tutor[0] == sys.executable else tutor
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *entry, *SOLVE_ARGS],
        capture_output=True,
        text=True,
        check=False,
    )
    entries = parse_importtime(done.stderr)
    packages: dict[str, int] = {}
    for name, self_us, _, _ in entries:
        package = name.split(".")[0]
        packages[package] = packages.get(package, 0) + self_us
    heaviest = sorted(packages.items(), key=lambda item: -item[1])[:top]
    own = sorted((e for e in entries if e[0].split(".")[0] == "tutor"), key=lambda e: -e[1])[:top]
    return [
        f"Imports of `tutor solve` (python -X importtime, self time summed per package, total "
        f"{sum(packages.values()) / 1000:.0f} ms): "
        + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in heaviest),
        "Our slowest modules (self time): "
        + ", ".join(f"{name} {us / 1000:.1f} ms" for name, us, _, _ in own),
    ]


def legend() -> list[str]:
    """What each reference is, and how the numbers were taken."""
    return [
        f"Reference for --help and exercises: python -c {IMPORT_CLI!r}",
        f"Reference for solve (start-up and peak RSS): python -c {IMPORT_SOLVE!r}",
        "Reference for steps: torch.optim.AdamW (float64, foreach=False), autograd on the loss",
        f"Reference for the grid: one torch AdamW per learning rate, {GRID_STEPS_TORCH} steps "
        f"each, one after another (ours: {GRID_STEPS_OURS} steps of the whole batch)",
        f"Start-up: median of {STARTUP_RUNS} interleaved runs after {STARTUP_WARMUP} warm-ups; "
        f"rates: best of {REPEATS}; memory: median of {MEMORY_RUNS} (ru_maxrss).",
        "tutor solve reads its compiled loss from the store that its first run of the loss wrote "
        "(no SymPy); 'loss not stored' runs with TUTOR_NO_CACHE=1, as a loss's first run does.",
        f"Long run: `tutor {' '.join(LONG_ARGS)}` written to a file, against the same command "
        f"with --steps 1; median of {LONG_RUNS} runs each; both with TUTOR_NO_CACHE=1 (the "
        "basis the targets were set on), and both with the loss stored (for information).",
        "Parser: benchmarks/parser.py, best of several runs with an empty SymPy cache.",
        f"Grading: {CLASS_SIZE} answer files to {GRADE_EXERCISE} (every fifth with a wrong value) "
        f"against one of them, `tutor grade … -f json -o /dev/null`; median of {GRADE_RUNS}.",
    ]


# --- The run -------------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    tutor = tutor_command()
    warning = install_warning()
    # Children run in an empty folder so that `python -c` cannot import anything from here, and
    # keep compiled losses in a store of their own (filled by the warm-up runs).
    with tempfile.TemporaryDirectory() as empty, contextlib.chdir(empty):
        os.environ["TUTOR_CACHE_DIR"] = str(Path(empty) / "store")
        os.environ.pop("TUTOR_NO_CACHE", None)
        startup, collector = startup_rows(tutor)
        memory = memory_row(tutor)
        long_run = long_run_rows(tutor)
        grading = grading_rows(tutor)
        imports = importtime_lines(tutor)
    parsing = parser_rows()
    torch = load_torch()  # after the process measurements, so torch's threads stay out of them
    engine, checks = engine_rows(torch)

    print(machine_line(torch))
    print(f"tutor: {' '.join(tutor)}")
    if warning:
        print(warning)
    print()
    print(format_table([*startup, *engine, memory, *long_run, *parsing, *grading]))
    print()
    for line in [*legend(), *collector, *checks, *imports]:
        print(line)
    print(f"Total time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
