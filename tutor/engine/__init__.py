"""The numeric engine: optimizer definitions and the loops that run them.

NumPy and the standard library only: no SymPy, no Rich, no Typer, no I/O. Every optimizer is one
:class:`~tutor.engine.spec.OptimizerSpec` in :data:`~tutor.engine.registry.OPTIMIZERS`.
"""

from tutor.engine.registry import OPTIMIZERS, get_optimizer
from tutor.engine.run import Divergence, StepRecord, Trajectory, iterate, trajectory
from tutor.engine.spec import Hyperparameter, OptimizerSpec, Quantity

__all__ = [
    "OPTIMIZERS",
    "Divergence",
    "Hyperparameter",
    "OptimizerSpec",
    "Quantity",
    "StepRecord",
    "Trajectory",
    "get_optimizer",
    "iterate",
    "trajectory",
]
