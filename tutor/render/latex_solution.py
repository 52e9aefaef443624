"""The LaTeX rendering of a solution: one ``align*`` block per step, ready for a problem sheet."""

from __future__ import annotations

from tutor.render.numbers import tex_value
from tutor.render.rows import step_rows
from tutor.render.solution_common import convention_text, divergence_text, tabled_steps, verdict
from tutor.teach.solve import Solution


def render_latex(solution: Solution, precision: int) -> str:
    problem = solution.problem
    lines = [
        f"% {problem.spec.title}; convention: {convention_text(solution)}",
        rf"\section*{{{problem.spec.title}}}",
        "",
    ]
    for record in tabled_steps(solution):
        lines += [rf"\subsection*{{Step {record.t}}}", r"\begin{align*}"]
        for row in step_rows(solution, record, precision):
            numbers = f" = {row.substituted_tex}" if row.substituted_tex else ""
            lines.append(
                f"{row.symbol_tex} &= {row.formula_tex}{numbers} "
                rf"= {tex_value(row.value, precision)} \\"
            )
        lines += [r"\end{align*}", ""]
    if solution.steps:
        lines.append(rf"\noindent {_escape(verdict(solution, precision))}.")
    diverged = divergence_text(solution)
    if diverged:
        lines.append(rf"\noindent\textbf{{{_escape(diverged)}}}")
    return "\n".join(lines) + "\n"


_UNICODE_TEX = {
    "θ": r"$\theta$",
    "₀": r"$_0$",
    "→": r"$\to$",
    " ✓": "",
    " ✗": "",
    "ₜ": r"$_t$",
}


def _escape(text: str) -> str:
    for char, tex in _UNICODE_TEX.items():
        text = text.replace(char, tex)
    for digit, sub in zip("₁₂₃₄₅₆₇₈₉", "123456789", strict=True):
        text = text.replace(digit, f"$_{sub}$")
    return text.replace("(--lr)", "(\\texttt{-{}-lr})")
