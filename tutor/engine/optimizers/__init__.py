"""One module per optimizer (or per family, like Adam and AdamW); each lists its specs in ``SPECS``.

:mod:`tutor.engine.registry` finds the modules here by themselves: adding an optimizer is adding
a module, nothing else.
"""
