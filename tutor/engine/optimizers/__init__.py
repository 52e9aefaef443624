"""The optimizers of the first wave, one module each."""
