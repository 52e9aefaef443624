"""Renderers: pure functions from teaching data to text (Rich, JSON, Markdown, LaTeX)."""
