"""Fixtures for every test: progress is kept in a temporary folder, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def tutor_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``TUTOR_HOME`` in this test's temporary folder, so ``tutor quiz`` and ``tutor progress``
    never read or write the user's progress database."""
    home = tmp_path / "tutor-home"
    monkeypatch.setenv("TUTOR_HOME", str(home))
    monkeypatch.delenv("TUTOR_NOW", raising=False)
    return home
