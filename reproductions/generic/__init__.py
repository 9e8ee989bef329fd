"""Generic engines: an example that declares a ``[network]`` runs without code.

``definition.py`` is the ``[network]`` table's schema, its checks against the example's
data and start values, and the engines' view of an example (their names for its data,
parameters and intermediates); ``numpy.py``, ``torch.py``, ``tensorflow.py`` and ``jax.py``
build and train the network, one module per framework, for each framework the example
has no mirror (``*_impl.py``) of. See README.md.
"""
