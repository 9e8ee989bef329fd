"""The Notation 17 example in PyTorch: f'(z) by autograd, the full Jacobian with
``torch.autograd.functional.jacobian``.

Layout: ``jacobian`` returns the numerator layout, J[i, ., j, .] = d a_i / d z_j, of
shape output.shape + input.shape = (3, 1, 3, 1). The notes use the denominator layout
(eq 7.50: row i for z_i, column j for a_j). ``to_notes_layout`` is the one place that
translates.
"""

import torch


def f(z):
    return torch.square(z)  # f(z) = z^2


def to_notes_layout(jacobian, n_out, n_in):
    """(n_out, 1, n_in, 1) numerator layout -> (n_in, n_out) denominator layout."""
    return jacobian.reshape(n_out, n_in).T


def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z").requires_grad_(True)

    trace.step(0)
    a = f(z)
    trace.value("a", a.detach())
    # A vector-Jacobian product with ones: for an element-wise f this is f'(z).
    (f_prime,) = torch.autograd.grad(a, z, grad_outputs=torch.ones_like(a))
    trace.value("f_prime", f_prime)
    jacobian = torch.autograd.functional.jacobian(f, z.detach())
    trace.value("da_dz", to_notes_layout(jacobian, a.numel(), z.numel()))
