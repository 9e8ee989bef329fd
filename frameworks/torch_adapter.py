"""PyTorch on the CPU."""

from importlib import metadata

from ._layout import fitted

NAME = "torch"
DISTRIBUTIONS = ("torch",)


def version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def setup(dtype: str):
    import torch

    # deterministic kernels, as torch.use_deterministic_algorithms(True) asks for them,
    # without the TorchInductor import that call makes to set torch.compile's flag too
    # (3.7 s, for a compiler no implementation uses)
    torch.set_deterministic_debug_mode("error")
    torch.set_num_threads(1)  # one thread: reductions always split the same way
    torch.set_default_dtype(getattr(torch, dtype))
    return getattr(torch, dtype)


def from_numpy(array, dtype):
    import torch

    return torch.tensor(array, dtype=dtype)


def view(value):
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().numpy()  # a CPU tensor's own buffer, no copy
    return np.asarray(value)


def to_numpy(value):
    import numpy as np

    return np.asarray(view(value), dtype=np.float64)  # float32 to float64 is exact


def stored_gradient(parameter):
    return parameter.grad


def assign(parameter, array):
    import torch

    with torch.no_grad():
        parameter.copy_(torch.tensor(fitted(array, tuple(parameter.shape)), dtype=parameter.dtype))
    return parameter
