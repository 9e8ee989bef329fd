"""The scale case at any width: ``scale_mlp/example.toml`` with the hidden width
substituted in the start values' shapes and synthetic data added.

The data are drawn from ``np.random.RandomState(seed)``, X first (128 x 784, standard
normal), then the labels (128 integers 0-9, Y their one-hot rows), so they do not
depend on the width and do not touch the global NumPy seed the start values use.
"""

import tomllib
from pathlib import Path

import numpy as np

from ..spec import Example

FOLDER = Path(__file__).parent / "scale_mlp"
BATCH, INPUTS, CLASSES = 128, 784, 10


def synthetic_data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((BATCH, INPUTS))
    labels = rng.randint(0, CLASSES, size=BATCH)
    return {"X": X, "Y": np.eye(CLASSES)[labels]}


def scale_example(width: int, seed: int = 0) -> Example:
    """The 784-``width``-10 network on the synthetic data of ``seed``."""
    raw = tomllib.loads((FOLDER / "example.toml").read_text(encoding="utf-8"))
    shapes = {"W1": [INPUTS, width], "b1": [1, width], "W2": [width, CLASSES], "b2": [1, CLASSES]}
    for param in raw["init"]["params"]:
        param["randn"] = shapes[param["name"]]
    raw["title"] = raw["title"].replace("784-W-10", f"784-{width}-10")
    # [data] holds nested lists, as an example.toml does
    raw["data"] = {name: array.tolist() for name, array in synthetic_data(seed).items()}
    return Example(**raw, folder=FOLDER)
