"""The Notation 17 example in PyTorch: f'(z) by autograd, the full Jacobian with
``torch.autograd.functional.jacobian``.

Layout: ``jacobian`` returns the numerator layout, J[i, ., j, .] = d a_i / d z_j, of
shape output.shape + input.shape = (3, 1, 3, 1), read as a 3 x 3 matrix. The notes use
the denominator layout (eq 7.50: row i for z_i, column j for a_j), its
transpose, taken here.
"""

import torch


# %% forward
def f(z):
    return torch.square(z)  # f(z) = z^2


# %% autodiff
def derivatives(z):
    """a = f(z), f'(z) and the full Jacobian of f at z (z requires grad), by autograd."""
    a = f(z)
    # A vector-Jacobian product with ones: for an element-wise f this is f'(z).
    (f_prime,) = torch.autograd.grad(a, z, grad_outputs=torch.ones_like(a))
    jacobian = torch.autograd.functional.jacobian(f, z.detach())
    return a, f_prime, jacobian


# %% record
def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z").requires_grad_(True)

    trace.step(0)
    a, f_prime, jacobian = derivatives(z)
    trace.value("a", a)
    trace.grad("z", f_prime)
    trace.value("da/dz", jacobian.reshape(a.numel(), z.numel()).T)  # the notes' layout
