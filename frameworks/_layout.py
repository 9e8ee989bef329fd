"""What every adapter shares: fitting an array in the source's layout to a parameter."""

import numpy as np


def same_but_unit_dimensions(a: tuple, b: tuple) -> bool:
    """Whether two shapes hold the same elements in the same order: (1, n), (n,), (n, 1)."""
    return tuple(n for n in a if n != 1) == tuple(n for n in b if n != 1)


def fitted(array: np.ndarray, shape: tuple) -> np.ndarray:
    """``array`` reshaped to ``shape`` where they differ only by dimensions of one (a
    bias the source keeps as a (1, n) row and a framework as an (n,) vector)."""
    array = np.asarray(array)
    if array.shape == shape:
        return array
    if not same_but_unit_dimensions(array.shape, shape):
        raise ValueError(f"a start value of shape {array.shape} does not fit a parameter "
                         f"of shape {shape}")
    return array.reshape(shape)
