"""One adapter per framework, all with the same functions.

Each adapter module (``numpy_adapter``, ``torch_adapter``, ``tensorflow_adapter``,
``jax_adapter``) defines:

- ``NAME``: the framework's name on the command line;
- ``version()``: the installed version, or ``None`` when it is not installed
  (checked without importing the framework);
- ``setup(dtype)``: prepare a run (float64 or float32, deterministic kernels,
  fixed threads) and return the framework's dtype object;
- ``from_numpy(array, dtype)`` and ``to_numpy(value)``: move arrays across
  (``to_numpy`` gives float64);
- ``view(value)``: the value as a NumPy array in its own dtype, sharing the
  framework's buffer where it can; the trace copies it once, into its own storage;
- ``stored_gradient(parameter)``: the gradient a framework keeps on a parameter
  (torch's ``.grad``); the others keep none and say so;
- ``assign(parameter, array)``: set a parameter to a NumPy array already in the
  framework's layout, fitting a (1, n) row to an (n,) vector and the like
  (``_layout.fitted``), and return the parameter as the framework now holds it: the
  same object where parameters are mutable (an array, a tensor, a variable), a new
  array where they are not (JAX, whose ``parameter`` is an array or a
  ``jax.ShapeDtypeStruct`` giving the shape and dtype).

Adapters import their framework only inside these functions, so a run that
uses only NumPy never imports torch, TensorFlow or JAX.
"""

import os
from importlib import import_module
from types import ModuleType

# TensorFlow reads these once, when it is first imported, which may be by a mirror module
# before its adapter's setup runs: set them with the package every run imports first.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums

NAMES = ("numpy", "torch", "tensorflow", "jax")
TITLES = {"numpy": "NumPy", "torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}
DTYPES = ("float64", "float32")


class FrameworkError(ValueError):
    """A framework that is unknown or not installed."""


def adapter(name: str) -> ModuleType:
    if name not in NAMES:
        raise FrameworkError(f"unknown framework '{name}' (known: {', '.join(NAMES)})")
    return import_module(f"frameworks.{name}_adapter")


def require(name: str) -> ModuleType:
    module = adapter(name)
    if module.version() is None:
        raise FrameworkError(f"framework '{name}' is not installed")
    return module
