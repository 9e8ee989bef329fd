"""Generic engines: an example as one definition file, run in every framework.

``load_definition(path)`` reads a definition file (example.toml's keys plus a
``[network]`` table, see README.md) into an :class:`reproductions.spec.Example`
whose ``engine`` is this package: the harness then runs its modules ``numpy``,
``torch`` and ``tensorflow`` instead of a folder's ``*_impl.py``.
"""

from reproductions.generic.load import load_definition

__all__ = ["load_definition"]
