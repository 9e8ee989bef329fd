"""Building blocks of the generic engines, written once and bound per framework.

Each feature has one framework-free module here (its schema and checks) and a module
of the same name in each of ``numpy/`` (the reference, written out by hand),
``torch/``, ``tensorflow/`` and ``jax/`` (each framework's own ops, autodiff, layers,
losses and optimizer classes), with the same function names in each.
"""
