"""NumPy: the reference every other framework is compared with."""

from importlib import metadata

from ._layout import fitted

NAME = "numpy"
DISTRIBUTIONS = ("numpy",)


def version() -> str | None:
    try:
        return metadata.version("numpy")
    except metadata.PackageNotFoundError:
        return None


def setup(dtype: str):
    import numpy as np

    return np.dtype(dtype)


def from_numpy(array, dtype):
    import numpy as np

    return np.array(array, dtype=dtype)


def view(value):
    import numpy as np

    return np.asarray(value)


def to_numpy(value):
    import numpy as np

    return np.asarray(view(value), dtype=np.float64)


def stored_gradient(parameter):
    raise TypeError("a NumPy array keeps no gradient: pass the gradients to trace.gradients")


def assign(parameter, array):
    parameter[...] = fitted(array, parameter.shape)
    return parameter
