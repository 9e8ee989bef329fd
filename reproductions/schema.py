"""What every part of a definition's schema shares: strict, frozen tables,
rectangular arrays of numbers, and how a shape is written in a message."""

import numpy as np
from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A table of a definition: an unknown key is an error, and nothing changes it once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def rectangular(value, what: str) -> np.ndarray:
    """A nested list as a float64 array, or a clear error if it is ragged or not numeric."""
    try:
        return np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{what} is not a rectangular array of numbers") from None


def shape_text(shape) -> str:
    """A shape as Python writes a tuple: (3,), (2, 3), ()."""
    shape = tuple(shape)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
