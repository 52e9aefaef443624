"""Builders that turn results into :class:`~tutor.render.blocks.Document` blocks, one per kind.

:data:`BUILDERS` maps a result's ``kind`` to ``"module:function"`` (imported when used, so a
command loads only its own builder). Every block format (rich, markdown, latex, plain) prints
every kind listed here.
"""

BUILDERS: dict[str, str] = {
    "solution": "tutor.render.documents.solution:build",
    "comparison": "tutor.render.documents.conventions:build_comparison",
    "conventions": "tutor.render.documents.conventions:build_table",
    "optimizers": "tutor.render.documents.catalog:build_optimizers",
    "exercises": "tutor.render.documents.catalog:build_exercises",
    "exercise": "tutor.render.documents.catalog:build_exercise",
    "exercise-check": "tutor.render.documents.catalog:build_check",
    "explanation": "tutor.render.documents.explain:build_explanation",
    "topics": "tutor.render.documents.explain:build_topics",
    "grade-report": "tutor.render.documents.grade:build",
    "quiz-session": "tutor.render.documents.quiz:build_session",
    "quiz-bank": "tutor.render.documents.quiz:build_bank",
    "progress": "tutor.render.documents.quiz:build_progress",
    "schedule": "tutor.render.documents.schedule:build",
}
