"""Building blocks shared by the optimizers, each written once and named after its math.

All functions are pure, element-wise and broadcast, so that hyper-parameters may be arrays with
one row per configuration (the batched path) as well as plain floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """``start + weight·(end − start)``, computed as ``torch.lerp`` does.

    torch switches to ``end − (end − start)·(1 − weight)`` when ``weight >= 0.5`` so that the
    result is exact at ``weight = 1``; matching it keeps our numbers on torch's last digit.
    """
    if isinstance(weight, (int, float)):
        if weight < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    return np.where(
        weight < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight)
    )


def moving_average(previous: Any, new: Any, decay: Any) -> Any:
    """Exponential moving average ``decay·previous + (1 − decay)·new``, in torch's ``mul_``/
    ``add_`` order (used where torch does not compute it with ``lerp``)."""
    return previous * decay + (1 - decay) * new


def moving_average_of_squares(previous: Any, g: Any, decay: Any) -> Any:
    """``decay·previous + (1 − decay)·g²``, as torch's ``mul_(decay).addcmul_(g, g, 1 − decay)``
    evaluates it: ``((1 − decay)·g)·g``."""
    return previous * decay + (1 - decay) * g * g


def bias_correction(beta: Any, t: int) -> Any:
    """``1 − βᵗ``: the weight that a zero-initialised moving average is missing after t steps."""
    return 1 - beta**t


def stabilized_root(x: Any, eps: Any, placement: str) -> Any:
    """``√x + ε`` (``placement="outside"``, PyTorch) or ``√(x + ε)`` (``"inside"``, Keras, optax
    and many textbooks): the divisor of adaptive methods."""
    if placement == "inside":
        return np.sqrt(x + eps)
    return np.sqrt(x) + eps


def l2_gradient(g: Any, theta: Any, weight_decay: Any) -> Any:
    """L2-regularised gradient ``g + λ·θ`` (weight decay folded into the gradient)."""
    return g + weight_decay * theta


def decoupled_decay(theta: Any, lr: Any, weight_decay: Any) -> Any:
    """Decoupled weight decay ``θ·(1 − η·λ)``, applied to the weights before the step."""
    return theta * (1 - lr * weight_decay)
