"""The numeric engine: optimizer definitions, their compiled algorithms and the loops that run them.

NumPy and the standard library only: no SymPy, no Rich, no Typer, no I/O. Every optimizer is one
:class:`~tutor.engine.spec.OptimizerSpec` in :data:`~tutor.engine.registry.OPTIMIZERS`.

The names below are imported on first use, so that importing a light module of the package
(``tutor.engine.names``) does not load NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Layout": "tutor.engine.layout",
    "Parameter": "tutor.engine.layout",
    "Program": "tutor.engine.program",
    "OPTIMIZERS": "tutor.engine.registry",
    "get_optimizer": "tutor.engine.registry",
    "Divergence": "tutor.engine.run",
    "Objective": "tutor.engine.run",
    "StepRecord": "tutor.engine.run",
    "Trajectory": "tutor.engine.run",
    "iterate": "tutor.engine.run",
    "trajectory": "tutor.engine.run",
    "Config": "tutor.engine.spec",
    "Convention": "tutor.engine.spec",
    "Hyperparameter": "tutor.engine.spec",
    "OptimizerSpec": "tutor.engine.spec",
    "Quantity": "tutor.engine.spec",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tutor.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
