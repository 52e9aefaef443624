"""The store of compiled losses: the same numbers and text without SymPy, and nothing run that
the whitelist did not check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tutor.symbolic.loss as loss_module
from tutor.symbolic import store
from tutor.symbolic.loss import Loss, compile_loss
from tutor.symbolic.parse import ALLOWED_FUNCTIONS, ARRAY_FUNCTIONS
from tutor.symbolic.presets import presets

# Array functions need arrays: one loss each (a new array function fails the coverage check).
ARRAY_LOSSES = {
    "sum": ("sum((W @ x - y)**2)", {"W": (2, 3)}),
    "mean": ("mean(W**2) + mean(W)", {"W": (2, 2)}),
    "norm": ("norm(W) + norm(W @ x)", {"W": (2, 3)}),
    "dot": ("dot(v, v) + dot(v, y)", {"v": (2,)}),
    "transpose": ("sum((transpose(W) @ y)**2)", {"W": (2, 3)}),
}
DATA = {"x": np.array([1.0, -2.0, 0.5]), "y": np.array([0.25, 3.0])}


def _element_loss(name: str) -> str:
    """A loss of x and y using the element-wise function ``name``, defined on (0, 1)²."""
    if ALLOWED_FUNCTIONS[name].arity.minimum == 2:
        return f"{name}(x, y) + {name}(x - y, 0.5*x*y) + (x - 0.3)**2"
    return f"{name}(x*y + 0.5) + {name}(x + y/2 + 0.1)*y + (y - 0.7)**2"


CASES = [
    *(pytest.param(p.loss, None, None, id=f"preset-{name}") for name, p in presets().items()),
    *(pytest.param(_element_loss(n), None, None, id=n) for n in ALLOWED_FUNCTIONS),
    *(pytest.param(text, shapes, DATA, id=name) for name, (text, shapes) in ARRAY_LOSSES.items()),
]


def test_every_array_function_has_a_case() -> None:
    assert set(ARRAY_LOSSES) == set(ARRAY_FUNCTIONS)


def _fresh(text: str, shapes: dict | None, data: dict | None) -> Loss:
    """The loss derived by SymPy, the store off."""
    loss_module._compile.cache_clear()
    return compile_loss(text, shapes=shapes, data=data)


def _points(loss: Loss) -> np.ndarray:
    n = len(loss.component_names())
    return np.random.default_rng(7).uniform(0.1, 0.9, size=(5, n))


@pytest.mark.parametrize(("text", "shapes", "data"), CASES)
def test_a_stored_loss_has_the_same_numbers_text_and_expressions(
    text: str, shapes: dict | None, data: dict | None, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TUTOR_NO_CACHE", "1")
    fresh = _fresh(text, shapes, data)
    assert not list(tmp_path.iterdir())
    monkeypatch.delenv("TUTOR_NO_CACHE")
    first = _fresh(text, shapes, data)  # derived again, and written
    assert len(list((tmp_path / "losses").glob("*.json"))) == 1
    stored = _fresh(text, shapes, data)  # read back
    assert stored.printed is not None and first.printed is None
    assert (stored.text, stored.params, stored.layout) == (fresh.text, fresh.params, fresh.layout)
    for theta in _points(fresh):
        np.testing.assert_array_equal(stored.value(theta), fresh.value(theta))
        np.testing.assert_array_equal(stored.gradient(theta), fresh.gradient(theta))
    batch = _points(fresh)
    np.testing.assert_array_equal(stored.gradient(batch), fresh.gradient(batch))
    assert stored.templates == fresh.templates
    assert stored.derivatives == fresh.derivatives
    assert stored.expr == fresh.expr  # derived again from the text on first use
    assert stored.gradient_exprs == fresh.gradient_exprs


def _record(folder: Path) -> tuple[Path, str, dict]:
    """The one stored loss in ``folder``: its file, its key and its record."""
    (path,) = folder.glob("*.json")
    entry = json.loads(path.read_text(encoding="utf-8"))
    return path, entry["key"], entry["data"]


def _rewrite(path: Path, key: str, record: object) -> None:
    path.write_text(json.dumps({"key": key, "data": record}), encoding="utf-8")


REFUSED_SOURCES = [
    'def _lambdifygenerated(Dummy_1):\n    return __import__("os").getcwd()\n',
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1.__class__\n",
    "def _lambdifygenerated(Dummy_1):\n    return open\n",
    "def _lambdifygenerated(Dummy_1):\n    return [c for c in Dummy_1]\n",
    "def _lambdifygenerated(Dummy_1):\n    return (lambda: 1)()\n",
    "def _lambdifygenerated(Dummy_1):\n    x = 1\n    return x\n",
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1 if Dummy_1 else 0\n",
    "def _lambdifygenerated(Dummy_1):\n    return 'text'\n",
    "def _lambdifygenerated(Dummy_1):\n    return exp(Dummy_1)[0]\n",
    "def _lambdifygenerated(Dummy_1):\n    return select([], [], default=print)\n",
    "def _lambdifygenerated(Dummy_1):\n    return exp(Dummy_1, out=Dummy_1)\n",
    "def _lambdifygenerated(exp):\n    return exp\n",
    "def _lambdifygenerated(Dummy_1=1):\n    return Dummy_1\n",
    "@exp\ndef _lambdifygenerated(Dummy_1):\n    return Dummy_1\n",
    "def other(Dummy_1):\n    return Dummy_1\n",
    "import os\n",
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1\nprint(1)\n",
    "def _lambdifygenerated(Dummy_1, Dummy_2):\n    return Dummy_1\n",  # wrong arity
    "def _lambdifygenerated(Dummy_1):\n    return (\n",
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1 + 9**9**9\n",  # exact integers
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1*(10**60)**60\n",
    "def _lambdifygenerated(Dummy_1):\n    return Dummy_1 + 2*2*2*2*2*2*2*2*2*2\n",
    f"def _lambdifygenerated(Dummy_1):\n    return Dummy_1 + {10**30}\n",
]


@pytest.mark.parametrize("source", REFUSED_SOURCES)
def test_a_stored_function_outside_the_whitelist_is_refused_then_rewritten(
    source: str, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path))
    _fresh("(theta - 1)**2", None, None)
    path, key, record = _record(tmp_path / "losses")
    _rewrite(path, key, {**record, "gradient": source})
    loss_module._compile.cache_clear()
    assert store.load(key, "(theta - 1)**2", lambda: None) is None
    again = compile_loss("(theta - 1)**2")  # a miss: derived and written again
    assert again.printed is None
    np.testing.assert_array_equal(again.gradient(np.array([3.0])), [4.0])
    rewritten = _record(tmp_path / "losses")[2]["gradient"]
    assert rewritten != source and store._checked_tree(rewritten) is not None


@pytest.mark.parametrize(
    "damage",
    [
        lambda key, r: "not json",
        lambda key, r: json.dumps({"key": key + " ", "data": r}),  # another loss's entry
        lambda key, r: json.dumps([key, r]),
        lambda key, r: json.dumps({"key": key, "data": {**r, "format": 0}}),
        lambda key, r: json.dumps({"key": key, "data": {**r, "text": "(theta - 2)**2"}}),
        lambda key, r: json.dumps({"key": key, "data": {**r, "shapes": [["theta", [0]]]}}),
        lambda key, r: json.dumps({"key": key, "data": {**r, "templates": []}}),
        lambda key, r: json.dumps({"key": key, "data": {**r, "derivatives": [["t", 1, 2, 3, 4]]}}),
        lambda key, r: json.dumps(
            {"key": key, "data": {**r, "templates": [["a", "b", [["s", 7]]]]}}
        ),
        lambda key, r: json.dumps({"key": key, "data": [r]}),
        lambda key, r: json.dumps({"key": key, "data": {**r, "shapes": [["theta", [10**5] * 2]]}}),
        lambda key, r: json.dumps(
            {"key": key, "data": {**r, "params": ["a", "a"], "shapes": [["a", []], ["a", []]]}}
        ),
        lambda key, r: json.dumps(
            {"key": key, "data": {k: v for k, v in r.items() if k != "value"}}
        ),
    ],
)
def test_a_damaged_or_foreign_file_is_a_miss(damage, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path))
    _fresh("(theta - 1)**2", None, None)
    path, key, record = _record(tmp_path / "losses")
    assert store.load(key, "(theta - 1)**2", lambda: None) is not None
    path.write_text(damage(key, record), encoding="utf-8")
    assert store.load(key, "(theta - 1)**2", lambda: None) is None


def test_an_oversized_file_is_not_read(monkeypatch, tmp_path: Path) -> None:
    from tutor import cache

    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path))
    _fresh("(theta - 1)**2", None, None)
    path, key, _ = _record(tmp_path / "losses")
    assert store.load(key, "(theta - 1)**2", lambda: None) is not None
    monkeypatch.setattr(cache, "MAX_BYTES", path.stat().st_size - 1)
    assert store.load(key, "(theta - 1)**2", lambda: None) is None


def test_the_store_can_be_turned_off_and_keeps_few_files(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TUTOR_NO_CACHE", "1")
    _fresh("x**2 + y**2", None, None)
    assert not list(tmp_path.iterdir())
    monkeypatch.delenv("TUTOR_NO_CACHE")
    monkeypatch.setattr(store, "MAX_FILES", 3)
    for k in range(6):
        _fresh(f"x**2 + {k}*y**2", None, None)
    assert len(list((tmp_path / "losses").glob("*.json"))) == 3
    assert not list((tmp_path / "losses").glob(".*"))  # no temporary file left behind


def test_an_unwritable_folder_only_costs_the_store(monkeypatch, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(blocked / "losses"))
    loss = _fresh("(theta - 1)**2", None, None)
    np.testing.assert_array_equal(loss.gradient(np.array([2.0])), [2.0])


SOLVE = ["solve", "adamw", "--loss", "rosenbrock", "--lr", "0.01", "-n", "2"]
PROBE = (
    "import contextlib, io, json, sys\n"
    "sys.argv = ['tutor', *sys.argv[1:]]\n"
    "from tutor.cli.main import main\n"
    "out = io.StringIO()\n"
    "try:\n"
    "    with contextlib.redirect_stdout(out):\n"
    "        main()\n"
    "except SystemExit as done:\n"
    "    assert not done.code, done.code\n"
    "print(json.dumps(['sympy' in sys.modules, out.getvalue()]))\n"
)


def _solve(folder: Path, *args: str) -> tuple[bool, str]:
    env = {"TUTOR_CACHE_DIR": str(folder), "COLUMNS": "120", "NO_COLOR": "1", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    imported, text = json.loads(done.stdout)
    return imported, text


@pytest.mark.parametrize("fmt", ["rich", "json", "markdown", "latex"])
def test_a_second_solve_imports_no_sympy_and_prints_the_same(fmt: str, tmp_path: Path) -> None:
    first = _solve(tmp_path, *SOLVE, "--format", fmt)
    second = _solve(tmp_path, *SOLVE, "--format", fmt)
    assert first[0] is True and second[0] is False
    assert second[1] == first[1]


def test_no_home_folder_means_no_store(monkeypatch) -> None:
    """Where platformdirs cannot find a home folder, losses are derived every time; nothing
    fails."""
    import platformdirs

    from tutor import cache

    def no_home(*args: object, **kwargs: object) -> str:
        raise RuntimeError("home directory cannot be resolved")

    monkeypatch.delenv("TUTOR_CACHE_DIR")
    monkeypatch.setattr(platformdirs, "user_cache_dir", no_home)
    assert cache.folder("losses") is None
    loss = _fresh("(theta - 1)**2", None, None)
    np.testing.assert_array_equal(loss.gradient(np.array([2.0])), [2.0])
