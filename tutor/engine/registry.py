"""Every optimizer `tutor` knows, by name: found in :mod:`tutor.engine.optimizers`.

Each module of that package exposes ``SPECS``, a tuple of :class:`OptimizerSpec`; the registry
imports every module once, on first use, and lists the optimizers by publication year (SGD,
AdaGrad, RMSprop, Adam, …), the order a course meets them in. Adding an optimizer needs one new
module and nothing else: no list here, in the CLI or in the tests names them.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from tutor.engine import optimizers as package
from tutor.engine.spec import OptimizerSpec
from tutor.errors import TutorError


@functools.cache
def _discover() -> Mapping[str, OptimizerSpec]:
    specs: list[OptimizerSpec] = []
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_") or module_info.name == "common":
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        specs.extend(getattr(module, "SPECS", ()))
    specs.sort(key=lambda spec: (spec.year, spec.name))
    names = [spec.name for spec in specs]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise RuntimeError(f"optimizer names registered twice: {sorted(duplicates)}")
    return MappingProxyType({spec.name: spec for spec in specs})


class _Registry(Mapping[str, OptimizerSpec]):
    """A read-only mapping that discovers the optimizer modules when first read."""

    def __getitem__(self, name: str) -> OptimizerSpec:
        return _discover()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_discover())

    def __len__(self) -> int:
        return len(_discover())

    def __repr__(self) -> str:
        return f"OPTIMIZERS({', '.join(self)})"


OPTIMIZERS: Mapping[str, OptimizerSpec] = _Registry()


def get_optimizer(name: str) -> OptimizerSpec:
    """The spec called ``name`` (case-insensitive), or a TutorError suggesting the closest."""
    key = name.strip().lower()
    spec = OPTIMIZERS.get(key)
    if spec is not None:
        return spec
    close = difflib.get_close_matches(key, list(OPTIMIZERS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(OPTIMIZERS)})"
    raise TutorError(f"unknown optimizer {name!r}{hint}")
