"""Activation derivatives in PyTorch: the library's activations, differentiated by autodiff.

Every derivative is ``torch.func.grad`` of the activation at each grid point
(``vmap`` over the grid), and softmax's Jacobian is ``torch.func.jacrev``.

Step: ``torch.heaviside(z, 1)`` gives the notes' values (step(0) = 1), but autograd has
no formula for it ("derivative for aten::heaviside is not implemented"). Its derivative
is taken from the same function written as ``torch.where(z >= 0, 1, 0)``, which autodiff
sees as constant in z.

Layout: ``jacrev`` returns d s_i / d z_j at [i, j] (shape (3, 1, 3, 1) for a column,
read as a 3 x 3 matrix); the notes' denominator layout is its transpose, [i, j] =
d s_j / d z_i (``[layout]`` in example.toml: the harness translates it).
"""

import torch
from torch.func import grad, jacrev, vmap


# %% forward
def step(z):
    return torch.heaviside(z, torch.ones_like(z))  # step(0) = 1, as the notes define it


ACTIVATIONS = {  # name: (activation, the form autodiff differentiates)
    # autograd has no derivative for heaviside: the same step as a where, constant in z
    "step": (step, lambda z: torch.where(z >= 0, torch.ones_like(z), torch.zeros_like(z))),
    "relu": (torch.nn.functional.relu, torch.nn.functional.relu),
    "sigmoid": (torch.sigmoid, torch.sigmoid),
    "identity": (torch.nn.Identity(), torch.nn.Identity()),
    "tanh": (torch.tanh, torch.tanh),
}
KINKED = ("step", "relu")


# %% autodiff
def derivative(f, z):
    """d/dz f(z) at every point of the grid, by autodiff."""
    return vmap(grad(f))(z)


# %% check
# Copied from reproductions/examples/activation_derivatives/numpy_impl.py:central_difference
def central_difference(f, z, h):
    return (f(z + h) - f(z - h)) / (2 * h)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    h = torch.tensor(ctx.hyper.h, dtype=ctx.dtype)
    z = ctx.data("z")
    smooth, kink = z != 0, z == 0

    trace.step(0)
    for name, (f, f_autodiff) in ACTIVATIONS.items():
        trace.value(name, f(z))
        d = derivative(f_autodiff, z)
        if name in KINKED:
            trace.value(f"d_{name}", d[smooth])
            trace.finding(f"d_{name}_at_0", d[kink])
        else:
            trace.value(f"d_{name}", d)
        zs = z[smooth]
        trace.value(f"fd_{name}", central_difference(f, zs, h), scale=f(zs + h) / (2 * h))
    trace.value("d_sigmoid_exp_form", derivative(torch.sigmoid, z))

    zero = z[kink]
    for name in KINKED:
        f = ACTIVATIONS[name][0]
        trace.value(f"{name}_slope_right_of_0", (f(zero + h) - f(zero)) / h, scale=f(zero + h) / h)
        trace.value(f"{name}_slope_left_of_0", (f(zero) - f(zero - h)) / h, scale=f(zero) / h)

    z_vec = ctx.data("z_softmax")
    n = z_vec.shape[0]
    softmax = lambda v: torch.softmax(v, dim=0)  # noqa: E731  (a column: classes on dim 0)
    trace.values(softmax=softmax(z_vec), d_softmax=jacrev(softmax)(z_vec).reshape(n, n))
