"""The computational graph of Figs 51-53 in PyTorch: autograd does the backward pass.

The gradient along each path to b is autograd's too: holding the other branch constant
(``detach``) leaves only that path. Scalars throughout, as in the blog.
"""

import torch


# %% forward
def forward(a, b, d_offset):
    c = a * b
    d = b + d_offset
    e = c * d
    return c, d, e


# %% autodiff
def backward(trace, a, b, c, d, e):
    """The backward pass by autograd, from the graph the forward pass built."""
    de_dc, de_dd = torch.autograd.grad(e, [c, d], retain_graph=True)
    (dc_db,) = torch.autograd.grad(c, b, retain_graph=True)
    (dd_db,) = torch.autograd.grad(d, b, retain_graph=True)
    trace.values(**{"de/dc": de_dc, "de/dd": de_dd, "dc/db": dc_db, "dd/db": dd_db})

    (via_d,) = torch.autograd.grad(c.detach() * d, b, retain_graph=True)  # only the path through d
    (via_c,) = torch.autograd.grad(c * d.detach(), b, retain_graph=True)  # only the path through c
    trace.values(**{"grad.b.via.d": via_d, "grad.b.via.c": via_c})

    e.backward()  # both paths: autograd sums them at b
    trace.grad("a", a.grad)
    trace.grad("b", b.grad)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    a = ctx.tensor(ctx.init["a"]).requires_grad_()
    b = ctx.tensor(ctx.init["b"]).requires_grad_()
    d_offset = torch.tensor(ctx.hyper.d_offset, dtype=ctx.dtype)

    trace.step(0)
    c, d, e = forward(a, b, d_offset)
    trace.values(c=c, d=d, e=e)
    backward(trace, a, b, c, d, e)
