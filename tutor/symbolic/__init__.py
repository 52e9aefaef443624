"""The symbolic layer (SymPy): safe parsing of user text, gradients, and named losses.

Nothing here executes user text: it is parsed by a whitelist visitor (:mod:`.parse`) and only
SymPy trees built by our own code are differentiated and compiled.
"""
