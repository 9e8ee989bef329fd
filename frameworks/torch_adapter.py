"""PyTorch on the CPU."""

from importlib import metadata

NAME = "torch"
DISTRIBUTIONS = ("torch",)


def version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def setup(dtype: str):
    import torch

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # one thread: reductions always split the same way
    torch.set_default_dtype(getattr(torch, dtype))
    return getattr(torch, dtype)


def from_numpy(array, dtype):
    import torch

    return torch.tensor(array, dtype=dtype)


def to_numpy(value):
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()  # a view of a CPU tensor's buffer, no copy
    return np.asarray(value, dtype=np.float64)
