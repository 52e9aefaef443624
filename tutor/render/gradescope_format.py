"""Gradescope's ``results.json`` (autograder output) for ``tutor grade``."""

from __future__ import annotations

from typing import Any

from tutor.render.json_format import dumps
from tutor.render.options import RenderOptions


def grade_report(result: Any, options: RenderOptions) -> str:
    from tutor.render.documents.grade import gradescope_data

    return dumps(gradescope_data(result)) + "\n"
