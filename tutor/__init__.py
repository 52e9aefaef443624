"""tutor: see what neural-network optimizers do to the numbers, one step at a time."""

__version__ = "0.1.0"
