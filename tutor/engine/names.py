"""Names the command line needs before it loads NumPy: the conventions `tutor` knows."""

from __future__ import annotations

from collections.abc import Mapping

CONVENTION_NAMES: Mapping[str, str] = {
    "pytorch": "torch.optim's single-tensor code path (PyTorch 2.13)",
    "paper": "the original publication's algorithm",
    "optax": "optax's gradient transformations",
    "keras": "Keras 3 optimizers",
    "textbook": "the forms common in course notes and cheat sheets",
}
"""Every convention name `tutor` knows, with what it follows."""
