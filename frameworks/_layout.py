"""What every adapter shares: fitting an array in the source's layout to a parameter."""

import numpy as np


def fitted(array: np.ndarray, shape: tuple) -> np.ndarray:
    """``array`` reshaped to ``shape`` where they differ only by dimensions of one (a
    bias the source keeps as a (1, n) row and a framework as an (n,) vector)."""
    array = np.asarray(array)
    if array.shape == shape:
        return array
    if tuple(n for n in array.shape if n != 1) != tuple(n for n in shape if n != 1):
        raise ValueError(f"a start value of shape {array.shape} does not fit a parameter "
                         f"of shape {shape}")
    return array.reshape(shape)
