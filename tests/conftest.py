"""Fixtures for every test: progress and compiled losses are kept in temporary folders, never
the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def loss_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store of compiled losses for the whole session (subprocesses read it back)."""
    return tmp_path_factory.mktemp("losses")


@pytest.fixture(autouse=True)
def tutor_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loss_store: Path) -> Path:
    """``TUTOR_HOME`` in this test's temporary folder, so ``tutor quiz`` and ``tutor progress``
    never read or write the user's progress database; ``TUTOR_CACHE_DIR`` in the session's."""
    home = tmp_path / "tutor-home"
    monkeypatch.setenv("TUTOR_HOME", str(home))
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(loss_store))
    monkeypatch.delenv("TUTOR_NO_CACHE", raising=False)
    monkeypatch.delenv("TUTOR_NOW", raising=False)
    return home
