"""Every optimizer `tutor` knows, by name: the single place new optimizers are registered."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from tutor.engine.optimizers.adagrad import ADAGRAD
from tutor.engine.optimizers.adam import ADAM, ADAMW
from tutor.engine.optimizers.lion import LION
from tutor.engine.optimizers.rmsprop import RMSPROP
from tutor.engine.optimizers.sgd import SGD
from tutor.engine.spec import OptimizerSpec
from tutor.errors import TutorError

OPTIMIZERS: Mapping[str, OptimizerSpec] = MappingProxyType(
    {spec.name: spec for spec in (SGD, ADAGRAD, RMSPROP, ADAM, ADAMW, LION)}
)


def get_optimizer(name: str) -> OptimizerSpec:
    """The spec called ``name`` (case-insensitive), or a TutorError suggesting the closest."""
    spec = OPTIMIZERS.get(name.strip().lower())
    if spec is not None:
        return spec
    close = difflib.get_close_matches(name.lower(), list(OPTIMIZERS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(OPTIMIZERS)})"
    raise TutorError(f"unknown optimizer {name!r}{hint}")
