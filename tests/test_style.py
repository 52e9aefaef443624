"""The code stays as ruff formats and lints it, and mypy accepts ``tutor/`` (configuration in
pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["tutor", "tests", "benchmarks", "scripts"]


def _tool(name: str) -> list[str]:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return [found]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command: list[str]) -> None:
    result = subprocess.run(
        [*_tool("ruff"), *command, *PATHS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = subprocess.run(
        [*_tool("mypy"), "--cache-dir", "/dev/null", "tutor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Layers, lowest first: a module may import its own layer and the layers before it.
LAYERS = ["engine", "symbolic", "content", "teach", "render", "cli"]
NEUTRAL = {"tutor", "tutor.errors"}  # the package itself (version) and the error types


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "tutor" or module in NEUTRAL:
        return None
    if len(parts) == 1 or parts[1] in ("api", "__main__"):
        return len(LAYERS) - 1  # the API sits beside the CLI, above render
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _imports(path: Path) -> list[str]:
    """Every ``tutor`` module a file imports, at the top or inside functions."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] == "tutor"]


MODULES = sorted((ROOT / "tutor").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_imports_point_one_way(path: Path) -> None:
    """engine <- symbolic <- content <- teach <- render <- cli: no layer imports one above it
    (lazy imports inside functions included)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    own = _layer(module)
    if own is None:
        return
    above = [name for name in _imports(path) if (_layer(name) or 0) > own]
    assert not above, f"{module} ({LAYERS[own]}) imports a higher layer: {above}"


def test_every_layer_has_modules() -> None:
    layers = {_layer(".".join(p.relative_to(ROOT).with_suffix("").parts)) for p in MODULES}
    assert set(range(len(LAYERS))) <= layers
