"""tutor: see what neural-network optimizers do to the numbers, one step at a time.

In a notebook::

    from tutor import solve
    result = solve("adamw", theta=2.0, lr=0.1)
    result                      # shows itself as the step tables
    result.to_json()            # the JSON of `tutor solve --format json`

``solve`` and the rest of :mod:`tutor.api` are imported on first use, so ``import tutor`` (and
``tutor --help``) load neither NumPy nor SymPy.
"""

from typing import Any

__version__ = "0.2.0"

_API = ("solve", "compare_conventions", "Result")


def __getattr__(name: str) -> Any:
    if name in _API:
        from tutor import api

        return getattr(api, name)
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return ["__version__", *_API]
